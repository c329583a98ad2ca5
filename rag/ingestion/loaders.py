"""Turn one file (PDF, HTML, text, Markdown) into a Document of zero-indexed pages with metadata.

The readers live in modules named for what they read: `files` (finding and reading files),
`pdf`, `html`, `text`, and `metadata` (file names, sidecars, front matter).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from rag.errors import UnsupportedFileError
from rag.ingestion.files import SUPPORTED_SUFFIXES, TextLimits, display_name, read_bytes, unsupported_message
from rag.ingestion.html import load_html
from rag.ingestion.metadata import META_KEYS, document_metadata
from rag.ingestion.pdf import load_pdf
from rag.ingestion.text import load_text
from rag.schema import Document, Page
from rag.text.lang import lang_of_counts, script_counts


def _read_pages(path: Path, data: bytes, limits: TextLimits) -> tuple[list[Page], dict[str, object]]:
    """The file's pages and what it says about itself, by the reader for its suffix."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return load_pdf(path, data, limits)
    if suffix in (".html", ".htm"):
        pages, meta = load_html(path, data, limits)
    else:
        pages, meta = load_text(path, data, limits)
    return pages, dict(meta)


def _set_languages(pages: list[Page]) -> str:
    """Label each page 'en' or 'ja' by its script; return the language of the whole document."""
    ja = letters = 0
    for page in pages:
        j, n = script_counts(page.text)
        page.lang = lang_of_counts(j, n)
        ja, letters = ja + j, letters + n
    return lang_of_counts(ja, letters)


def load_document(path: Path, max_bytes: int | None = None, doc_name: str | None = None, *,
                  root: Path | None = None, limits: TextLimits | None = None) -> Document:
    """Read one file into a Document with zero-indexed pages and its metadata.

    Args:
        path: a .pdf, .html/.htm, .txt or .md/.markdown file. A sidecar NAME.meta.json (or
            NAME.pdf.meta.json) beside it overrides title, date, url, company, period, doc_type.
        max_bytes: refuse files larger than this.
        doc_name: the name the document is stored under; the file's stem when not given
            (the ingest pipeline gives another when two files share a stem).
        root: the folder the file's bytes must come from; a link out of it is refused (default: the
            file's own folder).
        limits: characters kept per page and per document; what is cut is noted in `extra["text_limited"]`.

    Returns:
        The Document; pages without text are left out but keep their true page numbers.

    Raises:
        LoaderError: a subclass whose ``reason`` and message say what is wrong and what to do.

    Example:
        >>> doc = load_document(Path("3M_2018_10K.pdf"))  # doctest: +SKIP
        >>> doc.company, doc.period, doc.doc_type, doc.pages[0].page
        ('3M', '2018', '10k', 0)
    """
    path = Path(path)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise UnsupportedFileError(path, unsupported_message(path))
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError as e:
        raise UnsupportedFileError(path, f"{display_name(path)} has a file name that is not valid UTF-8; "
                                         "rename it") from e
    data = read_bytes(path, max_bytes, root)
    pages, from_file = _read_pages(path, data, limits or TextLimits())
    meta = document_metadata(path, from_file)
    detected = _set_languages(pages)
    lang = str(meta.pop("lang", "") or detected)
    known = {k: str(meta.pop(k, "") or "") for k in META_KEYS if k != "lang"}
    return Document(
        doc_name=doc_name or path.stem, source=str(path), sha256=hashlib.sha256(data).hexdigest(), pages=pages,
        company=known["company"], period=known["period"], doc_type=known["doc_type"],
        title=known["title"] or path.stem, date=known["date"], url=known["url"], lang=lang, extra=meta,
    )
