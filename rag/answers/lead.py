"""An answer's own sentence in the reader's language, built by rule from what a quote states.

A Japanese reader of an English quote gets 「ライオットの2025年12月のビットコイン売却は1,818 BTC、手取金は1億6,160万ドル
です [1]。」: the company as the reader wrote it, the period, the glossary's label for each figure and the figure
written the Japanese way; the English sentence is shown as its source (原文), not as the answer. An English reader of
a Japanese quote gets the same in English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answers.attribution import _first_position, companies_named
from rag.answers.extractive import ASKS_QUANTITY
from rag.answers.kinds import asked_kinds, figure_kinds
from rag.answers.qtype import asked_measures, asked_metrics, question_wants
from rag.answers.when import When, agreement, periods_in
from rag.figures.format import format_figure, format_period
from rag.figures.glossary import term
from rag.figures.labels import RULES, label_figures
from rag.figures.parse import CURRENCIES, PERCENT_UNITS, parse_figures
from rag.query.companies import load_companies
from rag.query.kana import sounds_like
from rag.query.vocabulary import _vocabulary
from rag.text.normalize import normalize

_MONTH_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")


def format_when(w: When, lang: str) -> str:
    """'2025年12月' / 'December 2025'; a quarter's months as '2025年10〜12月' / 'October–December 2025'."""
    year = "" if w.year is None else str(w.year)
    if w.whole_year:
        return f"{year}年" if lang == "ja" and year else year
    if lang == "ja":
        months = f"{w.first}月" if w.first == w.last else f"{w.first}〜{w.last}月"
        return f"{year}年{months}" if year else months
    months = _MONTH_EN[w.first - 1] if w.first == w.last else f"{_MONTH_EN[w.first - 1]}–{_MONTH_EN[w.last - 1]}"
    return f"{months} {year}".strip()


def company_label(key: str | None, question: str, lang: str) -> str:
    """The company as the reader wrote it in the question, else its usual name in the reader's language."""
    if not key:
        return ""
    at, size = _first_position(question, key)
    if at >= 0:
        return normalize(question)[at: at + size].strip()
    entry = next((c for c in load_companies() if c.key == key), None)
    if entry is None:
        return ""  # a key made from metadata ("BITCOINMININGINDUSTRY") is no name to show
    return (entry.ja[0] if entry.ja else entry.name) if lang == "ja" else entry.name


def _when_label(text: str, wanted: list[When], lang: str) -> str:
    """The period a lead names: the asked one the quote states (its year from the question when the quote has
    none), else the first the quote names."""
    stated = periods_in(text)
    for w in wanted:
        for s in stated:
            if agreement([w], [s]) >= 0.8:
                return format_when(When(s.year or w.year, s.first, s.last), lang)
    return format_when(stated[0], lang) if stated else ""


def _same_year_span(a: str, b: str) -> bool:
    """Whether two period labels differ only in month or quarter (so naming the figure's own one helps)."""
    return a[:4] == b[:4] or not (a[:4].isdigit() and b[:4].isdigit())


# The scale a table states once in its header or caption: "(in millions)", "(in thousands, except per share)".
_TABLE_SCALE = re.compile(r"\bin (thousands|millions|billions)\b|単位[:：]?\s*(千|百万|十億)", re.IGNORECASE)
_SCALES = {"thousands": 1e3, "millions": 1e6, "billions": 1e9, "千": 1e3, "百万": 1e6, "十億": 1e9}


def table_scale(passage: str) -> float | None:
    """The one scale a passage's table header states ("in millions" -> 1e6); None when it states none or
    several (then a bare table figure's scale can't be settled)."""
    found = {_SCALES[(m.group(1) or "").lower() or m.group(2)] for m in _TABLE_SCALE.finditer(passage)}
    return found.pop() if len(found) == 1 else None


def _scaled(value: float, unit: str, written_scale: float, table: bool, scale: float | None) -> float | None:
    """A table line's bare amount ("12,662" under "in millions") in base units; None when its scale is unknown.

    A wrong number is worse than none: a table amount with no scale word and no stated table scale is dropped.
    """
    if not table or written_scale != 1.0 or not (unit in CURRENCIES or unit in ("shares", "")):
        return value
    return value * scale if scale else None


