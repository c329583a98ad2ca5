"""Answer metrics and the regression floors on hand-made cases (pure), the judge with a fake model."""

from __future__ import annotations

import pytest

from rag.answers.answer import Answer
from rag.config import get_settings
from rag.errors import ConfigError
from rag.evaluation.evaluate import (
    EvalReport,
    _summarise,
    check_floors,
    citation_precision,
    figure_in,
    figure_match,
    flatten,
    get_judge,
    gold_figures,
    judge_answer,
    unsupported_rate,
)
from rag.evaluation.sets import EvalItem
from rag.schema import Citation
from tests.fakes import FakeChat


def _item(answer="$161.6 million", numbers=(161.6,), kind="numeric"):
    return EvalItem("q", "How much?", answer, "en", kind, list(numbers), [("riot", 0)] if numbers else [])


def _answer(text="Riot raised $161.6 million [1].", supported=(), unsupported=(), cited=(1,)):
    return Answer("q", text, True, "extractive", [Citation(n, "riot", 0, f"c{n}", "") for n in cited],
                  {"supported": list(supported), "unsupported": list(unsupported)}, {}, None, 0.9, "en")


@pytest.mark.parametrize(
    "gold, text, expected",
    [
        ((161.6,), "Riot raised $161.6 million [1].", 1.0),
        ((161.6,), "Riot raised $161,600,000.", 1.0),  # unit scaling
        ((161.6,), "ライオットは1億6,160万ドルを調達した。", 1.0),  # Japanese figures
        ((161.6,), "Riot raised $160 million.", 0.0),  # off by more than rounding
        ((161.6, 1818), "It sold 1,818 BTC.", 0.0),  # every gold figure must appear
        ((161.6, 1818), "It sold 1,818 BTC for $161.6 million.", 1.0),
        ((18.0,), "Margins were 18％.", 1.0),
    ],
)
def test_figure_match(gold, text, expected):
    assert figure_match(_item(numbers=gold), text) == expected


def test_figure_match_without_gold_figures_is_not_counted():
    assert figure_match(_item(answer="They pivoted to AI data centres.", numbers=()), "anything") is None
    assert gold_figures(_item(answer="$1577.00", numbers=())) == [1577.0]  # FinanceBench-style gold answer
    assert figure_in(1577.0, [1_577_000_000.0]) and not figure_in(1577.0, [1677.0])


def test_citation_precision_and_unsupported_rate():
    sup = [{"raw": "$161.6 million", "matched": {"n": 1}}]
    a = _answer(supported=sup, unsupported=[{"raw": "$9 billion", "matched": None}], cited=(1, 2))
    assert citation_precision(a) == 0.5  # passage 2 holds no stated figure
    assert unsupported_rate(a) == (1, 2)
    assert citation_precision(_answer(cited=(1,))) is None  # no figures stated: not counted


def _row(refused, answerable, fm=None, cp=None):
    return {"retrieval": None, "figure_match": fm, "citation_precision": cp, "figures_unsupported": 0,
            "figures_total": 0, "latency_ms": 10.0, "refused": refused, "refusal_correct": refused != answerable}


def test_refusal_accuracy_counts_both_directions():
    m = _summarise([_row(True, False), _row(False, True, 1.0), _row(True, True, 0.0), _row(False, False)])
    assert m["answers"]["refusal_accuracy"] == 0.5 and m["answers"]["refusal_rate"] == 0.5
    assert m["answers"]["figure_match"] == 0.5


def test_floors_and_flatten():
    metrics = {"n": 3, "retrieval": {"page_hit@5": 0.8, "mrr@10": None}, "answers": {"figure_match": 0.5},
               "by_lang": {"en": {"retrieval": {"page_hit@5": 0.1}}}}
    assert flatten(metrics)["retrieval.page_hit@5"] == 0.8
    assert check_floors(metrics, {"page_hit@5": 0.7, "figure_match": 0.5}) == []
    fails = check_floors(metrics, {"page_hit@5": 0.9, "mrr@10": 0.1, "nonsense": 1})
    assert "retrieval.page_hit@5 = 0.8 is below the floor 0.9" in fails
    assert any("mrr@10 = None" in f for f in fails) and any("unknown metric 'nonsense'" in f for f in fails)
    assert EvalReport(metrics, [{"id": "q"}]).to_dict()["questions"] == [{"id": "q"}]


def test_judge_scores_with_the_model_and_tolerates_bad_replies():
    chat = FakeChat([{"score": 2, "reason": "same figure"}, {"score": 1}, None, {"score": 7}])
    assert judge_answer(chat, "How much?", "$161.6 million", "$161.6 million [1]") == 1.0
    assert judge_answer(chat, "How much?", "$161.6 million", "about $160 million") == 0.5
    assert judge_answer(chat, "How much?", "x", "y") is None  # malformed reply
    assert judge_answer(chat, "How much?", "x", "y") is None  # out-of-range grade
    assert "<gold>$161.6 million</gold>" in chat.calls[0][1][1]["content"]


def test_the_judge_is_its_own_setting(settings):
    # (That a named judge grades on the chat model's server: test_cli.py, through a scripted server.)
    assert get_judge(settings) is None  # default: no judge, no judge score
    with_server = settings.model_copy(update={"openai_base_url": "http://127.0.0.1:9/v1", "llm_model": "answerer"})
    assert get_judge(with_server) is None  # a chat model alone does not grade its own answers
    with pytest.raises(ConfigError, match="SHIFTBRIEF_JUDGE_MODEL is set but no model server is"):
        get_judge(settings.model_copy(update={"judge_model": "grader"}))


def test_judge_model_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("SHIFTBRIEF_JUDGE_MODEL", "grader")
    assert get_settings().judge_model == "grader"
