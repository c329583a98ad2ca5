"""Numeric tables on PDF pages: each row's label, one cell per column, and what each column's header says.

How a page is read: pypdfium2 (already the PDF loader) gives every character's box; characters become words,
words become visual lines by their height on the page, and numbers become columns by where their digits sit
across the rows of a table. Header lines above the first row give each column its period (rag.figures.periods).

Why character boxes, measured on FinanceBench's PDFs on this machine: pdfium's plain text costs about 3.4 ms a
page and reading the character boxes about 4 ms more; pdfplumber needs about 220 ms a page for its words alone,
and its text-strategy table split cells mid-number ("3 2.8" for "32.8"); camelot's stream mode sits on the same
pdfminer layout. Plain text alone loses a column when a cell is blank (3M's equity statement) and, on some
earnings releases (Johnson & Johnson), prints the column headers after the table. So the boxes are read, but
only on pages whose plain text looks like a table (`looks_tabular`), which keeps ingest cheap.

Plain text (HTML or text documents, or a page without boxes) goes through the same reader: the numbers of each
line are set right-aligned in as many columns as the line has, which is right for most text tables.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.figures.layout import Line, Word, group_lines, lines_from_text, page_words
from rag.figures.periods import FULL_DATE, MONTH_DAY, Period, column_periods, find_scale, statement_kind
from rag.text.tables import is_numeric_row

# A value as printed: "(1,234)", "$5,363", "12.5%", "(0.3)", "-7"; a dash alone is a nil value.
_NUMBER = re.compile(r"(?P<sign>[-−])?(?P<cur0>US\$|\$|¥|€|£)?(?P<open>\()?(?P<cur>US\$|\$|¥|€|£)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|"
                     r"\d+(?:\.\d+)?|\.\d+)(?P<pct1>%)?(?P<close>\))?(?P<pct>%)?")
_DASHES = frozenset({"—", "–", "-", "−", "--", "—-", "-0-", "―"})
_GLUE_LEFT = frozenset({"$", "US$", "¥", "€", "£", "(", "($", "$(", "-"})
_CURRENCY = frozenset({"$", "US$", "¥", "€", "£", "($", "$("})
_GLUE_RIGHT = frozenset({")", "%", ")%", "%)", "pts", "bps"})
_YEAR = re.compile(r"(?:19|20)\d\d")
_DATE_WORD = re.compile(r"(?i)(?:\d{1,2},|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z.]*,?")
_MONTH_WORD = re.compile(r"(?i)(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?")
_PAGE_LABEL = re.compile(r"(?i)^(?:page|exhibit|table of contents)\b")
MIN_ROWS = 3  # fewer numeric rows than this is not a table worth reading


@dataclass
class Cell:
    """One value as printed, its number (negative for parentheses, 0 for a dash) and the x-span of its digits."""

    text: str
    value: float
    x0: float
    x1: float
    percent: bool = False
    start: int = 0  # index of its first word in the line


@dataclass
class Row:
    """A table row: its label as printed (wrapped lines joined), the heading it falls under, a cell per column."""

    label: str
    cells: list[Cell | None]
    section: str = ""
    text: str = ""  # the printed line(s), for citing


@dataclass
class Column:
    x0: float
    x1: float
    header: str = ""
    period: Period | None = None
    kind: str = "value"  # "value", "change" (year-on-year change) or "share" (percent of a total)


@dataclass
class Table:
    """One table of a page: what statement it is, its scale, its columns and rows."""

    title: str
    statement: str
    scale: float
    currency: str
    columns: list[Column]
    rows: list[Row]
    context: str = ""  # header words that apply to every column ("Years ended December 31", "(in millions)")


# --------------------------------------------------------------------------- characters, words, lines

def looks_tabular(text: str) -> bool:
    """Cheap test on a page's plain text: enough rows of label-then-numbers to be worth reading as a table."""
    return sum(1 for line in text.splitlines() if is_numeric_row(line)) >= MIN_ROWS


def is_value_token(tok: str) -> bool:
    """A printed value or a sign that goes with one: "1,234", "(5.2)", "—", "$", "%"."""
    return tok in _DASHES or tok in _GLUE_LEFT or tok in _GLUE_RIGHT or bool(_NUMBER.fullmatch(tok))


# --------------------------------------------------------------------------- cells of a line

