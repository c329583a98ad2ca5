"""The kinds of figure a question asks for and a sentence carries: money, percentages, counts."""

from __future__ import annotations

import re

from rag.figures.parse import CURRENCIES, PERCENT_UNITS, parse_figures

_ASKS = {
    "currency": re.compile(
        r"\b(how much(?!\s+(?:(?:approved|installed|contracted|usable|more|total)\s+)?(?:bitcoin|btc|power|capacity|electricity|energy|hashrate|land|space|of (?:the |its )?"
        r"(?:bitcoin|capacity|power)))|amount|costs?|price|proceeds|raised?|revenues?|sales|income|loss|spen[dt]|paid|pay|worth|cash|"
        r"capex|debt|profit|earnings)\b|いくら|金額|ドル|円|売上|収益|利益|損失|調達|費用|価格",
        re.IGNORECASE,
    ),
    "percent": re.compile(
        r"\b(percent|percentage|margin|rate|share of)\b|%|％|何\s*[%％]|パーセント|割合|率", re.IGNORECASE
    ),
    "count": re.compile(
        r"\b(how many|number of|how much (?:(?:approved|installed|contracted|usable|more|total) )?(?:bitcoin|btc|power|capacity|electricity|energy|hashrate))\b|何人|何件|いくつ|何基|何台|何枚|何個|何社|何BTC|何株|何票|保有量|採掘量|売却量|の量|枚数|台数|件数|数は",
        re.IGNORECASE,
    ),
}


# "How much capacity was left unused in the ATM programme?": the capacity of a financing (an offering, a programme,
# a credit line) is money, not megawatts.
_CAPACITY = re.compile(r"\bhow much (?:\w+ )?capacity\b", re.IGNORECASE)
_FINANCING = re.compile(r"\b(?:ATM|at-the-market|programmes?|programs?|facility|credit lines?|offering|shelf|notes)\b",
                        re.IGNORECASE)


def asked_kinds(question: str) -> set[str]:
    """The kinds of figure a question asks for: 'currency', 'percent', 'count' (empty for none)."""
    kinds = {kind for kind, pat in _ASKS.items() if pat.search(question)}
    if "count" in kinds and _CAPACITY.search(question) and _FINANCING.search(question):
        kinds = (kinds - {"count"}) | {"currency"}
    return kinds


def figure_kinds(text: str) -> set[str]:
    """The kinds of figure a sentence carries (years and dates are not figures)."""
    kinds = set()
    for fig in parse_figures(text):
        if fig.unit in PERCENT_UNITS:
            kinds.add("percent")
        elif fig.unit in CURRENCIES:
            kinds.add("currency")
        else:
            kinds.add("count")
    return kinds
