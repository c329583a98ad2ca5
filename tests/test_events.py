"""Dated events: dates read from sentences, event clauses with the company as subject, merging, Japanese by rule."""

from __future__ import annotations

from rag.briefing.briefing import _material
from rag.briefing.events import Event, find_date, find_events
from rag.briefing.gather import Sentence
from rag.briefing.japanese import event_ja, format_date
from rag.figures.labels import Mention, label_figures
from rag.schema import Hit

DOCS = {"a": {"doc_name": "a", "doc_type": "note", "period": "2025Q4"},
        "b": {"doc_name": "b", "doc_type": "filing-summary", "period": "2025"}}


def _sentences(doc: str, *texts: str, chunk: str = "") -> list[Sentence]:
    hit = Hit(chunk or f"{doc}-1", doc, 0, " ".join(texts), 1.0, {})
    return [Sentence(t, hit, "en", {}) for t in texts]


def test_dates_skip_background_and_deadlines():
    assert find_date("On 30 December 2025 Riot signed a new agreement.")[0] == "2025-12-30"
    assert find_date("In December it sold a record 1,818 BTC.", year="2025")[0] == "2025-12"
    assert find_date("Riot terminated the agreement it had signed in August 2024.")[0] == ""
    assert find_date("The phase is due for completion in the first quarter of 2027.")[0] == ""
    assert find_date("By the third quarter of 2025 the plan had become construction.")[0] == "2025Q3"
    assert find_date("同社は2026年1月16日に契約を締結した。")[0] == "2026-01-16"


def test_events_merge_across_documents_and_keep_their_order():
    sents = (_sentences("a", "In December 2025 Acme sold 1,818 BTC for $161.6 million.",
                        "Acme's management has described selling bitcoin as a way to limit dilution.")
             + _sentences("b", "On 28 April 2025 Acme ended the hosting contracts with Rhodium.",
                          "In December it sold 1,818 BTC for $161.6 million and opened a new ATM of up to "
                          "$500 million.", "Some coverage presented the $600.53 million as new equity financing.",
                          "It had not signed a single data-centre lease."))
    events = find_events(sents, DOCS, "Acme", [])
    got = [(e.date, e.kind) for e in events]
    assert got == [("2025-04-28", "programme_end"), ("2025-12", "sale"), ("2025-12", "programme_open")]
    sale = events[1]
    assert {s.hit.doc_name for s in sale.sources} == {"a", "b"}  # one event, two sources
    assert sale.sentence.startswith("In December 2025 Acme sold")  # the sentence about this event alone


def test_another_company_as_subject_is_not_an_event():
    sents = _sentences("a", "On 3 November 2025 Microsoft signed a lease with Acme for 200 MW.")
    assert find_events(sents, DOCS, "CleanSpark", ["CLEANSPARK"]) == []


def test_japanese_is_written_from_the_structure():
    (sale,) = find_events(_sentences("a", "In December 2025 Acme sold 1,818 BTC for $161.6 million."), DOCS, "Acme", [])
    assert event_ja(sale, set()) == "2025年12月、1,818 BTCを1億6,160万ドルで売却した。"
    (lease,) = find_events(_sentences("a", "On 16 January 2026 Acme signed a data-centre lease with AMD at Rockdale "
                                           "worth about $311.0 million."), DOCS, "Acme", [])
    ja = event_ja(lease, set())
    assert ja.startswith("2026年1月16日、Rockdaleで") and "AMDと" in ja and "3億1,100万ドル" in ja
    assert (format_date("2025-12-30", "en"), format_date("2025Q3", "ja")) == ("30 Dec 2025", "2025年第3四半期")


def test_coordinated_objects_with_their_own_dates_are_separate_events():
    (sept, dec) = find_events(_sentences("a", "Acme sold 445 BTC for about $48.7 million in September 2025 and 577 BTC "
                                              "for $51.5 million in December 2025, fewer coins than Riot's 1,818 BTC."),
                              DOCS, "Acme", [])
    assert (sept.date, [f["value"] for f in sept.figures]) == ("2025-09", [445, 48_700_000])
    assert (dec.date, [f["value"] for f in dec.figures]) == ("2025-12", [577, 51_500_000])  # not Riot's 1,818


