"""Facts: figures read off a page, each with what it measures, for which period, in which unit.

A fact comes from a cell of a statement table (rag.figures.tables: row label, column period, the table's scale)
or from a sentence of prose (rag.figures.labels: the metric named near a figure). Values are in units — dollars,
not millions — with the scale they were printed in kept beside them. `facts_from_page` is the one call an ingest
makes per page; it reads character boxes only on pages whose text looks like a table.

    >>> facts = facts_from_page(pdf[59], {"doc_name": "3M_2018_10K", "company": "3M", "period": "2018"}, page=59)
    >>> [(f.line_item, f.period, f.value) for f in facts if f.line_item == "capex"]
    [('capex', 'FY2018', -1577000000.0), ('capex', 'FY2017', -1373000000.0), ('capex', 'FY2016', -1420000000.0)]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from rag.figures.line_items import line_item
from rag.figures.tables import Cell, Row, Table, is_value_token, read_page_tables
from rag.text.sentences import split_sentences

_PER_SHARE = re.compile(r"(?i)per\s+(?:common\s+|ordinary\s+|basic\s+|diluted\s+)?share|\bEPS\b|per\s+ADS")
_SHARE_COUNT = re.compile(r"(?i)^(?:weighted|average|shares\b|number\s+of\s+shares)|shares\s+(?:outstanding|used)")
_RATE = re.compile(r"(?i)(?:\brate|\bmargin|\bratio|\bpercent(?:age)?)\s*(?:\([^)]*\))?$|%")
_THOUSANDS = re.compile(r"(?i)\(000[’']?s\)|in thousands")
_MILLIONS = re.compile(r"(?i)in millions")
_SHARES_SCALE = re.compile(r"(?i)shares\s+in\s+(thousands|millions)|except\s+(?:for\s+)?(?!per\b)[^)]*\bshares?\b")


@dataclass
class Fact:
    """One figure with what it measures: a table cell, or a figure in a sentence.

    `value` is in units (3M's "(1,577)" in a table "in millions" is -1_577_000_000.0), `scale` the multiplier it
    was printed with, `printed` the figure as printed. `period` is normalised ('FY2018', 'Q2 2024', 'H1 2024',
    '2019-12-31'); `period_end` the date the period ends, when printed; `months` 12, 3, 6, 9, or 0 for a
    balance at a date. `chunk` is left for the ingest to fill with the id of the chunk that holds the figure.
    """

    doc_name: str
    page: int
    statement: str  # income_statement, balance_sheet, cash_flow, ..., or "text" for a sentence
    label: str  # the row label as printed, or the metric named in the sentence
    line_item: str | None  # canonical item (rag/data/line_items.json), or None when not in the list
    period: str
    value: float
    unit: str  # USD, USD/share, shares, %
    scale: float
    printed: str
    period_end: str = ""
    months: int = -1
    section: str = ""  # the heading the row sits under ("Investing activities")
    company: str = ""
    source: str = ""  # the printed row, or the sentence
    chunk: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _kind(label: str, section: str) -> str:
    """What a row counts: 'shares', 'per_share' or money; the label decides before the heading it sits under."""
    for text in (label, section):
        if _SHARE_COUNT.search(text):
            return "shares"
        if _PER_SHARE.search(text) and "par value" not in text.lower():
            return "per_share"
    return "money"


def _unit(row: Row, cell: Cell, table: Table, head: str) -> tuple[str, float]:
    """The unit and multiplier of one cell: per-share amounts and percentages are printed in units."""
    if cell.percent or (_RATE.search(row.label) and abs(cell.value) < 1000 and "," not in cell.text):
        return "%", 1.0
    kind = _kind(row.label, row.section)
    if kind == "per_share":
        return f"{table.currency}/share", 1.0
    if kind == "shares":
        own = f"{row.section} {row.label}"  # "Shares used in calculation (000's)", "(in millions)"
        if _THOUSANDS.search(own) or _MILLIONS.search(own):
            return "shares", 1e3 if _THOUSANDS.search(own) else 1e6
        m = _SHARES_SCALE.search(head)
        if m and m.group(1):
            return "shares", 1e3 if m.group(1).lower() == "thousands" else 1e6
        return "shares", 1.0 if m else table.scale
    return table.currency, table.scale


def facts_from_tables(tables: list[Table], doc_meta: Mapping[str, Any], page: int = 0) -> list[Fact]:
    """A fact for every cell of a column with a period; change and percent-of-total columns are left out."""
    facts: list[Fact] = []
    for table in tables:
        head = f"{table.title} {table.context}"
        for row in table.rows:
            item = line_item(row.label, table.statement, row.section)
            for col, cell in zip(table.columns, row.cells):
                if cell is None or col.period is None or col.kind != "value":
                    continue
                unit, scale = _unit(row, cell, table, head)
                facts.append(Fact(
                    doc_name=str(doc_meta.get("doc_name", "")), page=page, statement=table.statement,
                    label=row.label, line_item=item, period=col.period.label, value=cell.value * scale, unit=unit,
                    scale=scale, printed=cell.text, period_end=col.period.end, months=col.period.months,
                    section=row.section, company=str(doc_meta.get("company", "")), source=row.text))
    return facts


def _period_key(period: str) -> str:
    """A period from rag.figures.labels ('2019', '2023Q2', '2023H1') in the facts' form ('FY2019', 'Q2 2023')."""
    if re.fullmatch(r"(?:19|20)\d\d", period):
        return f"FY{period}"
    if m := re.fullmatch(r"((?:19|20)\d\d)([QH])([1-4])", period):
        return f"{m.group(2)}{m.group(3)} {m.group(1)}"
    return period


def _table_line(line: str) -> bool:
    """A line ending in two or more printed values ("Net sales 5,020 4,911"); prose ends in a word or a stop."""
    toks = line.split()
    trailing = 0
    while trailing < len(toks) and is_value_token(toks[-1 - trailing]):
        trailing += 1
    return trailing >= 2


def facts_from_text(text: str, doc_meta: Mapping[str, Any], page: int = 0) -> list[Fact]:
    """Facts from the sentences of a page's prose: each figure that a known metric is named beside.

    Table rows are skipped (they are read as tables); a figure the sentence attributes to someone else is too.
    """
    from rag.figures.labels import label_figures  # labels pulls in query analysis; only prose needs it

    default = str(doc_meta.get("period", ""))
    facts: list[Fact] = []
    paragraph: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.strip() and not _table_line(line):
            paragraph.append(line.strip())
            continue
        for sentence in split_sentences(" ".join(paragraph)):
            if not re.search(r"\d", sentence):
                continue
            for fig, metric, period, claim, _ in label_figures(sentence, default_period=default):
                if claim:
                    continue
                facts.append(Fact(
                    doc_name=str(doc_meta.get("doc_name", "")), page=page, statement="text", label=metric,
                    line_item=metric, period=_period_key(period), value=fig.value, unit=fig.unit, scale=fig.scale,
                    printed=fig.raw, company=str(doc_meta.get("company", "")), source=sentence))
        paragraph = []
    return facts


def facts_from_page(page: Any, doc_meta: Mapping[str, Any], page_no: int = 0, text: str | None = None,
                    prose: bool = False) -> list[Fact]:
    """The facts of one page: its statement tables, and with `prose` the figures in its sentences.

    Args:
        page: a pypdfium2 PdfPage or PdfTextPage, or the page's plain text (HTML and text documents).
        doc_meta: at least doc_name; company and period ('2024Q2', '2018') name quarters and fiscal years.
        page_no: the zero-indexed page number the facts cite.
        text: the page's plain text, when the caller already extracted it (saves a second extraction).
        prose: also read figures stated in sentences.

    Returns:
        Facts in page order, table cells first.
    """
    meta = {k: str(v) for k, v in doc_meta.items() if v is not None}
    tables = read_page_tables(page, meta, text=text)
    facts = facts_from_tables(tables, meta, page_no)
    if prose:
        if text is None:
            text = page if isinstance(page, str) else _plain_text(page)
        facts += facts_from_text(text, meta, page_no)
    return facts


def _plain_text(page: Any) -> str:
    textpage = page.get_textpage() if hasattr(page, "get_textpage") else page
    try:
        return str(textpage.get_text_range())
    finally:
        if textpage is not page:
            textpage.close()
