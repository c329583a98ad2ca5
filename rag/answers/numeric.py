"""Numbers answered from facts: a question that asks for a line item or a standard measure gets the figure, the
line items it comes from and the calculation, each input cited — or nothing, and the quotes answer instead.

    >>> result = numeric_answer(analysis, hits, stores)   # "What was 3M's capex in FY2018 (USD millions)?"
    >>> result.text
    "3M's capital expenditure in FY2018 was **$1,577 million** (Purchases of property, plant and equipment ..."

Which fact stands for an input: the company's facts of that line item and year, scored for coming from the filing
of that fiscal year, from a page retrieval found, from the item's own statement, and for agreeing with the same
figure printed elsewhere. Nothing here knows any benchmark's answers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.answers.definitions import defined_measure
from rag.answers.measures import OUTFLOWS, Input, Measure, find_measure, role_key
from rag.answers.numeric_text import Request, read_request, render_answer, unsettled, verdict, yes_no_test
from rag.figures.facts import Fact
from rag.figures.line_items import load_line_items, normalise_label
from rag.figures.verify import CALCULATION
from rag.query.analyze import QueryAnalysis
from rag.schema import Hit
from rag.store.stores import Stores

log = logging.getLogger(__name__)

# Printed as deductions "(491)" by some filings and not by others: their size is the figure.
_MAGNITUDES = OUTFLOWS | {"income_tax"}
OPTIONAL = frozenset({"short_term_investments", "short_term_debt"})  # counted as nil when a filing has none


@dataclass
class Used:
    """One input as the calculation used it: which fact, at which year, and the passage [n] it is cited by."""

    role: str
    fact: Fact
    year: int
    n: int = 0


@dataclass
class NumericResult:
    """A figure answer (text, the hits it cites, the calculation), or what was missing when there is none."""

    text: str = ""
    hits: list[Hit] = field(default_factory=list)
    cited: list[int] = field(default_factory=list)
    calculation: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    note: str = ""


class _Lookup:
    """The facts of one company for one question, and how to pick the fact for an item at a year."""

    def __init__(self, stores: Stores, company: str, hits: Sequence[Hit]) -> None:
        self.stores, self.company = stores, company
        self.hit_docs = {h.doc_name for h in hits}
        self.hit_pages = {(h.doc_name, h.page) for h in hits}
        self.docs = {d["doc_name"]: d for d in stores.keywords.list_documents()  # a half-deleted one is never cited
                     if d["status"] == "complete" and company in str(d.get("company_key", "")).split(",")}
        self.ends = stores.facts.period_ends(sorted(self.docs)) if stores.facts else {}
        self._cache: dict[str, list[Fact]] = {}
        self.quarter = 0  # set when the question asks for a fiscal quarter: pick() then reads 10-Q columns
        self._q_ends: dict[str, dict[str, str]] | None = None
        self._split: set[tuple[str, int, str]] = set()
        self._primary_pages: dict[str, set[tuple[str, int]]] = {}

    def facts(self, item: str) -> list[Fact]:
        if item not in self._cache:
            found = self.stores.facts.find([item], sorted(self.docs)) if self.stores.facts and self.docs else []
            # A page printing one item for one period twice with different values splits the company (parent,
            # guarantors, eliminations ...): none of its cells is the company's own figure.
            values: dict[tuple[str, int, str], set[float]] = {}
            for f in found:
                values.setdefault((f.doc_name, f.page, f.period), set()).add(round(f.value, 2))
            self._split |= {key for key, vals in values.items() if len(vals) > 1}
            self._cache[item] = [f for f in found if f.value != 0 and f.unit != "%"]
        return self._cache[item]

    def _primary(self, statement: str) -> set[tuple[str, int]]:
        """The pages of each filing that print the statement itself: the first page carrying nearly as many of its
        line items as any page does (the notes' condensed and parent-only copies come later), and the page after."""
        if statement not in self._primary_pages:
            items = [k for k, v in load_line_items().items() if (v.get("statements") or [""])[0] == statement]
            found = self.stores.facts.find(items, sorted(self.docs)) if self.stores.facts and self.docs else []
            per_page: dict[tuple[str, int], set[str]] = {}
            for f in found:
                if f.statement == statement and f.line_item:
                    per_page.setdefault((f.doc_name, f.page), set()).add(f.line_item)
            pages: set[tuple[str, int]] = set()
            for doc in {d for d, _ in per_page}:
                mine = {p: len(items) for (d, p), items in per_page.items() if d == doc}
                first = min(p for p, n in mine.items() if 3 * n >= 2 * max(mine.values()))
                pages |= {(doc, first), (doc, first + 1)}
            self._primary_pages[statement] = pages
        return self._primary_pages[statement]

    def years(self, item: str) -> list[int]:
        """Fiscal years the company's facts of this item cover, newest first."""
        return sorted({y for f in self.facts(item) if (y := self._year(f)) is not None}, reverse=True)

    def _year(self, f: Fact) -> int | None:
        if f.months == 0 or re.fullmatch(r"\d{4}-\d\d-\d\d|FY\d{4} end", f.period):
            ends = {end: int(p[2:]) for p, end in self.ends.get(f.doc_name, {}).items() if p.startswith("FY")}
            if f.period in ends:
                return ends[f.period]
            m = re.match(r"(?:FY)?(\d{4})", f.period)
            return int(m.group(1)) if m else None
        m = re.fullmatch(r"FY(\d{4})", f.period)
        return int(m.group(1)) if m and f.months in (12, -1) else None

    def _in_quarter(self, f: Fact, year: int) -> bool:
        """Is the fact the quarter's own figure, or a balance at the quarter's end, of fiscal `year`?"""
        label = f"Q{self.quarter} {year}"
        if f.months == 3:
            return f.period == label
        if self._q_ends is None:
            self._q_ends = self.stores.facts.period_ends(sorted(self.docs), months=3) if self.stores.facts else {}
        return f.months in (0, -1) and f.period == self._q_ends.get(f.doc_name, {}).get(label)

    def pick(self, item: str, year: int) -> Fact | None:
        """The best fact of an item for a fiscal year (or its quarter, when one is asked), or None."""
        if self.quarter:
            found = [f for f in self.facts(item) if self._in_quarter(f, year)]
        else:
            found = [f for f in self.facts(item) if self._year(f) == year]
        if not found:
            return None
        counts: dict[float, int] = {}
        for f in found:
            counts[round(f.value, 2)] = counts.get(round(f.value, 2), 0) + 1
        return max(found, key=lambda f: (self._score(f, item, year) + 0.5 * min(counts[round(f.value, 2)], 4), -f.page))

    def _score(self, f: Fact, item: str, year: int) -> float:
        doc = self.docs.get(f.doc_name, {})
        statements = load_line_items()[item].get("statements") or []
        score = 0.0
        if str(doc.get("period", "")) == str(year) and str(doc.get("doc_type", "")).lower() == "10k":
            score += 3
        score += 1.5 * (f.doc_name in self.hit_docs) + 2 * ((f.doc_name, f.page) in self.hit_pages)
        score += 2 * bool(statements and f.statement == statements[0])
        if statements and f.statement == statements[0]:
            score += 3 * ((f.doc_name, f.page) in self._primary(statements[0]))
        score -= 4 * ((f.doc_name, f.page, f.period) in self._split)
        label = normalise_label(f.label)
        entry = load_line_items()[item]
        if label in {normalise_label(v) for v in [entry["en"], *entry.get("variants", [])]}:
            score += 1
        if item == "ppe_net" and re.search(r"\bnet\b", label):
            score += 1.5
        return score


def _company(analysis: QueryAnalysis, hits: Sequence[Hit]) -> str:
    if analysis.companies:
        return analysis.companies[0]
    keys = [str(h.metadata.get("company_key", "")) for h in hits[:3]]
    return keys[0].split(",")[0] if keys and len(set(keys)) == 1 else ""


def _inputs_at(measure: Measure, year: int, lookup: _Lookup) -> tuple[dict[str, float], list[Used], list[str]]:
    """The values of a measure's inputs at a fiscal year, the facts used and the inputs not found."""
    values: dict[str, float] = {}
    used: list[Used] = []
    missing: list[str] = []
    for inp in measure.inputs:
        years = [year, year - 1] if inp.average else [year + inp.at]
        got = [_one(inp, y, lookup) for y in years]
        if any(g is None for g in got):
            if inp.role in OPTIONAL:
                values[role_key(inp)] = 0.0
                continue
            missing.append(f"{inp.role} FY{years[[g is None for g in got].index(True)]}")
            continue
        facts = [g for g in got if g is not None]
        vals = [abs(f.value) if f.line_item in _MAGNITUDES else f.value for f in facts]
        values[role_key(inp)] = sum(vals) / len(vals)
        used += [Used(role_key(inp), f, y) for f, y in zip(facts, years)]
    return values, used, missing


def _one(inp: Input, year: int, lookup: _Lookup) -> Fact | None:
    for item in inp.items:
        if (f := lookup.pick(item, year)) is not None:
            return f
    return None


def _compute(measure: Measure, request: Request, lookup: _Lookup) -> tuple[float, list[Used], list[str], dict[int, float]]:
    """The figure asked for over the request's years: the measure itself, its change, growth, average or CAGR."""
    per_year: dict[int, float] = {}
    used: list[Used] = []
    missing: list[str] = []
    for y in request.years:
        values, u, miss = _inputs_at(measure, y, lookup)
        if miss:
            missing += miss
            continue
        try:
            per_year[y] = measure.formula(values)
        except (ZeroDivisionError, KeyError) as exc:
            missing.append(f"{measure.key} FY{y} ({exc})")
            continue
        used += u
    if missing:
        return 0.0, used, missing, per_year
    ys = request.years
    if request.mode == "average":
        return sum(per_year.values()) / len(per_year), used, [], per_year
    if request.mode == "change":
        return per_year[ys[-1]] - per_year[ys[0]], used, [], per_year
    if request.mode in ("growth", "cagr"):
        start, end = per_year[ys[0]], per_year[ys[-1]]
        if start <= 0 or end < 0 and request.mode == "cagr":
            return 0.0, used, [f"{measure.key} FY{ys[0]} (not positive)"], per_year
        n = ys[-1] - ys[0] if request.mode == "cagr" else 1
        return 100 * ((end / start) ** (1 / n) - 1), used, [], per_year
    return per_year[ys[-1]], used, [], per_year


def _plausible(measure: Measure, value: float) -> bool:
    """Refuse figures no filing produces: a margin over 100%, a day count over ten years."""
    if measure.unit == "percent":
        return abs(value) <= 100
    if measure.unit == "days":
        return abs(value) <= 3650
    return True


def numeric_answer(analysis: QueryAnalysis, hits: Sequence[Hit], stores: Stores) -> NumericResult | None:
    """The figure a question asks for, computed from the company's facts; None when it asks for none.

    A result without text names the inputs that could not be found (the caller quotes instead).
    """
    if stores.facts is None:
        return None
    measure = defined_measure(analysis.text) or find_measure(analysis.text)
    company = _company(analysis, hits)
    if measure is None or not company:
        return None
    plain = measure.key in load_line_items() and measure.unit in ("money", "per_share")
    if why := unsettled(analysis.text, plain):
        log.info("numeric answer declined measure=%s reason=%s", measure.key, why)
        return None
    lookup = _Lookup(stores, company, hits)
    request = read_request(analysis, measure, lookup.years(measure.inputs[0].items[0]))
    if request is None:
        return NumericResult(missing=[f"{measure.key}: no year"])
    test = yes_no_test(analysis.text)
    if test == "direction" and request.mode not in ("change", "growth"):
        return NumericResult(missing=[f"{measure.key}: a direction needs two years"])
    if request.quarter and any(i.average or i.at for i in measure.inputs):
        return NumericResult(missing=[f"{measure.key}: needs the quarter before"])
    lookup.quarter = request.quarter
    value, used, missing, per_year = _compute(measure, request, lookup)
    if missing or not _plausible(measure, value):
        log.info("numeric answer missing measure=%s company=%s missing=%s", measure.key, company, missing)
        return NumericResult(missing=missing or [f"{measure.key}: implausible {value:.4g}"])
    hits_out, cited = _cite(used, list(hits), stores)
    text, calculation = render_answer(analysis.lang, _display_name(lookup, used, company), measure, request, value,
                                      used, per_year)
    if test:  # a yes/no question leads with its answer, the figure that settles it after
        text = f"{verdict(test, analysis.text, value, analysis.lang)}{'' if analysis.lang == 'ja' else ' '}{text}"
    return NumericResult(text=text, hits=hits_out, cited=cited, calculation=calculation)


def _display_name(lookup: _Lookup, used: Sequence[Used], key: str) -> str:
    """The company as its filings' metadata names it ("Netflix Inc."), not its key ("NETFLIX"), when one does."""
    names = [str(lookup.docs.get(u.fact.doc_name, {}).get("company") or "").strip() for u in used]
    named = [n for n in names if n and n != key and "," not in n]  # "A, B": a document about several firms
    return max(named, key=named.count) if named else key


def _cite(used: list[Used], hits: list[Hit], stores: Stores) -> tuple[list[Hit], list[int]]:
    """Number every input's passage: a retrieved hit's [n], or the fact's chunk added as a new passage."""
    by_chunk = {h.chunk_id: n for n, h in enumerate(hits, 1)}
    by_page = {(h.doc_name, h.page): n for n, h in reversed(list(enumerate(hits, 1)))}
    wanted = [u.fact.chunk for u in used if u.fact.chunk and u.fact.chunk not in by_chunk]
    extra = stores.keywords.get_chunks(list(dict.fromkeys(wanted))) if wanted else {}
    for u in used:
        f = u.fact
        if f.chunk in by_chunk:
            u.n = by_chunk[f.chunk]
        elif f.chunk in extra:
            c = extra[f.chunk]
            hits.append(Hit(f.chunk, c["doc_name"], c["page"], c["text"], 0.0, c["metadata"]))
            u.n = by_chunk[f.chunk] = len(hits)
        else:
            u.n = by_page.get((f.doc_name, f.page), 0)
    return hits, list(dict.fromkeys(u.n for u in used if u.n))


def calculation_hit(result: NumericResult) -> Hit:
    """The computed figure as one more passage for the chat model: the answer's text, citing its inputs' [n].

    Its chunk id starts with "calculation:", which the figure checker reads as computed support."""
    calc = result.calculation
    first = calc["inputs"][0] if calc.get("inputs") else {}
    source = next((h for h in result.hits if h.doc_name == first.get("doc_name")), None)
    text = "Calculation from statement figures: " + result.text.replace("**", "")
    meta = {**(source.metadata if source else {}), "kind": "calculation"}
    return Hit(f"{CALCULATION}{calc.get('measure', '')}", str(first.get("doc_name", "")), int(first.get("page", 0)),
               text, 0.0, meta)
