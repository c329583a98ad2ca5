"""The measure catalogue: what each question wording asks for, each formula, and the EN/JA rendering (pure)."""

from __future__ import annotations

import pytest

from rag.answers.definitions import defined_measure
from rag.answers.measures import BY_KEY, MEASURES, find_measure, role_key, share_of_revenue
from rag.answers.numeric_text import Request, format_result, read_request, unsettled, verdict, yes_no_test
from rag.query.analyze import analyze_query

# One year of a made-up filer, in dollars; "_avg" and "_prior" are the average of two year-ends and last year.
V = {"revenue": 1000.0, "cost_of_revenue": 600.0, "operating_income": 150.0, "net_income": 100.0,
     "income_tax": 25.0, "pretax_income": 125.0, "depreciation_amortization": 50.0, "capex": 80.0,
     "operating_cash_flow": 200.0, "dividends_paid": 40.0, "current_assets": 500.0, "current_liabilities": 250.0,
     "cash": 100.0, "short_term_investments": 20.0, "accounts_receivable": 80.0, "long_term_debt": 300.0,
     "short_term_debt": 50.0, "shareholders_equity": 700.0, "inventory": 130.0, "inventory_prior": 110.0,
     "inventory_avg": 120.0, "accounts_receivable_avg": 73.0, "accounts_payable_avg": 61.0, "ppe_net_avg": 400.0,
     "total_assets_avg": 2000.0, "shareholders_equity_avg": 500.0}

EXPECTED = {
    "gross_margin": 40.0, "operating_margin": 15.0, "net_margin": 10.0, "cogs_margin": 60.0,
    "ebitda": 200.0, "ebitda_margin": 20.0, "ebitda_less_capex": 120.0, "free_cash_flow": 120.0,
    "capex_pct_revenue": 8.0, "current_ratio": 2.0, "quick_ratio": 0.8, "working_capital": 250.0,
    "operating_cash_flow_ratio": 0.8, "debt_to_equity": 0.5, "total_debt": 350.0, "effective_tax_rate": 20.0,
    "payout_ratio": 0.4, "retention_ratio": 0.6, "roa": 0.05, "roe": 0.2, "asset_turnover": 0.5,
    "fixed_asset_turnover": 2.5, "inventory_turnover": 5.0, "dio": 365 * 120 / 600, "dso": 365 * 73 / 1000,
    "dpo": 365 * 61 / (600 + 130 - 110),
    "cash_conversion_cycle": 365 * 120 / 600 + 365 * 73 / 1000 - 365 * 61 / (600 + 130 - 110),
}


def test_every_measure_has_an_expected_value():
    assert set(EXPECTED) == {m.key for m in MEASURES}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_formula(key):
    measure = BY_KEY[key]
    values = {role_key(i): V[role_key(i)] for i in measure.inputs}
    assert measure.formula(values) == pytest.approx(EXPECTED[key])


def test_optional_inputs_default_to_nil():
    assert BY_KEY["debt_to_equity"].formula({"long_term_debt": 300.0, "shareholders_equity": 600.0}) == 0.5


def test_share_of_revenue_of_any_item():
    m = share_of_revenue("depreciation_amortization")
    assert m.formula({"depreciation_amortization": -50.0, "revenue": 1000.0}) == pytest.approx(5.0)
    assert m.unit == "percent"


@pytest.mark.parametrize("question, key", [
    ("What is the FY2018 capital expenditure amount (in USD millions) for 3M?", "capex"),
    ("3Mの2018年度の設備投資額はいくらか", "capex"),
    ("What is Nike's FY2019 current ratio?", "current_ratio"),
    ("working capital ratio defined as total current assets divided by total current liabilities", "current_ratio"),
    ("トヨタの2023年度の流動比率は？", "current_ratio"),
    ("ソニーの2022年度の営業利益率は？", "operating_margin"),
    ("What is the FY2019 fixed asset turnover ratio for Activision Blizzard?", "fixed_asset_turnover"),
    ("what is the FY2015 depreciation and amortization % margin for AMD?", "depreciation_amortization_pct_revenue"),
    ("As an equity research analyst, what is the year end FY2018 net AR?", "accounts_receivable"),
    ("What is the FY2022 dividend payout ratio?", "payout_ratio"),
    ("What is Amazon's FY2017 days payable outstanding (DPO)?", "dpo"),
    ("Tell me about the company's strategy", None),
])
def test_find_measure(question, key):
    found = find_measure(question)
    assert (found.key if found else None) == key


