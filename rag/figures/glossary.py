"""A curated English–Japanese glossary of financial terms, for briefings and labels in both languages."""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Any

LANGS = ("en", "ja")
_QUALIFIER = re.compile(r"\s*\([^)]*\)\s*$")  # "Revenue (in millions)", 「売上高(百万円)」


@lru_cache(maxsize=1)
def load_glossary() -> dict[str, dict[str, Any]]:
    """The glossary from package data: key -> {"en", "ja", "en_aliases", "ja_aliases"}."""
    text = resources.files("rag").joinpath("data", "glossary.json").read_text(encoding="utf-8")
    return json.loads(text)["terms"]


def _norm(label: str) -> str:
    label = unicodedata.normalize("NFKC", label)
    label = _QUALIFIER.sub("", label.strip().rstrip(":").strip())
    return " ".join(label.replace("’", "'").split()).casefold().replace("・", "")


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    """Every wording in either language (normalised) -> its key; the first term to claim a wording keeps it."""
    index: dict[str, str] = {}
    for key, entry in load_glossary().items():
        for lang in LANGS:
            for wording in [entry[lang], *entry.get(f"{lang}_aliases", [])]:
                index.setdefault(_norm(wording), key)
    return index


def term(key: str, lang: str = "en") -> str:
    """The preferred wording of a glossary term: term("net_income", "ja") == "純利益"."""
    if lang not in LANGS:
        raise ValueError(f"Unknown language {lang!r}; use 'en' or 'ja'")
    entry = load_glossary().get(key)
    if entry is None:
        raise KeyError(f"No glossary term {key!r}; add it to rag/data/glossary.json or use one of: "
                       + ", ".join(sorted(load_glossary())[:10]) + ", ...")
    return entry[lang]


def lookup(label: str) -> str | None:
    """The glossary key a label (English or Japanese, any listed wording) stands for, or None."""
    if label in load_glossary():
        return label
    return _index().get(_norm(label))


def translate_label(label: str, lang: str = "ja") -> str:
    """A label in the other language: translate_label("Net sales", "ja") == "売上高"; unknown labels pass through."""
    if lang not in LANGS:
        raise ValueError(f"Unknown language {lang!r}; use 'en' or 'ja'")
    key = lookup(label)
    if key is None:
        return label
    out = term(key, lang)
    if lang == "en" and (label[:1].isupper() or not label[:1].isascii()):
        return out[:1].upper() + out[1:]
    return out
