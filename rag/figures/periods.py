"""What a table's headers say: each column's period, the table's scale and currency, and which statement it is.

Periods are normalised as 'FY2018' (a fiscal year, named by the year it ends in unless the header names it, as
in "Fiscal 2022"), 'Q2 2024' (a fiscal quarter), 'H1 2024' and '9M 2024' (six and nine months to date), and an
ISO date '2019-12-31' for a balance at a date. A quarter's number comes from the header ("Q2 2023", "Fourth
Quarter") or, when the header gives only "Three Months Ended July 29, 2023", from the document's own period
(BESTBUY_2024Q2_10Q: its latest quarter is Q2 2024); without either it stays '3M to 2023-07-29'.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

_MONTHS = {m: i for i, ms in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1) for m in [ms]}
_MONTH = r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|" \
         r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
FULL_DATE = re.compile(_MONTH + r"\s+(?P<day>\d{1,2}),?\s+(?P<year>(?:19|20)\d\d)\b|"
                        r"\b(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>(?:19|20)?\d\d)\b|"
                        r"\b(?P<iy>(?:19|20)\d\d)-(?P<im>\d\d)-(?P<id>\d\d)\b", re.IGNORECASE)
MONTH_DAY = re.compile(_MONTH + r"\s+(?P<day>\d{1,2})\b(?!,?\s*(?:19|20)\d\d)", re.IGNORECASE)
_YEAR = re.compile(r"(?<![\d,.$])(?:19|20)\d\d(?![\d,])")
_FISCAL = re.compile(r"\b(?:fiscal(?:\s+year)?|FY)\s*'?(?P<y>(?:19|20)?\d\d)\b", re.IGNORECASE)
_QUARTER = re.compile(r"\bQ(?P<q>[1-4])\b|\b(?P<q2>[1-4])Q\b|\b(?P<w>first|second|third|fourth)\s+quarter\b",
                      re.IGNORECASE)
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4}
# Months a header's words cover; checked in order, so "twelve months" wins over "months".
_DURATIONS = (
    (12, re.compile(r"\b(?:twelve|12)\s+months|\b(?:52|53)\s+weeks|\byears?\s+ended|\bfiscal\s+years?\s+ended|"
                    r"\bfull[- ]year|\bannual\b|\btwelve months", re.IGNORECASE)),
    (9, re.compile(r"\b(?:nine|9)\s+months|\b(?:36|39|40)\s+weeks|\bytd\b.*\bq3\b", re.IGNORECASE)),
    (6, re.compile(r"\b(?:six|6)\s+months|\b(?:24|26|28)\s+weeks|\bfirst\s+half|\bhalf[- ]year|\bH1\b",
                   re.IGNORECASE)),
    (3, re.compile(r"\b(?:three|3)\s+months|\b(?:12|13|16|17)\s+weeks|\bquarters?\b|\bQ[1-4]\b|\b[1-4]Q\b",
                   re.IGNORECASE)),
    (0, re.compile(r"\bas\s+of\b|\bat\b|\bbalance\s+at\b", re.IGNORECASE)),
)
_CHANGE = re.compile(r"\bchange|\bincrease|\bdecrease|\bvariance|\bchg\b|\bB/\(W\)|favou?rable|\bgrowth\b",
                     re.IGNORECASE)
_SHARE = re.compile(r"\b(?:percent(?:age)?|%)\s+(?:to|of)\b|\bto\s+(?:net\s+)?sales\b|\bof\s+(?:net\s+)?(?:sales|revenues?)\b", re.IGNORECASE)
_STATEMENTS = (
    ("comprehensive_income", re.compile(r"comprehensive\s+(?:income|loss|earnings)", re.IGNORECASE)),
    ("cash_flow", re.compile(r"cash\s+flows?", re.IGNORECASE)),
    ("balance_sheet", re.compile(r"balance\s+sheets?|financial\s+(?:position|condition)", re.IGNORECASE)),
    ("equity", re.compile(r"(?:shareholders|stockholders|share\s?owners|changes\s+in)[’'`]?\s+equity", re.IGNORECASE)),
    ("income_statement", re.compile(r"statements?\s+of\s+(?:consolidated\s+)?(?:income|operations|earnings)|"
                                    r"income\s+statements?|results\s+of\s+operations|profit\s+(?:and|&)\s+loss",
                                    re.IGNORECASE)),
    ("segment", re.compile(r"\bsegments?\b|sales\s+data|by\s+(?:business|geograph)", re.IGNORECASE)),
    ("selected_data", re.compile(r"selected\s+(?:consolidated\s+)?financial\s+data|financial\s+highlights|"
                                 r"five[- ]year", re.IGNORECASE)),
)
_SCALES = (
    (1e9, re.compile(r"\bin\s+billions\b|\(\s*billions\b|\$\s*(?:in\s+)?billions?\b|billions of", re.IGNORECASE)),
    (1e6, re.compile(r"\bin\s+millions\b|\(\s*(?:\$|dollars\s+)?(?:in\s+)?millions\b|\$\s*(?:in\s+)?millions?\b|"
                     r"millions\s+of|dollars\s+in\s+millions|amounts\s+in\s+millions|\bin\s+mn\b|百万円|百万", re.IGNORECASE)),
    (1e3, re.compile(r"\bin\s+thousands\b|\(\s*(?:\$|dollars\s+)?(?:in\s+)?thousands\b|\$\s*(?:in\s+)?thousands?\b|"
                     r"thousands\s+of|dollars\s+in\s+thousands|amounts\s+in\s+thousands|千円", re.IGNORECASE)),
)
_CURRENCIES = (("JPY", re.compile(r"円|¥|\byen\b|JPY")), ("EUR", re.compile(r"€|\beuros?\b|EUR\b")),
               ("GBP", re.compile(r"£|GBP\b")))


@dataclass(frozen=True)
class Period:
    """A column's period: its label ('FY2018', 'Q2 2024', '2019-12-31'), its end date if printed, its months."""

    label: str
    end: str = ""
    months: int = -1  # 0 for a balance at a date; -1 unknown


