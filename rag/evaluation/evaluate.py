"""Run a question set through the real pipeline and measure retrieval and answers."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from rag.answers.answer import Answer, answer_question
from rag.answers.llm import ChatModel, get_chat_model
from rag.config import Settings
from rag.errors import ConfigError
from rag.evaluation.metrics import mean_metrics, percentile, retrieval_metrics
from rag.evaluation.sets import EvalItem
from rag.figures.parse import parse_figures
from rag.retrieval.hybrid import HybridRetriever
from rag.store.stores import Stores

log = logging.getLogger(__name__)

_SCALES = (1.0, 1e3, 1e6, 1e9, 1e12)
_GOLD_NUMBER = re.compile(r"-?\(?\$?\d[\d,]*\.?\d*")


def _close(a: float, b: float, rel: float = 0.006) -> bool:
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), 1e-9)


def gold_figures(item: EvalItem) -> list[float]:
    """The figures an answer must contain: the item's `numbers`, else the numbers in its gold answer."""
    if item.numbers:
        return list(item.numbers)
    if not item.answerable:
        return []
    return [f.value for f in parse_figures(item.answer) if f.unit != "" or abs(f.value) >= 1][:3]


def figure_in(gold: float, values: Sequence[float]) -> bool:
    """True when some value equals gold within rounding, at any scale (161.6 ~ 161,600,000)."""
    for v in values:
        for s in _SCALES:
            if _close(abs(v), abs(gold) * s) or _close(abs(v) * s, abs(gold)):
                return True
    return False


def figure_match(item: EvalItem, text: str) -> float | None:
    """1.0 when every gold figure appears in the text (after normalisation), None when there is none."""
    gold = gold_figures(item)
    if not gold:
        return None
    values = [f.value for f in parse_figures(text)]
    return 1.0 if all(figure_in(g, values) for g in gold) else 0.0


def citation_precision(answer: Answer) -> float | None:
    """Share of cited passages that hold a figure the answer states; None for answers with no figures."""
    figures = answer.figures or {}
    stated = list(figures.get("supported", [])) + list(figures.get("unsupported", []))
    cited = {c.n for c in answer.citations}
    if not stated or not cited:
        return None
    supporting = {f["matched"]["n"] for f in figures.get("supported", []) if f.get("matched")}
    return len(cited & supporting) / len(cited)


def unsupported_rate(answer: Answer) -> tuple[int, int]:
    figures = answer.figures or {}
    sup, unsup = len(figures.get("supported", [])), len(figures.get("unsupported", []))
    return unsup, sup + unsup


class JudgeOut(BaseModel):
    """A grader's verdict on one answer against the gold answer."""

    score: int = Field(description="2 = correct and complete, 1 = partly correct, 0 = wrong or a refusal.")
    reason: str = Field(default="", description="One short sentence.")


def judge_answer(chat, question: str, gold: str, answer: str) -> float | None:
    """A model-judged score in [0, 1] of an answer against the gold answer; None if the model's reply is unusable."""
    from rag.answers.prompts import judge_messages

    verdict, _ = chat.invoke_structured(judge_messages(question, gold, answer), JudgeOut)
    if verdict is None or verdict.score not in (0, 1, 2):
        return None
    return verdict.score / 2


def get_judge(settings: Settings) -> ChatModel | None:
    """The grading model SHIFTBRIEF_JUDGE_MODEL names, on the chat model's server; None when it is unset.

    A separate setting, so the answering model never grades its own answers.

    Raises:
        ConfigError: a judge is named but no model server is configured.
    """
    if not settings.judge_model:
        return None
    if settings.openai_api_key is None and not (settings.openai_base_url or "").strip():
        raise ConfigError("SHIFTBRIEF_JUDGE_MODEL is set but no model server is: set OPENAI_API_KEY, or "
                          "OPENAI_BASE_URL for a local OpenAI-compatible server, or unset SHIFTBRIEF_JUDGE_MODEL")
    return get_chat_model(settings.model_copy(update={"llm_mode": "openai", "llm_model": settings.judge_model}))


@dataclass
class EvalReport:
    """Metrics overall and by language, kind and question type, with every question's result."""

    metrics: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {**self.metrics, "questions": self.rows}


