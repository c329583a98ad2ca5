"""The steps of HybridRetriever.search one by one (pure), then the one retriever per Stores (real stores)."""

from __future__ import annotations

import dataclasses

import pytest

from rag.errors import QuestionError
from rag.ingestion.sections import STATEMENTS
from rag.query.analyze import MAX_QUESTION_CHARS, check_question
from rag.query.periods import period_matches
from rag.retrieval import hybrid
from rag.retrieval.filters import route
from rag.retrieval.fusion import (
    PRIMARY_STATEMENTS,
    Boosts,
    Wanted,
    best_first,
    boost,
    diversify,
    latest_period,
    make_hits,
    rescore,
    section_ranking,
)
from rag.retrieval.hybrid import HybridRetriever, retriever_for
from tests.helpers import ingest_notes

DOCS = [
    {"doc_name": "RIOT_2025_10K", "company_key": "RIOT", "period": "2025"},
    {"doc_name": "peers_note", "company_key": "CLEANSPARK,MARA", "period": "2025Q4"},
    {"doc_name": "industry_news", "company_key": "", "period": "2024"},
]


def _row(doc: str, page: int, section: str = "", period: str = "", doc_type: str = "") -> dict:
    return {"doc_name": doc, "page": page, "text": f"{doc} p{page}",
            "metadata": {"section": section, "period": period, "doc_type": doc_type}}


ROWS = {
    "a": _row("RIOT_2025_10K", 3, "income_statement", "2025", "10k"),
    "b": _row("RIOT_2025_10K", 3, "mdna,income_statement", "2025", "10k"),
    "c": _row("peers_note", 0, "risk_factors", "2025Q4", "note"),
    "d": _row("industry_news", 1, "", "2024", "news"),
}


def test_question_check_strips_and_names_the_limit():
    assert check_question("  How much?  ") == "How much?"
    with pytest.raises(QuestionError, match="empty"):
        check_question(" \n ")
    with pytest.raises(QuestionError, match=f"keep it under {MAX_QUESTION_CHARS}"):
        check_question("x" * (MAX_QUESTION_CHARS + 1))


def test_route_keeps_the_documents_of_the_named_companies():
    assert route(DOCS, ["RIOT"]) == ["RIOT_2025_10K"]
    assert route(DOCS, ["MARA", "RIOT"]) == ["RIOT_2025_10K", "peers_note"]  # one of several listed companies
    assert route(DOCS, []) is None
    assert route(DOCS, ["TESLA"]) is None  # nothing indexed for it: search everywhere allowed


def test_period_matches_a_year_with_its_quarters_and_a_quarter_only_itself():
    assert period_matches("2025Q3", ["2025"]) and period_matches("2025q3", ["2025Q3"])
    assert not period_matches("2025", ["2025Q3"]) and not period_matches("2024Q4", ["2025"])
    assert not period_matches("", ["2025"])


def test_section_ranking_keeps_order_and_needs_a_row_and_a_label():
    assert section_ranking(["d", "b", "x", "a", "c"], ROWS, ["income_statement"]) == ["b", "a"]
    assert section_ranking(["a", "c"], ROWS, []) == []


def test_latest_period_is_the_last_of_the_chunks_documents():
    periods = {d["doc_name"]: d["period"] for d in DOCS}
    assert latest_period(ROWS, periods) == ["2025Q4"]
    assert latest_period({"d": ROWS["d"]}, periods) == ["2024"]
    assert latest_period(ROWS, {}) == []


def test_primary_statements_are_three_of_the_section_labels():
    assert PRIMARY_STATEMENTS == {"income_statement", "balance_sheet", "cash_flow"}
    assert PRIMARY_STATEMENTS < set(STATEMENTS)


def test_boost_adds_one_share_per_match():
    b = Boosts(period=0.6, doc_type=0.2, section=0.5, statement=0.5)
    meta = ROWS["a"]["metadata"]
    assert boost(meta, ["income_statement"], Wanted(), b) == 1.0
    assert boost(meta, ["income_statement"], Wanted(periods=("2025",)), b) == pytest.approx(1.6)
    assert boost(meta, ["income_statement"], Wanted(doc_types=("10k",)), b) == pytest.approx(1.2)
    # The statement page itself gains the statement boost on top of the section boost ...
    assert boost(meta, ["income_statement"], Wanted(intents=("income_statement",)), b) == pytest.approx(2.0)
    # ... MD&A prose that mentions the statement only the section boost.
    assert boost(meta, ["mdna", "income_statement"], Wanted(intents=("income_statement",)), b) == pytest.approx(1.5)
    all_three = Wanted(("2025",), ("10k",), ("income_statement",))
    assert boost(meta, ["income_statement"], all_three, b) == pytest.approx(2.8)


