"""Figures in English and Japanese text, parsed into base units.

Pure functions. `parse_figures` finds every checkable quantity in a text — "$161.6 million",
"1億6,160万ドル", "18％", "1,818 BTC", "(1,234)", "300 MW" — and normalises it: money to
currency units (USD, JPY, EUR, GBP), percentages as written, power to MW, hashrate to EH/s.
Years, dates, citation markers "[3]", page, item and note numbers, form names ("10-K") and
identifiers ("Q3", "FY2024", "3M") are not figures. `rag.figures.format.format_figure` writes a
value back, and parsing its output gives the value back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise

CURRENCIES = ("USD", "JPY", "EUR", "GBP")
PERCENT_UNITS = ("%", "bps")
_SIGNED_UNITS = ("", "%", "bps") + CURRENCIES  # "(750 MW)" is a parenthesis, "(1,234)" a negative

# One-to-one character map, so offsets in the normalised text are offsets in the original.
_FULLWIDTH = str.maketrans("０１２３４５６７８９，．＄￥－（）％＋−　", "0123456789,.$¥-()%+- ")

CITATION_RE = re.compile(r"[\[［]\s*\d{1,3}(?:\s*(?:[,，、;]|[-–])\s*\d{1,3})*\s*[\]］]")
_MASKS = (
    CITATION_RE,
    re.compile(r"(?<![\d,.])\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?![\d])"),  # 2022-07-01, 2025/12/31
    re.compile(r"(?<![\d,.])\d{1,2}/\d{1,2}/\d{2,4}(?![\d])"),  # 12/31/2025
    re.compile(r"(?<![\d,.])\d{1,2}/(?:19|20)\d{2}(?![\d])"),  # 12/2025
    re.compile(r"(?<![\d,.])\d{1,2}:\d{2}(?![\d])"),  # 10:30
)

_NUM = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_LEFT = re.compile(
    r"(?P<sign>(?<![A-Za-z0-9_.,)%])[-+△▲]\s?)?(?P<open>\(\s?)?"
    r"(?P<cur>US\$|U\.S\.\$|\$|USD|¥|JPY|€|EUR|£|GBP)?[ \t\u00a0]?(?P<open2>\(\s?)?\Z"
)
_CUR_SYMBOL = {"US$": "USD", "U.S.$": "USD", "$": "USD", "USD": "USD", "¥": "JPY", "JPY": "JPY",
               "€": "EUR", "EUR": "EUR", "£": "GBP", "GBP": "GBP"}
_REFERENCE = re.compile(
    r"(?:(?<![A-Za-z])(?:items?|notes?|sections?|pages?|pp?\.|parts?|tables?|exhibits?|rules?|chapters?|figures?|"
    r"fig\.|appendix|appendices|nos?\.|schedules?|forms?|articles?|steps?|phases?|tiers?|levels?|buildings?|"
    r"version|v\.|footnotes?|paragraphs?|slides?|lines?|s&p|fortune|russell|nikkei|ftse|stoxx|msci)\s*|[#第§])"
    r"(?:\d+[A-Za-z]?\s*(?:[-–,&/]|and|to|or)\s*)*\Z",
    re.IGNORECASE,
)
_MONTHS = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|" \
          r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_MONTH_BEFORE = re.compile(rf"(?<![A-Za-z]){_MONTHS}\.?\s+\Z", re.IGNORECASE)
_MONTH_AFTER = re.compile(rf"\s*{_MONTHS}(?![A-Za-z])", re.IGNORECASE)
_YEAR_RANGE_BEFORE = re.compile(r"(?<![\d,.])(?:19|20)\d{2}\s?[-–/]\s?\Z")

_JA_SCALES = (("千億", 10**11), ("百億", 10**10), ("千万", 10**7), ("百万", 10**6), ("兆", 10**12), ("億", 10**8),
              ("万", 10**4), ("千", 10**3))
_JA_SCALE = re.compile(r"\s?(" + "|".join(k for k, _ in _JA_SCALES) + ")")
_JA_SCALE_VALUE = dict(_JA_SCALES)
_EN_SCALE = re.compile(r"(?P<sp>\s?)(?P<word>thousand|million|billion|trillion|mln|mn|mm|bln|bn|trn|tn|k|m|b|t)"
                       r"(?![A-Za-z])", re.IGNORECASE)
_EN_SCALE_VALUE = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12, "mln": 10**6,
                   "mn": 10**6, "mm": 10**6, "bln": 10**9, "bn": 10**9, "trn": 10**12, "tn": 10**12,
                   "k": 10**3, "m": 10**6, "b": 10**9, "t": 10**12}

# (pattern, unit, factor to the base unit, needs no space before it); longest alternatives first.
_UNITS: tuple[tuple[str, str, Decimal], ...] = (
    (r"%|percentage points?|percent|per cent|パーセント(?:ポイント)?|ポイント|pp(?![A-Za-z])", "%", Decimal(1)),
    (r"割(?!安|高)", "%", Decimal(10)),  # 3割 = 30%
    (r"bps|bp(?![A-Za-z])|basis points?|ベーシス・?ポイント", "bps", Decimal(1)),
    (r"(?<!\s)x(?![A-Za-z])|(?<!\s)×|倍|times(?![A-Za-z])", "x", Decimal(1)),
    (r"USD(?![A-Za-z])|U\.?S\.? dollars?|dollars?(?![A-Za-z])|米ドル|USドル|ドル", "USD", Decimal(1)),
    (r"JPY(?![A-Za-z])|yen(?![A-Za-z])|円", "JPY", Decimal(1)),
    (r"EUR(?![A-Za-z])|euros?(?![A-Za-z])|ユーロ", "EUR", Decimal(1)),
    (r"GBP(?![A-Za-z])|pounds? sterling|pounds?(?![A-Za-z])|ポンド", "GBP", Decimal(1)),
    (r"BTC(?![A-Za-z])|bitcoins?(?![A-Za-z])|ビットコイン|₿", "BTC", Decimal(1)),
    (r"ETH(?![A-Za-z])|ether(?![A-Za-z])", "ETH", Decimal(1)),
    (r"GWh(?![A-Za-z])", "MWh", Decimal(1000)),
    (r"MWh(?![A-Za-z])", "MWh", Decimal(1)),
    (r"kWh(?![A-Za-z])", "MWh", Decimal("0.001")),
    (r"GW(?![A-Za-z])|gigawatts?(?![A-Za-z])|ギガワット", "MW", Decimal(1000)),
    (r"MW(?![A-Za-z])|megawatts?(?![A-Za-z])|メガワット", "MW", Decimal(1)),
    (r"kW(?![A-Za-z])|kilowatts?(?![A-Za-z])|キロワット", "MW", Decimal("0.001")),
    (r"EH/s|EH(?![A-Za-z])|エクサハッシュ(?:/秒)?", "EH/s", Decimal(1)),
    (r"PH/s", "EH/s", Decimal("0.001")),
    (r"TH/s", "EH/s", Decimal("0.000001")),
    (r"J/TH", "J/TH", Decimal(1)),
    (r"shares(?![A-Za-z])|株(?!当|式|主|価|あたり)", "shares", Decimal(1)),
)
_UNIT_RES = tuple((re.compile(r"\s?(?:" + pat + ")", re.IGNORECASE if unit not in ("x",) else 0), unit, factor)
                  for pat, unit, factor in _UNITS)
_PER_UNIT = re.compile(r"\s?(?:あたり|当たり|当り)")
_NOT_JA_FIGURE = re.compile(r"(?:年度|月|日|時|ページ|頁|号|条|位|期|回目|番目|四半期|株(?:当|あたり))")
_JA_DAYS = re.compile(r"日(?!本)")
_LIST_ITEM = re.compile(r"[.)]\s")
_IDENT_BEFORE_HYPHEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*\Z")
_FORM_ID = re.compile(r"-[A-Z](?![A-Za-z])")
_RANGE_JOIN = re.compile(r"\s*(?:-|–|—|~|〜|～|to)\s*(?:US\$|\$|¥|€|£)?\s*$")


@dataclass(frozen=True)
class Figure:
    """One quantity found in a text, with its value in base units (dollars, not millions)."""

    raw: str
    value: float
    unit: str
    start: int
    end: int
    # How the figure was written: the multiplier of its last written group ("million" = 1e6) and the
    # value of its last written digit, both in base units. verify.py uses them for rounding tolerance.
    scale: float = field(default=1.0, compare=False, repr=False)
    ulp: float = field(default=1.0, compare=False, repr=False)


@dataclass
class _Draft:
    start: int
    end: int
    value: Decimal
    unit: str
    scale: int
    ulp: Decimal
    currency: bool
    negative: bool
    factor: Decimal = Decimal(1)


def _normalise(text: str) -> str:
    norm = text.translate(_FULLWIDTH)
    for mask in _MASKS:
        norm = mask.sub(lambda m: " " * len(m.group(0)), norm)
    return norm


def _decimals(num: str) -> int:
    return len(num.split(".", 1)[1]) if "." in num else 0


def _read_ja(norm: str, first: re.Match[str]) -> tuple[Decimal, int, Decimal, int] | None:
    """A number written with 兆/億/万/千 groups: (value, last scale, last digit value, end), or None."""
    pos, total, last_scale, ulp = first.end(), Decimal(0), None, Decimal(1)
    num = first
    while True:
        m = _JA_SCALE.match(norm, pos)
        if not m:
            break
        scale = _JA_SCALE_VALUE[m.group(1)]
        if last_scale is not None and scale >= last_scale:
            break
        digits = num.group(0).replace(",", "")
        total += Decimal(digits) * scale
        last_scale, ulp, pos = scale, Decimal(10) ** -_decimals(digits) * scale, m.end()
        nxt = _NUM.match(norm, pos)
        if not nxt:
            break
        follow = _JA_SCALE.match(norm, nxt.end())
        if follow and _JA_SCALE_VALUE[follow.group(1)] < scale:
            num, pos = nxt, nxt.end()
            continue
        if scale >= 10**4 and "." not in nxt.group(0) and Decimal(nxt.group(0).replace(",", "")) < scale:
            total += Decimal(nxt.group(0).replace(",", ""))  # 1万5000円
            return total, 1, Decimal(1), nxt.end()
        break
    if last_scale is None:
        return None
    return total, last_scale, ulp, pos


def _read_unit(norm: str, pos: int) -> tuple[str, Decimal, int] | None:
    for regex, unit, factor in _UNIT_RES:
        m = regex.match(norm, pos)
        if m:
            return unit, factor, m.end()
    return None


def _identifier(norm: str, s: int, lstart: int, cur: str | None) -> bool:
    """True when the digits at `s` are part of a name or a reference, judged by what comes before them."""
    prev = norm[s - 1] if s else ""
    if not cur:
        if prev and prev.isascii() and (prev.isalpha() or prev in "_#'"):
            return True  # FY2024, Q3, H100, '24
        if prev in ".," and s >= 2 and norm[s - 2].isdigit():
            return True  # 1.2.3
        if prev == "-" and _IDENT_BEFORE_HYPHEN.search(norm, max(0, s - 16), s - 1):
            return True  # S-1, COVID-19, 10b5-1
    return bool(_REFERENCE.search(norm[max(0, lstart - 40):s]))  # Item 7, page 45, 第3


def _read_scale(norm: str, pos: int, cur: str | None) -> tuple[int, int]:
    """An English scale word after a number: (multiplier, end), or (1, pos)."""
    en = _EN_SCALE.match(norm, pos)
    if not en:
        return 1, pos
    word, attached = en.group("word").lower(), not en.group("sp")
    if word in ("thousand", "million", "billion", "trillion"):
        return _EN_SCALE_VALUE[word], en.end()
    if len(word) > 1 and (attached or cur):  # 1.2bn, $5 mm
        return _EN_SCALE_VALUE[word], en.end()
    # Single letters only after a currency sign ($600M, $5 m) or for "k" (100k): "3M" is a company.
    if (cur and (attached or word in "mbk")) or (word == "k" and attached):
        return _EN_SCALE_VALUE[word], en.end()
    return 1, pos


def _dated(norm: str, m: re.Match[str], lstart: int, tail: str, number: Decimal, cur: str | None) -> bool:
    """True when a bare whole number is a year, a day, a month, a list number or a form name."""
    if _JA_DAYS.match(tail) and ("." in m.group(0) or number > 31):
        return False  # 42.69日, 365日: a count of days, not a day of the month
    if _FORM_ID.match(tail) or _NOT_JA_FIGURE.match(tail):
        return True  # 10-K, 8-K, 20-F; 12月, 31日, 2024年度, 3ページ
    if "." in m.group(0) or "," in m.group(0) or cur:
        return False
    s = m.start()
    if _LIST_ITEM.match(tail) and not norm[norm.rfind("\n", 0, s) + 1:s].strip():
        return True  # "1. " at the start of a line
    year = 1900 <= number <= 2100
    if year:
        return True  # 2025, 2025年
    if number <= 31 and (_MONTH_BEFORE.search(norm[max(0, lstart - 40):s]) or _MONTH_AFTER.match(tail)):
        return True  # December 31, 31 December
    return number < 100 and bool(_YEAR_RANGE_BEFORE.search(norm, max(0, s - 8), s))  # the "25" of 2024-25


def _read_number(norm: str, m: re.Match[str], cur: str | None) -> tuple[Decimal, int, Decimal, int]:
    """The number starting at `m` with its scale words: (value, last scale, last digit value, end)."""
    ja = _read_ja(norm, m)
    if ja:
        return ja
    digits = m.group(0).replace(",", "")
    scale, pos = _read_scale(norm, m.end(), cur)
    return Decimal(digits) * scale, scale, Decimal(10) ** -_decimals(digits) * scale, pos


def _read_unit_after(norm: str, pos: int, cur: str | None) -> tuple[str, Decimal, int]:
    """The figure's unit, its factor to the base unit and where it ends; a currency sign before wins."""
    after = _read_unit(norm, pos)
    if cur:
        unit = _CUR_SYMBOL[cur]
        return unit, Decimal(1), after[2] if after and after[0] == unit else pos  # $5 million USD
    return after or ("", Decimal(1), pos)


