"""The quotable units of a passage, each with what it is about: the company, the period, its heading, its language.

A sentence is about the company it names first (near its start), else the company of its paragraph or section
heading, else the document's company; in a document about several firms that decides paragraph by paragraph.
Lines a PDF or a note wrapped are joined first, so a sentence is never quoted in part; a fragment cut off by the
chunk's edge is left out; a sentence that the next one qualifies ("The filing does not support this reading.")
carries the qualifier with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rag.answers.when import When, periods_in
from rag.query.companies import company_key, find_companies, load_companies
from rag.query.periods import DATED_BY_WRITING
from rag.schema import Hit
from rag.text.lang import KANA_KANJI
from rag.text.normalize import normalize
from rag.text.sentences import clean_unit, split_sentences
from rag.text.tables import is_table_line, is_table_row

_HEADING = re.compile(r"^\s*#{1,6}\s+(.*)$")
_BOLD_LEAD = re.compile(r"^\s*\*\*([^*]{2,80}?)\*\*\s*")
_BULLET = re.compile(r"^\s*(?:[-*•+]|\d+[.)])\s+")
_END = re.compile(r"[.!?。！？:：)\]」』\"”]\s*$")
_PRONOUN_START = re.compile(r"^(?:it|its|the company|the group|the firm|they|their|he|she|this|that|同社|同グループ|その)\b",
                            re.IGNORECASE)
# A next sentence that turns the previous one around: quoted with it, or the reader gets half the story.
QUALIFIER = re.compile(
    r"^(?:however|but|yet|still|nevertheless|nonetheless|that said|in fact|actually|instead|by contrast)\b|"
    r"^(?:the|this|that|these)\s+(?:filing|figure|filings|documents?|report|claim|reading|number)s?\s+"
    r"(?:does|do|did|is|was|are)\s+not\b|\b(?:does|do|did) not (?:support|confirm|match|reflect|bear out)\b|"
    r"\b(?:most likely|probably|likely|almost certainly)\s+(?:an?\s+)?(?:error|mistake|typo|wrong)\b|"
    r"\b(?:is|was|looks|remains)\s+(?:unverified|wrong|incorrect|mistaken)\b|\bcould not be (?:confirmed|verified)\b|"
    r"^(?:ただし|しかし|だが|ところが|実際には|実際は|なお、)|ではない。?$|確認されていない|誤りの可能性|誤報|未確認",
    re.IGNORECASE,
)
# The longest quote shown (see extractive.clip).
QUOTE_LIMIT = 400
# "He added that …" needs the sentence before it to say who "he" is.
_SPEAKER_CONTINUES = re.compile(r"^(?:he|she|they|it)\s+(?:also\s+)?(?:added|said|noted|argued|warned|wrote|explained|"
                                r"pointed out|stressed|continued)\b|^同氏は|^彼は", re.IGNORECASE)
# "That was its first sale since January 2024": a verdict on the event the sentence before tells, which a reader
# can't place without it.
EVENT_BACK = re.compile(r"^(?:that|this|it)\s+(?:was|is|were|marked|made)\s+(?:the|its|their|his|her|a|an)\b",
                        re.IGNORECASE)
_YEAR = re.compile(r"(?:19|20)\d{2}")
_SOURCES = re.compile(r"^\s*(?:sources?|出典|訳注)\s*[:：]", re.IGNORECASE)


@dataclass
class Unit:
    """One quotable sentence or table line of passage [n], with what it is about."""

    n: int
    text: str
    heading: str = ""
    subject: str | None = None  # company key the unit is about, when known
    named: tuple[str, ...] = ()  # company keys the unit names itself
    periods: tuple[When, ...] = ()  # periods the unit names itself
    context_periods: tuple[When, ...] = ()  # of its heading, else of the document
    lang: str = "en"
    doc_type: str = ""
    table: bool = False
    qualifier: str = ""  # the next sentence, when it qualifies this one
    prefix: str = ""  # the sentence before, when this one continues it ("He added …")
    doc_companies: tuple[str, ...] = field(default_factory=tuple)

    @property
    def quote(self) -> str:
        """The sentence with its qualifier and the sentence it continues; when all three pass the quote length,
        the sentence before is shortened, not this one: a quote cut before what it says answers nothing."""
        own = " ".join(p for p in (self.text, self.qualifier) if p)
        prefix = self.prefix
        room = QUOTE_LIMIT - len(own) - 1
        if prefix and len(prefix) > room:
            cut = prefix[:max(room - 2, 0)].rfind(" ")
            prefix = prefix[:cut].rstrip(" ,;") + " …" if cut > 40 else prefix
        return " ".join(p for p in (prefix, own) if p)


@lru_cache(maxsize=8192)
def companies_named(text: str) -> tuple[str, ...]:
    """Company keys a text names, first named first (cached: the same sentences come back on every question)."""
    return tuple(find_companies(text))


@lru_cache(maxsize=1)
def _names_by_key() -> dict[str, tuple[str, ...]]:
    """Every written form of each curated company, longest first."""
    out = {}
    for c in load_companies():
        names = {normalize(x).lower() for x in [c.name, *c.aliases, *c.case_sensitive, *c.tickers, *c.ja] if x}
        out[c.key] = tuple(sorted(names, key=len, reverse=True))
    return out


def _first_position(text: str, key: str) -> tuple[int, int]:
    """Where a company is first written in text, and how long that name is; (-1, 0) when it isn't."""
    low = normalize(text).lower()
    found = [(i, len(name)) for name in _names_by_key().get(key, ()) if (i := low.find(name)) >= 0]
    return min(found, key=lambda f: (f[0], -f[1])) if found else (-1, 0)


