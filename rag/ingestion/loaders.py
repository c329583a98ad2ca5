"""Turn files (PDF, HTML, text, Markdown) into Documents of zero-indexed pages with metadata."""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import logging
import os
import re
import stat
import threading
from collections.abc import Iterable
from pathlib import Path

from rag.errors import (
    CorruptFileError,
    EmptyFileError,
    EncodingError,
    EncryptedFileError,
    FileTooLargeError,
    LoaderError,
    NoTextError,
    UnsupportedFileError,
)
from rag.text.lang import JA_CHARS, lang_of_counts, script_counts
from rag.schema import Document, Page
from rag.text.markdown import unwrap_markdown

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".pdf", ".html", ".htm", ".txt", ".md", ".markdown")
SIDECAR_SUFFIX = ".meta.json"
META_KEYS = ("title", "date", "url", "company", "period", "doc_type", "lang")
PAGE_CHARS = 12_000  # plain text longer than this is split into pages of about this size
MAX_HTML_DEPTH = 1_000  # lexbor parses deep block nesting in quadratic time

# pdfium is not thread-safe; the app renders pages while an ingest may be running.
_PDFIUM_LOCK = threading.RLock()

_NAME_RE = re.compile(
    r"^(?P<company>.+?)(?:_(?P<period>(?:19|20)\d\d(?:Q[1-4])?))?"
    r"_(?P<type>10K|10Q|8K|20F|40F|6K|S1|DEF14A|EARNINGS|ANNUALREPORT)"
    r"(?:[_-]dated[_-](?P<date>\d{4}-\d\d-\d\d))?$",
    re.IGNORECASE,
)
_CHAR_MAP = {
    "\ufffe": "-", "\x02": "-",  # pdfium's marks for hyphens it generated or could not map
    "\t": " ", "\x0b": "\n", "\x0c": "\n", "\u2028": "\n", "\u2029": "\n",
    "\uf0b7": "•", "\uf0a7": "•", "\uf076": "•", "\uf0d8": "•", "\uf0fc": "✓",
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
}
_CHAR_MAP_RE = re.compile("|".join(map(re.escape, _CHAR_MAP)))
_ODD_SPACE = "\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_SPACES_RE = re.compile(f"[ {_ODD_SPACE}]{{2,}}|[{_ODD_SPACE}]")
_JUNK_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff"
                      r"\ue000-\uf8ff\ud800-\udfff]")
_UTF8_SEQ_RE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_MAGIC = (  # (signature, what it is, what to do)
    (b"%PDF-", "a PDF", "rename it to .pdf"), (b"PK\x03\x04", "a ZIP or Office file", "export it as PDF"),
    (b"\x89PNG", "a PNG image", "OCR it into a PDF first"),
    (b"\xff\xd8\xff", "a JPEG image", "OCR it into a PDF first"),
    (b"\xd0\xcf\x11\xe0", "an old Office file", "export it as PDF"), (b"<", "HTML or XML", "save it as .html"),
)


def _sniff(head: bytes) -> tuple[str, str]:
    """What the first bytes say a file is, and what to do: ('', '') when they say nothing."""
    return next(((what, todo) for magic, what, todo in _MAGIC if head.lstrip().startswith(magic)), ("", ""))


