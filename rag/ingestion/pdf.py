"""PDFs through pdfium: open (with clear errors), bookmarks, the text of each page, and page images."""

from __future__ import annotations

import io
import logging
import re
import threading
from pathlib import Path
from typing import Any

from rag.errors import (
    CorruptFileError,
    EmptyFileError,
    EncryptedFileError,
    LoaderError,
    NoTextError,
    TextLimitError,
    UnsupportedFileError,
)
from rag.ingestion.clean import clean_text
from rag.ingestion.files import TextBudget, TextLimits, display_name, sniff
from rag.ingestion.pdf_streams import MAX_STREAM_BYTES, scan_streams
from rag.schema import Page

log = logging.getLogger(__name__)

# pdfium is not thread-safe; the app renders pages while an ingest may be running.
_PDFIUM_LOCK = threading.RLock()
# Not titles: placeholders, file names, EDGAR accession numbers, the SEC's letterhead.
_PLACEHOLDER_TITLE = re.compile(r"(?i)(untitled|microsoft \w+ - |.*\.(docx?|pdf|indd|xlsx?)$|\d{10}-\d\d-\d{6}$|"
                                r"united states securities and exchange commission$)")


def _open_pdf(path: Path, data: bytes | None = None) -> Any:
    """Open a PDF with pdfium (an empty user password is tried, as readers do). Call under the lock."""
    import pypdfium2 as pdfium

    if data is None:
        with open(path, "rb") as f:
            head = f.read(1024)
    else:
        head = data[:1024]
    if b"%PDF-" not in head:
        what, todo = sniff(head)
        what = f"it looks like {what}" if what else "it has no %PDF header"
        todo = todo or "check the file or save it again as PDF"
        raise CorruptFileError(path, f"{display_name(path)} is not a PDF ({what}); {todo}")
    try:
        return pdfium.PdfDocument(data if data is not None else str(path))
    except pdfium.PdfiumError as e:
        raise _open_error(path, data, e) from e


def _open_error(path: Path, data: bytes | None, e: Exception) -> LoaderError:
    """What pdfium's refusal to open a file means for the user: a password, an odd encryption, or damage."""
    code = getattr(e, "err_code", None)
    if code == 4:
        return EncryptedFileError(
            path, f"{display_name(path)} is password-protected; remove the password and ingest it again")
    if code == 5:
        return EncryptedFileError(
            path, f"{display_name(path)} uses an encryption pdfium cannot open; save an unencrypted copy")
    tail = (data if data is not None else path.read_bytes())[-4096:].rstrip(b"\x00 \t\r\n")
    why = "it looks truncated (no %EOF at the end); download it again" if b"%%EOF" not in tail[-1024:] \
        else "save it again from the original application or download it again"
    detail = m.group(1).lower() if (m := re.search(r"PDFium: ([^).]+)", str(e))) else str(e)
    return CorruptFileError(path, f"{display_name(path)} is a damaged PDF ({detail}); {why}")


def _bookmarks(pdf: Any, n_pages: int) -> list[tuple[int, str]]:
    """(page index, title) of the outline's entries that point at a page, in page order."""
    marks: list[tuple[int, str]] = []
    try:
        for i, mark in enumerate(pdf.get_toc(max_depth=6)):
            if i >= 5000:
                break
            dest = mark.get_dest()
            index = dest.get_index() if dest is not None else None
            if index is not None and 0 <= index < n_pages:
                marks.append((index, clean_text(mark.get_title() or "").replace("\n", " ")[:200]))
    except Exception as e:  # a broken outline must not cost us the text
        log.info("pdf outline unreadable error=%s", e)
    return sorted(marks, key=lambda m: m[0])


def _pdf_sections(pdf: Any, n_pages: int) -> list[str]:
    """The bookmark title each page falls under, or '' (bookmarks are optional and often absent)."""
    marks = _bookmarks(pdf, n_pages)
    sections, current, j = [""] * n_pages, "", 0
    for page in range(n_pages):
        while j < len(marks) and marks[j][0] <= page:
            current = marks[j][1] or current
            j += 1
        sections[page] = current
    return sections


def _page_text(pdf: Any, i: int, budget: TextBudget) -> str:
    page = pdf[i]
    textpage = page.get_textpage()
    # Never pull more than the page may keep: the rest would be cut anyway.
    total = textpage.count_chars()
    n = min(total, budget.limits.page_chars, budget.limits.doc_chars - budget.used + 1)
    # get_text_range keeps word boundaries; get_text_bounded sometimes glues words at line ends.
    text = clean_text(textpage.get_text_range(0, n)) if n > 0 else ""
    textpage.close()
    page.close()
    return budget.take(text, f"page {i + 1}", total)


