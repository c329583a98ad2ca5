"""Key figures of a filing from its statement tables: the headline line items for the latest period, beside the
prior one, with the change, in English and Japanese.

Each value is a fact read off a statement table at ingest (rag/store/facts.py), cited to the chunk that holds the
row. Which fact stands for an item at a period: the one from the item's own statement, on the page that holds the
most headline items (the consolidated statement rather than a segment note), printed with the item's own wording,
and repeated most often across the filing.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rag.answers.measures import OUTFLOWS
from rag.figures.facts import Fact
from rag.figures.format import format_figure
from rag.figures.labels import FigureSource, KeyFigureRow
from rag.figures.line_items import (
    item_name,
    line_item,
    load_line_items,
    normalise_label,
)
from rag.schema import Hit
from rag.store.stores import Stores

# Headline items in table order; a tuple is one row, its first item found wins.
HEADLINE: tuple[tuple[str, ...], ...] = (
    ("revenue",), ("operating_income",), ("net_income",), ("eps_diluted",), ("operating_cash_flow",), ("capex",),
    ("cash",), ("long_term_debt",), ("total_assets",), ("shareholders_equity", "total_equity"),
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class _Period:
    """A fact's period as the table shows it: a sort key, the row's period ('2022', '2025Q3', '2022-12-31'), and
    its English and Japanese wording."""

    kind: str  # "year", "quarter" or "balance"
    key: str
    row: str
    en: str
    ja: str


def _period(f: Fact) -> _Period | None:
    if m := re.fullmatch(r"FY((?:19|20)\d\d)", f.period):
        if f.months in (12, -1):
            y = m.group(1)
            return _Period("year", y, y, f"FY{y}", f"{y}年度")
        return None
    if m := re.fullmatch(r"Q([1-4]) ((?:19|20)\d\d)", f.period):
        q, y = m.groups()
        return _Period("quarter", f"{y}Q{q}", f"{y}Q{q}", f"Q{q} {y}", f"{y}年第{q}四半期")
    date = f.period if re.fullmatch(r"\d{4}-\d\d-\d\d", f.period) else f.period_end if f.months == 0 else ""
    if m := re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", date):
        y, mo, d = m.group(1), int(m.group(2)), int(m.group(3))
        return _Period("balance", date, date, f"{d} {_MONTHS[mo - 1]} {y}", f"{y}年{mo}月{d}日")
    return None


def _is_balance(item: str) -> bool:
    """An item read at a date (total assets), not over a period: its first statement is the balance sheet."""
    statements = load_line_items()[item].get("statements") or []
    return bool(statements) and statements[0] == "balance_sheet"


def _item(f: Fact) -> str | None:
    # Labels are read again with today's line items, so a filing ingested before an item was added still has it.
    return f.line_item or line_item(f.label, f.statement, f.section)


def _value(value: float, unit: str, lang: str) -> str:
    if unit.endswith("/share"):  # "$3.23" / "3.23ドル": per-share amounts keep their cents
        cur = unit.split("/")[0]
        sign, amount = "-" if value < 0 else "", f"{abs(value):,.2f}"
        return f"{sign}${amount}" if lang == "en" and cur == "USD" else \
            f"{sign}{amount}{'ドル' if cur == 'USD' else cur}" if lang == "ja" else f"{sign}{amount} {cur}"
    return format_figure(value, unit, lang)


def _change(value: float, prior: float, unit: str, lang: str) -> str:
    """'+6.9%' when both values are positive; otherwise the difference ('-$763 million'), which a loss needs."""
    if value > 0 and prior > 0:
        pct = 100 * (value - prior) / prior
        return f"{pct:+.1f}" + ("％" if lang == "ja" else "%")
    diff = value - prior
    return ("+" if diff >= 0 else "") + _value(diff, unit, lang)


class _Filing:
    """The statement-table facts of a company's filings, and how to pick the fact for an item at a period."""

    def __init__(self, facts: list[Fact], doc_rank: dict[str, int]) -> None:
        self.by_item: dict[str, list[tuple[Fact, _Period]]] = {}
        headline = {i for row in HEADLINE for i in row}
        page_items: dict[tuple[str, int], set[str]] = {}
        for f in facts:
            item, period = _item(f), _period(f)
            if item is None or period is None or f.unit == "%" or f.value == 0:
                continue
            if item in OUTFLOWS:  # "(1,222)" on a cash-flow statement is capital expenditure of $1,222 million
                f = dataclasses.replace(f, value=abs(f.value))
            self.by_item.setdefault(item, []).append((f, period))
            if item in headline:
                page_items.setdefault((f.doc_name, f.page), set()).add(item)
        self.richness = {k: len(v) for k, v in page_items.items()}
        self.doc_rank = doc_rank

    def periods(self, item: str) -> tuple[_Period, _Period | None] | None:
        """The latest period of an item (full years before quarters) and the one before it of the same kind."""
        found = self.by_item.get(item, [])
        if not found:
            return None
        # A balance is read at a date, a flow over a year: each item takes its own kind first. But an older
        # filing's kind must not hide the latest one's: a five-year table's "FY2018" total assets is older than
        # the balance sheet's 31 Dec 2022, so the kind holding the newest year wins.
        prefer = ("balance", "year", "quarter") if _is_balance(item) else ("year", "balance", "quarter")
        newest: dict[str, str] = {}
        for _, p in found:
            newest[p.kind] = max(newest.get(p.kind, ""), p.key[:4])
        annual = [k for k in prefer if k in newest and k != "quarter"]
        top = max((newest[k] for k in annual), default="")
        kind = next((k for k in annual if newest[k] == top), "quarter")
        options = sorted({p.key: p for _, p in found if p.kind == kind}.values(), key=lambda p: p.key, reverse=True)
        latest = options[0]
        prior = None
        if kind == "quarter":  # the same quarter a year earlier
            prior = next((p for p in options if p.key == f"{int(latest.key[:4]) - 1}{latest.key[4:]}"), None)
        return latest, prior or next(iter(options[1:]), None)

    def pick(self, item: str, period: _Period, beside: Fact | None = None) -> Fact | None:
        """The fact that stands for an item at a period, or None; `beside` prefers the same printed row's chunk."""
        found = [f for f, p in self.by_item.get(item, []) if p.key == period.key]
        if not found:
            return None
        entry = load_line_items()[item]
        own = {normalise_label(w) for w in [entry["en"], *entry.get("variants", [])]}
        statements = entry.get("statements") or []
        counts = Counter(round(f.value, 2) for f in found)

        def score(f: Fact) -> tuple[float, int]:
            return (2.0 * bool(statements and f.statement == statements[0]) + 1.5 * (normalise_label(f.label) in own)
                    + 0.4 * min(self.richness.get((f.doc_name, f.page), 0), 6) + 0.5 * min(counts[round(f.value, 2)], 4)
                    + 3.0 * (beside is not None and f.chunk == beside.chunk) - self.doc_rank.get(f.doc_name, 0),
                    -f.page)
        return max(found, key=score)


