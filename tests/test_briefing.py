"""Briefings: document selection, the key-figures table in both languages, disagreements, citations, rendering.

The index is real (Chroma and the multilingual encoder over corpus/, built once for the module); the chat model is
a scripted OpenAI-compatible server (tests.fakes) reached through the real client, because the LLM tests are about
our logic (bullets kept or rejected, figures checked, the fallback).
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.answers.llm import get_chat_model
from rag.answers.prompts import NARRATIVE_SECTIONS
from rag.briefing.briefing import Briefing, write_briefing
from rag.briefing.disagree import disagreement_facts
from rag.briefing.facts import Fact, SourceList, verify_fact
from rag.briefing.gather import sentences_of
from rag.briefing.select import select_documents
from rag.config import get_settings
from rag.errors import DocumentNotFoundError
from rag.figures.labels import (
    FigureSource,
    KeyFigureRow,
    Mention,
    consensus_period,
    find_disagreements,
    label_figures,
)
from rag.figures.parse import parse_figures
from rag.schema import Hit
from rag.store.stores import open_stores
from tests.fakes import ScriptedOpenAIServer, chat_completion, error_body
from tests.llm_server import llm_server  # noqa: F401  (the session fixture, for the llm-marked test)

SEED = "000_0132e4f66638c8b7"
ATM = "riot_atm_equity_programme"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, use_embedder, corpus_data):
    """corpus/ in a real Chroma and keyword index: a copy of the session's ingest (tests/conftest.py)."""
    settings = get_settings(_env_file=None, data_dir=tmp_path_factory.mktemp("brief") / "data")
    shutil.copytree(corpus_data, settings.data_dir)
    stores = open_stores(settings, use_embedder)
    assert len(stores.keywords.list_documents()) > 10
    yield stores
    stores.close()


@pytest.fixture(scope="module")
def riot(corpus) -> Briefing:
    progress = []
    brief = write_briefing(corpus, "Riot", on_progress=lambda done, total, name: progress.append((done, total)))
    assert progress[-1][0] == progress[-1][1] == len(brief.docs)
    return brief


def _row(brief: Briefing, metric: str, value: float) -> KeyFigureRow:
    return next(r for r in brief.key_figures if r.metric_key == metric and abs(r.value - value) < 1e-6 * value)


# ---------------------------------------------------------------------------------------------- pure pieces


def test_figures_get_metrics_from_the_words_around_them():
    got = label_figures("In December 2025 Riot sold 1,818 BTC for $161.6 million, an average of $88,870 per bitcoin.")
    assert [(f.raw, metric, period) for f, metric, period, *_ in got] == [
        ("1,818 BTC", "bitcoin_sold", "2025-12"), ("$161.6 million", "proceeds", "2025-12")]  # the rate is left out
    got = label_figures("同社が2025年12月に1,818BTCを1億6,160万ドルで売却した。")
    assert [(f.value, metric) for f, metric, *_ in got] == [(1818, "bitcoin_sold"), (161_600_000, "proceeds")]
    got = label_figures("In the third quarter it earned $104.5 million of net income on $180.2 million of revenue.",
                        default_period="2025")
    assert [(metric, period) for _, metric, period, *_ in got] == [("net_income", "2025Q3"), ("revenue", "2025Q3")]
    (_, metric, _, claim, _), = label_figures("Some coverage presented the $600.53 million as new equity financing.")
    assert (metric, claim) == ("equity_financing", True)
    assert label_figures("Some coverage of Riot's December 2025 bitcoin sale was wrong.") == []  # a date, not 2,025 BTC


def test_wrapped_lines_are_rejoined_and_fragments_dropped():
    text = "of roughly $88,870 per bitcoin.\nOver the whole life of that programme the company sold\n" \
           "$600,533,914.83 of common stock.\n- Capacity: 25 MW of critical IT load.\n## Heading without a stop"
    assert sentences_of(text) == [
        "Over the whole life of that programme the company sold $600,533,914.83 of common stock.",
        "Capacity: 25 MW of critical IT load."]


