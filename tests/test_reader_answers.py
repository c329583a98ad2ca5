"""Answers a reader can use: quotes about the company and period asked, qualifiers kept, refusals that hold in
both scripts, Japanese answers for Japanese readers, clean quotes and citations.

The pure rules are tested on hand-made passages; the end-to-end ones on real stores (Chroma and the multilingual
encoder in a temporary directory) with small documents shaped like the corpus.
"""

from __future__ import annotations

import re

import pytest

from rag.answers.answer import answer_question
from rag.answers.attribution import join_wrapped, passage_units
from rag.answers.compose import renumber
from rag.answers.extractive import Quote, clip
from rag.answers.grounding import (
    assess_support,
    mentions,
    missing_companies,
    required_terms,
)
from rag.answers.lead import lead_sentence
from rag.answers.when import When, agreement, periods_in
from rag.retrieval.fusion import diversify
from rag.schema import Citation, Hit, plain_markdown
from tests.fakes import note_hit
from tests.helpers import ingest_notes

PEERS = """# CleanSpark and MARA: two other large miners in 2025

## CleanSpark (NASDAQ: CLSK)

**Bitcoin sales.** CleanSpark sold 577 BTC for $51.5 million in December 2025, fewer coins than Riot's
1,818 BTC that month. At the end of September it held 13,011 BTC.

**Results.** For October–December 2025 (its fiscal first quarter of 2026) revenue was $181.2 million,
up 11.6%, and the net loss was $378.7 million.

## MARA Holdings (NASDAQ: MARA)

In the fourth quarter of 2025 the net loss was about $1.71 billion on revenue of $202.3 million.
In April 2025 MARA sold no bitcoin and held 47,531 BTC.
"""

ATM = """# Riot Platforms' at-the-market equity programmes

Some coverage of Riot's December 2025 bitcoin sale presented the $600.53 million as new equity financing
completed after that sale. The filing does not support this reading. The figure is the lifetime total of a
programme that opened in August 2024.

Riot's quarterly report for January–September 2025 shows only $199.6 million of ATM share sales.
"""


def _hit(text: str, doc: str = "doc", company_key: str = "", period: str = "2025", n: int = 0) -> Hit:
    return note_hit(text, doc, company_key, period, n, title=doc.replace("_", " "))


# ---------------------------------------------------------------- periods


def test_periods_are_month_spans_whatever_the_wording():
    q4 = When(2025, 10, 12)
    for text in ("Q4 2025", "fourth quarter of 2025", "October–December 2025", "October-December 2025",
                 "2025年第4四半期", "2025年10〜12月期"):
        assert periods_in(text) == [q4], text
    assert periods_in("In December 2025 Riot sold") == [When(2025, 12, 12)]
    assert periods_in("2025年12月に売却") == [When(2025, 12, 12)]
    assert agreement([q4], periods_in("sold 1,818 BTC in December 2025")) == 1.0  # December lies in Q4
    assert agreement([q4], periods_in("In April 2025 Riot sold 475 BTC")) == 0.0
    assert agreement([q4], periods_in("Revenue for 2025")) == 0.5  # the year contains the quarter
    assert periods_in("it may rise") == []  # "may" is a verb, not a month


# ---------------------------------------------------------------- attribution


def test_sentences_are_attributed_to_their_company_paragraph_by_paragraph():
    units = passage_units(1, _hit(PEERS, "peers", "CLEANSPARK,MARA"))
    by_text = {u.text.split()[0] + " " + u.text.split()[1]: u for u in units}
    assert by_text["CleanSpark sold"].subject == "CLEANSPARK"
    assert by_text["At the"].subject == "CLEANSPARK"  # no name: the section's company
    assert by_text["For October–December"].subject == "CLEANSPARK"
    assert by_text["In the"].subject == "MARA"
    # a sentence naming another firm as an object ("than Riot's") is still about its subject
    assert "RIOT" in by_text["CleanSpark sold"].named


def test_wrapped_lines_are_joined_and_a_cut_off_sentence_is_not_quoted():
    lines = join_wrapped("Net sales rose because demand\nrecovered in the second half.\n\n"
                         "Net sales 10,208,580 9,876,000\nTotal 1 2")
    assert lines[0] == "Net sales rose because demand recovered in the second half."
    assert "Net sales 10,208,580 9,876,000" in lines
    units = passage_units(1, _hit("continued from the page before. The company sold 1,818 BTC in December.\n"
                                  "For more detail see Note 21 to our"))
    texts = [u.text for u in units]
    assert texts == ["The company sold 1,818 BTC in December."]


