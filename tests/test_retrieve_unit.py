import pytest

from rag.query.vocabulary import question_terms
from rag.retrieval.filters import Filters, resolve_filters
from rag.retrieval.fusion import rrf

DOCS = [
    {"doc_name": "3M_2018_10K", "company": "3M", "period": "2018", "doc_type": "10k"},
    {"doc_name": "AMCOR_2023Q2_10Q", "company": "AMCOR", "period": "2023Q2", "doc_type": "10q"},
    {"doc_name": "riot_note", "company": "Riot Platforms", "period": "2025Q4", "doc_type": "note"},
]


def test_rrf_weights_and_sums_rankings():
    scores = rrf({"v": ["a", "b"], "k": ["b", "c"]}, {"v": 1.0, "k": 2.0}, k=60)
    assert scores["b"] == pytest.approx(1 / 62 + 2 / 61)
    assert max(scores, key=scores.get) == "b"
    assert scores["c"] > scores["a"]


@pytest.mark.parametrize(
    "filters, expected",
    [
        (Filters(), None),
        (Filters(company="riot platforms"), ["riot_note"]),
        (Filters(company="Riot"), ["riot_note"]),
        (Filters(period="2023"), ["AMCOR_2023Q2_10Q"]),
        (Filters(doc_type="10-K"), ["3M_2018_10K"]),
        (Filters(company="Apple"), []),
        (Filters(doc_names=("3M_2018_10K",)), ["3M_2018_10K"]),
    ],
)
def test_resolve_filters(filters, expected):
    assert resolve_filters(filters, DOCS) == expected


def test_question_terms_drop_stop_words():
    assert question_terms("What was the revenue of 3M in 2018?") == ["revenue", "3M", "2018"]
