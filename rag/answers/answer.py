"""Answers to questions: retrieve, check support, then ask the chat model (or quote the best sentences)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from pydantic import BaseModel, Field

from rag.answers.attribution import carried_heading
from rag.answers.compose import compose_answer, renumber
from rag.answers.extractive import choose_quotes, clip, quote_confidence
from rag.answers.grounding import (
    Support,
    assess_support,
    is_refusal,
    question_words,
)
from rag.answers.llm import ChatModel, Usage
from rag.answers.numeric import NumericResult, calculation_hit, numeric_answer
from rag.answers.prompts import answer_messages, condense_messages, normalize_history, refusal
from rag.errors import QuestionError
from rag.figures.verify import FigureReport, check_figures, parse_citations, strip_unknown_citations
from rag.query.analyze import MAX_QUESTION_CHARS, QueryAnalysis, as_analysis, check_question
from rag.retrieval.filters import Filters, describe, resolve_filters
from rag.retrieval.hybrid import retriever_for
from rag.schema import Citation, Hit
from rag.store.embeddings import CachedEmbedder
from rag.store.stores import Stores

log = logging.getLogger(__name__)
_MARKER = re.compile(r"\[(\d+)\]")

ANSWER_MAX_TOKENS = 600  # an answer is one to four sentences; the cap also bounds a runaway local model

_FOLLOW_UP = re.compile(
    r"\b(it|its|they|their|them|that|this|those|these|he|she|his|her|same|also|and what|what about)\b|"
    r"それ|その|これ|この|同社|彼ら|あれ|では|じゃあ",
    re.IGNORECASE,
)


class AnswerOut(BaseModel):
    """A grounded answer to a question about the documents."""

    # maxLength and maxItems reach the schema only (no validation): they let a grammar-constrained local server
    # close the JSON before its token budget runs out, while a longer answer from a bigger model still parses.
    answer: str = Field(description="The answer with inline [n] citations, or the refusal sentence.",
                        json_schema_extra={"maxLength": 800})
    citations: list[int] = Field(default_factory=list, description="Numbers of the passages the answer cites.",
                                 json_schema_extra={"maxItems": 10})
    answerable: bool = Field(description="False when the passages do not contain the answer.")


@dataclass
class Answer:
    """An answer with its citations, figure check, token use and confidence."""

    question: str
    answer: str
    answerable: bool
    mode: str
    citations: list[Citation]
    figures: dict[str, Any]
    tokens: dict[str, Any]
    cost_usd: float | None
    confidence: float
    lang: str
    dropped_citations: list[int] = field(default_factory=list)
    standalone_question: str = ""
    model: str = ""
    reason: str = ""
    warnings: list[str] = field(default_factory=list)
    passages: list[dict[str, Any]] = field(default_factory=list)
    calculation: dict[str, Any] = field(default_factory=dict)  # a figure computed from facts: formula, inputs, result
    # The quoted sentences the answer rests on, apart from its text: {"n", "quote", "lang", "doc_name", "title",
    # "page"}; a Japanese answer to an English source shows these as 原文.
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------- the question


def join_follow_up(question: str | QueryAnalysis, history: Sequence[Any] | None) -> str:
    """The follow-up with the last user question in front, when it looks like a follow-up (no model needed)."""
    analysis = as_analysis(question)
    text = analysis.text
    turns = normalize_history(history)
    last_user = next((t["content"] for t in reversed(turns) if t["role"] == "user"), "")
    if last_user and (_FOLLOW_UP.search(text) or len(question_words(analysis).words) < 3):
        return f"{last_user} {text}"[:MAX_QUESTION_CHARS]
    return text


def condense_question(question: str | QueryAnalysis, history: Sequence[Any] | None, chat: ChatModel | None,
                      usage: Usage | None = None) -> str:
    """A standalone query for retrieval: the model rewrites a follow-up; without one, see join_follow_up."""
    text = question.text if isinstance(question, QueryAnalysis) else question
    turns = normalize_history(history)
    if not turns:
        return text
    if chat is not None:
        rewritten, used = chat.complete(condense_messages(text, turns), max_tokens=120)
        if usage is not None:
            usage.add(used)
        rewritten = re.sub(r"^\s*(standalone question|question)\s*:\s*", "", rewritten.strip(), flags=re.IGNORECASE)
        rewritten = rewritten.strip().strip('"“”「」').strip()
        if rewritten and len(rewritten) <= min(MAX_QUESTION_CHARS, 4 * len(text) + 400):
            return rewritten
        log.info("condensed question rejected chars=%s", len(rewritten))
    return join_follow_up(question, turns)


# ---------------------------------------------------------------- the answer


def _passages(hits: Sequence[Hit]) -> list[dict[str, Any]]:
    """The numbered passages as the figure checker and the Answer's `passages` carry them (no quote)."""
    return [{k: v for k, v in asdict(Citation.of(n, h)).items() if k != "quote"} for n, h in enumerate(hits, 1)]