def _figure_at(norm: str, m: re.Match[str], floor: int) -> _Draft | None:
    """Read the figure whose first digits are `m`, or None when they are not a checkable quantity."""
    s = m.start()
    left = _LEFT.search(norm, max(floor, s - 12), s)
    starts = [left.start(g) for g in ("sign", "open", "cur", "open2") if left.group(g)] if left else []
    lstart = min(starts) if starts else s
    cur = left.group("cur") if left else None
    if _identifier(norm, s, lstart, cur):
        return None
    number, scale, ulp, pos = _read_number(norm, m, cur)
    unit, factor, pos = _read_unit_after(norm, pos, cur)
    tail = norm[pos:pos + 12]
    if unit and _PER_UNIT.match(tail):
        return None  # 1株当たり, 1MWあたり: the denominator of a rate
    if tail[:1].isascii() and tail[:1].isalpha():
        return None  # 3D, 5G, 2nd, 10b5, 3M
    if not unit and scale == 1 and _dated(norm, m, lstart, tail, number, cur):
        return None
    start = lstart
    negative = bool(left and left.group("sign") and left.group("sign").strip() in "-△▲")
    opened = bool(left and (left.group("open") or left.group("open2")))
    close = re.match(r"\s?\)", norm[pos:pos + 2])
    if opened and close and unit in _SIGNED_UNITS:
        assert left is not None  # opened implies it
        opener = left.start("open") if left.group("open") else left.start("open2")
        if not cur and not unit and scale == 1 and opener and norm[opener - 1].isalpha() and number < 100:
            return None  # amortization(1): a footnote marker
        negative, pos = True, pos + close.end()  # (1,234): an accounting negative
        if not unit and (pct := re.match(r"\s?%", norm[pos:pos + 2])):
            unit, pos = "%", pos + pct.end()  # (0.4)%
    elif opened:  # a parenthesis that does not close on the figure is punctuation
        assert left is not None
        start = left.start("cur") if cur else s
        negative = negative and not left.group("open")
    return _Draft(start, pos, number, unit, scale, ulp, bool(cur), negative, factor)