def _digits_span(w: Word) -> tuple[float, float]:
    if w.digits is not None:
        return w.digits
    idx = [i for i, c in enumerate(w.text) if c.isdigit()]
    if not idx or len(w.xs) != len(w.text):
        return w.x0, w.x1
    return w.xs[idx[0]][0], w.xs[idx[-1]][1]


def _cell(words: list[Word]) -> Cell | None:
    """The value printed by a few adjacent words ("$", "(1,234", ")"), or None if they are not one value."""
    for a, b in zip(words, words[1:]):  # "$" may stand far left of its number; other parts touch
        if a.text not in _CURRENCY and b.x0 - a.x1 > (1.5 if b.text in _GLUE_RIGHT else 0.6) * a.height:
            return None
    text = "".join(w.text for w in words)
    core = [w for w in words if any(c.isdigit() for c in w.text)]
    if text.lstrip("$€£¥") in _DASHES:  # "—", "$ —"
        return Cell(text, 0.0, words[-1].x0, words[-1].x1)
    m = _NUMBER.fullmatch(text)
    if not m or len(core) != 1 or bool(m.group("open")) != bool(m.group("close")):
        return None
    value = float(m.group("num").replace(",", ""))
    if m.group("open") or m.group("sign"):
        value = -value
    x0, x1 = _digits_span(core[0])
    return Cell(text, value, x0, x1, percent=bool(m.group("pct") or m.group("pct1")))


def split_line(line: Line, zone: float = float("-inf")) -> tuple[list[Word], list[Cell]]:
    """A line's label words and its trailing cells (those right of `zone`, the left edge of the value columns)."""
    words = line.words
    if line.split is None:
        line.split = _split_words(words)
    cells = list(line.split)
    while cells and cells[0].x1 < zone:  # a number in the label's part of the line ("Note 16") is label
        cells.pop(0)
    return words[:cells[0].start if cells else len(words)], cells


def _split_words(words: list[Word]) -> list[Cell]:
    cells: list[Cell] = []
    end = len(words)
    while end > 0 and is_value_token(words[end - 1].text):
        cell = None
        for size in (3, 2, 1):  # "$ 1,234", "( 1,234 )", "1,234 %"
            if end - size >= 0 and (cell := _cell(words[end - size:end])) is not None:
                cell.start = end - size
                break
        if cell is None or _label_number(words, cell.start, cell):
            break
        cells.append(cell)
        end = cell.start
    cells.reverse()
    return cells


def _label_number(words: list[Word], start: int, cell: Cell) -> bool:
    """A year after a date ("Balance at December 31, 2015") is part of the label, not a value."""
    if start == 0:
        return False
    before = words[start - 1].text
    if _YEAR.fullmatch(cell.text):
        return bool(_DATE_WORD.fullmatch(before))
    return bool(re.fullmatch(r"\d{1,2},?", cell.text)) and bool(_MONTH_WORD.fullmatch(before))


_HEADER_WORD = re.compile(r"(?i)^(?:\(?(?:in|dollars|amounts|\$|millions?|thousands?|billions?|unaudited|except|per|share|"
                          r"and|shares|data|amounts?|fiscal|year|years|ended|quarter|months|weeks|as|of|at|FY\d*|Q[1-4]|"
                          r"[1-4]Q\d*|restated|actual|reported|three|six|nine|twelve|\d{1,2}|first|second|third|fourth)"
                          r"\)?[,:;)]*)$")


def _is_header_line(line: Line) -> bool:
    """Column headers, not values: years or dates ("2018 2017 2016", "July 29, 2023 January 28, 2023")."""
    text = line.text
    if not _HAS_YEAR.search(text):  # most lines: no year, no header
        return False
    dates = len(FULL_DATE.findall(text))
    rest = MONTH_DAY.sub(" ", FULL_DATE.sub(" ", text))
    years = len(_YEAR_TOKEN.findall(rest))
    rest = _YEAR_TOKEN.sub(" ", rest)
    if dates + years == 0 or line.words[-1].text in _DASHES or re.search(r"\d[\d,]*\.\d|\d,\d{3}|\d{3,}", rest):
        return False
    words = [w for w in rest.split() if not _HEADER_WORD.match(w)]
    return dates + years >= 2 or len(words) <= 3


