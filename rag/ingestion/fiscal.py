"""Dates and fiscal periods as filings write them, turned into the period labels retrieval uses.

Period labels follow rag.ingestion.loaders.parse_doc_name and rag.query.analyze.find_periods:
'2019' for a fiscal year, '2023Q2' for a quarter, '2023H1' for a half. A fiscal year is named
as the company names it: Nike's fiscal 2019 ends 31 May 2019, a 52/53-week year that ends in
the first days of January belongs to the year before (Johnson & Johnson's fiscal 2022 ends
1 January 2023), and a retailer's year ending in late January or early February is named
either way (Best Buy's fiscal 2023 ends 28 January 2023, Foot Locker's fiscal 2022 ends the
same day), so the document's own "fiscal 2023" mentions decide.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date

MONTHS = {m: i for i, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
    ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"),
    ("october", "oct"), ("november", "nov"), ("december", "dec")), start=1) for m in names}
_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
# "May 31, 2019", "MAY 31 , 2019", "December\n31,\n2018" (word-per-line PDFs), "31 May 2019".
DATE_EN = (r"(?:" + _MONTH + r"\s+\d{1,2}\s*,?\s*(?:19|20)\d\d|\d{1,2}\s+" + _MONTH + r",?\s+(?:19|20)\d\d)")
_DATE_EN_RE = re.compile(r"(?<![A-Za-z0-9])" + DATE_EN + r"(?!\d)", re.IGNORECASE)
_ISO_RE = re.compile(r"(?<!\d)((?:19|20)\d\d)-(\d\d)-(\d\d)(?!\d)")
_JA_DATE_RE = re.compile(r"(?P<era>令和|平成)?\s*(?P<y>元|\d{1,4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")
_ERA_BASE = {"令和": 2018, "平成": 1988}
QUARTER_WORDS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_FISCAL_MENTION = re.compile(r"(?<![A-Za-z])fiscal\s+(?:year\s+)?((?:19|20)\d\d)(?!\d)", re.IGNORECASE)


def parse_date(text: str) -> date | None:
    """The first date in text: 'May 31, 2019', '31 May 2019', '2019-05-31', '2023年3月31日', '令和5年3月31日'."""
    text = unicodedata.normalize("NFKC", text)
    found: list[tuple[int, date]] = []
    if m := _DATE_EN_RE.search(text):
        if d := _en_date(m.group()):
            found.append((m.start(), d))
    if m := _ISO_RE.search(text):
        if d := _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3))):
            found.append((m.start(), d))
    if m := _JA_DATE_RE.search(text):
        if d := _ja_date(m):
            found.append((m.start(), d))
    return min(found, key=lambda f: f[0])[1] if found else None


def find_dates(text: str) -> list[date]:
    """Every English or Japanese date in text, in order."""
    text = unicodedata.normalize("NFKC", text)
    found = [(m.start(), _en_date(m.group())) for m in _DATE_EN_RE.finditer(text)]
    found += [(m.start(), _ja_date(m)) for m in _JA_DATE_RE.finditer(text)]
    return [d for _, d in sorted(found, key=lambda f: f[0]) if d]


def _en_date(text: str) -> date | None:
    words = re.findall(r"[A-Za-z]+|\d+", text)
    month = next((MONTHS[w.lower()] for w in words if w.lower() in MONTHS), 0)
    numbers = [int(w) for w in words if w.isdigit()]
    if not month or len(numbers) != 2:
        return None
    day, year = (numbers[0], numbers[1]) if numbers[1] > 31 else (numbers[1], numbers[0])
    return _safe_date(year, month, day)


def _ja_date(m: re.Match[str]) -> date | None:
    y = 1 if m.group("y") == "元" else int(m.group("y"))
    if m.group("era"):
        y += _ERA_BASE[m.group("era")]
    elif y < 1900:
        return None
    return _safe_date(y, int(m.group("m")), int(m.group("d")))


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def add_months(d: date, months: int) -> date:
    """d moved by whole months, the day clamped to the month's length (31 Aug + 6 = 28/29 Feb)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        if (out := _safe_date(year, month, day)) is not None:
            return out
    raise ValueError(f"no day of {year}-{month:02d}")  # unreachable: every month has a 28th


def fiscal_mentions(texts: Iterable[str]) -> dict[int, int]:
    """How often each year is written as 'fiscal 2023' / 'fiscal year 2023' (a retailer's own naming)."""
    counts: dict[int, int] = {}
    for text in texts:
        for m in _FISCAL_MENTION.finditer(text):
            counts[int(m.group(1))] = counts.get(int(m.group(1)), 0) + 1
    return counts


def fiscal_year_label(year_end: date, mentions: dict[int, int] | None = None) -> tuple[int, str]:
    """The fiscal year a year ending on year_end is called, and why.

    A year ending 1-7 January is a 52/53-week calendar year; one ending 8 January to
    15 February is a retail year, named after the year it starts in or ends in as the
    document's 'fiscal YYYY' mentions say (the end year when they say nothing).
    """
    y = year_end.year
    if year_end.month == 1 and year_end.day <= 7:
        return y - 1, "52/53-week year ending in early January"
    if year_end.month == 1 or (year_end.month == 2 and year_end.day <= 15):
        mentions = mentions or {}
        if mentions.get(y - 1, 0) > mentions.get(y, 0):
            return y - 1, f"retail year; the document says fiscal {y - 1} more often than fiscal {y}"
        return y, "retail year named after its end year"
    return y, ""


def quarter_year_end(quarter_end: date, quarter: int) -> date:
    """Where the fiscal year containing this quarter ends (quarters taken as three months)."""
    return add_months(quarter_end, 3 * (4 - quarter))


def quarter_ending(end: date, year_end_month: int, year_end_day: int) -> int | None:
    """Which fiscal quarter ends on end, for a fiscal year ending on that month and day; None if none does."""
    months = (year_end_month - end.month) % 12
    if end.day <= 7 and year_end_day > 20:  # a 52/53-week quarter that spills a few days into the next month
        months = (months + 1) % 12
    return {9: 1, 6: 2, 3: 3}.get(months)


def period_label(fiscal_year: int, quarter: int | None = None, half: int | None = None) -> str:
    """'2019', '2023Q2' or '2023H1', the labels parse_doc_name and find_periods produce."""
    if quarter:
        return f"{fiscal_year}Q{quarter}"
    if half:
        return f"{fiscal_year}H{half}"
    return str(fiscal_year)
