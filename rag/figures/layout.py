"""Where the text of a PDF page sits: words with their boxes, and the visual lines they make.

pypdfium2 gives each character's box; a word is measured at the characters that bound it, and words whose
vertical middles agree form a line, read left to right. Plain text is laid out as if printed, numbers
right-aligned, so the same table reader takes both.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

_CHAR_MAP = {"\ufffe": "-", "\x02": "-", "\u00a0": " ", "\u2212": "−"}
_SPACE = " \t\r\n\x0b\x0c\u00a0\u2002\u2003\u2009\u202f\u3000"


@dataclass
class Word:
    """A run of characters on one line, with its box in PDF points (y grows upwards) and each character's x-span."""

    text: str
    x0: float
    x1: float
    bottom: float
    top: float
    xs: list[tuple[float, float]] = field(default_factory=list, repr=False)
    digits: tuple[float, float] | None = field(default=None, repr=False)  # x-span of its first to last digit

    @property
    def height(self) -> float:
        return max(self.top - self.bottom, 1.0)

    @property
    def mid(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class Line:
    """The words of one visual line, left to right."""

    words: list[Word]
    top: float
    bottom: float
    split: list[Any] | None = field(default=None, repr=False)  # trailing cells, worked out once

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def page_words(textpage: Any) -> list[Word]:
    """The words of a pypdfium2 text page with their boxes.

    Only the characters that bound a word, and the first and last digit of a number, are measured: a tenth of the
    calls of measuring every character, and a word split by pdfium inside a kerned name ("Incom e") is joined back
    where the gap is narrower than a tenth of the letter height.
    """
    import pypdfium2.raw as pdfium_c

    text = textpage.get_text_range()
    if len(text) != pdfium_c.FPDFText_CountChars(textpage):  # characters outside the BMP: offsets would drift
        return words_from_chars(*page_chars(textpage))
    rect = pdfium_c.FS_RECTF()
    ref = ctypes.byref(rect)
    box_of = pdfium_c.FPDFText_GetLooseCharBox

    def box(i: int) -> tuple[float, float, float, float]:
        box_of(textpage, i, ref)
        return rect.left, rect.bottom, rect.right, rect.top

    words: list[Word] = []
    for m in _TOKEN.finditer(text):
        i, j = m.start(), m.end() - 1
        left, bottom, _, top = box(i)
        _, _, right, _ = box(j) if j != i else (0.0, 0.0, box(i)[2], 0.0)
        token = m.group().translate(_CHAR_TABLE)
        word = Word(token, left, right, bottom, top)
        digits = [k for k, c in enumerate(token) if c.isdigit()]
        if digits:  # "(1,234)", "$5": the digits' own span, for aligning columns
            first = left if digits[0] == 0 else box(i + digits[0])[0]
            last = right if digits[-1] == len(token) - 1 else box(i + digits[-1])[2]
            word.digits = (first, last)
        prev = words[-1] if words else None
        if (prev is not None and 0 <= left - prev.x1 < 0.1 * prev.height and abs(word.mid - prev.mid) < 0.3 * prev.height
                and token[:1].isalpha() and prev.text[-1:].isalpha()):
            prev.text += token
            prev.x1 = right
            continue
        words.append(word)
    return words


_TOKEN = re.compile(r"[^\s\x00-\x08\x0e-\x1f\ufffe\u00a0\u2002\u2003\u2009\u202f\u3000]+")
_CHAR_TABLE = str.maketrans({"\x02": "-", "\u2212": "−"})


def page_chars(textpage: Any) -> tuple[str, list[tuple[float, float, float, float]]]:
    """A pypdfium2 text page's characters and their loose boxes (left, bottom, right, top), index for index."""
    import pypdfium2.raw as pdfium_c

    n = pdfium_c.FPDFText_CountChars(textpage)
    text = textpage.get_text_range()
    if len(text) != n:  # characters outside the BMP: read them one by one so indexes line up
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage, i) or 32) for i in range(n))
    rect = pdfium_c.FS_RECTF()
    ref = ctypes.byref(rect)
    boxes = []
    for i in range(n):
        pdfium_c.FPDFText_GetLooseCharBox(textpage, i, ref)
        boxes.append((rect.left, rect.bottom, rect.right, rect.top))
    return text, boxes


def words_from_chars(text: str, boxes: Sequence[tuple[float, float, float, float]]) -> list[Word]:
    """Group characters into words: a space or a gap wider than a third of the letter height ends a word."""
    words: list[Word] = []
    cur: Word | None = None
    spaced = False
    for ch, (left, bottom, right, top) in zip(text, boxes):
        ch = _CHAR_MAP.get(ch, ch)
        if ch in _SPACE or not ch.isprintable():
            spaced = True
            continue
        # pdfium puts a space into kerned words ("Incom e"): a space ends a word only where there is a gap.
        if cur is not None:
            gap = left - cur.x1
            if (gap > (0.1 if spaced else 0.35) * cur.height or abs((top + bottom) / 2 - cur.mid) > 0.5 * cur.height
                    or left < cur.x0 - 1):
                cur = None
        spaced = False
        if cur is None:
            cur = Word(ch, left, right, bottom, top, [(left, right)])
            words.append(cur)
        else:
            cur.text += ch
            cur.x1 = max(cur.x1, right)
            cur.bottom, cur.top = min(cur.bottom, bottom), max(cur.top, top)
            cur.xs.append((left, right))
    return words


def group_lines(words: list[Word]) -> list[Line]:
    """Visual lines, top of the page first: words whose vertical middles lie within half a letter of each other."""
    lines: list[Line] = []
    for w in sorted(words, key=lambda w: -w.mid):
        line = lines[-1] if lines else None
        if line is not None and abs(w.mid - (line.top + line.bottom) / 2) <= 0.45 * min(w.height, line.top - line.bottom):
            line.words.append(w)
            line.top, line.bottom = max(line.top, w.top), min(line.bottom, w.bottom)
        else:
            lines.append(Line([w], w.top, w.bottom))
    for line in lines:
        line.words.sort(key=lambda w: w.x0)
    return lines


def lines_from_text(text: str, is_value: Callable[[str], bool], glue_left: frozenset[str] = frozenset(),
                    glue_right: frozenset[str] = frozenset()) -> list[Line]:
    """Lines of plain text as if printed: label words from the left, values right-aligned in columns from the right
    ("$" and "%" kept beside their number)."""
    lines: list[Line] = []
    for i, raw in enumerate(text.splitlines()):
        toks = raw.split()
        slots: list[list[str]] = []  # value groups, rightmost first
        while toks and is_value(toks[-1]):
            tok = toks.pop()
            if slots and (tok in glue_left or slots[-1][0] in glue_right):
                slots[-1].insert(0, tok)
            else:
                slots.append([tok])
        y = -10.0 * i
        words = [Word(t, 6.0 * k, 6.0 * k + 5, y, y + 8) for k, t in enumerate(toks)]
        for k, group in enumerate(reversed(slots)):
            right = 1000.0 - 60.0 * (len(slots) - 1 - k)
            for j, t in enumerate(group):
                x1 = right - 6.0 * (len(group) - 1 - j)
                words.append(Word(t, x1 - 5, x1, y, y + 8))
        if words:
            lines.append(Line(words, y + 8, y))
    return lines


