"""Evaluate: run a question set through the pipeline and show the metrics and the failures."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages.common import get_chat, get_stores, lang
from rag.errors import ShiftbriefError
from rag.evaluation.sets import load_questions
from rag.evaluation.evaluate import evaluate
from rag.evaluation.report import LABELS, NEW
from rag.evaluation.report import failed as failed_row
from app_pages.ui_text import t

L = lang()
stores = get_stores()
st.title(t("evaluate", L))
repo = Path(__file__).resolve().parents[1]
sets = {p.name: p for p in sorted((repo / "evals").glob("*.jsonl"))}
financebench = repo.parent / "shared" / "financebench" / "data" / "financebench_open_source.jsonl"
if financebench.exists():
    sets["FinanceBench (open sample)"] = financebench
if not sets:
    st.info("No question sets found under evals/.")
    st.stop()
name = st.selectbox(t("question_set", L), list(sets), key="eval_set")
try:
    items = load_questions(sets[name])
except ShiftbriefError as exc:
    st.error(str(exc))
    st.stop()
indexed = {d for d in stores.keywords.list_documents() for d in [d["doc_name"]]}
items = [q for q in items if not q.gold_docs or q.gold_docs <= indexed]
if not items:
    st.info("None of this set's documents are indexed; ingest them on the Library page first.")
    st.stop()
limit = st.slider(t("limit", L), 1, len(items), min(len(items), 20), key="eval_limit")
if st.button(t("run_eval", L), key="eval_run"):
    bar = st.progress(0.0)
    try:
        report = evaluate(items[:limit], stores, chat=get_chat(),
                          on_progress=lambda d, n, qid: bar.progress(d / n, text=f"{d}/{n} {qid}"))
    except ShiftbriefError as exc:
        st.error(str(exc))
        st.stop()
    st.session_state.eval_report = report
report = st.session_state.get("eval_report")
if report is not None:
    m = report.metrics
    rows = [{"group": g, "n": v["n"], **{LABELS[k]: v[s].get(k) for s, k in NEW}, **v["retrieval"],
             **{k: v["answers"][k] for k in ("figure_match", "refusal_accuracy", "citation_precision",
                                             "unsupported_figure_rate")},
             "p50 ms": v["latency"]["p50_ms"]} for g, v in {"all": m, **m["by_lang"], **m["by_kind"]}.items()]
    st.dataframe(rows, hide_index=True, use_container_width=True)
    st.bar_chart({k: v for k, v in m["retrieval"].items() if v is not None})
    failed = [r for r in report.rows if failed_row(r)]
    st.subheader(t("failures", L))
    st.dataframe([{"id": r["id"], "lang": r["lang"], "kind": r["kind"], "question": r["question"],
                   "gold": r["gold"], "answer": r["answer"], "why": r.get("why_wrong", ""),
                   "gold pages": str(r["gold_pages"]),
                   "retrieved": str(r["retrieved"][:5])} for r in failed], hide_index=True, use_container_width=True)
