"""Canonical line items: which item a row label as printed stands for ('Purchases of property, plant and equipment
(PP&E)' → capex), from the curated list in rag/data/line_items.json, in English and Japanese."""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Any

_FOOTNOTE = re.compile(r"\((?:\d{1,2}|[a-z]|note \d+[a-z]?|notes? [\d, and]+|see note \d+|\*+)\)|\*+|\(\d\)$", re.I)
_PUNCT = re.compile(r"[^\w\s]|_")


@lru_cache(maxsize=1)
def load_line_items() -> dict[str, dict[str, Any]]:
    """The line items from package data: key -> {"en", "ja", "statements", "variants", "patterns", "ja_variants"}."""
    text = resources.files("rag").joinpath("data", "line_items.json").read_text(encoding="utf-8")
    return json.loads(text)["items"]


def normalise_label(label: str) -> str:
    """A label compared by wording alone: 'Receivables, net (Note 4)' → 'receivables net'."""
    text = unicodedata.normalize("NFKC", label).replace("’", "'").replace("&", " and ")
    text = _FOOTNOTE.sub(" ", text.casefold()).replace("'s", "s").replace("'", "")
    text = re.sub(r"[—–-]", " ", text)
    return " ".join(_PUNCT.sub(" ", text).split())


@lru_cache(maxsize=1)
def _compiled() -> tuple[dict[str, str], list[tuple[str, re.Pattern[str]]]]:
    exact: dict[str, str] = {}
    patterns: list[tuple[str, re.Pattern[str]]] = []
    for key, item in load_line_items().items():
        for wording in [item["en"], *item.get("variants", [])]:
            exact.setdefault(normalise_label(wording), key)
        for wording in [item["ja"], *item.get("ja_variants", [])]:
            exact.setdefault(unicodedata.normalize("NFKC", wording), key)
        patterns += [(key, re.compile(p)) for p in item.get("patterns", [])]
    return exact, patterns


def _allowed(key: str, statement: str) -> bool:
    statements = load_line_items()[key].get("statements") or []
    return not statements or not statement or statement in statements


@lru_cache(maxsize=8192)  # labels repeat across the pages and filings of an ingest
def line_item(label: str, statement: str = "", section: str = "") -> str | None:
    """The canonical line item a row label stands for, or None.

    `statement` keeps an item to the statements it belongs to (cash-flow "Inventories" is a change, not the
    balance); `section` is the heading the row sits under, read when the label alone says too little ("Basic"
    under "Earnings per share").
    """
    exact, patterns = _compiled()
    for text in (normalise_label(label), normalise_label(f"{section} {label}") if section else ""):
        if not text:
            continue
        key = exact.get(text) or exact.get(unicodedata.normalize("NFKC", label).strip())
        if key and _allowed(key, statement):
            return key
        for key, rx in patterns:
            if rx.fullmatch(text) and _allowed(key, statement):
                return key
    return None


def item_name(key: str, lang: str = "en") -> str:
    """The preferred name of a line item: item_name("capex", "ja") == "設備投資"."""
    if lang not in ("en", "ja"):
        raise ValueError(f"Unknown language {lang!r}; use 'en' or 'ja'")
    item = load_line_items().get(key)
    if item is None:
        raise KeyError(f"No line item {key!r}; add it to rag/data/line_items.json")
    return str(item[lang])