_OBJECT_BEFORE = re.compile(r"\b(?:with|to|from|by|for|against|than|over|versus|vs\.?)\s+(?:the\s+)?$", re.IGNORECASE)
_OBJECT_AFTER = re.compile(r"^\s*(?:[(（][^)）]*[)）])?\s*(?:との|と|に|から|へ|より|向け)")


# 「否決後も同社は…」: "the company" as the subject of a Japanese sentence, wherever the sentence starts.
_JA_SAME_COMPANY = re.compile(r"(?:同社|同グループ)(?:は|が|も)")


def _refers_back(text: str, named: tuple[str, ...]) -> bool:
    """Whether a sentence is about the company of the sentence before: it opens with a pronoun ("It signed …"),
    or its Japanese subject 同社 comes before any company it names."""
    if _PRONOUN_START.match(text):
        return True
    m = _JA_SAME_COMPANY.search(text)
    return m is not None and m.start() <= 20 and all(
        _first_position(text, k)[0] < 0 or _first_position(text, k)[0] > m.start() for k in named)


def _subject(text: str, named: tuple[str, ...], context: str | None) -> str | None:
    """The company a sentence is about: the first it names as a subject (not "with Microsoft", not
    「マイクロソフトと」) near its start, else its paragraph's, else the first it names."""
    if context and _refers_back(text, named):
        return context
    ja = bool(KANA_KANJI.search(text))
    limit = max(20, len(text) // 3) if ja else max(50, len(text) // 3)
    for key in sorted(named, key=lambda k: _first_position(text, k)[0]):
        at, size = _first_position(text, key)
        if at < 0 or at > limit:
            continue
        if _OBJECT_BEFORE.search(normalize(text)[:at]) or (ja and _OBJECT_AFTER.match(normalize(text)[at + size:])):
            continue
        return key
    return context or (named[0] if named else None)


def join_wrapped(text: str) -> list[str]:
    """The passage's lines with hard-wrapped prose joined back; headings, bullets and table rows stay whole."""
    out: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            out.append("")
            continue
        prev = out[-1] if out else ""
        if re.fullmatch(r"[-=_*]{3,}", prev.strip()):
            prev = ""  # a rule separates blocks
        tabular = is_table_line(line) or is_table_row(line)
        if (prev and not _HEADING.match(prev) and not _HEADING.match(line) and not _BULLET.match(line) and not tabular
                and not is_table_line(prev) and not is_table_row(prev) and not _END.search(prev)):
            glue = "" if KANA_KANJI.search(prev[-1:] + line[:1]) else " "
            out[-1] = prev + glue + line
        else:
            out.append(line)
    return out


def document_companies(meta: Mapping[str, Any]) -> tuple[str, ...]:
    """The company keys a document is about: its company_key metadata, else the key of its company name."""
    keys = tuple(k for k in str(meta.get("company_key", "")).split(",") if k)
    return keys or tuple(k for k in [company_key(meta)] if k)


def _year_of(meta: Mapping[str, Any]) -> int | None:
    m = _YEAR.search(str(meta.get("period", "")) or str(meta.get("date", "")))
    return int(m.group(0)) if m else None


def carried_heading(hit: Hit, earlier: Sequence[str]) -> str:
    """The heading a chunk continues under: the last heading of the chunks before it on its page ("" if none)."""
    if _HEADING.match(hit.text.lstrip().split("\n", 1)[0]):
        return ""
    for text in reversed(earlier):
        heads = [m.group(1).strip() for m in map(_HEADING.match, text.splitlines()) if m]
        if heads:
            return heads[-1]
    return ""


# 「かつて…経営は単純だった。採掘し、コインを持ち続け、値上がりを待つ。」: a short Japanese verdict, then a sentence with
# no subject of its own listing what it means.
# は or が as a particle: after a noun, before a kanji, katakana or comma (not the が of 値上がり)
_JA_SUBJECT = re.compile(r"(?<=[\u4e00-\u9fff\u30a0-\u30ffA-Za-z0-9）)])[はが](?=[\u4e00-\u9fff\u30a0-\u30ff、A-Za-z0-9])")


def _spells_out(prev: str, text: str) -> bool:
    """Whether a Japanese sentence spells out the short one before it: no subject of its own, a list of clauses."""
    return (bool(KANA_KANJI.search(prev)) and len(prev) <= 30 and not re.search(r"\d", prev)
            and not _JA_SUBJECT.search(text) and text.count("、") >= 2 and len(text) <= 80)


class _Reader:
    """Reads one passage line by line, keeping the heading, company and periods the lines fall under."""

    def __init__(self, n: int, hit: Hit, heading: str) -> None:
        self.n, self.meta = n, hit.metadata or {}
        self.doc_keys = document_companies(self.meta)
        self.doc_subject = self.doc_keys[0] if len(self.doc_keys) == 1 else None
        self.year = _year_of(self.meta)
        self.doc_periods = tuple(periods_in(str(self.meta.get("period", "")), self.year)) or (
            (When(self.year, 1, 12),) if self.year else ())
        if str(self.meta.get("doc_type", "")).lower() in DATED_BY_WRITING:
            self.doc_periods = ()  # a note's date is when it was written, not the period of what it states
        self.units: list[Unit] = []
        self.heading, self.context, self.context_periods = "", self.doc_subject, self.doc_periods
        self.heading_company: str | None = None
        if heading:
            self.set_heading(heading)

    def set_heading(self, heading: str) -> None:
        named = companies_named(heading)
        self.heading, self.context = heading, named[0] if named else self.doc_subject
        self.heading_company = named[0] if named else None
        self.context_periods = tuple(periods_in(heading, self.year)) or self.doc_periods

    def unit(self, text: str, context: str | None, table: bool) -> Unit:
        named = companies_named(text)
        return Unit(self.n, text, self.heading, _subject(text, named, context), named,
                    tuple(periods_in(text, self.year)), self.context_periods,
                    "ja" if KANA_KANJI.search(text) else "en", str(self.meta.get("doc_type", "")).lower(), table,
                    doc_companies=self.doc_keys)

    def read(self, line: str, first: bool, last: bool) -> None:
        """One line: a heading, or a paragraph (or table line) whose units are added."""
        if h := _HEADING.match(line):
            self.set_heading(h.group(1).strip())
            return
        if b := _BOLD_LEAD.match(line):  # "**Bitcoin sales.** CleanSpark sold …": a paragraph title
            named = companies_named(b.group(1))
            self.context = named[0] if named else self.context
            line = line[b.end():]
        line = _BULLET.sub("", line)
        table = is_table_line(line)
        parts = [line] if table else split_sentences(line)
        subject, denial = self.context, None
        for j, part in enumerate(parts):
            text = clean_unit(part)
            # a fragment the chunk's edges cut off: the start of the first line, the end of the last
            if not text or (first and not self.units and text[:1].islower()) or (last and j == len(parts) - 1
                                                                                  and not table):
                continue
            # A sentence naming no company, under a heading naming one, is about the heading's company, not the
            # partner the sentence before named (「…コアウィーブは…支払う。顧客が1社に集中している点がリスク」).
            own = not companies_named(text) and not _PRONOUN_START.match(text)
            about = self.heading_company if self.heading_company and own else subject
            unit = self.unit(text, about, table)
            denial = self._link(unit, j, denial)
            self.units.append(unit)
            if unit.named and not _refers_back(text, unit.named):
                subject = unit.subject  # "It signed …" in the next sentence is about this company

    def _link(self, unit: Unit, j: int, denial: Unit | None) -> Unit | None:
        """Attach a qualifier to the sentence before it, a correction to its denial, a speaker to "He added"."""
        prev = self.units[-1] if self.units else None
        if prev is not None and j > 0 and _SPEAKER_CONTINUES.match(unit.text):
            unit.prefix = prev.text
        if unit.table or prev is None:
            return None
        if QUALIFIER.search(unit.text) and not prev.qualifier:
            prev.qualifier = unit.text
            return prev
        if j > 0 and _spells_out(prev.text, unit.text) and not prev.qualifier:
            prev.qualifier = unit.text  # what the verdict before means; no correction follows it
            return None
        if denial is not None and j > 0:
            # "… does not support this reading. The figure is …": the correction belongs with the denial
            denial.qualifier = f"{denial.qualifier} {unit.text}"
        return None


def passage_units(n: int, hit: Hit, heading: str = "") -> list[Unit]:
    """The quotable units of hit [n], in order, each attributed to a company and periods; `heading` is the one
    the chunk continues under (see carried_heading)."""
    reader = _Reader(n, hit, heading)
    lines = join_wrapped(hit.text)
    truncated = bool(hit.text.strip()) and not _END.search(hit.text.strip())
    for i, line in enumerate(lines):
        if line.strip() and not re.fullmatch(r"[-=_*|: ]+", line) and not _SOURCES.match(line):
            reader.read(line, i == 0, truncated and i == len(lines) - 1)
    return reader.units
