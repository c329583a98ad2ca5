"""A flow asked for a period no passage states it for is answered by its parts, said to be parts."""

from __future__ import annotations

from rag.answers.compose import parts_note
from rag.answers.extractive import Quote, choose_quotes
from rag.answers.shapes import period_label
from rag.answers.when import When
from rag.schema import Hit
from tests.fakes import WordsEmbedder, note_hit


def _hit(text: str) -> Hit:
    return note_hit(text, "peers", title="peers")


SALES = ("# CleanSpark\n\nCleanSpark sold 300 BTC for about $30.2 million in March 2025 and 410 BTC for "
         "$41.0 million in October 2025.\n\nFor October–December 2025 revenue was $181.2 million.\n")


def test_the_sales_of_parts_of_the_year_answer_for_the_year_and_say_so():
    picked = choose_quotes("How much did CleanSpark sell its bitcoin for in 2025?", [_hit(SALES)], WordsEmbedder(),
                           lang="en")
    assert picked.quotes and "$30.2 million" in picked.quotes[0].text
    assert all(q.part_of == "2025" for q in picked.quotes)
    assert parts_note(picked.quotes, "en") == "The documents give no figure for 2025 as a whole, only for parts of it:"
    ja = choose_quotes("How much did CleanSpark sell its bitcoin for in 2025?", [_hit(SALES)], WordsEmbedder(),
                       lang="ja")
    assert parts_note(ja.quotes, "ja").startswith("資料には2025年全体の数値はなく")


def test_a_reported_total_is_not_answered_by_its_parts():
    for q in ("What was CleanSpark's revenue for 2025?", "How much did CleanSpark sell its bitcoin for in fiscal 2025?"):
        assert not choose_quotes(q, [_hit(SALES)], WordsEmbedder(), lang="en").quotes, q


def test_a_figure_for_the_whole_period_needs_no_note():
    assert parts_note([Quote(1, "CleanSpark sold 1,000 BTC in 2025.", 1.0)], "en") == ""
    assert period_label(When(2025, 7, 9), "en") == "Q3 2025"
    assert period_label(When(2025, 7, 9), "ja") == "2025年第3四半期"
    assert period_label(When(2025, 1, 12), "ja") == "2025年"


def test_the_capacity_of_a_financing_is_money():
    from rag.answers.kinds import asked_kinds

    assert asked_kinds("How much capacity was left unused in the brewery's ATM programme?") == {"currency"}
    assert asked_kinds("How much capacity does the brewery's credit facility have left?") == {"currency"}
    assert asked_kinds("How much capacity does the brewery have at Dover?") == {"count"}


def test_a_sentence_continuing_one_that_names_the_measure_answers_for_it():
    text = ("# Brewco's share sales\n\nBrewco closed the ATM programme it opened in 2023. Over its life the "
            "programme sold $40.2 million of stock. The remaining $9.8 million of capacity was left unused.\n")
    picked = choose_quotes("How much capacity was left unused when Brewco closed its ATM programme?", [_hit(text)],
                           WordsEmbedder(), lang="en")
    assert picked.quotes and "$9.8 million" in picked.quotes[0].text
