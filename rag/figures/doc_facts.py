"""The facts of a whole document, as an ingest computes them: statement pages only, each fact tied to its chunk.

Reading character boxes costs 20–30 ms on a table page, so not every table is read: pages labelled as a primary
statement (rag.ingestion.page_sections) with a few numeric rows, and other pages only when they are dense tables
(selected financial data, segment tables). Text and HTML documents go through the plain-text table reader.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.figures.facts import Fact, facts_from_page
from rag.figures.line_items import normalise_label
from rag.schema import Chunk, Document
from rag.text.tables import is_numeric_row

log = logging.getLogger(__name__)

_STATEMENTS = frozenset({"income_statement", "balance_sheet", "cash_flow"})
STATEMENT_ROWS = 3  # a statement page needs this many numeric rows to be read
DENSE_ROWS = 15  # any other page needs this many


def wanted_page(text: str, section: str) -> bool:
    """Is a page worth reading for facts: a statement page, or a dense table?"""
    rows = sum(1 for line in text.splitlines() if is_numeric_row(line))
    if rows >= DENSE_ROWS:
        return True
    return rows >= STATEMENT_ROWS and bool(_STATEMENTS & set(section.split(",")))


def document_facts(doc: Document) -> list[Fact]:
    """Facts of a loaded document (pages already labelled); [] when its file cannot be reopened."""
    meta = {"doc_name": doc.doc_name, "company": doc.company, "period": doc.period}
    pages = [p for p in doc.pages if wanted_page(p.text, p.section)]
    if not pages:
        return []
    if Path(doc.source).suffix.lower() != ".pdf":
        return [f for p in pages for f in facts_from_page(p.text, meta, p.page)]
    return _pdf_facts(Path(doc.source), pages, meta)


def _pdf_facts(path: Path, pages: Sequence[Any], meta: dict[str, str]) -> list[Fact]:
    import pypdfium2 as pdfium

    from rag.ingestion.pdf import _PDFIUM_LOCK  # pdfium is not thread-safe; the app may render a page meanwhile

    facts: list[Fact] = []
    with _PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(str(path))
        except (pdfium.PdfiumError, OSError) as exc:
            log.warning("facts skipped file=%s error=%s", path.name, exc)
            return []
        try:
            for p in pages:
                page = pdf[p.page]
                try:
                    facts += facts_from_page(page, meta, p.page, text=p.text)
                except Exception as exc:  # a table the reader trips on must not cost the document
                    log.warning("facts skipped file=%s page=%s error=%s", path.name, p.page, exc)
                finally:
                    page.close()
        finally:
            pdf.close()
    return facts


def _squashed(text: str) -> str:
    return re.sub(r"\s+", " ", normalise_label(text))


def attach_chunks(facts: list[Fact], chunks: Sequence[Chunk]) -> None:
    """Fill each fact's `chunk` with the id of the chunk of its page that holds its row (label and figure)."""
    by_page: dict[int, list[tuple[str, str, str]]] = {}
    for ch in chunks:
        by_page.setdefault(ch.page, []).append((ch.chunk_id, _squashed(ch.text), ch.text))
    for fact in facts:
        candidates = by_page.get(fact.page, [])
        if not candidates:
            continue
        label = _squashed(fact.label)
        best = next((cid for cid, sq, raw in candidates if label and label in sq and fact.printed in raw), "")
        best = best or next((cid for cid, sq, _ in candidates if label and label in sq), "")
        fact.chunk = best or candidates[0][0]