@dataclass
class _Retrieved:
    """What the answer is built from: the question, its language, the analysis of the standalone question
    that retrieval used, the passages and the refusal rule's verdict."""

    question: str
    lang: str
    analysis: QueryAnalysis
    hits: list[Hit]
    support: Support

    @property
    def standalone(self) -> str:
        return self.analysis.text


def _refused(r: _Retrieved, mode: str, model: str, usage: Usage, cost: float | None, reason: str) -> Answer:
    return Answer(
        question=r.question, answer=refusal(r.lang), answerable=False, mode=mode, citations=[],
        figures=FigureReport().to_dict(), tokens=usage.to_dict(), cost_usd=cost,
        confidence=round(1.0 - r.support.strength, 3), lang=r.lang,
        standalone_question=r.standalone, model=model, reason=reason,
        passages=_passages(r.hits),
    )


def _finish(r: _Retrieved, chat: ChatModel, text: str, listed: Sequence[int], answerable: bool,
            usage: Usage) -> Answer:
    """Turn a model's reply into an Answer: drop unknown citations, check figures, score confidence."""
    mode, model, cost, hits = chat.mode, chat.model, chat.cost(usage), r.hits
    if not answerable or is_refusal(text):
        return _refused(r, mode, model, usage, cost, "the model found no answer in the passages")
    valid = set(range(1, len(hits) + 1))
    text, removed = strip_unknown_citations(text.strip(), valid)
    dropped = sorted(set(removed) | {c for c in listed if c not in valid})
    cited = list(dict.fromkeys(parse_citations(text)))
    warnings = []
    if not cited:
        extra = [c for c in dict.fromkeys(listed) if c in valid]
        if extra:  # the model listed its sources but did not mark them inline
            text = text.rstrip() + " " + "".join(f"[{c}]" for c in extra)
            cited = extra
        else:
            warnings.append("The answer cites no passage; check it against the sources.")
    report = check_figures(text, _passages(hits), cited=cited)
    figures = report.to_dict()
    n_figs = len(report.supported) + len(report.unsupported)
    if report.unsupported:
        warnings.append(f"{len(report.unsupported)} of {n_figs} figures appear in no passage.")
    elsewhere = sum(1 for f in report.supported if not f.cited_ok)
    if elsewhere:
        warnings.append(f"{elsewhere} of {n_figs} figures come from a passage their sentence does not cite.")
    confidence = r.support.strength * (1.0 - 0.7 * len(report.unsupported) / max(1, n_figs)) * (1.0 if cited else 0.5)
    return Answer(
        question=r.question, answer=text, answerable=True, mode=mode,
        citations=[Citation.of(n, hits[n - 1]) for n in cited],
        figures=figures, tokens=usage.to_dict(), cost_usd=cost, confidence=round(confidence, 3), lang=r.lang,
        dropped_citations=dropped, standalone_question=r.standalone, model=model, reason=r.support.reason,
        warnings=warnings, passages=_passages(hits),
    )


def _prepare(question: str, stores: Stores, filters: Filters | None, history: Sequence[Any] | None,
             chat: ChatModel | None, k: int, usage: Usage) -> _Retrieved:
    """Retrieve for the question (or its standalone form) and judge the support; each text is analysed once."""
    question = check_question(question)
    retriever = retriever_for(stores)
    if filters and resolve_filters(filters, stores.keywords.list_documents()) == []:
        # Not "the documents don't say": no document was even looked at.
        raise QuestionError(f"No indexed document matches the filter {describe(filters)}; "
                            "see `shiftbrief docs` (or the Library page) for the companies, periods and types indexed")
    analyses: dict[str, QueryAnalysis] = {}

    def analysis_of(text: str) -> QueryAnalysis:
        if text not in analyses:
            analyses[text] = retriever.analyze(text)
        return analyses[text]

    asked = analysis_of(question)
    # The model's rewrite first; if the passages don't support it (a small model can garble it), the plain
    # join of the last question and the follow-up.
    candidates = [condense_question(asked, history, chat, usage)]
    if history:
        candidates.append(join_follow_up(asked, history))
    for standalone in dict.fromkeys(candidates):
        analysis = analysis_of(standalone)
        hits = retriever.search(standalone, k, filters, analysis=analysis)
        sims = retriever.similarities(standalone, hits)
        support = assess_support(analysis, hits, sims, asked.lang)
        if support.supported:
            break
    log.info("answer lang=%s hits=%s supported=%s similarity=%.3f coverage=%.2f", asked.lang, len(hits),
             support.supported, support.similarity, support.coverage)
    return _Retrieved(question, asked.lang, analysis, hits, support)


