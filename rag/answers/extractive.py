"""Extractive answers (no model): the sentences of the passages that answer the question asked, quoted.

A sentence answers only when it is about the company the question names (see attribution.py) and the period it
names (see when.py); among those, it is scored by closeness to the question, the question's words it holds, the
kind of figure asked for and the kind of statement asked for (reasons, risks, names: qtype.py). The best one is
quoted; each further quote must cover something asked for that the quotes before it left open.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from rag.answers.attribution import EVENT_BACK, Unit, companies_named, passage_units
from rag.answers.grounding import (
    Ask,
    Terms,
    asks_stated,
    cosines,
    coverage,
    cross_coverage,
    ja_asks,
    question_words,
    term_pattern,
    word_overlap,
)
from rag.answers.kinds import asked_kinds, figure_kinds
from rag.answers.qtype import (
    Wants,
    asked_measures,
    asked_metrics,
    asks_which_many,
    conjoined_words,
    focus_words,
    listed_items,
    question_parts,
    question_wants,
    single_part,
)
from rag.answers.reasons import (
    ANSWERED_IN_WORDS,
    ASKS_FINDINGS,
    HOW_MUCH,
    REFERS_BACK,
    about_asked,
    common_words,
    counterparties,
    denial,
    explained_by_next,
    findings_go_on,
    proper_names,
    reason_first,
    shares,
    without_names,
)
from rag.answers.shapes import each_company, listed_section, period_label
from rag.answers.when import When, agreement, periods_in
from rag.figures.labels import label_figures
from rag.figures.parse import Figure, parse_figures
from rag.query.analyze import QueryAnalysis, as_analysis
from rag.query.kana import katakana_names, sounds_written
from rag.schema import Hit
from rag.store.embeddings import Embedder
from rag.text.lang import KANA_KANJI
from rag.text.normalize import normalize

__all__ = ["LEAD_IN", "Picked", "Quote", "asked_kinds", "asked_text", "choose_quotes", "clip", "figure_kinds", "format_quotes",
           "pick_quotes", "quote_confidence"]

LEAD_IN = {"en": "According to the documents:", "ja": "資料によると:"}

_NUMBER = re.compile(r"\d")
_CLAUSE = re.compile(r"[;；,、]\s*")
# "According to the news article …", "記事によると": the reader wants what the article says
_NEWS = re.compile(r"\b(?:news|article|press|coverage|report(?:ed)? by)\b|記事|報道|ニュース", re.IGNORECASE)


# A quote in the reader's language is the answer itself; one in the other language only evidence behind a lead
# that states its figures, so a Japanese reader gains more from a Japanese quote than an English reader from an
# English one (the corpus is mostly English).
_SAME_LANG = {"en": 0.10, "ja": 0.20}

# The question asks for a quantity itself, not about one.
ASKS_QUANTITY = re.compile(
    r"\bhow (?:much|many|large|big|far)\b|\bwhat (?:was|were|is|are|did)\b|\bwhat (?:price|amount|share|percentage)\b|"
    r"いくら|どれ(?:だけ|くらい|ほど)|何(?:人|件|台|基|社|枚|個|[%％]|割|ドル|円|\s*[A-Za-z]+(?![A-Za-z]))|金額|[額率数量高]は",
    re.IGNORECASE,
)

# Japanese content words of a question: runs of kanji, katakana or Latin letters (IREN, AMD), which particles and
# kana endings separate.
_JA_RUN = re.compile(r"[\u4e00-\u9fff]{2,}|[\u30a0-\u30ff]{2,}|[A-Za-z][A-Za-z0-9]+")
_JA_FILLER = frozenset("記事 資料 指摘 何件 いくら どのよう 理由 同社".split())


def ja_coverage(question: str, text: str) -> float:
    """The share of a Japanese question's content runs (kanji, katakana, Latin) that a Japanese text holds."""
    runs = [r for r in dict.fromkeys(_JA_RUN.findall(question)) if r not in _JA_FILLER]
    if not runs or not KANA_KANJI.search(text):
        return 0.0
    low = text.lower()
    return sum(1 for r in runs if r.lower() in low) / len(runs)


# "did not sell any bitcoin", "no tenants at all", 「契約はゼロ」: a count of none, which answers "how many".
_NONE = re.compile(r"\b(?:did not|didn't|has not|hasn't|had not|hadn't)\s+\w+\s+(?:any|a single)\b|\bnot a single\b|"
                   r"\bno\s+(?:[a-z-]+\s+){0,2}(?:at all|yet)\b|\bnone\b|\bzero\b|ゼロ|一(?:件|つ|社)も|皆無",
                   re.IGNORECASE)


