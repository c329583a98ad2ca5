"""Page classification from filing structure: statement titles, headings, row labels."""

from __future__ import annotations

import time

import pytest

from rag.ingestion.page_sections import classify_page, classify_pages, page_signals, table_density
from rag.ingestion.sections import INTENTS

BALANCE_SHEET = """PART II
Item 8
CONSOLIDATED BALANCE SHEETS
(In millions)
June 30, 2023 2022
Assets
Current assets:
Cash and cash equivalents $ 34,704 $ 13,931
Accounts receivable, net 48,688 44,261
Inventories 2,500 3,742
Total current assets 184,257 169,684
Property and equipment, net 95,641 74,398
Total assets $ 411,976 $ 364,840
Liabilities and stockholders' equity
Current liabilities:
Accounts payable $ 18,095 $ 19,000
Total current liabilities 104,149 95,082
Long-term debt 41,990 47,032
Total liabilities 205,753 198,298
Commitments and contingencies
Retained earnings 118,848 84,281
Total stockholders' equity 206,223 166,542
Total liabilities and stockholders' equity $ 411,976 $ 364,840
See accompanying notes.
60
"""

INCOME_STATEMENT = """Acme Corporation and Subsidiaries
Consolidated Statements of Operations (Unaudited)
(in millions, except per share amounts)
Year ended December 31, 2023 2022
Net sales $ 12,000 $ 11,000
Cost of sales 7,000 6,500
Gross profit 5,000 4,500
Research and development 900 850
Selling, general and administrative 1,500 1,400
Operating income 2,600 2,250
Interest expense (120) (110)
Income before income taxes 2,480 2,140
Provision for income taxes 520 450
Net income $ 1,960 $ 1,690
Diluted earnings per share $ 3.10 $ 2.65
"""

CASH_FLOW = """Acme Corporation
Consolidated Statements of Cash Flows
Year ended December 31, 2023 2022
Cash flows from operating activities
Net income $ 1,960 $ 1,690
Depreciation and amortization 410 395
Accounts receivable (120) (80)
Inventories (60) (45)
Accounts payable 75 40
Net cash provided by operating activities 2,300 2,050
Purchases of property and equipment (600) (550)
Net cash used in investing activities (640) (600)
Repurchases of common stock (900) (700)
Dividends paid (300) (280)
Net cash used in financing activities (1,250) (1,010)
Net increase in cash and cash equivalents 410 440
"""

PROSE_MENTIONS = """The Company's liquidity remained strong during the year. As shown in the consolidated
balance sheets and the consolidated statements of cash flows included in Item 8, cash increased
because operating activities generated more cash than in the prior year. Management believes the balance
sheet is sound and that the income statement reflects the growth of the business in all regions, and
we describe the statement of operations in more detail in the notes that follow this discussion.
"""

RISK_FACTORS = """PART I
Item 1A. Risk Factors
Our operations and financial results are subject to various risks and uncertainties that could adversely
affect our business, financial condition, results of operations and the trading price of our stock.
Risks Related to Our Business
Competition could harm our business. There can be no assurance that we will be able to compete, and
failure to do so could have a material adverse effect on our results.
We may not be able to obtain financing on acceptable terms, which could adversely affect our plans.
"""

RISK_CONTINUED = """Our products are subject to risks associated with overseas sourcing and manufacturing.
Any disruption could have a material adverse effect on our results. We may not be able to find other
suppliers, and there can be no assurance that new suppliers will meet our standards. Changes in trade
policy could adversely affect the cost of goods and could harm our margins.
"""

PLAIN_PROSE = """We design and sell footwear and apparel through our own stores and digital platforms. Our
products are designed in Oregon and made by contract manufacturers located mostly in Asia, and we
continue to invest in new materials and new retail formats around the world.
"""

TABLE_OF_CONTENTS = """TABLE OF CONTENTS
Page
PART I
Item 1. Business 4
Item 1A. Risk Factors 10
Item 2. Properties 22
Item 3. Legal Proceedings 22
PART II
Item 7. Management's Discussion and Analysis of Financial Condition and Results of Operations 28
Item 8. Financial Statements and Supplementary Data 50
Consolidated Balance Sheets 52
Consolidated Statements of Cash Flows 54
"""

MDNA_LIQUIDITY = """Item 7. Management's Discussion and Analysis of Financial Condition and Results of Operations
Overview
Net sales increased 9% compared to the prior year, primarily due to higher volumes.
LIQUIDITY AND CAPITAL RESOURCES
We believe existing cash and cash flows from operations will be sufficient to fund our needs.
"""

REPURCHASES = """ISSUER PURCHASES OF EQUITY SECURITIES
Period Total Number of Shares Purchased Average Price Paid Per Share
October 1, 2023 - October 31, 2023 1,200,000 $ 310.25
November 1, 2023 - November 30, 2023 1,000,000 $ 315.10
Total number of shares purchased 2,200,000 $ 312.45
"""