def _name(path: object) -> str:
    """The file's basename, safe to print: control characters escaped, very long names shortened."""
    base = os.path.basename(str(path)) or str(path)
    base = base.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    base = re.sub(r"[\x00-\x1f\x7f-\x9f]", lambda m: f"\\x{ord(m.group()):02x}", base)
    return base if len(base) <= 100 else base[:60] + "…" + base[-30:]


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def clean_text(text: str) -> str:
    """Normalise whitespace: one space between words, lines kept, no control or invisible characters."""
    text = _CHAR_MAP_RE.sub(lambda m: _CHAR_MAP[m.group()], text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _SPACES_RE.sub(" ", _JUNK_RE.sub("", text))
    text = "\n".join(line.strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def parse_doc_name(stem: str) -> dict[str, str]:
    """Company, period, doc type and date from a FinanceBench-style name like AMCOR_2023Q2_10Q."""
    m = _NAME_RE.match(stem.strip())
    if not m:
        return {"company": "", "period": "", "doc_type": "", "date": ""}
    date = m.group("date") or ""
    return {
        "company": m.group("company").replace("_", " ").strip().upper(),
        "period": (m.group("period") or date[:4]).upper(),
        "doc_type": m.group("type").lower(),
        "date": date,
    }


def iter_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[str, LoaderError]]]:
    """Expand files and folders into the supported files under them, and the ones skipped with why.

    Folders are walked recursively in sorted order, leaving out hidden files and folders and
    NAME.meta.json sidecars. A file is listed once however often it is named.
    """
    files: list[Path] = []
    skipped: list[tuple[str, LoaderError]] = []
    seen: set[str] = set()

    def skip(p: Path, error: LoaderError) -> None:
        skipped.append((str(p), error))

    for p in map(Path, paths):
        try:
            if not p.exists():
                what = "is a broken link" if p.is_symlink() else "does not exist"
                skip(p, LoaderError(p, f"{_name(p)} {what}; check the path and try again"))
                continue
            candidates = [p] if not p.is_dir() else _walk(p, skip)
        except OSError as e:
            skip(p, LoaderError(p, f"{_name(p)} cannot be read ({e.strerror}); check the path and its permissions"))
            continue
        for f in candidates:
            if f.name.endswith(SIDECAR_SUFFIX):
                continue
            try:
                regular = stat.S_ISREG(f.stat().st_mode)
            except OSError as e:
                skip(f, LoaderError(f, f"{_name(f)} cannot be read ({e.strerror}); check the path"))
                continue
            if not regular:
                skip(f, UnsupportedFileError(f, f"{_name(f)} is not a regular file; skipping it"))
            elif f.suffix.lower() not in SUPPORTED_SUFFIXES:
                skip(f, UnsupportedFileError(f, _unsupported_message(f)))
            elif (key := os.path.realpath(f)) not in seen:
                seen.add(key)
                files.append(f)
    return files, skipped


def _walk(folder: Path, skip) -> list[Path]:
    """Every visible file under folder, sorted; unreadable subfolders are reported through skip."""
    found: list[Path] = []

    def on_error(e: OSError) -> None:
        f = Path(e.filename or folder)
        skip(f, LoaderError(f, f"{_name(f)} cannot be read ({e.strerror}); check its permissions"))

    for root, dirs, names in os.walk(folder, onerror=on_error):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(Path(root) / n for n in names if not n.startswith("."))
    return sorted(found, key=lambda f: f.parts)


def _unsupported_message(path: Path) -> str:
    kinds = ", ".join(SUPPORTED_SUFFIXES)
    return f"{_name(path)} is not a supported file type ({path.suffix or 'no suffix'}); convert it to one of {kinds}"