def test_rescore_boosts_known_chunks_and_keeps_the_order():
    fused = {"d": 0.03, "a": 0.02, "zz": 0.05}
    out = rescore(fused, ROWS, Wanted(periods=("2025",)), Boosts())
    assert list(out) == ["d", "a", "zz"]
    assert out["a"] == pytest.approx(0.02 * 1.6) and out["d"] == 0.03 and out["zz"] == 0.05
    assert best_first(out, ROWS) == ["a", "d"]  # ids without a row are dropped


def test_best_first_keeps_ties_in_input_order():
    assert best_first({"c": 0.1, "a": 0.2, "d": 0.1}, ROWS) == ["a", "c", "d"]


def test_diversify_puts_one_chunk_per_page_first():
    assert diversify(["a", "b", "c", "d"], ROWS) == ["a", "c", "d", "b"]
    assert diversify(["c", "d"], ROWS) == ["c", "d"]


def test_make_hits_carry_score_row_and_ranks():
    hits = make_hits(["b", "c"], {"b": 0.5, "c": 0.25}, ROWS, {"vector": ["c", "b"], "keyword": ["b"]})
    assert [(h.chunk_id, h.doc_name, h.page, h.score) for h in hits] == [("b", "RIOT_2025_10K", 3, 0.5),
                                                                         ("c", "peers_note", 0, 0.25)]
    assert hits[0].ranks == {"vector": 2, "keyword": 1} and hits[1].ranks == {"vector": 1}
    assert hits[0].metadata["section"] == "mdna,income_statement"


# ---------------------------------------------------------------- one retriever per Stores (real stores)


def test_one_retriever_per_stores_and_the_alias_table_built_per_catalog_version(stores, monkeypatch, tmp_path):
    built = []
    real = hybrid.build_alias_table
    monkeypatch.setattr(hybrid, "build_alias_table", lambda metas: built.append(1) or real(metas))
    ingest_notes(stores, tmp_path / "a", {"acme_update": "Acme Widgets sold 1,000 widgets in 2025 for $5 million."},
                  company="Acme Widgets", period="2025")
    r = retriever_for(stores)
    assert retriever_for(stores) is r
    assert r.analyze("What did Acme Widgets sell?").companies == ["ACMEWIDGETS"]  # alias from the catalog
    r.search("What did Acme Widgets sell?", k=2)
    hybrid.search("How many widgets?", stores, k=2)
    assert len(built) == 1  # three uses, one catalog version
    ingest_notes(stores, tmp_path / "b", {"acme_note": "Acme Widgets opened a plant."}, company="Acme Widgets", period="2025")
    r.search("What did Acme Widgets open?", k=2)
    assert len(built) == 2
    # A copy with another embedder (as the briefing makes) must not share the original's retriever.
    copy = dataclasses.replace(stores)
    assert retriever_for(copy) is not r and retriever_for(copy).stores is copy


def test_search_uses_the_analysis_it_is_given_and_refuses_another_questions(stores, tmp_path):
    ingest_notes(stores, tmp_path / "a", {"acme_update": "Acme Widgets sold 1,000 widgets in 2025 for $5 million."},
                  company="Acme Widgets", period="2025")
    r = HybridRetriever(stores)
    question = "How many widgets did Acme Widgets sell?"
    analysis = r.analyze(question)
    assert [h.chunk_id for h in r.search(question, 3, analysis=analysis)] == [h.chunk_id for h in r.search(question, 3)]
    with pytest.raises(ValueError, match="another question"):
        r.search("Something else?", 3, analysis=analysis)


def test_a_note_matches_a_period_its_text_names_a_filing_only_its_own():
    from rag.retrieval.fusion import period_fits

    text = "In January 2025 Riot stopped the planned mining build-out at Corsicana."
    assert period_fits({"period": "2026Q1", "doc_type": "note"}, text, ("2025",))
    assert not period_fits({"period": "2026Q1", "doc_type": "10k"}, text, ("2025",))
    assert not period_fits({"period": "2026Q1", "doc_type": "note"}, "Riot leased Rockdale to AMD.", ("2025",))
    assert period_fits({"period": "2025Q3", "doc_type": "10q"}, "", ("2025",))
