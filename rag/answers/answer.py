"""Answers to questions: retrieve, check support, then ask the chat model (or quote the best sentences)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from rag.errors import QuestionError
from rag.answers.extractive import clip, format_quotes, pick_quotes, quote_confidence
from rag.answers.llm import ChatModel, Usage
from rag.answers.prompts import answer_messages, condense_messages, normalize_history, refusal
from rag.query.analyze import analyze_query
from rag.retrieval.hybrid import MAX_QUESTION_CHARS, Filters, HybridRetriever
from rag.schema import Hit
from rag.store.stores import Stores
from rag.answers.grounding import Support, assess_support, cosines, is_refusal, question_words
from rag.figures.verify import FigureReport, check_figures, parse_citations, strip_unknown_citations

log = logging.getLogger(__name__)

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
    citations: list[dict[str, Any]]
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------- the question


def detect_lang(question: str) -> str:
    """'ja' or 'en' for a question."""
    return analyze_query(question).lang


def join_follow_up(question: str, history: Sequence[Any] | None) -> str:
    """The follow-up with the last user question in front, when it looks like a follow-up (no model needed)."""
    turns = normalize_history(history)
    last_user = next((t["content"] for t in reversed(turns) if t["role"] == "user"), "")
    if last_user and (_FOLLOW_UP.search(question) or len(question_words(question).words) < 3):
        return f"{last_user} {question}"[:MAX_QUESTION_CHARS]
    return question


def condense_question(question: str, history: Sequence[Any] | None, chat: ChatModel | None,
                      usage: Usage | None = None) -> str:
    """A standalone query for retrieval: the model rewrites a follow-up; without one, see join_follow_up."""
    turns = normalize_history(history)
    if not turns:
        return question
    if chat is not None:
        text, used = chat.complete(condense_messages(question, turns), max_tokens=120)
        if usage is not None:
            usage.add(used)
        text = re.sub(r"^\s*(standalone question|question)\s*:\s*", "", text.strip(), flags=re.IGNORECASE)
        text = text.strip().strip('"“”「」').strip()
        if text and len(text) <= min(MAX_QUESTION_CHARS, 4 * len(question) + 400):
            return text
        log.info("condensed question rejected chars=%s", len(text))
    return join_follow_up(question, turns)


# ---------------------------------------------------------------- the answer


def _passage_dict(n: int, hit: Hit, quote: str = "") -> dict[str, Any]:
    return {"n": n, "doc_name": hit.doc_name, "page": hit.page, "chunk_id": hit.chunk_id, "text": hit.text,
            "quote": quote, "metadata": dict(hit.metadata or {})}


def _passage_dicts(hits: Sequence[Hit]) -> list[dict[str, Any]]:
    return [{k: v for k, v in _passage_dict(n, h).items() if k != "quote"} for n, h in enumerate(hits, 1)]


def _refused(question: str, standalone: str, lang: str, mode: str, model: str, support: Support | None,
             hits: Sequence[Hit], usage: Usage, cost: float | None, reason: str) -> Answer:
    return Answer(
        question=question, answer=refusal(lang), answerable=False, mode=mode, citations=[],
        figures=FigureReport().to_dict(), tokens=usage.to_dict(), cost_usd=cost,
        confidence=round(1.0 - (support.strength if support else 0.0), 3), lang=lang,
        standalone_question=standalone, model=model, reason=reason,
        passages=_passage_dicts(hits),
    )


def _finish(question: str, standalone: str, lang: str, chat: ChatModel, text: str, listed: Sequence[int],
            answerable: bool, hits: Sequence[Hit], support: Support, usage: Usage) -> Answer:
    """Turn a model's reply into an Answer: drop unknown citations, check figures, score confidence."""
    mode, model, cost = chat.mode, chat.model, chat.cost(usage)
    if not answerable or is_refusal(text):
        return _refused(question, standalone, lang, mode, model, support, hits, usage, cost,
                        "the model found no answer in the passages")
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
    report = check_figures(text, _passage_dicts(hits), cited=cited)
    figures = report.to_dict()
    n_figs = len(report.supported) + len(report.unsupported)
    if report.unsupported:
        warnings.append(f"{len(report.unsupported)} of {n_figs} figures appear in no passage.")
    elsewhere = sum(1 for f in report.supported if not f.cited_ok)
    if elsewhere:
        warnings.append(f"{elsewhere} of {n_figs} figures come from a passage their sentence does not cite.")
    confidence = support.strength * (1.0 - 0.7 * len(report.unsupported) / max(1, n_figs)) * (1.0 if cited else 0.5)
    return Answer(
        question=question, answer=text, answerable=True, mode=mode,
        citations=[_passage_dict(n, hits[n - 1]) for n in cited],
        figures=figures, tokens=usage.to_dict(), cost_usd=cost, confidence=round(confidence, 3), lang=lang,
        dropped_citations=dropped, standalone_question=standalone, model=model, reason=support.reason,
        warnings=warnings, passages=_passage_dicts(hits),
    )


