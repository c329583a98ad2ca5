"""Document text shown in Markdown: escaped, so it renders as text and never as markup or HTML."""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~:$])")


def escape_markdown(text: str) -> str:
    """Escape Markdown and HTML so the text shows as written (no links, images, tags or maths)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def highlight(passage: str, quote: str) -> str:
    """The escaped passage with the quoted sentence marked; Markdown-safe."""
    quote = (quote or "").strip()
    if quote and quote in passage:
        before, _, after = passage.partition(quote)
        return f"{escape_markdown(before)}**:orange-background[{escape_markdown(quote)}]**{escape_markdown(after)}"
    return escape_markdown(passage)
