"""Evaluate: run a question set through the pipeline and show the metrics and the failures."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages.common import get_chat, get_stores, lang, plain
from app_pages.ui_text import t
from rag.errors import ShiftbriefError
from rag.evaluation.evaluate import EvalReport, evaluate
from rag.evaluation.report import LABELS, NEW, value
from rag.evaluation.report import failed as failed_row
from rag.evaluation.sets import EvalItem, load_questions

L = lang()
stores = get_stores()
st.title(t("evaluate", L))
repo = Path(__file__).resolve().parents[1]
candidates = sorted((repo / "evals").glob("*.jsonl"))
financebench = repo.parent / "shared" / "financebench" / "data" / "financebench_open_source.jsonl"
if financebench.exists():
    candidates.append(financebench)
sets: dict[str, list[EvalItem]] = {}
for path in candidates:
    try:
        sets["FinanceBench (open sample)" if path == financebench else path.name] = load_questions(path)
    except ShiftbriefError:
        continue  # not a question set (the figure checker's labelled sentences live in evals/ too)
if not sets:
    st.info("No question sets found under evals/.")
    st.stop()
indexed = {d["doc_name"] for d in stores.keywords.list_documents()}
runnable = {name: [q for q in items if not q.gold_docs or q.gold_docs <= indexed] for name, items in sets.items()}
# Start on the set with the most questions about indexed documents.
default = max(runnable, key=lambda name: sum(1 for q in runnable[name] if q.gold_docs))
name = st.selectbox(t("question_set", L), list(sets), index=list(sets).index(default), key="eval_set")
items = runnable[name]
if not items:
    st.info("None of this set's documents are indexed; ingest them on the Library page first.")
    st.stop()
limit = st.slider(t("limit", L), 1, len(items), min(len(items), 20), key="eval_limit")
if st.button(t("run_eval", L), key="eval_run"):
    bar = st.progress(0.0)

    def on_progress(done: int, total: int, qid: str) -> None:
        bar.progress(done / total, text=f"{done}/{total} {plain(qid)}")

    try:
        st.session_state.eval_report = evaluate(items[:limit], stores, chat=get_chat(), on_progress=on_progress)
    except ShiftbriefError as exc:
        st.error(plain(exc))
        st.stop()
report: EvalReport | None = st.session_state.get("eval_report")
if report is not None:
    m = report.metrics
    rows = [{"group": g, "n": v["n"], **{LABELS[k]: value(v, s, k) for s, k in NEW}, **v["retrieval"],
             **{k: v["answers"][k] for k in ("figure_match", "refusal_accuracy", "citation_precision",
                                             "unsupported_figure_rate")},
             "p50 ms": v["latency"]["p50_ms"]} for g, v in {"all": m, **m["by_lang"], **m["by_kind"]}.items()]
    st.dataframe(rows, hide_index=True, use_container_width=True)
    st.bar_chart({k: v for k, v in m["retrieval"].items() if v is not None})
    cal = m["calibration"]["all"]
    if cal["n"]:
        st.subheader(t("calibration", L))
        st.caption(t("calibration_help", L).format(ece=cal["ece"], brier=cal["brier"]))
        st.dataframe([{"confidence": f"{b['lo']:.2f}–{b['hi']:.2f}", "n": b["n"], "mean confidence": b["confidence"],
                       "share right": b["right"]} for b in cal["bins"]], hide_index=True, use_container_width=True)
    failed = [r for r in report.rows if failed_row(r)]
    st.subheader(t("failures", L))
    st.dataframe([{"id": r["id"], "lang": r["lang"], "kind": r["kind"], "question": r["question"],
                   "gold": r["gold"], "answer": r["answer"], "why": r.get("why_wrong", ""),
                   "gold pages": str(r["gold_pages"]),
                   "retrieved": str(r["retrieved"][:5])} for r in failed], hide_index=True, use_container_width=True)