@dataclass(frozen=True)
class LeadAsk:
    """What figures a lead may state: those of the measures a question names or of the kinds of figure it asks
    for; `reasons` when it asks why, whose answer is often a figure of another measure."""

    measures: frozenset[str]
    kinds: frozenset[str]
    reasons: bool = False


# "How big", 「どの程度の規模か」: a size asked for, whatever its unit.
_ASKS_SIZE = re.compile(r"\bhow (?:big|large|small)\b|\bsize\b|\bscale\b|どの程度|規模|大きさ|"
                        r"(?:前年|前期|前月|前四半期)(?:から|と比べ|比で?)?どう(?:変化|推移|変わ)", re.IGNORECASE)


# A yes/no question: 「…に切り替えたのか?」「…しましたか?」, "Did …?", with no question word; one that compares
# (「…より多く」, "more than") or names a figure is answered by figures all the same.
_JA_QUESTION_WORD = re.compile(r"何|いくら|どの|どう|どれ|どちら|どこ|どんな|いつ|なぜ|誰|幾|何故")
_JA_YES_NO_END = re.compile(r"(?:のか|ですか|ますか|ましたか|でしょうか|[たるいだ]か)\s*[?？]?\s*$")
_EN_YES_NO = re.compile(r"^\s*(?:did|does|do|is|are|was|were|has|have|had|will|would|can|could|should)\b", re.IGNORECASE)
_COMPARES = re.compile(r"more|less|fewer|higher|lower|larger|smaller|above|below|exceed|than|より|以上|以下|未満|超|上回|下回|"
                       r"増え|減っ|多い|少な|高い|低い|大きい|小さい", re.IGNORECASE)


def yes_no(question: str) -> bool:
    """Whether a question asks yes or no and names or compares no figure (see _COMPARES): its lead states a figure
    only of a kind it names (「金額」), since a figure of whatever measure its words touch (「生産報告」: production)
    answers nothing it asks."""
    if _COMPARES.search(question) or parse_figures(question):
        return False
    if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", question):
        return not _JA_QUESTION_WORD.search(question) and bool(_JA_YES_NO_END.search(question))
    return bool(_EN_YES_NO.search(question)) and " or " not in question.lower()


def lead_measures(question: str) -> LeadAsk | None:
    """What a lead may state for a question (see LeadAsk): nothing for a question that asks for no figure at all
    (why, how, who … naming no measure); None (any figure) for one asking a quantity without naming its measure."""
    kinds = asked_kinds(question)
    if yes_no(question):
        return LeadAsk(frozenset(), frozenset(kinds), False)
    metrics = asked_metrics(question)
    why = "why" in question_wants(question).cues
    if metrics:
        return LeadAsk(frozenset(metrics), frozenset(kinds), why)
    if kinds or ASKS_QUANTITY.search(question) or _ASKS_SIZE.search(question) or asked_measures(question):
        return None
    return LeadAsk(frozenset(), frozenset(), why)


def _asked_for(asked: LeadAsk | None, metric: str | None, raw: str, strict: bool = True) -> bool:
    """Whether a lead may state a figure: one of a measure asked for; unlabelled, of a kind asked for or when the
    question names no kind; of any measure only when the question names none (a question about the ATM's proceeds
    is not answered with the quarter's financing inflow, however it is labelled)."""
    if asked is None or asked.reasons:
        return True  # any figure; a why question naming a measure is told its reason's figures, of whatever
        # measure (「採掘拡張を止めたのはなぜか」: the 600 MW the build-out had)
    if metric and metric in asked.measures:
        return True
    kinds = figure_kinds(raw)
    if strict and metric and kinds & _measure_kinds(asked.measures):
        return False  # the question names the measure of this kind it wants, the quote states it, this is another
    if asked.kinds & kinds:
        return True
    return False if metric else not asked.kinds


def _measure_kinds(measures: frozenset[str]) -> set[str]:
    """The kinds of figure the named measures are stated in: the ATM's proceeds in money, bitcoin sold in BTC."""
    out: set[str] = set()
    for rule in RULES:
        if rule.key in measures:
            out |= {"currency" if u in CURRENCIES else "percent" if u in PERCENT_UNITS else "count" for u in rule.units}
    return out


