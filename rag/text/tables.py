"""Is this line a row of a table? One answer for chunking, section signals and quoting."""

from __future__ import annotations

import re

# A numeric cell: "32,765", "(1,234)", "$ 5.2", "18%", or a dash for zero.
NUMERIC_CELL = re.compile(r"(?:\(?-?\$?\s?\d[\d,]*\.?\d*\)?%?|—|–|-)")
_ROW = re.compile(r"^\s*\S.*?(?:\s+(?:\(?-?\$?\s?\d[\d,]*\.?\d*\)?%?|—|–))\s*$")
_NUMBERS = re.compile(r"\d[\d,.]*")
_WIDE_GAP = re.compile(r"\t|\s{3,}")


def numeric_cells(line: str, last: int = 6) -> int:
    """How many of the line's last cells are numeric."""
    return sum(1 for c in line.split()[-last:] if NUMERIC_CELL.fullmatch(c.strip("$")))


def is_table_row(line: str) -> bool:
    """True when a line looks like a row of a financial table: text then numeric cells."""
    cells = line.split()
    if len(cells) < 2:
        return False
    numeric = numeric_cells(line)
    return numeric >= 2 or (numeric >= 1 and bool(_ROW.match(line)) and len(cells) <= 8)


def is_numeric_row(line: str) -> bool:
    """A label followed by two or more figures ("Inventories 2,500 3,742"): the strict test for table density."""
    return len(line.split()) >= 2 and numeric_cells(line, last=4) >= 2


def is_table_line(line: str) -> bool:
    """A line quoted as a table line: a Markdown table row, or several numbers set apart by wide gaps."""
    return line.count("|") >= 2 or len(_NUMBERS.findall(line)) >= 2 and bool(_WIDE_GAP.search(line))