def test_request_modes_and_rounding():
    capex = BY_KEY["capex_pct_revenue"]
    q = "What is the FY2017 - FY2019 3 year average of capex as a % of revenue? Round to one decimal place."
    r = read_request(analyze_query(q), capex, [])
    assert (r.mode, r.years, r.decimals) == ("average", [2017, 2018, 2019], 1)
    r = read_request(analyze_query("Revenue growth year over year in FY2017, in USD millions"), find_measure("revenue"), [])
    assert (r.mode, r.years) == ("growth", [2016, 2017])
    r = read_request(analyze_query("2 year revenue CAGR from FY2020 to FY2022"), find_measure("revenue"), [])
    assert (r.mode, r.years) == ("cagr", [2020, 2022])
    r = read_request(analyze_query("What is 3M's capex in USD billions?"), find_measure("capex"), [2018, 2017])
    assert (r.years, r.scale) == ([2018], 1e9)
    assert read_request(analyze_query("What is 3M's capex?"), find_measure("capex"), []) is None


@pytest.mark.parametrize("value, unit, request_, lang, shown", [
    (1_577e6, "money", Request([2018], scale=1e6), "en", "$1,577 million"),
    (1_577e6, "money", Request([2018], scale=1e6), "ja", "15億7,700万ドル"),
    (8_738e6, "money", Request([2018], scale=1e9), "en", "$8.7 billion"),
    (8_738e6, "money", Request([2018], scale=1e9, decimals=2), "en", "$8.74 billion"),
    (24.2579, "ratio", Request([2019]), "en", "24.26"),
    (1.8999, "percent", Request([2019]), "ja", "1.9％"),
    (0.0197, "percent_of_ratio", Request([2019], percent=True), "en", "2.0%"),
    (93.857, "days", Request([2017]), "ja", "93.86日"),
])
def test_format_result(value, unit, request_, lang, shown):
    assert format_result(value, unit, request_, lang) == shown


@pytest.mark.parametrize(("question", "key", "expected"), [
    ("What is ACME's FY2019 fixed asset turnover? It is defined as: FY2019 revenue / (average PP&E between FY2018 "
     "and FY2019). Round to two decimal places.", "fixed_asset_turnover", 2.5),
    ("What is the FY2023 asset turnover? Define asset turnover as revenue divided by total assets.", "asset_turnover",
     1000 / 1900),
    ("What is ACME's FY2017 DPO? DPO is defined as: 365 * (average accounts payable between FY2016 and FY2017) / "
     "(FY2017 COGS + change in inventory between FY2016 and FY2017).", "dpo", 365 * 61 / (600 + 130 - 110)),
    ("What is ACME's operating margin? Operating margin is defined as (operating income + D&A) / revenue.",
     "operating_margin", 20.0),  # a percent measure defined as a quotient is shown in percent
    ("ACMEの2017年度のROAは？ROAは「2017年度の純利益÷2016年度と2017年度の総資産の平均」と定義する。", "roa", 0.05),
    ("ACMEの2021年度の正味運転資本は？正味運転資本は流動資産合計から流動負債合計を引いたものと定義する。",
     "working_capital", 250.0),
    ("ACMEのDPOは？DPOは「365×(2017年度と2018年度の買掛金の平均)÷(2018年度の売上原価+2017年度から2018年度にかけての"
     "棚卸資産の増減)」と定義する。", "dpo", 365 * 61 / (600 + 130 - 110)),
])
def test_a_definition_in_the_question_is_read(question, key, expected):
    measure = defined_measure(question)
    assert measure is not None and measure.key == key
    values = {**V, "total_assets": 1900.0, "accounts_payable_avg": 61.0}
    assert measure.formula({role_key(i): values[role_key(i)] for i in measure.inputs}) == pytest.approx(expected)


