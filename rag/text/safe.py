"""Document text shown in Markdown: escaped, so it renders as text and never as markup or HTML."""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~:$])")
# Where GitHub-flavoured Markdown starts a bare link (http://, www., an e-mail's @). Streamlit's renderer finds
# these in the text after backslash escapes are resolved, so escaping cannot stop them: a word joiner (U+2060,
# invisible) breaks the pattern instead.
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)")
WORD_JOINER = "\u2060"


def no_autolinks(text: str) -> str:
    """Text whose bare URLs and e-mail addresses Markdown shows as text, not as live links (looks the same)."""
    return _AUTOLINK.sub(WORD_JOINER, text)


def escape_markdown(text: str) -> str:
    """Escape Markdown and HTML so the text shows as written (no links, images, tags or maths)."""
    text = no_autolinks(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def highlight(passage: str, quote: str) -> str:
    """The escaped passage with the quoted sentence marked; Markdown-safe."""
    quote = (quote or "").strip()
    if quote and quote in passage:
        before, _, after = passage.partition(quote)
        return f"{escape_markdown(before)}**:orange-background[{escape_markdown(quote)}]**{escape_markdown(after)}"
    return escape_markdown(passage)


# C0 and C1 controls (ESC among them) and the bidi overrides that reorder what a terminal shows.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#@\s]*@")
_SECRET_PARAM = re.compile(r"(?i)([?&](?:api[_-]?key|key|token|access[_-]?token|secret|password|sig)=)[^&#\s]*")


def escape_controls(text: str) -> str:
    """Control characters shown as \\xNN (or \\uNNNN), so printed text cannot drive the terminal; newlines and
    tabs stay."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                         else f"\\u{ord(m.group()):04x}", text)


def redact_urls(text: str) -> str:
    """Text with the user name and password of every URL in it, and secret query parameters, replaced by ***."""
    return _SECRET_PARAM.sub(r"\1***", _USERINFO.sub(r"\1***@", text))
