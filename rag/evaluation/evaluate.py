"""Run a question set through the real pipeline and measure retrieval and answers."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from rag.answers.answer import Answer, answer_question
from rag.answers.grounding import is_refusal
from rag.answers.llm import ChatModel, get_chat_model
from rag.config import Settings
from rag.errors import ConfigError
from rag.evaluation.metrics import (
    answer_in_japanese,
    calibration,
    contains_evidence,
    default_key_terms,
    evidence_metrics,
    figure_in,
    figures_stated,
    japanese_content,
    key_terms_score,
    majority,
    mean,
    mean_metrics,
    percentile,
    retrieval_metrics,
    strip_citations,
)
from rag.evaluation.sets import EvalItem
from rag.figures.parse import parse_figures
from rag.retrieval.hybrid import HybridRetriever
from rag.schema import Citation
from rag.store.stores import Stores

log = logging.getLogger(__name__)

def gold_figures(item: EvalItem) -> list[float]:
    """The figures an answer must contain: the item's `numbers`, else the numbers in its gold answer."""
    if item.numbers:
        return list(item.numbers)
    if not item.answerable:
        return []
    return [f.value for f in parse_figures(item.answer) if f.unit != "" or abs(f.value) >= 1][:3]


def figure_match(item: EvalItem, text: str) -> float | None:
    """1.0 when every gold figure appears in the text (after normalisation), None when there is none."""
    gold = gold_figures(item)
    if not gold:
        return None
    values = [f.value for f in parse_figures(text)]
    return 1.0 if all(figure_in(g, values) for g in gold) else 0.0


def citation_precision(answer: Answer) -> float | None:
    """Old, circular: share of cited passages that hold a figure the answer states (a quote always holds its
    own figures); kept beside gold_citation_precision for one report. None for answers with no figures."""
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


# ---------------------------------------------------------------- answers graded against the gold evidence


def is_gold_passage(item: EvalItem, passage: Citation) -> bool:
    """A cited passage is gold evidence when it is on a gold page (the gold document, for a gold page of None;
    every chunk of a text file is page 0) or its text contains one of the item's evidence sentences."""
    if any(passage.doc_name == d and (p is None or passage.page == p) for d, p in item.gold_pages):
        return True
    return bool(item.evidence) and contains_evidence(passage.text, item.evidence)


def gold_citation_precision(item: EvalItem, answer: Answer) -> float | None:
    """Share of the answer's cited passages that are gold evidence; None when it cites nothing or the item
    names no evidence (unanswerable items, sets without evidence pages)."""
    if not answer.citations or not (item.gold_pages or item.evidence):
        return None
    return sum(is_gold_passage(item, c) for c in answer.citations) / len(answer.citations)


def required_figures(item: EvalItem) -> list[float]:
    """The figures a right answer states: `numbers`; for an item with neither numbers nor key terms (FinanceBench),
    the figures of its gold answer. An item that lists key terms but no numbers asks for words, not figures
    (the "8" of "Hut 8" in its gold answer is not a figure to state)."""
    return list(item.numbers) if item.numbers or item.key_terms else gold_figures(item)


def answer_key_terms(item: EvalItem) -> list[list[str]]:
    """The item's key terms; for an item with no gold figures and none listed, terms read off its gold answer."""
    if item.key_terms:
        return item.key_terms
    return [] if gold_figures(item) else default_key_terms(item.answer)


def answered_right(item: EvalItem, answer: Answer) -> tuple[bool | None, str]:
    """Whether an answerable item was answered right, and why not; (None, "") for an unanswerable item.

    Right means all of:
    1. not refused (the pipeline's refusal, or a refusal sentence from the model);
    2. at least one cited passage is gold evidence (see is_gold_passage), when the item names any;
    3. every gold figure (see `required_figures`) is stated in the answer's text,
       scale-aware and within rounding ($161.6 million = 161,600,000 = 1億6,160万ドル; see `figure_stated`),
       in a piece of the answer whose citation is a gold passage: a figure in a quote from an unrelated
       passage does not count;
    4. the key terms (`key_terms`, else for an item without figures terms read off the gold answer): more
       than half of them appear in the answer, any listed alternative (EN or JA form) counting.
    """
    if not item.answerable:
        return None, ""
    if not answer.answerable or is_refusal(answer.answer):
        return False, "refused"
    named = bool(item.gold_pages or item.evidence)
    gold_n = {c.n for c in answer.citations if is_gold_passage(item, c)}
    if named and not gold_n:
        return False, "cites no gold evidence"
    missing = figures_stated(required_figures(item), answer.answer, gold_n if named else None)
    if missing:
        return False, "gold figures not stated from gold evidence: " + ", ".join(f"{g:g}" for g in missing)
    terms = answer_key_terms(item)
    found, total = key_terms_score(terms, strip_citations(answer.answer))
    if total and not majority(found, total):
        return False, f"key terms {found}/{total}"
    return True, ""


