"""A look at a PDF's compressed streams before pdfium does: deflate bombs and pages that draw too much text.

pdfium inflates a content stream whole and builds about 270 bytes of layout per character
drawn, so a few kilobytes of deflated `(AAAA…) Tj` cost gigabytes. Inflating each stream
here, in pieces, with a bound, costs little memory and lets such files be refused with a
reason before pdfium sees them. Streams that are encrypted (or use other filters) look like
no zlib data and are passed over; the per-page and per-document caps still bound the text.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

MAX_STREAM_BYTES = 128 << 20  # no real content stream, font or flate image inflates this far
_PIECE = 1 << 22  # bytes inflated at a time
_FEED = 1 << 16  # compressed bytes fed at a time: most streams end well within the first feed
_CARRY = 1 << 16  # bytes of one piece kept for the next: a string cut at the seam is counted whole
_STREAM_RE = re.compile(rb"stream\r?\n")
# Images and embedded fonts hold no text operators; counting them would only cost time and false alarms.
# (A content stream disguised as one is no worse than an encrypted one: the page and document caps remain.)
_BINARY_DICT = re.compile(rb"/Subtype\s*/(?:Image|Type1C|CIDFontType0C|OpenType)\b|/Length[123]\b")
# Text-showing operators with their string operands: (…) Tj, (…) ' and (…) ", [(…) -20 (…)] TJ, <…> Tj.
_SHOWN_RE = re.compile(  # (unrolled loops: several times faster than alternations per byte)
    rb"\([^()\\]*(?:(?:\\.|\([^()\\]*\))[^()\\]*)*\)\s*(?:Tj|'|\")|\[[^\]]*\]\s*TJ|<[0-9A-Fa-f\s]*>\s*Tj")


@dataclass
class StreamScan:
    """The largest stream once inflated, and the most characters one stream draws (an upper bound)."""

    largest: int = 0
    most_drawn: int = 0
    bomb: bool = False


def _is_zlib(head: bytes) -> bool:
    return len(head) == 2 and head[0] & 0x0F == 8 and head[0] >> 4 <= 7 and (head[0] << 8 | head[1]) % 31 == 0


def _drawn(buf: bytes) -> tuple[int, bytes]:
    """Characters the text operators in buf draw, and buf's tail after the last of them (it may go on in the
    next piece)."""
    n = end = 0
    if b"T" in buf:
        for m in _SHOWN_RE.finditer(buf):
            n, end = n + len(m.group()), m.end()
    return n, buf[max(end, len(buf) - _CARRY):]


def _inflate(data: memoryview, start: int, limit: int, count_text: int | None) -> tuple[int, int]:
    """(bytes inflated, characters drawn) of the zlib stream at start, stopping once past limit.

    Text is counted only in streams larger than count_text bytes (a smaller one cannot draw more),
    and not at all when count_text is None.
    """
    d = zlib.decompressobj()
    size = drawn = 0
    pos = start
    held = b""  # not counted yet: the stream's start (while it is too small to matter), or a tail cut mid-string
    try:
        while not d.eof and size <= limit:
            if d.unconsumed_tail:
                piece = d.decompress(d.unconsumed_tail, _PIECE)
            elif pos < len(data):
                piece = d.decompress(data[pos:pos + _FEED], _PIECE)
                pos += _FEED
            else:
                break
            size += len(piece)
            if count_text is None:
                continue
            if size <= count_text:
                held += piece
                continue
            n, held = _drawn(held + piece)
            drawn += n
            if drawn > count_text:
                break  # enough to refuse the file
    except zlib.error:
        pass  # damaged or not really zlib: pdfium will say what it makes of it
    return size, drawn


def scan_streams(data: bytes, page_chars: int, limit: int = MAX_STREAM_BYTES) -> StreamScan:
    """Inflate every zlib stream of a PDF (bounded) to find bombs and streams drawing over page_chars characters."""
    scan = StreamScan()
    view = memoryview(data)  # slices without copies
    for m in _STREAM_RE.finditer(data):
        if not _is_zlib(data[m.end():m.end() + 2]):
            continue
        head = data[max(0, m.start() - 2048):m.start()]
        binary = _BINARY_DICT.search(head[head.rfind(b"obj") + 1:]) is not None
        size, drawn = _inflate(view, m.end(), limit, None if binary else page_chars)
        scan.largest = max(scan.largest, size)
        scan.most_drawn = max(scan.most_drawn, drawn)
        if size > limit:
            scan.bomb = True
            break
        if drawn > page_chars:
            break
    return scan
