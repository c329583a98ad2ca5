"""Split pages into token-bounded chunks that never cross a page and keep table rows whole."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from rag.schema import Chunk, Document, Page
from rag.text.sentences import split_sentences
from rag.text.tables import is_table_row
from rag.text.tokens import count_tokens, get_encoding


def _blocks(text: str) -> list[tuple[str, list[str]]]:
    """Group a page's lines into ('table' | 'text', lines) blocks."""
    blocks: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if not line.strip():
            if blocks and blocks[-1][0] == "text" and blocks[-1][1]:
                blocks.append(("text", []))
            continue
        kind = "table" if is_table_row(line) else "text"
        if blocks and (blocks[-1][0] == kind or (kind == "text" and blocks[-1][0] == "table" and len(line) < 40
                                                 and not line.rstrip().endswith("."))):
            # Short non-numeric lines inside a table are usually row labels or sub-headings.
            blocks[-1][1].append(line)
        else:
            blocks.append((kind, [line]))
    return [(k, lines) for k, lines in blocks if lines]


def _split_long_line(line: str, max_tokens: int) -> list[str]:
    """Split a line longer than the budget, preferring sentence ends, then token bounds."""
    enc = get_encoding()
    parts: list[str] = []
    for sentence in split_sentences(line):
        ids = enc.encode_ordinary(sentence)
        parts.extend(enc.decode(ids[i : i + max_tokens]).strip() for i in range(0, len(ids), max_tokens))
    return [p for p in parts if p]


def split_page_text(
    text: str, max_tokens: int = 320, overlap: int = 48, counter: Callable[[str], int] = count_tokens
) -> list[tuple[str, str]]:
    """Split one page into pieces of at most max_tokens.

    Returns (text, context) pairs: context is the heading or table header a piece continues
    from, so a continuation of a table still knows its title and columns.
    """
    if max_tokens < 16:
        raise ValueError("max_tokens must be at least 16")
    if not 0 <= overlap < max_tokens:
        raise ValueError("overlap must be >= 0 and smaller than max_tokens")
    units: list[tuple[str, int, str]] = []  # (line, tokens, context)
    heading = ""
    for kind, lines in _blocks(text):
        context = heading
        if kind == "table":
            header = [ln for ln in lines[:3] if not is_table_row(ln)]
            context = " / ".join(filter(None, [heading, *header]))[:200]
        for line in lines:
            n = counter(line)
            if n > max_tokens:
                units.extend((part, counter(part), context) for part in _split_long_line(line, max_tokens))
            else:
                units.append((line, n, context))
        if kind == "text" and len(lines) <= 2 and len(lines[0]) < 90 and not lines[-1].rstrip().endswith("."):
            heading = " ".join(lines).strip()
    pieces: list[tuple[str, str]] = []
    start = 0
    while start < len(units):
        total, end = 0, start
        while end < len(units) and total + units[end][1] + 1 <= max_tokens:
            total += units[end][1] + 1
            end += 1
        end = max(end, start + 1)
        pieces.append(("\n".join(u[0] for u in units[start:end]), units[start][2] if start else ""))
        if end >= len(units):
            break
        # Step back over whole lines to share about `overlap` tokens with the next piece.
        back, shared = end, 0
        while back - 1 > start and shared + units[back - 1][1] <= overlap:
            back -= 1
            shared += units[back][1]
        start = back
    return pieces


def chunk_id(doc_name: str, page: int, ord_: int, text: str) -> str:
    """A stable id: the same document, page and text always give the same id."""
    digest = hashlib.sha256(f"{doc_name}\x1f{page}\x1f{ord_}\x1f{text}".encode()).hexdigest()
    return f"{doc_name[:40]}-p{page}-{digest[:16]}"


def embed_header(doc: Document, page: Page) -> str:
    """A short line naming the document and section, so a chunk's vector knows whose filing it is.

    Kept to a few words: every token here is paid for in every chunk's embedding.
    """
    parts = [doc.company, doc.period, doc.doc_type.upper(), doc.title if not doc.company else ""]
    if page.section:
        parts.append(page.section.split(",")[0].replace("_", " "))
    return " | ".join(p for p in parts if p)


def chunk_pages(doc: Document, max_tokens: int = 320, overlap: int = 8) -> list[Chunk]:
    """Chunk every page of a document; chunks never cross a page boundary.

    A chunk's `embed_text` is its short document header plus its text (what the vector sees);
    its `context` — the PDF bookmark and the heading or table header it continues — goes to the
    keyword index only.

    Example:
        >>> chunks = chunk_pages(doc, max_tokens=320)
        >>> {c.page for c in chunks} <= {p.page for p in doc.pages}
        True
    """
    base = doc.metadata()
    chunks: list[Chunk] = []
    for page in doc.pages:
        if not page.text.strip():
            continue
        header = embed_header(doc, page)
        for ord_, (text, context) in enumerate(split_page_text(page.text, max_tokens, overlap)):
            embed_text = "\n".join(p for p in (header, text) if p)
            meta = {**base, "page": page.page, "ord": ord_, "lang": page.lang, "section": page.section}
            chunks.append(Chunk(chunk_id(doc.doc_name, page.page, ord_, text), doc.doc_name, page.page, ord_,
                                text, embed_text, meta, " / ".join(p for p in (page.heading[:120], context) if p)))
    return chunks
