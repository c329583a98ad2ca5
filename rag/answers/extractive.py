"""Extractive answers (no model): the best supporting sentences or table lines of the passages, quoted."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answers.grounding import (
    cosines,
    coverage,
    hit_haystack,
    mentions,
    question_words,
    required_terms,
    word_overlap,
)
from rag.figures.parse import CURRENCIES, PERCENT_UNITS, parse_figures
from rag.query.analyze import QueryAnalysis, as_analysis
from rag.schema import Hit
from rag.store.embeddings import Embedder
from rag.text.lang import KANA_KANJI
from rag.text.sentences import clean_unit, split_units

LEAD_IN = {"en": "According to the documents:", "ja": "資料によると:"}

_NUMBER = re.compile(r"\d")
_ASKS = {
    "currency": re.compile(
        r"\b(how much|amount|costs?|price|proceeds|raised?|revenues?|sales|income|loss|spen[dt]|paid|pay|worth|cash|"
        r"capex|debt|profit|earnings)\b|いくら|金額|ドル|円|売上|収益|利益|損失|調達|費用|価格",
        re.IGNORECASE,
    ),
    "percent": re.compile(
        r"\b(percent|percentage|margin|growth rate|share of)\b|%|％|何\s*[%％]|パーセント|割合|率", re.IGNORECASE
    ),
    "count": re.compile(
        r"\b(how many|number of)\b|何人|何件|いくつ|何基|何台|何枚|何個|何社|枚数|台数|件数|数は", re.IGNORECASE
    ),
}


def asked_kinds(question: str) -> set[str]:
    """The kinds of figure a question asks for: 'currency', 'percent', 'count' (empty for none)."""
    return {kind for kind, pat in _ASKS.items() if pat.search(question)}


def figure_kinds(text: str) -> set[str]:
    """The kinds of figure a sentence carries (years and dates are not figures)."""
    kinds = set()
    for fig in parse_figures(text):
        if fig.unit in PERCENT_UNITS:
            kinds.add("percent")
        elif fig.unit in CURRENCIES:
            kinds.add("currency")
        else:
            kinds.add("count")
    return kinds


def _long_enough(unit: str) -> bool:
    if KANA_KANJI.search(unit):
        return len(unit) >= 12
    return len(unit.split()) >= 4 or bool(_NUMBER.search(unit) and len(unit) >= 8)


def clip(unit: str, limit: int = 400) -> str:
    return unit if len(unit) <= limit else unit[:limit].rsplit(" ", 1)[0] + " …"


@dataclass
class Quote:
    """One quoted unit: the passage number, the text, and its score."""

    n: int
    text: str
    score: float


def pick_quotes(question: str | QueryAnalysis, hits: Sequence[Hit], embedder: Embedder, max_quotes: int = 3,
                max_passages: int = 2) -> list[Quote]:
    """The best supporting sentences or table lines of the passages, best first ([] when none is quotable).

    Each unit is scored by its cosine with the question (0.55), the share of the question's content words it
    holds (0.30), whether it carries the kind of figure asked for (0.15), and whether its passage names what the
    question names (0.10); better-ranked passages get a small bonus and units past 40 words a small penalty.
    Units within 80% of the best are quoted, at most `max_quotes` from at most `max_passages` passages.
    """
    units = [(n, c) for n, h in enumerate(hits, 1) for u in split_units(h.text) if _long_enough(c := clean_unit(u))]
    if not units:
        return []
    analysis = as_analysis(question)
    cos = cosines(embedder, analysis.text, [u for _, u in units])
    terms, kinds = question_words(analysis), asked_kinds(analysis.text)
    # Names the question mentions often sit in a heading or the metadata, not in the sentence itself.
    names = [t for t in required_terms(analysis) if not t.isdigit()] + analysis.companies
    in_passage = {n: sum(mentions(name, hit_haystack(h)) for name in names) / len(names) if names else 0.0
                  for n, h in enumerate(hits, 1)}
    scored = []
    for (n, unit), c in zip(units, cos, strict=True):
        fig = 1.0 if kinds and kinds & figure_kinds(unit) else 0.0
        length = max(0, len(unit.split()) - 40) / 40
        score = (0.55 * float(c) + 0.30 * coverage(terms, unit) + 0.15 * fig + 0.10 * in_passage[n] + 0.03 / n
                 - 0.05 * min(2.0, length))
        scored.append(Quote(n, unit, score))
    scored.sort(key=lambda q: q.score, reverse=True)
    best = scored[0].score
    chosen: list[Quote] = []
    for q in scored:
        if len(chosen) == max_quotes or (chosen and q.score < max(0.8 * best, 0.15)):
            break
        if len({c.n for c in chosen} | {q.n}) > max_passages or any(word_overlap(q.text, c.text) > 0.8 for c in chosen):
            continue
        chosen.append(q)
    return chosen


def format_quotes(quotes: Sequence[Quote], lang: str) -> str:
    """The lead-in in the question's language, then one quoted line with its [n] per quote."""
    mark = (lambda u: f"「{u}」") if lang == "ja" else (lambda u: f"\"{u}\"")
    return "\n".join([LEAD_IN.get(lang, LEAD_IN["en"])] + [f"{mark(clip(q.text))} [{q.n}]" for q in quotes])


def quote_confidence(quotes: Sequence[Quote]) -> float:
    """0–1 from the best quote's score (0.15 or less: nothing; 0.6 or more: full)."""
    return min(1.0, max(0.0, (quotes[0].score - 0.15) / 0.45)) if quotes else 0.0