def test_a_sentence_is_quoted_with_the_sentence_that_qualifies_it():
    units = passage_units(1, _hit(ATM, "atm", "RIOT", "2025Q4"))
    first = next(u for u in units if u.text.startswith("Some coverage"))
    assert "The filing does not support this reading." in first.quote
    assert "lifetime total" in first.quote  # the correction that follows the denial comes too


def test_a_figure_the_next_sentence_calls_an_error_is_quoted_with_it():
    text = ("One trade blog put the contract at about $12 million. The filing and two wire services all give "
            "about $48.0 million, so the lower figure is most likely an error.\n\nThe plant opens in May.")
    units = passage_units(1, _hit(text, "contract", "ACME", "2025"))
    blog = next(u for u in units if u.text.startswith("One trade blog"))
    assert "most likely an error" in blog.quote and "$48.0 million" in blog.quote
    plant = next(u for u in units if u.text.startswith("The plant"))
    assert plant.quote == "The plant opens in May."  # a plain sentence carries nothing after it


# ---------------------------------------------------------------- refusals


def test_names_are_matched_across_scripts_and_dash_variants():
    hits = [_hit(PEERS, "peers", "CLEANSPARK,MARA")]
    assert missing_companies("ビットディアの2025年第4四半期の売上高は?", hits) == ["ビットディア"]
    assert missing_companies("クリーンスパークの2025年10〜12月期の売上高は?", hits) == []
    assert missing_companies("What was Bitdeer's revenue?", hits) == ["Bitdeer"]
    # typography never makes a name missing: dashes, quotes, full width
    assert mentions("October-December", "For October–December 2025")
    assert mentions("ＣｌｅａｎＳｐａｒｋ", "CleanSpark sold 577 BTC")
    assert "October-December" not in required_terms("What was CleanSpark's revenue for October-December 2025?")
    support = assess_support("What was CleanSpark's revenue for October-December 2025?", hits, [0.4], "en")
    assert support.supported, support.reason
    bitdeer = assess_support("ビットディアの2025年第4四半期の売上高は?", hits, [0.6], "ja")
    assert not bitdeer.supported and "ビットディア" in bitdeer.reason


# ---------------------------------------------------------------- leads and evidence


def test_japanese_lead_states_the_figures_in_japanese_form_with_the_readers_name():
    q = "ライオットは2025年12月に何BTCを売却し、いくら手にしたか?"
    lead = lead_sentence("In December 2025 Riot Platforms sold 1,818 BTC for $161.6 million.", 1, "ja", "ライオット",
                         periods_in(q))
    assert lead.startswith("ライオットの2025年12月の") and lead.endswith("[1]。")
    assert "1億6,160万ドル" in lead and "1,818" in lead and "手取金" in lead and "$" not in lead
    en = lead_sentence("ビットコインマイニング大手の一社が2025年12月に1,818BTCを売却し、一度に1億6,160万ドルを手にしたのだ。", 2,
                       "en", "Riot", periods_in("December 2025"))
    assert "$161.6 million" in en and "1,818 BTC" in en and en.startswith("Riot in Dec 2025") and "[2]" in en


def test_citations_are_renumbered_in_order_of_appearance():
    hits = [_hit(f"passage {i}", f"d{i}", n=i) for i in range(6)]
    new_hits, quotes = renumber(hits, [Quote(5, "a", 1.0), Quote(2, "b", 0.9), Quote(5, "c", 0.8)])
    assert [q.n for q in quotes] == [1, 2, 1]
    assert [h.doc_name for h in new_hits[:2]] == ["d4", "d1"] and len(new_hits) == 6


def test_shown_passages_have_no_markdown_and_long_quotes_end_at_a_clause():
    c = Citation.of(1, _hit("## Where the money goes\n**No tenant yet.** Revenue was $181.2 million."))
    assert c.text == "Where the money goes\nNo tenant yet. Revenue was $181.2 million."
    assert plain_markdown("a **b** and *c*") == "a b and c"
    long = "Riot sold 1,818 BTC, " + "then more words here, " * 30 + "and stopped."
    clipped = clip(long, 120)
    assert clipped.endswith(" …") and len(clipped) <= 122 and not re.search(r"\w …$", clipped.replace(",", ""))[0] == ""