def _join_ranges(norm: str, drafts: list[_Draft]) -> None:
    """"$1.2-1.5 billion", "10-15%", 「2,000億～3,000億円」: the ends of a range share scale and unit."""
    for a, b in pairwise(drafts):
        if b.negative or (b.currency and not a.currency) or not _RANGE_JOIN.fullmatch(norm[a.end:b.start]):
            continue
        if (a.unit and b.unit and a.unit != b.unit) or (not b.unit and b.scale == 1):
            continue
        if a.scale == 1 and b.scale != 1:
            a.value, a.ulp, a.scale = a.value * b.scale, a.ulp * b.scale, b.scale
        if not a.unit:
            a.unit, a.factor = b.unit, b.factor
        elif not b.unit:
            b.unit = a.unit  # $1.2-1.5 billion


def parse_figures(text: str) -> list[Figure]:
    """Every checkable figure in an English or Japanese text, in order of appearance."""
    if not text:
        return []
    norm = _normalise(text)
    drafts: list[_Draft] = []
    floor = 0
    for m in _NUM.finditer(norm):
        if m.start() < floor:
            continue
        draft = _figure_at(norm, m, floor)
        if draft is None:
            continue
        drafts.append(draft)
        floor = max(draft.end, m.end())
    _join_ranges(norm, drafts)
    out = []
    for d in drafts:
        value = d.value * d.factor * (-1 if d.negative else 1)
        out.append(Figure(raw=text[d.start:d.end], value=float(value), unit=d.unit, start=d.start, end=d.end,
                          scale=float(d.scale), ulp=float(d.ulp * d.factor)))
    return out