def load_document(path: Path, max_bytes: int | None = None) -> Document:
    """Read one file into a Document with zero-indexed pages and its metadata.

    Args:
        path: a .pdf, .html/.htm, .txt or .md/.markdown file. A sidecar NAME.meta.json (or
            NAME.pdf.meta.json) beside it overrides title, date, url, company, period, doc_type.
        max_bytes: refuse files larger than this.

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
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFileError(path, _unsupported_message(path))
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError as e:
        raise UnsupportedFileError(path, f"{_name(path)} has a file name that is not valid UTF-8; rename it") from e
    data = _read_bytes(path, max_bytes)
    if suffix == ".pdf":
        pages, meta = _load_pdf(path, data)
    elif suffix in (".html", ".htm"):
        pages, meta = _load_html(path, data)
    else:
        pages, meta = _load_text(path, data)
    meta = {**{k: v for k, v in parse_doc_name(path.stem).items() if v}, **meta, **read_sidecar(path)}
    ja = letters = 0
    for page in pages:
        j, n = script_counts(page.text)
        page.lang = lang_of_counts(j, n)
        ja, letters = ja + j, letters + n
    lang = meta.pop("lang", "") or lang_of_counts(ja, letters)
    known = {k: str(meta.pop(k, "") or "") for k in META_KEYS if k != "lang"}
    return Document(
        doc_name=path.stem, source=str(path), sha256=hashlib.sha256(data).hexdigest(), pages=pages,
        company=known["company"], period=known["period"], doc_type=known["doc_type"],
        title=known["title"] or path.stem, date=known["date"], url=known["url"], lang=lang, extra=meta,
    )


def _read_bytes(path: Path, max_bytes: int | None) -> bytes:
    try:
        st = path.stat()
    except OSError as e:
        raise LoaderError(path, f"{_name(path)} cannot be read ({e.strerror}); check the path") from e
    if not stat.S_ISREG(st.st_mode):
        raise UnsupportedFileError(path, f"{_name(path)} is not a regular file; point at a document file")
    if max_bytes is not None and st.st_size > max_bytes:
        raise FileTooLargeError(
            path, f"{_name(path)} is {_size(st.st_size)} ({st.st_size:,} bytes), over the limit of "
                  f"{_size(max_bytes)} ({max_bytes:,} bytes); split it or raise SHIFTBRIEF_MAX_FILE_MB")
    try:
        with open(path, "rb") as f:
            data = f.read() if max_bytes is None else f.read(max_bytes + 1)
    except OSError as e:
        raise LoaderError(path, f"{_name(path)} cannot be read ({e.strerror}); check its permissions") from e
    if max_bytes is not None and len(data) > max_bytes:
        raise FileTooLargeError(path, f"{_name(path)} grew past the {_size(max_bytes)} limit while being read; "
                                      "ingest it again when it is complete")
    if not data or (len(data) < 1_000_000 and not data.strip()):
        what = "empty (0 bytes)" if not data else "only whitespace"
        raise EmptyFileError(path, f"{_name(path)} is {what}; nothing to ingest — check the export or download")
    return data


def read_sidecar(path: Path) -> dict[str, str]:
    """Metadata from NAME.pdf.meta.json or NAME.meta.json beside the file, if either exists."""
    for side in (path.with_name(path.name + SIDECAR_SUFFIX), path.with_name(path.stem + SIDECAR_SUFFIX)):
        try:
            if not side.is_file():
                continue
        except OSError:  # e.g. the name plus ".meta.json" is longer than the filesystem allows
            continue
        try:
            raw = json.loads(side.read_bytes()[:1_000_000].decode("utf-8-sig"))
        except (OSError, ValueError) as e:
            raise CorruptFileError(path, f"{_name(side)} (metadata for {_name(path)}) is not valid UTF-8 JSON "
                                         f"({e}); fix it or delete it") from e
        if not isinstance(raw, dict):
            raise CorruptFileError(path, f"{_name(side)} must hold a JSON object like "
                                         '{"title": "...", "date": "..."}; fix it or delete it')
        return _clean_meta(raw)
    return {}


def _clean_meta(raw: dict) -> dict[str, str]:
    """Scalar metadata as short strings; source_url means url; only http(s) URLs are kept."""
    out: dict[str, str] = {}
    for key, value in raw.items():
        key = str(key).strip().lower().replace("-", "_")
        if value is None or isinstance(value, (dict, list)):
            continue
        value = clean_text(str(value)).replace("\n", " ")[:500]
        key = {"source_url": "url", "link": "url", "canonical_url": "url", "language": "lang"}.get(key, key)
        if key == "source" and not value.startswith(("http://", "https://")):
            continue
        key = "url" if key == "source" else key
        if key == "url" and not re.match(r"https?://\S+$", value, re.IGNORECASE):
            continue
        if key == "lang":
            value = "ja" if value.lower() in ("ja", "jp", "ja-jp", "japanese", "日本語") else "en"
        if key == "doc_type":
            value = value.lower()
        if value and key not in out:
            out[key] = value
    return out


# --- PDF ---------------------------------------------------------------------------------


def _open_pdf(path: Path, data: bytes | None = None):
    """Open a PDF with pdfium (an empty user password is tried, as readers do). Call under the lock."""
    import pypdfium2 as pdfium

    if data is None:
        with open(path, "rb") as f:
            head = f.read(1024)
    else:
        head = data[:1024]
    if b"%PDF-" not in head:
        what, todo = _sniff(head)
        what = f"it looks like {what}" if what else "it has no %PDF header"
        todo = todo or "check the file or save it again as PDF"
        raise CorruptFileError(path, f"{_name(path)} is not a PDF ({what}); {todo}")
    try:
        return pdfium.PdfDocument(data if data is not None else str(path))
    except pdfium.PdfiumError as e:
        code = getattr(e, "err_code", None)
        if code == 4:
            raise EncryptedFileError(
                path, f"{_name(path)} is password-protected; remove the password and ingest it again") from e
        if code == 5:
            raise EncryptedFileError(
                path, f"{_name(path)} uses an encryption pdfium cannot open; save an unencrypted copy") from e
        tail = (data if data is not None else path.read_bytes())[-4096:].rstrip(b"\x00 \t\r\n")
        why = "it looks truncated (no %%EOF at the end); download it again" if b"%%EOF" not in tail[-1024:] \
            else "save it again from the original application or download it again"
        detail = m.group(1).lower() if (m := re.search(r"PDFium: ([^).]+)", str(e))) else str(e)
        raise CorruptFileError(path, f"{_name(path)} is a damaged PDF ({detail}); {why}") from e


def _pdf_sections(pdf, n_pages: int) -> list[str]:
    """The bookmark title each page falls under, or '' (bookmarks are optional and often absent)."""
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
    sections, current, marks = [""] * n_pages, "", sorted(marks, key=lambda m: m[0])
    j = 0
    for page in range(n_pages):
        while j < len(marks) and marks[j][0] <= page:
            current = marks[j][1] or current
            j += 1
        sections[page] = current
    return sections


def _load_pdf(path: Path, data: bytes) -> tuple[list[Page], dict[str, object]]:
    import pypdfium2 as pdfium

    pages: list[Page] = []
    broken: list[int] = []
    with _PDFIUM_LOCK:
        pdf = _open_pdf(path, data)
        try:
            n_pages = len(pdf)
            if n_pages == 0:
                raise EmptyFileError(path, f"{_name(path)} has no pages; check the export or download")
            sections = _pdf_sections(pdf, n_pages)
            for i in range(n_pages):
                try:
                    page = pdf[i]
                    textpage = page.get_textpage()
                    # get_text_range keeps word boundaries; get_text_bounded sometimes glues words at line ends.
                    text = clean_text(textpage.get_text_range())
                    textpage.close()
                    page.close()
                except pdfium.PdfiumError as e:
                    log.warning("pdf page unreadable file=%s page=%s error=%s", path.name, i, e)
                    broken.append(i)
                    continue
                if text:
                    pages.append(Page(page=i, text=text, heading=sections[i]))
            info = pdf.get_metadata_dict(skip_empty=True)
        finally:
            pdf.close()
    if not pages:
        if broken and len(broken) == n_pages:
            raise CorruptFileError(path, f"{_name(path)} is a damaged PDF (no page could be read); "
                                         "save it again or download it again")
        raise NoTextError(path, f"{_name(path)} has no text layer (scanned?); OCR it first "
                                f"(e.g. ocrmypdf) and ingest the OCR'd copy")
    meta: dict[str, object] = {"format": "pdf", "page_count": n_pages}
    title = clean_text(info.get("Title", "")).replace("\n", " ")
    if title and not re.match(r"(?i)(untitled|microsoft \w+ - |.*\.(docx?|pdf|indd|xlsx?)$)", title):
        meta["title"] = title[:300]
    created = re.match(r"D:(\d{4})(\d\d)(\d\d)", info.get("CreationDate", ""))
    if created:
        meta["created"] = "-".join(created.groups())
    if broken:
        meta["broken_pages"] = broken
    return pages, meta


def render_pdf_page(path: str | Path, page: int, scale: float = 1.5) -> bytes:
    """PNG bytes of one zero-indexed page of a PDF, for showing a cited page."""
    from PIL import Image  # noqa: F401  (pypdfium2's to_pil needs Pillow)

    path = Path(path)
    if path.suffix.lower() != ".pdf":
        raise UnsupportedFileError(path, f"{_name(path)} is not a PDF; only PDF pages can be shown as images")
    try:
        path.stat()
    except OSError as e:
        raise LoaderError(path, f"{_name(path)} cannot be opened ({e.strerror}); ingest the folder again") from e
    scale = min(max(float(scale), 0.1), 4.0)
    with _PDFIUM_LOCK:
        pdf = _open_pdf(path)
        try:
            n_pages = len(pdf)
            if isinstance(page, bool) or not isinstance(page, int) or not 0 <= page < n_pages:
                raise LoaderError(path, f"{_name(path)} has pages 0–{n_pages - 1} (zero-indexed); "
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


# --- HTML --------------------------------------------------------------------------------

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


def _first_value(tree, selectors: tuple[str, ...]) -> str:
    for selector in selectors:
        node = tree.css_first(selector)
        if node is not None:
            attrs = node.attributes
            value = attrs.get("content") or attrs.get("href") or attrs.get("datetime")
            value = value or (node.text(deep=True) if node.tag in ("title", "h1") else "")
            if value and value.strip():
                return value.strip()
    return ""


def _decode_html(path: Path, data: bytes) -> str:
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(enc, errors="replace")
    _check_binary(path, data)
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


def _row_cells(row) -> list[str]:
    cells: list[str] = []
    for cell in row.iter():
        if cell.tag in ("td", "th"):
            text = _SPACES_RE.sub(" ", " ".join(cell.text(deep=True, separator=" ").split()))
            # EDGAR tables put "$" and "%" in cells of their own; keep them with their number.
            if text and cells and (text in ("%", ")", ")%", "%)") or cells[-1] in ("$", "€", "£", "¥")):
                cells[-1] += text
            elif text:
                cells.append(text)
    return cells


def _html_lines(root) -> list[str]:
    """Block elements, headings and table rows each on their own line (iterative: pages may nest deeply)."""
    lines: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        text = " ".join("".join(buf).split())
        if text:
            lines.append(text)
        buf.clear()

    stack = [(root, False)]
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


def _main_article(tree):
    """The longest <article>, when it holds at least a quarter of the page's text (else it is a teaser)."""
    articles = tree.css("article")
    if not articles or tree.body is None:
        return None
    best = max(articles, key=lambda a: len(a.text(deep=True)))
    return best if len(best.text(deep=True)) >= 0.25 * len(tree.body.text(deep=True)) else None


