"""What a figure question asks for besides the measure (years; the value, its change, growth, average or CAGR;
the unit and rounding), and the answer written in English or Japanese with its calculation. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rag.answers.measures import Measure
from rag.figures.format import format_figure
from rag.query.analyze import QueryAnalysis

if TYPE_CHECKING:
    from rag.answers.numeric import Used

_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "zero": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_CAGR = re.compile(r"\bCAGR\b|compound(?:ed)?\s+annual\s+growth|年平均成長率", re.IGNORECASE)
_AVERAGE = re.compile(r"\b(?:\d|two|three|four|five)[-\s]year\s+average\b|(?:\d|[二三四五])年(?:間)?(?:の)?平均",
                      re.IGNORECASE)
_CHANGE = re.compile(r"year[-\s]over[-\s]year|\byoy\b|growth|\bchange\s+in\b|\bchanged?\b|increase|decrease|"
                     r"前年比|前年度比|増減|成長率|伸び率|変化", re.IGNORECASE)
_SCALES = ((1e9, re.compile(r"billions?|十億|10億", re.IGNORECASE)),
           (1e6, re.compile(r"millions?|百万", re.IGNORECASE)),
           (1e3, re.compile(r"thousands?|千(?:米)?ドル|千円", re.IGNORECASE)))
_DECIMALS = re.compile(r"(\d|one|two|three|zero)\s+decimal|小数(?:点以下|第)\s*([0-9一二三])", re.IGNORECASE)
_PERCENT = re.compile(r"percent|%|％|パーセント|百分率", re.IGNORECASE)
_QUARTER = re.compile(r"\bQ([1-4])\b|\b(first|second|third|fourth)\s+(?:fiscal\s+)?quarter|第\s*([1-4一二三四])\s*四半期",
                      re.IGNORECASE)
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "一": 1, "二": 2, "三": 3, "四": 4}
_STATEMENT = {"cash_flow": ("cash-flow statement", "キャッシュ・フロー計算書"),
              "income_statement": ("income statement", "損益計算書"),
              "balance_sheet": ("balance sheet", "貸借対照表")}
_SCALE_WORD = {1e9: ("billion", "十億"), 1e6: ("million", "百万"), 1e3: ("thousand", "千")}
_NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}  # "3-year" would be read as the answer's first figure


@dataclass
class Request:
    """The years a question covers (oldest first), what it asks of them, and the unit and rounding it wants."""

    years: list[int]
    mode: str = "value"  # value, growth, change (in points), average, cagr
    scale: float | None = None
    decimals: int | None = None
    percent: bool = False
    quarter: int = 0  # 1-4 when the question asks for a fiscal quarter ("Q2 FY2024", 「第2四半期」)


# Questions whose answer the company's statement facts do not settle, so no figure may lead the answer:
_PART = re.compile(r"\bsegments?\b|\bcategor(?:y|ies)\b|\bregions?\b|\bregional\b|\bdivisions?\b|\bgeograph|"
                   r"\bdomestic\b|\binternational\b|\b(?:US|U\.S\.)\s+sales\b|\bproduct\s+lines?\b|"
                   r"\bbusiness\s+units?\b|\bbrands?\b|セグメント|部門|地域|米国|海外|国外|カテゴリ|製品分野",
                   re.IGNORECASE)  # a part of the company: its facts are the whole company's
_QUALIFIED = re.compile(r"\badjusted\b|non[-\s]?GAAP|\breal\s+(?:change|growth)|\borganic|\bexclud|"
                        r"constant\s+currenc|\bpro\s+forma\b|\bcomparable\b|\bunderlying\b|\bEBITDAR\b|"
                        r"調整後|非GAAP|実質|除い|除く|既存店|オーガニック|恒常為替",
                        re.IGNORECASE)  # "unadjusted" has no word boundary before "adjusted": it passes
_RATIO = re.compile(r"\bratio\b|\bcoverage\b|\bmultiple\b|as\s+a\s+(?:%|percent(?:age)?)\s+of|"
                    r"(?<!成長|増減|伸び)率|倍率|カバレッジ", re.IGNORECASE)
_YES_NO = re.compile(r"^\W*(?:does|do|did|is|are|was|were|has|have|had|can|could|will|would|should)\b", re.IGNORECASE)
_JUDGEMENT = re.compile(r"^\W*(?:what\s+(?:drove|drives|driven|caused|led\s+to|explains?)|why\b|which\b|who\b)|"
                        r"\bcompare[sd]?\b|\bdrivers?\b|\breasons?\b", re.IGNORECASE)
_JA_WH = re.compile(r"いくら|何|どれ|どの|どう|いつ|どこ|幾ら|求め|計算|答え")
_JA_JUDGEMENT = re.compile(r"要因|理由|なぜ|背景|比べて|比較|どれか|どの(?:事業|セグメント|地域|部門|製品)")
# What a yes/no question tests, when a figure can settle it.
_UP = re.compile(r"\b(?:increas|grow|grew|rais|rise|rose|improv|higher)|増加|増え|成長|改善|上昇|伸び", re.IGNORECASE)
_DOWN = re.compile(r"\b(?:decreas|declin|fall|fell|drop|shrank|shrink|lower)|減少|減っ|低下|悪化", re.IGNORECASE)
_SIGN = re.compile(r"\b(?:positive|negative)\b|プラス|マイナス", re.IGNORECASE)
_PAID = re.compile(r"\b(?:pay|paid|pays|paying)\b|支払", re.IGNORECASE)


def _first_question(text: str) -> str:
    """The question's first sentence: the hedges after it ("If X is not a useful metric, explain why") ask nothing."""
    return re.split(r"(?<=[?？。])\s*|(?<=\.)\s+", text.strip(), maxsplit=1)[0]


