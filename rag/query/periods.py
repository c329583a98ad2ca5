"""Which periods a question asks about: years, quarters, halves, ranges and Japanese eras, in English and Japanese.

Periods are normalised to '2019', '2023Q2' or '2023H1', the form documents carry in their metadata, so
`period_matches` can compare a document's period with the periods a question asks for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rag.query.matching import WORD_END, WORD_START, Span, overlaps
from rag.text.normalize import normalize

_B0, _B1 = WORD_START, WORD_END

# Document types dated by when they were written, not by a period they report on: a note or an article of 2026 can
# tell what happened in January 2025, so its own period says nothing about the period of what it states.
DATED_BY_WRITING = frozenset({"note", "news"})

_Y4 = r"(?:19[5-9]\d|20[0-9]\d)"
_YY = r"(?:" + _Y4 + r"|'?\d{2})"
_FISCAL = r"(?:fiscal\s+(?:year\s+)?|FY\s*'?|F\.Y\.\s*)"
_QWORDS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
           "final": 4, "last": 4, "一": 1, "二": 2, "三": 3, "四": 4}
_QW = r"(?P<qw>first|second|third|fourth|1st|2nd|3rd|4th|final|last)"
_HALVES = {"上半期": 1, "上期": 1, "下半期": 2, "下期": 2, "first": 1, "second": 2}

# (kind, pattern) in priority order; an earlier match claims its characters.
_PERIOD_PATTERNS: list[tuple[str, re.Pattern[str]]] = [(k, re.compile(p, re.IGNORECASE)) for k, p in [
    ("range", r"(?:between|from)\s+" + _FISCAL + r"?(?P<a>" + _Y4 + r")\s+(?:and|to|through|thru|until|-)\s+"
              + _FISCAL + r"?(?P<b>" + _Y4 + r"|'?\d{2})" + _B1),
    ("range", r"(?P<a>" + _Y4 + r")\s*年?度?\s*(?:から|～|〜|~)\s*(?P<b>" + _Y4 + r")\s*年\s*度?"),
    ("range", _B0 + _FISCAL + r"?(?P<a>" + _Y4 + r")\s*[-–—~〜～]\s*" + _FISCAL + r"?(?P<b>" + _Y4 + r"|\d{2})" + _B1),
    ("quarter", r"(?P<y>" + _Y4 + r")\s*年\s*度?\s*(?:の)?\s*第\s*(?P<q>[1-4一二三四])\s*四半期"),
    ("quarter", r"第\s*(?P<q>[1-4一二三四])\s*四半期\s*[（(]?\s*(?P<y>" + _Y4 + r")\s*年?\s*度?"),
    ("quarter", r"(?P<y>" + _Y4 + r")\s*年\s*度?\s*(?:の)?\s*Q(?P<q>[1-4])" + _B1),
    ("half", r"(?P<y>" + _Y4 + r")\s*年\s*度?\s*(?:の)?\s*(?P<h>上半期|上期|下半期|下期)"),
    ("quarter", _B0 + r"Q(?P<q>[1-4])\s*(?:of\s+)?" + _FISCAL + r"?(?P<y>" + _YY + r")" + _B1),
    ("quarter", _B0 + r"(?P<y>" + _Y4 + r")\s*[-/]?\s*Q(?P<q>[1-4])" + _B1),
    ("quarter", _B0 + r"(?P<q>[1-4])Q\s*" + _FISCAL + r"?(?P<y>" + _YY + r")" + _B1),
    ("quarter", _B0 + _QW + r"\s+(?:fiscal\s+)?quarter\s+(?:of\s+|in\s+|for\s+)?(?:the\s+)?(?:fiscal\s+year\s+|"
                + _FISCAL + r")?(?P<y>" + _YY + r")" + _B1),
    ("quarter", _B0 + _FISCAL + r"?(?P<y>" + _Y4 + r")\s+" + _QW + r"[\s-]+quarter"),
    ("half", _B0 + r"(?P<h>H[12]|[12]H)\s*" + _FISCAL + r"?(?P<y>" + _YY + r")" + _B1),
    ("half", _B0 + r"(?P<hw>first|second)\s+half\s+(?:of\s+)?(?:the\s+)?" + _FISCAL + r"?(?P<y>" + _YY + r")" + _B1),
    ("era", r"(?P<era>令和|平成)\s*(?P<n>元|\d{1,2})\s*年\s*度?"),
    ("year", _B0 + r"(?:fiscal\s+year|fiscal|financial\s+year|FY|F\.Y\.)\s*'?(?P<y>" + _Y4 + r"|\d{2})" + _B1),
    ("year", r"(?P<y>" + _Y4 + r")\s*年\s*(?:度|\d{1,2}\s*月\s*期)?"),
    ("year", r"(?<![\d$.,])(?P<y>" + _Y4 + r")(?![\d%]|[.,]\d|\s*(?:%|percent))"),
]]

_LATEST = re.compile(
    r"most\s+recent(?:ly)?|latest|newest|last\s+reported|(?:last|past|current|most\s+recent)\s+(?:fiscal\s+)?"
    r"(?:year|quarter)|year\s+to\s+date|最新|直近|最近|足元|今期",
    re.IGNORECASE,
)


def _year(text: str) -> str:
    text = text.lstrip("'")
    if len(text) == 2:
        n = int(text)
        return str(2000 + n if n < 70 else 1900 + n)
    return text


def _quarter(g: dict[str, str | None]) -> list[str]:
    q = g.get("q")
    number = _QWORDS.get(q, q) if q else _QWORDS[(g.get("qw") or "").lower()]
    return [f"{_year(g['y'] or '')}Q{number}"]


def _half(g: dict[str, str | None]) -> list[str]:
    h = g.get("h")
    if h in _HALVES:
        half = _HALVES[h]
    elif h:
        half = int(h[1]) if h[0] in "Hh" else int(h[0])
    else:
        half = _HALVES[(g.get("hw") or "").lower()]
    return [f"{_year(g['y'] or '')}H{half}"]


def _range(g: dict[str, str | None]) -> list[str]:
    a, b = int(_year(g["a"] or "")), _year(g["b"] or "")
    end = int(str(a)[:2] + b) if len(b) == 2 else int(b)
    return [str(y) for y in range(a, end + 1)] if 0 < end - a <= 10 else []


def _era(g: dict[str, str | None]) -> list[str]:
    n = 1 if g["n"] == "元" else int(g["n"] or 0)
    return [str((2018 if g["era"] == "令和" else 1988) + n)]


_READ = {"range": _range, "quarter": _quarter, "half": _half, "era": _era,
         "year": lambda g: [_year(g["y"] or "")]}


def find_periods(text: str) -> tuple[list[str], list[str], list[Span]]:
    """Normalised periods ('2019', '2023Q2', '2023H1'), the years involved, and the spans used."""
    text = normalize(text)
    found: list[tuple[int, list[str]]] = []
    taken: list[Span] = []
    for kind, rx in _PERIOD_PATTERNS:
        for m in rx.finditer(text):
            if overlaps(m.span(), taken):
                continue
            periods = _READ[kind](m.groupdict())
            if not periods:  # a range backwards or longer than ten years is not a period
                continue
            taken.append(m.span())
            found.append((m.start(), periods))
    found.sort(key=lambda f: f[0])
    periods = list(dict.fromkeys(p for _, ps in found for p in ps))
    years = list(dict.fromkeys(p[:4] for _, ps in found for p in ps))  # every period starts with its year
    return periods, years, taken


def find_latest(text: str, period_spans: Iterable[Span] = ()) -> list[Span]:
    """Spans of "latest", "most recent", 最新 ... outside the spans of named periods."""
    spans = list(period_spans)
    return [m.span() for m in _LATEST.finditer(text) if not overlaps(m.span(), spans)]


def period_matches(doc_period: str, wanted: Iterable[str]) -> bool:
    """Whether a document's period is one of those wanted; a year takes its quarters and halves ('2025' takes
    '2025Q3'), a quarter only itself."""
    doc_period = doc_period.upper()
    return any(doc_period == w.upper() or (len(w) == 4 and doc_period.startswith(w)) for w in wanted)
