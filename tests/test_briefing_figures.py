"""Key figures of a briefing: a filing's rows from its statement tables (real PDF, real fact store), periods of
sentence figures, headline rows first, and quotes left out of one half rather than replaced by a placeholder."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from evals.bench_briefing import is_japanese_sentence
from rag.briefing.briefing import Briefing
from rag.briefing.facts import Fact, context_period
from rag.briefing.gather import Sentence
from rag.briefing.gist import quote_line
from rag.briefing.quotes import _from_figures
from rag.briefing.statements import statement_rows
from rag.figures.facts import facts_from_page
from rag.figures.labels import Mention, key_figure_rows, label_figures
from rag.schema import Hit
from rag.store.facts import FactStore
from tests.conftest import FINANCEBENCH

BOEING = FINANCEBENCH / "pdfs" / "BOEING_2022_10K.pdf"


class _Chunks:
    """The keyword index's chunk lookup, over the pages the test read (the test is about picking facts)."""

    def __init__(self, pages: dict[str, str]) -> None:
        self.pages = pages

    def get_chunks(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return {i: {"doc_name": "BOEING_2022_10K", "page": int(i[1:]), "text": self.pages[i], "metadata": {}}
                for i in ids if i in self.pages}


@pytest.fixture(scope="module")
def boeing_rows(tmp_path_factory):
    if not BOEING.exists():
        pytest.skip(f"the FinanceBench PDFs are not at {FINANCEBENCH} (../shared/financebench beside the checkout)")
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(BOEING))
    meta = {"doc_name": "BOEING_2022_10K", "company": "Boeing", "period": "2022"}
    facts, texts = [], {}
    for page_no in (23, 41, 54, 56, 58, 61):  # the statements, and pages that repeat or look like them
        page = pdf[page_no]
        text = page.get_textpage().get_text_range()
        texts[f"p{page_no}"] = text
        for f in facts_from_page(page, meta, page_no, text=text):
            f.chunk = f"p{page_no}"
            facts.append(f)
    store = FactStore(tmp_path_factory.mktemp("facts") / "catalog.sqlite")
    store.replace("BOEING_2022_10K", "BOEING", facts)
    stores = SimpleNamespace(facts=store, keywords=_Chunks(texts))
    try:
        rows, hits, with_tables = statement_rows(stores, [{"doc_name": "BOEING_2022_10K", "period": "2022"}])
    finally:
        store.close()
    return {r.metric_key: r for r in rows}, hits, with_tables


def test_filing_rows_show_the_latest_year_beside_the_prior_with_the_change(boeing_rows):
    rows, hits, with_tables = boeing_rows
    revenue = rows["revenue"]
    assert (revenue.value, revenue.period, revenue.prior, revenue.prior_period) == (66_608e6, "2022", 62_286e6, "2021")
    assert (revenue.label_en, revenue.label_ja) == ("Revenue", "売上高")
    assert (revenue.value_ja, revenue.period_ja, revenue.change_en) == ("666億800万ドル", "2022年度", "+6.9%")
    assert revenue.source.chunk_id in hits and "66,608" in revenue.source.quote
    assert with_tables == {"BOEING_2022_10K"}


def test_filing_rows_read_losses_outflows_and_balances_right(boeing_rows):
    rows, _, _ = boeing_rows
    assert rows["net_income"].value == -5_053e6 and rows["net_income"].change_en == "-$763 million"
    assert rows["eps_diluted"].value_en == "-$8.30" and rows["eps_diluted"].unit == "USD/share"
    assert rows["capex"].value == 1_222e6  # printed "(1,222)": an outflow's size
    # The consolidated balance sheet, not the smaller table on p. 41 that also has a "Total assets" row.
    assert (rows["total_assets"].value, rows["total_assets"].period) == (137_100e6, "2022-12-31")
    assert rows["cash"].period_ja == "2022年12月31日" and rows["cash"].prior == 8_052e6


def test_a_month_range_is_its_calendar_quarter_not_the_fiscal_one():
    text = ("For October–December 2025 (its fiscal first quarter of 2026) revenue was $181.2 million and cash was "
            "$458 million.")
    assert [(m, p) for _, m, p, *_ in label_figures(text)] == [("revenue", "2025Q4"), ("cash", "2025Q4")]
    assert label_figures("At the end of September it held 13,011 BTC.", year="2025")[0][2] == "2025-09"


def _sentence(text: str, chunk: str, period: str = "") -> Sentence:
    return Sentence(text, Hit("c1", "d", 0, chunk, 0.0, {"period": period}), "en", {})


def test_a_sentence_without_a_period_takes_its_heading_or_the_document_it_points_at():
    heading = _sentence("The net loss was $146.7 million.", "## Third quarter 2025\nThe net loss was $146.7 million.")
    assert context_period(heading, {"period": "2025"}) == "2025Q3"
    aside = _sentence("Liquidity: more than $1.9 billion.", "## Headline figures (reported 2 March 2026)\n"
                      "Liquidity: more than $1.9 billion.")
    assert context_period(aside, {"period": "2025"}) == ""
    deictic = _sentence("The quarter included a $15.3 million impairment.", "The quarter included a $15.3 million "
                        "impairment.")
    assert context_period(deictic, {"period": "2025Q3"}) == "2025Q3"
    assert context_period(deictic, {"period": "2025"}) == ""