def yes_no_test(text: str) -> str | None:
    """None for a question that asks for a figure; for a yes/no question, what settles it: 'direction' (did it
    rise or fall), 'sign' (positive?), 'paid' (any at all), or '' when no figure can (healthy? consistent?)."""
    first = _first_question(text)
    ja_yes_no = bool(re.search(r"[ぁ-んァ-ヶ一-龯]", first)) and first.rstrip("。？?").endswith("か") \
        and not _JA_WH.search(first)
    if not (_YES_NO.search(first) or ja_yes_no):
        return None
    if _UP.search(first) or _DOWN.search(first):
        return "direction"
    if _SIGN.search(first):
        return "sign"
    return "paid" if _PAID.search(first) else ""


def unsettled(text: str, plain_item: bool) -> str:
    """Why the facts cannot settle the figure a question wants ("" when they can).

    A judgement (what drove, which segment, how X compares) is the reader's to answer, not a figure's; a part of
    the company, or an adjusted / non-GAAP measure, is not in the statements' totals; and a ratio the catalogue
    does not know is not the plain line item the question happens to name (`plain_item`).
    """
    first = _first_question(text)
    if _PART.search(text):
        return "a part of the company"
    if _QUALIFIED.search(text):
        return "an adjusted or non-GAAP measure"
    if plain_item and _RATIO.search(first):
        return "a ratio not in the catalogue"
    if _JUDGEMENT.search(first) or _JA_JUDGEMENT.search(first):
        return "a judgement, not a figure"
    if yes_no_test(text) == "":
        return "a yes/no judgement no figure settles"
    return ""


