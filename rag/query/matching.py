"""Pieces every query matcher shares: ASCII word boundaries, span bookkeeping, normalised forms, data files."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from importlib import resources
from typing import Any

from rag.text.normalize import normalize

# ASCII word boundaries: \b treats kana and kanji as word characters, so "AMDの" would have none.
WORD_START = r"(?<![A-Za-z0-9])"
WORD_END = r"(?![A-Za-z0-9])"
JA_SEPARATORS = "・･ 　=＝"

Span = tuple[int, int]


def read_data(name: str) -> Any:
    """One JSON table of rag/data."""
    return json.loads(resources.files("rag").joinpath("data", name).read_text(encoding="utf-8"))


def fold_ja(text: str) -> str:
    """Normalised, lower case, without the separators Japanese names are written with (・, spaces, ＝)."""
    return "".join(ch for ch in normalize(text).lower() if ch not in JA_SEPARATORS)


def en_norm(text: str) -> str:
    """Lower case, hyphens and slashes as spaces, apostrophes as NUL; same length as the input."""
    out = []
    for ch in text:
        low = ch.lower()
        if len(low) != 1:
            low = ch
        if low in "-–—/":
            low = " "
        elif low == "'":
            low = "\x00"
        out.append(low)
    return "".join(out)


def en_key(term: str) -> str:
    """The form two English terms are compared in: en_norm without the apostrophes."""
    return en_norm(term).replace("\x00", "")


def phrase_pattern(term: str) -> str:
    """Regex for a normalised English term, tolerant of apostrophes, plurals and spacing."""
    words = en_key(term).split()
    if len(words) > 1 and words[-1].endswith("s") and not words[-1].endswith("ss") and len(words[-1]) > 3:
        words[-1] = words[-1][:-1]  # "fixed assets" also matches "fixed asset"
    body = r"[\s\x00]+".join("\x00?".join(re.escape(c) for c in w) for w in words)
    return WORD_START + body + r"(?:s|es)?" + WORD_END


def mask(text: str, spans: Iterable[Span]) -> str:
    """Text with the characters of the spans blanked out (positions kept)."""
    chars = list(text)
    for a, b in spans:
        for i in range(a, b):
            chars[i] = " "
    return "".join(chars)


def overlaps(span: Span, spans: Iterable[Span]) -> bool:
    return any(span[0] < b and a < span[1] for a, b in spans)
