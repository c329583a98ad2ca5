"""Metadata read from a document's content: SEC covers, inline XBRL, Japanese covers, releases, articles."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.ingestion.content_meta import (
    companies_by_prominence,
    read_content_metadata,
    read_text_metadata,
    release_period,
)
from rag.ingestion.fiscal import fiscal_year_label, parse_date, quarter_year_end
from rag.ingestion.loaders import load_document
from rag.ingestion.meta_value import (
    MetaValue,
    merge_metadata,
    plain_values,
    value_sources,
)
from rag.ingestion.metadata import parse_doc_name, read_sidecar
from rag.ingestion.xbrl import dei_facts, read_xbrl_metadata
from rag.query.analyze import analyze_query
from rag.query.companies import company_key

# ../shared/financebench beside the checkout (a worktree sits one level deeper than the main checkout).
FINANCEBENCH = next((p / "shared" / "financebench" for p in Path(__file__).resolve().parents
                     if (p / "shared" / "financebench").is_dir()), Path("../shared/financebench"))
IXBRL = Path(__file__).parent / "data" / "ixbrl"
MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December"]


def first_pages(name: str, n: int = 8) -> list[str]:
    """The first n pages of a FinanceBench PDF, skipping the test when the data set is absent."""
    path = FINANCEBENCH / "pdfs" / f"{name}.pdf"
    if not path.is_file():
        pytest.skip(f"{path} is absent (the FinanceBench PDFs live beside the checkout in ../shared/financebench)")
    from evals.bench_metadata import read_pages

    return read_pages(path, n)


# --- real cover pages ----------------------------------------------------------------------


@pytest.mark.parametrize("name, company, doc_type, period, ticker", [
    ("NIKE_2019_10K", "NIKE, Inc.", "10k", "2019", "NKE"),           # fiscal year ends 31 May
    ("BESTBUY_2023_10K", "BEST BUY CO., INC.", "10k", "2023", "BBY"),  # fiscal 2023 ends 28 January 2023
    ("JOHNSON_JOHNSON_2022_10K", "JOHNSON & JOHNSON", "10k", "2022", "JNJ"),  # fiscal 2022 ends 1 January 2023
    ("AMCOR_2023Q2_10Q", "AMCOR PLC", "10q", "2023Q2", "AMCR"),      # quarter ended 31 Dec 2022, year ends June
    ("Pfizer_2023Q2_10Q", "PFIZER INC.", "10q", "2023Q2", "PFE"),     # 52/53-week quarter ending 2 July
    ("JPMORGAN_2021Q1_10Q", "JPMorgan Chase & Co.", "10q", "2021Q1", "JPM"),  # two columns interleaved
    ("FOOTLOCKER_2022_8K_dated-2022-05-20", "Foot Locker, Inc.", "8k", "2022", "FL"),
])
def test_real_sec_covers(name, company, doc_type, period, ticker):
    meta = read_content_metadata(first_pages(name))
    assert meta["company"].value == company
    assert meta["company"].source.startswith("cover page p.")
    assert meta["doc_type"].value == doc_type
    assert meta["period"].value == period
    assert ticker in meta["tickers"].value
    assert company in meta["aliases"].value and ticker in meta["aliases"].value


def test_word_per_line_cover_and_former_name_resolve_to_the_company():
    meta = read_content_metadata(first_pages("BLOCK_2016_10K"))
    assert meta["company"].value == "SQUARE, INC."  # the registrant's name then; Block is its name today
    assert company_key({"company": meta["company"].value, "doc_name": "sq-20161231"}) == "BLOCK"


def test_small_capitals_split_by_the_pdf_are_joined_back():
    meta = read_content_metadata(first_pages("MGMRESORTS_2018_10K"))
    assert re.sub(r"\s+", " ", meta["company"].value).lower() == "mgm resorts international"


def test_cover_without_the_name_falls_back_to_the_statements_heading():
    meta = read_content_metadata(first_pages("COCACOLA_2017_10K"))  # the cover shows the name as a logo
    assert meta["company"].value.upper() == "THE COCA-COLA COMPANY"
    assert not meta["company"].source.startswith("cover page")


def test_8k_gets_its_report_date():
    meta = read_content_metadata(first_pages("AMCOR_2022_8K_dated-2022-07-01"))
    assert meta["date"].value == "2022-07-01"
    assert "8.01" in meta["sec_items"].value


@pytest.mark.parametrize("name, company, period, date_", [
    ("JOHNSON_JOHNSON_2022Q4_EARNINGS", "Johnson & Johnson", "2022Q4", "2023-01-24"),
    ("PEPSICO_2023Q1_EARNINGS", "PepsiCo, Inc.", "2023Q1", "2023-04-25"),
    ("MGMRESORTS_2022Q4_EARNINGS", "MGM Resorts International", "2022Q4", "2023-02-08"),
])
def test_real_earnings_releases(name, company, period, date_):
    meta = read_content_metadata(first_pages(name, 3))
    assert meta["doc_type"].value == "earnings"
    assert (meta["company"].value, meta["period"].value, meta["date"].value) == (company, period, date_)


# --- fiscal conventions -------------------------------------------------------------------------


@pytest.mark.parametrize("end, mentions, year", [
    (date(2019, 5, 31), {}, 2019),                      # Nike
    (date(2023, 1, 28), {2023: 9, 2022: 3}, 2023),      # Best Buy calls it fiscal 2023
    (date(2023, 1, 28), {2022: 9, 2023: 2}, 2022),      # Foot Locker calls the same year fiscal 2022
    (date(2020, 1, 31), {}, 2020),                      # no mentions: named after its end year
    (date(2023, 1, 1), {2023: 50}, 2022),               # 52/53-week year: the year before, whatever is said
    (date(2015, 12, 26), {}, 2015),
])
def test_fiscal_year_label(end, mentions, year):
    assert fiscal_year_label(end, mentions)[0] == year


def test_quarter_year_end():
    assert quarter_year_end(date(2022, 12, 31), 2) == date(2023, 6, 30)
    assert quarter_year_end(date(2023, 8, 31), 2) == date(2024, 2, 29)  # clamped to the month's length


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31)), st.integers(0, 3))
def test_parse_date_reads_every_written_form(d, form):
    month = MONTH_NAMES[d.month - 1]
    text = [f"{month} {d.day}, {d.year}", f"{d.day} {month} {d.year}", d.isoformat(),
            f"{d.year}年{d.month}月{d.day}日"][form]
    assert parse_date(f"for the period ended {text} (unaudited)") == d


def test_release_periods():
    assert release_period("Fourth Quarter Fiscal 2022 Results") == "2022Q4"
    assert release_period("2023 Second-Quarter reported sales") == "2023Q2"
    assert release_period("fiscal 2023 results and provides outlook for fiscal 2024") == "2023"
    assert release_period("results for the quarter and year ended December 31, 2022") == "2022Q4"


# --- inline XBRL -----------------------------------------------------------------------------------


def test_ixbrl_10k_tags_come_first_and_say_so():
    path = IXBRL / "zphr-20230630.htm"
    pages = [p.text for p in load_document(path).pages]
    meta = read_content_metadata(pages, html=path.read_text(encoding="utf-8"))
    assert plain_values(meta)["company"] == "ZEPHYR ROBOTICS, INC."
    assert (meta["doc_type"].value, meta["period"].value, meta["fiscal_period"].value) == ("10k", "2023", "FY")
    assert meta["company"].source == "xbrl:dei:EntityRegistrantName"
    assert meta["period"].source.startswith("xbrl:dei:DocumentFiscalYearFocus")
    assert meta["tickers"].value == ("ZPHR",)  # the notes' symbol ZPHR30 is not a ticker of the company
    # The cover text alone agrees, from its own fields.
    text_only = read_text_metadata(pages)
    assert (text_only["company"].value, text_only["period"].value) == ("ZEPHYR ROBOTICS, INC.", "2023")
    assert text_only["company"].source == "cover page p.1"


def test_ixbrl_hidden_facts_are_read_from_the_raw_html():
    html = (IXBRL / "zphr-20230630.htm").read_text(encoding="utf-8")
    facts = dei_facts(html)
    assert facts["DocumentFiscalYearFocus"] == ["2023"] and facts["CurrentFiscalYearEndDate"] == ["--06-30"]
    assert "0001999999" not in "\n".join(p.text for p in load_document(IXBRL / "zphr-20230630.htm").pages)


def test_ixbrl_10q_period_from_focus_tags_and_from_the_year_end():
    html = (IXBRL / "zphr-20231231.htm").read_text(encoding="utf-8")
    meta = read_xbrl_metadata(html)
    assert (meta["doc_type"].value, meta["period"].value) == ("10q", "2024Q2")
    # Without the focus tags the quarter comes from the period end and the fiscal year end (--06-30).
    bare = re.sub(r'<ix:nonNumeric[^>]*name="dei:DocumentFiscal(?:Year|Period)Focus".*?</ix:nonNumeric>', "", html)
    derived = read_xbrl_metadata(bare)
    assert derived["period"].value == "2024Q2"
    assert "CurrentFiscalYearEndDate" in derived["period"].source


# --- Japanese covers ---------------------------------------------------------------------------------

YUHO_COVER = """【表紙】
【提出書類】　有価証券報告書
【根拠条文】　金融商品取引法第24条第１項
【提出先】　関東財務局長
【提出日】　2023年６月23日
【事業年度】　第85期（自　2022年４月１日　至　2023年３月31日）
【会社名】　株式会社テスト精機
【英訳名】　TEST SEIKI CO., LTD.
【代表者の役職氏名】　代表取締役社長　山田　太郎
【本店の所在の場所】　東京都千代田区丸の内一丁目１番１号
"""


def test_japanese_securities_report_cover():
    meta = read_content_metadata([YUHO_COVER, "第一部　【企業情報】\n第１　【企業の概況】"])
    assert meta["company"].value == "株式会社テスト精機"
    assert meta["doc_type"].value == "10k" and meta["form"].value == "有価証券報告書"
    assert (meta["period"].value, meta["period_end"].value, meta["date"].value) == ("2023", "2023-03-31", "2023-06-23")
    assert {"テスト精機", "TEST SEIKI CO., LTD."} <= set(meta["aliases"].value)
    assert "【事業年度】" in meta["period"].source


def test_japanese_quarterly_report_and_tanshin():
    quarterly = YUHO_COVER.replace("有価証券報告書", "四半期報告書").replace(
        "【事業年度】　第85期（自　2022年４月１日　至　2023年３月31日）",
        "【四半期会計期間】　第86期第１四半期（自　2023年４月１日　至　2023年６月30日）")
    meta = read_content_metadata([quarterly])
    assert (meta["doc_type"].value, meta["period"].value) == ("10q", "2024Q1")
    tanshin = "2024年３月期　第１四半期決算短信〔日本基準〕（連結）\n2023年８月４日\n" \
              "上場会社名　株式会社テスト精機　上場取引所　東\nコード番号　9999　URL https://example.co.jp\n"
    meta = read_content_metadata([tanshin])
    assert (meta["doc_type"].value, meta["period"].value, meta["company"].value) == \
        ("earnings", "2024Q1", "株式会社テスト精機")
    assert meta["tickers"].value == ("9999",) and meta["date"].value == "2023-08-04"


# --- precedence -------------------------------------------------------------------------------------------


def test_precedence_user_then_xbrl_then_content_then_file_name():
    merged = merge_metadata(
        user={"company": "Zephyr (as the user wrote it)"},
        xbrl={"company": MetaValue("ZEPHYR ROBOTICS, INC.", "xbrl:dei:EntityRegistrantName"),
              "period": MetaValue("2024Q2", "xbrl:dei:DocumentFiscalYearFocus"),
              "aliases": MetaValue(("ZPHR",), "xbrl:dei")},
        content={"period": MetaValue("2023Q4", "cover page p.1"), "doc_type": MetaValue("10q", "cover page p.1"),
                 "aliases": MetaValue(("ZEPHYR ROBOTICS, INC.", "zphr"), "cover page p.1")},
        filename=parse_doc_name("ZEPHYR_2020_10K"),
    )
    assert merged["company"] == MetaValue("Zephyr (as the user wrote it)", "user")
    assert merged["period"].value == "2024Q2" and merged["period"].source.startswith("xbrl")
    assert merged["doc_type"].source == "cover page p.1"
    assert "date" not in merged  # empty values of a layer are not values
    assert merged["aliases"].value == ("ZPHR", "ZEPHYR ROBOTICS, INC.")  # union, case-insensitive
    assert value_sources(merged)["company"] == "user"


def test_file_name_fills_only_what_the_content_leaves_empty():
    merged = merge_metadata(content={"company": MetaValue("NIKE, Inc.", "cover page p.1")},
                            filename=parse_doc_name("NIKE_2019_10K"))
    assert merged["company"].source == "cover page p.1"
    assert (merged["period"], merged["doc_type"]) == (MetaValue("2019", "file name"), MetaValue("10k", "file name"))


def test_sidecar_beats_the_xbrl_tags(tmp_path):
    path = tmp_path / "0001999999-23-000042.htm"
    path.write_bytes((IXBRL / "zphr-20230630.htm").read_bytes())
    (tmp_path / "0001999999-23-000042.meta.json").write_text('{"company": "Zephyr"}', encoding="utf-8")
    doc = load_document(path)
    meta = merge_metadata(user=read_sidecar(path),
                          xbrl=read_xbrl_metadata(path.read_text(encoding="utf-8")),
                          content=read_text_metadata([p.text for p in doc.pages]),
                          filename={k: v for k, v in parse_doc_name(path.stem).items() if v})
    assert meta["company"] == MetaValue("Zephyr", "user")
    assert meta["period"].source.startswith("xbrl:") and meta["tickers"].source == "xbrl:dei:TradingSymbol"


# --- aliases and routing ---------------------------------------------------------------------------------


def test_content_aliases_route_questions_without_file_name_help():
    path = IXBRL / "zphr-20230630.htm"
    meta = read_content_metadata([p.text for p in load_document(path).pages], html=path.read_text(encoding="utf-8"))
    key = company_key({"company": meta["company"].value, "doc_name": "0001999999-23-000042"})
    known = {key: list(meta["aliases"].value)}
    assert analyze_query("What was ZPHR's revenue in fiscal 2023?", known_companies=known).companies == [key]
    assert analyze_query("How fast did Zephyr Robotics grow?", known_companies=known).companies == [key]


def test_a_registrant_name_routes_japanese_questions_through_the_curated_table():
    cover = ("UNITED STATES\nSECURITIES AND EXCHANGE COMMISSION\nWashington, D.C. 20549\nFORM 10-K\n"
             "ANNUAL REPORT PURSUANT TO SECTION 13 OR 15(D) OF THE SECURITIES EXCHANGE ACT OF 1934\n"
             "FOR THE FISCAL YEAR ENDED MAY 31, 2019\nCommission File No. 1-10635\nNIKE, Inc.\n"
             "(Exact name of Registrant as specified in its charter)\n")
    meta = read_content_metadata([cover])
    key = company_key({"company": meta["company"].value, "doc_name": "nke-20190531"})
    assert key == "NIKE" and meta["period"].value == "2019"
    assert analyze_query("ナイキの2019年度の売上高は？").companies == [key]


# --- news and notes ----------------------------------------------------------------------------------------


def test_article_companies_by_prominence_not_first_mention():
    article = ("Shoe sales slow as consumers pull back\n\n"
               "Walmart said last week that shoppers were cautious. Nike, meanwhile, cut its outlook.\n\n"
               "Nike expects revenue to fall in the first half of fiscal 2025.\n\n"
               "Nike shares dropped 7% in after-hours trading (Reuters).\n\n"
               "Analysts said Nike's wholesale push had not paid off.\n")
    meta = read_content_metadata([article])
    assert meta["companies"].value[0] == "NIKE"
    assert meta["company"].value == "Nike"
    assert meta["publisher"].value == "Reuters" and meta["doc_type"].value == "news"
    assert meta["title"].value == "Shoe sales slow as consumers pull back"


def test_two_companies_an_article_is_about_both_count():
    text = ("Riot and MARA both sold bitcoin in the quarter.\n\nRiot sold 1,818 BTC.\n\nMARA sold none.\n\n"
            "Riot and MARA are pivoting to AI data centres.\n\nIn passing, CleanSpark kept its coins.\n")
    keys = companies_by_prominence(text)
    assert keys[:2] in (["RIOT", "MARA"], ["MARA", "RIOT"])
    assert "CLEANSPARK" not in keys  # one passing mention against four


def test_nothing_to_read_gives_nothing():
    assert read_content_metadata([]) == {}
    assert read_content_metadata(["", "   "]) == {}
    assert "company" not in read_content_metadata(["Meeting notes: agenda for Tuesday.\n\nBring laptops."])


# --- other forms ---------------------------------------------------------------------------------------------

SEC_HEAD = "UNITED STATES\nSECURITIES AND EXCHANGE COMMISSION\nWashington, D.C. 20549\n"


def test_20f_and_s1_covers():
    twenty_f = (SEC_HEAD + "FORM 20-F\n☒ ANNUAL REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIES EXCHANGE ACT "
                "OF 1934\nFor the fiscal year ended March 31, 2023\nCommission file number 001-12345\n"
                "Kabushiki Kaisha Example\n(Exact name of Registrant as specified in its charter)\nExample Corporation\n"
                "(Translation of Registrant's name into English)\n")
    meta = read_content_metadata([twenty_f])
    assert (meta["form"].value, meta["doc_type"].value, meta["period"].value) == ("20-F", "20f", "2023")
    assert meta["company"].value == "Kabushiki Kaisha Example"
    s1 = (SEC_HEAD + "FORM S-1\nREGISTRATION STATEMENT\nUNDER\nTHE SECURITIES ACT OF 1933\n"
          "Nimbus Data Systems, Inc.\n(Exact name of registrant as specified in its charter)\nDelaware 7372 88-1234567\n")
    meta = read_content_metadata([s1])
    assert (meta["doc_type"].value, meta["company"].value) == ("s1", "Nimbus Data Systems, Inc.")
    assert "period" not in meta  # a registration statement covers no fiscal period


def test_amended_10k_is_a_10k():
    cover = (SEC_HEAD + "FORM 10-K/A\n(Amendment No. 1)\nFor the fiscal year ended December 31, 2021\n"
             "Commission File Number 1-0000\nAcme Corp\n(Exact name of registrant as specified in its charter)\n")
    meta = read_content_metadata([cover])
    assert (meta["form"].value, meta["doc_type"].value, meta["period"].value) == ("10-K/A", "10k", "2021")


def test_earnings_exhibit_without_a_cover_is_an_earnings_release():
    exhibit = ("Exhibit 99.1\nACME CORP REPORTS SECOND QUARTER FISCAL 2024 RESULTS\n"
               "Revenue up 12%\nSPRINGFIELD, Ill., August 20, 2024 – Acme Corp (NYSE: ACME) today reported results "
               "for the second quarter of fiscal 2024, which ended July 27, 2024.\n")
    meta = read_content_metadata([exhibit])
    assert (meta["doc_type"].value, meta["company"].value, meta["period"].value) == ("earnings", "Acme Corp", "2024Q2")
    assert meta["tickers"].value == ("ACME",) and meta["date"].value == "2024-08-20"


def test_glossy_annual_report():
    glossy = "Nike, Inc.\n2022 Annual Report\nDear shareholders,\nNike had a record year.\n\nNike grew in China.\n"
    meta = read_content_metadata([glossy])
    assert (meta["doc_type"].value, meta["period"].value, meta["companies"].value[0]) == ("annualreport", "2022", "NIKE")