def test_a_longer_verb_of_another_kind_and_a_claim_in_a_later_clause():
    # "agreed" is a lease's verb, but "agreed to buy … acres" is an acquisition.
    (buy,) = find_events(_sentences("a", "On 14 January 2026 Acme agreed to buy 447 acres for a 300 MW load."),
                         DOCS, "Acme", [])
    assert (buy.date, buy.kind) == ("2026-01-14", "acquisition")
    # "(weak source)" qualifies the plan after ", and", not the sale before it; a claim that leads covers all.
    (sale,) = find_events(_sentences("a", "In January 2026 Acme sold about 1,900 BTC for about $175 million, and "
                                          "planned to sell the rest during 2026 (weak source)."), DOCS, "Acme", [])
    assert sale.kind == "sale" and sale.date == "2026-01"
    assert find_events(_sentences("a", "Some outlets reported that in January 2026 Acme sold 1,900 BTC, and bought "
                                       "land."), DOCS, "Acme", []) == []


FILING = {"k": {"doc_name": "k", "doc_type": "10k", "period": "2022"}}


def _filing_events(*texts: str, passage: str = "") -> list:
    hit = Hit("k-1", "k", 0, passage or " ".join(texts), 1.0, {})
    return find_events([Sentence(t, hit, "en", {}) for t in texts], FILING, "Acme", ["ACME"])


def test_a_balance_or_a_described_noun_is_not_an_event():
    assert _filing_events("As of December 31, 2022, we had $490 million of intangible assets related to the trade "
                          "names acquired in business combinations.") == []
    assert _filing_events("During 2022, nonperformance by those divested businesses could affect our results.") == []
    assert _filing_events("On March 27, 2020, a par call allows for the bonds to be redeemed at 100% of the "
                          "principal amount of the notes.") == []
    assert _filing_events("2015 2014 2013 (In millions) Cost of sales $ 2,911 $ 3,667 $ 3,321 Gross margin 1,080 "
                          "1,839 1,978 recorded impairment charge 12 14 16") == []  # a statement's rows
    # "may" is a verb, not the month: the sentence is not dated May.
    assert find_date("Changes may affect the amount of impairment recorded.", year="2022")[0] == ""


def test_a_filing_dates_by_year_and_scales_bare_amounts_or_leaves_the_event_out():
    (e,) = _filing_events("During 2020, we recorded charges on the Tanker program ($1,320 million).")
    assert (e.date, e.kind, e.figures[0]["value"]) == ("2020", "charge", 1_320e6)  # an aside, not a negative
    # "$203" in a note of a filing in millions: without the scale in its passage the figure would read $203.
    assert _filing_events("During the year ended December 31, 2022, we recorded earnings charges of $203 related "
                          "to the trainer contract.") == []
    (e,) = _filing_events("During the year ended December 31, 2022, we recorded earnings charges of $203 related to "
                          "the trainer contract.", passage="(Dollars in millions) During the year ended December 31, "
                          "2022, we recorded earnings charges of $203 related to the trainer contract.")
    assert e.figures[0]["value"] == 203e6
    # a news sentence keeps needing a month: "in 2025" alone does not date it
    assert find_date("Riot sold bitcoin in 2025.", year="2025")[0] == ""


def test_a_filing_acquisition_names_what_was_bought_in_japanese():
    (e,) = _filing_events("On October 9, 2018, we acquired all the outstanding shares of KLX Inc. (KLX).")
    assert (e.date, e.kind) == ("2018-10-09", "acquisition")
    assert "KLX Inc." in event_ja(e, {"ACME"})


def test_a_zero_or_tiny_amount_is_no_event_but_a_sizeable_one_or_none_is():
    def ev(value: float | None, unit: str = "USD") -> Event:
        figs = [] if value is None else [{"value": value, "unit": unit, "metric": ""}]
        return Event("2014", "charge", "AMD", figs, "s", "c")
    events = [ev(0.0), ev(5e6), ev(66e6), ev(None), ev(200, "MW")]
    revenue = [Mention("d", "10k", "Revenue was $4 billion.", fig, "revenue", "2014", False, None, 0)
               for fig, *_ in label_figures("Revenue was $4 billion.")]
    kept = _material(events, [], revenue)
    assert [e.figures[0]["value"] if e.figures else None for e in kept] == [66e6, None, 200]
    # Without a known revenue only a zero amount is routine.
    assert len(_material(events, [], [])) == 4
