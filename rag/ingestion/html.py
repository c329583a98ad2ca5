"""HTML pages: the article's text (menus, scripts and hidden parts removed), table rows kept as rows."""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Any

from rag.errors import CorruptFileError, EmptyFileError
from rag.ingestion.clean import SPACES_RE, clean_text
from rag.ingestion.files import TextBudget, TextLimits, check_binary, display_name
from rag.ingestion.metadata import clean_meta
from rag.schema import Page

MAX_HTML_DEPTH = 1_000  # lexbor parses deep block nesting in quadratic time

_DROP_TAGS = ["script", "style", "nav", "header", "footer", "aside", "iframe", "noscript", "form", "svg",
              "template", "object", "embed", "canvas", "button", "select", "textarea", "input", "head",
              "frameset", "frame", "audio", "video", "math", "dialog", "menu"]
_HIDDEN = ('[hidden], [aria-hidden="true"], [role="navigation"], [role="banner"], [role="contentinfo"], '
           '[role="complementary"], [style*="display:none"], [style*="display: none"], '
           '[style*="visibility:hidden"], [style*="visibility: hidden"]')
_BLOCK_TAGS = frozenset("p div section article main h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote table "
                        "caption figure figcaption address hr details summary body html center tbody thead "
                        "tfoot fieldset legend".split())
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_OPTIONAL_END = frozenset("p li dt dd tr td th option optgroup thead tbody tfoot colgroup rb rt rp html "
                          "head body".split())
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)")
_HTML_META = {  # in order of preference
    "title": ('meta[property="og:title"]', 'meta[name="twitter:title"]', "title", "h1"),
    "date": ('meta[property="article:published_time"]', 'meta[name="date"]', 'meta[name="pubdate"]',
             'meta[name="publish-date"]', 'meta[name="DC.date"]', 'meta[itemprop="datePublished"]',
             'meta[name="citation_publication_date"]', "time[datetime]"),
    "url": ('link[rel="canonical"]', 'meta[property="og:url"]'),
}


def _first_value(tree: Any, selectors: tuple[str, ...]) -> str:
    for selector in selectors:
        node = tree.css_first(selector)
        if node is not None:
            attrs = node.attributes
            value = attrs.get("content") or attrs.get("href") or attrs.get("datetime")
            value = value or (node.text(deep=True) if node.tag in ("title", "h1") else "")
            if value and value.strip():
                return value.strip()
    return ""


def decode_html(path: Path, data: bytes) -> str:
    """HTML bytes as text, by their byte-order mark, their declared charset, UTF-8 or cp1252."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(enc, errors="replace")
    check_binary(path, data)
    declared = re.search(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", data[:4096], re.IGNORECASE)
    if declared and not declared.group(1).lower().startswith((b"utf-16", b"utf-32", b"ucs")):  # as browsers do
        try:
            return data.decode(declared.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # the web's default when nothing is declared


def _max_depth(html: str) -> int:
    depth = peak = 0
    for m in _TAG_RE.finditer(html):
        tag = m.group(2).lower()
        if tag in _VOID or tag in _OPTIONAL_END:
            continue
        depth = max(depth - 1, 0) if m.group(1) else depth + 1
        peak = max(peak, depth)
    return peak


def _row_cells(row: Any) -> list[str]:
    cells: list[str] = []
    for cell in row.iter():
        if cell.tag in ("td", "th"):
            text = SPACES_RE.sub(" ", " ".join(cell.text(deep=True, separator=" ").split()))
            # EDGAR tables put "$" and "%" in cells of their own; keep them with their number.
            if text and cells and (text in ("%", ")", ")%", "%)") or cells[-1] in ("$", "€", "£", "¥")):
                cells[-1] += text
            elif text:
                cells.append(text)
    return cells


def _html_lines(root: Any) -> list[str]:
    """Block elements, headings and table rows each on their own line (iterative: pages may nest deeply)."""
    lines: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        text = " ".join("".join(buf).split())
        if text:
            lines.append(text)
        buf.clear()

    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        tag = node.tag
        if closing:
            flush()
        elif tag == "-text":
            buf.append(node.text_content or "")
        elif tag == "br":
            flush()
        elif tag == "tr":
            flush()
            cells = _row_cells(node)
            if cells:
                lines.append(" | ".join(cells))
        elif tag == "pre":
            flush()
            lines.extend(node.text(deep=True).splitlines())
        elif tag and not tag.startswith("-"):
            if tag in _BLOCK_TAGS:
                flush()
                stack.append((node, True))
            stack.extend((child, False) for child in reversed(list(node.iter(include_text=True))))
    flush()
    return lines


def _main_article(tree: Any) -> Any:
    """The longest <article>, when it holds at least a quarter of the page's text (else it is a teaser)."""
    articles = tree.css("article")
    if not articles or tree.body is None:
        return None
    best = max(articles, key=lambda a: len(a.text(deep=True)))
    return best if len(best.text(deep=True)) >= 0.25 * len(tree.body.text(deep=True)) else None


def load_html(path: Path, data: bytes, limits: TextLimits | None = None) -> tuple[list[Page], dict[str, str]]:
    """An HTML page's article text as one page, with its title, date and canonical URL.

    Text past `limits.doc_chars` is left out, and `text_limited` in the metadata says so.
    """
    from selectolax.lexbor import LexborHTMLParser

    html = decode_html(path, data)
    depth = _max_depth(html)
    if depth > MAX_HTML_DEPTH:
        raise CorruptFileError(path, f"{display_name(path)} nests its elements {depth} levels deep, which no "
                                     "real page does; save the article as PDF or plain text and ingest that")
    tree = LexborHTMLParser(html)
    meta: dict[str, str] = {"format": "html"}
    raw = {key: _first_value(tree, selectors) for key, selectors in _HTML_META.items()}
    if raw.get("date"):
        raw["date"] = (m.group() if (m := re.match(r"\d{4}-\d\d-\d\d", raw["date"].strip())) else raw["date"])
    meta.update(clean_meta(raw))
    tree.strip_tags(_DROP_TAGS)
    for node in tree.css(_HIDDEN):
        node.decompose()
    root = tree.css_first("main") or _main_article(tree) or tree.body or tree.root
    text = clean_text("\n".join(_html_lines(root))) if root is not None else ""
    budget = TextBudget(limits or TextLimits())
    text = budget.take(text)
    if budget.notes:
        meta["text_limited"] = budget.note()
    if not text:
        raise EmptyFileError(path, f"{display_name(path)} has no readable text once scripts, menus and forms "
                                   "are removed; save the article itself as HTML, PDF or text")
    return [Page(page=0, text=text)], meta
