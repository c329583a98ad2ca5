"""Extracted text made plain: one clean_text for PDF, HTML, text and metadata values."""

from __future__ import annotations

import re

_CHAR_MAP = {
    "\ufffe": "-", "\x02": "-",  # pdfium's marks for hyphens it generated or could not map
    "\t": " ", "\x0b": "\n", "\x0c": "\n", "\u2028": "\n", "\u2029": "\n",
    "\uf0b7": "•", "\uf0a7": "•", "\uf076": "•", "\uf0d8": "•", "\uf0fc": "✓",
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
}
_CHAR_MAP_RE = re.compile("|".join(map(re.escape, _CHAR_MAP)))
_ODD_SPACE = "\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
# Runs of spaces, and any odd (no-break, thin, ideographic) space: each becomes one plain space.
SPACES_RE = re.compile(f"[ {_ODD_SPACE}]{{2,}}|[{_ODD_SPACE}]")
_JUNK_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff"
                      r"\ue000-\uf8ff\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Normalise whitespace: one space between words, lines kept, no control or invisible characters."""
    text = _CHAR_MAP_RE.sub(lambda m: _CHAR_MAP[m.group()], text.replace("\r\n", "\n").replace("\r", "\n"))
    text = SPACES_RE.sub(" ", _JUNK_RE.sub("", text))
    text = "\n".join(line.strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()