def test_text_notes_spread_by_section_not_by_page():
    rows = {f"c{i}": {"doc_name": "note", "page": 0, "ord": i, "metadata": {"source": "corpus/note.md", "ord": i}}
            for i in range(3)}
    rows |= {f"p{i}": {"doc_name": "filing", "page": 4, "ord": i, "metadata": {"source": "x.pdf", "ord": i}}
             for i in range(2)}
    # a note's second section keeps its place; its third waits like a PDF page's second chunk
    assert diversify(["c0", "c1", "p0", "p1", "c2"], rows) == ["c0", "c1", "p0", "p1", "c2"][:3] + ["p1", "c2"]
    assert diversify(["c0", "c1", "c2", "p0", "p1"], rows) == ["c0", "c1", "p0", "c2", "p1"]


# ---------------------------------------------------------------- end to end (real stores)


@pytest.fixture
def corpus(stores, tmp_path):
    ingest_notes(stores, tmp_path / "peers", {"peers_cleanspark_mara": PEERS}, company="CleanSpark, MARA", period="2025")
    ingest_notes(stores, tmp_path / "atm", {"riot_atm": ATM}, company="Riot Platforms", period="2025Q4")
    ingest_notes(stores, tmp_path / "sales", {"riot_sales": (
        "# Riot Platforms: bitcoin sales\n\nIn December 2025 Riot Platforms sold 1,818 BTC for $161.6 million, an "
        "average of roughly $88,870 per bitcoin.\n\n## Where the money goes\n\nOn 6 January 2026 an analyst "
        "pointed out that the sales roughly matched the capital expenditure Riot had forecast for the first "
        "112 MW at its Corsicana site.")}, company="Riot Platforms", period="2025Q4")
    return stores


def test_a_question_about_one_company_is_not_answered_with_another(corpus):
    a = answer_question("What price did CleanSpark get for the bitcoin it sold in December 2025?", corpus)
    assert a.answerable and "$51.5 million" in a.answer and "$161.6 million" not in a.answer
    m = answer_question("What was MARA's net loss in Q4 2025?", corpus)
    assert "$1.71 billion" in m.answer and "$378.7 million" not in m.answer


def test_a_period_in_another_typography_is_answered(corpus):
    a = answer_question("What was CleanSpark's revenue for October-December 2025?", corpus)
    assert a.answerable and "$181.2 million" in a.answer


def test_the_seed_question_gets_the_sale_and_what_the_money_was_for(corpus):
    a = answer_question("Why did Riot sell bitcoin in December 2025, and what did it do with the money?", corpus)
    assert "1,818 BTC" in a.answer and "$161.6 million" in a.answer and "capital expenditure" in a.answer
    assert re.findall(r"\[(\d+)\]", a.answer)[0] == "1"


def test_a_follow_up_quote_keeps_the_sentence_that_contradicts_it(corpus):
    a = answer_question("Was the $600.53 million new equity financing after the December sale?", corpus)
    assert "The filing does not support this reading." in a.answer


def test_japanese_questions_get_japanese_answers_and_unknown_katakana_names_are_refused(corpus):
    a = answer_question("クリーンスパークは2025年12月にビットコインをいくらで売却したか?", corpus)
    assert a.answerable and "5,150万ドル" in a.answer and "$" not in a.answer
    assert a.evidence and a.evidence[0]["lang"] == "en" and "$51.5 million" in a.evidence[0]["quote"]
    r = answer_question("ビットディアの2025年第4四半期の売上高は?", corpus)
    assert not r.answerable and "ビットディア" in r.reason


def test_a_lead_names_no_period_a_figure_does_not_have():
    from rag.answers.lead import lead_sentence
    from rag.answers.when import periods_in

    asked = periods_in("2025年第3四半期")
    # Two periods in the quote: the annual figure must not be labelled as the asked quarter's.
    lead = lead_sentence("Revenue for 2025 was $647.4 million. In the third quarter of 2025 Riot mined 1,406 BTC.",
                         1, "ja", "ライオット", asked)
    assert "2025年の売上高は6億4,740万ドル" in lead and "7〜9月の売上高" not in lead
    assert "2025年の" in lead_sentence("Bitcoin mined in 2025: 5,686 BTC.", 1, "ja", "ライオット", asked)
    assert "2025年12月" in lead_sentence("In December 2025 Riot Platforms sold 1,818 BTC for $161.6 million.", 1,
                                        "ja", "ライオット", periods_in("2025年12月"))