def test_consensus_period_prefers_the_most_specific_agreeing_period():
    assert consensus_period(["2025", "2025Q3", "2024"]) == "2025Q3"
    assert consensus_period(["2025-12", "2025Q4", "2024", "2026Q1"]) == "2025-12"
    assert consensus_period([]) == ""


def _mentions(doc: str, sentence: str, doc_type: str = "note") -> list[Mention]:
    return [Mention(doc, doc_type, sentence, f, m, p, c, None, d) for f, m, p, c, d in label_figures(sentence)]


def test_same_value_framed_as_different_metrics_by_two_documents_is_a_disagreement():
    a = _mentions("blog", "The miner completed equity financing of $123.45 million after the sale.", "news")
    b = _mentions("filing", "Over its life the at-the-market programme sold $123,450,000 of stock.")
    (d,) = find_disagreements(a + b)
    assert d["value_en"] == "$123.45 million" and d["value_ja"] == "1億2,345万ドル"
    assert {f["metric_key"]: f["docs"] for f in d["framings"]} == {"atm_offering": ["filing"],
                                                                  "equity_financing": ["blog"]}
    assert {m.doc_name for m in d["mentions"]} == {"blog", "filing"}
    # The same framing twice, a round number, or a document only reporting someone else's claim: no disagreement.
    assert not find_disagreements(a + _mentions("other", "It closed equity financing of $123.45 million in May 2025."))
    assert not find_disagreements(
        _mentions("x", "It raised equity financing of $500 million.") + _mentions("y", "Its ATM programme sold $500 million."))
    assert not find_disagreements(
        a + _mentions("z", "Some coverage presented the $123.45 million as proceeds of its ATM programme."))


def test_a_disagreement_between_two_10ks_states_only_the_figure_it_is_about():
    """"The company's 10-K" opening the sentence stays "10-K": "10-k" would be read as a figure the passages lack."""
    said = {"a": "Cash and cash equivalents were $1.482 billion.", "b": "Proceeds from the sale were $1.482 billion."}
    hits = {d: Hit(f"{d}-c", d, 0, text, 1.0, {}) for d, text in said.items()}
    mentions = [Mention(d, "10k", text, f, m, p, c, hits[d], dist)
                for d, text in said.items() for f, m, p, c, dist in label_figures(text)]
    sources = SourceList({d: {"doc_name": d, "doc_type": "10k"} for d in said})
    (fact,) = disagreement_facts(mentions, sources.docs, sources)
    verify_fact(fact, sources)
    assert fact.text_en.startswith("The company's 10-K [") and "$1.482 billion" in fact.text_en
    assert fact.check["unsupported"] == [] and fact.check["supported"]


# ---------------------------------------------------------------------------------------------- selection


def test_company_names_match_loosely_and_periods_include_their_year(corpus):
    riot = {d["doc_name"] for d in select_documents(corpus, "Riot")}
    assert SEED in riot and ATM in riot and "ja_seed_article" in riot and "core_scientific_coreweave" not in riot
    assert {d["doc_name"] for d in select_documents(corpus, "riot platforms")} == riot
    assert {d["doc_name"] for d in select_documents(corpus, "ライオット")} == riot
    q4 = {d["doc_name"]: d["period"] for d in select_documents(corpus, "Riot", period="2025Q4")}
    assert set(q4.values()) == {"2025Q4", "2025"}  # the full-year results contain the quarter
    assert [d["doc_name"] for d in select_documents(corpus, "Riot", docs=[ATM, SEED])] == [SEED, ATM]


def test_nothing_to_brief_says_what_is_indexed(corpus):
    with pytest.raises(DocumentNotFoundError, match=r"No indexed document is about 'Tesla'.*Riot Platforms"):
        write_briefing(corpus, "Tesla")
    with pytest.raises(DocumentNotFoundError, match=r"covers period '2019'.*2025Q4.*Leave the period out"):
        write_briefing(corpus, "Riot", period="2019")
    with pytest.raises(DocumentNotFoundError, match=r"No document named 'riot_atm'.*did you mean riot_atm_equity"):
        write_briefing(corpus, "Riot", docs=["riot_atm"])
    with pytest.raises(ValueError, match="Unknown language fr"):
        write_briefing(corpus, "Riot", languages=("en", "fr"))