def _load_html(path: Path, data: bytes) -> tuple[list[Page], dict[str, str]]:
    from selectolax.lexbor import LexborHTMLParser

    html = _decode_html(path, data)
    depth = _max_depth(html)
    if depth > MAX_HTML_DEPTH:
        raise CorruptFileError(path, f"{_name(path)} nests its elements {depth} levels deep, which no real page "
                                     "does; save the article as PDF or plain text and ingest that")
    tree = LexborHTMLParser(html)
    meta: dict[str, str] = {"format": "html"}
    raw = {key: _first_value(tree, selectors) for key, selectors in _HTML_META.items()}
    if raw.get("date"):
        raw["date"] = (m.group() if (m := re.match(r"\d{4}-\d\d-\d\d", raw["date"].strip())) else raw["date"])
    meta.update(_clean_meta(raw))
    tree.strip_tags(_DROP_TAGS)
    for node in tree.css(_HIDDEN):
        node.decompose()
    root = tree.css_first("main") or _main_article(tree) or tree.body or tree.root
    text = clean_text("\n".join(_html_lines(root))) if root is not None else ""
    if not text:
        raise EmptyFileError(path, f"{_name(path)} has no readable text once scripts, menus and forms are "
                                   "removed; save the article itself as HTML, PDF or text")
    return [Page(page=0, text=text)], meta


