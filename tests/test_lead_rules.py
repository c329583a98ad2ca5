"""Japanese leads over English quotes: only the measure asked, lengths of time, exchange ratios, prices per unit."""

from rag.answers.lead import durations, exchange_ratios, lead_measures, lead_sentence, per_unit


def _lead(question: str, quote: str, company: str = "") -> str:
    return lead_sentence(quote, 1, "ja", company, [], asked=lead_measures(question), question=question)


def test_a_named_money_measure_is_not_answered_with_another_labelled_amount():
    quote = ("Investing proceeds of $120.5 million came in, of which $40.0 million from a credit facility and "
             "$55.2 million from at-the-market (ATM) share sales.")
    lead = _lead("その会社はATMプログラムでいくら調達したか?", quote)
    assert "5,520万ドル" in lead
    assert "1億2,050万ドル" not in lead and "4,000万ドル" not in lead


def test_a_money_kind_asked_beside_a_count_measure_still_gets_the_amount():
    lead = _lead("その会社が3月に売却したビットコインの量と金額は?", "In March 2025 the miner sold 210 BTC for $18.4 million.")
    assert "210 BTC" in lead and "1,840万ドル" in lead


def test_lengths_of_time_are_written_in_japanese_with_their_qualifier():
    found = [w for _, _, w in durations("It takes more than 400 days to recover, with about 90 days of stock.", "ja")]
    assert found == ["400日超", "約90日"]
    assert durations("a 10-year lease", "ja") == []
    lead = _lead("設備の投資回収には何日かかるか?", "The new machines need more than 1,200 days to pay back their cost.")
    assert "1,200日超" in lead


def test_a_question_asking_no_length_of_time_gets_none():
    assert "日" not in _lead("その会社の売上高はいくらか?", "Revenue was $12.0 million, earned over 90 days of operation.")


def test_an_exchange_ratio_and_a_price_per_share_are_rendered():
    quote = "IREN offered 0.25 IREN share per Core Scientific share, about $11.50 a share."
    q = "IRENによる買収の交換比率と1株あたりの価値は?"
    ratios = [w for _, _, w in exchange_ratios(quote, q, "ja")]
    assert ratios == ["コア・サイエンティフィック1株につきIREN株0.25株"]
    lead = _lead(q, quote)
    assert "1株あたり11.5ドル" in lead and "0.25株" in lead
    assert per_unit(" per PH/s per day", 0, "ja") == "1PH/sあたり1日"


def test_an_amount_written_exactly_then_rounded_is_shown_as_the_document_rounds_it():
    lead = _lead("そのATMプログラムで売却した株式の累計額はいくらか?",
                 "Over the programme the company sold $312,845,100.20 of stock, or about $312.85 million, under its ATM.")
    assert "3億1,285万ドル" in lead and lead.count("ドル") == 1


def test_a_place_the_glossary_writes_in_katakana_is_named_once_in_japanese():
    from rag.answers.lead import gist_terms

    terms = gist_terms("The miner signed a lease at River Bend, Louisiana, next to its Rockdale campus.", "ja")
    assert "リバーベンド" in terms and "ロックデール" in terms
    assert "River Bend" not in terms and "Rockdale" not in terms
    assert "AI" in gist_terms("Miners fund AI capital spending, said an analyst at Brightwater Research.", "ja")


def test_katakana_and_a_latin_name_of_several_words_read_alike_as_a_whole():
    from rag.query.kana import sounds_like

    assert sounds_like("リバーベンド", "River Bend") and sounds_like("パンサー・クリーク", "Panther Creek")
    assert not sounds_like("データセンター", "AI") and not sounds_like("ロックデール", "Corsicana")


def test_a_japanese_place_or_mining_word_reaches_the_english_one_in_the_keyword_query():
    from rag.query.analyze import analyze_query
    from rag.query.vocabulary import keyword_terms

    terms = keyword_terms(analyze_query("コルシカナの拡張を止めた理由と、次の半減期までの日数は?"))
    assert "Corsicana" in terms and "halving" in terms
    assert "underclocked" in keyword_terms(analyze_query("マイナーはアンダークロックしたのか?"))