def _prepare(question: str, stores: Stores, filters: Filters | None, history: Sequence[Any] | None,
             chat: ChatModel | None, k: int, usage: Usage):
    question = (question or "").strip()
    if not question:
        raise QuestionError("The question is empty; type a question about the documents")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(f"The question is {len(question)} characters long; keep it under {MAX_QUESTION_CHARS}")
    lang = detect_lang(question)
    retriever = HybridRetriever(stores)
    # The model's rewrite first; if the passages don't support it (a small model can garble it), the plain
    # join of the last question and the follow-up.
    candidates = [condense_question(question, history, chat, usage)]
    if history:
        candidates.append(join_follow_up(question, history))
    for standalone in dict.fromkeys(candidates):
        hits = retriever.search(standalone, k, filters)
        sims = cosines(stores.embedder, standalone, [h.text for h in hits])
        support = assess_support(standalone, hits, sims, lang)
        if support.supported:
            break
    log.info("answer lang=%s hits=%s supported=%s similarity=%.3f coverage=%.2f", lang, len(hits),
             support.supported, support.similarity, support.coverage)
    return question, lang, standalone, hits, support


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
        >>> a.answer, [c["doc_name"] for c in a.citations]
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


def _answer_events(question, stores, filters, history, chat, k, stream) -> Iterator[str | Answer]:
    usage = Usage()
    question, lang, standalone, hits, support = _prepare(question, stores, filters, history, chat, k, usage)
    if chat is None:
        result = extractive_answer(question, standalone, lang, stores, hits, support)
        yield result.answer
        yield result
        return
    if not support.supported:
        result = _refused(question, standalone, lang, chat.mode, chat.model, support, hits, usage, chat.cost(usage),
                          support.reason)
        yield result.answer
        yield result
        return
    if stream:
        pieces = []
        messages = answer_messages(standalone, hits, lang, structured=False)
        for piece in chat.stream(messages, usage, max_tokens=ANSWER_MAX_TOKENS):
            pieces.append(piece)
            yield piece
        text = "".join(pieces)
        yield _finish(question, standalone, lang, chat, text, [], not is_refusal(text), hits, support, usage)
        return
    messages = answer_messages(standalone, hits, lang, structured=True)
    parsed, used = chat.invoke_structured(messages, AnswerOut, max_tokens=ANSWER_MAX_TOKENS)
    usage.add(used)
    if parsed is None:  # a malformed function call (small local models): ask again for plain text
        messages = answer_messages(standalone, hits, lang, structured=False)
        text, used = chat.complete(messages, max_tokens=ANSWER_MAX_TOKENS)
        usage.add(used)
        result = _finish(question, standalone, lang, chat, text, [], not is_refusal(text), hits, support, usage)
        result.warnings.append("The model's structured reply was malformed; its plain-text answer was used.")
    else:
        result = _finish(question, standalone, lang, chat, parsed.answer, parsed.citations, parsed.answerable,
                         hits, support, usage)
    yield result.answer
    yield result


def extractive_answer(question: str, standalone: str, lang: str, stores: Stores, hits: Sequence[Hit],
                      support: Support) -> Answer:
    """Answer without a model: the best supporting sentences of the passages, quoted with their [n]."""
    usage = Usage()
    if not support.supported:
        return _refused(question, standalone, lang, "extractive", "", support, hits, usage, 0.0, support.reason)
    quotes = pick_quotes(standalone, hits, stores.embedder)
    if not quotes:
        return _refused(question, standalone, lang, "extractive", "", support, hits, usage, 0.0,
                        "the passages hold no quotable sentence")
    text = format_quotes(quotes, lang)
    cited = list(dict.fromkeys(q.n for q in quotes))
    citations = [_passage_dict(n, hits[n - 1], " … ".join(clip(q.text) for q in quotes if q.n == n)) for n in cited]
    report = check_figures(text, _passage_dicts(hits), cited=cited)
    confidence = quote_confidence(quotes) * (0.5 + 0.5 * support.strength)
    return Answer(
        question=question, answer=text, answerable=True, mode="extractive", citations=citations,
        figures=report.to_dict(), tokens=usage.to_dict(), cost_usd=0.0, confidence=round(confidence, 3), lang=lang,
        standalone_question=standalone, reason=support.reason, passages=_passage_dicts(hits),
    )
