"""`ask` through the real HTTP path: llama.cpp's OpenAI-compatible server with SmolLM2-135M-Instruct.

The model is tiny and its answers are poor; these tests assert structure, not quality: citations resolve to
retrieved passages, the figure checker runs and flags figures absent from the passages, refusals parse.
"""

from __future__ import annotations

import pytest

from rag.answers.answer import Answer, answer_question, stream_answer
from rag.answers.llm import get_chat_model
from rag.answers.prompts import refusal
from rag.errors import LLMError
from rag.figures.parse import parse_figures
from tests.helpers import free_port, ingest_notes
from tests.llm_server import MODEL_ALIAS, llm_server  # noqa: F401  (the session fixture)

pytestmark = [pytest.mark.llm, pytest.mark.timeout(600)]

DOCS = {
    "riot_december": [
        "Riot Platforms sold 1,818 bitcoin in December 2025 for net proceeds of $161.6 million. Bitcoin holdings "
        "fell to 18,005 BTC at the end of December.",
        "Riot bought the 200 acres under its Rockdale site for $96.0 million and signed its first data centre lease "
        "with AMD for 25 MW of critical IT load.",
    ],
    "riot_risks": "Newly built data centres may sit idle without tenant contracts, a risk for investors.",
}


@pytest.fixture
def riot(stores, tmp_path):
    ingest_notes(stores, tmp_path / "docs", DOCS, company="Riot Platforms", period="2025Q4")
    return stores


@pytest.fixture
def chat(llm_server, settings):  # noqa: F811
    s = settings.model_copy(update={"openai_base_url": llm_server, "llm_model": MODEL_ALIAS, "llm_timeout": 180.0})
    model = get_chat_model(s, max_retries=1, max_tokens=160)
    assert model is not None and model.describe()["base_url"] == llm_server
    return model


def _assert_structure(a: Answer, riot) -> None:
    assert a.mode == "openai" and a.model == MODEL_ALIAS and a.lang in ("en", "ja")
    retrieved = {p["n"]: p for p in a.passages}
    indexed = riot.keywords.chunk_ids()
    if not a.answerable:  # a refusal parses to the fixed sentence, with nothing cited
        assert a.answer == refusal(a.lang) and a.citations == []
        return
    for c in a.citations:  # citations resolve to retrieved passages
        assert c.n in retrieved and c.chunk_id == retrieved[c.n]["chunk_id"] and c.chunk_id in indexed
        assert c.text == retrieved[c.n]["text"]
    assert not set(a.dropped_citations) & set(retrieved)
    # The figure checker ran over every figure of the answer ...
    figures = a.figures["supported"] + a.figures["unsupported"]
    assert {f["raw"] for f in figures} <= {f.raw for f in parse_figures(a.answer)}
    # ... and any figure whose value appears in no passage is flagged.
    source_values = {round(f.value, 6) for p in a.passages for f in parse_figures(p["text"])}
    for f in a.figures["supported"]:
        assert f["matched"] is not None
    for f in parse_figures(a.answer):
        if abs(f.value) >= 10 and not any(abs(f.value - v) <= 0.06 * max(abs(v), 1) for v in source_values):
            assert f.raw in {u["raw"] for u in a.figures["unsupported"]}, f.raw
    assert a.tokens["input_tokens"] > 0 and a.tokens["calls"] >= 1 and a.cost_usd is None


def test_ask_through_the_real_server(riot, chat):
    a = answer_question("How much did Riot raise by selling bitcoin in December 2025?", riot, chat=chat)
    _assert_structure(a, riot)
    assert not a.tokens["estimated"]  # the server reported its token counts


def test_ask_streaming_through_the_real_server(riot, chat):
    events = list(stream_answer("What did Riot buy at its Rockdale site?", riot, chat=chat))
    pieces, final = events[:-1], events[-1]
    assert isinstance(final, Answer) and pieces and all(isinstance(p, str) for p in pieces)
    assert "".join(pieces).strip()  # text arrived piece by piece
    _assert_structure(final, riot)


def test_japanese_question_through_the_real_server(riot, chat):
    a = answer_question("データセンターのリスクは何ですか?", riot, chat=chat)
    assert a.lang == "ja"
    _assert_structure(a, riot)


def test_unsupported_question_is_refused_before_the_model(riot, chat):
    a = answer_question("Who won the 2018 FIFA World Cup?", riot, chat=chat)
    assert not a.answerable and a.answer == "The documents don't say." and a.tokens["calls"] == 0


def test_follow_up_is_condensed_by_the_real_model(riot, chat):
    history = [("user", "What did Riot buy at its Rockdale site?"), ("assistant", "The land under the site [1].")]
    a = answer_question("How much did it cost?", riot, history=history, chat=chat)
    assert a.standalone_question and a.tokens["calls"] >= 1  # the condensing call at least
    _assert_structure(a, riot)


def test_closed_port_gives_a_clear_error(riot, settings):
    url = f"http://127.0.0.1:{free_port()}/v1"
    chat = get_chat_model(settings.model_copy(update={"openai_base_url": url}), max_retries=0)
    with pytest.raises(LLMError, match=rf"Cannot reach the model server at {url}; is it running"):
        answer_question("How much did Riot raise by selling bitcoin in December 2025?", riot, chat=chat)


def test_brief_through_the_real_server(riot, chat):
    from rag.briefing.briefing import write_briefing

    b = write_briefing(riot, "Riot", chat=chat)
    assert b.mode != "extractive" and b.docs
    indexed = riot.keywords.chunk_ids()
    for fact in b.facts:  # every bullet cites a passage that exists in the index
        assert fact.citations and all(c["chunk_id"] in indexed for c in fact.citations)
    assert {"supported", "unsupported", "ok"} <= set(b.figure_check)
    en, ja = b.to_markdown("en"), b.to_markdown("ja")
    assert en and ja and en != ja
