"""Briefings: document selection, the key-figures table in both languages, disagreements, citations, rendering.

The index is real (Chroma and the multilingual encoder over corpus/, built once for the module); the chat model is
tests.fakes.FakeChat, because the LLM tests are about our logic (citations kept or dropped, figures checked).
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from rag.briefing.briefing import Briefing, write_briefing
from rag.briefing.facts import Fact
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
from rag.store.stores import open_stores
from tests.fakes import FakeChat

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
    assert "\\$161.6 million" in en and "1,818 BTC" in en
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
    assert "\\$600.53 million" in riot.to_markdown("en").split("## Where sources disagree")[1]
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


def test_document_text_is_escaped_in_markdown():
    evil = "<script>alert(1)</script> *bold* [link](http://x.test) $5 and $6 | cell"
    brief = Briefing(
        company="Acme <b>", period="", docs=["d"], mode="extractive", facts=[
            Fact("risks", evil, evil, citations=[{"n": 1, "doc_name": "d", "page": 0, "chunk_id": "c", "quote": evil}])],
        key_figures=[KeyFigureRow(metric_key="revenue", label_en="Revenue", label_ja="売上高", value=5.0, unit="USD",
                                  period="", value_en="$5 | x", value_ja="5ドル", period_en="—", period_ja="—", docs=[],
                                  source=FigureSource("d_x", 0, "c", "", n=1), check="supported")],
        highlights=[], figure_check={}, notes=[], generated_at="now",
        sources=[{"n": 1, "doc_name": "d", "page": 0, "chunk_id": "c", "title": "<i>t</i>"}])
    md = brief.to_markdown("en")
    assert "<script>" not in md and "<b>" not in md and "<i>" not in md and "&lt;script&gt;" in md
    assert "](http" not in md and "\\$5" in md and "\\*bold\\*" in md and "\\| cell" in md and "\\$5 \\| x" in md


# ---------------------------------------------------------------------------------------------- with a model


def test_model_facts_are_cited_checked_and_merged(corpus):
    chat = FakeChat([
        {"facts": [  # the seed article (its passages are numbered 1..n in the prompt)
            {"section": "changed", "text_en": "Riot sold 1,818 BTC for $161.6 million in December 2025 [1].",
             "text_ja": "ライオットは2025年12月に1,818BTCを1億6,160万ドルで売却した。", "citations": [1]},
            {"section": "figures", "text_en": "Riot also raised $999.9 million from a rights issue.",
             "text_ja": "ライオットはさらに9億9,990万ドルを調達した。", "citations": [1]},
            {"section": "risks", "text_en": "Capacity may sit idle without tenant contracts.",
             "text_ja": "テナント契約がなければ設備が遊休化しうる。", "citations": [42]},
            {"section": "drivers", "text_en": "Mining companies are eyeing AI data centres.",
             "text_ja": "マイニング企業はAIデータセンターに目を向けている。", "citations": [1, 9]},
            {"section": "nonsense", "text_en": "Unknown section.", "text_ja": "", "citations": [1]},
        ]},
        None,  # the ATM note: a malformed function call
    ])
    brief = write_briefing(corpus, "Riot", docs=[SEED, ATM], chat=chat)
    assert [kind for kind, _ in chat.calls] == ["structured", "structured"]
    assert "<passage n=\"1\"" in chat.calls[0][1][1]["content"] and SEED in chat.calls[0][1][1]["content"]
    assert brief.mode == "openai" and brief.model == "fake-model" and brief.tokens["calls"] == 2
    model = {f.section: f for f in brief.facts if f.origin == "model"}
    assert set(model) == {"changed", "figures", "drivers"}  # the uncited risk and the unknown section are gone
    sold = model["changed"]
    assert sold.text_en == "Riot sold 1,818 BTC for $161.6 million in December 2025."  # local [1] removed
    assert sold.check["unsupported"] == [] and "$161.6 million" in sold.check["supported"]
    assert sold.check["ja_mismatch"] == [] and {c["doc_name"] for c in sold.citations} == {SEED}
    assert [f["metric_key"] for f in sold.figures] == ["bitcoin_sold", "proceeds"]
    invented = model["figures"]
    assert invented.check["unsupported"] == ["$999.9 million", "9億9,990万ドル"]
    assert len(model["drivers"].citations) == 1
    check = brief.figure_check
    assert not check["ok"] and {u["raw"] for u in check["unsupported"]} == {"$999.9 million", "9億9,990万ドル"}
    assert {(d["doc_name"], d["n"]) for d in check["dropped_citations"]} == {(SEED, 42), (SEED, 9)}
    assert check["dropped_facts"] == 2 and check["malformed_replies"] == [ATM]
    en, ja = brief.to_markdown("en"), brief.to_markdown("ja")
    assert "not found in the cited passages" in en and "出典で確認できない数値" in ja
    assert "1億6,160万ドル" in ja and any(f.section == "disagree" for f in brief.facts)
    assert "英語の資料のみ" not in ja.split("## 主要な数値")[0]


def test_citation_markers_stay_plain_in_markdown_while_links_stay_escaped():
    from rag.briefing.render import _md

    assert _md("sold 1,818 BTC [1][2]") == "sold 1,818 BTC [1][2]"
    assert "\\[" in _md("[ref]: http://tracker") and "](" not in _md("[a](http://x)") and "](" not in _md("[1](u)")