# A length of time an English sentence states ("more than 1,000 days", "a 10-year term" is a name, not a
# count): figure parsing leaves "1,000 days" out (a letter follows the number), so the lead reads it here.
_DURATION = re.compile(
    r"(?<![\w$.,-])(?:(?P<q>more than|over|about|around|roughly|approximately|nearly|almost|at least|some|up to)\s+)?"
    r"(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s+(?P<u>days?|weeks?|months?|years?)\b", re.IGNORECASE)
_DURATION_JA = {"day": "日", "week": "週間", "month": "か月", "year": "年間"}
_DURATION_EN = {"day": "days", "week": "weeks", "month": "months", "year": "years"}
_QUALIFIER_JA = {"more than": ("", "超"), "over": ("", "超"), "about": ("約", ""), "around": ("約", ""),
                 "roughly": ("約", ""), "approximately": ("約", ""), "some": ("約", ""), "nearly": ("", "近く"),
                 "almost": ("", "近く"), "at least": ("", "以上"), "up to": ("最大", "")}
# A question asking how long: 「何日」「何か月」「何年」「どのくらいの期間」, "how long", "how many days".
_ASKS_DURATION = re.compile(r"何\s*(?:日|週|か月|ヶ月|カ月|年間?)|期間|how long|how many (?:days|weeks|months|years)",
                            re.IGNORECASE)
# A share exchange ratio: "0.1235 CoreWeave share(s) per Core Scientific share".
_RATIO = re.compile(r"(?<![\w$.,])(?P<n>\d+(?:\.\d+)?)\s+(?P<a>(?:[A-Z][\w.&'-]*\s+){0,3})shares?\s+"
                    r"(?:per|for each|for every)\s+(?:one\s+)?(?P<b>(?:[A-Z][\w.&'-]*\s+){0,3})share\b")
_ASKS_RATIO = re.compile(r"交換比率|比率|exchange ratio|ratio", re.IGNORECASE)
# A question asking a price per unit: 「1株あたりの価値」, "per share".
_ASKS_PER = re.compile(r"あたり|当たり|単価|\bper\b|\ba share\b", re.IGNORECASE)


def asks_duration(question: str) -> bool:
    """Whether a question asks for a length of time (「何日かかるか」, "how long")."""
    return bool(_ASKS_DURATION.search(question))


def durations(text: str, lang: str) -> list[tuple[int, int, str]]:
    """(start, end, written) for each length of time an English text states, written for `lang`:
    "more than 1,000 days" -> 「1,000日超」, "about 850 days" -> 「約850日」; a year-long term written with a
    hyphen ("a 10-year lease") is left out, and so is a number glued to a date ("30 days after 1 May" keeps 30)."""
    out = []
    for m in _DURATION.finditer(text):
        unit = m.group("u").lower().rstrip("s")
        n, q = m.group("n"), (m.group("q") or "").lower()
        if lang == "ja":
            before, after = _QUALIFIER_JA.get(q, ("", ""))
            out.append((m.start(), m.end(), f"{before}{n}{_DURATION_JA[unit]}{after}"))
        else:
            out.append((m.start(), m.end(), f"{q + ' ' if q else ''}{n} {_DURATION_EN[unit]}"))
    return out


def exchange_ratios(text: str, question: str, lang: str) -> list[tuple[int, int, str]]:
    """(start, end, written) for each share exchange ratio an English text states ("0.1235 CoreWeave share per
    Core Scientific share" -> 「コア・サイエンティフィック1株につきコアウィーブ株0.1235株」), the companies named as
    the reader wrote them; a name not in the company list is left out rather than guessed."""
    out = []
    for m in _RATIO.finditer(text):
        a, b = (_company_word(m.group(g), question, lang) for g in ("a", "b"))
        n = m.group("n")
        if lang == "ja":
            out.append((m.start(), m.end(), f"{b}1株につき{a + '株' if a else ''}{n}株"))
        else:
            out.append((m.start(), m.end(), f"{n} {a + ' ' if a else ''}shares per {b + ' ' if b else ''}share"))
    return out


def _company_word(words: str, question: str, lang: str) -> str:
    keys = companies_named(words.strip())
    return company_label(keys[0], question, lang) if keys else ""


# A money figure that is a price per unit: "$20.40 a share", "$39.82 per PH/s per day".
_PER = re.compile(r"\s*(?:a|per|each)\s+(share|bitcoin|BTC|coin|MW|PH/s|EH/s|TH/s)\b(?:\s+(?:a|per)\s+(day|month|year)\b)?",
                  re.IGNORECASE)