@pytest.mark.parametrize("question", [
    "What is the FY2019 CCC? CCC is defined as: DIO + DSO - DPO.",  # names no line item: the catalogue's answers
    "What is the FY2019 ROA? ROA is defined as what management considers the most relevant return measure.",
    "What was ACME's revenue in FY2023?",
])
def test_no_definition_leaves_the_catalogue(question):
    assert defined_measure(question) is None


@pytest.mark.parametrize(("question", "quarter"), [
    ("What was ACME's revenue in Q2 FY2024?", 2),
    ("What was ACME's revenue in the second quarter of fiscal 2024?", 2),
    ("ACMEの2024年度第3四半期の売上高は？", 3),
    ("What was ACME's revenue growth in FY2024?", 0),
])
def test_a_quarter_is_asked_for(question, quarter):
    request = read_request(analyze_query(question), find_measure(question), [2024])
    assert request is not None and request.quarter == quarter and request.years[-1] == 2024
    assert request.mode == ("value" if quarter else "growth")  # a quarter's change is not computed


@pytest.mark.parametrize("question, plain, why", [
    ("Which of JPM's business segments had the lowest net revenue in 2021 Q1?", True, "a part of the company"),
    ("What Was AMCOR's Adjusted Non GAAP EBITDA for FY 2023", False, "an adjusted or non-GAAP measure"),
    ("アムコアの2023年度の調整後EBITDA(非GAAP)はいくらだったか。", False, "an adjusted or non-GAAP measure"),
    ("What was MGM's interest coverage ratio using FY2022 operating income?", True, "a ratio not in the catalogue"),
    ("What drove gross margin change as of FY2022 for JnJ?", False, "a judgement, not a figure"),
    ("Does Verizon have a reasonably healthy liquidity profile based on its quick ratio for FY 2022?", False,
     "a yes/no judgement no figure settles"),
    ("ベライゾンの2022年度の当座比率から見て、同社の流動性は十分に健全と言えるか。", False,
     "a yes/no judgement no figure settles"),
    # figure questions pass, "unadjusted" among them
    ("What is the FY2022 unadjusted EBITDA % margin for PepsiCo?", False, ""),
    ("What is the FY2019 fixed asset turnover ratio for Activision Blizzard?", False, ""),
    ("How much has the effective tax rate of Corning changed between FY2021 and FY2022?", False, ""),
    ("クラフト・ハインツの2019年度の棚卸資産回転率はいくらか。", False, ""),
    ("Does Corning have positive working capital based on FY2022 data?", False, ""),
])
def test_questions_the_facts_do_not_settle(question, plain, why):
    assert unsettled(question, plain) == why


@pytest.mark.parametrize("question, test, value, lang, shown", [
    ("Does Corning have positive working capital based on FY2022 data?", "sign", -5.0, "en", "No."),
    ("Has MGM Resorts paid dividends to common shareholders in FY2022?", "paid", 4.0, "en", "Yes."),
    ("Did Pfizer grow its PPNE between FY20 and FY21?", "direction", -1.0, "en", "No."),
    ("Has AMCOR's quick ratio improved or declined between FY2023 and FY2022?", "direction", 0.02, "en", "It rose."),
    ("アドビの営業利益率は2022年度時点で改善傾向にあるか。", "direction", -2.2, "ja", "いいえ。"),
])
def test_a_yes_no_question_leads_with_its_verdict(question, test, value, lang, shown):
    assert yes_no_test(question) == test
    assert verdict(test, question, value, lang) == shown


def test_a_figure_question_is_not_yes_no():
    assert yes_no_test("What is Amazon's FY2017 days payable outstanding (DPO)?") is None
    assert yes_no_test("コーニングの実効税率は2021年度から2022年度にかけてどれだけ変化したか。") is None
    q = analyze_query("Did Pfizer grow its PPNE between FY2020 and FY2021?")
    assert read_request(q, find_measure(q.text), [2021]).mode == "growth"
