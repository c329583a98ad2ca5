"""Every page of the app through Streamlit's AppTest, against a real index in a temporary data directory."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from rag.ingestion.pipeline import ingest
from tests.conftest import CORPUS, REPO

APP = str(REPO / "app.py")


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    return at


@pytest.fixture
def indexed(stores):
    ingest([CORPUS], stores)
    return stores


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [w.value for w in at.warning] + [e.value for e in at.error] + [e.label for e in at.expander]
    return "\n".join(str(p) for p in parts)


def test_empty_index_tells_the_visitor_what_to_do():
    at = _app()
    at.run()
    assert not at.exception
    assert "No documents yet" in at.info[0].value


def test_ask_answers_with_citations_and_sources(indexed):
    at = _app()
    at.run()
    at.chat_input[0].set_value("How much did the miner raise by selling bitcoin in December 2025?").run()
    assert not at.exception
    text = _text(at)
    assert "161" in text and "6 million" in text
    labels = [e.label for e in at.expander if e.label.startswith("[")]
    assert labels and "riot_2025q4_bitcoin_sales" in " ".join(labels)
    assert "Extractive" in text  # sidebar status


def test_ask_in_japanese_finds_english_sources_and_japanese_lead_in(indexed):
    at = _app()
    at.run()
    at.sidebar.radio[0].set_value("日本語").run()
    at.chat_input[0].set_value("2025年12月にビットコインを売却していくら調達しましたか?").run()
    assert not at.exception
    text = _text(at)
    assert "資料によると" in text
    assert "[" in " ".join(e.label for e in at.expander)


def test_blank_question_gets_a_message(indexed):
    at = _app()
    at.run()
    at.chat_input[0].set_value("   ").run()
    assert not at.exception
    assert "Type a question first" in _text(at)


def test_unreachable_model_server_shows_a_clear_error(indexed, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("SHIFTBRIEF_LLM_TIMEOUT", "3")
    at = _app()
    at.run()
    at.chat_input[0].set_value("How much bitcoin did Riot sell?").run()
    assert not at.exception
    assert any("Cannot reach" in e.value for e in at.error)


def test_library_lists_and_deletes(indexed):
    at = _app()
    at.switch_page("app_pages/library.py").run()
    assert not at.exception
    assert at.dataframe[0].value.shape[0] == 16
    at.selectbox(key="delete_choice").set_value("riot_reporting_cadence")
    at.button(key="delete_button").click().run()
    assert not at.exception
    names = {d["doc_name"] for d in indexed.keywords.list_documents()}
    assert "riot_reporting_cadence" not in names and len(names) == 15


def test_brief_page_generates_both_languages(indexed):
    at = _app()
    at.switch_page("app_pages/brief.py").run()
    assert not at.exception
    at.selectbox(key="brief_company").set_value("Riot Platforms")
    at.button(key="brief_generate").click().run()
    assert not at.exception
    text = _text(at)
    assert "1,818" in text and "1億6,160万ドル" in text.replace("\\", "")


def test_evaluate_page_runs_a_small_set(indexed):
    at = _app()
    at.switch_page("app_pages/evaluate.py").run()
    assert not at.exception
    at.selectbox(key="eval_set").set_value("questions.jsonl").run()
    at.slider(key="eval_limit").set_value(3)
    at.button(key="eval_run").click().run()
    assert not at.exception
    assert at.dataframe[0].value.shape[0] >= 1
    assert "page_hit@5" in at.dataframe[0].value.columns