_HAS_YEAR = re.compile(r"(?:19|20)\d\d|\d/\d")
_YEAR_TOKEN = re.compile(r"(?<![\d,.$/-])(?:FY|Q[1-4]\s?)?(?:19|20)\d\d(?![\d,%/-])")


# --------------------------------------------------------------------------- columns

def cluster_columns(cells: list[Cell], min_support: int = 2) -> list[tuple[float, float]]:
    """Columns as x-spans: digit spans that overlap belong to one column (numbers are right- or centre-aligned)."""
    spans: list[list[float]] = []
    for c in sorted(cells, key=lambda c: c.x0):
        if spans and c.x0 <= spans[-1][1] - 0.5:
            spans[-1][1] = max(spans[-1][1], c.x1)
            spans[-1][2] += 1
        else:
            spans.append([c.x0, c.x1, 1])
    return [(a, b) for a, b, n in spans if n >= min_support]


def _column_of(cell: Cell, columns: Sequence[tuple[float, float]], slack: float) -> int | None:
    """The column a cell sits in: the one its digits overlap most, else the nearest within `slack`."""
    best, best_score = None, -slack
    for i, (a, b) in enumerate(columns):
        score = min(b, cell.x1) - max(a, cell.x0)  # overlap, negative for a gap
        if score > best_score:
            best, best_score = i, score
    return best


# --------------------------------------------------------------------------- tables

@dataclass
class _Block:
    """Lines of one table while it is read: the header lines above its first row, and its rows."""

    head: list[Line] = field(default_factory=list)
    body: list[tuple[Line, list[Word], list[Cell]]] = field(default_factory=list)


def _over_values(line: Line, body: list[tuple[Line, list[Word], list[Cell]]]) -> bool:
    """A header line ends over the value columns of the rows above it (a wrapped label that names dates does not)."""
    lefts = [c.x0 for _, _, cells in body for c in cells]
    return not lefts or line.words[-1].x1 >= min(lefts) - 2 * line.words[-1].height


def _blocks(lines: list[Line]) -> list[_Block]:
    """Cut a page's lines into tables: a header line after rows starts the next table, taking with it the
    value-less lines just above it (its title, a header spanning its columns)."""
    blocks: list[_Block] = [_Block()]
    for line in lines:
        label, cells = split_line(line)
        numeric = [c for c in cells if c.text not in _DASHES]
        body = blocks[-1].body
        if _is_header_line(line):
            if sum(1 for _, _, cs in body if cs) < MIN_ROWS - 1:
                # too few rows above to be a table: they were headers too ("Years ended December 31", "Exhibit 1")
                blocks[-1].head.extend(b[0] for b in body)
                body.clear()
                blocks[-1].head.append(line)
                continue
            if _over_values(line, body):
                carried: list[Line] = []
                while body and not body[-1][2] and len(carried) < 4:
                    carried.insert(0, body.pop()[0])
                blocks.append(_Block(head=[*carried, line]))
                continue
        if numeric or body:
            blocks[-1].body.append((line, label, cells))
        else:
            blocks[-1].head.append(line)
    return blocks


def _value_zone(block: _Block, height: float) -> tuple[list[tuple[float, float]], float]:
    """The columns of a table, from rows with two or more values, and the left edge of the value area."""
    strong = [c for _, _, cells in block.body if sum(1 for c in cells if c.text not in _DASHES) >= 2
              for c in cells if c.text not in _DASHES]
    columns = cluster_columns(strong)
    if not columns:
        singles = [c for _, _, cells in block.body for c in cells if c.text not in _DASHES]
        columns = cluster_columns(singles, min_support=MIN_ROWS)
    if not columns:
        return [], float("inf")
    return columns, columns[0][0] - 2.5 * height


def _label_text(words: list[Word]) -> str:
    text = " ".join(w.text for w in words).strip()
    return re.sub(r"\s+", " ", text).strip(" .:")


_CONTINUES = re.compile(r"(?:\b(?:and|or|of|to|for|by|in|the|from|on|at|with|net|less|including|excluding)|[,(&/-])$",
                        re.IGNORECASE)


def _continues(prev: str, label: str) -> bool:
    """A label line that carries on the one before: it starts in lower case, or the one before breaks mid-phrase."""
    return (bool(label) and not prev.endswith(":")
            and (label[0].islower() or label[0] in "/&" or bool(_CONTINUES.search(prev))))


