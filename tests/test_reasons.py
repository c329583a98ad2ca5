"""Why/how/risk questions are answered by a reason, a means or a risk, not by the event restated.

Pure rules on hand-made passages, with a small bag-of-words embedder standing in for the encoder.
"""

from __future__ import annotations

from rag.answers.extractive import choose_quotes
from rag.answers.qtype import question_wants
from rag.answers.reasons import about_asked, common_words
from rag.schema import Hit
from tests.fakes import WordsEmbedder, note_hit


def _hit(text: str, doc: str = "note", company_key: str = "", n: int = 0) -> Hit:
    return note_hit(text, doc, company_key, n=n)


def test_a_how_question_about_paying_asks_for_the_means():
    wants = question_wants("How is the brewery paying for its new bottling hall?")
    assert "means" in wants.cues
    assert "means" in wants.aspects("The hall is paid for with a mix of bond sales and retained cash.")
    assert "means" in wants.aspects("It bought the plot for $4 million, funding the purchase by selling shares.")
    assert "means" not in wants.aspects("The hall opened in May with 40 staff.")
    assert "means" not in question_wants("How much did the brewery pay for the hall?").cues


def test_a_purpose_clause_is_a_reason_but_a_means_is_not():
    wants = question_wants("Why did the brewery buy the plot?")
    assert "why" in wants.aspects("Owning the plot gives the brewery control of the site for the whole lease.")
    assert "why" in wants.aspects("It issued bonds in July, mainly to buy hops.")
    assert "why" in wants.aspects("It stopped the cellar and hired a consultant to study other uses for it.")
    assert "why" not in wants.aspects("It bought the plot for $4 million, paying for it by selling shares.")


def test_a_reason_must_be_about_what_is_asked():
    common = common_words("Why did Brewco halt the cellar expansion at Oakfield?")
    assert common == ["halt", "cellar", "expansion"]  # Oakfield is a place the question names
    assert about_asked("It halted the cellar expansion to save cash.", common)
    assert not about_asked("The key question is how much stock it sells to fund construction at Oakfield.", common)
    assert not about_asked("In May it sold 20 barrels it had stored in the cellar.", common, need=2)
    assert common_words("醸造所はなぜ拡張を止めたのか") is None


def test_a_why_question_quotes_the_reason_after_the_event_it_restates():
    text = ("In April 2025 Brewco sold 400 barrels of reserve stock for $3.1 million. That was its first sale "
            "since 2023, and the chief executive described such sales as a way to limit borrowing.\n\n"
            "In June 2025 Brewco sold 120 barrels of reserve stock for $0.9 million.")
    picked = choose_quotes("Why does Brewco sell its reserve stock instead of keeping it?", [_hit(text)],
                           WordsEmbedder(), lang="en")
    assert picked.quotes
    assert "a way to limit borrowing" in picked.quotes[0].text
    assert picked.quotes[0].text.startswith("In April 2025 Brewco sold 400 barrels")


def test_a_why_question_adds_the_reason_to_the_event():
    text = ("On 3 March 2025 Brewco bought the 40 acres of land under its Oakfield brewery for $9 million, "
            "funding the purchase with cash.\n\n"
            "Owning the land outright gives Brewco control of the brewery site for the length of its lease.")
    picked = choose_quotes("Why did Brewco buy the land under its Oakfield brewery?", [_hit(text)],
                           WordsEmbedder(), lang="en")
    assert any("gives Brewco control" in q.text for q in picked.quotes)


LEASE = ("# Brewco and Hopfarm: the first supply contract\n\nOn 2 May 2025 Brewco signed its first supply contract, "
         "with Hopfarm, which a later note called a small start.\n\n## Terms\n\n- Volume: 400 tonnes of hops a year.\n"
         "- Term: 8 years.\n- Price: about $2.1 million a year, fixed.\n\n## Reaction\n\n"
         "Analysts called the contract a small start for Brewco.\n")


