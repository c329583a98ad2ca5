"""What a question asking for reasons, means, risks, names or findings needs of the sentences that answer it.

A reason (a means, a risk, a condition, a word on reliability) answers only when it is about the thing asked: it
shares the question's common words (not its names, sources or function words), read with the sentence before it.
A sentence restating the event is joined with the next one when that gives the reason; a source's findings with
the sentences that go on reporting them. The other party of a company's deal is no side to compare.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING

from rag.answers.attribution import EVENT_BACK, Unit
from rag.answers.grounding import term_pattern
from rag.answers.qtype import Wants
from rag.query.companies import load_companies
from rag.text.lang import KANA_KANJI
from rag.text.months import MONTHS
from rag.text.normalize import normalize

if TYPE_CHECKING:
    from rag.answers.extractive import Quote

REFERS_BACK = re.compile(r"^(?:it|its|this|that|these|they|their|the (?:deal|contract|lease|agreement|sale|figure))\b|"
                          r"\b(?:said|reported|added|noted) that (?:it|this|they)\b", re.IGNORECASE)
HOW_MUCH = re.compile(r"\bhow (?:much|many)\b|いくら|何(?:人|件|台|株|BTC)", re.IGNORECASE)
# Capitalised words of a question that name no company and are no acronym or question word: places, people, sites.
_NAME = re.compile(r"(?<=[\w,;:'’\-] )([A-Z][a-z][A-Za-z]*(?:\s+[A-Z][a-z][A-Za-z]*)*)")
_NOT_NAMES = frozenset(MONTHS) | frozenset("Monday Tuesday Wednesday Thursday Friday Q1 Q2 Q3 Q4 I".split())


def without_names(text: str, companies: set[str]) -> str:
    """A text with the written names of some companies taken out."""
    for k in companies:
        for name in written_names().get(k, ()):
            text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", " ", text, flags=re.IGNORECASE)
    return text


def proper_names(question: str, companies: Sequence[str]) -> list[str]:
    """The places, people and sites a question names ("Corsicana", "River Bend"), lower case; not its companies."""
    if KANA_KANJI.search(question):
        return []
    known = {n for k in companies for n in written_names().get(k, ())}
    out = []
    for m in _NAME.finditer(question):
        name = m.group(1)
        if name in _NOT_NAMES or name.lower() in known or any(name.lower() in k or k in name.lower() for k in known):
            continue
        out.append(name.lower())
    return out


def denial(question: str, wants: Wants, common: Sequence[str] | None) -> re.Pattern[str] | None:
    """For a question taking an event as given ("When and with whom did Riot sign …?"), the sentences saying it had
    not happened ("it had not signed a single lease"), which don't answer it; None for other questions."""
    if not wants.cues & {"when", "who"} or not common or _NEGATIVE.search(question):
        return None
    verbs = [w for w in common if len(w) >= 4]
    if not verbs:
        return None
    stems = "|".join(re.escape(w[:-1] if w.endswith("s") else w) for w in verbs)
    return re.compile(rf"\b(?:not|never|no)\s+(?:\w+\s+){{0,2}}(?:{stems})\w*", re.IGNORECASE)


_NEGATIVE = re.compile(r"\b(?:not|never|no|yet|still)\b|n['’]t\b", re.IGNORECASE)


# Words naming the source asked about, not the thing asked ("according to the article").
_META = frozenset("""according article articles documents document note notes source sources filing news press
coverage figure figures
number numbers report reports reported reliable reliability accurate correct trust trusted rely reader readers
claim claims""".split())
_FUNCTION = frozenset("""why how what which when where who whom whose does did done have has had been being will would
could should shall can may might must the and for with from into onto over under about after before than that this
these those they them their there then its his her our your you are was were not any all some such very much many
more most less least just only also even still yet instead rather whether while main way ways one ones other""".split())


def common_words(question: str, words: Sequence[str] = ()) -> list[str] | None:
    """The question's words that name no company, place or person (written lower case in it) and no source, and
    are no function word: what a reason must be a reason for. None for a Japanese question or one with none."""
    if KANA_KANJI.search(question):
        return None
    rest = re.sub(r"^\W*\S+", "", question)  # the first word is capitalised whatever it is
    found = [w for w in re.findall(r"(?<![\w-])[a-z][a-z-]{2,}", rest) if w not in _FUNCTION and
             w not in _META]
    out = list(dict.fromkeys([*found, *(w for w in words if w in found)]))
    return out or None


def about_asked(text: str, common: Sequence[str] | None, need: int = 1) -> bool:
    """Whether a sentence giving a reason, means or risk is about the thing asked: it shares `need` of the
    question's common words (all, when it has fewer), else it is a reason for something else ("… sells to fund
    construction at Corsicana" for "Why did Riot halt the expansion at Corsicana?")."""
    return common is None or sum(1 for w in common if shares(w, text)) >= min(need, len(common))


# The nouns of verbs a question asks about, which the sentence answering it often uses instead ("why sell": the
# sales).
_NOUN_OF = {"sell": ("sales?",), "selling": ("sales?",), "buy": ("purchases?", "bought"), "pay": ("payments?", "paid"),
            "borrow": ("borrowing", "loans?"), "grow": ("growth",), "lose": ("loss(?:es)?", "lost"),
            "spend": ("spending", "spent"), "invest": ("investments?",), "lease": ("leases?", "leased")}


