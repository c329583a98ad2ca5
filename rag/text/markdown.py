"""Lines back into paragraphs: Markdown's soft wraps, and hard-wrapped text from PDFs and notes."""

from __future__ import annotations

import re

from rag.text.lang import KANA_KANJI

_MD_BLOCK = re.compile(r"^\s*(?:#{1,6}\s|[-*+]\s|\d+[.)]\s|>|\||```|---|\*\*\*)")
_BLOCK_START = re.compile(r"^\s*(?:[-*•+]\s|#|\||\d+[.)]\s|>)")
_LINE_END = re.compile(r"[.!?。！？:：]\**\s*$")


def unwrap_markdown(text: str) -> str:
    """Join the soft-wrapped lines of Markdown paragraphs (Markdown reads a single newline as a space).

    Headings, list items, quotes, tables and code fences keep their own lines, so sentences
    come out whole for chunking and quoting.
    """
    out: list[str] = []
    in_code = False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            in_code = not in_code
            out.append(line)
            continue
        joinable = (not in_code and out and out[-1].strip() and line.strip() and not _MD_BLOCK.match(line)
                    and not re.match(r"^\s*(?:#{1,6}\s|\||```)", out[-1]))
        if joinable:
            out[-1] = out[-1].rstrip() + " " + line.strip()
        else:
            out.append(line)
    return "\n".join(out)


def unwrap_lines(text: str) -> str:
    """Join hard-wrapped lines back into paragraphs; list items, headings and table rows stay on their own lines."""
    out: list[str] = []
    for line in text.splitlines():
        s = line.strip()
        if not s:
            out.append("")
            continue
        prev = out[-1] if out else ""
        if prev and not _BLOCK_START.match(line) and not prev.startswith(("#", "|")) and not _LINE_END.search(prev):
            out[-1] = prev + ("" if KANA_KANJI.search(prev[-1:] + s[:1]) else " ") + s
        else:
            out.append(s)
    return "\n".join(out)