def test_a_question_asking_the_terms_is_answered_by_the_lines_under_that_heading():
    from rag.answers.qtype import listed_items

    assert listed_items("What are the main terms of Brewco's contract with Hopfarm?") == "terms"
    assert listed_items("What were the headline figures of the year?") == "figures"
    assert listed_items("What is the term of the contract?") == ""
    picked = choose_quotes("What are the main terms of Brewco's contract with Hopfarm?", [_hit(LEASE)],
                           WordsEmbedder(), lang="en")
    assert [q.text.split(":")[0] for q in picked.quotes] == ["Volume", "Term", "Price"]



def test_a_which_companies_question_quotes_each_company_that_fits():
    from rag.answers.extractive import Quote
    from rag.answers.qtype import asks_which_many
    from rag.answers.shapes import each_company

    assert asks_which_many("Which companies are building cellars?") == "companies"
    assert asks_which_many("Which company is largest?") == ""
    scored = [Quote(1, "Alebank's revenue rose 8% in 2025 as brewers expanded.", 0.9, subject="ALEB",
                    aspects=frozenset({"word:brewers"})),
              Quote(1, "Alebank is building a 40-tank cellar at Dover.", 0.8, subject="ALEB",
                    aspects=frozenset({"word:building", "word:cellar"})),
              Quote(2, "Stoutco plans a 25-tank cellar near Reno.", 0.7, subject="STCO",
                    aspects=frozenset({"word:cellar"})),
              Quote(2, "Stoutco is building market share.", 0.6, subject="STCO", aspects=frozenset({"word:building"}))]
    picked = each_company(scored, ["building", "cellar"], set(), 4)
    assert picked is not None
    assert [q.text for q in picked] == ["Alebank is building a 40-tank cellar at Dover.",
                                               "Stoutco plans a 25-tank cellar near Reno."]
    assert each_company(scored[:2], ["building", "cellar"], set(), 4) is None  # one company: no list


def test_a_question_about_trusting_a_figure_is_answered_by_what_is_said_of_its_source():
    wants = question_wants("Which is the reliable figure for the brewery's sales?")
    assert "reliable" in wants.cues
    assert "reliable" in question_wants("Should a reader rely on the $4 million figure?").cues
    assert "reliable" in wants.aspects("Two filings give $3.1 million, so the lower figure is most likely an error.")
    assert "reliable" in wants.aspects("These numbers come from AI-generated pages and are unverified.")
    assert "reliable" not in wants.aspects("The brewery's sales were $3.1 million in 2025.")
    text = ("One blog put the brewery's 2025 sales at $1 million.\n\nThe brewery's own report and two filings give "
            "$3.1 million of sales, so the blog figure is most likely an error.\n\nThe brewery opened in 2019.")
    picked = choose_quotes("Which figures were reported for the brewery's 2025 sales, and which is reliable?",
                           [_hit(text)], WordsEmbedder(), lang="en")
    assert any("most likely an error" in q.text for q in picked.quotes)


def test_what_is_said_of_another_figure_does_not_answer_whether_to_trust_the_one_asked():
    text = ("Two filings give $3.1 million for the lease, so the $1 million figure is most likely an error.\n\n"
            "The brewery opened in 2019 and sells in three states.")
    picked = choose_quotes("Should a reader rely on the $7.5 million sales figure reported for the brewery?",
                           [_hit(text)], WordsEmbedder(), lang="en")
    assert not any("reliable" in q.aspects for q in picked.quotes)


def test_the_other_party_of_a_named_companys_deal_is_not_a_side_to_compare():
    from rag.answers.reasons import counterparties

    assert counterparties("What are the terms of Riot's lease with AMD?", ["RIOT", "AMD"]) == {"AMD"}
    assert counterparties("What condition is IREN's Microsoft contract subject to?", ["IREN", "MICROSOFT"]) == \
        {"MICROSOFT"}
    assert counterparties("Compare Riot's revenue with MARA's in Q3 2025.", ["RIOT", "MARA"]) == set()
    assert counterparties("Who held more bitcoin, CleanSpark or Riot?", ["CLEANSPARK", "RIOT"]) == set()