def _mentions(text: str, doc: str, year: str = "2025") -> list[Mention]:
    hit = Hit(f"{doc}-c", doc, 0, text, 0.0, {})
    return [Mention(doc, "note", text, f, m, p, c, hit, d) for f, m, p, c, d in label_figures(text, year=year)]


def test_the_latest_full_year_revenue_is_not_crowded_out_of_a_full_table():
    busy = _mentions("In the third quarter revenue was $180.2 million and net income $104.5 million.", "q3") + \
        _mentions("In the third quarter revenue was $180.2 million.", "q3b") + \
        _mentions("It sold 1,818 BTC for $161.6 million in December and held 18,005 BTC.", "dec") + \
        _mentions("Gross profit: about $302 million. Liquidity: more than $1.9 billion.", "fy")
    rows = key_figure_rows(busy + _mentions("Revenue for 2025: $647.4 million.", "fy"), limit=4)
    revenue = [(r.value, r.period) for r in rows if r.metric_key == "revenue"]
    assert revenue[0] == (647.4e6, "2025")  # in the table, and before the quarter's better-attested figure


def test_a_quote_without_a_counterpart_gets_a_japanese_sentence_from_its_figures():
    s = _sentence("Riot could be hurt: net income was $104.5 million in the third quarter of 2025.", "", "2025Q3")
    ja = _from_figures(s, "risks", "ja", "Riot Platforms")
    assert ja.startswith("リスクとして") and "1億450万ドル" in ja and "2025年第3四半期" in ja
    assert _from_figures(_sentence("Tenants may never sign.", ""), "risks", "ja") == ""


def test_a_quote_only_in_english_is_left_out_of_the_japanese_half_and_shown_as_the_original():
    quote = "Without tenants the buildings could sit idle."
    cite = {"n": 1, "doc_name": "d", "page": 0, "chunk_id": "c1", "quote": quote}
    b = Briefing(company="Riot", period="", docs=["d"], mode="extractive",
                 facts=[Fact("risks", quote, "", [], [cite], origin="original")], key_figures=[], highlights=[],
                 figure_check={}, notes=[], generated_at="",
                 sources=[{"n": 1, "doc_name": "d", "page": 0, "pages": [0], "quotes": [quote]}])
    ja, en = b.to_markdown("ja"), b.to_markdown("en")
    risks_ja = ja.split("## リスク")[1].split("##")[0]
    assert "- " not in risks_ja and "原文を参照" in risks_ja
    assert f"原文: “{quote}”" in ja.split("## 出典")[1]
    assert quote in en.split("## Risks")[1].split("##")[0]


def test_an_english_only_quote_gets_a_japanese_line_naming_what_it_is_about():
    risk = "Our Commercial Airplanes and Global Services businesses depend heavily on commercial airlines."
    ja = quote_line(risk, "risks", "ja", "en", ("BOEING",))
    assert ja.startswith("リスク:") and "ボーイング" in ja  # the filer speaking ("Our") is the briefed company
    assert "Commercial Airplanes" in ja and "Global Services" in ja and "航空会社" in ja  # names as written
    assert is_japanese_sentence(ja)
    # Years it states, in Japanese; a fiscal year as 年度; "FY19" (whose fiscal year?) is not read as 2019.
    assert "(2019年)" in quote_line("We do not expect pension contributions in 2019.", "watch", "ja", "en", ("BOEING",))
    assert "2023年度" in quote_line("Demand grew in fiscal 2023.", "drivers", "ja", "en")
    assert "2019" not in quote_line("Congress must agree to FY19 appropriations.", "drivers", "ja", "en")
    # Not about the briefed company unless the quote names it or speaks as the filer.
    assert "ボーイング" not in quote_line("Airlines face weaker demand.", "risks", "ja", "en", ("BOEING",))
    # "increase" is no rate, and "sell products" no disposal: neither 増加率 nor 売却 is named.
    sell = quote_line("Concentration may increase and impair our ability to sell products.", "risks", "ja", "en")
    assert "増加率" not in sell and "売却" not in sell and "集中" in sell
    assert quote_line("The risks included here are not exhaustive.", "risks", "ja", "en") == ""
    assert quote_line("需要が減少した。", "risks", "en", "ja") == ""  # the English side is not built this way


def test_a_pointer_to_the_english_original_is_not_a_japanese_sentence():
    assert not is_japanese_sentence("この項目の記述は英語の資料のみにあります。出典[1]の原文を参照してください。")
    assert not is_japanese_sentence("「Revenue grew 5% in fiscal 2023.」 [1]")
    assert not is_japanese_sentence("Revenue grew 5% (売上高) [1]")
    assert is_japanese_sentence("2018年10月9日、KLX Inc.の株式を取得した。 [1]")