def answer_question(question: str, stores: Stores, filters: Filters | None = None,
                    history: Sequence[Any] | None = None, chat: ChatModel | None = None, k: int = 6) -> Answer:
    """Answer a question from the indexed documents, with [n] citations, or refuse.

    Args:
        question: in English or Japanese; the answer comes in the same language.
        stores: from `open_stores(settings)`.
        filters: company, period, document type or names.
        history: earlier turns, as {"role", "content"} dicts or (role, content) pairs; a follow-up question is
            condensed into a standalone one before retrieval.
        chat: from `get_chat_model(settings)`; None answers extractively (quotes, no model).
        k: passages to retrieve and number.

    Returns:
        An Answer; `answerable` is False, and the answer the fixed refusal, when the documents don't say.

    Raises:
        QuestionError: the question is empty or too long.
        LLMError: the chat model could not be used; the message says what to do.

    Example:
        >>> a = answer_question("How much bitcoin did Riot sell?", open_stores(get_settings()))
        >>> a.answer, [c.doc_name for c in a.citations]
    """
    final = None
    for item in _answer_events(question, stores, filters, history, chat, k, stream=False):
        final = item
    assert isinstance(final, Answer)
    return final


def stream_answer(question: str, stores: Stores, filters: Filters | None = None,
                  history: Sequence[Any] | None = None, chat: ChatModel | None = None,
                  k: int = 6) -> Iterator[str | Answer]:
    """Like answer_question, but yield the answer's text as it arrives, then the final Answer.

    The final Answer's text is authoritative: citations to unknown passages are removed from it.
    """
    yield from _answer_events(question, stores, filters, history, chat, k, stream=True)


def _answer_events(question: str, stores: Stores, filters: Filters | None, history: Sequence[Any] | None,
                   chat: ChatModel | None, k: int, stream: bool) -> Iterator[str | Answer]:
    usage = Usage()
    r = _prepare(question, stores, filters, history, chat, k, usage)
    calculation = _with_calculation(r, stores) if chat is not None and r.support.supported else {}
    if chat is None:
        result = extractive_answer(r, stores)
    elif not r.support.supported:
        result = _refused(r, chat.mode, chat.model, usage, chat.cost(usage), r.support.reason)
    elif stream:
        pieces = []
        for piece in chat.stream(answer_messages(r.standalone, r.hits, r.lang, structured=False), usage,
                                 max_tokens=ANSWER_MAX_TOKENS):
            pieces.append(piece)
            yield piece
        text = "".join(pieces)
        result = _finish(r, chat, text, [], not is_refusal(text), usage)
        result.calculation = calculation if result.answerable else {}
        yield result
        return
    else:
        result = _model_answer(r, chat, usage)
        result.calculation = calculation if result.answerable else {}
    yield result.answer
    yield result


def _with_calculation(r: _Retrieved, stores: Stores) -> dict[str, Any]:
    """The model sees the figure computed from facts as one more numbered passage (its inputs' passages join
    the hits); returns the calculation, or {} when the question asks for no figure the facts give."""
    numeric = numeric_answer(r.analysis, r.hits, stores)
    if numeric is None or not numeric.text:
        return {}
    r.hits = [*numeric.hits, calculation_hit(numeric)]
    return numeric.calculation


def _model_answer(r: _Retrieved, chat: ChatModel, usage: Usage) -> Answer:
    """The model's structured answer; its plain-text answer when the structured reply is malformed."""
    messages = answer_messages(r.standalone, r.hits, r.lang, structured=True)
    parsed, used = chat.invoke_structured(messages, AnswerOut, max_tokens=ANSWER_MAX_TOKENS)
    usage.add(used)
    if parsed is not None:
        return _finish(r, chat, parsed.answer, parsed.citations, parsed.answerable, usage)
    # A malformed function call (small local models): ask again for plain text.
    messages = answer_messages(r.standalone, r.hits, r.lang, structured=False)
    text, used = chat.complete(messages, max_tokens=ANSWER_MAX_TOKENS)
    usage.add(used)
    result = _finish(r, chat, text, [], not is_refusal(text), usage)
    result.warnings.append("The model's structured reply was malformed; its plain-text answer was used.")
    return result