def stated_kinds(text: str, kinds: set[str]) -> set[str]:
    """The asked kinds of figure a sentence states; a sentence saying there were none states a count (zero)."""
    found = kinds & figure_kinds(text)
    return found | {"count"} if "count" in kinds and _NONE.search(text) else found


# A question the text asks ("Impressive numbers?", 「見事な数字に見えるだろうか。」) states nothing.
_ASKED = re.compile(r"[?？]\s*[\"”」)]?\s*$|(?:だろう|でしょう|のだろう)か[。]?\s*$")


def _long_enough(unit: str) -> bool:
    if _ASKED.search(unit):
        return False
    if KANA_KANJI.search(unit):
        return len(unit) >= 12
    return len(unit.split()) >= 4 or bool(_NUMBER.search(unit) and len(unit) >= 8)


def clip(unit: str, limit: int = 400) -> str:
    """A long unit cut at its last clause boundary before `limit` (never inside a word), marked with " …"."""
    if len(unit) <= limit:
        return unit
    head = unit[:limit]
    cuts = [m.start() for m in _CLAUSE.finditer(head) if m.start() > limit // 2]
    end = cuts[-1] if cuts else (head.rfind(" ") if head.rfind(" ") > limit // 2 else limit)
    return head[:end].rstrip(" ,;、") + " …"


@dataclass
class Quote:
    """One quoted unit: the passage number, the text (with a qualifying next sentence), its score, language and
    the company it is about."""

    n: int
    text: str
    score: float
    lang: str = "en"
    subject: str | None = None
    aspects: frozenset[str] = frozenset()
    part_of: str = ""  # the period asked, when the quote states a figure for a part of it only (see _PARTS)


@dataclass
class Picked:
    """The quotes chosen, the share of what the question asks for that they cover, and why none was chosen."""

    quotes: list[Quote] = field(default_factory=list)
    covered: float = 0.0
    reason: str = ""
    missing: list[str] = field(default_factory=list)  # companies compared that no quote is about


def _company_fit(unit: Unit, asked: set[str]) -> float | None:
    """1 when the unit is about an asked company, 0.5 when it is unattributed but its document covers one, None
    when it is about another company (or nothing ties it to an asked one)."""
    if not asked:
        return 0.5
    if unit.subject in asked:
        return 1.0
    if unit.subject is None and asked & (set(unit.named) | set(unit.doc_companies)):
        return 0.5
    return None


def _period_fit(unit: Unit, wanted: list[When], kinds: set[str], strict: bool = False,
                metrics: frozenset[str] = frozenset(), parts: bool = False) -> float | None:
    """How the unit's periods fit the asked ones; None when a figure of the asked kind is stated for another period.

    `strict` (the question asks for the figure itself): a figure stated only for a longer or shorter span than the
    one asked (the year's for a quarter, a quarter's for the year) is no answer either, unless `parts` (a shorter
    span inside the one asked answers as a part of it).
    """
    if not wanted:
        return 0.5
    if unit.periods:
        # a figure of the asked kind, or one labelled as the measure asked ("bitcoin production": 463 BTC mined)
        figure = bool(kinds & figure_kinds(unit.text)) or bool(metrics & labelled_metrics(unit.text))
        fit = agreement(wanted, unit.periods)
        if figure and (fit == 0.0 or (strict and fit < 0.8)):
            return None  # the asked kind of figure, for another period: not an answer
        if figure and fit >= 0.8 and not any(s.first == w.first and s.last == w.last for w in wanted
                                              for s in unit.periods):
            return None if strict and not parts else 0.3  # a quarter's figure is part of the year, not the year's
        return fit
    context = agreement(wanted, unit.context_periods) if unit.context_periods else 0.5
    spans = [s for s in unit.context_periods if s.last - s.first >= 2]  # a reporting period, not a report's date
    if strict and spans and kinds & figure_kinds(unit.text) and (
            agreement(wanted, spans) == 0.0 or (all(w.whole_year for w in wanted) and
                                                not any(s.whole_year for s in spans))):
        # the figure asked for, under a heading (or in a document) of another quarter or year, or of a quarter
        # when the year's figure is asked for
        return None
    return 0.5 * context + 0.25


# Words before a measure that do not narrow it ("the revenue", "its total revenue", "2025 revenue").
_PLAIN = frozenset("the a an its their our his her total net gross overall quarterly annual and or of in for was were "
                   "is are with on from as at by to that which record reported full-year year quarter group company "
                   "consolidated".split())
_WORD_BEFORE = re.compile(r"([A-Za-z][\w-]*)\W*$")


def _only_qualified(text: str, question: str, metrics: dict[str, re.Pattern[str]]) -> bool:
    """Whether every mention of an asked measure in a sentence is narrowed by a word the question does not use
    ("colocation revenue", "self-mining revenue" for a question about revenue): a part, not the measure asked."""
    if not metrics or KANA_KANJI.search(question):
        return False  # a Japanese question's words can't be compared with an English qualifier
    asked = question.lower()
    mentions = [(w, m) for w in metrics.values() for m in w.finditer(text)]
    if not mentions:
        return False
    for w, m in mentions:
        before = _WORD_BEFORE.search(text[:m.start()])
        word = before.group(1).lower() if before else ""
        if not word or word in _PLAIN or word.endswith("'s") or word in asked:
            return False
        if before is not None and (whole := w.match(text, before.start(1))) and whole.end() >= m.end():
            return False  # the word is part of the measure's own name ("bitcoin holdings")
    return True


@lru_cache(maxsize=4096)
def labelled_metrics(text: str) -> frozenset[str]:
    """The metrics the figures of a sentence state (revenue, bitcoin sold …), by the figure-labelling rules."""
    return frozenset(m for _, m, *_ in label_figures(text) if m)


def _same(a: Figure, b: Figure) -> bool:
    return a.unit == b.unit and abs(a.value - b.value) <= max(a.ulp, b.ulp, 1e-9 * abs(a.value))


def _aspects(unit: Unit, wants: Wants, asked: set[str], wanted: list[When], words: Sequence[str],
             metrics: dict[str, re.Pattern[str]], figures: Sequence[Figure],
             common: Sequence[str] | None = None, elsewhere: frozenset[int] = frozenset(),
             before: str = "", lead: str = "") -> frozenset[str]:
    """What of the question a unit answers: cues, figure kinds, each side of a comparison, question words. A
    reason, means or risk counts only in a unit sharing one of the question's `common` words (None: any unit); a
    word on a figure's reliability, only in a passage holding the figure the question names (not in `elsewhere`).
    `before`: the sentence before it in its section, which sets its topic; `lead`: that sentence, when this one
    refers back to it ("it depends on …")."""
    text = unit.quote
    out = set(wants.aspects(text))
    if "who" in out and asked and "who" not in wants.aspects(without_names(text, asked)):
        out.discard("who")  # "With whom did Riot sign?" is not answered by "Riot Platforms announced …"
    if not about_asked(f"{before} {text}", common):
        out -= ANSWERED_IN_WORDS
    if "reliable" in out and unit.n in elsewhere and any(g.unit for g in parse_figures(text)):
        out.discard("reliable")  # what is said of another figure than the one the question asks about
    elif about_asked(f"{lead} {text}", common, need=2):
        out |= {f"{c}+" for c in out & ANSWERED_IN_WORDS}  # a reason plainly about the thing asked
    if len(asked) > 1 and unit.subject in asked:
        out.add(f"company:{unit.subject}")
    if "who" in wants.cues and unit.subject:
        out.add(f"company:{unit.subject}")
    if len(wanted) > 1:
        out |= {f"period:{i}" for i, w in enumerate(wanted)
                if not w.whole_year and unit.periods and agreement([w], unit.periods) >= 0.8}
    out |= {f"metric:{key}" for key, words in metrics.items() if words.search(text)}
    out |= {f"figure:{f.value:g}" for f in figures if any(_same(f, g) for g in parse_figures(text))}
    out |= {f"word:{w}" for w in words if term_pattern(w).search(text)}
    return frozenset(out)


def _dated_by_next(scored: list[Quote], units: Sequence[Unit], wants: Wants) -> list[Quote]:
    """For a "when" question whose best quote gives no new date, the best quote with the sentence after it when
    that one dates the event ("… sold 475 BTC in April 2025. That was its first sale since January 2024")."""
    if not scored or "when" not in wants.cues or "when" in scored[0].aspects:
        return scored
    best = scored[0]
    for u, v in zip(units, units[1:], strict=False):
        if u.n == best.n == v.n and u.quote == best.text and EVENT_BACK.match(v.text) and "when" in wants.aspects(v.quote):
            merged = Quote(best.n, f"{best.text} {v.quote}", best.score, best.lang, best.subject,
                           best.aspects | {"when"})
            return [merged, *scored[1:]]
    return scored


# A follow-up that moves on in time ("after that", 「その後」) asks about a later period than the question before it.
_LATER = re.compile(r"\b(?:after that|afterwards|later|then|since then|next)\b|その後|それから|以降|次に", re.IGNORECASE)


def asked_text(analysis: QueryAnalysis, follow_up: str) -> tuple[str, list[When]]:
    """What a question asks for, and the periods it asks about. A follow-up joined to the question before it
    (the standalone text) asks what the follow-up itself asks; the period is its own, else the earlier one's
    unless it moves on in time."""
    if not follow_up or follow_up == analysis.text or follow_up not in analysis.text:
        return analysis.text, periods_in(analysis.text)
    own = periods_in(follow_up)
    return follow_up, own or ([] if _LATER.search(follow_up) else periods_in(analysis.text))


# Flows whose figures for parts of a period add up to the period's ("bitcoin sold in 2025": September's and
# December's sales): when no figure for the whole period is stated, the parts answer, said to be parts. Reported
# totals (revenue, net income) are not summed by a reader from a quarter or two, and a question naming a
# reporting period ("full-year", 「通期」) asks for the reported total.
_PARTS = frozenset({"bitcoin_sold", "bitcoin_mined", "proceeds", "share_repurchases"})
_REPORTED_TOTAL = re.compile(r"\b(?:full[- ]year|fiscal|annual|year[- ]end|for the year|whole year)\b|通期|年度|年間|通年",
                             re.IGNORECASE)


def choose_quotes(question: str | QueryAnalysis, hits: Sequence[Hit], embedder: Embedder, lang: str = "",
                  max_quotes: int = 3, max_passages: int = 2, headings: Sequence[str] = (),
                  follow_up: str = "") -> Picked:
    """The sentences or table lines that answer the question, best first, and how much of it they answer (see
    _choose). A question asking how much of a flow (bitcoin sold, mined …) there was in a period that no passage
    states it for is answered by the figures for parts of the period, each quote marked `part_of` it."""
    picked = _choose(question, hits, embedder, lang, max_quotes, max_passages, headings, follow_up)
    if picked.quotes:
        return picked
    analysis = as_analysis(question)
    text, wanted = asked_text(analysis, follow_up)
    metrics = set(asked_metrics(text))
    if not (len(wanted) == 1 and metrics and metrics <= _PARTS and ASKS_QUANTITY.search(text)
            and not _REPORTED_TOTAL.search(text)):
        return picked
    parts = _choose(question, hits, embedder, lang, max_quotes, max_passages, headings, follow_up,
                    period_parts=True)
    if not parts.quotes:
        return picked
    label = period_label(wanted[0], lang or analysis.lang)
    parts.quotes = [replace(q, part_of=label) for q in parts.quotes]
    return parts


Fitted = tuple[Unit, float, float]


def _stating(kept: list[Fitted], text: str, wants: Wants, metrics: dict[str, re.Pattern[str]], strict: bool,
             one: bool) -> tuple[list[Fitted], str, set[int]]:
    """The units that state what the question asks (the measure it names, the kind of figure it asks for), why
    none does, and the ids of those that continue a sentence naming the measure without naming it themselves."""
    kinds = set(wants.kinds)
    continuing: set[int] = set()
    before = {id(v): u for (u, _, _), (v, _, _) in zip(kept, kept[1:], strict=False) if u.n == v.n}
    measures = asked_measures(text)
    if (measures or (strict and metrics and one)) and not wants.cues & ANSWERED_IN_WORDS:
        # A question naming a measure (a dividend, a hashrate, pay; the bitcoin mined, for a figure question) is
        # answered by a sentence that names it (any measure it names, when it asks several things); "why" and
        # "risk" questions are answered by reasons, which need not repeat it.
        stated = list(measures.values()) if one and measures else [*measures.values(), *metrics.values()]
        # A table line names its measure in the header row, not in the line; a sentence continuing one that
        # names it, and holding the question's own words ("… sold $600.5 million of stock. The remaining $149.5
        # million of capacity was left unused"), is about it too.
        named = {id(u) for u, _, _ in kept if any(w.search(u.quote) for w in stated)}
        common = common_words(text)
        continuing = {id(u) for u, _, _ in kept if id(u) not in named and id(before.get(id(u))) in named and
                      common is not None and about_asked(u.quote, common, need=2)}
        kept = [(u, c, p) for u, c, p in kept if u.table or id(u) in named | continuing]
        if not kept:
            return [], f"no passage states {', '.join(measures or metrics)}", continuing
    if strict:
        # "how much", "how many", "what was": only a sentence stating such a figure answers. A question that only
        # names a measure ("How did revenue grow?", "Why did revenue fall?") can be answered in words.
        # A figure labelled as a measure the question names ("revenue and bitcoin production": 5,686 BTC mined)
        # answers its part, whatever kind of figure the rest of the question asks for.
        kept = [(u, c, p) for u, c, p in kept if stated_kinds(u.text, kinds) or set(metrics) & labelled_metrics(u.text)]
        if not kept:
            return [], "no passage states the figure asked for", continuing
    return kept, "", continuing


def _choose(question: str | QueryAnalysis, hits: Sequence[Hit], embedder: Embedder, lang: str = "",
            max_quotes: int = 3, max_passages: int = 2, headings: Sequence[str] = (),
            follow_up: str = "", period_parts: bool = False) -> Picked:
    """The sentences or table lines that answer the question, best first, and how much of it they answer.

    Units about another company than the one asked, or stating the asked kind of figure for another period, are
    left out. The rest are scored by cosine with the question (0.45), share of its content words (0.25), the
    kind of figure asked for (0.10), company and period fit (0.15 each), the kinds of statement asked for
    (reasons, risks, names: 0.15) and the question's language (0.10). The best unit is quoted; a further unit
    within half its score is quoted when it covers an aspect the quotes before it did not. `follow_up`: the
    question as asked, when `question` is it joined to the one before (see asked_text).
    """
    analysis = as_analysis(question)
    text, wanted = asked_text(analysis, follow_up)
    lang = lang or analysis.lang
    heads = list(headings) + [""] * (len(hits) - len(headings))
    units = [u for n, h in enumerate(hits, 1) for u in passage_units(n, h, heads[n - 1]) if _long_enough(u.text)]
    if not units:
        return Picked(reason="the passages hold no quotable sentence")
    asked = set(analysis.companies)
    wants = question_wants(text)
    terms = question_words(analysis)
    kinds = set(wants.kinds)
    # "What did the miner do with the cash?" asks a use, in words; "How much did it spend on …?" a figure
    # and "What did the analyst say about the sales?" what was said, not a figure
    strict = bool(kinds) and bool(ASKS_QUANTITY.search(text)) and not (
        (wants.cues & ANSWERED_IN_WORDS or ASKS_FINDINGS.search(text)) and not HOW_MUCH.search(text))
    metrics = asked_metrics(text)
    fits = [(u, _company_fit(u, asked), _period_fit(u, wanted, kinds, strict, frozenset(metrics), period_parts))
            for u in units]
    kept = [(u, c, p) for u, c, p in fits if c is not None and p is not None]
    if not kept:
        about = "the company asked about" if not any(c is not None for _, c, _ in fits) else "the period asked about"
        return Picked(reason=f"no passage states it for {about}")
    if metrics and asked and not any(c == 1.0 and any(w.search(u.quote) for w in metrics.values()) for u, c, _ in kept):
        # The named company is there, but nothing said about it is the thing asked for (its production, its CEO).
        return Picked(reason=f"no passage states {', '.join(metrics)} for the company asked about")
    one = single_part(text)
    kept, reason, continuing = _stating(kept, text, wants, metrics, strict, one)
    if not kept:
        return Picked(reason=reason)
    figures = [f for f in parse_figures(analysis.text) if f.unit]
    # a person or firm the question names in katakana, which an English sentence writes in Latin letters
    names = [n for n in katakana_names(normalize(text)) if not companies_named(n)]
    doc_types = set(analysis.doc_types) | ({"news"} if _NEWS.search(analysis.text) else set())
    cos = cosines(embedder, analysis.text, [u.quote for u, _, _ in kept])
    if text != analysis.text:  # a follow-up: as close to what it asks as to the conversation it continues
        cos = 0.5 * (cos + cosines(embedder, text, [u.quote for u, _, _ in kept]))
    years = set(analysis.years)
    # the English for what a Japanese question asks, when no metric names it: an English sentence naming it
    focus = focus_words(text) if lang == "ja" and not metrics else None
    parts = [p for p in (_Part.of(t) for t in question_parts(text)) if p.terms.words or
             p.terms.concepts or p.terms.expansions]
    common = common_words(text)
    places = proper_names(text, analysis.companies)
    # "Reuters reported that it depends on …": what "it" is, the sentence before says
    prevs = {id(v): u.quote for u, v in zip(units, units[1:], strict=False) if u.n == v.n and u.heading == v.heading}
    denies = denial(text, wants, common)
    # the passages that hold none of the figures the question names: what they say of a figure is of another one
    elsewhere = frozenset(n for n, h in enumerate(hits, 1) if figures and not any(
        _same(f, g) for f in figures for g in parse_figures(h.text)))
    # What the question names (交換比率, 月平均, 減価償却), stated by each unit in its own language or the other: the
    # reader's language is preferred only between units stating as many of them as any in the other language.
    asks = ja_asks(text) if lang == "ja" else ()
    stated = [len(asks_stated(asks, u.quote)) for u, _, _ in kept]
    other_best = max((n for (u, _, _), n in zip(kept, stated, strict=True) if u.lang != lang), default=0)
    scored: list[Quote] = []
    for (u, cfit, pfit), c, n_stated in zip(kept, cos, stated, strict=True):
        before = prevs.get(id(u), "")
        aspects = _aspects(u, wants, asked, wanted, terms.words, metrics, figures, common, elsewhere, before,
                           before if REFERS_BACK.search(u.text) else "")
        aspects |= {f"part:{i}" for i, part in enumerate(parts) if _part_cover(part, u, lang) >= 0.5}
        cue = len(aspects & set(wants.cues)) / len(wants.cues) if wants.cues else 0.0
        fig = 1.0 if kinds and stated_kinds(u.text, kinds) else 0.0
        length = max(0, len(u.quote.split()) - 45) / 40
        # A year the question names is met by a sentence stating a period of it ("the fourth quarter", under a
        # 2025 heading), not only by one spelling the year.
        dated = bool(u.periods) and pfit >= 0.8
        # The heading a sentence stands under is read with it ("Nine months to September 2025" over "Financing
        # activities brought in …"), so its words count half.
        own = coverage(terms, f"{u.quote} {' '.join(years)}" if dated else u.quote)
        words = max(own, 0.5 * (own + coverage(terms, f"{u.quote} {u.heading}"))) if u.heading else own
        w_cos, w_words = 0.45, 0.25
        if lang == "ja" and u.lang == "ja":  # the question's own words, which English synonyms don't reach
            words = max(words, ja_coverage(analysis.text, u.quote))
        elif lang == "ja":
            # A Japanese question's words never meet an English sentence's: its vocabulary terms are matched in
            # English, and the share of its words that can't be (place names, rare terms) goes to the encoder.
            words, known = cross_coverage(terms, u.quote)
            w_cos, w_words = 0.45 + 0.25 * (1 - known), 0.25 * known
        score = (w_cos * float(c) + w_words * words + 0.10 * fig + 0.15 * cfit + 0.15 * pfit
                 + 0.15 * cue + (_SAME_LANG.get(lang, 0.10) if u.lang == lang and n_stated >= other_best else 0.0)
                 + (0.10 if id(u) in continuing or any(w.search(u.quote) for w in metrics.values()) else 0.0)
                 + (0.10 if focus is not None and u.lang != "ja" and focus.search(u.quote) else 0.0)
                 - (0.15 if _only_qualified(u.quote, text, metrics) else 0.0)
                 + (0.15 if any(sounds_written(n, u.quote) for n in names) else 0.0)
                 + (0.15 if metrics and set(metrics) & labelled_metrics(u.text) else 0.0)
                 + (0.15 if any(a.startswith("figure:") for a in aspects) else 0.0)
                 + (0.10 if u.doc_type in doc_types else 0.0) + 0.03 / u.n - 0.05 * min(2.0, length)
                 + (0.10 if places and all(shares(p, u.quote) for p in places) else 0.0)
                 - (0.15 if denies is not None and denies.search(u.quote) else 0.0))
        scored.append(Quote(u.n, u.quote, score, u.lang, u.subject, aspects))
    if (section := listed_section(listed_items(text), [u for u, _, _ in kept], scored)) is not None:
        return Picked(section, 1.0)
    scored.sort(key=lambda q: q.score, reverse=True)
    scored = _states_the_asks_first(scored, asks, lang)
    if (which := asks_which_many(text)) and (each := each_company(
            scored, [w for w in terms.words if not shares(which, w)], asked, max_quotes + 1)) is not None:
        return Picked(each, 1.0)
    scored = _dated_by_next(scored, units, wants)
    scored = explained_by_next(scored, units, wants, common)
    scored = findings_go_on(scored, units, text)
    joined = [w for w in conjoined_words(text) if w in terms.words]
    others = counterparties(text, analysis.companies)
    sides = _sides([k for k in analysis.companies if k not in others], wanted, metrics, wants, one) + [f"part:{i}" for i in range(len(parts))] + \
        ([f"word:{w}" for w in joined] if len(joined) > 1 else [])
    return _select(scored, wants, terms.words, asked, wanted, max_quotes, max_passages, sides)


def _states_the_asks_first(scored: list[Quote], asks: Sequence[Ask], lang: str) -> list[Quote]:
    """A best quote in the reader's language that states fewer of the question's asks (see ja_asks) than a
    close one in the other language gives way to it: the language decides only between quotes that state what
    was asked equally well, and a lead renders the other one's figures."""
    if not asks or not scored or scored[0].lang != lang:
        return scored
    top = scored[0]
    have = len(asks_stated(asks, top.text))
    rivals = [(len(asks_stated(asks, q.text)), q.score, q) for q in scored[1:]
              if q.lang != lang and q.score >= 0.5 * top.score]
    if not rivals or max(r[0] for r in rivals) <= have:
        return scored
    best = max(rivals, key=lambda r: r[:2])[2]
    lifted = replace(best, score=top.score + 0.01)
    return [lifted] + [q for q in scored if q is not best]


@dataclass(frozen=True)
class _Part:
    """One part of a question asking several things ("How large was it, and what did it replace?")."""

    text: str
    terms: Terms

    @classmethod
    def of(cls, text: str) -> _Part:
        return cls(text, question_words(text))


# A part asking how far something goes (「最大どこまで拡張できるか」, "up to how many MW") asks for a figure too.
_ASKS_LIMIT = re.compile(r"どこまで|\bup to how\b", re.IGNORECASE)


def _part_cover(part: _Part, unit: Unit, lang: str) -> float:
    """How much of one part of the question a unit holds, in its own words or across languages; a part asking
    for a quantity ("how large was it") is held only by a unit stating a figure."""
    if (ASKS_QUANTITY.search(part.text) or _ASKS_LIMIT.search(part.text)) and not parse_figures(unit.text):
        return 0.0
    if lang == "ja" and unit.lang == "ja":
        return ja_coverage(part.text, unit.quote)
    if lang == "ja":
        return cross_coverage(part.terms, unit.quote)[0]
    return coverage(part.terms, unit.quote)


def _sides(companies: Sequence[str], wanted: list[When], metrics: dict[str, re.Pattern[str]], wants: Wants,
           one: bool) -> list[str]:
    """The parts of a question each of which needs its own quote: every company a question names beside another
    ("compare A and B", 「AとBを比べて」), every period of a comparison across periods, and every measure of a
    question asking several ("revenue and net loss")."""
    sides = [f"company:{k}" for k in dict.fromkeys(companies)] if len(set(companies)) > 1 else []
    if len(wanted) > 1 and "compare" in wants.cues:
        sides += [f"period:{i}" for i, w in enumerate(wanted) if not w.whole_year]
    if len(metrics) > 1 and not one:
        sides += [f"metric:{k}" for k in metrics]
    # a why/how/risk question quotes a sentence giving the reason, means or risk of the thing asked, whatever else
    # it quotes
    sides += [f"{c}+" for c in sorted(wants.cues & ANSWERED_IN_WORDS)]
    if "who" in wants.cues:
        sides.append("who")  # "with whom …": a quote naming the other party, whatever else is asked
    return sides


# A document answering one part of a question usually answers the next in the same place: a sentence of a
# passage already quoted is preferred for a further part when it scores within this margin of the best one.
_LOCAL_MARGIN = 0.08
# What each of the question's words a sentence holds adds to its score as one side of a comparison.
_SIDE_WORD = 0.05


def _side_quote(side: str, scored: Sequence[Quote], chosen: Sequence[Quote]) -> Quote | None:
    """The best quote covering one side or part of the question, preferring the passages already quoted."""
    options = [q for q in scored if side in q.aspects and q not in chosen and q.score >= 0.15]
    if not options:
        return None
    if side.startswith("company:"):
        # one side of a comparison: the sentence about it holding most of what is compared ("Hut 8's River Bend
        # lease": the one naming River Bend and the lease, not one on who guarantees its payments)
        options.sort(key=lambda q: q.score + _SIDE_WORD * sum(1 for a in q.aspects if a.startswith("word:")),
                     reverse=True)
    quoted = {c.n for c in chosen}
    local = next((q for q in options if q.n in quoted), None)
    return local if local is not None and local.score >= options[0].score - _LOCAL_MARGIN else options[0]


# "Financing brought in $443.8 million, of which $200.0 million came from …": the parts of a total.
_BREAKDOWN = re.compile(r"\b(?:of which|including|comprising|consisting of|made up of)\s+(?:about |roughly |some )?"
                        r"[$€£¥]?\d|うち", re.IGNORECASE)


def _breaks_down(text: str, chosen: Sequence[Quote]) -> bool:
    """Whether a sentence splits a total a chosen quote states ("$443.8 million, of which $200.0 million … and
    $199.6 million …") into parts of its unit none of them gives: the reader asked for the figure and gets what
    it is made of."""
    m = _BREAKDOWN.search(text)
    if m is None:
        return False
    quoted = [g for c in chosen for g in parse_figures(c.text) if g.unit]
    totals = [f for f in parse_figures(text[:m.start()]) if f.unit and any(_same(f, g) for g in quoted)]
    parts = [f for f in parse_figures(text[m.start():]) if f.unit and not any(_same(f, g) for g in quoted)]
    return any(sum(1 for p in parts if p.unit == t.unit) >= 2 for t in totals)


def _select(scored: list[Quote], wants: Wants, words: Sequence[str], asked: set[str], wanted: list[When],
            max_quotes: int, max_passages: int, sides: Sequence[str] = ()) -> Picked:
    """The best quote, then the best quote for each side or part still uncovered (a comparison quotes each
    company it names, a question asking several measures each measure), then each next one that covers an
    aspect still open."""
    cues = wants.cues & ANSWERED_IN_WORDS
    best = reason_first(scored, cues)
    chosen = [best]
    covered = set(best.aspects)
    missing = []
    for side in sides:
        if side in covered:
            continue
        q = _side_quote(side, scored, chosen)
        if q is None and side.endswith("+") and side[:-1] not in covered:
            # no reason plainly about the thing asked: one in a passage already quoted, which is about it
            q = _side_quote(side[:-1], [q for q in scored if q.n in {c.n for c in chosen}], chosen)
        if q is None:
            missing.append(side)
            continue
        chosen.append(q)
        covered |= q.aspects
    max_quotes = max(max_quotes, len(chosen) + 1)
    max_passages = max(max_passages, len({c.n for c in chosen}))
    pool = [q for q in scored if q.score >= max(0.5 * best.score, 0.15) and q not in chosen]
    while len(chosen) < max_quotes:
        options = []
        for q in pool:
            new = q.aspects - covered
            named = [a for a in new if not a.startswith("word:")]
            if not named and len(new) < 2 and not _breaks_down(q.text, chosen):
                continue  # one more shared word is not a reason to quote another sentence
            if (cues and not cues & q.aspects) or len({c.n for c in chosen} | {q.n}) > max_passages:
                # a why/how/risk question: a further quote gives another reason, not more of the event
                continue
            if any(word_overlap(q.text, c.text) > 0.8 or q.text in c.text or c.text in q.text for c in chosen):
                continue
            options.append((len(named), len(new), q.score, q))
        if not options:
            break
        q = max(options, key=lambda o: o[:3])[3]
        chosen.append(q)
        covered |= q.aspects
        pool.remove(q)
    wanted_all = wants.all | {f"company:{k}" for k in asked if len(asked) > 1} | \
        {f"period:{i}" for i, w in enumerate(wanted) if len(wanted) > 1 and not w.whole_year}
    share = len(covered & wanted_all) / len(wanted_all) if wanted_all else 1.0
    return Picked(chosen, share, missing=[m.split(":", 1)[1] for m in missing if m.startswith("company:")])


def pick_quotes(question: str | QueryAnalysis, hits: Sequence[Hit], embedder: Embedder, max_quotes: int = 3,
                max_passages: int = 2) -> list[Quote]:
    """The quotes of choose_quotes alone ([] when none answers)."""
    return choose_quotes(question, hits, embedder, max_quotes=max_quotes, max_passages=max_passages).quotes


def format_quotes(quotes: Sequence[Quote], lang: str, lead_in: bool = True) -> str:
    """The lead-in in the question's language, then one quoted line with its [n] per quote."""
    lines = [LEAD_IN.get(lang, LEAD_IN["en"])] if lead_in else []
    for q in quotes:
        mark = f"「{clip(q.text)}」" if (q.lang == "ja" or lang == "ja") else f"\"{clip(q.text)}\""
        lines.append(f"{mark} [{q.n}]")
    return "\n".join(lines)


def quote_confidence(quotes: Sequence[Quote], covered: float = 1.0) -> float:
    """0–1 from the best quote's score (0.15 or less: nothing; 0.6 or more: full), scaled by the share of what
    the question asks for that the quotes cover."""
    if not quotes:
        return 0.0
    return min(1.0, max(0.0, (quotes[0].score - 0.15) / 0.45)) * (0.6 + 0.4 * covered)