def _summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ret = mean_metrics([r["retrieval"] for r in rows if r["retrieval"] is not None])
    fm = [r["figure_match"] for r in rows if r["figure_match"] is not None]
    cp = [r["citation_precision"] for r in rows if r["citation_precision"] is not None]
    unsup = sum(r["figures_unsupported"] for r in rows)
    total = sum(r["figures_total"] for r in rows)
    lat = [r["latency_ms"] for r in rows]
    judged = [r["judge"] for r in rows if r.get("judge") is not None]
    tokens = sum(r.get("tokens", 0) or 0 for r in rows)
    return {
        "n": len(rows),
        "retrieval": {k: ret.get(k) for k in ("page_hit@1", "page_hit@5", "page_hit@10", "doc_hit@5", "mrr@10")},
        "answers": {
            "figure_match": round(sum(fm) / len(fm), 4) if fm else None,
            "refusal_accuracy": round(sum(r["refusal_correct"] for r in rows) / len(rows), 4) if rows else None,
            "refusal_rate": round(sum(1 for r in rows if r["refused"]) / len(rows), 4) if rows else None,
            "citation_precision": round(sum(cp) / len(cp), 4) if cp else None,
            "unsupported_figure_rate": round(unsup / total, 4) if total else 0.0,
            "n_figure_items": len(fm),
            "judge_score": round(sum(judged) / len(judged), 4) if judged else None,  # model-judged
        },
        "latency": {"p50_ms": round(percentile(lat, 50), 1), "p95_ms": round(percentile(lat, 95), 1)},
        "tokens": tokens,
    }


def _group(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r[key] or "other", []).append(r)
    return {g: _summarise(rs) for g, rs in sorted(groups.items())}


def evaluate(
    items: Sequence[EvalItem],
    stores: Stores,
    chat=None,
    k: int = 10,
    on_progress: Callable[[int, int, str], None] | None = None,
    judge=None,
) -> EvalReport:
    """Run every question through retrieval and answering; compute the metrics.

    Args:
        items: from `load_questions(path)`.
        stores: from `open_stores(settings)`.
        chat: from `get_chat_model(settings)`, or None for extractive answers.
        k: passages retrieved for the retrieval metrics.
        on_progress: called as (done, total, question id).
        judge: a chat model that grades each answer against the gold one (`answers.judge_score`, marked
            model-judged in the report); None skips it.

    Returns:
        An EvalReport whose `metrics` has stable keys: retrieval.page_hit@1/5/10, retrieval.doc_hit@5,
        retrieval.mrr@10, answers.figure_match, answers.refusal_accuracy, answers.citation_precision,
        answers.unsupported_figure_rate, latency.p50_ms/p95_ms, n, and the same under by_lang.<lang>,
        by_kind.<kind> and by_type.<question type>.

    Example:
        >>> report = evaluate(load_questions("evals/questions.jsonl"), open_stores(get_settings()))
        >>> report.metrics["retrieval"]["page_hit@5"]
    """
    retriever = HybridRetriever(stores)
    rows: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        hits = retriever.search(item.question, k=k)
        retrieved = [(h.doc_name, h.page) for h in hits]
        t = time.perf_counter()
        ans = answer_question(item.question, stores, chat=chat)
        latency = (time.perf_counter() - t) * 1000
        refused = not ans.answerable
        unsup, total = unsupported_rate(ans)
        rows.append({
            "id": item.id, "lang": item.lang, "kind": item.kind, "type": item.qtype or item.kind,
            "question": item.question, "gold": item.answer, "answer": ans.answer,
            "gold_pages": [list(p) for p in item.gold_pages], "retrieved": [list(p) for p in retrieved],
            "retrieval": retrieval_metrics(retrieved, item.gold_pages) if item.gold_pages else None,
            "figure_match": figure_match(item, ans.answer) if item.answerable and not refused else
            (0.0 if item.answerable and gold_figures(item) else None),
            "refused": refused, "refusal_correct": refused != item.answerable,
            "citation_precision": citation_precision(ans), "figures_unsupported": unsup, "figures_total": total,
            "latency_ms": round(latency, 1), "tokens": (ans.tokens or {}).get("total_tokens", 0),
            "judge": judge_answer(judge, item.question, item.answer, ans.answer)
            if judge is not None and item.answerable else None,
        })
        if on_progress:
            on_progress(i + 1, len(items), item.id)
    metrics = _summarise(rows)
    metrics["by_lang"] = _group(rows, "lang")
    metrics["by_kind"] = _group(rows, "kind")
    metrics["by_type"] = _group(rows, "type")
    metrics["mode"] = "extractive" if chat is None else "llm"
    metrics["judge"] = judge.describe().get("model") if judge is not None else None
    return EvalReport(metrics, rows)


def flatten(metrics: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"retrieval": {"page_hit@5": x}} → {"retrieval.page_hit@5": x}, for floors and tables."""
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def check_floors(metrics: dict[str, Any], floors: dict[str, float]) -> list[str]:
    """Messages for every metric below its floor; a bare name like page_hit@5 is looked up in any section."""
    flat = flatten({k: v for k, v in metrics.items() if not k.startswith("by_")})
    failures = []
    for name, floor in floors.items():
        keys = [k for k in flat if k == name or k.endswith("." + name)]
        if not keys:
            failures.append(f"unknown metric {name!r}; known: {', '.join(sorted(flat))}")
            continue
        value = flat[keys[0]]
        if value is None or value < floor:
            failures.append(f"{keys[0]} = {value} is below the floor {floor}")
    return failures