# ---------------------------------------------------------------------------------------------- extractive briefing


def test_key_figures_have_the_same_values_in_english_and_japanese(riot):
    sold, proceeds = _row(riot, "bitcoin_sold", 1818), _row(riot, "proceeds", 161_600_000)
    assert (sold.value_en, sold.label_en, sold.label_ja) == ("1,818 BTC", "Bitcoin sold", "ビットコイン売却")
    assert (proceeds.value_en, proceeds.value_ja, proceeds.label_ja) == (
        "$161.6 million", "1億6,160万ドル", "手取金")
    assert (sold.period_en, sold.period_ja) == ("Dec 2025", "2025年12月")
    for row in riot.key_figures:
        (en,), (ja,) = parse_figures(row.value_en), parse_figures(row.value_ja)
        assert en.value == ja.value == pytest.approx(row.value, rel=1e-3) and en.unit == ja.unit
        assert row.check == "supported" and row.label_ja != row.label_en
    en, ja = riot.to_markdown("en"), riot.to_markdown("ja")
    assert "$161.6 million" in en and "1,818 BTC" in en and "\\" not in riot.to_markdown_bilingual()
    assert "\\$161.6 million" in riot.to_markdown("en", app=True)  # Streamlit would read $…$ as maths
    assert "1億6,160万ドル" in ja and "| 項目 | 数値 | 期間 | 出典 | 検証 |" in ja
    assert [f.figures for f in riot.facts if f.section == "figures"] == [
        [{"metric_key": r.metric_key, "value": r.value, "unit": r.unit, "period": r.period}]
        for r in riot.key_figures]


def test_every_fact_cites_an_indexed_document_once(riot, corpus):
    cited = [c for f in riot.facts for c in f.citations]
    assert all(f.citations for f in riot.facts)
    chunks = corpus.keywords.get_chunks(sorted({c["chunk_id"] for c in cited}))

    def squash(text: str) -> str:
        return re.sub(r"[\s*]+", "", text)

    for c in cited:
        chunk = chunks[c["chunk_id"]]
        assert (chunk["doc_name"], chunk["page"]) == (c["doc_name"], c["page"]) and c["doc_name"] in riot.docs
        assert squash(c["quote"]) in squash(chunk["text"])
        assert riot.sources[c["n"] - 1]["doc_name"] == c["doc_name"]
    assert len({s["doc_name"] for s in riot.sources}) == len(riot.sources)  # one number per document
    assert riot.figure_check["ok"] and riot.figure_check["checked"] >= len(riot.key_figures)


def test_what_changed_leads_with_dated_events_in_both_languages(riot):
    changed = riot.section("changed")
    en = [f.text_en for f in changed]
    assert any("1,818 BTC" in t and t.startswith("Dec 2025") for t in en)
    assert any("AMD" in f.text_en and "lease" in f.text_en and "3億1,100万ドル" in f.text_ja for f in changed)
    assert all(re.search(r"[\u3040-\u30ff]", f.text_ja) for f in changed)  # a Japanese sentence, not a quote
    md = riot.to_markdown("en")
    assert md.index("## What changed") < md.index("## Key figures")
    assert not any("equity financing exceeding" in t for t in en)  # the seed's misreading is not an event
    risks = riot.section("risks")
    assert any("tenant" in f.text_en for f in risks) and any("テナント" in f.text_ja for f in risks)
    for title in ("## What changed", "## Key figures", "## Drivers", "## Risks", "## Where sources disagree",
                  "## What to watch", "## Sources"):
        assert title in md