@dataclass
class _Parsed:
    end: str = ""
    year: int = 0
    months: int = -1
    quarter: int = 0
    fiscal: int = 0


def statement_kind(text: str) -> str:
    """Which statement a table's title names: 'income_statement', 'balance_sheet', 'cash_flow', ... or 'other'."""
    joined = re.sub(r"(?<=[A-Za-z]{2}) (?=[a-z]\b)", "", text)  # pdfium splits kerned words: "Balance Shee t"
    return next((kind for kind, rx in _STATEMENTS if rx.search(joined)), "other")


def find_scale(text: str) -> tuple[float, str]:
    """The multiplier a header declares ("in millions" → 1e6, 百万円 → 1e6) and the currency, USD unless stated."""
    scale = next((s for s, rx in _SCALES if rx.search(text)), 1.0)
    currency = next((c for c, rx in _CURRENCIES if rx.search(text)), "USD")
    return scale, currency


def _year4(y: str) -> int:
    return int(y) if len(y) == 4 else 2000 + int(y)


def _iso(y: int, m: int, d: int) -> str:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return ""


def parse_header(header: str, context: str = "") -> _Parsed:
    """Dates, years, months and quarter named by a column's header, helped by words that apply to every column."""
    p = _Parsed()
    if m := FULL_DATE.search(header):
        if m.group("year"):
            p.end = _iso(int(m.group("year")), _MONTHS[m.group("mon")[:3].lower()], int(m.group("day")))
        elif m.group("y"):
            p.end = _iso(_year4(m.group("y")), int(m.group("m")), int(m.group("d")))
        else:
            p.end = _iso(int(m.group("iy")), int(m.group("im")), int(m.group("id")))
        p.year = int(p.end[:4]) if p.end else 0
    if not p.year and (years := _YEAR.findall(header)):
        p.year = int(years[-1])
    if p.year and not p.end and (md := MONTH_DAY.search(header) or MONTH_DAY.search(context)):
        p.end = _iso(p.year, _MONTHS[md.group("mon")[:3].lower()], int(md.group("day")))
    if f := _FISCAL.search(header):
        p.fiscal = _year4(f.group("y"))
        p.year = p.year or p.fiscal
    if q := _QUARTER.search(header) or _QUARTER.search(context):
        p.quarter = int(q.group("q") or q.group("q2") or _ORDINAL[q.group("w").lower()])
    for text in (header, context):
        hit = next((months for months, rx in _DURATIONS if rx.search(text)), None)
        if hit is not None:
            p.months = hit
            break
    return p


