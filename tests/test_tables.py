"""The statement-table reader on real FinanceBench pages, and the period, scale and header logic it relies on."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.figures.layout import lines_from_text
from rag.figures.periods import find_scale, parse_header, statement_kind
from rag.figures.tables import is_value_token, looks_tabular, read_page_tables, read_tables

PDFS = next((d / "shared" / "financebench" / "pdfs" for d in Path(__file__).resolve().parents
             if (d / "shared" / "financebench" / "pdfs").is_dir()), None)
needs_pdfs = pytest.mark.skipif(PDFS is None, reason="FinanceBench PDFs (../shared/financebench/pdfs) are absent")


def _tables(doc: str, page: int) -> list:
    import pypdfium2 as pdfium

    from rag.ingestion.metadata import parse_doc_name

    assert PDFS is not None
    pdf = pdfium.PdfDocument(str(PDFS / f"{doc}.pdf"))
    try:
        return read_page_tables(pdf[page], {"doc_name": doc, **parse_doc_name(doc)})
    finally:
        pdf.close()


def _cells(table, label: str) -> dict[str, str]:
    row = next(r for r in table.rows if r.label == label)
    return {c.period.label: cell.text for c, cell in zip(table.columns, row.cells) if c.period and cell}


@needs_pdfs
def test_cash_flow_newest_first_in_millions():
    (table,) = _tables("3M_2018_10K", 59)
    assert table.statement == "cash_flow" and table.scale == 1e6
    assert [c.period.label for c in table.columns] == ["FY2018", "FY2017", "FY2016"]
    assert _cells(table, "Purchases of property, plant and equipment (PP&E)") == {
        "FY2018": "(1,577)", "FY2017": "(1,373)", "FY2016": "(1,420)"}
    # the label wraps onto the line of its numbers in the PDF's text order
    assert _cells(table, "Proceeds from sale of businesses, net of cash sold")["FY2016"] == "142"


@needs_pdfs
def test_oldest_first_columns_and_two_tables_on_a_page():
    cash, balance = _tables("AMCOR_2023Q4_EARNINGS", 8)
    assert [c.period.label for c in cash.columns] == ["FY2022", "FY2023"]
    assert _cells(cash, "Net income") == {"FY2022": "815", "FY2023": "1,058"}
    assert balance.statement == "balance_sheet"
    assert [c.period.label for c in balance.columns] == ["2022-06-30", "2023-06-30"]


@needs_pdfs
def test_blank_cells_stay_in_their_column():
    (table,) = _tables("CORNING_2021_10K", 67)
    assert _cells(table, "Tax assessment refunds") == {"FY2020": "101"}
    assert _cells(table, "Sale of equipment for related party") == {"FY2019": "78"}


@needs_pdfs
def test_quarter_and_year_to_date_from_the_documents_period():
    (table,) = _tables("BESTBUY_2024Q2_10Q", 3)
    assert [c.period.label for c in table.columns] == ["Q2 2024", "Q2 2023", "H1 2024", "H1 2023"]
    assert [c.period.end for c in table.columns] == ["2023-07-29", "2022-07-30", "2023-07-29", "2022-07-30"]


@needs_pdfs
def test_percent_and_change_columns_carry_no_period():
    (table,) = _tables("JOHNSON_JOHNSON_2022Q4_EARNINGS", 9)
    assert [c.kind for c in table.columns] == ["value", "share", "value", "share", "change"]
    assert [c.period.label if c.period else None for c in table.columns] == ["Q4 2022", None, "Q4 2021", None, None]


@needs_pdfs
def test_multi_line_labels_join_and_thousands_scale():
    (nike,) = _tables("NIKE_2023_10K", 61)
    labels = [r.label for r in nike.rows]
    assert ("(Increase) decrease in prepaid expenses, operating lease right-of-use assets and other current and "
            "non-current assets") in labels
    ulta = _tables("ULTABEAUTY_2023Q4_EARNINGS", 6)[0]
    assert ulta.scale == 1e3 and [c.period.label for c in ulta.columns] == ["2023-01-28", "2022-01-29"]


@needs_pdfs
def test_prose_page_is_skipped():
    import pypdfium2 as pdfium

    assert PDFS is not None
    pdf = pdfium.PdfDocument(str(PDFS / "3M_2018_10K.pdf"))
    try:
        text = pdf[5].get_textpage().get_text_range()
        assert not looks_tabular(text)
        assert read_page_tables(pdf[5], {}, text=text) == []
    finally:
        pdf.close()


def test_plain_text_table():
    text = "\n".join([
        "Consolidated Statements of Cash Flows",
        "(in millions)",
        "Years ended December 31, 2019 2018",
        "Net income $ 1,200 $ 1,000",
        "Purchases of property and equipment (300) (250)",
        "Dividends paid — (40)",
    ])
    (table,) = read_tables(lines_from_text(text, is_value_token, frozenset({"$"})))
    assert table.statement == "cash_flow" and table.scale == 1e6
    assert [c.period.label for c in table.columns] == ["FY2019", "FY2018"]
    assert [(r.label, [c.value if c else None for c in r.cells]) for r in table.rows] == [
        ("Net income", [1200.0, 1000.0]), ("Purchases of property and equipment", [-300.0, -250.0]),
        ("Dividends paid", [0.0, -40.0])]


@pytest.mark.parametrize("header, context, months, end, year", [
    ("2018", "Years ended December 31", 12, "2018-12-31", 2018),
    ("December 31, 2019", "At December 31", 0, "2019-12-31", 2019),
    ("Three Months Ended July 29, 2023", "", 3, "2023-07-29", 2023),
    ("3/25/2023", "12 Weeks Ended", 3, "2023-03-25", 2023),
    ("52 Weeks Ended August 29, 2021", "", 12, "2021-08-29", 2021),
    ("Six Months Ended Jan. 2, 2022", "", 6, "2022-01-02", 2022),
    ("Nine Months Ended", "", 9, "", 0),
])
def test_parse_header(header, context, months, end, year):
    p = parse_header(header, context)
    assert (p.months, p.end, p.year) == (months, end, year)


def test_quarter_and_fiscal_year_named_in_the_header():
    assert parse_header("Q2 2023").quarter == 2
    assert parse_header("FOURTH QUARTER 2022").quarter == 4
    assert parse_header("Fiscal 2022").fiscal == 2022


@pytest.mark.parametrize("text, scale, currency", [
    ("(Millions, except per share amounts)", 1e6, "USD"),
    ("$ in millions, except per share amounts (unaudited)", 1e6, "USD"),
    ("(In thousands, except per share data)", 1e3, "USD"),
    ("($ million)", 1e6, "USD"),
    ("（単位：百万円）", 1e6, "JPY"),
    ("Consolidated Balance Sheets", 1.0, "USD"),
])
def test_find_scale(text, scale, currency):
    assert find_scale(text) == (scale, currency)


@pytest.mark.parametrize("title, kind", [
    ("Consolidated Statement of Incom e", "income_statement"),
    ("CONSOLIDATED STATEMENTS OF OPERATIONS", "income_statement"),
    ("Consolidated Balance Shee t", "balance_sheet"),
    ("Consolidated Statements of Financial Position", "balance_sheet"),
    ("Condensed Consolidated Statement of Cash Flows (continued)", "cash_flow"),
    ("Consolidated Statements of Comprehensive Income", "comprehensive_income"),
    ("Supplementary Sales Data", "segment"),
    ("Risk Factors", "other"),
])
def test_statement_kind(title, kind):
    assert statement_kind(title) == kind