def test_a_document_about_several_companies_gives_only_this_company_s_figures(corpus):
    brief = write_briefing(corpus, "CleanSpark")
    assert "peers_cleanspark_mara_2025" in brief.docs
    values = {(r.metric_key, r.value) for r in brief.key_figures}
    assert ("bitcoin_holdings", 13_011) in values and ("bitcoin_sold", 445) in values
    assert not any(v in (52_850, 53_822, 2_144) for _, v in values)  # MARA's, in the same note


def test_the_600_53_million_is_flagged_where_sources_disagree(riot):
    (fact,) = [f for f in riot.facts if f.section == "disagree" and abs(f.figures[0]["value"] - 600_530_000) < 1e4]
    docs = {c["doc_name"] for c in fact.citations}
    assert {SEED, ATM} <= docs
    assert "$600.53 million" in fact.text_en and "new equity raised" in fact.text_en
    assert "at-the-market programme" in fact.text_en and "primary source" in fact.text_en
    assert "6億53万ドル" in fact.text_ja and "累計売却額" in fact.text_ja and "一次資料" in fact.text_ja
    atm = next(c for c in fact.citations if c["doc_name"] == ATM)
    assert "programme" in atm["quote"] and "600" in atm["quote"]
    assert "$600.53 million" in riot.to_markdown("en").split("## Where sources disagree")[1]
    amd = [f for f in riot.section("disagree") if "$91 million" in f.text_en]
    assert amd and "$311 million" in amd[0].text_en and "9,100万ドル" in amd[0].text_ja
    assert not any(r.metric_key == "equity_financing" and abs(r.value - 600_530_000) < 1e4 for r in riot.key_figures)


def test_extractive_briefing_says_the_narrative_needs_a_model(riot):
    assert riot.mode == "extractive" and riot.model == ""
    en, ja = riot.to_markdown("en"), riot.to_markdown("ja")
    assert "no chat model is configured" in en and "OPENAI_API_KEY" in en
    assert "チャットモデルが設定されていません" in ja
    assert "# Briefing: Riot Platforms (all periods)" in en  # no stray escapes
    both = riot.to_markdown_bilingual()
    assert both.index("# Briefing") < both.index("# ブリーフィング")
    assert json.loads(json.dumps(riot.to_dict(), ensure_ascii=False))["key_figures"][0]["label_ja"]


def test_markdown_and_docx_files_are_written(riot, tmp_path):
    from docx import Document

    md = tmp_path / "riot.md"
    md.write_text(riot.to_markdown_bilingual(), encoding="utf-8")
    assert "1億6,160万ドル" in md.read_text(encoding="utf-8")
    path = riot.to_docx(tmp_path / "out" / "riot.docx")
    doc = Document(str(path))
    assert len(doc.tables) == 2  # the key-figures table, once per language
    assert [c.text for c in doc.tables[1].rows[0].cells] == ["項目", "数値", "期間", "出典", "検証"]
    values = {row.cells[1].text for t in doc.tables for row in t.rows}
    assert {"$161.6 million", "1億6,160万ドル", "1,818 BTC"} <= values
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "Where sources disagree" in body and "資料間で食い違う点" in body


def test_docx_halves_have_matching_styles_and_a_japanese_font(riot, tmp_path):
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document(str(riot.to_docx(tmp_path / "riot.docx")))
    paragraphs = doc.paragraphs
    starts = [i for i, p in enumerate(paragraphs) if p.style.name == "Heading 1"]
    assert [paragraphs[i].text.split(":")[0] for i in starts] == ["Briefing", "ブリーフィング"]
    en, ja = paragraphs[starts[0]:starts[1] - 1], paragraphs[starts[1]:]  # the page break's paragraph between

    def headings(half):
        return [(p.style.name, i) for i, p in enumerate(half) if p.style.name.startswith("Heading")]

    assert [s for s, _ in headings(en)] == [s for s, _ in headings(ja)] == ["Heading 1"] + ["Heading 2"] * 7
    assert {p.style.name for p in en} == {p.style.name for p in ja} == {"Heading 1", "Heading 2", "Normal",
                                                                        "List Bullet"}
    assert [p.text for p in en if p.style.name == "Heading 2"][:2] == ["What changed", "Key figures"]
    assert [p.text for p in ja if p.style.name == "Heading 2"][:2] == ["変化したこと", "主要な数値"]
    assert {t.style.name for t in doc.tables} == {"Table Grid"}
    assert all(run.bold for t in doc.tables for c in t.rows[0].cells for run in c.paragraphs[0].runs)
    for name in ("Normal", "Heading 1", "Heading 2", "List Bullet", "Table Grid"):
        fonts = doc.styles[name].element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == "Yu Gothic" and fonts.get(qn("w:eastAsiaTheme")) is None, name
    assert any("1億6,160万ドル" in p.text for p in ja if p.style.name == "List Bullet")