_PER_JA = {"share": "1株", "bitcoin": "1BTC", "btc": "1BTC", "coin": "1BTC", "mw": "1MW", "ph/s": "1PH/s", "eh/s": "1EH/s",
           "th/s": "1TH/s"}
_PER_TIME_JA = {"day": "1日", "month": "1か月", "year": "1年"}


def per_unit(text: str, end: int, lang: str) -> str:
    """The denominator a money figure ending at `end` is a rate of, written before it in Japanese (「1株あたり」,
    「1PH/sあたり1日」); "" when none follows or for English (the English figure keeps its own words)."""
    m = _PER.match(text, end)
    if not m or lang != "ja":
        return ""
    return f"{_PER_JA[m.group(1).lower()]}あたり{_PER_TIME_JA.get((m.group(2) or '').lower(), '')}"


# Where a figure's clause ends after it: a semicolon, a dash, "and", a new sentence, or a date that is no period
# of the figure ("notes due 15 February 2032": a maturity).
_CLAUSE_BREAK = re.compile(r";|\s[—–-]\s|—|\band\b|\bwhile\b|\bbut\b|[.!?](?:\s|$)|"
                           r"\b(?:due|maturing|matures|expiring|expires|until|through|dated)\b|満期|償還")


def _clauses(text: str, figs: list) -> list[tuple[str, str]]:
    """Each figure's own clause, as (before, after): before, the text from the figure before it; after, the text
    up to the next figure of its kind (money, or not) or a clause break, as in "577 BTC for $51.5 million in
    December 2025 — …", where the period after the amount is the coins' too."""
    out = []
    for i, fig in enumerate(figs):
        later = [f for f in figs[i + 1:] if (f.unit in CURRENCIES) == (fig.unit in CURRENCIES)]
        after = text[fig.end: later[0].start if later else len(text)]
        cut = _CLAUSE_BREAK.search(after)
        out.append((text[figs[i - 1].end if i else 0: fig.start], after[: cut.start()] if cut else after))
    return out


def _clause_periods(clause: tuple[str, str]) -> list[When]:
    """The periods a figure's clause gives it: those named after it, else the one named nearest before it
    ("after the December sale of 1,818 BTC": December, not an August named earlier)."""
    before, after = clause
    if stated := periods_in(after):
        return stated
    # The nearest period before: the words from the end back to the first that name one, and a few words more,
    # since "2024" alone is read before "June 2024" is; the narrowest reading wins.
    starts = [0] + [i for i, ch in enumerate(before) if ch == " "]
    found: list[When] = []
    for n, start in enumerate(reversed(starts)):
        if stated := periods_in(before[start:]):
            found.append(stated[-1])
        if len(found) > 3 or n > 40:
            break
    return sorted(found, key=lambda w: w.last - w.first)[:1]


def _period_fit(clause: tuple[str, str], wanted: list[When], single: bool) -> str:
    """How a figure's clause fits the period asked, in a quote naming several ("5,686 BTC in the year … 1,406 BTC
    in the third quarter and 460 BTC in December"): 'agree' when it names the very period asked, 'holds' when it
    names a span holding it (the year of an asked quarter: stated with its own period), 'conflict' when it names
    others or a part of it, 'unknown' when it names none; always 'agree' when no
    period is asked or the quote names one. A figure that can't be placed yields its label to one that can: a
    wrong figure is worse than none."""
    if not wanted or single:
        return "agree"
    own = _clause_periods(clause)
    if not own:
        return "unknown"
    inside, holds = agreement(wanted, own) >= 0.8, agreement(own, wanted) >= 0.8
    # a balance "at December 28, 2019" is the asked year's, stated at its end
    at_end = any(o.first == o.last and w.year == o.year and o.last == w.last for o in own for w in wanted)
    return "agree" if (inside and holds) or at_end else "holds" if holds else "conflict"


def _restated(a: float, b: float) -> bool:
    """Whether two amounts are one amount written twice (exactly, then rounded): within half a per cent."""
    return a == b or (a * b > 0 and abs(a - b) <= 0.005 * max(abs(a), abs(b)))


