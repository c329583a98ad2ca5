"""Answers shaped like a list: the lines of a section a question asks the items of, one quote per company for
"Which companies …?", and the label of a period whose parts answer for it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rag.answers.attribution import Unit
from rag.answers.reasons import shares
from rag.answers.when import When
from rag.text.months import MONTHS

if TYPE_CHECKING:
    from rag.answers.extractive import Quote


def each_company(scored: Sequence[Quote], words: Sequence[str], asked: set[str], most: int) -> list[Quote] | None:
    """For "Which companies …?": for each company, the quote holding the question's most telling word (the one
    the fewest quotes hold: "backstop" in "Which miners' contracts does Google backstop?") and most of its other
    words, best first; None unless two companies or more have one."""
    held = {w: sum(1 for q in scored if f"word:{w}" in q.aspects) for w in words}
    telling = [w for w, n in held.items() if n]
    if not telling:
        return None
    rarest = min(held[w] for w in telling)
    keys = {f"word:{w}" for w in telling if held[w] == rarest}
    asked_words = {f"word:{w}" for w in telling}
    best: dict[str, tuple[int, float, Quote]] = {}
    for q in scored:
        if keys & q.aspects and q.subject and q.subject not in asked and q.score >= 0.15:
            rank = (len(asked_words & q.aspects), q.score, q)
            if q.subject not in best or rank[:2] > best[q.subject][:2]:
                best[q.subject] = rank
    if len(best) < 2:
        return None
    return [r[2] for r in sorted(best.values(), key=lambda r: r[1], reverse=True)][:most]


def listed_section(items: str, units: Sequence[Unit], scored: Sequence[Quote], most: int = 6) -> list[Quote] | None:
    """For a question asking the items of a list ("What are the main terms of the lease?"), the lines of the
    section headed by that word ("## Terms": capacity, delivery, term, revenue …), in order, when one scores near
    the best unit; None when no passage has such a section of two lines or more."""
    if not items or not scored:
        return None
    top = max(q.score for q in scored)
    sections: dict[tuple[int, str], list[Quote]] = {}
    for u, q in zip(units, scored, strict=True):
        if u.heading and shares(items, u.heading):
            sections.setdefault((u.n, u.heading), []).append(q)
    best = max((qs for qs in sections.values() if len(qs) >= 2), key=lambda qs: max(q.score for q in qs), default=None)
    if best is None or max(q.score for q in best) < 0.5 * top:
        return None
    return best[:most]


def period_label(w: When, lang: str) -> str:
    """A period as a reader writes it: 2025, 2025年; Q3 2025, 2025年第3四半期; else its months."""
    if w.year is None:
        return ""
    if w.whole_year:
        return f"{w.year}年" if lang == "ja" else str(w.year)
    if w.first % 3 == 1 and w.last == w.first + 2:
        q = (w.first + 2) // 3
        return f"{w.year}年第{q}四半期" if lang == "ja" else f"Q{q} {w.year}"
    if lang == "ja":
        return f"{w.year}年{w.first}〜{w.last}月" if w.first != w.last else f"{w.year}年{w.first}月"
    return " to ".join(dict.fromkeys((f"{MONTHS[w.first - 1]}", f"{MONTHS[w.last - 1]}"))) + f" {w.year}"