def test_a_quote_rendered_in_japanese_by_rule_keeps_the_english_as_the_original():
    quote = "Without tenants the Corsicana buildings could sit idle."
    line = quote_line(quote, "risks", "ja", "en")
    cite = {"n": 1, "doc_name": "d", "page": 0, "chunk_id": "c1", "quote": quote}
    b = Briefing(company="Riot", period="", docs=["d"], mode="extractive",
                 facts=[Fact("risks", quote, line, [], [cite], origin="structured")], key_figures=[], highlights=[],
                 figure_check={}, notes=[], generated_at="",
                 sources=[{"n": 1, "doc_name": "d", "page": 0, "pages": [0], "quotes": [quote]}])
    ja = b.to_markdown("ja")
    risks_ja = ja.split("## リスク")[1].split("##")[0]
    # the place in katakana, as the glossary writes it for a Japanese reader
    assert line and f"- {line} [1]" in risks_ja and "コルシカナ" in line and "テナント" in line
    assert quote not in risks_ja and f"原文: “{quote}”" in ja.split("## 出典")[1]


def test_an_older_filing_five_year_table_does_not_hide_the_latest_balance_sheet(tmp_path):
    """Two 10-Ks: the 2018 one's selected-data table gives total assets for FY2018, the 2022 one's balance sheet for
    31 Dec 2022; the row is the latest, dated as a balance."""
    older = FINANCEBENCH / "pdfs" / "BOEING_2018_10K.pdf"
    if not (BOEING.exists() and older.exists()):
        pytest.skip(f"the FinanceBench PDFs are not at {FINANCEBENCH} (../shared/financebench beside the checkout)")
    import pypdfium2 as pdfium

    store = FactStore(tmp_path / "catalog.sqlite")
    texts: dict[str, str] = {}
    docs = []
    for path, name, year, pages in ((older, "BOEING_2018_10K", "2018", (18, 51)), (BOEING, "BOEING_2022_10K", "2022", (56,))):
        pdf = pdfium.PdfDocument(str(path))
        facts = []
        for page_no in pages:
            page = pdf[page_no]
            text = page.get_textpage().get_text_range()
            texts[f"p{page_no}"] = text
            for f in facts_from_page(page, {"doc_name": name, "company": "Boeing", "period": year}, page_no, text=text):
                f.chunk = f"p{page_no}"
                facts.append(f)
        store.replace(name, "BOEING", facts)
        docs.append({"doc_name": name, "period": year, "doc_type": "10k"})
    try:
        rows, _, _ = statement_rows(SimpleNamespace(facts=store, keywords=_Chunks(texts)), docs)
    finally:
        store.close()
    assets = next(r for r in rows if r.metric_key == "total_assets")
    assert (assets.value, assets.period, assets.period_en) == (137_100e6, "2022-12-31", "31 Dec 2022")
    assert assets.docs == ["BOEING_2022_10K"]


def _fact(doc: str, item: str, period: str, value: float, months: int = 12, end: str = "") -> Any:
    from rag.figures.facts import Fact as TableFact

    return TableFact(doc_name=doc, page=1, statement="balance_sheet" if months == 0 else "selected_data", label=item,
                     line_item=item, period=period, value=value, unit="USD", scale=1e6, printed=f"{value / 1e6:,.0f}",
                     period_end=end, months=months, chunk=f"{doc}-c")


def test_a_key_figure_the_latest_filing_lacks_is_left_out_and_a_balance_is_dated(tmp_path):
    store = FactStore(tmp_path / "catalog.sqlite")
    store.replace("old", "X", [_fact("old", "total_assets", "FY2018", 5e9), _fact("old", "total_assets", "FY2017", 4e9),
                               _fact("old", "revenue", "FY2018", 2e9, end="2018-12-31")])
    store.replace("new", "X", [_fact("new", "revenue", "FY2022", 3e9), _fact("new", "revenue", "FY2021", 2.5e9)])
    chunks = _Chunks({"old-c": "Total assets 5,000", "new-c": "Revenue 3,000"})
    chunks.get_chunks = lambda ids: {i: {"doc_name": i.split("-")[0], "page": 1, "text": chunks.pages[i],  # type: ignore[method-assign]
                                         "metadata": {}} for i in ids if i in chunks.pages}
    docs = [{"doc_name": "old", "period": "2018", "doc_type": "10k"}, {"doc_name": "new", "period": "2022", "doc_type": "10k"}]
    try:
        rows = {r.metric_key: r for r in statement_rows(SimpleNamespace(facts=store, keywords=chunks), docs)[0]}
        assert rows["revenue"].period == "2022"
        assert "total_assets" not in rows  # the 2022 filing has none: FY2018's would pass for the current one
        alone = {r.metric_key: r for r in statement_rows(SimpleNamespace(facts=store, keywords=chunks), docs[:1])[0]}
        assert alone["total_assets"].period_en == "31 Dec 2018"  # a balance, at the date the year ends
    finally:
        store.close()