def _headings(hits: Sequence[Hit], stores: Stores) -> list[str]:
    """The section heading each hit continues under, read from the chunks before it on its page."""
    out = []
    for h in hits:
        ord_ = int((h.metadata or {}).get("ord", 0) or 0)
        earlier = []
        if ord_ > 0:
            earlier = [c["text"] for c in stores.keywords.page_chunks(h.doc_name, h.page) if c["ord"] < ord_]
        out.append(carried_heading(h, earlier))
    return out


def extractive_answer(r: _Retrieved, stores: Stores) -> Answer:
    """Answer without a model: the sentences of the passages that answer the question, with a lead in the
    reader's language; citations numbered 1..n in the order the answer cites them."""
    usage = Usage()
    numeric = numeric_answer(r.analysis, r.hits, stores)
    if numeric is not None and numeric.text:
        return _numeric(r, numeric)
    if not r.support.supported:
        return _refused(r, "extractive", "", usage, 0.0, r.support.reason)
    picked = choose_quotes(r.analysis, r.hits, CachedEmbedder(stores.embedder, stores.cache), lang=r.lang,
                           headings=_headings(r.hits, stores), follow_up=r.question)
    if not picked.quotes:
        return _refused(r, "extractive", "", usage, 0.0, picked.reason)
    hits, quotes = renumber(r.hits, picked.quotes)
    text, evidence = compose_answer(quotes, hits, r.question, r.lang, r.analysis, picked.missing)
    cited = list(dict.fromkeys(q.n for q in quotes))
    citations = [Citation.of(n, hits[n - 1], " … ".join(clip(q.text) for q in quotes if q.n == n)) for n in cited]
    report = check_figures(text, _passages(hits), cited=cited)
    confidence = quote_confidence(quotes, picked.covered) * (0.5 + 0.5 * r.support.strength)
    return Answer(
        question=r.question, answer=text, answerable=True, mode="extractive", citations=citations,
        figures=report.to_dict(), tokens=usage.to_dict(), cost_usd=0.0, confidence=round(confidence, 3), lang=r.lang,
        standalone_question=r.standalone, reason=r.support.reason, passages=_passages(hits), evidence=evidence,
    )


def _numeric(r: _Retrieved, numeric: NumericResult) -> Answer:
    """The figure answer computed from facts; its inputs' passages join the numbered hits, renumbered so the answer
    cites [1], [2] … in the order it cites them (never [3] alone)."""
    numeric = _cited_first(numeric)
    report = check_figures(numeric.text, _passages(numeric.hits), cited=numeric.cited)
    return Answer(
        question=r.question, answer=numeric.text, answerable=True, mode="extractive",
        citations=[Citation.of(n, numeric.hits[n - 1]) for n in numeric.cited], figures=report.to_dict(),
        tokens=Usage().to_dict(), cost_usd=0.0, confidence=0.9, lang=r.lang, standalone_question=r.standalone,
        reason="computed from statement facts", passages=_passages(numeric.hits), calculation=numeric.calculation,
    )


def _cited_first(numeric: NumericResult) -> NumericResult:
    """The result with its cited passages numbered first, in the order its text cites them."""
    order = list(dict.fromkeys([*(int(n) for n in _MARKER.findall(numeric.text)), *numeric.cited]))
    order = [n for n in order if 1 <= n <= len(numeric.hits)]
    order += [n for n in range(1, len(numeric.hits) + 1) if n not in order]
    new = {old: i for i, old in enumerate(order, 1)}

    def renumber(m: re.Match[str]) -> str:
        return f"[{new.get(int(m.group(1)), int(m.group(1)))}]"

    calculation = {**numeric.calculation, "inputs": [
        {**i, "citation": new.get(i.get("citation", 0), i.get("citation", 0))}
        for i in numeric.calculation.get("inputs", [])]} if numeric.calculation else {}
    return replace(numeric, text=_MARKER.sub(renumber, numeric.text),
                   hits=[numeric.hits[n - 1] for n in order], cited=[new[n] for n in numeric.cited if n in new],
                   calculation=calculation)