def test_only_a_question_asking_for_a_quantity_needs_a_figure():
    from rag.answers.extractive import ASKS_QUANTITY

    for asks in ("How much did Riot raise?", "What was Riot's revenue in 2025?", "How many BTC were sold?",
                 "ライオットの売上高はいくらですか?", "売却したビットコインは何枚?"):
        assert ASKS_QUANTITY.search(asks), asks
    for about in ("How did revenue grow?", "Why did revenue fall?", "ライオットはなぜビットコインを売却したのか?"):
        assert not ASKS_QUANTITY.search(about), about


def test_a_question_naming_a_measure_wants_a_sentence_naming_it():
    from rag.answers.qtype import asked_measures, asked_metrics, single_part

    assert set(asked_measures("What dividend per share did Riot pay in 2025?")) == {"dividend"}
    assert set(asked_measures("What hashrate, in EH/s, did Riot have deployed?")) == {"hashrate"}
    assert set(asked_measures("ハット8のリバーベンド拠点の建設費の総額はいくらか?")) == {"construction cost"}
    assert asked_measures("What was Riot's revenue in 2025?") == {}  # a labelled metric: see asked_metrics
    # statement line items the figure rules don't label: a revenue sentence does not state operating income
    assert set(asked_measures("What was Nike's operating income in FY2023?")) == {"operating income"}
    assert set(asked_measures("ナイキの2023年度の営業利益は?")) == {"operating income"}
    assert set(asked_measures("What were total current assets at year end?")) == {"current assets"}
    assert asked_measures("What was the REIT's net operating income?") == {}  # NOI is a labelled metric
    # "did it mine" asks for the bitcoin mined, as the figure rules label it ("mined")
    assert "bitcoin_mined" in asked_metrics("How many bitcoin did Riot mine in February 2026?")
    assert single_part("How many bitcoin did Riot mine in February 2026?")
    assert not single_part("How much bitcoin and cash did Riot hold on 30 September 2025?")
    assert not single_part("ライオットとAMDのリース契約の規模、期間、契約収入は?")


def test_a_figure_question_is_not_answered_by_another_spans_figure():
    from rag.answers.attribution import passage_units
    from rag.answers.extractive import _period_fit

    units = passage_units(1, _hit("Bitcoin mined in 2025: 5,686 BTC. The company mined 1,406 BTC in the third "
                                  "quarter of 2025. MARA's revenue for July–September 2025 was $252.4 million."))
    year, quarter, mara = units
    q3, full = periods_in("Q3 2025"), periods_in("2025")
    assert _period_fit(year, q3, {"count"}, strict=True) is None  # the year's figure, for a quarter asked
    assert _period_fit(quarter, q3, {"count"}, strict=True) == 1.0
    assert _period_fit(mara, full, {"currency"}, strict=True) is None  # a quarter's revenue, for the year asked
    assert _period_fit(mara, full, {"currency"}) == 0.3  # "How did revenue develop in 2025?": still a clue
    heading = passage_units(1, _hit("## Third quarter 2025\nThe company mined 1,406 BTC in the quarter."))[0]
    assert _period_fit(heading, full, {"count"}, strict=True) is None  # under a quarter's heading, for the year
    assert _period_fit(heading, q3, {"count"}, strict=True) is not None


def test_japanese_quotes_count_the_questions_own_words():
    from rag.answers.extractive import ja_coverage

    q = "記事が指摘する、データセンター拡張に伴うリスクは何か?"
    assert ja_coverage(q, "新設されたデータセンターが遊休資産となる可能性は高く、隠れたリスクとなる。") >= 0.5
    assert ja_coverage(q, "Newly built data centers face a hidden risk.") == 0.0
    assert ja_coverage(q, "ライオットは2025年12月に1,818BTCを売却した。") == 0.0


def test_measures_the_passages_never_state_are_refused(corpus):
    for asked in ("What dividend per share did Riot Platforms pay in 2025?",
                  "What interest rate does CleanSpark pay on its credit lines?",
                  "How many bitcoin did Riot mine in December 2025?",
                  "What was Riot's operating income in 2025?"):  # was answered with its revenue
        a = answer_question(asked, corpus)
        assert not a.answerable, (asked, a.answer)
    a = answer_question("How many bitcoin did Riot sell in December 2025?", corpus)
    assert a.answerable and "1,818 BTC" in a.answer