def _label(p: _Parsed, statement: str, doc_q: int, fy: int) -> str:
    """The normalised period label; `fy` is the fiscal year worked out from the document's period, or 0."""
    if p.months == 0 or (p.months == -1 and statement == "balance_sheet"):
        return p.end or (f"FY{p.year} end" if p.year else "")
    if p.months == -1 and p.year and statement != "other":
        p.months = 12  # annual statements print "2018 2017 2016" under "Years ended ..."; a bare year is a year
    if p.months == 12:
        year = p.fiscal or (int(p.end[:4]) if p.end else p.year)
        return f"FY{year}" if year else ""
    if p.months in (3, 6, 9):
        q = p.quarter or doc_q
        year = p.fiscal or fy or (p.year if p.quarter else 0)
        if p.months == 3 and q and year:
            return f"Q{q} {year}"
        if year and (p.months == 6 and q in (0, 2) or p.months == 9 and q in (0, 3)):
            return f"{'H1' if p.months == 6 else '9M'} {year}"
        return f"{p.months}M to {p.end}" if p.end else ""
    return ""


def _doc_period(doc_meta: dict[str, str]) -> tuple[int, int]:
    """The fiscal year and quarter a document covers, from its metadata ('2024Q2' → (2024, 2))."""
    m = re.fullmatch(r"((?:19|20)\d\d)(?:Q([1-4]))?", (doc_meta.get("period") or "").strip().upper())
    return (int(m.group(1)), int(m.group(2) or 0)) if m else (0, 0)


def label_periods(parsed: Sequence[_Parsed], statement: str, doc_meta: dict[str, str]) -> list[Period | None]:
    """Period labels for a table's columns; quarter and year-to-date columns are named by the document's period."""
    doc_fy, doc_q = _doc_period(doc_meta)
    out: list[Period | None] = []
    for p in parsed:
        fy = 0
        if p.months in (3, 6, 9) and doc_fy and doc_q and p.end:
            latest = max((q.end for q in parsed if q.months == p.months and q.end), default=p.end)
            fy = doc_fy - round((date.fromisoformat(latest) - date.fromisoformat(p.end)).days / 365.25)
        label = _label(p, statement, doc_q if p.months in (3, 6, 9) else 0, fy)
        out.append(Period(label, p.end, p.months) if label else None)
    return out


# --------------------------------------------------------------------------- headers over columns

def _phrases(line: Any) -> list[tuple[str, float, float]]:
    """A header line cut where the gap between words is wider than a letter, or where a second date or year
    begins ("January 28, January 29," set close together): ("December 31, 2018", x0, x1)."""
    out: list[tuple[str, float, float]] = []
    for w in line.words:
        second = out and (_MONTH_START.match(w.text) and _DATED.search(out[-1][0])
                          or _YEAR.fullmatch(w.text.strip(",")) and _YEAR.search(out[-1][0]))
        if out and w.x0 - out[-1][2] <= 1.0 * w.height and not second:
            text, x0, _ = out[-1]
            out[-1] = (f"{text} {w.text}", x0, w.x1)
        else:
            out.append((w.text, w.x0, w.x1))
    return out


_MONTH_START = re.compile(_MONTH + r"(?![a-z])", re.IGNORECASE)
_DATED = re.compile(r"(?:19|20)\d\d|" + _MONTH + r"\s+\d{1,2}\b", re.IGNORECASE)


def _prose(text: str) -> bool:
    return (len(text.split()) > 9 or text.rstrip().endswith(".") or bool(re.match(r"\(\d\)|\*", text))
            or bool(re.fullmatch(r"(?i)table of contents|index|page \d+|\d{1,3}", text.strip())))


