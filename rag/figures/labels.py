"""Figures in briefing sentences: what each figure measures and when, the key-figures table, and disagreements.

A figure is labelled by rules (revenue, bitcoin sold, equity raised …) matched close to it in its sentence, in
English or Japanese, with the period named nearest to it; the same metric stated differently by two documents is
a disagreement worth showing.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from rag.figures.format import format_figure, format_period
from rag.figures.glossary import term
from rag.figures.parse import CURRENCIES as _CUR
from rag.figures.parse import Figure, parse_figures
from rag.query.periods import find_periods
from rag.text.lang import KANA_KANJI

_ABOUT = r"(?:(?:about|approximately|roughly|around|nearly|almost|more than|over|some|a record|an estimated)\s+|~\s*)?"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


@dataclass(frozen=True)
class _Rule:
    """How a figure earns a metric: words near it, or text ending right before (lead) or starting right after (tail)."""

    key: str  # a glossary key (rag/data/glossary.json)
    units: tuple[str, ...]
    words: re.Pattern[str] | None
    lead: re.Pattern[str] | None = None
    tail: re.Pattern[str] | None = None
    requires: re.Pattern[str] | None = None  # the sentence must also say this
    family: str = ""
    generic: bool = False  # agrees with every metric of its family; without words, the fallback for its units


# Order is priority: on a tie the earlier rule wins, and the key-figures table follows it.
RULES: tuple[_Rule, ...] = (
    _Rule("bitcoin_sold", ("BTC",), _rx(r"\b(?:sold|sell(?:s|ing)?|sales?)\b|売却"),
          lead=_rx(r"\b(?:sold|selling|sale of|sales of)\s+" + _ABOUT + "$"), tail=_rx(r"^\s*(?:sold\b|を[^。]{0,12}売却)")),
    _Rule("bitcoin_mined", ("BTC",), _rx(r"\b(?:mined|produced|production|output)\b|採掘|生産|産出"),
          tail=_rx(r"^\s*(?:mined|produced)\b")),
    _Rule("bitcoin_holdings", ("BTC",), _rx(r"\b(?:held|holds|holdings?)\b|保有")),
    _Rule("proceeds", _CUR, _rx(r"\bproceeds\b|\bbrought in\b|売却額|売却代金|手取"),
          lead=_rx(r"(?:\b(?:sold|selling|sale of|sales of)\b[^.;$]{0,40}?\b(?:BTC|bitcoins?)\b|\b(?:BTC|bitcoins?)\s+"
                   r"sold)[^.;$]{0,40}?\b(?:for|raising|raised|bringing in|brought in)\s+" + _ABOUT + "$|"
                   r"(?:BTC|ビットコイン)を\s*約?$"),
          tail=_rx(r"^\s*(?:で売却|を手に)")),
    _Rule("atm_offering", _CUR, _rx(r"at-the-market|\bATM\b|\bprogramme\b|\bprogram\b|sales agreement|\bfacility\b|"
                                    r"プログラム|ATM"),
          requires=_rx(r"at-the-market|\bATM\b|\bprogramme\b|\bprogram\b|プログラム|ATM"), family="equity"),
    _Rule("equity_financing", _CUR, _rx(r"equity (?:financing|raise|capital)|rais\w* (?:new )?equity|share sales|"
                                        r"stock sales|share issuance|株式による資金調達|株式資金調達|増資|株式発行"),
          family="equity"),
    _Rule("contract_revenue", _CUR, _rx(r"contract revenue|contract value|lease value|value of the lease|\bcontracts?\b|"
                                        r"\blease\b|契約"), family="revenue"),
    _Rule("revenue", _CUR, _rx(r"\brevenues?\b|売上高?|営業収益"), family="revenue", generic=True),
    _Rule("net_income", _CUR, _rx(r"net income|net profit|純利益")),
    _Rule("net_loss", _CUR, _rx(r"net loss|純損失|最終赤字")),
    _Rule("gross_profit", _CUR, _rx(r"gross profit|売上総利益|粗利")),
    _Rule("noi", _CUR, _rx(r"net operating income|\bNOI\b|純営業利益")),
    _Rule("capex", _CUR, _rx(r"capital expenditures?|\bcapex\b|設備投資")),
    _Rule("impairment", _CUR, _rx(r"impairment|減損")),
    _Rule("operating_cash_flow", _CUR, _rx(r"operating (?:activities|cash flow)|営業キャッシュ")),
    _Rule("financing_cash_flow", _CUR, _rx(r"financing activities|financing inflow|\bof financing\b|財務キャッシュ")),
    _Rule("credit_facility", _CUR, _rx(r"credit facility|与信枠")),
    _Rule("convertible_notes", _CUR, _rx(r"convertible (?:senior )?notes|転換社債")),
    _Rule("long_term_debt", _CUR, _rx(r"long-term debt|long-term borrowings|長期借入"), family="debt"),
    _Rule("total_debt", _CUR, _rx(r"\bdebt\b|\bborrowings?\b|有利子負債|借入"), family="debt", generic=True),
    _Rule("share_repurchases", _CUR, _rx(r"buy(?:ing)? back|buyback|repurchas\w+|自社株買い")),
    _Rule("liquidity", _CUR, _rx(r"\bliquidity\b|手元流動性"), family="cash", generic=True),
    _Rule("cash", _CUR, _rx(r"(?<!of )\bcash\b(?! flow)|現金"), family="cash"),  # "used $X of cash" is a flow
    _Rule("acquisition", _CUR, _rx(r"\b(?:bought|buys?|acquired|acquisition|purchased?)\b|買収|取得|購入")),
    _Rule("critical_it_load", ("MW",), _rx(r"critical IT|重要IT"), family="power"),
    _Rule("power_capacity", ("MW",), None, family="power", generic=True),
    _Rule("hashrate", ("EH/s",), None, generic=True),
)
_RULE_ORDER = {r.key: i for i, r in enumerate(RULES)}
_RULE_BY_KEY = {r.key: r for r in RULES}
# A figure someone else is said to have stated ("some coverage presented $X as ..."), not the document's own.
_CLAIM = _rx(r"\b(?:some (?:coverage|reports?|outlets?|articles?|websites?|media)|presented|reportedly|claimed|"
             r"claims? that|relayed|put the [\w -]{0,20}\bat|rounded|unverified|weak sources?|secondary (?:websites?|"
             r"sources?|reports?)|reported that)\b|一部報道|伝えた|報じた|とされる|と報道|未確認")


def is_rate(sentence: str, fig: Figure) -> bool:
    """True for a rate or an average ("$88,870 per bitcoin", "an average of $81,731"), not an amount."""
    return bool(_RATE.match(sentence[fig.end:]) or _AVERAGE.search(sentence[: fig.start]))


def is_claim(sentence: str) -> bool:
    """True when the sentence reports what someone else stated ("some coverage presented …"), not a fact."""
    return bool(_CLAIM.search(sentence))
_RATE = _rx(r"^\s*(?:per\b|each\b|/|a (?:year|month|day|share|coin|bitcoin)\b)")
_AVERAGE = _rx(r"\b(?:average(?: price)?(?: of)?|at|priced at|a price of|close of)\s+" + _ABOUT + "$")
_CLAUSE_END = _rx(r"[,;、。]|\b(?:and|while|but|whereas|against|versus|compared with)\b")
# A date something is due by is not the period a figure refers to: "notes due 15 February 2032", "完成予定".
_DUE = _rx(r"\b(?:due|maturing|matures|until|through|by|completion|completed?|finished)\b[\w ]{0,20}?(?:\d{1,2}\s+)?$")
_DUE_JA = re.compile(r"^\s*(?:に|まで|の)?\s*(?:完成|完了|予定|満期|まで)")
# Words between two figures that hand the second its own label: "cash was $458 million and long-term debt $1.79 billion".
_NEW_SUBJECT = _rx(r"\b(?:and|while|but|whereas|against|versus|compared with)\s+(?:the\s+|its\s+)?[a-z]{3,}")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_MONTH_EN = re.compile(r"\b(" + "|".join(m.title() for m in _MONTHS) + r")\b(?:\s+(?:\d{1,2},?\s+)?((?:19|20)\d{2})\b)?")
_QUARTER = re.compile(r"\b(first|second|third|fourth)[- ]quarter\b(?:\s+(?:of\s+)?((?:19|20)\d{2})\b)?|"
                      r"(?:((?:19|20)\d{2})\s*年\s*(?:の)?\s*)?第\s*([1-4一二三四])\s*四半期", re.IGNORECASE)
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "一": 1, "二": 2, "三": 3, "四": 4}
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_MONTH_JA = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月")
_MONTH_BEFORE = _rx(r"\b(?:" + "|".join(_MONTHS) + r")\s+$")
_MONTH_NAMES = "|".join(m.title() for m in _MONTHS)
_MONTH_RANGE = re.compile(r"\b(" + _MONTH_NAMES + r")\s*(?:[–—-]|to|through)\s*(" + _MONTH_NAMES + r")\b"
                          r"(?:\s+((?:19|20)\d{2})\b)?")
_FISCAL = _rx(r"\bfiscal\b(?:\s+\w+)?\s*$|会計年度|期の?\s*$")


@dataclass
class Mention:
    """A figure in one sentence of one document, with the metric its words give it."""

    doc_name: str
    doc_type: str
    sentence: str
    fig: Figure
    metric: str | None
    period: str
    claim: bool
    hit: Any = None
    distance: float = 99.0  # how far the metric's words are from the figure; 0 for "sold 1,818 BTC"


@dataclass
class FigureSource:
    """The sentence a key figure is quoted from; `n` numbers it in the briefing's sources once cited."""

    doc_name: str
    page: int
    chunk_id: str
    quote: str
    n: int | None = None


