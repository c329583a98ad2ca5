"""Query analysis: which company, period, document type and section a question is about.

A pure function of the question (and of an alias table built from indexed metadata). Works on English and
Japanese questions: Japanese company names, periods (2019年度, 2023年第2四半期) and financial terms (売上高,
設備投資 ...) are recognised, and the keyword side gets English expansions so that a Japanese question can match
an English filing. The pieces live in companies.py, periods.py and vocabulary.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rag.errors import QuestionError
from rag.query.companies import company_matcher
from rag.query.matching import Span, mask
from rag.query.periods import find_latest, find_periods
from rag.query.vocabulary import find_doc_types, read_terms
from rag.text.lang import QUESTION_SHARE, detect_lang
from rag.text.months import MONTHS
from rag.text.normalize import normalize

MAX_QUESTION_CHARS = 2000


@dataclass
class QueryAnalysis:
    """What a question asks about, as retrieval and the answer's checks need it."""

    text: str
    lang: str = "en"
    companies: list[str] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)
    latest: bool = False
    doc_types: list[str] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    expansions: list[str] = field(default_factory=list)
    years: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)


def check_question(question: str | None) -> str:
    """The question without surrounding blanks.

    Raises:
        QuestionError: the question is empty or longer than MAX_QUESTION_CHARS.
    """
    question = (question or "").strip()
    if not question:
        raise QuestionError("The question is empty; type a question about the documents")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(f"The question is {len(question)} characters long; keep it under {MAX_QUESTION_CHARS}")
    return question


def analyze_query(question: str, known_companies: Mapping[str, Sequence[str]] | None = None) -> QueryAnalysis:
    """Analyse a question (English or Japanese) for retrieval routing and keyword search.

    Args:
        question: the user's question.
        known_companies: company key -> aliases of the indexed documents (see
            build_alias_table); merged with the curated list in rag/data/companies.json.

    Returns:
        A QueryAnalysis. Fields that cannot be read confidently stay empty, so callers can
        fall back to an unfiltered search.

    Example:
        >>> a = analyze_query("What was 3M's capex in FY2018?")
        >>> a.companies, a.periods, "cash_flow" in a.intents
        (['3M'], ['2018'], True)
    """
    text = normalize(question or "")
    lang = detect_lang(text, QUESTION_SHARE)
    companies, company_spans = company_matcher(known_companies)(text)
    periods, years, period_spans = find_periods(text)
    doc_types, doc_spans = find_doc_types(text)
    latest_spans = find_latest(text, period_spans)
    month_spans, months = find_months(text)
    terms = read_terms(mask(text, company_spans + period_spans + doc_spans + latest_spans + month_spans), lang)
    return QueryAnalysis(
        text=question,
        lang=lang,
        companies=companies,
        periods=periods,
        latest=bool(latest_spans),
        doc_types=doc_types,
        intents=terms.intents,
        keywords=list(dict.fromkeys(terms.keywords + months)),
        expansions=terms.expansions,
        years=years,
        phrases=terms.phrases,
    )


_MONTH_NAMES = MONTHS
# A month a Japanese question writes with digits: 「2025年11月」「11月22日」 (not 「3か月」, a length of time).
_JA_MONTH = re.compile(r"(?<![\d.,])(1[0-2]|0?[1-9])月(?:(?:[1-9]|[12]\d|3[01])日)?(?![間次])")


def find_months(text: str) -> tuple[list[Span], list[str]]:
    """The months a Japanese question writes with digits, as spans to mask (their digits are no content words:
    "11" meets nothing in an English note) and as the English month names that do ("November")."""
    spans, names = [], []
    for m in _JA_MONTH.finditer(text):
        spans.append(m.span())
        names.append(_MONTH_NAMES[int(m.group(1)) - 1])
    return spans, list(dict.fromkeys(names))


def as_analysis(question: str | QueryAnalysis) -> QueryAnalysis:
    """The analysis itself, or the analysis of a question (with the curated company list only)."""
    return question if isinstance(question, QueryAnalysis) else analyze_query(question)