# A question asking when: 「いつ」「何年に」「時期」, "when", "what date".
_ASKS_WHEN = re.compile(r"いつ|何年に|何月に|何日に|時期|\bwhen\b|what date|which (?:year|month|date)", re.IGNORECASE)
_YEAR_RANGE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:[–—-]|to)\s*((?:19|20)\d{2})(?!\d)")
_MONTH_ALT = "|".join(_MONTH_EN)
_DAY_MONTH_YEAR = re.compile(rf"(?<!\d)(\d{{1,2}})\s+({_MONTH_ALT})\s+((?:19|20)\d{{2}})(?!\d)")
_MONTH_DAY_YEAR = re.compile(rf"\b({_MONTH_ALT})\s+(\d{{1,2}}),\s+((?:19|20)\d{{2}})(?!\d)")


def asks_when(question: str) -> bool:
    """Whether a question asks when something happens (「いつ」, 「何年に」, "when")."""
    return bool(_ASKS_WHEN.search(question))


def dates_in(text: str, lang: str) -> list[str]:
    """The dates and periods an English text names, written for `lang` in the order found: "16 January 2026" ->
    「2026年1月16日」, "over 2026–2027" -> 「2026〜2027年」, "the first quarter of 2027" -> 「2027年1〜3月」."""
    found: list[tuple[int, str]] = []
    rest = text
    for m in _YEAR_RANGE.finditer(text):
        found.append((m.start(), f"{m.group(1)}〜{m.group(2)}年" if lang == "ja" else f"{m.group(1)}–{m.group(2)}"))
    for rx, d, mo, y in ((_DAY_MONTH_YEAR, 1, 2, 3), (_MONTH_DAY_YEAR, 2, 1, 3)):
        for m in rx.finditer(text):
            month = _MONTH_EN.index(m.group(mo)) + 1
            found.append((m.start(), f"{m.group(y)}年{month}月{int(m.group(d))}日" if lang == "ja" else m.group()))
    for m in [*_YEAR_RANGE.finditer(text), *_DAY_MONTH_YEAR.finditer(text), *_MONTH_DAY_YEAR.finditer(text)]:
        rest = rest[: m.start()] + " " * (m.end() - m.start()) + rest[m.end():]
    labels = [label for _, label in sorted(found)]
    labels += [format_when(w, lang) for w in periods_in(rest) if w.year]
    return list(dict.fromkeys(labels))


def when_sentence(quote_text: str, n: int, lang: str, question: str, company: str = "") -> str:
    """For a question asking when, the dates the quote names, in the reader's language, with its [n] (and the
    company it is about, when no figure lead names it); "" for another question or a quote naming none."""
    if not asks_when(question):
        return ""
    dates = dates_in(quote_text, lang)
    if not dates:
        return ""
    if lang == "ja":
        return f"{company + 'について、' if company else ''}原文が示す時期は{'、'.join(dates)}です [{n}]。"
    return f"The source{' about ' + company if company else ''} dates this to {', '.join(dates)} [{n}]."