@dataclass
class KeyFigureRow:
    """One row of the key-figures table: a metric's value and period, written in English and Japanese."""

    metric_key: str
    label_en: str
    label_ja: str
    value: float
    unit: str
    period: str
    value_en: str
    value_ja: str
    period_en: str
    period_ja: str
    docs: list[str]
    source: FigureSource
    check: str = ""  # "supported" or "unsupported" once checked against its source
    # A statement-table row also shows the prior period and the change (computed from the two printed values).
    prior: float | None = None
    prior_period: str = ""
    prior_en: str = ""
    prior_ja: str = ""
    change_en: str = ""
    change_ja: str = ""

    def cells(self, lang: str) -> tuple[str, str, str]:
        """(label, value, period) in one language."""
        if lang == "ja":
            return self.label_ja, self.value_ja, self.period_ja
        return self.label_en, self.value_en, self.period_en

    def prior_cells(self, lang: str) -> tuple[str, str]:
        """(prior period's value with its period, change) in one language; empty for a sentence figure."""
        return (self.prior_ja, self.change_ja) if lang == "ja" else (self.prior_en, self.change_en)


def _distance(rule: _Rule, sentence: str, fig: Figure, seg: tuple[int, int], ja: bool) -> float | None:
    before, after = sentence[: fig.start], sentence[fig.end:]
    if rule.lead and rule.lead.search(before):
        return 0.0
    if rule.tail and rule.tail.match(after):
        return 0.0
    if rule.words is None or (rule.requires and not rule.requires.search(sentence)):
        return None
    best = None
    near_before, near_after = (20, 12) if ja else (45, 25)
    left = sentence[seg[0]: fig.start]
    for m in rule.words.finditer(left):
        gap = len(re.sub(_ABOUT, "", left[m.end():]))  # "revenue of about $X" is as close as "revenue of $X"
        if gap <= near_before:
            best = min(best if best is not None else 1e9, 1.0 + gap)
    # Words after a figure label it only up to the next comma or conjunction ("$458 million and long-term debt …").
    right = _CLAUSE_END.split(sentence[fig.end: seg[1]], maxsplit=1)[0]
    word = rule.words.search(right)
    if word and word.start() <= near_after:
        best = min(best if best is not None else 1e9, 0.5 + word.start())
    return best


