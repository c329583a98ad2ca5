"""Sentences and table lines of a passage: one splitter for quoting, briefing and figure checks."""

from __future__ import annotations

import re

from rag.text.tables import is_table_line

_ABBREV = re.compile(
    r"\b(Inc|Corp|Co|Ltd|No|Nos|Mr|Ms|Mrs|Dr|St|vs|etc|approx|U\.S|e\.g|i\.e|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|"
    r"Nov|Dec|Fig|Ref)\.$"
)
_SENTENCE_END = re.compile(r"(?<=[。！？])|(?<=[.!?][\"”’)])\s+|(?<=[.!?])\s+(?=[\"“‘(A-Z0-9$¥€£【「])")


def split_sentences(line: str) -> list[str]:
    """The sentences of one line of prose (English and Japanese ends; "Inc." and "U.S." don't end one)."""
    out: list[str] = []
    pending = ""
    for part in _SENTENCE_END.split(line):
        part = (part or "").strip()
        if not part:
            continue
        pending = f"{pending} {part}".strip() if pending else part
        if not _ABBREV.search(pending):
            out.append(pending)
            pending = ""
    if pending:
        out.append(pending)
    return out


def split_units(text: str) -> list[str]:
    """Sentences and table lines of a passage, in order (English and Japanese sentence ends); headings are
    left out, since a title states a topic, not an answer."""
    units: list[str] = []
    for line in text.splitlines():
        if re.match(r"\s*#+\s", line):
            continue
        line = re.sub(r"^\s*[-*•]\s+", "", line).strip()
        if not line or re.fullmatch(r"[-=_*|: ]+", line):
            continue
        if is_table_line(line):
            units.append(line)
            continue
        units.extend(split_sentences(line))
    return units


_TRAILING_REFS = re.compile(r"(\s*(\[[^\[\]]*\]|\([^()]*https?://[^()]*\)|https?://\S+|\((weak|primary)[^()]*\)))+\s*$")


_INLINE_REF = re.compile(r"\s*(\[source\b|\[[^\[\]]*https?://|\([^()]*https?://|https?://)")


def clean_unit(unit: str) -> str:
    """What gets quoted of a unit: cut before the first source reference or URL, without Markdown emphasis."""
    unit = unit.replace("**", "").replace("__", "")
    m = _INLINE_REF.search(unit)
    if m:
        unit = unit[: m.start()]
    return _TRAILING_REFS.sub("", unit).strip().rstrip(" —–-:;,")