def check_streams(path: Path, data: bytes, limits: TextLimits) -> None:
    """Refuse a PDF whose streams inflate absurdly far or draw more text on one page than the limit allows."""
    scan = scan_streams(data, limits.page_chars)
    if scan.bomb:
        raise TextLimitError(path, f"{display_name(path)} has a compressed stream that inflates past "
                                   f"{MAX_STREAM_BYTES >> 20} MB (a deflate bomb?); it was not read — "
                                   "check where the file came from")
    if scan.most_drawn > limits.page_chars:
        raise TextLimitError(path, f"{display_name(path)} draws about {scan.most_drawn:,} characters from one "
                                   f"content stream, more than the {limits.page_chars:,} a page may hold "
                                   "(SHIFTBRIEF_MAX_PAGE_CHARS); it was not read — check where the file came from")


def _read_pages(path: Path, pdf: Any, budget: TextBudget) -> tuple[list[Page], list[int], int]:
    """The pages with text (true page numbers), the pages pdfium could not read, and the page count."""
    import pypdfium2 as pdfium

    n_pages = len(pdf)
    if n_pages == 0:
        raise EmptyFileError(path, f"{display_name(path)} has no pages; check the export or download")
    sections = _pdf_sections(pdf, n_pages)
    pages: list[Page] = []
    broken: list[int] = []
    for i in range(n_pages):
        if budget.spent:
            budget.notes.append(f"pages {i + 1}–{n_pages} skipped")
            log.warning("pdf text limit reached file=%s page=%s pages=%s", path.name, i, n_pages)
            break
        try:
            text = _page_text(pdf, i, budget)
        except pdfium.PdfiumError as e:
            log.warning("pdf page unreadable file=%s page=%s error=%s", path.name, i, e)
            broken.append(i)
            continue
        if text:
            pages.append(Page(page=i, text=text, heading=sections[i]))
    return pages, broken, n_pages


def _pdf_meta(info: dict[str, str], n_pages: int, broken: list[int]) -> dict[str, object]:
    """Format, page count, a real title (not "Untitled" or a file name), creation date, unreadable pages."""
    meta: dict[str, object] = {"format": "pdf", "page_count": n_pages}
    title = clean_text(info.get("Title", "")).replace("\n", " ")
    if title and not _PLACEHOLDER_TITLE.match(title):
        meta["title"] = title[:300]
    created = re.match(r"D:(\d{4})(\d\d)(\d\d)", info.get("CreationDate", ""))
    if created:
        meta["created"] = "-".join(created.groups())
    if broken:
        meta["broken_pages"] = broken
    return meta


def load_pdf(path: Path, data: bytes, limits: TextLimits | None = None) -> tuple[list[Page], dict[str, object]]:
    """The zero-indexed pages of a PDF that have text (within the limits), and what its info dictionary says."""
    budget = TextBudget(limits or TextLimits())
    check_streams(path, data, budget.limits)
    with _PDFIUM_LOCK:
        pdf = _open_pdf(path, data)
        try:
            pages, broken, n_pages = _read_pages(path, pdf, budget)
            info = pdf.get_metadata_dict(skip_empty=True)
        finally:
            pdf.close()
    if not pages:
        if broken and len(broken) == n_pages:
            raise CorruptFileError(path, f"{display_name(path)} is a damaged PDF (no page could be read); "
                                         "save it again or download it again")
        raise NoTextError(path, f"{display_name(path)} has no text layer (scanned?); OCR it first "
                                f"(e.g. ocrmypdf) and ingest the OCR'd copy")
    meta = _pdf_meta(info, n_pages, broken)
    if budget.notes:
        meta["text_limited"] = budget.note()
    return pages, meta


def render_pdf_page(path: str | Path, page: int, scale: float = 1.5) -> bytes:
    """PNG bytes of one zero-indexed page of a PDF, for showing a cited page."""
    from PIL import Image  # noqa: F401  (pypdfium2's to_pil needs Pillow)

    path = Path(path)
    if path.suffix.lower() != ".pdf":
        raise UnsupportedFileError(path, f"{display_name(path)} is not a PDF; only PDF pages can be shown as images")
    try:
        path.stat()
    except OSError as e:
        raise LoaderError(path, f"{display_name(path)} cannot be opened ({e.strerror}); "
                                "ingest the folder again") from e
    scale = min(max(float(scale), 0.1), 4.0)
    with _PDFIUM_LOCK:
        pdf = _open_pdf(path)
        try:
            n_pages = len(pdf)
            if isinstance(page, bool) or not isinstance(page, int) or not 0 <= page < n_pages:
                raise LoaderError(path, f"{display_name(path)} has pages 0–{n_pages - 1} (zero-indexed); "
                                        f"page {page!r} does not exist — check the citation's page number")
            pg = pdf[page]
            width, height = pg.get_size()
            # Cap the bitmap at ~40 megapixels so a giant page cannot exhaust memory.
            scale = min(scale, (40e6 / max(width * height, 1.0)) ** 0.5)
            image = pg.render(scale=scale).to_pil()
            pg.close()
        finally:
            pdf.close()
    buf = io.BytesIO()
    image.save(buf, "PNG", optimize=False)
    return buf.getvalue()