def verdict(test: str, text: str, value: float, lang: str) -> str:
    """The answer to a yes/no question from the figure that settles it: 'Yes.', 'No.', or the direction."""
    first = _first_question(text)
    if test == "direction":
        up, down = bool(_UP.search(first)), bool(_DOWN.search(first))
        if up and down:  # "improved or declined": the direction is the answer
            return ("上昇しました。" if value > 0 else "低下しました。") if lang == "ja" else ("It rose." if value > 0 else "It fell.")
        yes = value > 0 if up else value < 0
    elif test == "sign":
        yes = (value > 0) == bool(re.search(r"positive|プラス", first, re.IGNORECASE))
    else:
        yes = value != 0
    return ("はい。" if yes else "いいえ。") if lang == "ja" else ("Yes." if yes else "No.")


def _years(analysis: QueryAnalysis) -> list[int]:
    found = {int(y) for y in analysis.years if re.fullmatch(r"(?:19|20)\d\d", str(y))}
    found |= {int(y) for y in re.findall(r"(?:FY|fiscal\s+(?:year\s+)?)'?((?:19|20)\d\d)", analysis.text, re.I)}
    return sorted(found)


def read_request(analysis: QueryAnalysis, measure: Measure, available: Sequence[int]) -> Request | None:
    """What the question asks of the measure; None when no year is named and the facts cover none."""
    text = analysis.text
    years = _years(analysis) or ([max(available)] if available else [])
    if not years:
        return None
    scale = next((s for s, rx in _SCALES if rx.search(text)), None) if measure.unit == "money" else None
    m = _DECIMALS.search(text)
    decimals = _WORDS.get((m.group(1) or m.group(2) or "").lower(), None) if m else None
    if m and decimals is None:
        decimals = int(m.group(1) or m.group(2))
    request = Request([years[-1]], "value", scale, decimals, bool(_PERCENT.search(text)))
    if q := _QUARTER.search(text):
        word = (q.group(1) or q.group(2) or q.group(3)).lower()
        request.quarter = int(word) if word.isdigit() else _ORDINAL[word]
        return request  # a quarter's own figure; its changes and averages are not computed
    span = list(range(years[0], years[-1] + 1)) if len(years) > 1 else [years[0] - 1, years[0]]
    if _CAGR.search(text):
        request.years, request.mode = [span[0], span[-1]], "cagr"
    elif _AVERAGE.search(text) and len(years) > 1:
        request.years, request.mode = span, "average"
    elif (_CHANGE.search(text) or yes_no_test(text) == "direction") and not _defines(text):
        request.years = [span[0], span[-1]] if len(years) > 1 else span
        request.mode = "change" if measure.unit == "percent" else "growth"
    return request


def _defines(text: str) -> bool:
    """The question defines its measure ("... defined as: ... change in inventory"): 'change' is a term of it."""
    return bool(re.search(r"\bdefined\s+as\b|定義", text, re.IGNORECASE))


def result_unit(measure: Measure, request: Request) -> str:
    if request.mode in ("growth", "cagr"):
        return "percent"
    if measure.unit == "ratio" and request.percent and request.mode == "value":
        return "percent_of_ratio"
    return measure.unit


def format_result(value: float, unit: str, request: Request, lang: str) -> str:
    """The figure as the question asks for it: '$1,577 million', '15億7,700万ドル', '24.26', '1.9%'."""
    d = request.decimals
    if unit == "money":
        if request.scale:
            x = value / request.scale
            # Unasked, billions take one decimal ("$4.6 billion") and other scales whole numbers unless fractional.
            places = d if d is not None else 1 if request.scale >= 1e9 else (0 if abs(x - round(x)) < 1e-6 else 2)
            x = round(x, places)
            if lang == "ja":
                return format_figure(x * request.scale, "USD", "ja")
            sign = "-" if x < 0 else ""
            return f"{sign}${abs(x):,.{places}f} {_SCALE_WORD[request.scale][0]}"
        return format_figure(value, "USD", lang)
    if unit == "per_share":
        x = round(value, 2 if d is None else d)
        return f"{x:,.2f}ドル" if lang == "ja" else f"${x:,.2f}"
    if unit in ("percent", "percent_of_ratio"):
        x = value * 100 if unit == "percent_of_ratio" else value
        return f"{x:,.{1 if d is None else d}f}{'％' if lang == 'ja' else '%'}"
    text = f"{value:,.{2 if d is None else d}f}"
    if unit == "days":
        return f"{text}日" if lang == "ja" else f"{text} days"
    return text