def _territories(columns: Sequence[Any], height: float) -> list[tuple[float, float]]:
    """The x-range a column's header may sit over: from the column before it to just past its own digits
    (headers are centred over the whole cell, "$" sign included, not over the digits)."""
    rights = [c.x1 for c in columns]
    pitch = min((b - a for a, b in zip(rights, rights[1:])), default=6 * height)
    lefts = [columns[0].x0 - max(0.6 * pitch, 3 * height), *(r + 1 for r in rights[:-1])]
    return [(a, r + 0.6 * height) for a, r in zip(lefts, rights)]


_HEADER_VOCAB = re.compile(r"(?i)\b(?:percent|amount|to sales|of sales|months?|weeks?|quarter|year|years|ended|ending|fiscal|FY|Q[1-4]|[1-4]Q|H[12]|half|"
                           r"as of|at|ytd|annual|actual|reported|restated|"
                           r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|(?:19|20)\d\d|\d/\d")


def _spans_columns(text: str) -> bool:
    """A header naming a length of time but no date ("Three Months Ended", "FOURTH QUARTER") spans its columns."""
    return not (_YEAR.search(text) or FULL_DATE.search(text)) and any(rx.search(text) for _, rx in _DURATIONS[:4])


def _nearest(phrases: list[tuple[str, float, float]], columns: Sequence[Any], reach: float) -> dict[int, str]:
    """Columns shared out between spanning phrases of one line, each to the phrase nearest it (within reach)."""
    out: dict[int, str] = {}
    for i, c in enumerate(columns):
        mid = (c.x0 + c.x1) / 2
        dist, text = min((max(x0 - mid, mid - x1, 0.0), t) for t, x0, x1 in phrases)
        if dist <= reach:
            out[i] = text
    return out


def _header_line(line: Any, columns: Sequence[Any], areas: list[tuple[float, float]],
                 context: list[str]) -> dict[int, str]:
    """The header phrase of one line over each column; phrases over no column in particular go to `context`.

    Each column takes the phrase whose middle is nearest the middle of the column's cell (a header is centred
    over its cell, "$" included), if it is within three quarters of a column's width: "2022" centred over an
    amount and its percent of sales heads both.
    """
    placed: list[tuple[str, float, float]] = []
    spanning: list[tuple[str, float, float]] = []
    for phrase in _phrases(line):
        text = phrase[0]
        if _prose(text):
            continue
        if (phrase[2] <= areas[0][0] or statement_kind(text) != "other"
                or not (_HEADER_VOCAB.search(text) or _CHANGE.search(text) or _SHARE.search(text))):
            context.append(text)
        else:
            (spanning if _spans_columns(text) else placed).append(phrase)
    out: dict[int, str] = {}
    for i, (a, b) in enumerate(areas):
        if placed:
            dist, text = min((abs((x0 + x1) / 2 - (a + b) / 2), t) for t, x0, x1 in placed)
            if dist <= 0.75 * (b - a):
                out[i] = text
    if len(spanning) == 1 and not out:
        context.append(spanning[0][0])
    elif spanning:
        reach = 1.5 * max(c.x1 - c.x0 for c in columns) + (areas[-1][1] - areas[0][0]) / max(len(columns), 1)
        out.update({i: t for i, t in _nearest(spanning, columns, reach).items() if i not in out})
    return out


def column_periods(columns: Sequence[Any], head: Sequence[Any], zone: float, statement: str,
                   doc_meta: dict[str, str]) -> str:
    """Give each column its header words, kind and period; returns the words that apply to every column."""
    headers: list[list[str]] = [[] for _ in columns]
    context: list[str] = []
    height = head[0].words[0].height if head else 8.0
    areas = _territories(columns, height)
    for line in head[-8:]:
        for i, text in sorted(_header_line(line, columns, areas, context).items()):
            headers[i].append(text)
    ctx = " ".join(context)
    parsed = []
    for col, words in zip(columns, headers):
        col.header = " ".join(words)
        col.kind = "change" if _CHANGE.search(col.header) else "share" if _SHARE.search(col.header) else "value"
        parsed.append(parse_header(col.header, ctx))
    for col, period in zip(columns, label_periods(parsed, statement, doc_meta)):
        col.period = period if col.kind == "value" else None
    return ctx
