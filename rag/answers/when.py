"""Which months a sentence or a question is about, and whether the two agree.

A period is a year (or None when the text gives none) and a span of months: "December 2025" is (2025, 12, 12),
"Q4 2025", "October–December 2025", "fourth quarter of 2025" and "2025年10〜12月期" are all (2025, 10, 12), and
"2025" is (2025, 1, 12). A question about Q4 2025 is answered by a sentence about December 2025, not by one about
April 2025.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rag.query.matching import Span, mask, overlaps
from rag.query.periods import find_periods
from rag.text.months import MONTHS_LOWER
from rag.text.normalize import normalize

_MONTHS = MONTHS_LOWER
_ABBR = {m[:3]: i + 1 for i, m in enumerate(_MONTHS)} | {"sept": 9}
_MONTH = r"(?P<{0}>(?:" + "|".join(_MONTHS) + r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?)"
_Y4 = r"(?:19[5-9]\d|20\d\d)"
_EN_RANGE = re.compile(r"\b" + _MONTH.format("a") + r"\s*(?:-|to|through|thru|and)\s*" + _MONTH.format("b")
                       + r"(?:,?\s+(?P<y>" + _Y4 + r"))?\b", re.IGNORECASE)
_EN_MONTH = re.compile(r"\b" + _MONTH.format("a") + r"(?:\s+\d{1,2}(?:st|nd|rd|th)?)?(?:,?\s+(?P<y>" + _Y4 + r"))?\b",
                       re.IGNORECASE)
_JA_RANGE = re.compile(r"(?:(?P<y>" + _Y4 + r")\s*年\s*)?(?P<a>1[0-2]|[1-9])\s*月?\s*[-~〜～から]\s*(?P<b>1[0-2]|[1-9])\s*月")
_JA_MONTH = re.compile(r"(?:(?P<y>" + _Y4 + r")\s*年\s*)?(?<!\d)(?P<a>1[0-2]|[1-9])\s*月(?!\s*期末)")
_YEARLESS_QUARTER = re.compile(r"\b(?P<q>first|second|third|fourth|final)[\s-]+quarter\b|第\s*(?P<j>[1-4一二三四])\s*四半期|"
                               r"\bQ(?P<n>[1-4])\b", re.IGNORECASE)
_YEAR_END = re.compile(r"\b(?:(?:at\s+)?(?:the\s+)?(?:year[- ]end|end\s+of)\s+(?:(?:fiscal\s+)?(?P<y>" + _Y4 + r")|the\s+year))\b|"
                       r"(?P<j>" + _Y4 + r")\s*年\s*(?:度)?末|\byear[- ]end\b|年末", re.IGNORECASE)
_HYPHEN_QUARTER = re.compile(r"\b(first|second|third|fourth|final)-(?=quarter\b)", re.IGNORECASE)
_QN = {"first": 1, "second": 2, "third": 3, "fourth": 4, "final": 4, "一": 1, "二": 2, "三": 3, "四": 4}
_PERIOD = re.compile(r"(\d{4})(?:Q([1-4])|H([12]))?$")
# Periods to date: "the first nine months of 2025" (January–September), "nine months ended September 30, 2025".
_SPAN_MONTHS = {"three": 3, "six": 6, "nine": 9, "twelve": 12, "3": 3, "6": 6, "9": 9, "12": 12}
_TO_DATE = re.compile(r"\bfirst\s+(?P<n>three|six|nine|[369])\s+months\s+(?:of\s+)?(?:(?:the\s+)?(?:fiscal\s+)?(?:year\s+)?)?"
                      r"(?P<y>" + _Y4 + r")?|\b(?P<k>three|six|nine|twelve|3|6|9|12)\s+months\s+ended\s+"
                      + _MONTH.format("a") + r"(?:\s+\d{1,2})?,?\s+(?P<z>" + _Y4 + r")", re.IGNORECASE)


@dataclass(frozen=True)
class When:
    """A span of months, in one year or in a year the text leaves open (year None)."""

    year: int | None
    first: int
    last: int

    @property
    def whole_year(self) -> bool:
        return self.first == 1 and self.last == 12


def _month(word: str) -> int:
    w = word.lower().rstrip(".")
    return _MONTHS.index(w) + 1 if w in _MONTHS else _ABBR.get(w[:4] if w.startswith("sept") else w[:3], 0)


def _from_period(period: str) -> When | None:
    m = _PERIOD.match(period)
    if not m:
        return None
    year = int(m.group(1))
    if m.group(2):
        q = int(m.group(2))
        return When(year, 3 * q - 2, 3 * q)
    if m.group(3):
        return When(year, 1, 6) if m.group(3) == "1" else When(year, 7, 12)
    return When(year, 1, 12)


def _months(text: str, default_year: int | None) -> list[tuple[re.Match[str], When]]:
    """Year-ends, month ranges and single months, each claiming its characters before the later kinds."""
    found: list[tuple[re.Match[str], When]] = []
    for m in _YEAR_END.finditer(text):  # "year-end 2025", "2025年末": December
        y = m["y"] or m["j"]
        found.append((m, When(int(y) if y else default_year, 12, 12)))
    for m in _TO_DATE.finditer(text):
        last = _month(m["a"]) if m["a"] else _SPAN_MONTHS[m["n"].lower()]
        first = last - _SPAN_MONTHS[(m["k"] or m["n"]).lower()] + 1
        y = m["y"] or m["z"]
        if first >= 1:  # a span reaching into the year before (a fiscal year) is no span of one year
            found.append((m, When(int(y) if y else default_year, first, last)))
    for rx in (_EN_RANGE, _JA_RANGE, _EN_MONTH, _JA_MONTH):
        for m in rx.finditer(text):
            en = rx in (_EN_RANGE, _EN_MONTH)
            a = _month(m["a"]) if en else int(m["a"])
            b = (_month(m["b"]) if en else int(m["b"])) if "b" in m.groupdict() else a
            # "may" is a verb unless a year or a day goes with it
            if not a or not b or a > b or overlaps(m.span(), [f[0].span() for f in found]) or (
                    m["a"].lower() == "may" and not m["y"] and a == b):
                continue
            found.append((m, When(int(m["y"]) if m["y"] else default_year, a, b)))
    return found


def periods_in(text: str, default_year: int | None = None) -> list[When]:
    """The periods a text names, in order of appearance; a month without a year takes `default_year`."""
    # "third-quarter 2025" is "third quarter 2025" (same length, so positions hold)
    text = _HYPHEN_QUARTER.sub(lambda m: m.group(1) + " ", normalize(text))
    months = _months(text, default_year)
    found: list[tuple[int, When]] = [(m.start(), w) for m, w in months]
    taken: list[Span] = [m.span() for m, _ in months]
    rest = mask(text, taken)
    _, _, spans = find_periods(rest)
    for span, period in zip(sorted(spans), _periods_by_span(rest, spans), strict=False):
        if (w := _from_period(period)) is not None:
            found.append((span[0], w))
            taken.append(span)
    for m in _YEARLESS_QUARTER.finditer(mask(text, taken)):
        q = _QN.get((m["q"] or m["j"] or "").lower()) or int(m["j"] or m["n"] or 0)
        if q:
            found.append((m.start(), When(default_year, 3 * q - 2, 3 * q)))
    found.sort(key=lambda f: f[0])
    return list(dict.fromkeys(w for _, w in found))


def _periods_by_span(text: str, spans: Iterable[Span]) -> list[str]:
    """The period each span of find_periods names, in span order (a range of years gives its first year)."""
    out = []
    for a, b in sorted(spans):
        ps = find_periods(text[a:b])[0]
        out.append(ps[0] if ps else "")
    return out


def agreement(wanted: Iterable[When], stated: Iterable[When]) -> float:
    """How well what a text states fits the periods asked for: 1.0 inside one of them, 0.5 when it only contains
    one (the year of an asked quarter), 0.0 when every stated period lies elsewhere; 0.5 when either side is empty.

    A side without a year is compared by months alone.
    """
    wanted, stated = list(wanted), list(stated)
    if not wanted or not stated:
        return 0.5
    best = 0.0
    for w in wanted:
        for s in stated:
            same_year = w.year is None or s.year is None or w.year == s.year
            if not same_year or s.last < w.first or s.first > w.last:
                continue
            if w.first <= s.first and s.last <= w.last:
                best = max(best, 1.0 if w.year is not None and s.year is not None else 0.8)
            else:
                best = max(best, 0.5)
    return best
