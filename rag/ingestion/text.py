"""Plain text and Markdown: decoding (UTF-8, UTF-16, or a plausible legacy encoding), front matter, pages."""

from __future__ import annotations

import codecs
import logging
import re
from pathlib import Path

from rag.errors import CorruptFileError, EmptyFileError, EncodingError
from rag.ingestion.clean import clean_text
from rag.ingestion.files import TextBudget, TextLimits, check_binary, display_name
from rag.ingestion.metadata import split_front_matter
from rag.schema import Page
from rag.text.lang import JA_CHARS
from rag.text.markdown import unwrap_markdown

log = logging.getLogger(__name__)

PAGE_CHARS = 12_000  # plain text longer than this is split into pages of about this size
_UTF8_SEQ_RE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_LEGACY = ("cp932", "euc_jp", "cp1252")
_WESTERN_MARKS = "€‚„…†‡ˆ‰‹‘’“”•–—˜™›¢£¥§©«®°±²³´µ¶·¸¹º»¼½¾¿×÷"


def _plausible(text: str, encoding: str) -> bool:
    """Does text decoded with a legacy encoding read as that language, rather than as mojibake?"""
    non_ascii = re.findall(r"[^\x00-\x7f]", text)
    if not non_ascii:
        return True
    if encoding in ("cp932", "euc_jp"):
        # Half-width katakana is what mis-decoded Western bytes turn into, so it doesn't count.
        ja = sum(1 for c in non_ascii if JA_CHARS.match(c) and not "\uff66" <= c <= "\uff9f")
        kana = sum(1 for c in non_ascii if "\u3040" <= c <= "\u30ff")
        return kana > 0 and ja >= 0.8 * len(non_ascii)
    letters = sum(1 for c in non_ascii if c.isalpha() or c in _WESTERN_MARKS)
    return len(non_ascii) <= 0.3 * len(text) and letters >= 0.9 * len(non_ascii)


def _decode_bom(path: Path, data: bytes) -> tuple[str, str] | None:
    """(text, encoding) when the bytes start with a byte-order mark, else None."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as e:
                raise EncodingError(path, f"{display_name(path)} starts with a {enc} byte-order mark but is not "
                                          f"valid {enc} (byte 0x{data[e.start]:02x} at offset {e.start}); "
                                          "save it as UTF-8 and ingest it again") from e
    return None


def _decode_legacy(path: Path, data: bytes, error: UnicodeDecodeError) -> tuple[str, str]:
    """Bytes that are not UTF-8: Shift_JIS, EUC-JP or Windows-1252 when one of them reads plausibly."""
    where = f"byte 0x{data[error.start]:02x} at offset {error.start}"
    high = len(data) - len(data.translate(None, bytes(range(128, 256))))
    utf8 = sum(len(m.group()) for m in _UTF8_SEQ_RE.finditer(data))
    if high and utf8 >= 0.5 * high:
        raise EncodingError(path, f"{display_name(path)} is mostly UTF-8 but has an invalid {where} (mixed "
                                  "encodings?); save it again as UTF-8 and ingest it again") from error
    for enc in _LEGACY:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _plausible(text, enc):
            log.info("decoded as legacy encoding file=%s encoding=%s", path.name, enc)
            return text, enc
    raise EncodingError(path, f"{display_name(path)} is not UTF-8 text ({where}) and does not read as Windows-1252 "
                              "or Japanese (Shift_JIS/EUC-JP) either; save it as UTF-8 and ingest it again") from error


def decode_text(path: Path, data: bytes) -> tuple[str, str]:
    """Decode text bytes: UTF-8 (BOM or not), UTF-16 with a BOM, or plausible cp1252/Shift_JIS/EUC-JP."""
    decoded = _decode_bom(path, data)
    if decoded is not None:
        return decoded
    check_binary(path, data)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        return _decode_legacy(path, data, e)


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


def _head(data: bytes, limit: int) -> bytes:
    """The first bytes of data that hold at least `limit` characters, cut at a line end or a character boundary.

    No encoding takes more than 4 bytes a character, so 4 * limit bytes suffice; decoding only
    those keeps a huge file from costing memory for text the limit would drop anyway.
    """
    end = 4 * limit
    if len(data) <= end:
        return data
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):  # whole UTF-16 units and UTF-32 characters
        high = data[end - 1] if data[:2] == codecs.BOM_UTF16_LE else data[end - 2]
        return data[:end - 2 if 0xD8 <= high <= 0xDB else end]  # not between the halves of a surrogate pair
    cut = data.rfind(b"\n", end - 65536, end)
    if cut >= 0:
        return data[:cut + 1]
    while end > 4 * limit - 4 and 0x80 <= data[end] < 0xC0:  # inside a UTF-8 sequence
        end -= 1
    return data[:end]


def load_text(path: Path, data: bytes, limits: TextLimits | None = None
              ) -> tuple[list[Page], dict[str, str], dict[str, str]]:
    """A text or Markdown file in pages of about PAGE_CHARS, what the file shows (format, encoding, its
    Markdown heading as title), and its front matter (what the user wrote, which outranks the rest).

    Text past `limits.doc_chars` is left out, and `text_limited` in the file's metadata says so.
    """
    if data[:1024].lstrip().startswith(b"%PDF-"):
        raise CorruptFileError(path, f"{display_name(path)} looks like binary data, not text (it looks like a PDF); "
                                     "rename it to .pdf")
    budget = TextBudget(limits or TextLimits())
    head = _head(data, budget.limits.doc_chars)
    text, encoding = decode_text(path, head)
    front, body = split_front_matter(text.replace("\r\n", "\n").replace("\r", "\n"))
    body = budget.take(clean_text(body))
    if not body:
        raise EmptyFileError(path, f"{display_name(path)} has no text (only whitespace or front matter); "
                                   "check the export or download")
    markdown = path.suffix.lower() in (".md", ".markdown")
    meta = {"format": "markdown" if markdown else "text", "encoding": encoding}
    if markdown and (heading := re.search(r"^#{1,2}[ \t]+(.+)$", body[:5000], re.MULTILINE)):
        meta["title"] = heading.group(1).strip(" #")[:300]
    if markdown:
        body = unwrap_markdown(body)
    pages = [Page(page=i, text=t) for i, t in enumerate(split_long_text(body))]
    limited = {}
    if budget.notes or head is not data:  # after the front matter, which may not hide it
        limited["text_limited"] = budget.note() or (f"text after {len(head):,} of {len(data):,} bytes skipped "
                                                    "(SHIFTBRIEF_MAX_DOC_CHARS)")
    return pages, {**meta, **limited}, front