def ja_in_ja(item: EvalItem, answer: Answer, refused: bool) -> bool:
    """Whether the answer to a Japanese question carries its content in Japanese: a refusal in Japanese for an
    unanswerable item; for an answerable one, a Japanese answer whose own words state a gold figure or a key term
    the question does not hold (see metrics.japanese_content). A refusal of an answerable item carries nothing."""
    if refused:
        return not item.answerable and answer_in_japanese(answer.answer)
    if not item.answerable:
        return answer_in_japanese(answer.answer)
    return japanese_content(answer.answer, item.question, required_figures(item), answer_key_terms(item))


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


_RETRIEVAL_KEYS = ("page_hit@1", "page_hit@5", "page_hit@10", "doc_hit@5", "mrr@10",
                   "evidence_hit@1", "evidence_hit@5", "evidence_hit@10")


def _summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ret = mean_metrics([r["retrieval"] for r in rows if r["retrieval"] is not None])
    fm = [r["figure_match"] for r in rows if r["figure_match"] is not None]
    unsup = sum(r["figures_unsupported"] for r in rows)
    total = sum(r["figures_total"] for r in rows)
    lat = [r["latency_ms"] for r in rows]
    tokens = sum(r.get("tokens", 0) or 0 for r in rows)
    answerable = [r for r in rows if r.get("answerable") is True]
    unanswerable = [r for r in rows if r.get("answerable") is False]
    return {
        "n": len(rows),
        "retrieval": {k: ret.get(k) for k in _RETRIEVAL_KEYS},
        "answers": {
            # can't flatter: graded against the gold evidence (answered_right, gold_citation_precision)
            "answered_right": mean(r.get("answered_right") for r in answerable),
            "unanswerable_refused": mean(r["refused"] for r in unanswerable),
            "wrong_refusal_rate": mean(r["refused"] for r in answerable),
            "gold_citation_precision": mean(r.get("gold_citation_precision") for r in rows),
            "ja_in_ja": mean(r.get("ja_in_ja") for r in rows),
            "ja_in_ja_old": mean(r.get("ja_in_ja_old") for r in rows),  # the script alone: a source note counted
            "n_answerable": len(answerable),
            "n_unanswerable": len(unanswerable),
            # old: figure_match ignores what is cited; citation_precision is circular in extractive mode
            "figure_match": mean(fm),
            "refusal_accuracy": mean(r["refusal_correct"] for r in rows),
            "refusal_rate": mean(r["refused"] for r in rows),
            "citation_precision": mean(r["citation_precision"] for r in rows),
            "unsupported_figure_rate": round(unsup / total, 4) if total else 0.0,
            "n_figure_items": len(fm),
            "judge_score": mean(r.get("judge") for r in rows),  # model-judged
        },
        "latency": {"p50_ms": round(percentile(lat, 50), 1), "p95_ms": round(percentile(lat, 95), 1)},
        "tokens": tokens,
        "calibration": _calibration(rows),
    }


def said_right(r: dict[str, Any]) -> bool | None:
    """Whether what the tool said was right: an answer answered right, or a refusal of an unanswerable item."""
    if r.get("answerable") is None:
        return None
    if r["refused"]:
        return r["answerable"] is False
    return r["answerable"] is True and r.get("answered_right") is True