def _amount(fact_value: float, scale: float) -> str:
    """An input as the statement prints it (in its own scale), for the calculation line: '6,489'."""
    x = abs(fact_value) / (scale or 1.0)
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-6 else f"{x:,.2f}"


def _label(used: Used, lang: str) -> str:
    st = _STATEMENT.get(used.fact.statement)
    where = (st[1] if lang == "ja" else st[0]) if st else used.fact.statement.replace("_", " ")
    return f"{where}「{used.fact.label}」" if lang == "ja" else f"{used.fact.label}, {where}"


def _inputs_text(used: Sequence[Used], lang: str) -> str:
    """'revenue FY2019 6,489 [1]; ppe_net FY2018 253 [2] ...' — each input with its year, amount and citation."""
    parts = []
    for u in used:
        cite = f"[{u.n}]" if u.n else ""
        year = f"{u.year}年度" if lang == "ja" else f"FY{u.year}"
        parts.append(f"{u.fact.label} {year} {_amount(u.fact.value, u.fact.scale)} {cite}".strip())
    return "; ".join(parts)


def render_answer(lang: str, company: str, measure: Measure, request: Request, value: float,
                  used: Sequence[Used], per_year: dict[int, float]) -> tuple[str, dict[str, Any]]:
    """The answer text, leading with the figure, and the `calculation` of `ask --json`."""
    unit = result_unit(measure, request)
    figure = format_result(value, unit, request, lang)
    cites = "".join(f"[{n}]" for n in dict.fromkeys(u.n for u in used if u.n))
    ys = request.years
    single = len(measure.inputs) == 1 and request.mode == "value"
    if lang == "ja":
        span = f"{ys[0]}年度から{ys[-1]}年度" if len(ys) > 1 else f"{ys[-1]}年度"
        span += f"第{request.quarter}四半期" if request.quarter else ""
        what = {"growth": "の前年比増減率", "cagr": "の年平均成長率", "change": "の変化幅", "average": "の平均"}.get(request.mode, "")
        formula = measure.ja if len(measure.inputs) == 1 else measure.formula_text
        how = _label(used[0], "ja") if single else f"{formula}：{_inputs_text(used, 'ja')}"
        text = f"{company}の{span}の{measure.ja}{what}は**{figure}**でした（{how}）{cites}。"
    else:
        span = f"from FY{ys[0]} to FY{ys[-1]}" if len(ys) > 1 else f"in FY{ys[-1]}"
        span = f"in Q{request.quarter} FY{ys[-1]}" if request.quarter else span
        what = {"growth": " year-over-year change", "cagr": " CAGR", "change": " change",
                "average": f" {_NUMBER_WORDS.get(len(ys), len(ys))}-year average"}.get(request.mode, "")
        how = _label(used[0], "en") if single else f"{measure.formula_text}: {_inputs_text(used, 'en')}"
        text = f"{company}'s {measure.en}{what} {span} was **{figure}** ({how}) {cites}.".replace(" .", ".")
    calculation = {
        "measure": measure.key, "formula": measure.formula_text, "mode": request.mode, "years": ys,
        "quarter": request.quarter or None,
        "result": value, "unit": unit, "shown": figure,
        "per_year": {f"FY{y}": v for y, v in per_year.items()},
        "inputs": [{"label": u.fact.label, "line_item": u.fact.line_item, "role": u.role, "period": u.fact.period,
                    "year": u.year, "value": u.fact.value, "unit": u.fact.unit, "citation": u.n,
                    "doc_name": u.fact.doc_name, "page": u.fact.page, "statement": u.fact.statement} for u in used],
    }
    return text, calculation