def statement_rows(stores: Stores, docs: Sequence[dict[str, Any]]
                   ) -> tuple[list[KeyFigureRow], dict[str, Hit], set[str]]:
    """The key-figures rows read off the statement tables of these documents, the hits their rows cite, and the
    documents that have statement tables.

    Documents without statement-table facts contribute nothing (their sentence figures fill the table instead).
    """
    if stores.facts is None or not docs:
        return [], {}, set()
    newest_first = sorted(docs, key=lambda d: str(d.get("period", "")), reverse=True)
    rank = {d["doc_name"]: i for i, d in enumerate(newest_first)}
    facts = stores.facts.of_documents([d["doc_name"] for d in newest_first])
    if not facts:
        return [], {}, set()
    filing = _Filing(facts, rank)
    ends = stores.facts.period_ends(list(rank))
    newer = _newer_filings(newest_first, {f.doc_name for f in facts})
    chosen: list[tuple[str, Fact, _Period, Fact | None, _Period | None]] = []
    for items in HEADLINE:
        for item in items:
            periods = filing.periods(item)
            if periods is None:
                continue
            latest, prior_p = periods
            fact = filing.pick(item, latest)
            if fact is None or newer.get(fact.doc_name):
                continue  # the latest filing lacks it: an older filing's figure would pass for the current one
            prior = filing.pick(item, prior_p, fact) if prior_p else None
            if _is_balance(item):  # a balance is at a date: "31 Dec 2018", not "FY2018"
                latest = _at_year_end(latest, ends.get(fact.doc_name, {}))
                prior_p = _at_year_end(prior_p, ends.get(fact.doc_name, {})) if prior_p else None
            chosen.append((item, fact, latest, prior, prior_p if prior else None))
            break
    chunks = stores.keywords.get_chunks(list(dict.fromkeys(c[1].chunk for c in chosen if c[1].chunk)))
    rows, hits = [], {}
    for item, fact, period, prior, prior_p in chosen:
        c = chunks.get(fact.chunk)
        if c is None:
            continue  # a fact without its chunk cannot be cited
        hits[fact.chunk] = Hit(fact.chunk, c["doc_name"], c["page"], c["text"], 0.0, c["metadata"])
        rows.append(_row(item, fact, period, prior, prior_p))
    return rows, hits, {f.doc_name for f in facts}


def _newer_filings(newest_first: Sequence[dict[str, Any]], with_facts: set[str]) -> dict[str, bool]:
    """doc_name -> whether a newer document of its type (a later 10-K beside a 10-K) has statement facts."""
    seen: set[str] = set()
    out = {}
    for d in newest_first:
        kind = str(d.get("doc_type", ""))
        out[d["doc_name"]] = kind in seen
        if d["doc_name"] in with_facts:
            seen.add(kind)
    return out


def _at_year_end(period: _Period, ends: dict[str, str]) -> _Period:
    """A fiscal year read as the date it ends, when the filing prints that date ('FY2018' -> 31 Dec 2018)."""
    end = ends.get(f"FY{period.key}") if period.kind == "year" else None
    if not end or not (m := re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", end)):
        return period
    y, mo, d = m.group(1), int(m.group(2)), int(m.group(3))
    return _Period("balance", end, end, f"{d} {_MONTHS[mo - 1]} {y}", f"{y}年{mo}月{d}日")


def _row(item: str, fact: Fact, period: _Period, prior: Fact | None, prior_p: _Period | None) -> KeyFigureRow:
    label_en = item_name(item, "en")
    row = KeyFigureRow(
        metric_key=item, label_en=label_en[:1].upper() + label_en[1:], label_ja=item_name(item, "ja"),
        value=fact.value, unit=fact.unit, period=period.row,
        value_en=_value(fact.value, fact.unit, "en"), value_ja=_value(fact.value, fact.unit, "ja"),
        period_en=period.en, period_ja=period.ja, docs=[fact.doc_name],
        source=FigureSource(fact.doc_name, fact.page, fact.chunk, fact.source or fact.label))
    if prior is not None and prior_p is not None:
        row.prior, row.prior_period = prior.value, prior_p.row
        row.prior_en = f"{_value(prior.value, prior.unit, 'en')} ({prior_p.en})"
        row.prior_ja = f"{_value(prior.value, prior.unit, 'ja')}({prior_p.ja})"
        row.change_en = _change(fact.value, prior.value, fact.unit, "en")
        row.change_ja = _change(fact.value, prior.value, fact.unit, "ja")
    return row