def _due(sentence: str, m: re.Match[str]) -> bool:
    return bool(_DUE.search(sentence[: m.start()]) or _DUE_JA.match(sentence[m.end():]))


def _month_range(m: re.Match[str], year: str) -> str:
    """'October–December 2025' -> '2025Q4', 'January–June 2025' -> '2025H1', else the last month ('2025-09')."""
    first, last = (_MONTHS.index(m.group(i).lower()) + 1 for i in (1, 2))
    y = m.group(3) or year
    if last - first == 2 and first % 3 == 1:
        return f"{y}Q{last // 3}"
    if last - first == 5 and first in (1, 7):
        return f"{y}H{last // 6}"
    return f"{y}-{last:02d}"


def period_near(sentence: str, fig: Figure, default: str = "", year: str = "") -> str:
    """The period a figure refers to: the nearest month ("2025-12"), else a period named around it, else `default`.

    A month without a year ("at the end of September") takes `year`, else the year of `default`, else the
    sentence's. A month range is its calendar quarter or half ("October–December 2025" -> "2025Q4"), and a
    company's fiscal quarter ("its fiscal first quarter of 2026") yields to a calendar period the sentence names.
    """
    if not _YEAR.fullmatch(year[:4]):
        year = default[:4] if _YEAR.fullmatch(default[:4]) else next(iter(_YEAR.findall(sentence)), "")
    year = year[:4]
    ranges = [m for m in _MONTH_RANGE.finditer(sentence) if (m.group(3) or year) and not _due(sentence, m)]
    inside = [(m.start(), m.end()) for m in ranges]
    options = [(m.start(), m.end(), _month_range(m, year)) for m in ranges]
    options += [(m.start(), m.end(), f"{m.group(2) or year}-{_MONTHS.index(m.group(1).lower()) + 1:02d}")
                for m in _MONTH_EN.finditer(sentence) if (m.group(2) or year) and not _due(sentence, m)
                and not any(a <= m.start() < b for a, b in inside)]
    options += [(m.start(), m.end(), f"{m.group(1)}-{int(m.group(2)):02d}") for m in _MONTH_JA.finditer(sentence)]
    calendar = bool(options)
    for m in _QUARTER.finditer(sentence):
        if _due(sentence, m) or (calendar and _FISCAL.search(sentence[max(0, m.start() - 20): m.start()])):
            continue
        y = m.group(2) or m.group(3) or (_YEAR.search(sentence[m.end(): m.end() + 12]) or [None, year])[1]
        q = _ORDINAL.get((m.group(1) or "").lower()) or _ORDINAL.get(m.group(4) or "") or int(m.group(4) or 0)
        if y and q:
            options.append((m.start(), m.end(), f"{y}Q{q}"))
    if options:
        # English puts "at the end of November" after its figure: a month after is as near as one half as far before.
        return min(options, key=lambda o: 2 * (fig.start - o[1]) if o[1] <= fig.start else o[0] - fig.end)[2]
    masked = sentence
    for m in [*_MONTH_EN.finditer(sentence), *_QUARTER.finditer(sentence), *_MONTH_JA.finditer(sentence)]:
        if _due(sentence, m):
            masked = masked[: m.start()] + " " * (m.end() - m.start()) + masked[m.end():]
    window = masked[max(0, fig.start - 70): fig.end + 40]
    periods = find_periods(window)[0]
    return periods[0] if periods else default