def shares(word: str, text: str) -> bool:
    """Whether a text holds a question word in any form ("mines": mined, "holding": holdings)."""
    stems = {word[:-len(end)] for end in ("ing", "ed", "s") if word.endswith(end)} | {word}
    nouns = _NOUN_OF.get(word, ())
    if nouns and re.search(rf"\b(?:{'|'.join(nouns)})\b", text, re.IGNORECASE):
        return True
    return bool(term_pattern(word).search(text)) or any(
        len(stem) >= 4 and re.search(rf"\b{re.escape(stem)}\w*", text, re.IGNORECASE) for stem in stems)


# The cues a question asks to be answered in words (a reason, a means, a use, a risk): the event it asks about,
# restated, does not answer it.
ANSWERED_IN_WORDS = frozenset({"why", "means", "use", "risk", "reliable", "condition"})


def explained_by_next(scored: list[Quote], units: Sequence[Unit], wants: Wants,
                       common: Sequence[str] | None = None) -> list[Quote]:
    """For a why/how/risk question, a quote restating the event joined with the sentence after it when that one
    points back at it and gives the reason or means the quote lacks ("… sold 475 BTC in April 2025. That was its
    first sale …, and the chief executive described such sales as a way to limit dilution")."""
    cues = wants.cues & ANSWERED_IN_WORDS
    if not cues:
        return scored
    nexts = {(u.n, u.quote): v for u, v in zip(units, units[1:], strict=False)
             if u.n == v.n and EVENT_BACK.match(v.text) and cues & wants.aspects(v.quote)}
    out = []
    for q in scored:
        v = nexts.get((q.n, q.text))
        # two of the question's words: the event told is the one asked about, not another sale or purchase
        if v is not None and not cues & q.aspects and about_asked(f"{q.text} {v.quote}", common, need=2):
            got = cues & wants.aspects(v.quote)
            q = replace(q, text=f"{q.text} {v.quote}", score=q.score + 0.15 * len(got) / len(wants.cues),
                        aspects=q.aspects | got | {f"{c}+" for c in got})
        out.append(q)
    return sorted(out, key=lambda q: q.score, reverse=True)


# "What did VanEck's report find …?", "What did the analyst say …?": the findings of a source, which a note gives in
# the sentence naming it and the ones after that go on with it ("It estimated …", "He added …").
ASKS_FINDINGS = re.compile(r"\bwhat (?:did|does|do|has|have)\b.{0,80}?\b(?:find|found|say|said|report|estimate|"
                            r"conclude|show|warn|argue|write|note|predict|expect)\b", re.IGNORECASE)
_GOES_ON = re.compile(r"^(?:it|he|she|they|the (?:report|study|analyst|firm|survey))\s+(?:also\s+)?"
                      r"(?:estimated|said|added|noted|found|warned|argued|wrote|expected|predicted|concluded|"
                      r"calculated|reckoned|put|counted|pointed out)\b", re.IGNORECASE)


def findings_go_on(scored: list[Quote], units: Sequence[Unit], question: str, most: int = 2) -> list[Quote]:
    """For a question asking what a source found or said, the best quote with the sentences after it that go on
    reporting the same source ("A VanEck report … found that … It estimated a funding gap of …")."""
    if not scored or not ASKS_FINDINGS.search(question):
        return scored
    best = scored[0]
    at = next((i for i, u in enumerate(units) if u.n == best.n and u.quote == best.text), None)
    if at is None:
        return scored
    more = []
    for v in units[at + 1: at + 1 + most]:
        if v.n != best.n or not _GOES_ON.match(v.text):
            break
        more.append(v.quote)
    if not more:
        return scored
    return [replace(best, text=" ".join([best.text, *more])), *scored[1:]]


@lru_cache(maxsize=1)
def written_names() -> dict[str, tuple[str, ...]]:
    """Every written form of each curated company (lower case), longest first."""
    return {c.key: tuple(sorted({normalize(x).lower() for x in [c.name, *c.aliases, *c.case_sensitive, *c.tickers]
                                 if x and x.isascii()}, key=len, reverse=True)) for c in load_companies()}


def counterparties(question: str, companies: Sequence[str]) -> set[str]:
    """The companies a question names as the other party of a named company's deal ("Riot's AMD lease", "IREN's
    contract with Microsoft"), not as a side to compare: named right after another's possessive or after
    with/to/from/by, and not themselves possessive ("compare Riot's revenue with MARA's" names two sides)."""
    low = normalize(question).lower()
    out = set()
    for key in companies:
        for name in written_names().get(key, ()):
            for m in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", low):
                before, after = low[:m.start()], low[m.end():]
                if re.search(r"(?:['’]s|\b(?:with|to|from|by))\s+(?:the\s+)?$", before) and not re.match(
                        r"(?:\s+[a-z0-9.&-]+){0,2}['’]s?(?![\w])", after):
                    out.add(key)
    return out if len(out) < len(set(companies)) else set()


# How far below the best sentence one giving the reason asked for may score and still be quoted first.
_REASON_MARGIN = 0.2


def reason_first(scored: list[Quote], cues: set[str] | frozenset[str]) -> Quote:
    """The quote to lead with: for a why/how/risk question whose best quote gives no reason, means or risk, the
    best one that does (plainly about the thing asked), when it scores near the best one."""
    best = scored[0]
    if cues and not cues & best.aspects:
        reason = next((q for q in scored if {f"{c}+" for c in cues} & q.aspects), None)
        if reason is not None and reason.score >= best.score - _REASON_MARGIN:
            return reason
    return best
