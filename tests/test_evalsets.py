import json

import pytest

from rag.evaluation.metrics import doc_hit, mean_metrics, page_hit, percentile, reciprocal_rank, retrieval_metrics
from rag.evaluation.sets import QuestionSetError, load_questions


def _write(tmp_path, rows):
    p = tmp_path / "q.jsonl"
    p.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    return p


GOOD = {"id": "q1", "lang": "ja", "question": "いくら?", "answer": "1億6,160万ドル", "numbers": [161.6],
        "doc_name": "riot", "page": 0, "kind": "numeric"}


def test_project_schema_and_financebench_schema(tmp_path):
    fb = {"financebench_id": "fb1", "question": "Capex?", "answer": "$1577", "question_type": "metrics-generated",
          "doc_name": "3M_2018_10K",
          "evidence": [{"doc_name": "3M_2018_10K", "evidence_page_num": 59}, {"doc_name": "3M_2018_10K",
                                                                              "evidence_page_num": 60}]}
    unans = {**GOOD, "id": "q2", "answer": "NOT_IN_CORPUS", "doc_name": None, "page": None, "kind": "unanswerable",
             "numbers": []}
    items = load_questions(_write(tmp_path, [GOOD, fb, unans]))
    assert items[0].gold_pages == [("riot", 0)] and items[0].numbers == [161.6] and items[0].lang == "ja"
    assert items[1].gold_pages == [("3M_2018_10K", 59), ("3M_2018_10K", 60)] and items[1].kind == "numeric"
    assert not items[2].answerable and items[2].gold_pages == []


@pytest.mark.parametrize(
    "row, message",
    [
        ("{not json", "line 2: not valid JSON"),
        ({**GOOD, "id": "x", "lang": "fr"}, "line 2: field 'lang' must be 'en' or 'ja'"),
        ({k: v for k, v in GOOD.items() if k != "question"} | {"id": "y"}, "line 2: missing field 'question'"),
        ({**GOOD, "id": "z", "kind": "trivia"}, "line 2: field 'kind' must be one of"),
        ({**GOOD, "id": "w", "page": "3"}, "line 2: field 'page' must be an integer or null"),
        ({**GOOD, "id": "v", "numbers": ["1"]}, "line 2: field 'numbers' must be a list of numbers"),
        (GOOD, "line 2: duplicate id 'q1'"),
    ],
)
def test_malformed_lines_name_line_and_field(tmp_path, row, message):
    with pytest.raises(QuestionSetError, match=message.replace("(", r"\(")):
        load_questions(_write(tmp_path, [GOOD, row]))


def test_missing_file(tmp_path):
    with pytest.raises(QuestionSetError, match="No question file"):
        load_questions(tmp_path / "nope.jsonl")


def test_retrieval_metrics_hand_made():
    got = [("a", 1), ("b", 2), ("a", 5), ("c", 0)]
    assert page_hit(got, [("a", 5)], 1) == 0 and page_hit(got, [("a", 5)], 5) == 1
    assert reciprocal_rank(got, [("a", 5)], 10) == pytest.approx(1 / 3)
    assert reciprocal_rank(got, [("a", 5), ("b", 2)], 10) == pytest.approx(1 / 2)  # several evidence pages
    assert reciprocal_rank(got, [("z", 0)], 10) == 0
    assert doc_hit(got, [("c", 9)], 5) == 1 and page_hit(got, [("c", 9)], 5) == 0
    assert page_hit(got, [("b", None)], 5) == 1  # no gold page: the document counts
    m = retrieval_metrics([], [("a", 1)])
    assert set(m.values()) == {0.0}


def test_mean_and_percentile():
    assert mean_metrics([{"x": 1.0}, {"x": 0.0, "y": 1.0}]) == {"x": 0.5, "y": 1.0}
    assert percentile([10, 20, 30, 40], 50) == 25
    assert percentile([], 95) == 0.0
