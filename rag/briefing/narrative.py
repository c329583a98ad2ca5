"""With a chat model: each section of the briefing written as narrative, in English and Japanese, from its facts.

The model gets the facts the extractive briefing selects (dated events, key figures, drivers, risks, disagreements,
what to watch), each with its citation numbers, and the source sentences they cite, delimited as data. It writes
bullets that name the facts they restate. A bullet is kept only when every passage it cites was given, every figure
it states in either language is in the cited passages (or computed from figures that are, and marked so), its
Japanese states the English figures, and a figure restating a fact's keeps that fact's label and period. A bullet
that fails gives way to the extractive rendering of its facts; a fact no kept bullet restates keeps its own.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from rag.answers.llm import ChatModel, Usage
from rag.answers.prompts import narrative_messages
from rag.briefing.facts import SECTIONS, Fact, SourceList
from rag.errors import LLMError
from rag.figures.labels import label_figures
from rag.figures.parse import CITATION_RE
from rag.figures.verify import check_figures, check_labels, parse_citations
from rag.text.lang import KANA_KANJI

log = logging.getLogger(__name__)

MAX_FACTS = 12  # per section and call; later facts keep their extractive rendering
MAX_TOKENS = 2048  # a section's bullets in two languages
_QUOTE_CHARS = 500
_MARKER = re.compile(r"\s*" + CITATION_RE.pattern)


class Bullet(BaseModel):
    """One bullet of a briefing section, in English and Japanese."""

    facts: list[str] = Field(default_factory=list, description='Ids of the facts the bullet restates, e.g. ["F1"].')
    text_en: str = Field(description="The bullet in English, every figure copied exactly from the facts.")
    text_ja: str = Field(description="The same bullet in Japanese (日本語), with the same figures.")
    citations: list[int] = Field(default_factory=list, description="Numbers of the passages the bullet rests on.")


class SectionOut(BaseModel):
    """The bullets of one briefing section."""

    bullets: list[Bullet] = Field(default_factory=list)


@dataclass
class NarrativeReport:
    """What the model wrote and what the checker kept: bullets written, kept, rejected (with reasons)."""

    written: int = 0
    kept: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)  # {section, text_en, text_ja, reasons}
    malformed: list[str] = field(default_factory=list)  # sections whose reply could not be read
    error: str = ""  # the chat model failed: the whole briefing stays extractive


@dataclass
class _Kept:
    fact: Fact
    covers: list[int]  # indexes, in the briefing's fact list, of the facts the bullet restates
    place: int  # the first of them no earlier bullet restates: where the bullet goes


def _text(text: str) -> str:
    return " ".join(_MARKER.sub("", text or "").split())


def _citation(n: int, based: list[Fact], sources: SourceList) -> dict[str, Any]:
    """The citation of source n as one of the bullet's facts gives it (with its quote), else the source's first."""
    found = next((c for f in based for c in f.citations if c["n"] == n), None)
    if found is not None:
        return found
    s = sources.items[n - 1]
    return {"n": n, "doc_name": s["doc_name"], "page": s["page"], "chunk_id": s["chunk_id"], "quote": ""}


def _known(fact: Fact) -> list[dict[str, Any]]:
    """The labelled figures a fact gives: its structured ones, and each as its own texts label and date it (a
    bullet may state a figure as the fact states it: "$600.53 million" of a programme opened in August 2024)."""
    read = [{"metric_key": metric if distance < 50 else None, "value": fig.value, "unit": fig.unit, "period": period}
            for text in (fact.text_en, fact.text_ja) for fig, metric, period, _, distance in label_figures(text)]
    return [*fact.figures, *read]


def _problems(en: str, ja: str, cited: list[int], based: list[Fact], sources: SourceList) -> tuple[list[str], Any]:
    """Why the bullet's figures cannot stand (empty when they can), and the two languages' figure reports."""
    passages = {n: sources.items[n - 1]["text"] for n in cited}
    marks = "".join(f"[{n}]" for n in cited)
    reports = [check_figures(f"{text} {marks}", passages) for text in (en, ja)]
    reasons = []
    if unsupported := [f.raw for r in reports for f in r.unsupported]:
        reasons.append("states figures not in the cited sources: " + ", ".join(unsupported))
    if mismatch := [f.raw for f in check_figures(ja, [en]).unsupported]:
        reasons.append("its Japanese states figures the English does not: " + ", ".join(mismatch))
    known = [fig for f in based for fig in _known(f)]
    for p in [p for text in (en, ja) for p in check_labels(text, known)]:
        reasons.append(f"gives {p.raw} the {p.problem} {p.stated!r}, where the facts give {p.known!r}")
    return reasons, reports


def _check(bullet: Bullet, given: dict[str, int], facts: list[Fact], valid: set[int],
           sources: SourceList) -> tuple[Fact | None, list[int], list[str]]:
    """The bullet as a model-written fact with the indexes of the facts it restates, or None and the reasons."""
    ids = [x.strip().upper() for x in bullet.facts]
    reasons = [f"restates facts it was not given: {', '.join(x for x in ids if x not in given)}"] \
        if any(x not in given for x in ids) else []
    covers = list(dict.fromkeys(given[x] for x in ids if x in given))
    based = [facts[i] for i in covers]
    en, ja = _text(bullet.text_en), _text(bullet.text_ja)
    if not covers:
        reasons.append("names none of the facts it was given")
    if not en or not KANA_KANJI.search(ja):
        reasons.append("lacks an English text or a Japanese one")
    cited = list(dict.fromkeys([*bullet.citations, *parse_citations(bullet.text_en), *parse_citations(bullet.text_ja)]))
    if bad := [n for n in cited if n not in valid]:
        reasons.append("cites sources it was not given: " + ", ".join(f"[{n}]" for n in bad))
    cited = cited or sorted({c["n"] for f in based for c in f.citations})
    if reasons:
        return None, covers, reasons
    figure_reasons, reports = _problems(en, ja, cited, based, sources)
    if figure_reasons:
        return None, covers, figure_reasons
    figures = [fig for f in based for fig in f.figures]
    fact = Fact(based[0].section, en, ja, figures, [_citation(n, based, sources) for n in cited], origin="model")
    fact.check = {"supported": [f.raw for r in reports for f in r.supported], "unsupported": [], "ja_mismatch": [],
                  "computed": [f.raw for r in reports for f in r.supported if f.computed]}
    return fact, covers, []


def _section(chat: ChatModel, company: str, section: str, facts: list[Fact], sources: SourceList, usage: Usage,
             report: NarrativeReport) -> list[_Kept]:
    """The model's bullets for one section that pass the checks; the others are counted in `report`."""
    indexes = [i for i, f in enumerate(facts) if f.section == section][:MAX_FACTS]
    if not indexes:
        return []
    given = {f"F{k}": i for k, i in enumerate(indexes, 1)}
    shown = [(fid, facts[i].text_en, facts[i].text_ja, sorted({c["n"] for c in facts[i].citations}))
             for fid, i in given.items()]
    quotes: dict[int, list[str]] = {}
    for i in indexes:
        for c in facts[i].citations:
            if c.get("quote") and c["quote"] not in quotes.setdefault(c["n"], []):
                quotes[c["n"]].append(c["quote"])
    passages = [(n, sources.items[n - 1]["doc_name"], sources.items[n - 1]["page"],
                 " … ".join(qs)[:_QUOTE_CHARS] or sources.items[n - 1]["text"][:_QUOTE_CHARS])
                for n, qs in sorted(quotes.items())]
    valid = {n for _, _, _, cites in shown for n in cites}
    parsed, used = chat.invoke_structured(narrative_messages(company, section, shown, passages), SectionOut,
                                          max_tokens=MAX_TOKENS)
    usage.add(used)
    if parsed is None:
        report.malformed.append(section)
        return []
    kept: list[_Kept] = []
    covered: set[int] = set()
    for bullet in parsed.bullets:
        report.written += 1
        fact, covers, reasons = _check(bullet, given, facts, valid, sources)
        if fact is not None and covered.issuperset(covers):
            fact, reasons = None, ["restates facts another bullet already states"]
        if fact is None:
            report.rejected.append({"section": section, "text_en": bullet.text_en, "text_ja": bullet.text_ja,
                                    "reasons": reasons})
            log.info("narrative bullet rejected section=%s reasons=%s", section, "; ".join(reasons))
            continue
        kept.append(_Kept(fact, covers, next(i for i in covers if i not in covered)))
        covered.update(covers)
    return kept


def write_narrative(chat: ChatModel, company: str, facts: list[Fact], sources: SourceList,
                    usage: Usage) -> tuple[list[Fact], NarrativeReport]:
    """The briefing's facts with each section's checked model bullets in place of the facts they restate.

    A bullet takes the place of the first fact it restates (that no earlier bullet does); the others go. When the model
    cannot be used (LLMError), the facts come back unchanged and `report.error` says why.
    """
    report = NarrativeReport()
    kept: list[_Kept] = []
    try:
        for section in SECTIONS:
            kept += _section(chat, company, section, facts, sources, usage, report)
    except LLMError as exc:
        log.warning("narrative failed, briefing stays extractive error=%s", type(exc.__cause__).__name__)
        return facts, NarrativeReport(written=report.written, error=str(exc))
    report.kept = len(kept)
    at = {k.place: k.fact for k in kept}
    gone = {i for k in kept for i in k.covers}
    out = [at[i] if i in at else f for i, f in enumerate(facts) if i in at or i not in gone]
    return out, report