def lead_sentence(quote_text: str, n: int, lang: str, company: str, wanted: list[When], table: bool = False,
                  scale: float | None = None, asked: LeadAsk | None = None, question: str = "") -> str:
    """One sentence in `lang` stating the labelled figures of a quote, with its [n]; "" when it labels none.

    A table line's bare amounts take the table's `scale`; without one they are left out. `asked`: what the
    question asks for (see lead_measures); a figure labelled as a measure not asked, of a kind not asked,
    is not stated (a lead answering a question about proceeds does not list the site's capacity), and none at all
    when the question asks for no figure; None states them all. `question`: the question's words, for the
    lengths of time, exchange ratios and prices per unit (「1株あたり」) it asks for, which no measure labels.
    """
    if asked is not None and not asked.measures and not asked.kinds and not asks_duration(question):
        return ""
    items: list[tuple[str, str, str]] = []  # (period, label, value)
    amounts: dict[tuple[str, str], float] = {}
    others: list[str] = []
    asked_extra: list[str] = []  # what the question asks that no measure labels: a length of time, a ratio
    elsewhere = False  # a figure labelled as another measure than the one asked was left out
    when = _when_label(quote_text, wanted, lang)
    # A quote naming several periods ("5,686 BTC in 2025 ... 1,406 BTC in the third quarter") gives a figure
    # without its own period no period at all: a wrong period is worse than none.
    single = len({(s.year, s.first, s.last) for s in periods_in(quote_text)}) <= 1
    labelled = label_figures(quote_text, keep_all=True)
    clauses = _clauses(quote_text, [f for f, *_ in labelled])
    # "During 2022, 2021 and 2020 … $0.55, $0.50 and $0.50 per share, respectively": the periods are listed apart
    # from the figures, so no clause places a figure; each keeps the period its labeller read.
    # Only a quote stating the measure asked has its other amounts of that kind left out: where it states none,
    # the measure may have been read amiss (「契約の枠」 read as contract revenue), and its amounts stay, labelled.
    strict = asked is not None and any(m in asked.measures for _, m, *_ in labelled)
    listed = bool(re.search(r"\brespectively\b", quote_text, re.IGNORECASE))
    fits = ["listed" if listed else _period_fit(c, wanted, single) for c in clauses]
    # Figures placed in the period asked come first, so they and not one that can't be placed answer for it.
    order = sorted(zip(labelled, clauses, fits, strict=True), key=lambda x: x[2] != "agree")
    for (fig, metric, period, _claim, _distance), clause, fit in order:
        if fit == "conflict":
            continue  # another period's figure
        amount = _scaled(fig.value, fig.unit, fig.scale, table, scale)
        if amount is None:
            continue
        value = format_figure(amount, fig.unit, lang) if fig.unit or amount != fig.value else fig.raw
        rate = per_unit(quote_text, fig.end, lang) if fig.unit in CURRENCIES else ""
        if rate:
            value, metric = rate + value, None  # a price per share is no total of the measure nearby
        if not (rate and _ASKS_PER.search(question)) and not _asked_for(asked, metric, fig.raw, strict):
            elsewhere = elsewhere or bool(metric)
            continue
        label = term(metric, lang) if metric else ""
        own = _own_period(period, clause, fit, wanted, single, when, lang)
        if own is None:
            continue  # a figure of another month than the one asked ("445 BTC in September" for December)
        shown = own or (when if single else "")
        if rate and _ASKS_PER.search(question):
            asked_extra.append(value)  # the price per unit the question asks for
        else:
            unplaced = fit == "unknown" and label in {x for _, x, _ in items}  # not a second answer beside it
            _place(items, amounts, others, ("", "") if unplaced else (shown, label), value, amount, fig.scale)
    _add_unlabelled(quote_text, lang, asked, question, asked_extra, others)
    if items and len({p for p, _, _ in items}) > 1:  # figures of several periods: each names its own
        when = ""
        items = [("", f"{p}の{x}" if lang == "ja" else f"{x} ({p})", v) if p else ("", x, v) for p, x, v in items]
    elif items:
        when = items[0][0] or (when if single else "")
    if (items or (elsewhere and asked and asked.measures)) and asked and not asked.reasons:
        # the measure asked for is stated, or the quote's figures are another measure's: unlabelled ones beside
        # them are noise (a lead asked for contract revenue does not give the capex sentence's cost per MW)
        others = []
    return _lead_text(items, asked_extra + others, company, when, n, lang)


def _own_period(period: str, clause: tuple[str, str], fit: str, wanted: list[When], single: bool, when: str,
                lang: str) -> str | None:
    """The period a lead names for one figure ("" for none), None for a figure of another month than the one asked.

    A figure's own month ("460 BTC in December") is trusted; its own quarter may be a fiscal one. In a quote of
    several periods with one asked, the figure's clause places it (see _period_fit), not the nearest period word.
    """
    if wanted and not single and fit != "listed":
        if fit == "holds":
            return format_when(_clause_periods(clause)[0], lang)
        return _when_label("".join(clause), wanted, lang) if fit == "agree" else ""
    if wanted and re.fullmatch(r"\d{4}-\d{2}", period or "") and not agreement(
            wanted, periods_in(format_period(period, "en"))) >= 0.8:
        return None
    return format_period(period, lang) if re.fullmatch(r"\d{4}(?:-\d{2})?", period or "") or (
        not when and re.fullmatch(r"\d{4}Q[1-4]", period or "")) else ""