def _calibration(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Confidence against being right, for what was said (answers and refusals) and for answers alone.

    An answer's confidence is that it answers; a refusal's is that nothing retrieved answers (1 − support).
    """
    said = [(r["confidence"], ok) for r in rows
            if r.get("confidence") is not None and (ok := said_right(r)) is not None]
    answers = [(r["confidence"], ok) for r in rows
               if r.get("confidence") is not None and not r["refused"] and (ok := said_right(r)) is not None]
    return {"all": calibration(said), "answers": calibration(answers)}


def _group(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r[key] or "other", []).append(r)
    return {g: _summarise(rs) for g, rs in sorted(groups.items())}


def _retrieval_row(item: EvalItem, hits: Sequence[Any]) -> dict[str, float] | None:
    retrieved = [(h.doc_name, h.page) for h in hits]
    row = retrieval_metrics(retrieved, item.gold_pages) if item.gold_pages else {}
    if item.evidence:
        row.update(evidence_metrics([h.text for h in hits], item.evidence))
    return row or None


def _evaluate_one(item: EvalItem, stores: Stores, retriever: HybridRetriever, chat, k: int, judge) -> dict[str, Any]:
    """Answer one item (with its history, for a follow-up) and grade the retrieval and the answer."""
    t = time.perf_counter()
    ans = answer_question(item.question, stores, history=item.history or None, chat=chat)
    latency = (time.perf_counter() - t) * 1000
    # A follow-up is searched the way the pipeline searched it: as its standalone question.
    hits = retriever.search((ans.standalone_question or item.question) if item.history else item.question, k=k)
    refused = not ans.answerable or is_refusal(ans.answer)
    right, why = answered_right(item, ans)
    unsup, total = unsupported_rate(ans)
    return {
        "id": item.id, "lang": item.lang, "kind": item.kind, "type": item.qtype or item.kind,
        "question": item.question, "gold": item.answer, "answer": ans.answer, "answerable": item.answerable,
        "gold_pages": [list(p) for p in item.gold_pages], "retrieved": [[h.doc_name, h.page] for h in hits],
        "cited": [[c.doc_name, c.page] for c in ans.citations],
        "retrieval": _retrieval_row(item, hits),
        "answered_right": right, "why_wrong": why,
        "gold_citation_precision": gold_citation_precision(item, ans),
        "ja_in_ja": ja_in_ja(item, ans, refused) if item.lang == "ja" else None,
        "ja_in_ja_old": answer_in_japanese(ans.answer) if item.lang == "ja" else None,
        "figure_match": figure_match(item, ans.answer) if item.answerable and not refused else
        (0.0 if item.answerable and gold_figures(item) else None),
        "refused": refused, "refusal_correct": refused != item.answerable,
        "citation_precision": citation_precision(ans), "figures_unsupported": unsup, "figures_total": total,
        "confidence": ans.confidence, "latency_ms": round(latency, 1), "tokens": (ans.tokens or {}).get("total_tokens", 0),
        "judge": judge_answer(judge, item.question, item.answer, ans.answer)
        if judge is not None and item.answerable else None,
    }


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
        An EvalReport whose `metrics` has stable keys: answers.answered_right (see `answered_right`),
        answers.unanswerable_refused, answers.wrong_refusal_rate, answers.gold_citation_precision,
        answers.ja_in_ja, retrieval.evidence_hit@1/5/10 (items with evidence sentences); the old
        retrieval.page_hit@1/5/10, retrieval.doc_hit@5, retrieval.mrr@10, answers.figure_match,
        answers.refusal_accuracy, answers.citation_precision, answers.unsupported_figure_rate;
        latency.p50_ms/p95_ms, n, and the same under by_lang.<lang>, by_kind.<kind> and
        by_type.<question type>.

    Example:
        >>> report = evaluate(load_questions("evals/questions.jsonl"), open_stores(get_settings()))
        >>> report.metrics["retrieval"]["page_hit@5"]
    """
    retriever = HybridRetriever(stores)
    rows: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        rows.append(_evaluate_one(item, stores, retriever, chat, k, judge))
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


def _lookup(metrics: dict[str, Any], name: str) -> tuple[str, Any] | str:
    """(full key, value) of a metric, or a message; bare names skip the by_ groups, by_lang.ja.x reaches them."""
    overall = {k: v for k, v in metrics.items() if not k.startswith("by_")}
    group, metric = "", name
    if name.startswith("by_") and name.count(".") >= 2:
        section, value, metric = name.split(".", 2)
        group = f"{section}.{value}."
    flat = flatten(metrics if group else overall)
    keys = [k for k in flat if k.startswith(group) and (k == group + metric or k.endswith("." + metric))]
    if not keys:
        known = ", ".join(sorted(flatten(overall)))
        return f"unknown metric {name!r}; known: {known} (and by_lang.<lang>.<metric>, by_kind..., by_type...)"
    return keys[0], flat[keys[0]]


def check_floors(metrics: dict[str, Any], floors: dict[str, float],
                 ceilings: dict[str, float] | None = None) -> list[str]:
    """Messages for every metric below its floor or above its ceiling (for rates where lower is better, such
    as wrong_refusal_rate); a bare name like answered_right is looked up in any section of the overall
    metrics, a qualified one like by_lang.ja.answered_right in that group. A missing value (None) fails."""
    failures = []
    for bound, limits in (("floor", floors), ("ceiling", ceilings or {})):
        for name, limit in limits.items():
            found = _lookup(metrics, name)
            if isinstance(found, str):
                failures.append(found)
                continue
            key, value = found
            if value is None or (value < limit if bound == "floor" else value > limit):
                failures.append(f"{key} = {value} is {'below' if bound == 'floor' else 'above'} the {bound} {limit}")
    return failures