EVIL = ("<script>alert(1)</script> *bold* _it_ ~~gone~~ `code` [link](http://x.test) ![img](http://x.test/i.png) "
        "&amp; [1](http://x.test) $5 and $6 | cell")


def _html(md: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md)


def _text(html: str) -> str:
    import html as html_lib

    assert "<" not in re.sub(r"</?(?:p|li|ul|ol|td|th|tr|h\d)>", "", html), html  # no markup but the frame's
    return html_lib.unescape(re.sub(r"<[^>]+>", "", html)).strip()


def _evil_brief() -> Briefing:
    return Briefing(
        company="Acme <b>", period="", docs=["d"], mode="extractive", facts=[
            Fact("risks", EVIL, EVIL, citations=[{"n": 1, "doc_name": "d", "page": 0, "chunk_id": "c", "quote": EVIL}])],
        key_figures=[KeyFigureRow(metric_key="revenue", label_en="Revenue", label_ja="売上高", value=5.0, unit="USD",
                                  period="", value_en="$5 | x", value_ja="5ドル", period_en="—", period_ja="—", docs=[],
                                  source=FigureSource("d_x", 0, "c", "", n=1), check="supported")],
        highlights=[], figure_check={}, notes=[], generated_at="now",
        sources=[{"n": 1, "doc_name": "d", "page": 0, "chunk_id": "c", "title": "<i>t</i>"}])


def test_document_text_renders_as_written_and_never_as_markup():
    md = _evil_brief().to_markdown("en")
    html = _html(md)
    h1 = re.search(r"<h1>(.*?)</h1>", html).group(1)
    assert _text(h1) == "Briefing: Acme <b> (all periods)"
    risk = re.search(r"<h2>Risks</h2>\s*<ul>\s*<li>(.*?)</li>", html, re.S).group(1)
    assert _text(risk) == f"“{EVIL}”"  # every character as the document wrote it, nothing turned into markup
    cells = re.findall(r"<td>(.*?)</td>", html)
    assert cells[:2] == ["Revenue", "$5 | x"]
    assert _text(re.search(r"<ol>\s*<li>(.*?)</li>", html, re.S).group(1)).startswith("<i>t</i> — d")
    assert "\\$" not in md and "\\(" not in md  # no escapes a Markdown reader would not need
    app = _evil_brief().to_markdown("en", app=True)
    assert "\\$5 and \\$6" in app and _text(re.search(r"<h2>Risks</h2>\s*<ul>\s*<li>(.*?)</li>", _html(app),
                                                             re.S).group(1)) == f"“{EVIL}”"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab 1.)#>-+=*_~`[]()!<>/&;$|\\:x9é売")), max_size=40))
def test_any_text_escaped_shows_as_written(text):
    from rag.briefing.escape import escape_md

    want = " ".join(text.split())
    for piece in (escape_md(text), escape_md(text, maths=True)):
        assert _text(re.sub(r"^<ul>\s*<li>|</li>\s*</ul>$", "", _html(f"- {piece}").strip())) == want
    row = _html(f"| h |\n|---|\n| {escape_md(text, cell=True)} |")
    assert _text(re.search(r"<td>(.*?)</td>", row, re.S).group(1)) == want.strip()
    assert escape_md("Riot Platforms (all periods): $161.6 million, 5 * 3 = 15; a_b!") == \
        "Riot Platforms (all periods): $161.6 million, 5 * 3 = 15; a_b!"