def _add_unlabelled(quote_text: str, lang: str, asked: LeadAsk | None, question: str, asked_extra: list[str],
                    others: list[str]) -> None:
    """The figures no measure labels: lengths of time (asked for, or beside others when the question names no
    kind) and exchange ratios (when asked for, or when any figure may be stated)."""
    if asks_duration(question):
        asked_extra += [w for _, _, w in durations(quote_text, lang)]
    elif asked is None or not asked.kinds:
        others += [w for _, _, w in durations(quote_text, lang)]
    if asked is None or _ASKS_RATIO.search(question):
        asked_extra += [w for _, _, w in exchange_ratios(quote_text, question, lang)]


def _place(items: list[tuple[str, str, str]], amounts: dict[tuple[str, str], float], others: list[str],
           key: tuple[str, str], value: str, amount: float, written_scale: float) -> None:
    """Add a figure to the lead: the first of its (period, label) as an item; a later one that only restates it
    ("$600,533,914.83 …, or about $600.53 million") replaces it when written rounded, the document's own rounding
    being the one to show; an unlabelled or further figure among the others."""
    shown, label = key
    if label and key not in amounts:
        items.append((shown, label, value))
        amounts[key] = amount
    elif label and _restated(amounts[key], amount):
        if written_scale > 1:
            items[:] = [(p, x, value if (p, x) == key else v) for p, x, v in items]
    else:
        others.append(value)


def _lead_text(items: list[tuple[str, str, str]], others: list[str], company: str, when: str, n: int,
               lang: str) -> str:
    """The lead's words: the labelled figures (else the bare ones) after the company and period."""
    if not items:
        if not others:
            return ""
        if lang == "ja":
            head = "".join(f"{x}の" for x in (company, when) if x)
            return f"{head}数値として、原文は{'、'.join(others)}を挙げています [{n}]。"
        head = " in ".join(x for x in (company, when) if x)
        return f"{head + ': ' if head else ''}the source gives {', '.join(others)} [{n}]."
    if lang == "ja":
        head = "".join(f"{x}の" for x in (company, when) if x)
        body = "、".join(f"{label}は{value}" for _, label, value in items)
        extra = f"(このほか{'、'.join(others)})" if others else ""
        return f"{head}{body}です{extra} [{n}]。"
    head = " in ".join(x for x in (company, when) if x)
    body = "; ".join(f"{label}: {value}" for _, label, value in items)
    extra = f" (also {', '.join(others)})" if others else ""
    return f"{head + ' — ' if head else ''}{body[:1].upper() + body[1:]}{extra} [{n}]."


# A company named as the source of what a sentence says ("JPMorgan counted …", "according to Luxor"), not as
# what it is about.
_REPORTS_AFTER = re.compile(r"^(?:['’]s\s+[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*)?)?\s+(?:said|says|counted|estimated|estimates|"
                            r"reported|reports|noted|notes|wrote|writes|put|puts|found|finds|calculated|expects)\b")
_ACCORDING_BEFORE = re.compile(r"\b(?:according to|said|wrote|per)\s+$", re.IGNORECASE)


def is_source(text: str, key: str) -> bool:
    """Whether a sentence names a company only as the source of what it says ("JPMorgan counted a 3% fall in
    network hashrate"): a lead then names no company, since the figure is not that company's."""
    at, size = _first_position(text, key)
    if at < 0:
        return False
    norm = normalize(text)
    return bool(_REPORTS_AFTER.match(norm[at + size:]) or _ACCORDING_BEFORE.search(norm[:at]))


def source_note(n: int, lang: str, company: str, source_lang: str) -> str:
    """The lead when a quote in the other language states no figure: what and where, in the reader's language."""
    if lang == "ja":
        who = f"{company}について、" if company else ""
        return f"{who}英語の資料に該当する記載があります(原文は下記) [{n}]。" if source_lang == "en" else ""
    who = f" about {company}" if company else ""
    return f"A Japanese source{who} states this (original below) [{n}]." if source_lang == "ja" else ""


# Capitalised words that are no names: sentence openers, months, common abbreviations.
_NOT_NAME = re.compile(r"(?:The|A|An|In|On|At|By|For|Of|To|And|But|As|It|Its|This|That|These|Those|Their|With|From|"
                       r"After|Before|When|While|Since|Under|Over|Against|Rather|Only|One|Two|Three|Four|Five|Six|"
                       r"January|February|March|April|May|June|July|August|September|October|November|December|"
                       r"Q[1-4]|FY\d*|H[12]|I|BTC|USD|GAAP|Inc|Corp|Ltd|LLC|Co|MW|GW|IT|NASDAQ|NYSE)\.?")
