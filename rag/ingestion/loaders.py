"""Turn one file (PDF, HTML, text, Markdown) into a Document of zero-indexed pages with metadata.

The readers live in modules named for what they read: `files` (finding and reading files),
`pdf`, `html`, `text`, `metadata` (file names, sidecars, front matter, precedence), and
`content_meta` (company, period and type from the document's own text and XBRL tags).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path

from rag.errors import UnsupportedFileError
from rag.ingestion.content_meta import read_text_metadata
from rag.ingestion.files import SUPPORTED_SUFFIXES, TextLimits, display_name, read_bytes, unsupported_message
from rag.ingestion.html import decode_html, load_html
from rag.ingestion.meta_value import MetaValue, plain_values, value_sources
from rag.ingestion.metadata import META_KEYS, document_metadata, one_company
from rag.ingestion.overrides import apply_overrides, override_record
from rag.ingestion.pdf import load_pdf
from rag.ingestion.text import load_text
from rag.ingestion.xbrl import read_xbrl_metadata
from rag.schema import Document, Page
from rag.text.lang import lang_of_counts, script_counts

# Covers, headlines and bylines sit on the first pages (a 10-K's cover may follow a few pages of
# front matter); reading further only costs time.
COVER_PAGES = 8
_FILE_SOURCES = {"pdf": "pdf info", "html": "html meta", "markdown": "markdown heading"}


def _read_file(path: Path, data: bytes, limits: TextLimits
               ) -> tuple[list[Page], dict[str, object], dict[str, str], str]:
    """The file's pages, what it says about itself, its front matter, and its raw HTML ('' unless HTML)."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        pages, info = load_pdf(path, data, limits)
        return pages, info, {}, ""
    if suffix in (".html", ".htm"):
        pages, html_info = load_html(path, data, limits)
        return pages, dict(html_info), {}, decode_html(path, data)  # the XBRL tags sit in markup the text drops
    pages, text_info, front = load_text(path, data, limits)
    return pages, dict(text_info), front, ""


# What a title's words say the file is, as the doc types that fit them.
_TITLE_FORM = ((("10k",), re.compile(r"\b10-?K\b", re.IGNORECASE)),
               (("10q",), re.compile(r"\b10-?Q\b|\bquarterly\s+report\b", re.IGNORECASE)),
               (("8k",), re.compile(r"\b8-?K\b|\bcurrent\s+report\b", re.IGNORECASE)),
               (("def14a",), re.compile(r"\bproxy\b|\bDEF\s*14A\b", re.IGNORECASE)),
               (("10k", "20f", "40f"), re.compile(r"\bannual\s+report\b", re.IGNORECASE)))


def title_names_another_form(title: str, doc_type: str) -> bool:
    """Whether a file's own title names a filing form other than the one its cover page states
    ("Nike 2023 Proxy" on a 10-K): such a title was left over from another file and says the wrong thing."""
    fits = [kinds for kinds, rx in _TITLE_FORM if rx.search(title)]
    return bool(fits) and not all(doc_type in kinds for kinds in fits)


def read_metadata(path: Path, pages: list[Page], info: dict[str, object], front: dict[str, str],
                  html: str = "") -> dict[str, MetaValue]:
    """Everything known about a document, by precedence (see `document_metadata`), each value with its source."""
    fields = {k: v for k, v in info.items() if k in META_KEYS and isinstance(v, str)}
    if fields.get("title", "").strip().lower() == path.stem.lower():
        del fields["title"]  # EDGAR's <title> is often the file name, which says nothing a cover doesn't
    content = read_text_metadata([p.text for p in pages[:COVER_PAGES]])
    if "form" in content and "doc_type" in content and title_names_another_form(fields.get("title", ""),
                                                                               content["doc_type"].text()):
        del fields["title"]  # the cover's registrant, form and period make the title below
    if "title" not in content and "form" in content and "company" in content:
        # A filing's cover has no title line; its registrant, form and period make one.
        parts = (content["company"].text(), content["form"].text(), content["period"].text() if "period" in content else "")
        content["title"] = MetaValue(" ".join(p for p in parts if p), content["form"].source)
    return document_metadata(path, user=front, xbrl=read_xbrl_metadata(html) if html else None, from_file=fields,
                             file_source=_FILE_SOURCES.get(str(info.get("format")), "file info"), content=content)


def _set_languages(pages: list[Page]) -> str:
    """Label each page 'en' or 'ja' by its script; return the language of the whole document."""
    ja = letters = 0
    for page in pages:
        j, n = script_counts(page.text)
        page.lang = lang_of_counts(j, n)
        ja, letters = ja + j, letters + n
    return lang_of_counts(ja, letters)


def load_document(path: Path, max_bytes: int | None = None, doc_name: str | None = None, *,
                  overrides: Mapping[str, str] | None = None, root: Path | None = None,
                  limits: TextLimits | None = None) -> Document:
    """Read one file into a Document with zero-indexed pages and its metadata.

    Args:
        path: a .pdf, .html/.htm, .txt or .md/.markdown file. Company, period, doc type, title,
            date, tickers and aliases are read from the document itself (its cover page, XBRL
            tags, headline or byline) and its file name; a sidecar NAME.meta.json (or
            NAME.pdf.meta.json) or Markdown front matter beside or in it outranks both.
        max_bytes: refuse files larger than this.
        doc_name: the name the document is stored under; the file's stem when not given
            (the ingest pipeline gives another when two files share a stem).
        overrides: corrections made with `shiftbrief tag` (company, period, doc_type), above all else.
        root: the folder the file's bytes must come from; a link out of it is refused (default: the
            file's own folder).
        limits: characters kept per page and per document; what is cut is noted in `extra["text_limited"]`.

    Returns:
        The Document; pages without text are left out but keep their true page numbers.
        `extra['meta_sources']` (JSON) says where each value came from.

    Raises:
        LoaderError: a subclass whose ``reason`` and message say what is wrong and what to do.

    Example:
        >>> doc = load_document(Path("3M_2018_10K.pdf"))  # doctest: +SKIP
        >>> doc.company, doc.period, doc.doc_type, doc.pages[0].page
        ('3M COMPANY', '2018', '10k', 0)
        >>> json.loads(doc.extra["meta_sources"])["company"]
        'cover page p.1'
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
    pages, info, front, html = _read_file(path, data, limits or TextLimits())
    read = read_metadata(path, pages, info, front, html)
    meta = apply_overrides(read, overrides or {})
    values = {k: v if isinstance(v, str) else "; ".join(v) for k, v in plain_values(meta).items()}
    detected = _set_languages(pages)
    lang = values.pop("lang", "") or detected
    known = {k: values.pop(k, "") for k in META_KEYS if k != "lang"}
    extra: dict[str, object] = {**{k: v for k, v in info.items() if k not in META_KEYS}, **values,
                                "meta_sources": json.dumps(value_sources(meta), ensure_ascii=False),
                                **override_record(read, overrides or {})}
    return Document(
        doc_name=doc_name or path.stem, source=str(path), sha256=hashlib.sha256(data).hexdigest(), pages=pages,
        company=one_company(known["company"]), period=known["period"], doc_type=known["doc_type"],
        title=known["title"] or path.stem, date=known["date"], url=known["url"], lang=lang, extra=extra,
    )