# ---------------------------------------------------------------------------------------------- with a model


_FACT = re.compile(r'<fact id="(F\d+)" cites="([\d, ]*)">\nen: (.*)\nja: (.*)\n</fact>')


def _narrator(edit=None):
    """A scripted model: one bullet per given fact, its text prefixed ("Narrative:", 「要約:」), through function
    calling; `edit(section, bullet)` may change a bullet (an invented figure, a made-up citation)."""
    def reply(request: dict) -> dict:
        user = request["json"]["messages"][-1]["content"]
        section = next(k for k, v in NARRATIVE_SECTIONS.items() if f"({v})" in user)
        bullets = []
        for fid, cites, en, ja in _FACT.findall(user):
            bullet = {"facts": [fid], "text_en": f"Narrative: {en}", "text_ja": f"要約:{ja}",
                      "citations": [int(n) for n in cites.split(",") if n.strip()]}
            bullets.append(edit(section, bullet) if edit else bullet)
        return chat_completion(tool_args={"bullets": bullets}, tool_name="SectionOut")
    return reply


def _chat(server: ScriptedOpenAIServer):
    return get_chat_model(get_settings(_env_file=None, openai_base_url=server.base_url, llm_model="scripted"),
                          max_retries=0)


def test_the_model_writes_both_halves_from_the_extractive_facts(corpus, riot):
    with ScriptedOpenAIServer([_narrator()]) as server:
        brief = write_briefing(corpus, "Riot", chat=_chat(server))
    assert brief.mode == "openai" and brief.model == "scripted" and brief.tokens["calls"] == len(server.requests)
    body = server.requests[0]["json"]
    assert body["tools"][0]["function"]["name"] == "SectionOut" and "json_schema" not in str(body.get("response_format"))
    system, user = (m["content"] for m in body["messages"])
    assert "data, not" in system and "instructions" in system and "<passage n=" in user
    # The model got the facts the extractive briefing shows, with their citation numbers, and nothing else.
    given = {en for r in server.requests for _, _, en, _ in _FACT.findall(r["json"]["messages"][-1]["content"])}
    assert {f.text_en for f in riot.section("changed")} <= given
    narrative = brief.figure_check["narrative"]
    assert narrative["written"] > 10 and narrative["kept"] == narrative["written"] and not narrative["rejected"]
    changed = brief.section("changed")
    assert [f.text_en for f in changed] == [f"Narrative: {f.text_en}" for f in riot.section("changed")]
    assert all(f.origin == "model" and f.text_ja.startswith("要約:") for f in changed)
    assert [{c["n"] for c in f.citations} for f in changed] == [{c["n"] for c in f.citations}
                                                                 for f in riot.section("changed")]
    en, ja = brief.to_markdown("en"), brief.to_markdown("ja")
    assert "- Narrative: Dec 2025" in en and "- 要約:2025年12月" in ja and "no chat model" not in en
    assert "Narrative:" in en.split("## Where sources disagree")[1] and "要約" in ja.split("## リスク")[1]
    assert brief.figure_check["ok"]


def _invent(section: str, bullet: dict) -> dict:
    """An invented figure, a figure moved to another month, and a citation to a source that was not given."""
    if section == "changed" and "1,818 BTC" in bullet["text_en"]:
        bullet["text_en"] += " It also raised $999.9 million from a rights issue."
        bullet["text_ja"] += "さらに株主割当増資で9億9,990万ドルを調達した。"
    elif section == "changed" and "$311" in bullet["text_en"]:
        bullet["text_en"] = "In March 2025 Riot signed an AMD lease worth about $311.0 million."
        bullet["text_ja"] = "2025年3月、AMDとのリース契約(約3億1,100万ドル)を締結した。"
    elif section == "risks":
        bullet["citations"] = [*bullet["citations"], 42]
    elif section == "drivers":  # a derived figure: computed from two of the text's own figures, and marked so
        bullet["text_en"] = "Riot sold 1,818 BTC for $161.6 million, about $88,889 per bitcoin."
        bullet["text_ja"] = "1,818 BTCを1億6,160万ドルで売却した(1 BTCあたり約88,889ドル)。"
    return bullet