def label_figures(sentence: str, default_period: str = "", keep_all: bool = False, year: str = "") -> list[tuple]:
    """The figures of a sentence with the glossary key of the metric each states (None when unrecognised).

    Returns (figure, metric key, period, claim, distance) tuples; `claim` marks a figure the sentence attributes
    to someone else, `distance` how far the metric's words are. Rates ("$88,870 per bitcoin") and unrecognised
    figures are left out unless `keep_all`; `year` dates a month named without one.
    """
    ja = bool(KANA_KANJI.search(sentence))
    figs = [f for f in parse_figures(sentence) if f.unit and not (
        f.unit == "BTC" and f.value.is_integer() and 1900 <= f.value <= 2100 and "," not in f.raw
        and _MONTH_BEFORE.search(sentence[: f.start]))]  # "December 2025 bitcoin sale" is a date, not 2,025 BTC
    claim = bool(_CLAIM.search(sentence))
    out: list[tuple] = []
    for i, fig in enumerate(figs):
        # A figure's words lie between its neighbours of the same kind ("0%" does not cut "$1.15 billion of 0% notes").
        kind = [j for j, f in enumerate(figs) if (f.unit in _CUR) == (fig.unit in _CUR)]
        at = kind.index(i)
        seg = (figs[kind[at - 1]].end if at else 0, figs[kind[at + 1]].start if at + 1 < len(kind) else len(sentence))
        metric, distance = None, 99.0
        if not (_RATE.match(sentence[fig.end:]) or _AVERAGE.search(sentence[: fig.start])):
            scored = [(d, _RULE_ORDER[r.key], r.key) for r in RULES if fig.unit in r.units
                      and (d := _distance(r, sentence, fig, seg, ja)) is not None]
            if scored:
                distance, _, metric = min(scored)
            elif i and out[-1][1] and figs[i - 1].unit == fig.unit and fig.start - figs[i - 1].end <= 45 and \
                    not _NEW_SUBJECT.search(sentence[figs[i - 1].end: fig.start]):
                metric, distance = out[-1][1], 50.0  # "…exceeding $600 million, reaching a total of $600.53 million"
            else:
                metric = next((r.key for r in RULES if r.generic and r.words is None and fig.unit in r.units), None)
        out.append((fig, metric, period_near(sentence, fig, default_period, year) if metric or keep_all else "", claim,
                    distance))
    return [o for o in out if o[1] or keep_all]


