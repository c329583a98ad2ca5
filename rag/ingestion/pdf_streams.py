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
_PIECE = 1 << 22
_STREAM_RE = re.compile(rb"stream\r?\n")
# Text-showing operators with their string operands: (…) Tj, (…) ' and (…) ", [(…) -20 (…)] TJ, <…> Tj.
_SHOWN_RE = re.compile(rb"\((?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\))*\)\s*(?:Tj|'|\")|\[[^\]]*\]\s*TJ|<[0-9A-Fa-f\s]*>\s*Tj")


@dataclass
class StreamScan:
    """The largest stream once inflated, and the most characters one stream draws (an upper bound)."""

    largest: int = 0
    most_drawn: int = 0
    bomb: bool = False


def _is_zlib(head: bytes) -> bool:
    return len(head) == 2 and head[0] & 0x0F == 8 and head[0] >> 4 <= 7 and (head[0] << 8 | head[1]) % 31 == 0


def _drawn(piece: bytes) -> int:
    return sum(len(m.group()) for m in _SHOWN_RE.finditer(piece)) if b"T" in piece else 0


def _inflate(data: bytes, start: int, limit: int, count_text: int) -> tuple[int, int]:
    """(bytes inflated, characters drawn) of the zlib stream at start, stopping once past limit.

    Text is counted only in streams larger than count_text bytes: a smaller one cannot draw more.
    """
    d = zlib.decompressobj()
    size = drawn = 0
    pos = start
    try:
        while not d.eof and size <= limit:
            if d.unconsumed_tail:
                piece = d.decompress(d.unconsumed_tail, _PIECE)
            elif pos < len(data):
                piece = d.decompress(data[pos:pos + _PIECE], _PIECE)
                pos += _PIECE
            else:
                break
            size += len(piece)
            if size > count_text:
                drawn += _drawn(piece)
    except zlib.error:
        pass  # damaged or not really zlib: pdfium will say what it makes of it
    return size, drawn


def scan_streams(data: bytes, page_chars: int, limit: int = MAX_STREAM_BYTES) -> StreamScan:
    """Inflate every zlib stream of a PDF (bounded) to find bombs and streams drawing over page_chars characters."""
    scan = StreamScan()
    for m in _STREAM_RE.finditer(data):
        if not _is_zlib(data[m.end():m.end() + 2]):
            continue
        size, drawn = _inflate(data, m.end(), limit, page_chars)
        scan.largest = max(scan.largest, size)
        scan.most_drawn = max(scan.most_drawn, drawn)
        if size > limit:
            scan.bomb = True
            break
        if drawn > page_chars:
            break
    return scan
