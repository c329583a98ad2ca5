"""Figure and citation checks against passages, and the bilingual glossary."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.figures.format import format_figure
from rag.figures.glossary import load_glossary, lookup, term, translate_label
from rag.figures.parse import parse_figures
from rag.figures.verify import (
    FigureReport,
    check_figures,
    parse_citations,
    strip_unknown_citations,
    tolerance,
)

SEED = ("A leading Bitcoin mining company sold 1,818 BTC in December 2025, raising $161.6 million in one go. "
        "The company subsequently completed equity financing exceeding $600 million, reaching a total of "
        "$600.53 million.")
AMD = ("Year Ended | December 31, | 2022 | December 25, | 2021 | (In millions) | Net revenue: | Data Center | $ | "
       "6,043 | $ | 3,694 | Client | 6,201 | 6,887 | Total net revenue | $ | 23,601 | $ | 16,434")
NOTE_JA = "同社は2025年12月に1,818BTCを1億6,160万ドルで売却した。売上高は前年同期比18％増えた。"
JA_TABLE = "連結損益計算書(単位:百万円) 売上高 | 1,234,567 | 1,100,200 | 営業利益 | 98,765 | △1,020"

PASSAGES = [
    {"n": 1, "text": SEED, "doc_name": "seed", "page": 0, "chunk_id": "seed-0"},
    {"n": 2, "text": AMD, "doc_name": "AMD_2022_10K", "page": 56, "chunk_id": "amd-56"},
    {"n": 3, "text": NOTE_JA, "doc_name": "ja_note", "page": 0, "chunk_id": "ja-0"},
    {"n": 4, "text": JA_TABLE, "doc_name": "toyo_2024", "page": 3, "chunk_id": "toyo-3"},
]


def verdict(text: str, passages=PASSAGES) -> dict[str, bool]:
    report = check_figures(text, passages)
    return {**{f.raw: True for f in report.supported}, **{f.raw: False for f in report.unsupported}}


@pytest.mark.parametrize(("answer", "supported"), [
    ("Riot sold 1,818 BTC [1].", True),
    ("Riot sold 1,881 BTC [1].", False),
    ("It raised $161.6 million [1].", True),
    ("It raised $161,600,000 [1].", True),
    ("It raised about $160 million [1].", True),  # rounded
    ("It raised $16.16 million [1].", False),  # wrong scale
    ("It raised $161.6 billion [1].", False),
    ("The equity raise totalled $600.53 million [1].", True),
    ("The equity raise totalled $600.5 million [1].", True),
    ("The equity raise totalled $605.3 million [1].", False),
    ("The equity raise totalled 161.6% [1].", False),  # wrong unit
    ("Data center revenue was $6.0 billion [2].", True),  # table in millions, rounded
    ("Data center revenue was $6,043 million [2].", True),
    ("Data center revenue was $6.1 billion [2].", False),
    ("Total net revenue was $23.6 billion [2].", True),
    ("Total net revenue was $23.6 million [2].", False),
    ("Total net revenue was 23,601 [2].", True),
    ("売却額は1億6,160万ドルだった[1]。", True),  # Japanese figure, English passage
    ("売却額は1億6,000万ドルだった[1]。", True),
    ("売却額は16億1,600万ドルだった[1]。", False),
    ("株式による資金調達は6億53万ドルに達した[1]。", True),
    ("データセンター売上高は60億ドルだった[2]。", True),
    ("データセンター売上高は61億ドルだった[2]。", False),
    ("The company sold bitcoin for $161.6 million [3].", True),  # English figure, Japanese passage
    ("Sales grew 18% [3].", True),
    ("Sales grew 18.4% [3].", False),  # more precise than the source
    ("Sales grew 19% [3].", False),
    ("売上高は1兆2,346億円だった[4]。", True),  # 百万円 table
    ("売上高は1兆2,000億円だった[4]。", True),  # 1.2 trillion, rounded
    ("売上高は1兆3,000億円だった[4]。", False),
    ("Operating income was ¥98.8 billion [4].", True),
    ("営業利益は9,877億円だった[4]。", False),
])
def test_figures_against_passages(answer: str, supported: bool) -> None:
    result = verdict(answer)
    assert len(result) == 1, result
    assert list(result.values()) == [supported]


def test_negative_in_table_supports_a_loss_stated_positively() -> None:
    assert verdict("The segment lost ¥1,020 million [4].") == {"¥1,020 million": True}
    assert verdict("その他の損失は△1,020百万円 [4]。") == {"△1,020百万円": True}


def test_years_citations_and_small_list_numbers_are_not_checked() -> None:
    report = check_figures("In 2025 (FY2025, Item 7) two steps: 1. sell, 2. build [1][3].", PASSAGES)
    assert report.supported == [] and report.unsupported == [] and report.ok


def test_cited_passage_is_preferred_and_recorded() -> None:
    report = check_figures("Riot sold 1,818 BTC [3]. It raised $161.6 million [2].", PASSAGES)
    first, second = report.supported
    assert first.matched.n == 3 and first.cited_ok is True and first.cited == [3]
    assert first.matched.doc_name == "ja_note" and "1,818BTC" in first.matched.text
    assert second.matched.n == 1 and second.cited_ok is False  # found, but not where it says
    assert report.ok


def test_markers_after_the_full_stop_and_on_the_line_count() -> None:
    text = "Riot sold 1,818 BTC.[3]\nThe sale raised $161.6 million.\n\"$600.53 million\" [1]"
    report = check_figures(text, PASSAGES)
    assert [f.cited_ok for f in report.supported] == [True, False, True]
    assert [f.cited for f in report.supported] == [[3], [], [1]]
    report = check_figures("Riot sold 1,818 BTC. It raised $161.6 million [1].", PASSAGES)
    assert [f.cited_ok for f in report.supported] == [True, True]  # same line


def test_answer_level_citations_as_fallback() -> None:
    report = check_figures("Riot sold 1,818 BTC.", PASSAGES, cited={1: PASSAGES[0]})
    assert report.supported[0].cited_ok is True


def test_bad_citations_make_the_report_not_ok() -> None:
    report = check_figures("Riot sold 1,818 BTC [1][7].", PASSAGES)
    assert report.bad_citations == [7] and not report.ok
    assert report.to_dict()["ok"] is False and report.to_dict()["bad_citations"] == [7]


def test_plain_strings_and_mappings_as_passages() -> None:
    assert check_figures("Riot sold 1,818 BTC [2].", ["nothing here", SEED]).supported[0].matched.n == 2
    assert check_figures("Riot sold 1,818 BTC [5].", {5: SEED}).supported[0].cited_ok is True
    report = check_figures("Riot sold 1,818 BTC [1].", [])
    assert report.unsupported[0].matched is None and report.bad_citations == [1]


def test_hits_and_keyed_dicts_as_passages() -> None:
    from rag.schema import Hit

    hit = Hit(chunk_id="c9", doc_name="riot_q4", page=2, text=SEED, score=1.0, metadata={})
    matched = check_figures("売却額は1億6,160万ドルだった。[1]", [hit]).supported[0].matched
    assert (matched.n, matched.doc_name, matched.page, matched.chunk_id) == (1, "riot_q4", 2, "c9")
    report = check_figures("Riot sold 1,818 BTC [4].", {4: {"n": 1, "text": SEED}})
    assert report.ok and report.supported[0].matched.n == 4  # the key numbers it


def test_report_dict_shape() -> None:
    report = check_figures("It raised $161.6 million and $999 million [1].", PASSAGES)
    assert isinstance(report, FigureReport) and not report.ok
    out = report.to_dict()
    assert set(out) == {"supported", "unsupported", "bad_citations", "ok"}
    assert set(out["unsupported"][0]) >= {"raw", "value", "unit", "matched", "cited_ok"}
    assert out["unsupported"][0]["raw"] == "$999 million" and out["unsupported"][0]["value"] == 999e6


def test_tolerance_follows_the_written_precision() -> None:
    def tol(text: str) -> float:
        return tolerance(parse_figures(text)[0])

    assert tol("$161.6 million") == pytest.approx(5e4)
    assert tol("$160 million") == pytest.approx(5e6)
    assert tol("1億6,000万ドル") == pytest.approx(5e6)
    assert tol("$2 billion") == pytest.approx(2e8)  # one significant digit: at most 10%
    assert tol("18%") == pytest.approx(0.5)


def test_parse_citations() -> None:
    assert parse_citations("a [1] b [2][3] c [4, 5] d [6-8] e ［9］") == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert parse_citations("the year [2024] and [in millions]") == []


def test_strip_unknown_citations() -> None:
    text, removed = strip_unknown_citations("A [1][7]. B [2, 7]. C [8].", {1, 2})
    assert text == "A [1]. B [2]. C." and removed == [7, 8]
    assert strip_unknown_citations("fine [1]", {1}) == ("fine [1]", [])


@settings(max_examples=150, deadline=None)
@given(value=st.builds(lambda m, e: m * 10.0**e, st.floats(1.0, 9.999), st.integers(0, 12)),
       unit=st.sampled_from(["USD", "JPY", "%", "BTC", "MW", "shares"]),
       source_lang=st.sampled_from(["en", "ja"]), answer_lang=st.sampled_from(["en", "ja"]))
def test_a_figure_restated_in_either_language_is_supported(value, unit, source_lang, answer_lang) -> None:
    shown = format_figure(value, unit, source_lang)
    passage = f"The value reported was {shown} in the period."
    (source,) = parse_figures(shown)  # the answer restates what the passage says, perhaps rounding it
    answer = f"The value was {format_figure(source.value, unit, answer_lang)} [1]."
    report = check_figures(answer, [passage])
    assert report.ok and report.supported[0].cited_ok, (passage, answer)


@settings(max_examples=150, deadline=None)
@given(value=st.builds(lambda m, e: m * 10.0**e, st.floats(1.0, 9.999), st.integers(0, 12)),
       unit=st.sampled_from(["USD", "JPY", "BTC", "MW"]), lang=st.sampled_from(["en", "ja"]))
def test_a_figure_off_by_ten_percent_is_unsupported(value, unit, lang) -> None:
    passage = f"The value reported was {format_figure(value, unit, 'en')}."
    answer = f"The value was {format_figure(value * 1.1, unit, lang)} [1]."
    assert not check_figures(answer, [passage]).ok


# --- glossary -------------------------------------------------------------------------------

def test_glossary_terms() -> None:
    glossary = load_glossary()
    assert len(glossary) >= 80
    assert term("revenue", "ja") == "売上高" and term("net_income", "ja") == "純利益"
    assert term("capex", "ja") == "設備投資" and term("idle_capacity", "ja") == "遊休設備"
    assert all(entry["en"] and entry["ja"] for entry in glossary.values())


def test_glossary_unknown_key_says_what_to_do() -> None:
    with pytest.raises(KeyError, match="add it to rag/data/glossary.json"):
        term("no_such_term", "ja")


@pytest.mark.parametrize(("label", "lang", "out"), [
    ("Net sales", "ja", "売上高"),
    ("Total revenues (in millions)", "ja", "売上高"),
    ("Capital expenditures", "ja", "設備投資"),
    ("Free cash flow", "ja", "フリーキャッシュフロー"),
    ("ATM offering", "ja", "ATM(市場価格での)株式売出し"),
    ("純利益", "en", "Net income"),
    ("遊休設備", "en", "Idle capacity"),
    ("Something else", "ja", "Something else"),
])
def test_translate_label(label: str, lang: str, out: str) -> None:
    assert translate_label(label, lang) == out


def test_glossary_preferred_wordings_are_unambiguous() -> None:
    for key, entry in load_glossary().items():
        assert lookup(entry["en"]) == key and lookup(entry["ja"]) == key, key


SALES = "Net sales were $5,020 million in 2023 and $4,911 million in 2022; net PP&E was $1,150 million."


@pytest.mark.parametrize(("text", "how"), [
    ("Fixed asset turnover was 4.37 ($5,020 million / $1,150 million) [1].", "$5,020 million / $1,150 million"),
    ("Sales grew 2.2% from $4,911 million to $5,020 million [1].", "($5,020 million − $4,911 million) / $4,911 million"),
    ("Sales rose by $109 million, from $4,911 million to $5,020 million [1].", "$5,020 million − $4,911 million"),
])
def test_a_figure_derived_from_supported_figures_is_computed(text, how):
    report = check_figures(text, [SALES])
    assert report.ok
    derived = [f for f in report.supported if f.computed]
    assert len(derived) == 1 and derived[0].derivation == how


@pytest.mark.parametrize("text", [
    "Fixed asset turnover was 4.52 ($5,020 million / $1,150 million) [1].",  # not what the figures give
    "Sales grew 3.1% from $4,911 million to $5,020 million [1].",
    "Fixed asset turnover was 4.37 [1].",  # no working shown and no calculation passage: nothing to derive it from
])
def test_an_invented_figure_is_still_flagged(text):
    report = check_figures(text, [SALES])
    assert not report.ok and not any(f.computed for f in report.supported)


def test_a_figure_from_a_calculation_passage_is_computed():
    calc = {"n": 2, "text": "ACME's fixed asset turnover in FY2023 was 4.37 (revenue / average PP&E) [1].",
            "chunk_id": "calculation:fixed_asset_turnover"}
    report = check_figures("Fixed asset turnover was 4.37 [2] on sales of $5,020 million [1].", [SALES, calc])
    assert report.ok
    assert [(f.raw, f.computed) for f in report.supported] == [("4.37", True), ("$5,020 million", False)]