# --- Text and Markdown -------------------------------------------------------------------


def _check_binary(path: Path, data: bytes) -> None:
    head = data[:65536]
    controls = sum(head.count(bytes([b])) for b in (*range(0, 8), 14, 15, *range(16, 27), *range(28, 32)))
    if b"\x00" in head or controls > len(head) * 0.05:
        what, todo = _sniff(head) if not head.lstrip().startswith(b"<") else ("", "")
        raise CorruptFileError(path, f"{_name(path)} looks like binary data, not text"
                                     f"{f' (it looks like {what})' if what else ''}; "
                                     f"{todo or 'check that the file is what its name says'}")


def _plausible(text: str, encoding: str) -> bool:
    non_ascii = re.findall(r"[^\x00-\x7f]", text)
    if not non_ascii:
        return True
    if encoding in ("cp932", "euc_jp"):
        ja = sum(1 for c in non_ascii if JA_CHARS.match(c) and not "\uff66" <= c <= "\uff9f")
        kana = sum(1 for c in non_ascii if "\u3040" <= c <= "\u30ff")
        return kana > 0 and ja >= 0.8 * len(non_ascii)
    letters = sum(1 for c in non_ascii if c.isalpha() or c in "€‚„…†‡ˆ‰‹‘’“”•–—˜™›¢£¥§©«®°±²³´µ¶·¸¹º»¼½¾¿×÷")
    return len(non_ascii) <= 0.3 * len(text) and letters >= 0.9 * len(non_ascii)