def test_the_checker_rejects_invented_figures_moved_periods_and_unknown_sources(corpus, riot):
    with ScriptedOpenAIServer([_narrator(_invent)]) as server:
        brief = write_briefing(corpus, "Riot", chat=_chat(server))
    rejected = brief.figure_check["narrative"]["rejected"]
    reasons = {r["section"]: " ".join(x for r2 in rejected if r2["section"] == r["section"] for x in r2["reasons"])
               for r in rejected}
    assert "$999.9 million" in reasons["changed"] and "9億9,990万ドル" in reasons["changed"]
    assert "period '2025-03'" in reasons["changed"] and "[42]" in reasons["risks"]
    en, ja = brief.to_markdown("en"), brief.to_markdown("ja")
    assert "999.9" not in en and "9億9,990万ドル" not in ja and "March 2025 Riot signed" not in en
    # Each rejected bullet gives way to the extractive rendering of its fact: nothing of the briefing is lost.
    changed = [f.text_en for f in brief.section("changed")]
    assert len(changed) == len(riot.section("changed"))
    assert next(f.text_en for f in riot.section("changed") if "1,818 BTC" in f.text_en) in changed
    assert all(f.origin != "model" for f in brief.section("risks"))
    assert f"{len(rejected)} of the model's" in en and "除外" in ja
    derived = next(f for f in brief.section("drivers") if "$88,889" in f.text_en)
    assert derived.origin == "model" and derived.check["computed"] == ["$88,889", "88,889ドル"]
    assert all(c["n"] <= len(brief.sources) for f in brief.facts for c in f.citations)


def test_a_failing_model_server_leaves_the_extractive_briefing_with_a_notice(corpus, riot):
    with ScriptedOpenAIServer([(500, error_body("model crashed"))]) as server:
        brief = write_briefing(corpus, "Riot", chat=_chat(server))
    assert server.requests and brief.mode == "extractive" and brief.model == ""
    assert [f.text_en for f in brief.facts] == [f.text_en for f in riot.facts]
    assert "HTTP 500" in brief.figure_check["narrative"]["error"]
    en, ja = brief.to_markdown("en"), brief.to_markdown("ja")
    assert "chat model could not be used, so this briefing is extractive" in en and "model crashed" in en
    assert "チャットモデルを利用できなかった" in ja


def test_citation_markers_stay_plain_in_markdown_while_links_stay_escaped():
    from rag.briefing.escape import escape_md

    assert escape_md("sold 1,818 BTC [1][2]") == "sold 1,818 BTC [1][2]"
    assert "<a" not in _html(escape_md("[ref]: http://tracker")) and "<a" not in _html(escape_md("[a](http://x)"))
    assert "<a" not in _html(f"- {escape_md('[1](u)')}") and "<a" not in _html(escape_md("[1]: u\n\n[1]"))


# ---------------------------------------------------------------------------------------------- the real model


