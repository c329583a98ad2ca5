"""Figure parsing and formatting: hand-picked cases in English and Japanese, and round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.figures.format import format_figure
from rag.figures.parse import Figure, parse_figures


def figs(text: str) -> list[tuple[str, float, str]]:
    return [(f.raw, f.value, f.unit) for f in parse_figures(text)]


@pytest.mark.parametrize(("text", "value", "unit"), [
    ("$161.6 million", 161_600_000.0, "USD"),
    ("$600.53 million", 600_530_000.0, "USD"),
    ("$161,600,000", 161_600_000.0, "USD"),
    ("$1.6B", 1_600_000_000.0, "USD"),
    ("$600M", 600_000_000.0, "USD"),
    ("$1.2bn", 1_200_000_000.0, "USD"),
    ("$50k", 50_000.0, "USD"),
    ("US$161.6 million", 161_600_000.0, "USD"),
    ("USD 1.2 billion", 1_200_000_000.0, "USD"),
    ("161.6 million dollars", 161_600_000.0, "USD"),
    ("¥1.2 trillion", 1_200_000_000_000.0, "JPY"),
    ("1.2 trillion yen", 1_200_000_000_000.0, "JPY"),
    ("€5 billion", 5_000_000_000.0, "EUR"),
    ("£300m", 300_000_000.0, "GBP"),
    ("18%", 18.0, "%"),
    ("18 percent", 18.0, "%"),
    ("-3.5%", -3.5, "%"),
    ("50 bps", 50.0, "bps"),
    ("25 basis points", 25.0, "bps"),
    ("3.5x", 3.5, "x"),
    ("1,818 BTC", 1818.0, "BTC"),
    ("1,818 bitcoin", 1818.0, "BTC"),
    ("300 MW", 300.0, "MW"),
    ("1 GW", 1000.0, "MW"),
    ("35.4 EH/s", 35.4, "EH/s"),
    ("1.2 million shares", 1_200_000.0, "shares"),
    ("2,345", 2345.0, ""),
    ("(1,234)", -1234.0, ""),
    ("$(158.1)", -158.1, "USD"),
    ("($1,234)", -1234.0, "USD"),
    ("(11%)", -11.0, "%"),
    ("-$5 million", -5_000_000.0, "USD"),
    # Japanese
    ("1億6,160万ドル", 161_600_000.0, "USD"),
    ("1億6160万ドル", 161_600_000.0, "USD"),
    ("6億53万ドル", 600_530_000.0, "USD"),
    ("16億ドル", 1_600_000_000.0, "USD"),
    ("1.6億ドル", 160_000_000.0, "USD"),
    ("1兆2000億円", 1_200_000_000_000.0, "JPY"),
    ("1兆2,000億円", 1_200_000_000_000.0, "JPY"),
    ("3千万円", 30_000_000.0, "JPY"),
    ("32,765百万円", 32_765_000_000.0, "JPY"),
    ("1万5000円", 15_000.0, "JPY"),
    ("1,270万株", 12_700_000.0, "shares"),
    ("18％", 18.0, "%"),
    ("１８％", 18.0, "%"),
    ("１億６，１６０万ドル", 161_600_000.0, "USD"),
    ("1,818BTC", 1818.0, "BTC"),
    ("25MW", 25.0, "MW"),
    ("3.5倍", 3.5, "x"),
    ("3割", 30.0, "%"),
    ("△1,234", -1234.0, ""),
    ("2億345万1,498", 203_451_498.0, ""),
])
def test_single_figures(text: str, value: float, unit: str) -> None:
    assert figs(text) == [(text, value, unit)]


def test_seed_sentence_english() -> None:
    text = ("A leading Bitcoin mining company sold 1,818 BTC in December 2025, raising $161.6 million in one go; "
            "it completed equity financing exceeding $600 million, reaching a total of $600.53 million [3].")
    assert figs(text) == [("1,818 BTC", 1818.0, "BTC"), ("$161.6 million", 161_600_000.0, "USD"),
                          ("$600 million", 600_000_000.0, "USD"), ("$600.53 million", 600_530_000.0, "USD")]


def test_seed_sentence_japanese() -> None:
    text = "同社は2025年12月に1,818BTCを売却し、一度に1億6,160万ドルを手にした。総額は6億53万ドルに達した[1]。"
    assert figs(text) == [("1,818BTC", 1818.0, "BTC"), ("1億6,160万ドル", 161_600_000.0, "USD"),
                          ("6億53万ドル", 600_530_000.0, "USD")]


@pytest.mark.parametrize("text", [
    "In 2025 the company changed course.",
    "2025年12月31日時点",
    "FY2024 and fiscal 2023 results",
    "Q3 2025 and 3Q25 and H1 2024",
    "as of 2022-07-01 and 12/31/2025 and 2025/12/31",
    "on December 31, 2025 and 31 December 2024",
    "see Item 7, Item 1A, Note 12 and page 45, pages 45-46",
    "as cited [3] and [1][4] and [1, 3]",
    "filed a Form 10-K, an 8-K and a 10-Q; Rule 10b5-1; COVID-19; S-1",
    "第3四半期、2024年度、2025年3月期、12ページ",
    "3M reported strong results; 5G rollout; the 2nd tranche",
    "fiscal 2024-25",
    "the S&P 500 and the Nikkei 225",
    "amortization(1) and the 2nd phase",
])
def test_not_figures(text: str) -> None:
    assert figs(text) == []


def test_mixed_language_text() -> None:
    text = "Riot sold 1,818 BTC (約1億6,160万ドル) and revenue rose 18％ to $180.2 million."
    assert [f[2] for f in figs(text)] == ["BTC", "USD", "%", "USD"]
    assert figs(text)[1][1] == 161_600_000.0


def test_ranges_share_scale_and_unit() -> None:
    assert figs("$1.2-1.5 billion") == [("$1.2", 1.2e9, "USD"), ("1.5 billion", 1.5e9, "USD")]
    assert figs("10-15%") == [("10", 10.0, "%"), ("15%", 15.0, "%")]
    assert figs("$5 to $10 million") == [("$5", 5e6, "USD"), ("$10 million", 1e7, "USD")]
    assert figs("from 463 to 1,818 BTC")[0] == ("463", 463.0, "BTC")
    assert figs("2,000億～3,000億円") == [("2,000億", 2e11, "JPY"), ("3,000億円", 3e11, "JPY")]
    assert figs("1～2億ドル") == [("1", 1e8, "USD"), ("2億ドル", 2e8, "USD")]
    assert figs("1,818 BTC to $161.6 million") == [("1,818 BTC", 1818.0, "BTC"), ("$161.6 million", 161.6e6, "USD")]


def test_rate_denominators_are_not_figures() -> None:
    expected = [("0.25ドル", 0.25, "USD"), ("360万ドル", 3_600_000.0, "USD")]
    assert figs("1株当たり0.25ドル、1MWあたり約360万ドル") == expected
    assert figs("an average of $88,870/BTC") == [("$88,870", 88_870.0, "USD")]


def test_table_row() -> None:
    row = "Net revenue | $ | 23,601 | $ | 16,434 | All Other | (4,979) | (409)"
    assert [f[1] for f in figs(row)] == [23601.0, 16434.0, -4979.0, -409.0]


def test_offsets_point_into_the_original_text() -> None:
    text = "売却額は１億６，１６０万ドル。"
    (f,) = parse_figures(text)
    assert text[f.start:f.end] == f.raw == "１億６，１６０万ドル"


def test_figure_records_how_it_was_written() -> None:
    (f,) = parse_figures("$1.6 billion")
    assert isinstance(f, Figure) and f.scale == 1e9 and f.ulp == pytest.approx(1e8)


@pytest.mark.parametrize(("value", "unit", "en", "ja"), [
    (161_600_000, "USD", "$161.6 million", "1億6,160万ドル"),
    (1_600_000_000, "USD", "$1.6 billion", "16億ドル"),
    (600_530_000, "USD", "$600.53 million", "6億53万ドル"),
    (600_533_914.83, "USD", "$600.5 million", "6億50万ドル"),
    (1_618_000_000, "USD", "$1.618 billion", "16億1,800万ドル"),
    (18, "%", "18%", "18％"),
    (-3.5, "%", "-3.5%", "-3.5％"),
    (1818, "BTC", "1,818 BTC", "1,818 BTC"),
    (1_200_000_000_000, "JPY", "¥1.2 trillion", "1兆2,000億円"),
    (88_870, "USD", "$88,870", "88,870ドル"),
    (0.25, "USD", "$0.25", "0.25ドル"),
    (12_700_000, "shares", "12.7 million shares", "1,270万株"),
    (300, "MW", "300 MW", "300 MW"),
    (50, "bps", "50 bps", "50bp"),
    (2345, "", "2,345", "2,345"),
])
def test_format_figure(value: float, unit: str, en: str, ja: str) -> None:
    assert format_figure(value, unit, "en") == en
    assert format_figure(value, unit, "ja") == ja


def test_format_figure_rejects_unknown_language() -> None:
    with pytest.raises(ValueError, match="use 'en' or 'ja'"):
        format_figure(1.0, "USD", "fr")


UNITS = ["USD", "JPY", "EUR", "GBP", "%", "bps", "x", "BTC", "MW", "EH/s", "shares", ""]
values = st.builds(lambda m, e, neg: (-1 if neg else 1) * m * 10.0**e,
                   st.floats(1.0, 9.999, allow_nan=False), st.integers(-2, 13), st.booleans())


@settings(max_examples=400, deadline=None)
@given(value=values, unit=st.sampled_from(UNITS), lang=st.sampled_from(["en", "ja"]))
def test_format_then_parse_round_trip(value: float, unit: str, lang: str) -> None:
    text = format_figure(value, unit, lang)
    (fig,) = parse_figures(text)
    assert fig.raw == text and fig.unit == unit
    assert fig.value == pytest.approx(value, rel=5e-4, abs=0.005)
    assert format_figure(fig.value, unit, lang) == text  # formatting is stable after one round


@settings(max_examples=200, deadline=None)
@given(value=values, unit=st.sampled_from(UNITS), lang=st.sampled_from(["en", "ja"]))
def test_round_trip_inside_a_sentence(value: float, unit: str, lang: str) -> None:
    shown = format_figure(value, unit, lang)
    text = (f"In FY2025 (Item 7) the figure was {shown} [2]." if lang == "en"
            else f"2025年12月期(第4四半期)の数値は{shown}だった[2]。")
    (fig,) = parse_figures(text)
    assert fig.raw == shown and fig.unit == unit
    assert fig.value == pytest.approx(value, rel=5e-4, abs=0.005)


@pytest.mark.parametrize("text, value", [("42.69日", 42.69), ("365日", 365.0), ("回転日数は**42.69日**でした", 42.69)])
def test_japanese_day_counts_are_figures(text: str, value: float) -> None:
    assert [f.value for f in parse_figures(text)] == [value]


@pytest.mark.parametrize("text", ["12月31日", "2024年3月31日", "30日"])
def test_japanese_days_of_the_month_are_not(text: str) -> None:
    assert parse_figures(text) == []