def test_a_japanese_lead_names_the_key_terms_of_an_english_quote():
    from rag.answers.lead import gist_sentence

    quote = "In January Riot halted the planned mining expansion at Corsicana and hired Altman Solon to study the site."
    lead = gist_sentence(quote, 1, "ja", "", "ライオットはコルシカナで何を止めたか?")
    assert lead.endswith("[1]。") and "ライオット" in lead and "コルシカナ" in lead and "Altman Solon" in lead
    assert "In" not in lead.split("、")  # a sentence's first word is no name
    assert gist_sentence("Mining used to be simple.", 2, "ja", "", "") in ("", "原文はマイニングに触れています [2]。")


def test_a_table_amount_takes_the_tables_scale_or_is_dropped():
    from rag.answers.lead import table_scale

    assert table_scale("Consolidated results (in millions, except per share)\n| Revenue | $12,662 |") == 1e6
    assert table_scale("| Revenue | $12,662 |") is None
    assert table_scale("(in thousands) ... (in millions)") is None  # two scales: unsettled
    assert "126億6,200万ドル" in lead_sentence("| Revenue | $12,662 |", 1, "ja", "", [], table=True, scale=1e6)
    assert "12,662" not in lead_sentence("| Revenue | $12,662 |", 1, "ja", "", [], table=True, scale=None)


def test_a_comparison_quotes_each_company_or_says_which_side_is_missing():
    from rag.answers.compose import missing_note
    from rag.answers.extractive import _select
    from rag.answers.qtype import question_wants

    wants = question_wants("Compare CleanSpark and Riot")
    riot = Quote(1, "Riot held 19,287 BTC.", 0.9, subject="RIOT", aspects=frozenset({"company:RIOT"}))
    filler = Quote(1, "Riot mined 460 BTC.", 0.85, subject="RIOT", aspects=frozenset({"company:RIOT", "word:x"}))
    clsk = Quote(3, "CleanSpark held 13,011 BTC.", 0.3, subject="CLEANSPARK", aspects=frozenset({"company:CLEANSPARK"}))
    picked = _select([riot, filler, clsk], wants, [], {"RIOT", "CLEANSPARK"}, [], 3, 1,
                     ["company:CLEANSPARK", "company:RIOT"])
    assert clsk in picked.quotes and not picked.missing  # far below the best quote, in a third passage: still quoted
    alone = _select([riot, filler], wants, [], {"RIOT", "CLEANSPARK"}, [], 3, 2, ["company:CLEANSPARK", "company:RIOT"])
    assert alone.missing == ["CLEANSPARK"]
    assert "クリーンスパーク" in missing_note(alone.missing, "クリーンスパークとライオットを比べて", "ja")


def test_a_sentence_saying_none_answers_how_many():
    from rag.answers.extractive import stated_kinds

    assert stated_kinds("Riot did not sell any bitcoin in March 2025.", {"count"}) == {"count"}
    assert stated_kinds("In December 2025 it had no tenants at all.", {"count"}) == {"count"}
    assert stated_kinds("Riot kept building at Corsicana.", {"count"}) == set()
    assert stated_kinds("Riot did not sell any bitcoin.", {"currency"}) == set()  # none is a count, not an amount


def test_unlisted_katakana_names_match_only_as_written_or_by_sound():
    from rag.answers.grounding import unmatched_katakana_names

    hits = [Hit("c", "d", 0, "Activist Starboard Value wrote to Riot. スターボード・バリューは書簡を送った。", 1.0, {})]
    assert unmatched_katakana_names("グリーニッジ・ジェネレーションの採掘量は?", hits) == ["グリーニッジ・ジェネレーション"]
    assert unmatched_katakana_names("スターボードバリューは何を求めたか?", hits) == []  # dots aside, written so
    assert unmatched_katakana_names("コア・サイエンティフィックのリスクは?", hits) == []  # listed: judged elsewhere
    said = [Hit("c", "d", 0, "In January 2026 VanEck's Matthew Sigel said miners sold. It borrowed from Morgan "
                "Stanley.", 1.0, {})]
    assert unmatched_katakana_names("マシュー・シーゲルは何と述べたか?", said) == []
    assert unmatched_katakana_names("モルガン・スタンレーからいくら借りたか?", said) == []
    # every part must sound like a written name: one part matching is not the name
    assert unmatched_katakana_names("マシュー・ペリーは何と述べたか?", said) == ["マシュー・ペリー"]
    assert unmatched_katakana_names("ゴールドマン・サックスからいくら借りたか?", said) == ["ゴールドマン・サックス"]