HUMAN_CAPITAL = """Human Capital
As of June 30, 2023, we employed approximately 221,000 people on a full-time basis, 120,000 in the
United States and 101,000 internationally.
"""


def test_statement_pages_are_labelled_by_title_and_rows():
    assert classify_page(BALANCE_SHEET)[0] == "balance_sheet"
    assert classify_page(INCOME_STATEMENT)[0] == "income_statement"
    labels = classify_page(CASH_FLOW)
    assert labels[0] == "cash_flow"
    # A cash flow statement lists balance sheet captions as changes; that does not make it one.
    assert "balance_sheet" not in labels


def test_balance_sheet_caption_is_not_a_legal_section():
    assert "legal" not in classify_page(BALANCE_SHEET)


def test_rows_without_title_still_show_the_statement():
    untitled = "\n".join(INCOME_STATEMENT.splitlines()[3:])
    assert "income_statement" in classify_page(untitled)


def test_prose_mentioning_statements_is_not_labelled():
    labels = classify_page(PROSE_MENTIONS)
    assert not {"balance_sheet", "cash_flow", "income_statement"} & set(labels)


def test_risk_factors_page_and_its_continuation():
    assert classify_page(RISK_FACTORS)[0] == "risk_factors"
    assert "risk_factors" in classify_page(RISK_CONTINUED)
    assert classify_page(PLAIN_PROSE) == []


def test_extraction_spaces_inside_words_are_tolerated():
    assert "risk_factors" in classify_page("Item 1A. Risk Factor s.\nOur business is subject to many risks.")
    assert "properties" in classify_page("Item 2. Propertie s.\nWe own our headquarters.")


@pytest.mark.parametrize("text", ["", "   \n  \n", "\x0c"])
def test_empty_page(text):
    assert classify_page(text) == []


def test_table_of_contents_gets_no_labels():
    sig = page_signals(TABLE_OF_CONTENTS)
    assert sig["toc"] is True and sig["labels"] == []


def test_section_headings():
    assert {"mdna", "liquidity"} <= set(classify_page(MDNA_LIQUIDITY))
    assert "repurchases" in classify_page(REPURCHASES)
    assert "employees" in classify_page(HUMAN_CAPITAL)
    assert "debt" in classify_page("Note 9. Debt\nThe Company's long-term debt consists of senior notes.")
    assert "segments" in classify_page("NOTE 17 — SEGMENT INFORMATION\nWe report four segments.")
    assert "guidance" in classify_page("FULL-YEAR 2023 GUIDANCE:\nAdjusted EPS of $10.50 to $10.70")
    assert "tax" in classify_page("Income Taxes\nThe effective tax rate was 18.2%.")


def test_sentence_that_starts_like_a_heading_is_prose():
    text = "Refer to Liquidity Risk Management on pages 50-54 for additional information on our funding."
    assert "liquidity" not in classify_page(text)
    text = "Consolidated Statements of Cash Flows as follows (in millions) were restated in prior years."
    assert "cash_flow" not in classify_page(text)


def test_labels_come_from_the_shared_vocabulary():
    for page in (BALANCE_SHEET, INCOME_STATEMENT, CASH_FLOW, RISK_FACTORS, MDNA_LIQUIDITY, REPURCHASES, HUMAN_CAPITAL):
        assert set(classify_page(page)) <= set(INTENTS)


def test_running_sections_carry_over_pages():
    pages = [
        TABLE_OF_CONTENTS,
        RISK_FACTORS,
        PLAIN_PROSE,  # still inside Item 1A
        "Item 1B. Unresolved Staff Comments\nNone.\nItem 2. Properties\nWe lease our offices.",
        PLAIN_PROSE,  # the risk factors section has ended
        MDNA_LIQUIDITY,
        PLAIN_PROSE,  # inside MD&A
        BALANCE_SHEET,  # the financial statements end MD&A
        PLAIN_PROSE,
        "",
    ]
    labels = classify_pages(pages)
    assert labels[0] == []
    assert "risk_factors" in labels[1] and "risk_factors" in labels[2]
    assert "risk_factors" not in labels[4]
    assert "mdna" in labels[6]
    assert "mdna" not in labels[8] and labels[9] == []


def test_bare_item_running_header():
    labels = classify_pages(["PART II\nItem 7\n" + PLAIN_PROSE, PLAIN_PROSE])
    assert labels == [["mdna"], ["mdna"]]


def test_table_density():
    assert table_density(BALANCE_SHEET) > 0.5
    assert table_density(PLAIN_PROSE) == 0.0
    assert table_density("") == 0.0


def test_classification_is_fast():
    pages = [BALANCE_SHEET, INCOME_STATEMENT, CASH_FLOW, PROSE_MENTIONS, RISK_FACTORS, MDNA_LIQUIDITY] * 50
    start = time.perf_counter()
    for p in pages:
        classify_page(p)
    assert (time.perf_counter() - start) / len(pages) < 0.002
