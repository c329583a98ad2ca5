"""Figures and periods written the way filings write them: "$161.6 million", "1億6,160万ドル", "Dec 2025".

Pure functions; `rag.figures.parse.parse_figures` reads a formatted figure back to the same value.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

_EN_CURRENCY = {"USD": "$", "JPY": "¥", "EUR": "€", "GBP": "£"}
_JA_CURRENCY = {"USD": "ドル", "JPY": "円", "EUR": "ユーロ", "GBP": "ポンド"}
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_EN_WORDS = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"))


def _exact(x: float, places: int = 2) -> bool:
    scaled = x * 10**places
    return abs(scaled - round(scaled)) <= 1e-6 * max(1.0, abs(scaled)) * 1e-3


def _round_sig(x: float, sig: int = 4) -> float:
    """Round half away from zero (181,250 -> 181,300), as a reader would."""
    if x == 0:
        return 0.0
    places = sig - 1 - math.floor(math.log10(abs(x)))
    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _number(x: float) -> str:
    """A non-negative number with thousands separators: exact to two decimals, else four significant digits."""
    if _exact(x):
        text = f"{round(x, 2):,.2f}"
    else:
        r = _round_sig(x)
        places = max(0, 3 - math.floor(math.log10(r))) if r else 0
        text = f"{r:,.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _en_scaled(x: float) -> str:
    for size, word in _EN_WORDS:
        if x >= size:
            return f"{_number(x / size)} {word}"
    return _number(x)


def _ja_kanji(x: float) -> str:
    """A non-negative amount in 兆/億/万 groups: 1億6,160万; four significant digits unless exact to 1万."""
    if x < 10**5:
        return _number(x)
    n = round(x) if _exact(x / 10**4, 0) else round(_round_sig(x))
    parts = []
    for size, mark in ((10**12, "兆"), (10**8, "億"), (10**4, "万")):
        group, n = divmod(n, size)
        if group:
            parts.append(f"{group:,}{mark}")
    if n:
        parts.append(f"{n:,}")
    return "".join(parts) or "0"


# How a number is written next to each unit. Amounts and counts take scale words ("$1.2 billion",
# "1億6,160万ドル"); rates do not ("18%"); any other unit follows its number ("300 MW").
_EN_SCALED = {**{u: (sym, "") for u, sym in _EN_CURRENCY.items()}, "shares": ("", " shares"), "": ("", "")}
_EN_PLAIN = {"%": "%", "bps": " bps", "x": "x"}
_JA_SCALED = {**_JA_CURRENCY, "shares": "株", "": ""}
_JA_PLAIN = {"%": "％", "bps": "bp", "x": "倍"}


def _format_en(x: float, unit: str) -> str:
    if unit in _EN_SCALED:
        prefix, suffix = _EN_SCALED[unit]
        return f"{prefix}{_en_scaled(x)}{suffix}"
    return _number(x) + _EN_PLAIN.get(unit, f" {unit}")


def _format_ja(x: float, unit: str) -> str:
    if unit in _JA_SCALED:
        return _ja_kanji(x) + _JA_SCALED[unit]
    return _number(x) + _JA_PLAIN.get(unit, f" {unit}")


def format_figure(value: float, unit: str, lang: str = "en") -> str:
    """Write a value in base units as an English or Japanese filing would: "$161.6 million", "1億6,160万ドル"."""
    if lang not in ("en", "ja"):
        raise ValueError(f"Unknown language {lang!r}; use 'en' or 'ja'")
    if not math.isfinite(value):
        raise ValueError(f"Cannot format {value!r}; pass a finite number")
    sign = "-" if value < 0 else ""
    return sign + (_format_ja if lang == "ja" else _format_en)(abs(value), unit)


def format_period(period: str, lang: str) -> str:
    """'2025-12' -> 'Dec 2025' / '2025年12月'; '2025Q4' -> 'Q4 2025' / '2025年第4四半期'."""
    if m := re.fullmatch(r"(\d{4})-(\d{2})", period):
        y, mo = m.group(1), int(m.group(2))
        return f"{y}年{mo}月" if lang == "ja" else f"{_MONTH_ABBR[mo - 1]} {y}"
    if m := re.fullmatch(r"(\d{4})Q([1-4])", period, re.IGNORECASE):
        return f"{m.group(1)}年第{m.group(2)}四半期" if lang == "ja" else f"Q{m.group(2)} {m.group(1)}"
    if m := re.fullmatch(r"(\d{4})H([12])", period, re.IGNORECASE):
        return f"{m.group(1)}年{'上' if m.group(2) == '1' else '下'}半期" if lang == "ja" else f"H{m.group(2)} {m.group(1)}"
    if re.fullmatch(r"\d{4}", period):
        return f"{period}年" if lang == "ja" else period
    return period or "—"
