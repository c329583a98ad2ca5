"""Facts from statement tables and sentences, the line-item glossary, and the labelled-set benchmark's scoring."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.figures.facts import Fact, facts_from_page, facts_from_text
from rag.figures.line_items import item_name, line_item, load_line_items, normalise_label

PDFS = next((d / "shared" / "financebench" / "pdfs" for d in Path(__file__).resolve().parents
             if (d / "shared" / "financebench" / "pdfs").is_dir()), None)
needs_pdfs = pytest.mark.skipif(PDFS is None, reason="FinanceBench PDFs (../shared/financebench/pdfs) are absent")

STATEMENT = "\n".join([
    "Condensed Consolidated Statements of Earnings",
    "$ and shares in millions, except per share amounts (unaudited)",
    "Years ended December 31, 2019 2018",
    "Revenue $ 9,583 $ 10,329",
    "Net earnings $ 274 $ 306",
    "Diluted earnings per share $ 1.25 $ 1.35",
    "Weighted-average common shares outstanding 219.0 226.1",
    "Effective tax rate 21.5 % 19.0 %",
])
META = {"doc_name": "ACME_2019_10K", "company": "ACME", "period": "2019", "doc_type": "10k"}


def _by(facts: list[Fact], label: str, period: str) -> Fact:
    return next(f for f in facts if f.label == label and f.period == period)


def test_table_facts_are_scaled_to_units_with_their_unit():
    facts = facts_from_page(STATEMENT, META, page_no=3)
    revenue = _by(facts, "Revenue", "FY2019")
    assert (revenue.value, revenue.unit, revenue.scale, revenue.printed) == (9_583_000_000.0, "USD", 1e6, "$9,583")
    assert (revenue.line_item, revenue.statement, revenue.page, revenue.doc_name) == (
        "revenue", "income_statement", 3, "ACME_2019_10K")
    assert revenue.period_end == "2019-12-31" and revenue.months == 12
    eps = _by(facts, "Diluted earnings per share", "FY2018")
    assert (eps.value, eps.unit, eps.line_item) == (1.35, "USD/share", "eps_diluted")
    shares = _by(facts, "Weighted-average common shares outstanding", "FY2019")
    assert (shares.value, shares.unit) == (219_000_000.0, "shares")
    rate = _by(facts, "Effective tax rate", "FY2018")
    assert (rate.value, rate.unit, rate.line_item) == (19.0, "%", "effective_tax_rate")


def test_a_page_without_a_table_has_no_table_facts():
    text = "Revenue grew in 2019 as customers bought more. We opened 12 stores.\nNothing else happened."
    assert facts_from_page(text, META) == []


def test_sentence_facts():
    text = ("In fiscal 2019, capital expenditures were $1.6 billion, mainly for new stores.\n"
            "Net income was $274 million in 2019.")
    facts = facts_from_text(text, META, page=7)
    got = {(f.line_item, f.value, f.unit, f.period) for f in facts}
    assert ("capex", 1.6e9, "USD", "FY2019") in got
    assert ("net_income", 274e6, "USD", "FY2019") in got
    assert all(f.statement == "text" and f.page == 7 and f.source for f in facts)


@pytest.mark.parametrize("label, statement, section, key", [
    ("Purchases of property, plant and equipment (PP&E)", "cash_flow", "", "capex"),
    ("Capital expenditures", "cash_flow", "", "capex"),
    ("Additions to property and equipment", "cash_flow", "", "capex"),
    ("Payments to acquire property, plant and equipment", "cash_flow", "", "capex"),
    ("Capital spending", "cash_flow", "", "capex"),
    ("設備投資", "", "", "capex"),
    ("Inventories", "balance_sheet", "", "inventory"),
    ("Inventories", "cash_flow", "", None),  # a change in inventories is not the balance
    ("Basic", "income_statement", "Earnings per common share", "eps_basic"),
    ("Basic", "income_statement", "Weighted-average number of shares outstanding", "shares_basic"),
    ("Net income attributable to 3M", "income_statement", "", "net_income"),
    ("Less: Net income attributable to noncontrolling interest", "income_statement", "", None),
    ("Net Cash (Used for)/Provided by Investing Activities", "cash_flow", "", "investing_cash_flow"),
    ("Total 3M Company shareholders’ equity", "balance_sheet", "", "shareholders_equity"),
    ("Total current liabilities", "balance_sheet", "", "current_liabilities"),
    ("TOTAL LIABILITIES AND SHAREHOLDERS' EQUITY", "balance_sheet", "", "liabilities_and_equity"),  # not equity
    ("Total liabilities and stockholders’ equity", "balance_sheet", "", "liabilities_and_equity"),
])
def test_line_item(label, statement, section, key):
    assert line_item(label, statement, section) == key


def test_line_items_are_well_formed():
    items = load_line_items()
    assert len(items) >= 40
    for key, item in items.items():
        assert item["en"] and item["ja"], key
        for variant in item.get("variants", []):
            assert line_item(variant) in (key, None) or line_item(variant, (item.get("statements") or [""])[0])
    assert item_name("capex", "ja") == "設備投資" and item_name("capex") == "capital expenditure"
    with pytest.raises(KeyError, match="line_items.json"):
        item_name("no_such_item")


def test_normalise_label():
    assert normalise_label("Receivables, net (Note 4)") == "receivables net"
    assert normalise_label("Cost of sales(a)") == "cost of sales"
    assert normalise_label("Property, plant and equipment — net") == "property plant and equipment net"


@needs_pdfs
def test_facts_from_a_real_cash_flow_page():
    import pypdfium2 as pdfium

    assert PDFS is not None
    pdf = pdfium.PdfDocument(str(PDFS / "3M_2018_10K.pdf"))
    try:
        facts = facts_from_page(pdf[59], {"doc_name": "3M_2018_10K", "company": "3M", "period": "2018"}, page_no=59)
    finally:
        pdf.close()
    capex = {f.period: f.value for f in facts if f.line_item == "capex"}
    assert capex == {"FY2018": -1_577e6, "FY2017": -1_373e6, "FY2016": -1_420e6}
    ocf = {f.period: f.value for f in facts if f.line_item == "operating_cash_flow"}
    assert ocf["FY2018"] == 6_439e6
    assert all(f.statement == "cash_flow" and f.company == "3M" for f in facts)


def test_bench_scoring_counts_one_match_per_labelled_cell():
    from evals.bench_tables import score_page

    gold = [{"label": "Net sales", "period": "FY2018", "value": 100.0, "scale": 1e6},
            {"label": "Net sales", "period": "FY2017", "value": 90.0, "scale": 1e6}]
    read = [Fact("d", 0, "income_statement", "Net sales", "revenue", "FY2018", 100e6, "USD", 1e6, "100"),
            Fact("d", 0, "income_statement", "Net sales", "revenue", "FY2018", 100e6, "USD", 1e6, "100"),
            Fact("d", 0, "income_statement", "Net sales", "revenue", "FY2017", 90.0, "USD", 1.0, "90")]
    assert score_page(gold, read) == {"gold": 2, "read": 3, "right": 1, "misses": {"scale differs": 1}}


def test_labelled_set_is_well_formed():
    from evals.bench_tables import load_pages

    pages = load_pages(Path(__file__).resolve().parents[1] / "evals" / "tables_labelled.jsonl")
    assert len(pages) >= 25
    assert len({p["doc_name"].split("_20")[0] for p in pages}) >= 15
    periods = {c["period"] for p in pages for c in p["cells"]}
    assert {"FY2018", "Q2 2024", "H1 2024", "2019-12-31"} <= periods
    assert all(json.dumps(c) for p in pages for c in p["cells"])