# A possessive or a full stop after a name ("Riot's", "Inc."), not the name's own last letters ("Airplanes").
_POSSESSIVE = re.compile(r"(?:['’]s?|\.)+$")
_CAPITAL_RUN = re.compile(r"(?<![\w$])[A-Z][\w&'.-]*(?:\s+[A-Z][\w&'.-]*)*")


def _names_in(text: str) -> list[tuple[int, str]]:
    """Proper names of an English sentence not in the company list: capitalised runs, openers and months out."""
    out = []
    taken = [(at, at + size) for key in companies_named(text) for at, size in [_first_position(text, key)] if at >= 0]
    for m in _CAPITAL_RUN.finditer(text):
        if any(a < m.end() and m.start() < b for a, b in taken):
            continue  # part of a company's name ("Hut" of "Hut 8"): named by the company list
        words = [_POSSESSIVE.sub("", w) for w in m.group().split()]
        if not text[:m.start()].strip() or text[:m.start()].rstrip()[-1] in ".!?:;\"“":
            words = words[1:]  # a sentence's first word is capitalised whatever it is
        words = [w for w in words if len(w) > 1 and not _NOT_NAME.fullmatch(w)]  # not the "K" of "8-K"
        if words and not companies_named(" ".join(words)):
            out.append((m.start(), " ".join(words)))
    return out


def _ja_word(group: dict, english: str) -> str:
    """The Japanese word for an English term of a vocabulary group: the group's own word for that term when it
    lists one (settlement: 和解 in a group led by 訴訟), else the group's first Japanese term."""
    own = {k.lower(): v for k, v in group.get("ja_of", {}).items()}
    return str(own.get(english.lower()) or group["ja"][0])


def gist_terms(text: str, lang: str, question: str = "", limit: int = 8) -> list[str]:
    """The key terms of a quote written for a reader of `lang`, in the order the quote names them.

    For a Japanese reader of an English quote: each company by its Japanese name (as the question writes it, else
    the company list's), each financial term by its Japanese vocabulary term, and the other proper names (places,
    partners) as written, which a Japanese reader reads as they are. For an English reader of a Japanese quote:
    companies and vocabulary terms in English. Nothing is guessed: a word with no listed form is left out.
    """
    vocab = _vocabulary()
    found: list[tuple[int, str]] = []
    for key in companies_named(text):
        at, _ = _first_position(text, key)
        found.append((at, company_label(key, question, lang)))
    if lang == "ja":
        written: list[str] = []
        for start, _end, matched, gids in vocab.match_en(text):
            ja = [_ja_word(vocab.groups[g], matched) for g in sorted(gids) if not g.startswith("intent:") and
                  vocab.groups[g].get("ja")]
            if ja:
                found.append((start, ja[0]))
                written.append(ja[0])
        # a name the glossary writes in katakana by its sound (Rockdale: ロックデール) is not named again as written
        # (nor a name the vocabulary's word already holds: "AI" beside 「AI・HPC」)
        found += [(at, name) for at, name in _names_in(text)
                  if not any(sounds_like(w, name) or name in w for w in written)]
    else:
        for at, _term, gids in vocab.match_ja(text, "ja"):
            en = [vocab.groups[g]["en"][0] for g in sorted(gids) if not g.startswith("intent:") and
                  vocab.groups[g].get("en")]
            if en:
                found.append((at, en[0]))
    terms = [t for _, t in sorted(found, key=lambda f: f[0]) if t]
    return list(dict.fromkeys(terms))[:limit]


def gist_sentence(quote_text: str, n: int, lang: str, company: str, question: str = "",
                  skip: str = "") -> str:
    """A sentence in `lang` naming what a quote in the other language is about (its key terms), with its [n];
    terms already in `skip` (the figure lead, the company) are not repeated; "" when it has none."""
    terms = [t for t in gist_terms(quote_text, lang, question) if t and t not in skip and t != company]
    if not terms:
        return ""
    if lang == "ja":
        who = f"{company}について、" if company else ""
        return f"{who}原文は{'、'.join(terms)}に触れています [{n}]。"
    who = f" about {company}" if company else ""
    return f"The Japanese source{who} names {', '.join(terms)} [{n}]."