def test_katakana_and_latin_names_reduce_to_one_sound_skeleton():
    from rag.query.kana import kana_skeleton, latin_skeleton

    for kana, latin in [("モルガン", "Morgan"), ("スタンレー", "Stanley"), ("シーゲル", "Sigel"), ("マシュー", "Matthew"),
                        ("ヴァンエック", "VanEck"), ("ビットディア", "Bitdeer")]:
        assert kana_skeleton(kana) == latin_skeleton(latin), (kana, latin)
    assert kana_skeleton("モルガン") != latin_skeleton("Microsoft")


def test_how_much_power_with_an_adjective_asks_a_quantity_not_money():
    from rag.answers.kinds import asked_kinds

    assert asked_kinds("How much approved power does Riot report across its two Texas sites?") == {"count"}
    assert asked_kinds("How much did Riot raise in December 2025?") == {"currency"}


def test_a_measure_narrowed_by_a_word_the_question_lacks_is_a_part_of_it():
    from rag.answers.extractive import _only_qualified
    from rag.answers.qtype import asked_metrics

    q = "What were Core Scientific's Q3 2025 revenue and net loss?"
    metrics = asked_metrics(q)
    assert _only_qualified("Colocation revenue was $15.0 million; self-mining revenue was $57.4 million.", q, metrics)
    assert not _only_qualified("Revenue was $81.1 million, down from $95.4 million.", q, metrics)
    assert not _only_qualified("Its total revenue was $81.1 million.", q, metrics)
    asks_part = "What was Core Scientific's colocation revenue?"
    assert not _only_qualified("Colocation revenue was $15.0 million.", asks_part, asked_metrics(asks_part))


def test_a_follow_up_asks_its_own_measure_and_moving_on_drops_the_earlier_period():
    from rag.answers.extractive import asked_text
    from rag.query.analyze import as_analysis

    joined = as_analysis("Did Core Scientific sell bitcoin in January 2026? After that, how much did it borrow?")
    text, wanted = asked_text(joined, "After that, how much did it borrow?")
    assert text == "After that, how much did it borrow?" and wanted == []
    _, kept = asked_text(joined, "how much did it borrow?")
    assert kept == periods_in("January 2026")  # no move in time: the earlier question's period still holds
    plain = as_analysis("How much did Riot raise in 2025?")
    assert asked_text(plain, plain.text) == (plain.text, periods_in("2025"))


# ---------------------------------------------------------------- several parts, cross-language words, periods


def test_question_parts_split_clauses_not_scene_setting():
    from rag.answers.qtype import question_parts

    assert question_parts("How large was the facility, and what did it replace?") == [
        "How large was the facility", "what did it replace"]
    assert question_parts("ロックデールの土地取得の価格と、その資金として売却したビットコインの量は?") == [
        "ロックデールの土地取得の価格", "その資金として売却したビットコインの量は"]
    # 記事によると、 sets the scene; と比べ compares; a single question has no parts
    assert question_parts("記事によると、同社の資金調達の総額はいくらか?") == []
    assert question_parts("What was MARA's fourth-quarter 2025 result?") == []


def test_japanese_question_words_meet_english_sentence_through_vocabulary():
    from rag.answers.grounding import cross_coverage, question_words

    terms = question_words("ライオットがホスティング契約の解消で計上した損失はいくらか?")
    hit, known = cross_coverage(terms, "Riot booked a $158.1 million loss after it terminated the hosting contract.")
    miss, _ = cross_coverage(terms, "Revenue rose in the quarter.")
    assert hit > miss and hit >= 0.5 and 0 < known <= 1


def test_hyphenated_quarter_takes_its_year():
    assert periods_in("third-quarter 2025 revenue of $180.2 million") == [When(2025, 7, 9)]
    assert periods_in("fourth-quarter 2025 result") == [When(2025, 10, 12)]