def _sig_digits(fig: Figure) -> int:
    if fig.ulp <= 0:
        return 0
    n = round(abs(fig.value) / fig.ulp)
    while n and n % 10 == 0:
        n //= 10
    return len(str(n)) if n else 0


def _same_value(a: Figure, b: Figure) -> bool:
    """Equal up to the last digit either figure writes: $600.53 million is $600,533,914.83, 460 BTC is not 463."""
    return a.unit == b.unit and abs(a.value - b.value) <= max(a.ulp, b.ulp) / 2 + 1e-9 * max(abs(a.value), 1.0)


_DOC_RANK = {"10k": 0, "10q": 0, "8k": 0, "filing": 0, "filing-summary": 0, "annual-report": 0, "earnings": 1,
             "press": 1, "press-summary": 1, "note": 2, "news": 3}


_NEGATION = _rx(r"\b(?:not|no|never)\b|ではない|ません")


def _quality(m: Mention) -> tuple:
    """Sort key of the mention to quote: the document's own, clearly labelled, affirmative, from a filing first."""
    return (m.claim, m.distance > 12, bool(_NEGATION.search(m.sentence)), _DOC_RANK.get(m.doc_type.lower(), 2),
            m.fig.scale == 1, bool(KANA_KANJI.search(m.sentence)), m.distance)