def decode_text(path: Path, data: bytes) -> tuple[str, str]:
    """Decode text bytes: UTF-8 (BOM or not), UTF-16 with a BOM, or plausible cp1252/Shift_JIS/EUC-JP."""
    for bom, enc in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
                     (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as e:
                raise EncodingError(path, f"{_name(path)} starts with a {enc} byte-order mark but is not valid "
                                          f"{enc} (byte 0x{data[e.start]:02x} at offset {e.start}); "
                                          "save it as UTF-8 and ingest it again") from e
    _check_binary(path, data)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        error = e
    where = f"byte 0x{data[error.start]:02x} at offset {error.start}"
    high = len(data) - len(data.translate(None, bytes(range(128, 256))))
    utf8 = sum(len(m.group()) for m in _UTF8_SEQ_RE.finditer(data))
    if high and utf8 >= 0.5 * high:
        raise EncodingError(path, f"{_name(path)} is mostly UTF-8 but has an invalid {where} (mixed encodings?); "
                                  "save it again as UTF-8 and ingest it again") from error
    for enc in ("cp932", "euc_jp", "cp1252"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _plausible(text, enc):
            log.info("decoded as legacy encoding file=%s encoding=%s", path.name, enc)
            return text, enc
    raise EncodingError(path, f"{_name(path)} is not UTF-8 text ({where}) and does not read as Windows-1252 or "
                              "Japanese (Shift_JIS/EUC-JP) either; save it as UTF-8 and ingest it again") from error


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split `---`-fenced `key: value` front matter off the top of a text; ({}, text) when there is none."""
    m = _FRONT_MATTER_RE.match(text[:20_000])
    if not m:
        return {}, text
    raw: dict[str, str] = {}
    for line in m.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and re.fullmatch(r"[A-Za-z_][\w-]*", key.strip()):
            raw.setdefault(key.strip().lower(), value.strip().strip("'\""))
        elif line.strip() and not line.startswith((" ", "\t", "-", "#")):
            return {}, text  # not key: value lines, so a horizontal rule, not front matter
    if not raw:
        return {}, text
    return _clean_meta(raw), text[m.end():]


def split_long_text(text: str, limit: int = PAGE_CHARS) -> list[str]:
    """Cut text into pages of at most `limit` characters, at a paragraph, line or word end where one is near."""
    pages: list[str] = []
    start = 0
    while len(text) - start > limit:
        end = start + limit
        cut = max(text.rfind("\n\n", start + limit // 2, end), 0) or max(text.rfind("\n", start + limit // 2, end), 0)
        cut = cut or max(text.rfind(" ", start + limit // 2, end), 0) or end
        pages.append(text[start:cut])
        start = cut
    pages.append(text[start:])
    return [p.strip() for p in pages if p.strip()]


def _load_text(path: Path, data: bytes) -> tuple[list[Page], dict[str, str]]:
    if data[:1024].lstrip().startswith(b"%PDF-"):
        raise CorruptFileError(path, f"{_name(path)} looks like binary data, not text (it looks like a PDF); "
                                     "rename it to .pdf")
    text, encoding = decode_text(path, data)
    front, body = split_front_matter(text.replace("\r\n", "\n").replace("\r", "\n"))
    body = clean_text(body)
    if not body:
        raise EmptyFileError(path, f"{_name(path)} has no text (only whitespace or front matter); "
                                   "check the export or download")
    meta = {"format": "markdown" if path.suffix.lower() in (".md", ".markdown") else "text", "encoding": encoding}
    if meta["format"] == "markdown" and (heading := re.search(r"^#{1,2}[ \t]+(.+)$", body[:5000], re.MULTILINE)):
        meta["title"] = heading.group(1).strip(" #")[:300]
    if meta["format"] == "markdown":
        body = unwrap_markdown(body)
    pages = [Page(page=i, text=t) for i, t in enumerate(split_long_text(body))]
    return pages, {**meta, **front}
