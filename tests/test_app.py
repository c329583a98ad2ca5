"""Every page of the app through Streamlit's AppTest, against a real index in a temporary data directory."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rag.config import Settings
from rag.store.stores import CHAT_ONLY_SETTINGS
from tests.conftest import REPO
from tests.fakes import ScriptedOpenAIServer, error_body
from tests.helpers import ingest_notes

APP = str(REPO / "app.py")


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    return at


@pytest.fixture
def indexed(corpus_stores):
    """corpus/, ingested (a copy of the session's index)."""
    return corpus_stores


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [w.value for w in at.warning] + [e.value for e in at.error] + [e.label for e in at.expander]
    return "\n".join(str(p) for p in parts)


# The test documents' and servers' markup, as a Markdown renderer would take it: bold, an image, a link, a tag, a
# bare URL or e-mail address (none of which the app's own strings use).
MARKUP = ("**BOLD**", "**T**", "**now**", "**big**", "![", "](", "<img", "<b>", "http://", "www.", "@evil")


def _markup(text: str) -> list[str]:
    return [m for m in MARKUP if m in text]


def _live_markup(text: str) -> list[str]:
    """What a CommonMark renderer makes of the test documents' markup: links, images, raw HTML, their bold text;
    bare URLs and addresses (which Streamlit links on its own) by their text."""
    from markdown_it import MarkdownIt

    found, hostile_bold = [], {"BOLD", "T", "now", "big"}
    for block in MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(text):
        tokens = [block, *(block.children or [])]
        for i, tok in enumerate(tokens):
            if tok.type in ("link_open", "image", "html_inline", "html_block"):
                found.append(tok.type)
            if tok.type == "strong_open" and i + 1 < len(tokens) and tokens[i + 1].content in hostile_bold:
                found.append("strong:" + tokens[i + 1].content)
    return found + [m for m in ("http://", "www.", "@evil") if m in text]


def _shown(text: str) -> str:
    """What the browser shows for escaped Markdown: escapes resolved, entities decoded, word joiners invisible."""
    return html.unescape(re.sub(r"\\([\\`*_{}\[\]()#+\-.!|>~:$])", r"\1", text)).replace("\u2060", "")


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
    # a source is shown by its document's title, not its file stem
    assert labels and "Riot Platforms sold a record 1,818 BTC" in " ".join(labels)
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


def _row(at: AppTest, doc_name: str) -> dict:
    frame = at.dataframe[0].value
    [row] = frame[frame.iloc[:, 0] == doc_name].to_dict("records")
    return row


def test_library_shows_each_value_with_its_source_in_the_interface_language(indexed):
    at = _app()
    at.switch_page("app_pages/library.py").run()
    assert not at.exception
    row = _row(at, "riot_reporting_cadence")
    assert row["Company"] == "Riot Platforms" and row["Company: source"] == "front matter"
    assert row["Period: source"] == "front matter" and row["Document type"]
    at.sidebar.radio[0].set_value("日本語").run()
    assert not at.exception
    row = _row(at, "riot_reporting_cadence")
    assert row["企業"] == "Riot Platforms" and row["企業の出典"] == "フロントマター"


def test_library_corrects_a_company_everywhere_then_undoes_it(indexed):
    from app_pages.common import get_stores
    from rag.retrieval.hybrid import retriever_for

    at = _app()
    at.switch_page("app_pages/library.py").run()
    at.selectbox(key="tag_doc").set_value("riot_reporting_cadence").run()
    assert at.text_input(key="tag_company").value == "Riot Platforms"  # prefilled from the catalog
    assert retriever_for(get_stores()).analyze("What did Northwind Mining report?").companies == []
    at.text_input(key="tag_company").set_value("Northwind Mining")
    at.button(key="tag_save").click().run()
    assert not at.exception and not at.error
    assert "Saved" in at.success[0].value
    row = _row(at, "riot_reporting_cadence")
    assert row["Company"] == "Northwind Mining" and row["Company: source"] == "corrected by you"
    assert row["Period: source"] == "front matter"  # fields left alone keep their source
    stored = indexed.keywords.get_document("riot_reporting_cadence")
    assert stored["company"] == "Northwind Mining"
    # The cached retriever and the Brief page see the correction without a restart.
    assert retriever_for(get_stores()).analyze("What did Northwind Mining report?").companies
    at.switch_page("app_pages/brief.py").run()
    assert "Northwind Mining" in at.selectbox(key="brief_company").options

    at.switch_page("app_pages/library.py").run()
    at.selectbox(key="tag_doc").set_value("riot_reporting_cadence").run()
    assert at.text_input(key="tag_company").value == "Northwind Mining"
    at.button(key="tag_reset").click().run()
    assert not at.exception and not at.error
    row = _row(at, "riot_reporting_cadence")
    assert row["Company"] == "Riot Platforms" and row["Company: source"] == "front matter"
    assert at.text_input(key="tag_company").value == "Riot Platforms"
    assert "tag_reset" not in [b.key for b in at.button]  # nothing left to undo


def test_library_saves_nothing_when_only_the_spelling_of_a_value_changed(indexed):
    at = _app()
    at.switch_page("app_pages/library.py").run()
    at.selectbox(key="tag_doc").set_value("riot_reporting_cadence").run()
    at.text_input(key="tag_doc_type").set_value(at.text_input(key="tag_doc_type").value.upper() + " ")
    at.button(key="tag_save").click().run()
    assert not at.exception
    assert "Nothing changed" in at.info[0].value
    assert not indexed.keywords.get_document("riot_reporting_cadence").get("overrides")


def test_library_rejects_a_bad_period_with_the_reason(indexed):
    at = _app()
    at.switch_page("app_pages/library.py").run()
    at.selectbox(key="tag_doc").set_value("riot_reporting_cadence").run()
    at.text_input(key="tag_period").set_value("last spring")
    at.button(key="tag_save").click().run()
    assert not at.exception
    assert "is not a period" in at.error[0].value
    assert indexed.keywords.get_document("riot_reporting_cadence")["period"] != "last spring"


def test_ingest_with_no_file_says_why(monkeypatch):
    monkeypatch.setenv("SHIFTBRIEF_MAX_FILE_MB", "7")
    at = _app()
    at.switch_page("app_pages/library.py").run()
    at.button[0].click().run()  # Ingest, with nothing chosen (what a file over the size limit leaves)
    assert not at.exception
    assert "No file to ingest" in at.warning[0].value and "at most 7 MB" in at.warning[0].value


def test_deleting_an_uploaded_document_deletes_its_file_and_nothing_else(stores, tmp_path):
    from rag.ingestion.pipeline import ingest
    from rag.ingestion.uploads import save_uploads

    [upload] = save_uploads([("uploaded_note.md", b"---\ncompany: Upload Co\n---\nUpload Co opened a site.\n")],
                            stores.settings).saved
    assert ingest([upload], stores).ingested == 1
    ingest_notes(stores, tmp_path / "mine", {"my_note": "My Co opened a 20 MW site in 2026."})
    mine = tmp_path / "mine" / "my_note.md"
    assert mine.exists()
    at = _app()
    at.switch_page("app_pages/library.py").run()
    at.selectbox(key="delete_choice").set_value("uploaded_note")
    at.button(key="delete_button").click().run()
    assert not at.exception and not at.error
    assert "uploaded file was removed" in at.success[0].value and not upload.exists()
    at.selectbox(key="delete_choice").set_value("my_note")
    at.button(key="delete_button").click().run()
    assert not at.exception and not at.error
    assert "uploaded file was removed" not in at.success[0].value and mine.exists()  # the user's own file
    assert at.info and "No documents yet" in at.info[0].value


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
    assert "confidence ECE" in at.dataframe[0].value.columns
    reliability = at.dataframe[1].value  # the calibration table: one row per confidence bin
    assert list(reliability.columns) == ["confidence", "n", "mean confidence", "share right"]
    assert reliability["n"].sum() == 3


def test_brief_page_without_any_company_says_what_to_add(stores, tmp_path):
    ingest_notes(stores, tmp_path / "docs", {"plain": "Revenue rose to $12.5 million in 2025, a plain note."})
    at = _app()
    at.switch_page("app_pages/brief.py").run()
    assert not at.exception
    assert "none of the documents names one" in at.info[0].value and "company:" in at.info[0].value


def test_a_bad_setting_is_shown_with_the_variable_and_its_values(monkeypatch):
    monkeypatch.setenv("SHIFTBRIEF_LLM", "gpt")
    monkeypatch.setenv("SHIFTBRIEF_EMBED_THREADS", "two")
    at = _app()
    at.run()
    assert not at.exception
    [error] = [_shown(e.value) for e in at.error]
    assert "SHIFTBRIEF_LLM='gpt' must be one of 'auto', 'extractive', 'openai'" in error
    assert "SHIFTBRIEF_EMBED_THREADS='two' must be a whole number" in error
    assert not at.chat_input  # the app stopped before any page ran


def test_evaluate_page_offers_only_question_sets(indexed):
    at = _app()
    at.switch_page("app_pages/evaluate.py").run()
    assert not at.exception and not at.error
    box = at.selectbox(key="eval_set")
    assert "figures_labelled.jsonl" not in box.options  # the figure checker's sentences, not questions
    assert {"questions.jsonl", "financebench_ja.jsonl"} <= set(box.options)
    assert box.value == "questions.jsonl"  # the set about the indexed corpus


# Every setting but the chat model's, with a value unlike its default.
STORE_SETTINGS = {
    "data_dir": ("SHIFTBRIEF_DATA_DIR", "{tmp}/other-data"),
    "chroma_host": ("CHROMA_HOST", None),  # a server is exercised in test_stores.py; unset here
    "chroma_port": ("CHROMA_PORT", "8123"),
    "embedding_provider": ("SHIFTBRIEF_EMBEDDINGS", "openai"),
    "embedding_model": ("SHIFTBRIEF_EMBEDDING_MODEL", "text-embedding-3-large"),
    "embedding_base_url": ("SHIFTBRIEF_EMBEDDING_BASE_URL", "http://127.0.0.1:9/v1"),
    "embed_threads": ("SHIFTBRIEF_EMBED_THREADS", "1"),
    "embed_workers": ("SHIFTBRIEF_EMBED_WORKERS", "3"),
    "openai_api_key": ("OPENAI_API_KEY", "sk-test-other"),
    "openai_base_url": ("OPENAI_BASE_URL", "http://127.0.0.1:10/v1"),
    "chunk_tokens": ("SHIFTBRIEF_CHUNK_TOKENS", "200"),
    "chunk_overlap": ("SHIFTBRIEF_CHUNK_OVERLAP", "4"),
    "max_file_mb": ("SHIFTBRIEF_MAX_FILE_MB", "5"),
    "max_page_chars": ("SHIFTBRIEF_MAX_PAGE_CHARS", "1000"),
    "max_doc_chars": ("SHIFTBRIEF_MAX_DOC_CHARS", "100000"),
    "database_url": ("SHIFTBRIEF_DATABASE_URL", None),  # a team library is exercised in test_team.py; unset here
    "library": ("SHIFTBRIEF_LIBRARY", "other-library"),
}


def test_every_setting_is_either_the_chat_models_or_a_store_setting():
    assert set(Settings.model_fields) == set(STORE_SETTINGS) | CHAT_ONLY_SETTINGS


@pytest.mark.parametrize("field", [f for f, (_, value) in STORE_SETTINGS.items() if value is not None])
def test_the_cached_stores_follow_every_setting_they_depend_on(field, monkeypatch, tmp_path):
    from app_pages.common import get_stores

    if field != "openai_base_url":  # a server for the OpenAI embedder (opening the stores does not call it)
        monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11/v1")
    if field in ("embedding_model", "embedding_base_url"):  # read only by the OpenAI embedder
        monkeypatch.setenv("SHIFTBRIEF_EMBEDDINGS", "openai")
    before = get_stores()
    assert get_stores() is before  # cached ...
    var, value = STORE_SETTINGS[field]
    monkeypatch.setenv(var, value.format(tmp=tmp_path))
    after = get_stores()
    assert after is not before  # ... but not across a change of the setting
    got = getattr(after.settings, field)
    expected = getattr(Settings(**{field: value.format(tmp=tmp_path)}), field)
    assert (got.get_secret_value() if field == "openai_api_key" else got) == \
        (expected.get_secret_value() if field == "openai_api_key" else expected)
    if field == "embed_workers":
        assert after.embedder.workers == 3
    if field == "embedding_model":
        assert after.embedder.model_id == "openai-text-embedding-3-large"


# A document whose file name, title, company and text hold Markdown, HTML and links.
HOSTILE_NAME = "**BOLD** _it_ [x](evil) <img src=x>"
HOSTILE_TITLE = "![t](http://127.0.0.1:9/t.png) **T** <b>title</b>"
HOSTILE_COMPANY = "Zebra [Co](http://evil.example)"
HOSTILE_TEXT = ("Zebra Finance grew its loan book by 12% in 2025. The full report is at http://127.0.0.1:9/report.png, "
                "on www.evil.example, or from ir@evil.example.")


def _write_hostile(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{HOSTILE_NAME}.md"
    path.write_text(f"---\ntitle: \"{HOSTILE_TITLE}\"\ncompany: \"{HOSTILE_COMPANY}\"\nperiod: 2025\n---\n"
                    f"{HOSTILE_TEXT}\n", encoding="utf-8")
    return path


def _rendered(at: AppTest) -> list[str]:
    """Every string the page renders as Markdown (bodies, captions, alerts, expander labels, the sidebar)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.label for e in at.expander]
    parts += [a.value for kind in (at.info, at.warning, at.error, at.success) for a in kind]
    return [str(p) for p in parts]


def test_document_names_titles_companies_and_text_reach_the_ask_page_as_text(stores, tmp_path):
    from rag.ingestion.pipeline import ingest

    assert ingest([_write_hostile(tmp_path / "docs")], stores).ingested == 1
    at = _app()
    at.run()
    at.chat_input[0].set_value("What happened to the loan book?").run()
    assert not at.exception
    [label] = [e.label for e in at.expander if e.label.startswith("[")]
    assert HOSTILE_TITLE in _shown(label) and not _markup(label)
    rendered = _rendered(at)
    assert any(HOSTILE_NAME in _shown(r) and HOSTILE_COMPANY in _shown(r) for r in rendered)  # the caption
    assert any("http://127.0.0.1:9/report.png" in _shown(r) for r in rendered)  # the passage, as text
    assert [r for r in rendered if _markup(r)] == []


def test_document_names_reach_the_library_and_brief_pages_as_text(stores, tmp_path):
    from rag.ingestion.pipeline import ingest

    assert ingest([_write_hostile(tmp_path / "docs")], stores).ingested == 1
    at = _app()
    at.switch_page("app_pages/brief.py").run()
    at.selectbox(key="brief_company").set_value(HOSTILE_COMPANY)  # options are plain text: no escaping
    at.button(key="brief_generate").click().run()
    assert not at.exception
    brief = "\n".join(m.value for m in at.markdown)
    assert HOSTILE_COMPANY in _shown(brief)  # in the heading, its URL as text
    # The briefing escapes only what CommonMark would read as markup ("\\[Co](…" is no link): judged by a parser.
    assert [r for r in _rendered(at) if _live_markup(r)] == []

    at.switch_page("app_pages/library.py").run()
    assert not at.exception
    at.selectbox(key="delete_choice").set_value(HOSTILE_NAME)
    at.button(key="delete_button").click().run()
    assert not at.exception and not at.error
    assert HOSTILE_NAME in _shown(at.success[0].value)
    assert [r for r in _rendered(at) if _markup(r)] == []


def test_a_model_servers_error_and_model_name_are_shown_as_text(stores, tmp_path, monkeypatch):
    ingest_notes(stores, tmp_path / "docs", {"zebra": "Zebra Finance grew its loan book by 12% in 2025."},
                 company="Zebra Finance")
    said = "Bad request ![x](http://127.0.0.1:9/t.png) **now** <img src=x> [link](http://evil)"
    model = "**big** ![m](http://127.0.0.1:9/m.png)"
    with ScriptedOpenAIServer([(400, error_body(said), {})]) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("SHIFTBRIEF_LLM_MODEL", model)
        at = _app()
        at.run()
        at.chat_input[0].set_value("What happened to the loan book?").run()
    assert not at.exception and server.requests  # the model was asked, and refused
    [error] = [e.value for e in at.error]
    assert said in _shown(error) and not _markup(error)
    sidebar = [m.value for m in at.sidebar.markdown]
    assert any(model in _shown(m) for m in sidebar) and [m for m in sidebar if _markup(m)] == []


def test_the_app_searches_what_another_process_ingested(tmp_path):
    """The app's cached stores find, by vector search, a document `shiftbrief ingest` added in another process
    after the app had searched (an embedded Chroma client never reloads its index by itself)."""
    from app_pages.common import get_stores
    from rag.ingestion.pipeline import ingest
    from rag.retrieval.hybrid import retriever_for
    from tests.helpers import write_notes

    [mine, theirs, later] = write_notes(tmp_path / "docs", {
        "alpha": "Alpha Mining opened a 50 MW data centre in Texas in 2025.",
        "zeta": "Zeta Farms sold its pineapple plantations in Hawaii for 80 million dollars.",
        "omega": "Omega Shipping ordered four container vessels from a Korean yard."})
    assert ingest([mine], get_stores()).ingested == 1

    def vector_hits(question: str) -> set[str]:
        hits = retriever_for(get_stores()).search(question, k=5)
        return {h.doc_name for h in hits if "vector" in h.ranks}

    assert vector_hits("pineapple plantations in Hawaii") == {"alpha"}  # the only document, loaded in memory
    r = subprocess.run([sys.executable, "-m", "rag.cli", "ingest", str(theirs)], capture_output=True, text=True,
                       timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert r.returncode == 0, r.stderr
    assert "zeta" in vector_hits("pineapple plantations in Hawaii")
    # The app's own writes survive the reopen.
    assert ingest([later], get_stores()).ingested == 1
    assert "omega" in vector_hits("container vessels from a Korean yard")
    assert "zeta" in vector_hits("pineapple plantations in Hawaii")
