"""Query analysis: companies, periods, document types, intents and keyword expansion (EN + JA)."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.ingestion import sections
from rag.query.analyze import QueryAnalysis, analyze_query
from rag.query.companies import build_alias_table, company_key, doc_name_prefix, find_companies, load_companies
from rag.query.periods import find_periods
from rag.query.vocabulary import INTENTS, find_doc_types, keyword_terms
from rag.store.keywords import match_expression

# --- companies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What was 3M's capex in FY2018?", ["3M"]),
        ("MMM operating margin", ["3M"]),
        ("Johnson & Johnson dividends", ["JOHNSON_JOHNSON"]),
        ("Johnson and Johnson dividends", ["JOHNSON_JOHNSON"]),
        ("How did J&J's sales grow?", ["JOHNSON_JOHNSON"]),
        ("JNJ guidance for 2023", ["JOHNSON_JOHNSON"]),
        ("JOHNSON_JOHNSON 2022 10-K", ["JOHNSON_JOHNSON"]),
        ("Amex card member loans", ["AMERICANEXPRESS"]),
        ("AmEx net income", ["AMERICANEXPRESS"]),
        ("AMERICANEXPRESS 10-K", ["AMERICANEXPRESS"]),
        ("Activision revenue in 2019", ["ACTIVISIONBLIZZARD"]),
        ("ACTIVISIONBLIZZARD bookings", ["ACTIVISIONBLIZZARD"]),
        ("PEPSICO net revenue", ["PEPSICO"]),
        ("Best Buy's gross margin", ["BESTBUY"]),
        ("Bestbuy gross margin", ["BESTBUY"]),
        ("American Water Works capital expenditures", ["AMERICANWATERWORKS"]),
        ("AmericanWaterWorks capital expenditures", ["AMERICANWATERWORKS"]),
        ("PG&E wildfire liabilities", ["PG_E"]),
        ("McDonald's franchise revenue", ["MCDONALDS"]),
        ("Coca Cola total assets", ["COCACOLA"]),
        ("Compare Riot and CleanSpark hashrate", ["RIOT", "CLEANSPARK"]),
        ("Compare CleanSpark and Riot hashrate", ["CLEANSPARK", "RIOT"]),
        ("MARA bitcoin holdings", ["MARA"]),
        ("Marathon Digital convertible notes", ["MARA"]),
        ("Core Scientific and CoreWeave", ["CORESCIENTIFIC", "COREWEAVE"]),
        ("Hut 8 and Cipher Mining", ["HUT8", "CIPHERMINING"]),
        ("IREN's Microsoft contract", ["IREN", "MICROSOFT"]),
        ("Iris Energy hashrate", ["IREN"]),
        ("Bitfarms and TeraWulf", ["BITFARMS", "TERAWULF"]),
        ("What is COST's gross margin?", ["COSTCO"]),
        ("$KO dividend", ["COCACOLA"]),
    ],
)
def test_companies_english(question, expected):
    assert analyze_query(question).companies == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Johnsen & Johnson dividends", ["JOHNSON_JOHNSON"]),
        ("What did Microsfot report?", ["MICROSOFT"]),
        ("Lockhead Martin backlog", ["LOCKHEEDMARTIN"]),
        ("net sales of Walmrt in 2020", ["WALMART"]),
    ],
)
def test_companies_fuzzy(question, expected):
    assert analyze_query(question).companies == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("アドビの2019年度の売上高は？", ["ADOBE"]),
        ("マイクロソフトの従業員数", ["MICROSOFT"]),
        ("ジョンソン・エンド・ジョンソンの配当", ["JOHNSON_JOHNSON"]),
        ("ジョンソンエンドジョンソンの配当", ["JOHNSON_JOHNSON"]),
        ("ジョンソン エンド ジョンソンの配当", ["JOHNSON_JOHNSON"]),
        ("ペプシコの営業キャッシュフロー", ["PEPSICO"]),
        ("アメリカン・エキスプレスの純利益", ["AMERICANEXPRESS"]),
        ("スリーエムの設備投資", ["3M"]),
        ("アマゾンの営業利益率", ["AMAZON"]),
        ("米マイクロソフト社の売上高", ["MICROSOFT"]),
        ("ライオットはビットコインを売却した", ["RIOT"]),
        ("ＪＰモルガンの純金利収入", ["JPMORGAN"]),
        ("ネットフリクスの会員数", ["NETFLIX"]),  # katakana misspelling, fuzzy
    ],
)
def test_companies_japanese(question, expected):
    assert analyze_query(question).companies == expected


@pytest.mark.parametrize(
    "question",
    [
        "What is the company's gross margin trend?",
        "What are the key risks for the block reward halving?",
        "There was a riot at the plant.",
        "Is IT spending up and is ON in the report?",
        "How many units were sold, ALL regions?",
        "Being a capital-intensive business, how much was spent?",
        "Is the coming year guidance strong?",
        "What was the amount of 3M tonnes shipped?",
        "Revenue was $3M in Q1",
        "ブロックチェーン技術のリスクは？",
        "データセンターのテナント契約の状況は？",
        "",
    ],
)
def test_no_company_when_unsure(question):
    assert analyze_query(question).companies == []


def test_known_companies_from_metadata_are_merged():
    metas = [
        {"doc_name": "ACMEWIDGETS_2023_10K", "company": "Acme Widgets Inc"},
        {"doc_name": "JOHNSON_JOHNSON_2022_10K", "company": "Johnson & Johnson"},
    ]
    table = build_alias_table(metas)
    assert set(table) == {"ACMEWIDGETS", "JOHNSON_JOHNSON"}
    assert analyze_query("What did Acme Widgets earn in 2023?", table).companies == ["ACMEWIDGETS"]
    assert analyze_query("AcmeWidgets revenue", table).companies == ["ACMEWIDGETS"]
    assert find_companies("J&J revenue", table) == ["JOHNSON_JOHNSON"]
    # Without the table the unknown company is not guessed.
    assert analyze_query("What did Acme Widgets earn in 2023?").companies == []


@pytest.mark.parametrize(
    ("meta", "key"),
    [
        ({"doc_name": "JOHNSON_JOHNSON_2022Q4_EARNINGS", "company": "Johnson & Johnson"}, "JOHNSON_JOHNSON"),
        ({"doc_name": "ACTIVSIONBLIZZARD_2023Q2_10Q", "company": "Activision Blizzard"}, "ACTIVISIONBLIZZARD"),
        ({"doc_name": "Pfizer_2023Q2_10Q", "company": "Pfizer"}, "PFIZER"),
        ({"doc_name": "MCDONALDS_8K_dated-2023-01-06", "company": "McDonalds"}, "MCDONALDS"),
        ({"doc_name": "PG_E_2022_10K", "company": "PG&E Corporation"}, "PG_E"),
        ({"doc_name": "riot_note_2025", "company": "Riot Platforms, Inc."}, "RIOT"),
        ({"doc_name": "000_0132e4f66638c8b7", "company": ""}, ""),
        ({"doc_name": "000_0132e4f66638c8b7", "company": "Northwind Traders Inc"}, "NORTHWINDTRADERS"),
        ({"doc_name": "NORTH_WIND_2024_10K", "company": "North Wind"}, "NORTH_WIND"),
    ],
)
def test_company_key(meta, key):
    assert company_key(meta) == key


def test_doc_name_prefix():
    assert doc_name_prefix("JOHNSON_JOHNSON_2022Q4_EARNINGS") == "JOHNSON_JOHNSON"
    assert doc_name_prefix("3M_2018_10K") == "3M"
    assert doc_name_prefix("FOOTLOCKER_2022_8K_dated_2022-08-19") == "FOOTLOCKER"
    assert doc_name_prefix("000_0132e4f66638c8b7") == ""


def test_curated_keys_are_unique():
    keys = [c.key for c in load_companies()]
    assert len(keys) == len(set(keys))


# --- periods -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "periods"),
    [
        ("revenue in FY2019", ["2019"]),
        ("revenue in fiscal 2019", ["2019"]),
        ("revenue in fiscal year 2019", ["2019"]),
        ("revenue in 2019.", ["2019"]),
        ("2019年度の売上高", ["2019"]),
        ("2019年の売上高", ["2019"]),
        ("２０１９年度の売上高", ["2019"]),
        ("Q2 2023 results", ["2023Q2"]),
        ("2023 Q2 results", ["2023Q2"]),
        ("2Q23 results", ["2023Q2"]),
        ("Q4 FY2022 results", ["2022Q4"]),
        ("the second quarter of 2023", ["2023Q2"]),
        ("the last quarter of 2022", ["2022Q4"]),
        ("2023年第2四半期の純利益", ["2023Q2"]),
        ("2023年度第２四半期の純利益", ["2023Q2"]),
        ("H1 2023 margin", ["2023H1"]),
        ("first half of 2023", ["2023H1"]),
        ("2023年上半期", ["2023H1"]),
        ("FY22 capex", ["2022"]),
        ("FY 22 capex", ["2022"]),
        ("between 2017 and 2019", ["2017", "2018", "2019"]),
        ("from FY2017 to FY2019", ["2017", "2018", "2019"]),
        ("2017-2019 trend", ["2017", "2018", "2019"]),
        ("2018年度から2020年度", ["2018", "2019", "2020"]),
        ("令和5年度の負債", ["2023"]),
        ("FY2021 versus FY2022", ["2021", "2022"]),
        ("revenue of $2019 million and 2,019 stores", []),
        ("margin grew 2019% ", []),
        ("no period here", []),
    ],
)
def test_periods(question, periods):
    assert find_periods(question)[0] == periods


def test_quarter_years_and_latest():
    a = analyze_query("What was Best Buy's gross margin in Q2 FY24?")
    assert a.periods == ["2024Q2"] and a.years == ["2024"] and not a.latest
    assert analyze_query("the most recent 10-K").latest
    assert analyze_query("latest quarterly report").latest
    assert analyze_query("最新の有価証券報告書").latest
    assert analyze_query("直近の四半期").latest
    last_q = analyze_query("the last quarter of 2022")
    assert last_q.periods == ["2022Q4"] and not last_q.latest


# --- document types ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "types"),
    [
        ("According to the 10-K", ["10k"]),
        ("in its 10K", ["10k"]),
        ("the annual report", ["10k"]),
        ("年次報告書によると", ["10k"]),
        ("有価証券報告書によると", ["10k"]),
        ("the 10-Q for Q2", ["10q"]),
        ("quarterly report", ["10q"]),
        ("四半期報告書", ["10q"]),
        ("the 8-K dated May 2023", ["8k"]),
        ("on the earnings call", ["earnings"]),
        ("the earnings press release", ["earnings"]),
        ("決算発表で", ["earnings"]),
        ("news article about Riot", ["news"]),
        ("a $10K grant", []),
    ],
)
def test_doc_types(question, types):
    assert find_doc_types(question)[0] == types


# --- intents -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("Show the income statement", "income_statement"),
        ("損益計算書を見せて", "income_statement"),
        ("貸借対照表の総資産", "balance_sheet"),
        ("キャッシュフロー計算書", "cash_flow"),
        ("キャッシュ・フロー計算書", "cash_flow"),
        ("セグメント別の売上", "segments"),
        ("リスク要因は何か", "risk_factors"),
        ("従業員は何人", "employees"),
        ("自社株買いの金額", "repurchases"),
        ("配当はいくら", "dividends"),
        ("流動性は十分か", "liquidity"),
        ("負債の総額", "debt"),
        ("設備投資はいくら", "cash_flow"),
        ("What is the revenue?", "income_statement"),
        ("net income", "income_statement"),
        ("diluted EPS", "income_statement"),
        ("operating margin", "income_statement"),
        ("gross margin", "income_statement"),
        ("COGS", "income_statement"),
        ("total assets", "balance_sheet"),
        ("inventory", "balance_sheet"),
        ("accounts payable", "balance_sheet"),
        ("PP&E", "balance_sheet"),
        ("working capital", "balance_sheet"),
        ("current ratio", "balance_sheet"),
        ("capex", "cash_flow"),
        ("operating cash flow", "cash_flow"),
        ("free cash flow", "cash_flow"),
        ("dividends paid", "cash_flow"),
        ("What does the MD&A say?", "mdna"),
        ("Why did margins fall?", "mdna"),
        ("buybacks", "repurchases"),
        ("headcount", "employees"),
        ("segment information", "segments"),
        ("risk factors", "risk_factors"),
        ("liquidity and capital resources", "liquidity"),
        ("2023 guidance", "guidance"),
        ("effective tax rate", "tax"),
        ("pending litigation", "legal"),
    ],
)
def test_intents(question, intent):
    assert intent in analyze_query(question).intents


def test_intents_come_from_the_shared_vocabulary():
    assert INTENTS is sections.INTENTS
    a = analyze_query("capex, buybacks, headcount, MD&A, 損益計算書, リスク要因 and the balance sheet")
    assert a.intents and set(a.intents) <= set(INTENTS)


# --- keywords and expansions ------------------------------------------------------------


def test_keywords_drop_company_period_and_stop_words():
    a = analyze_query("What was 3M's capex in FY2018?")
    assert a.companies == ["3M"] and a.periods == ["2018"]
    assert a.keywords == ["capex"]


def test_capex_expansions():
    a = analyze_query("What was 3M's capex in FY2018?")
    for term in ("capital expenditures", "purchases of property and equipment", "property, plant and equipment"):
        assert term in a.expansions


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("売上高", {"revenue", "net sales", "total revenues"}),
        ("revenue", {"net sales", "total revenues"}),
        ("net sales", {"revenue"}),
        ("buybacks", {"repurchases of common stock", "share repurchases"}),
        ("設備投資", {"capital expenditures", "purchases of property and equipment"}),
        ("純利益", {"net income"}),
        ("従業員数", {"employees"}),
        ("fixed asset turnover", {"property, plant and equipment"}),
    ],
)
def test_expansions(question, expected):
    assert expected <= set(analyze_query(question).expansions)


def test_japanese_question_gets_the_english_keyword_side():
    en = analyze_query("What was Adobe's revenue in FY2019?")
    ja = analyze_query("アドビの2019年度の売上高は？")
    assert ja.lang == "ja" and en.lang == "en"
    assert (ja.companies, ja.periods, ja.intents) == (en.companies, en.periods, en.intents)
    assert {"revenue", "net sales"} <= set(keyword_terms(ja)) & set(keyword_terms(en))
    assert "売上高" in ja.keywords
    assert all(t.isascii() for t in keyword_terms(ja))


def test_japanese_capex_matches_english_capex():
    en = analyze_query("How much did 3M spend on capex in 2018?")
    ja = analyze_query("スリーエムの2018年の設備投資額はいくら？")
    assert en.companies == ja.companies == ["3M"]
    assert "cash_flow" in en.intents and "cash_flow" in ja.intents
    assert {"capital expenditures", "purchases of property and equipment"} <= set(keyword_terms(ja))


def test_phrases_are_kept_whole():
    a = analyze_query("Did Nike's shareholders' equity grow?")
    terms = keyword_terms(a)
    assert "shareholders' equity" in terms and "shareholders" not in terms


def test_keyword_terms_make_a_valid_fts5_query():
    a = analyze_query('What were "net sales" and capex of 1,818 BTC miners in 2025?')
    assert "capital expenditures" in keyword_terms(a)
    q = match_expression(keyword_terms(a))
    assert q.startswith('"') and " OR " in q
    con = sqlite3.connect(":memory:")
    try:
        con.execute("CREATE VIRTUAL TABLE t USING fts5(body)")
        con.execute("INSERT INTO t VALUES ('Purchases of property and equipment were 1,818 million')")
        con.execute("INSERT INTO t VALUES ('The weather was fine')")
        rows = con.execute("SELECT rowid FROM t WHERE t MATCH ? ORDER BY bm25(t)", (q,)).fetchall()
    finally:
        con.close()
    assert rows == [(1,)]


def test_empty_question_gives_empty_fts_query():
    a = analyze_query("")
    assert a == QueryAnalysis(text="")
    assert match_expression(keyword_terms(a)) == "" and keyword_terms(a) == []


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=120))
def test_analyze_query_never_fails(text):
    a = analyze_query(text)
    assert set(a.intents) <= set(INTENTS)
    assert set(a.doc_types) <= {"10k", "10q", "8k", "earnings", "news", "note"}
    assert all(len(p) >= 4 for p in a.periods)
    match_expression(keyword_terms(a))