def test_a_lead_states_only_figures_of_the_measure_asked():
    from rag.answers.lead import lead_measures

    sentence = ("In December 2025 Riot sold 1,818 BTC for $161.6 million, roughly the capex forecast for the first "
                "112 MW phase at Corsicana.")
    # a why question asks for no figure: the lead states none (its key terms are named by the gist instead)
    assert lead_sentence(sentence, 1, "ja", "ライオット", [], asked=lead_measures(
        "VanEckのシーゲルは、なぜマイナーがビットコインの売り手になったと述べたのか?")) == ""
    # a question about the proceeds: the capacity is not stated, the proceeds are
    lead = lead_sentence(sentence, 1, "ja", "ライオット", [], asked=lead_measures("ライオットのビットコイン売却の金額はいくらか?"))
    assert "1億6,160万ドル" in lead and "MW" not in lead
    # a question asking a quantity without naming its measure still gets every figure
    assert lead_measures("How big was it?") is None


def test_a_japanese_questions_focus_noun_is_the_measure_asked():
    from rag.answers.qtype import asked_metrics

    assert set(asked_metrics("ビットコインを売却したライオットの手取金はいくらか?")) == {"proceeds"}
    # without a question word after は, every measure named counts
    assert {"bitcoin_sold", "revenue"} <= set(asked_metrics("ビットコイン売却後のライオットの売上高は?"))


def test_a_why_question_prefers_a_sentence_giving_a_reason():
    from rag.answers.qtype import question_wants

    wants = question_wants("Why did miners become large sellers of bitcoin?")
    assert "why" in wants.aspects("Miners became large sellers of bitcoin, as they fund AI capital spending.")
    assert "why" not in wants.aspects("Miners became large sellers of bitcoin in 2025.")


def test_a_long_context_sentence_is_shortened_not_the_sentence_quoted():
    from rag.answers.attribution import QUOTE_LIMIT, Unit

    own = "He added that miners have become large sellers of bitcoin, as they fund AI capital spending."
    unit = Unit(1, own, prefix="On 6 January 2026 an analyst said " + "many things about the sales " * 15 + "in Texas.")
    assert unit.quote.endswith(own) and len(unit.quote) <= QUOTE_LIMIT and " … " in unit.quote


def test_names_keep_their_last_letters_and_lose_a_possessive():
    from rag.answers.lead import _names_in

    names = [n for _, n in _names_in("The lease went to Starboard Value's Business Airplanes unit in Texas.")]
    assert "Starboard Value Business Airplanes" in names and "Texas" in names


def test_a_period_to_date_is_its_months():
    assert periods_in("in the first nine months of 2025") == [When(2025, 1, 9)]
    assert periods_in("for the six months ended June 30, 2024") == [When(2024, 1, 6)]
    # a span reaching into the year before is not read as part of one year
    assert periods_in("twelve months ended March 31, 2025") != [When(2025, 1, 3)]


def test_things_joined_by_and_are_each_asked_for():
    from rag.answers.qtype import conjoined_words

    assert conjoined_words("What are the size and commission of the new ATM?") == ["size", "commission"]
    assert conjoined_words("How much did it sell?") == []


def test_a_sentence_naming_no_company_is_about_its_sections_company():
    text = ("2025年7月、コアウィーブは約90億ドルの全株式による買収で合意した。否決後も同社はコアウィーブの貸し手であり続け、"
            "コアウィーブは12年間で約100億ドルを支払う。顧客が1社に集中している点がリスクとされる。\n## 次の節\n")
    hit = Hit("c1", "note", 0, text, 1.0, {"company": "Core Scientific", "doc_type": "note"}, {})
    units = passage_units(1, hit, heading="コア・サイエンティフィック")
    by_text = {u.text[:6]: u.subject for u in units}
    assert by_text["顧客が1社に"] == "CORESCIENTIFIC"
    assert by_text["2025年7"] == "COREWEAVE"  # a sentence naming a company is about it


def test_a_notes_figures_are_not_dated_by_when_the_note_was_written():
    hit = Hit("c1", "note", 0, "The site has 1 GW of power approved, of which 400 MW was used for mining.\n",
              1.0, {"company": "Riot Platforms", "doc_type": "note", "period": "2026Q1"}, {})
    assert passage_units(1, hit)[0].context_periods == ()
    filing = Hit("c2", "10q", 0, hit.text, 1.0, {"company": "Riot Platforms", "doc_type": "10q", "period": "2026Q1"}, {})
    assert passage_units(1, filing)[0].context_periods == (When(2026, 1, 3),)


