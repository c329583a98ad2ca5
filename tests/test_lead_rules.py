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
    assert per_unit(" per coin", 0, "ja") == "1BTCあたり"


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


def test_a_gist_writes_the_japanese_word_for_the_english_term_it_met():
    from rag.answers.lead import gist_terms

    terms = gist_terms("The miner booked a loss on the settlement and moved to quarterly reporting.", "ja")
    assert "和解" in terms and "四半期報告" in terms
    assert "訴訟" not in terms and "月次報告" not in terms
    assert gist_terms("It leases space to AI/HPC tenants.", "ja").count("AI") == 0


def test_a_yes_no_question_gets_no_figure_of_a_measure_it_only_touches():
    from rag.answers.lead import yes_no

    assert yes_no("その会社は月次の生産報告をやめたのか?") and yes_no("Did the miner stop its monthly reports?")
    assert not yes_no("その会社は前月より多く採掘したか?") and not yes_no("その会社は500BTC以上売却しましたか?")
    assert not yes_no("その会社は何BTC採掘したか?")
    assert _lead("その会社は月次の生産報告をやめたのか?", "In May 2025 the miner produced 410 BTC.") == ""


def test_in_a_quote_of_several_periods_the_figure_of_the_period_asked_answers():
    from rag.answers.when import periods_in

    quote = "Annual output of 4,210 BTC compares with 1,020 BTC mined in the second quarter and 330 BTC in March."

    def lead(question: str) -> str:
        return lead_sentence(quote, 1, "ja", "", periods_in(question), asked=lead_measures(question),
                             question=question)

    assert "330 BTC" in lead("2024年3月のビットコイン採掘量は?") and "4,210" not in lead("2024年3月のビットコイン採掘量は?")
    assert "1,020 BTC" in lead("2024年第2四半期のビットコイン採掘量は?")
    assert "330" not in lead("2024年のビットコイン採掘量は?")
    sold = "The miner sold 120 BTC for $9.1 million in June 2024 and 95 BTC for $6.0 million in July 2024."
    ja = lead_sentence(sold, 1, "ja", "", periods_in("2024年7月のビットコイン売却量と金額は?"),
                       asked=lead_measures("2024年7月のビットコイン売却量と金額は?"))
    assert "95 BTC" in ja and "600万ドル" in ja and "120" not in ja


def test_a_figure_takes_the_period_of_its_own_clause_not_a_maturity_or_an_earlier_one():
    from rag.answers.when import periods_in

    def lead(quote: str, question: str) -> str:
        return lead_sentence(quote, 1, "ja", "", periods_in(question), asked=lead_measures(question),
                             question=question)

    notes = "On 3 March 2024 it priced $800 million of convertible notes due 1 June 2030, upsized from $650 million."
    assert "8億ドル" in lead(notes, "2024年3月に発行した転換社債の規模は?")
    aside = "The total dates from a facility opened in May 2023; it is not the March sale of 900 BTC."
    assert "900" not in lead(aside, "2023年5月のビットコイン売却量は?")
    assert "120 BTC" in lead("In June 2024 it sold 120 BTC; in July 2024 it sold 95 BTC.", "2024年6月のビットコイン売却量は?")


def test_a_quote_of_other_measures_states_them_labelled_and_no_unlabelled_figure():
    quote = ("The build needs about $52.0 million of capital expenditure, roughly $2.1 million per MW, and should "
             "earn about $14 million of net operating income a year.")
    lead = _lead("AMDとのリースの契約収益はいくらか?", quote)
    assert "設備投資は5,200万ドル" in lead and "1MWあたり" not in lead and "210万ドル" not in lead


def test_other_amounts_of_the_kind_asked_stay_when_the_quote_states_no_measure_asked():
    quote = "It may borrow up to $2,500,000,000 under the new agreement, replacing a $2,100,000,000 facility."
    lead = _lead("その会社のクレジット契約の枠はいくらか?", quote)
    assert "25億ドル" in lead


def test_a_balance_at_the_years_last_day_is_that_years_and_a_dated_agreement_is_no_period():
    from rag.answers.when import periods_in

    q = "2021年度の売掛金の引当金はいくらか?"
    quote = "Receivables (net of allowances of $41 at December 31, 2021 and $37 at December 31, 2020)"
    assert "41ドル" in lead_sentence(quote, 1, "ja", "", periods_in(q), asked=lead_measures(q), question=q)
    q2 = "2024年6月3日にその会社が終了した契約の枠はいくらか?"
    quote2 = "Effective June 3, 2024, the company terminated the $900,000,000 facility, dated as of June 5, 2021."
    assert "9億ドル" in lead_sentence(quote2, 1, "ja", "", periods_in(q2), asked=lead_measures(q2), question=q2)


def test_a_company_named_as_the_source_is_not_the_figures_owner_and_no_letter_is_a_name():
    from rag.answers.lead import gist_terms, is_source

    assert is_source("JPMorgan counted a 4% fall in network hashrate in March.", "JPMORGAN")
    assert is_source("Network hashrate fell 4%, according to JPMorgan.", "JPMORGAN")
    assert not is_source("JPMorgan cut its forecast for the miner.", "JPMORGAN")
    assert "K" not in gist_terms("According to the 8-K, the build needs retrofit capital.", "ja")


def test_a_japanese_month_is_an_english_month_name_not_a_bare_number_among_the_keywords():
    from rag.query.analyze import analyze_query

    a = analyze_query("2024年3月15日のハッシュプライスはいくらだったか?")
    assert "March" in a.keywords and "3" not in a.keywords and "15" not in a.keywords
    assert "March" not in analyze_query("3か月間の平均はいくらか?").keywords


def test_a_why_question_is_told_the_figures_of_its_reason_whatever_their_measure():
    q = "その会社が2024年2月に採掘拡張を止めたのはなぜか?"
    quote = "In February 2024 the miner stopped a planned 300 MW mining build-out to study AI tenants."
    assert "300 MW" in _lead(q, quote)


def test_a_when_question_is_told_the_dates_of_the_english_quote_in_japanese():
    from rag.answers.lead import dates_in, when_sentence

    quote = "The miner plans to exit mining over 2027–2028 after a deal signed on 4 March 2026."
    assert dates_in(quote, "ja") == ["2027〜2028年", "2026年3月4日"]
    lead = when_sentence(quote, 2, "ja", "その会社はいつマイニングをやめるのか?", "ビットファームズ")
    assert lead.startswith("ビットファームズについて、") and "2027〜2028年" in lead and lead.endswith("[2]。")
    assert when_sentence(quote, 2, "ja", "その会社の売上高は?") == ""


def test_figures_listed_with_their_periods_respectively_keep_the_labellers_period():
    from rag.answers.when import periods_in

    quote = "During 2023, 2022 and 2021, the quarterly cash dividend was $0.61, $0.58 and $0.52 per share, respectively."
    q = "その会社は2023年度第1四半期に配当を支払ったか。"
    assert "0.61ドル" in lead_sentence(quote, 1, "ja", "", periods_in(q), asked=lead_measures(q), question=q)


def test_a_question_asking_how_big_asks_for_figures():
    from rag.answers.lead import LeadAsk, lead_measures

    # None: any figure may answer (a size asked, whatever its unit). The size words were written with backspace
    # characters instead of \b, so "scale" and "size" never matched and such questions got no figure at all.
    assert lead_measures("What is the scale of the new campus?") is None
    assert lead_measures("What size is the site?") is None
    assert lead_measures("Why did the campus open?") == LeadAsk(frozenset(), frozenset(), True)