@pytest.mark.llm
@pytest.mark.timeout(900)
def test_the_real_model_writes_the_narrative_and_the_checker_keeps_only_what_stands(stores, settings, tmp_path,
                                                                                    llm_server):  # noqa: F811
    """SmolLM2 is tiny and has no Japanese: this shows the path runs end to end over HTTP, and that whatever the
    model invents is rejected while the extractive text stands in its place."""
    from rag.figures.verify import check_figures
    from tests.helpers import ingest_notes
    from tests.llm_server import MODEL_ALIAS

    ingest_notes(stores, tmp_path / "docs", {
        "riot_december": "In December 2025 Riot Platforms sold 1,818 BTC for $161.6 million. On 16 January 2026 Riot "
                         "signed a data-centre lease with AMD worth about $311.0 million over the initial term.",
        "riot_risks": "New data centres may sit idle without tenant contracts, a risk for investors."},
        company="Riot Platforms", period="2025Q4")
    chat = get_chat_model(settings.model_copy(update={"openai_base_url": llm_server, "llm_model": MODEL_ALIAS,
                                                      "llm_timeout": 300.0}), max_retries=1)
    brief = write_briefing(stores, "Riot", chat=chat)
    narrative = brief.figure_check["narrative"]
    assert brief.tokens["calls"] >= 1 and not narrative["error"], narrative["error"]
    assert narrative["written"] == narrative["kept"] + len(narrative["rejected"])
    assert all(r["reasons"] for r in narrative["rejected"])
    for fact in brief.facts:  # what the model wrote and was kept stands on its sources, in both languages
        passages = {c["n"]: brief.sources[c["n"] - 1]["text"] for c in fact.citations}
        if fact.origin == "model":
            assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", fact.text_ja)
            for text in (fact.text_en, fact.text_ja):
                assert check_figures(text, passages, cited=list(passages)).ok, text
    assert brief.section("changed") and brief.to_markdown("en") and brief.to_markdown("ja")


def test_filing_boilerplate_is_no_driver_risk_or_watch_and_glued_headings_go():
    from rag.briefing.boilerplate import is_boilerplate, specificity, strip_heading

    preamble = ("Risk Factors An investment in our common stock or debt securities involves risks and uncertainties "
                "and our actual results and future trends may differ materially from our past performance.")
    assert strip_heading(preamble).startswith("An investment in our common stock")
    assert strip_heading("Risks Related to Our Business and Operations We depend heavily on commercial airlines."
                         ) == "We depend heavily on commercial airlines."
    assert strip_heading("Table of Contents Financial Risks, Debt and Liquidity Our debt could increase further "
                         "in the future.") == "Our debt could increase further in the future."
    assert strip_heading("Congress and the President must agree to appropriations by the deadline.").startswith("Congress")
    for text in (preamble, "The use of program accounting requires estimating the revenue expected to be earned.",
                 "We have recognized the aggregate of all overfunded plans in Other assets.",
                 "In our opinion, the financial statements present fairly, in all material respects, the position.",
                 "The following discussion of \"Risk Factors\" identifies factors that may affect our business.",
                 "Participant hereby agrees to accept as binding all decisions of the Administrator under the Plan."):
        assert is_boilerplate(text), text
    specific = "Current year losses were due to supply chain issues on the T-7A Red Hawk program during 2022."
    assert not is_boilerplate(specific)
    assert is_boilerplate("Plans are valued at fair value.", "pension") and not is_boilerplate(specific, "mdna,pension")
    assert specificity(specific) > specificity("Our results depend on demand for our products.")


def test_a_sentence_two_filings_repeat_is_one_bullet_citing_both():
    import numpy as np

    from rag.briefing.facts import SourceList
    from rag.briefing.gather import Sentence
    from rag.briefing.quotes import bilingual_quotes
    from rag.schema import Hit

    risk = "We depend heavily on commercial airlines for the 737 program, which could hurt our 2023 deliveries."
    hits = [Hit(f"{d}-1", d, 3, risk, 1.0, {"section": "risk_factors"}) for d in ("k2018", "k2022")]
    sentences = [Sentence(risk, h, "en", {"risks": 1}) for h in hits]
    sentences[1].text = risk.replace("could hurt", "might hurt")
    sources = SourceList({d: {"doc_name": d} for d in ("k2018", "k2022")})
    facts = [f for f in bilingual_quotes(sentences, sources, lambda t: np.ones((len(t), 4))) if f.section == "risks"]
    assert len(facts) == 1 and {c["doc_name"] for c in facts[0].citations} == {"k2018", "k2022"}