def test_a_question_the_text_asks_is_not_quoted_and_an_intention_is_a_reason():
    from rag.answers.extractive import _long_enough
    from rag.answers.qtype import question_wants

    assert not _long_enough("見事な数字に見えるだろうか。")
    assert not _long_enough("Is this really a record sale for the miner?")
    assert _long_enough("財務報告のやり方も変わり、従来の月次報告から四半期ごとの報告へと移行した。")
    wants = question_wants("Why have miners changed how they report?")
    assert "why" in wants.aspects("Reporting shifted to quarterly updates with a clear intention: emphasizing growth.")


def test_a_short_japanese_verdict_is_quoted_with_the_sentence_spelling_it_out():
    text = "かつてマイニング企業の経営は単純だった。採掘し、コインを持ち続け(ホドルし)、値上がりを待つ。いまやルールは変わった。\n## 次\n"
    hit = Hit("c1", "news", 0, text, 1.0, {"doc_type": "news"}, {})
    first = passage_units(1, hit)[0]
    assert first.quote.endswith("値上がりを待つ。") and "ルール" not in first.quote


def test_a_when_question_wants_a_date_it_does_not_give_and_gets_the_sentence_dating_the_event():
    from rag.answers.extractive import _dated_by_next
    from rag.answers.qtype import question_wants

    wants = question_wants("Before its April 2025 sale, when had Riot last sold bitcoin?")
    assert "when" in wants.cues
    assert "when" not in wants.aspects("In April 2025 Riot sold 475 BTC for $38.8 million.")
    assert "when" in wants.aspects("That was its first sale since January 2024.")
    # a subordinate "when" asks for no time
    assert "when" not in question_wants("How much capacity was left unused when Riot ended its ATM?").cues
    assert "when" in question_wants("フェーズ1の請求はいつ始まったか?").cues
    text = ("In April 2025 Riot sold 475 BTC for $38.8 million against 463 BTC mined that month. "
            "That was its first sale since January 2024, and the chief executive explained it.\n## Next\n")
    units = passage_units(1, Hit("c1", "note", 0, text, 1.0, {"doc_type": "note"}, {}))
    best = Quote(1, units[0].quote, 1.0, aspects=frozenset({"word:april"}))
    merged = _dated_by_next([best], units, wants)[0]
    assert merged.text.startswith("In April 2025") and "since January 2024" in merged.text
    # a question that asks no time keeps the quote as it is
    assert _dated_by_next([best], units, question_wants("How many bitcoin did Riot sell?"))[0] is best


def test_a_sentence_splitting_a_quoted_total_into_parts_is_quoted_too():
    from rag.answers.extractive import _breaks_down

    chosen = [Quote(1, "Share sales and borrowing provided most of the $443.8 million of financing.", 1.0)]
    parts = ("Financing activities brought in $443.8 million, of which $200.0 million came from a credit facility "
             "and $199.6 million from share sales.")
    assert _breaks_down(parts, chosen)
    assert not _breaks_down(parts, [Quote(1, "Revenue was $180.2 million.", 1.0)])  # no quoted total
    # "including" before words, not parts of a figure
    assert not _breaks_down("Some coverage, including the article, presented the $443.8 million as new money.",
                            chosen)


def test_a_japanese_questions_focus_and_qualified_measure_words_decide_the_metric_asked():
    from rag.answers.qtype import asked_metrics

    # the loss is asked, not the contract it came from
    assert asked_metrics("ライオットがRhodiumとのホスティング契約の解消で計上した損失はいくらか?") == {}
    # 「採掘コスト」 is a cost, not the bitcoin mined
    assert "bitcoin_mined" not in asked_metrics("ライオットの1BTCあたり採掘コストはどう変化したか?")
    assert "bitcoin_mined" in asked_metrics("ライオットの2025年の採掘量はいくらか?")
    assert "bitcoin_mined" in asked_metrics("How many bitcoin did Riot mine in February 2026?")


def test_a_japanese_questions_focus_is_read_in_english_by_its_head_noun():
    from rag.answers.qtype import focus_words

    loss = focus_words("ライオットがRhodiumとのホスティング契約の解消で計上した損失はいくらか?")
    assert loss is not None and loss.search("Riot booked a $158.1 million loss on the settlement.")
    cost = focus_words("ライオットの1BTCあたり採掘コストはどう変化したか?")
    assert cost is not None and cost.search("its cost to mine one bitcoin rose") and not cost.search("it mined 1,406 BTC")
    assert focus_words("What was the loss?") is None
