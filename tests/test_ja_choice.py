"""A Japanese question is answered by the sentence stating what it asks: the reader's language decides only
between sentences stating its asks (交換比率, 月平均 …) equally well."""

from __future__ import annotations

from rag.answers.extractive import choose_quotes
from rag.answers.grounding import asks_stated, ja_asks
from rag.answers.lead import lead_measures, lead_sentence
from rag.schema import Hit
from tests.fakes import WordsEmbedder, note_hit


def _hit(text: str, doc: str) -> Hit:
    return note_hit(text, doc, period="2024")


def test_asks_are_the_glossary_words_a_question_names_in_either_language():
    asks = ja_asks("合併案の交換比率はいくらか?")
    said = asks_stated(asks, "Holders receive 0.5 new shares for each share, an exchange ratio set in May.")
    assert said and said <= asks_stated(asks, "交換比率は0.5で、合併は5月に合意された。")
    assert not asks_stated([a for i, a in enumerate(asks) if i in said], "合併の総額は約30億ドルだった。")
    assert ja_asks("売上はどう変化したか?") == ja_asks("売上は?")  # 変化 asks how, it names nothing to state


def test_a_japanese_sentence_lacking_the_ask_loses_to_the_english_one_stating_it():
    english = ("# Merger\n\nUnder the agreement each holder receives 0.5 new shares per share, an exchange ratio "
               "worth about $12.00 per share.\n")
    japanese = "# 合併\n\n2024年5月、両社は約30億ドルの全株式による合併で合意したが、株主総会で否決された。\n"
    picked = choose_quotes("合併案の交換比率と1株あたりの価値は?", [_hit(english, "merger_en"), _hit(japanese, "merger_ja")],
                           WordsEmbedder(), lang="ja")
    assert picked.quotes and picked.quotes[0].lang == "en", picked.quotes
    # stating it as well as the English one, the Japanese sentence is preferred
    japanese_too = "# 合併\n\n2024年5月の合意では、交換比率は1株につき新株0.5株、1株あたり約12ドルとされた。\n"
    picked = choose_quotes("合併案の交換比率と1株あたりの価値は?", [_hit(english, "merger_en"), _hit(japanese_too, "merger_ja")],
                           WordsEmbedder(), lang="ja")
    assert picked.quotes and picked.quotes[0].lang == "ja", picked.quotes


def test_an_english_term_of_several_words_is_found_split_by_a_name():
    asks = ja_asks("合併案の1株あたりの価値は?")
    assert asks_stated(asks, "It offered 0.5 Acme share per Beta Corp share, about $12 a share.")
    assert not asks_stated(asks, "Per the filing, the deal closed and each holder kept one share.")


def test_a_part_asking_how_far_is_covered_only_by_a_sentence_with_a_figure():
    billing = "# Lease\n\nPhase 1 of the lease at the mill has been billing since March 2024.\n"
    limit = "# リース\n\nこのリースは最大50MWまで拡張できる。\n"
    picked = choose_quotes("工場のリースは最大どこまで拡張でき、フェーズ1の請求はいつ始まったか?",
                           [_hit(billing, "lease_en"), _hit(limit, "lease_ja")], WordsEmbedder(), lang="ja")
    texts = " ".join(q.text for q in picked.quotes)
    assert "billing" in texts and "50MW" in texts, picked.quotes


def test_how_a_measure_changed_from_the_year_before_is_answered_with_its_figures():
    question = "工場の2024年の1トンあたり製造コストは前年からどう変化したか?"
    assert lead_measures(question) is None  # any figure: the change is told by the two amounts
    lead = lead_sentence("The cost to make one tonne rose to $410 in 2024 from $380 a year earlier.", 1, "ja", "",
                         [], asked=lead_measures(question), question=question)
    assert "410" in lead and "380" in lead, lead
    assert lead_measures("工場の製造コストについて記事は何を指摘したか?") is not None