def _rows(block: _Block, columns: list[tuple[float, float]], zone: float, height: float) -> list[Row]:
    """Rows of a table: wrapped labels joined, a value-less total named by the heading it closes."""
    rows: list[Row] = []
    section, pending, pending_text = "", "", ""
    for line, _, _ in block.body:
        label_words, cells = split_line(line, zone)
        label = _label_text(label_words)
        if not cells:
            if pending and _continues(pending_text, label):
                pending, pending_text = f"{pending} {label}", f"{pending_text}\n{line.text}"
            else:
                if pending:
                    section = pending
                pending, pending_text = label, line.text
            continue
        if pending and (not label or _continues(pending_text, label)):
            label, text = f"{pending} {label}".strip(), f"{pending_text}\n{line.text}"
        else:
            if pending:
                section = pending
            text = line.text
        if not label:
            label = section
        pending, pending_text = "", ""
        placed: list[Cell | None] = [None] * len(columns)
        for cell in cells:
            i = _column_of(cell, columns, slack=2.0 * height)
            if i is not None and placed[i] is None:
                placed[i] = cell
        if label and not _PAGE_LABEL.match(label) and any(c is not None for c in placed):
            rows.append(Row(label=label, cells=placed, section=section, text=text))
    return rows


def _table(block: _Block, page_head: list[Line], doc_meta: dict[str, str]) -> Table | None:
    height = statistics.median([w.height for line, _, _ in block.body for w in line.words] or [8.0])
    spans, zone = _value_zone(block, height)
    if not spans:
        return None
    rows = _rows(block, spans, zone, height)
    if len(rows) < MIN_ROWS - 1:
        return None
    own = "\n".join(line.text for line in block.head)
    page = "\n".join(line.text for line in page_head)
    statement = statement_kind(own)
    statement = statement if statement != "other" else statement_kind(page)
    scale, currency = find_scale(own)
    if scale == 1.0:
        scale, currency = find_scale(page)
    columns = [Column(a, b) for a, b in spans]
    context = column_periods(columns, block.head, zone, statement, doc_meta)
    _mark_share_columns(columns, rows)
    return Table(title=_title(block.head or page_head), statement=statement, scale=scale, currency=currency,
                 columns=columns, rows=rows, context=context)


def _mark_share_columns(columns: list[Column], rows: list[Row]) -> None:
    """A column of percentages beside columns of amounts (Ulta's "100.0%" of net sales) holds shares, not values."""
    percent = [[c.percent for r in rows if (c := r.cells[i]) is not None and c.text not in _DASHES]
               for i in range(len(columns))]
    amounts = any(p and sum(p) <= 0.25 * len(p) for p in percent)
    for col, p in zip(columns, percent):
        if amounts and len(p) >= 2 and sum(p) >= 0.75 * len(p):
            col.kind, col.period = "share", None


def _title(lines: list[Line]) -> str:
    for line in lines:
        if statement_kind(line.text) != "other":
            return line.text
    return lines[0].text if lines else ""


def read_tables(lines: list[Line], doc_meta: dict[str, str] | None = None) -> list[Table]:
    """The numeric tables among a page's visual lines (top first)."""
    blocks = _blocks(lines)
    tables = [_table(block, blocks[0].head, doc_meta or {}) for block in blocks if block.body]
    return [t for t in tables if t is not None]


def read_page_tables(page: Any, doc_meta: dict[str, str] | None = None, text: str | None = None) -> list[Table]:
    """Tables on one page: a pypdfium2 PdfPage or PdfTextPage, or plain text.

    `text` is the page's plain text when the caller already has it (the loader does); a page whose text does not
    look like a table is skipped without reading character boxes.
    """
    if isinstance(page, str):
        return read_tables(lines_from_text(page, is_value_token, _GLUE_LEFT, _GLUE_RIGHT), doc_meta) if looks_tabular(page) else []
    textpage = page.get_textpage() if hasattr(page, "get_textpage") else page
    try:
        if text is None:
            text = textpage.get_text_range()
        if not looks_tabular(text):
            return []
        return read_tables(group_lines(page_words(textpage)), doc_meta)
    finally:
        if textpage is not page:
            textpage.close()
