"""Document text as one piece of Markdown that renders as written: escaped only where it would be markup.

CommonMark's own rules decide what is markup: raw HTML and autolinks need "<" before a letter, "/", "!" or "?";
links and images need "[" (a citation marker "[12]" is left as it is); emphasis needs "*" or "_" that are not
between two spaces (and "_" not inside a word); code needs "`"; an entity needs "&name;"; a block starts with "#",
">", "- ", "1. " or a rule. Everything else ("Riot Platforms (all periods): $161.6 million, 5 * 3") stays as
written, so the downloaded file reads cleanly. Streamlit also renders "$…$" as maths: `maths=True` escapes "$" for
the app; a table cell escapes "|".
"""

from __future__ import annotations

import re
import string

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPECIAL = re.compile(r"[\\`*_~\[\]<&|$]")
_PUNCT = frozenset(string.punctuation)
_CITATION = re.compile(r"\[\d{1,3}\]")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_BLOCK = re.compile(r"#|>|[-+*](?=\s|$)|[-=+_]{2,}")  # a heading, quote, list item or rule at the start
_ORDERED = re.compile(r"(\d{1,9})([.)])(?=\s|$)")


def _fix(text: str, m: re.Match[str], *, cell: bool, maths: bool) -> str:
    """The escaped form of one special character, from the characters around it."""
    ch, i = m.group(0), m.start()
    before = text[i - 1] if i else ""  # a piece's edge counts as neither space nor a word (the safe side)
    after = text[i + 1] if i + 1 < len(text) else ""
    spaced = before.isspace() and after.isspace()  # such a delimiter can neither open nor close
    match ch:
        case "\\":
            return "\\\\" if not after or after in _PUNCT else ch
        case "*":
            return ch if spaced else "\\*"
        case "_":
            return ch if spaced or (before.isalnum() and after.isalnum()) else "\\_"
        case "~":  # strikethrough needs a pair
            return "\\~" if text.count("~") > 1 and not spaced else ch
        case "[":
            return ch if _CITATION.match(text, i) else "\\["
        case "]":  # only a citation's bracket is left open to "(url)" or "[1]: url"
            return "\\]" if after in ("(", ":") and re.search(r"\[\d{1,3}$", text[:i]) else ch
        case "<":
            return "\\<" if after and (after.isalpha() or after in "/!?") else ch
        case "&":
            return "\\&" if _ENTITY.match(text, i) else ch
        case "|":
            return "\\|" if cell else ch
        case "$":
            return "\\$" if maths else ch
    return "\\" + ch  # "`"


def escape_md(text: str, *, cell: bool = False, maths: bool = False) -> str:
    """One line of text as Markdown that shows it as written, never as markup, HTML, a link or (with `maths`) maths.

    Example:
        >>> escape_md("Riot (all periods): $161.6 million [1] <b>*new*</b>")
        'Riot (all periods): $161.6 million [1] \\\\<b>\\\\*new\\\\*\\\\</b>'
    """
    text = " ".join(_CONTROL.sub(" ", str(text)).split())
    out = _SPECIAL.sub(lambda m: _fix(text, m, cell=cell, maths=maths), text)
    if m := _ORDERED.match(out):
        return f"{m.group(1)}\\{m.group(2)}{out[m.end():]}"
    if _BLOCK.match(out):
        return "\\" + out
    return out
