"""The pure steps after the searches: fuse the ranked lists, rescore by metadata, spread over pages, make hits.

Every function here is a function of its inputs: ranked chunk ids, chunk rows as the keyword index returns
them ({"doc_name", "page", "text", "metadata"}), and what the question asks for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rag.ingestion.sections import STATEMENTS
from rag.query.periods import DATED_BY_WRITING, find_periods, period_matches
from rag.schema import Hit

Rows = Mapping[str, Mapping[str, Any]]

# The statement boost was measured with the three primary statements; the equity and comprehensive-income
# statements stay ordinary section matches.
PRIMARY_STATEMENTS = frozenset(STATEMENTS) - {"equity_statement", "comprehensive_income"}


@dataclass(frozen=True)
class Boosts:
    """What a chunk's fused score gains (as a share of itself) when its metadata matches the question."""

    period: float = 0.6
    doc_type: float = 0.2
    section: float = 0.5
    statement: float = 0.5  # a metric question prefers the primary statement page to MD&A prose


@dataclass(frozen=True)
class Wanted:
    """What the question asks for, as the rescoring compares it with chunk metadata."""

    periods: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()


def rrf(rankings: Mapping[str, Sequence[str]], weights: Mapping[str, float], k: int = 60) -> dict[str, float]:
    """Weighted reciprocal-rank fusion: sum over rankings of weight / (k + rank)."""
    scores: dict[str, float] = {}
    for name, ids in rankings.items():
        w = weights.get(name, 1.0)
        for rank, cid in enumerate(ids, start=1):
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank)
    return scores


def sections_of(row: Mapping[str, Any]) -> list[str]:
    """The section labels of a chunk row, most specific first."""
    return str(row["metadata"].get("section", "")).split(",")


def section_ranking(ranked: Iterable[str], rows: Rows, intents: Iterable[str]) -> list[str]:
    """The ranked ids cut to chunks labelled with one of the question's sections (statement, MD&A, ...)."""
    wanted = set(intents)
    return [c for c in ranked if c in rows and wanted & set(sections_of(rows[c]))]


def latest_period(rows: Rows, periods: Mapping[str, str]) -> list[str]:
    """The latest period among the chunks' documents (periods: doc_name -> period), as a one-item list."""
    found = sorted({periods[r["doc_name"]] for r in rows.values() if r["doc_name"] in periods})
    return found[-1:]


@lru_cache(maxsize=8192)
def _periods_named(text: str) -> tuple[str, ...]:
    return tuple(find_periods(text)[0])


def period_fits(meta: Mapping[str, Any], text: str, wanted: Sequence[str]) -> bool:
    """Whether a chunk is of a period asked for: its document's period, or (for a note or an article, see
    DATED_BY_WRITING) a period its own text names."""
    if period_matches(str(meta.get("period", "")), wanted):
        return True
    return str(meta.get("doc_type", "")).lower() in DATED_BY_WRITING and any(
        period_matches(p, wanted) for p in _periods_named(text))


def boost(meta: Mapping[str, Any], labels: Sequence[str], wanted: Wanted, boosts: Boosts, text: str = "") -> float:
    """The factor a chunk's score is multiplied by: 1 plus a boost per match of period, type and section."""
    factor = 1.0
    if wanted.periods and period_fits(meta, text, wanted.periods):
        factor += boosts.period
    if wanted.doc_types and str(meta.get("doc_type", "")).lower() in wanted.doc_types:
        factor += boosts.doc_type
    if wanted.intents and set(labels) & set(wanted.intents):
        factor += boosts.section
        if labels[0] in PRIMARY_STATEMENTS and labels[0] in wanted.intents and "mdna" not in labels:
            factor += boosts.statement
    return factor


def rescore(fused: Mapping[str, float], rows: Rows, wanted: Wanted, boosts: Boosts) -> dict[str, float]:
    """Fused scores with each known chunk boosted by its metadata (order of the input kept)."""
    return {cid: score * boost(rows[cid]["metadata"], sections_of(rows[cid]), wanted, boosts,
                               str(rows[cid].get("text") or "")) if cid in rows
            else score for cid, score in fused.items()}


def best_first(scores: Mapping[str, float], rows: Rows) -> list[str]:
    """The ids that have a row, highest score first (ties keep their order)."""
    return [cid for cid in sorted(scores, key=lambda c: scores[c], reverse=True) if cid in rows]


# Files without real pages: a note is one long "page", and its chunks are its sections.
_UNPAGINATED = (".md", ".markdown", ".txt", ".text", ".html", ".htm")


def _slots(row: Mapping[str, Any]) -> int:
    """Chunks of one page that go before any page repeats: one for a paginated document, two for a text note,
    whose single "page" holds all its sections (so a second section can still answer)."""
    source = str((row.get("metadata") or {}).get("source", "")).lower()
    return 2 if source.endswith(_UNPAGINATED) else 1


def diversify(ranked: Sequence[str], rows: Rows) -> list[str]:
    """One chunk per page (two per text note) before any page repeats; otherwise the order is kept."""
    first: list[str] = []
    rest: list[str] = []
    seen: dict[tuple[str, int], int] = {}
    for cid in ranked:
        page = (rows[cid]["doc_name"], rows[cid]["page"])
        (rest if seen.get(page, 0) >= _slots(rows[cid]) else first).append(cid)
        seen[page] = seen.get(page, 0) + 1
    return first + rest


def make_hits(ranked: Sequence[str], scores: Mapping[str, float], rows: Rows,
              rankings: Mapping[str, Sequence[str]]) -> list[Hit]:
    """Hits for the ranked ids, each with the position it had in every list that held it."""
    positions = {name: {cid: i + 1 for i, cid in enumerate(ids)} for name, ids in rankings.items()}
    hits = []
    for cid in ranked:
        row = rows[cid]
        ranks = {name: pos[cid] for name, pos in positions.items() if cid in pos}
        hits.append(Hit(cid, row["doc_name"], row["page"], row["text"], scores[cid], dict(row["metadata"]), ranks))
    return hits
