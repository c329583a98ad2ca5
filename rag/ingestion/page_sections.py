"""Classify filing pages by the section they belong to, from their structure alone.

A page gets a label when it shows the section: a statement title or section heading on a
line of its own, or several characteristic table row labels ("Total current assets ...").
A sentence that merely mentions "the balance sheet" is not enough. What each section looks
like is in `sections`; this module weighs what a page shows and carries long sections
(risk factors, MD&A) from page to page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.ingestion.sections import (
    CARRIED,
    ENDS_CARRY,
    INTENTS,
    STATEMENTS,
    ends_in_figure,
    heading_labels,
    is_contents_line,
    is_formal_title,
    is_heading,
    prose_scores,
    row_labels,
)
from rag.text.normalize import squash
from rag.text.tables import is_numeric_row

THRESHOLD = 3.0
_TOP_LINES = 8
_MAX_CARRY_PAGES = 60


@dataclass
class _Scan:
    """What the lines of one page show, before weighing."""

    scores: dict[str, float] = field(default_factory=dict)
    events: list[tuple[str, str | None, int]] = field(default_factory=list)
    row_hits: dict[str, set[str]] = field(default_factory=dict)
    page_number_lines: int = 0
    titled_page_number_lines: int = 0
    item_lines: int = 0
    table_rows: int = 0

    @property
    def toc(self) -> bool:
        """A table of contents: item lines and page numbers, or titled lines ending in page numbers."""
        return (self.item_lines >= 4 and self.page_number_lines >= 3) or self.titled_page_number_lines >= 3


def table_density(text: str) -> float:
    """Share of non-empty lines that look like rows of a numeric table."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return sum(map(is_numeric_row, lines)) / len(lines) if lines else 0.0


def _heading_weight(label: str, weight: float, idx: int, sq: str) -> float | None:
    """A heading's weight by where it sits: None to ignore it.

    Titles at the top of the page say what the page is; lower ones open a new part of it,
    and a bare "Statement of Earnings" low on a page is usually a column caption.
    """
    if label in STATEMENTS and idx >= _TOP_LINES:
        return weight - 1.0 if is_formal_title(sq) else None
    return weight


def _scan_heading(scan: _Scan, idx: int, line: str, sq: str, ends_with_page: bool) -> None:
    if ends_with_page:
        # A contents line: read its title without the page number.
        line = line.rsplit(None, 1)[0]
        sq = squash(line)
    found, item = heading_labels(line, sq)
    if item or (sq.startswith("part") and len(sq) <= 12):
        scan.item_lines += 1
    if item:
        opened = [lab for lab, _, opens in found if opens and lab in CARRIED]
        scan.events.append(("item", opened[-1] if opened else None, idx))
    if found and ends_with_page:
        scan.titled_page_number_lines += 1
    for label, weight, opens in found:
        placed = _heading_weight(label, weight, idx, sq)
        if placed is None:
            continue
        if not item:
            scan.events.append(("open" if opens else "heading", label, idx))
        scan.scores[label] = max(scan.scores.get(label, 0.0), placed)


def _scan(lines: list[str]) -> _Scan:
    scan = _Scan()
    for idx, line in enumerate(lines):
        sq = squash(line)
        if not sq:
            continue
        if ends_in_figure(line):
            scan.table_rows += is_numeric_row(line)
            for label, caption in row_labels(sq):
                scan.row_hits.setdefault(label, set()).add(caption)
        ends_with_page = is_contents_line(line)
        scan.page_number_lines += ends_with_page
        if is_heading(line):
            _scan_heading(scan, idx, line, sq, ends_with_page)
    return scan


def _add_row_scores(scores: dict[str, float], row_hits: dict[str, set[str]]) -> None:
    """Add a point per distinct characteristic row label (up to 6) to each section's score."""
    captions = row_hits.pop("balance_sheet_captions", set())
    if captions and len(row_hits.get("cash_flow", ())) < 3:
        row_hits.setdefault("balance_sheet", set()).update(captions)
    titled = {k for k in STATEMENTS if scores.get(k, 0.0) >= 4.0}
    if titled:
        # "Commitments and contingencies" is a caption line on a balance sheet, not a legal section.
        scores.pop("legal", None)
    for label, hits in row_hits.items():
        if titled and label in STATEMENTS and label not in titled:
            # A cash flow statement lists balance sheet captions as changes; its title decides.
            continue
        scores[label] = scores.get(label, 0.0) + min(len(hits), 6)


def page_signals(text: str) -> dict[str, Any]:
    """Everything classify_page looks at, for one page.

    Returns a dict: labels (strongest first), scores (label -> score), events (the page's
    recognised headings in order, as (kind, label, line index): kind "item" for an item
    heading (label None unless it opens a running section), "open" for a heading that opens
    one, "heading" otherwise), toc, table_density.
    """
    lines = [ln for ln in (raw.strip() for raw in text.splitlines()) if ln]
    scan = _scan(lines)
    density = scan.table_rows / max(len(lines), 1)
    if scan.toc:
        return {"labels": [], "scores": {}, "events": [], "toc": True, "table_density": density}
    scores = scan.scores
    _add_row_scores(scores, scan.row_hits)
    for label, bonus in prose_scores(" ".join(lines).lower()).items():
        scores[label] = scores.get(label, 0.0) + bonus
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], INTENTS.index(kv[0])))
    return {
        "labels": [k for k, v in ranked if v >= THRESHOLD],
        "scores": scores,
        "events": scan.events,
        "toc": False,
        "table_density": density,
    }


def classify_page(text: str) -> list[str]:
    """Section labels (from INTENTS) that a page's own structure shows, strongest first."""
    if not text or not text.strip():
        return []
    return page_signals(text)["labels"]


def _opens_at_top(events: list[tuple[str, str | None, int]]) -> bool:
    """Does a new section (or a statement) open at the top of the page?"""
    return any(idx < _TOP_LINES and (kind in ("item", "open") or label in ENDS_CARRY)
               for kind, label, idx in events[:1])


def _next_state(state: str | None, since: int, events: list[tuple[str, str | None, int]]) -> tuple[str | None, int]:
    """The running section after a page's headings, and how many pages it has run."""
    for kind, label, _ in events:
        if kind == "item" or (kind == "open" and label in CARRIED):
            state, since = (label if label in CARRIED else None), 0
        elif label in ENDS_CARRY:
            state = None
    return state, since + 1


def classify_pages(texts: Sequence[str]) -> list[list[str]]:
    """Label every page of one document, carrying long sections (risk factors, MD&A ...) forward.

    A page inherits the running section (opened by an "Item 1A. Risk Factors" or
    "Management's Discussion and Analysis" heading) until another item heading, a financial
    statement, a table of contents, or 60 pages pass. Returns one label list per page (the
    page's own labels first, then the running section); store it as page metadata at ingest.
    """
    out: list[list[str]] = []
    state: str | None = None
    since = 0
    for text in texts:
        if not text or not text.strip():
            out.append([])
            continue
        sig = page_signals(text)
        labels = list(sig["labels"])
        if sig["toc"]:
            state = None  # an index of statements or items closes the section before it
            out.append(labels)
            continue
        # The running section covers the page unless a new section (or a statement) opens at its top.
        if state and since < _MAX_CARRY_PAGES and state not in labels and not _opens_at_top(sig["events"]):
            labels.append(state)
        state, since = _next_state(state, since, sig["events"])
        out.append(labels)
    return out