def _contains(outer: str, inner: str) -> bool:
    """'2025' contains '2025Q4' and '2025-12'; '2025Q4' contains '2025-10' to '2025-12'."""
    if inner.startswith(outer):
        return True
    q, m = re.fullmatch(r"(\d{4})Q([1-4])", outer), re.fullmatch(r"(\d{4})-(\d{2})", inner)
    return bool(q and m and q.group(1) == m.group(1) and (int(m.group(2)) - 1) // 3 + 1 == int(q.group(2)))


def consensus_period(periods: list[str]) -> str:
    """The most specific period that agrees with the most mentions: ['2025', '2025Q3', '2024'] -> '2025Q3'."""
    periods = [p for p in periods if p]
    if not periods:
        return ""
    return max(dict.fromkeys(periods), key=lambda p: (
        sum(_contains(p, q) or _contains(q, p) for q in periods), len(p), periods.count(p)))


def _label(key: str, lang: str, capital: bool = True) -> str:
    """The glossary's wording of a metric ("Bitcoin sold" / "ビットコイン売却")."""
    try:
        text = term(key, lang)
    except KeyError:
        text = key.replace("_", " ")
    return text[:1].upper() + text[1:] if lang == "en" and capital else text


def _clusters(mentions: list[Mention], same_metric: bool) -> list[list[Mention]]:
    groups: list[list[Mention]] = []
    for m in mentions:
        group = next((g for g in groups if (not same_metric or g[0].metric == m.metric)
                      and any(_same_value(m.fig, o.fig) for o in g)), None)
        if group is None:
            groups.append([m])
        else:
            group.append(m)
    return groups


def _display(mentions: list[Mention]) -> Mention:
    # Prefer a figure written with a scale word ("$600.53 million") over its digits ("$600,533,914.83").
    return min(mentions, key=lambda m: (m.fig.scale == 1, -_sig_digits(m.fig)))


def _key(m: Mention) -> str:
    """The metric of a mention that has one (key figures and disagreements only take those)."""
    return m.metric or ""


def _specific(mentions: list[Mention]) -> list[Mention]:
    """Generic mentions ("25 MW") take the specific metric another mention gives the same value ("25 MW of critical IT")."""
    out = []
    for m in mentions:
        rule = _RULE_BY_KEY[_key(m)]
        if rule.generic:
            twin = next((o for o in mentions if not _RULE_BY_KEY[_key(o)].generic and
                         _RULE_BY_KEY[_key(o)].family == rule.family and _same_value(o.fig, m.fig)), None)
            m = dataclasses.replace(m, metric=twin.metric) if twin else m
        out.append(m)
    return out


HEADLINE = ("revenue", "net_income", "net_loss")  # results an analyst reads first, in this order


def _full_year(g: list[Mention]) -> bool:
    return bool(re.fullmatch(r"(?:19|20)\d\d", consensus_period([m.period for m in g if not m.claim])))


def _headline_rank(g: list[Mention]) -> tuple[int, bool, bool, str]:
    """Headline metrics first: a full year before a shorter period, a dated figure before an undated one, the latest
    first; everything else after, in the order it came."""
    if g[0].metric not in HEADLINE:
        return (1, False, False, "")
    period = consensus_period([m.period for m in g if not m.claim])
    return (0, not _full_year(g), not period, "".join(chr(0x10FFFF - ord(c)) for c in period))


def key_figure_rows(mentions: list[Mention], limit: int = 14, per_metric: int = 3) -> list[KeyFigureRow]:
    """The key-figures table: the best-attested value of each metric first, then the runners-up, up to `limit` rows."""
    groups = _clusters(_specific([m for m in mentions if m.metric]), same_metric=True)

    def weight(g: list[Mention]) -> float:
        docs = {m.doc_name for m in g if not m.claim}
        return len(docs) + 0.5 * len({m.doc_name for m in g} - docs) + 0.2 * any(m.distance < 5 for m in g)

    groups = [g for g in groups if any(not m.claim for m in g)]
    # Best attested first; on a tie the later period (holdings at the end of December before November's).
    groups.sort(key=lambda g: consensus_period([m.period for m in g]), reverse=True)
    groups.sort(key=lambda g: (-weight(g), _RULE_ORDER[_key(g[0])]))
    # Headline results take their slots first, the latest full year before a quarter: an analyst reads the
    # year's revenue before anything else, and a busy table must not crowd it out.
    groups.sort(key=lambda g: _headline_rank(g))
    chosen: list[list[Mention]] = []
    for round_ in range(per_metric):  # one row per metric (and kind of period) before any gets a second
        seen: dict[tuple[str, bool], int] = {}
        for g in groups:
            slot = (_key(g[0]), _key(g[0]) in HEADLINE and _full_year(g))
            seen[slot] = seen.get(slot, -1) + 1
            if seen[slot] == round_ and len(chosen) < limit:
                chosen.append(g)
        if len(chosen) >= limit:
            break
    rows = []
    for g in sorted(chosen, key=lambda g: (_RULE_ORDER[_key(g[0])], _headline_rank(g), -weight(g))):
        src = min(g, key=_quality)
        shown = _display([m for m in g if not m.claim] or g)
        period = consensus_period([m.period for m in g if not m.claim]) or src.period
        value, unit = shown.fig.value, shown.fig.unit
        rows.append(KeyFigureRow(
            metric_key=_key(src), label_en=_label(_key(src), "en"), label_ja=_label(_key(src), "ja"),
            value=value, unit=unit, period=period,
            value_en=format_figure(value, unit, "en"), value_ja=format_figure(value, unit, "ja"),
            period_en=format_period(period, "en"), period_ja=format_period(period, "ja"),
            docs=sorted({m.doc_name for m in g}),
            source=FigureSource(src.doc_name, src.hit.page, src.hit.chunk_id, src.sentence),
        ))
    return rows


def _conflict(a: str, b: str) -> bool:
    ra, rb = _RULE_BY_KEY[a], _RULE_BY_KEY[b]
    return a != b and not (ra.family and ra.family == rb.family and (ra.generic or rb.generic))


def find_disagreements(mentions: list[Mention]) -> list[dict[str, Any]]:
    """Distinctive figures (three or more significant digits) that two documents frame as different metrics.

    A document's framing of a value is the set of metrics its own sentences give it (figures it attributes to
    others do not count). Two documents disagree when each frames the value in a way the other does not.
    """
    pool = [m for m in mentions if m.metric and _sig_digits(m.fig) >= 3]
    out = []
    for group in _clusters(pool, same_metric=False):
        framing: dict[str, set[str]] = {}
        for m in group:
            if not m.claim:
                framing.setdefault(m.doc_name, set()).add(_key(m))
        pairs = [(a, b) for a in framing for b in framing if a < b and any(
            _conflict(x, y) for x in framing[a] - framing[b] for y in framing[b] - framing[a])]
        if not pairs:
            continue
        involved = {d for p in pairs for d in p}
        metrics: dict[str, list[str]] = {}
        for doc in sorted(involved, key=lambda d: min(i for i, m in enumerate(group) if m.doc_name == d)):
            for metric in sorted(framing[doc], key=lambda k: _RULE_ORDER[k]):
                metrics.setdefault(metric, []).append(doc)
        cited = []
        for metric, docs in metrics.items():
            for doc in docs[:3]:
                cited.append(min((m for m in group if m.doc_name == doc and m.metric == metric and not m.claim),
                                 key=_quality))
        shown = _display(group)
        out.append({
            "value": shown.fig.value, "unit": shown.fig.unit,
            "value_en": format_figure(shown.fig.value, shown.fig.unit, "en"),
            "value_ja": format_figure(shown.fig.value, shown.fig.unit, "ja"),
            "framings": [{"metric_key": k, "label_en": _label(k, "en", capital=False), "label_ja": _label(k, "ja"),
                          "docs": v[:3]} for k, v in metrics.items()],
            "mentions": cited,
        })
    return out