def test_one_side_of_a_comparison_is_the_sentence_holding_most_of_what_is_compared():
    from rag.answers.extractive import Quote, _side_quote

    scored = [Quote(1, "Google backstops the lease payments.", 0.64, subject="HUT8",
                    aspects=frozenset({"company:HUT8", "word:lease"})),
              Quote(1, "Hut 8 signed a 15-year, 245 MW lease at River Bend.", 0.60, subject="HUT8",
                    aspects=frozenset({"company:HUT8", "word:lease", "word:river", "word:bend"}))]
    q = _side_quote("company:HUT8", scored, [])
    assert q is not None and "River Bend" in q.text


def test_a_place_the_question_names_and_a_denied_event():
    from rag.answers.reasons import denial, proper_names

    assert proper_names("What is the main risk in Riot building cellars at Oakfield?", ["RIOT"]) == ["oakfield"]
    assert proper_names("What did VanEck's June 2026 report find?", []) == ["vaneck"]
    q = "When and with whom did Brewco sign its first supply contract?"
    denies = denial(q, question_wants(q), common_words(q))
    assert denies is not None
    assert denies.search("In May 2025 it had not signed a single supply contract.")
    assert not denies.search("On 2 May 2025 Brewco signed its first supply contract, with Hopfarm.")
    q = "Has Brewco signed a supply contract yet?"
    assert denial(q, question_wants(q), common_words(q)) is None  # there the denial is the answer


def test_who_is_answered_by_a_name_other_than_the_company_asked_about():
    wants = question_wants("With whom did Brewco sign its first supply contract?")
    assert "who" in wants.aspects("Brewco signed it with Hopfarm.")
    assert "who" not in wants.aspects("Between January 2025 and March 2025 it re-planned both sites.")
    assert "who" not in wants.aspects("the first data centre lease was signed in may.")


def test_what_was_done_with_money_is_answered_in_words():
    text = ("In December 2025 Brewco sold reserve stock for $3.1 million.\n\n"
            "An analyst said the sale matched the capital expenditure Brewco had planned for its new cellar.")
    picked = choose_quotes("What did Brewco do with the cash from its December 2025 sale?", [_hit(text)],
                           WordsEmbedder(), lang="en")
    assert any("capital expenditure" in q.text for q in picked.quotes)


def test_a_condition_is_answered_by_what_the_deal_depends_on_even_when_the_sentence_says_it():
    wants = question_wants("What condition is Brewco's supply contract subject to?")
    assert "condition" in wants.cues
    text = ("On 2 May 2025 Brewco signed a supply contract with Hopfarm worth $2.1 million a year.\n\n"
            "A trade paper reported that it depends on Brewco meeting delivery milestones.")
    picked = choose_quotes("What condition is Brewco's supply contract subject to?", [_hit(text)], WordsEmbedder(),
                           lang="en")
    assert any("depends on Brewco meeting delivery milestones" in q.text for q in picked.quotes)


def test_what_is_said_of_another_figure_in_another_section_is_no_word_on_the_one_asked():
    common = common_words("Which figures were reported for the value of the lease, and which is reliable?")
    assert common == ["value", "lease"]


def test_what_a_source_found_is_quoted_with_the_sentences_that_go_on_reporting_it():
    text = ("A HopWatch report from May 2026 found that only about 30% of planned cellars had been built. It "
            "estimated a funding gap of about $2 billion for the sector. Brewers face the same question.\n\n"
            "Brewco opened in 2019.")
    picked = choose_quotes("What did HopWatch's May 2026 report find about cellars and funding?", [_hit(text)],
                           WordsEmbedder(), lang="en")
    assert picked.quotes and "It estimated a funding gap of about $2 billion" in picked.quotes[0].text
    assert "Brewers face the same question" not in picked.quotes[0].text


def test_what_an_analyst_said_about_sales_is_answered_in_words():
    text = ("Together the March and April sales brought in $3.1 million.\n\n"
            "On 6 May 2026 Jane Roe of HopWatch pointed out that the March and April sales matched the cellar budget.")
    picked = choose_quotes("What did Jane Roe say about the March and April sales?", [_hit(text)], WordsEmbedder(),
                           lang="en")
    assert any("Jane Roe" in q.text for q in picked.quotes)
