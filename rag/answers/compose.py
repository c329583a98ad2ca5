"""An extractive answer's text and evidence: leads in the reader's language, quotes, citations numbered 1..n."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from rag.answers.extractive import LEAD_IN, Quote, asked_text, clip
from rag.answers.lead import (
    company_label,
    gist_sentence,
    is_source,
    lead_measures,
    lead_sentence,
    source_note,
    table_scale,
    when_sentence,
)
from rag.query.analyze import QueryAnalysis
from rag.schema import Hit
from rag.text.tables import is_table_line


def renumber(hits: Sequence[Hit], quotes: Sequence[Quote]) -> tuple[list[Hit], list[Quote]]:
    """Hits reordered so the quoted ones come first, in the order the answer quotes them, and the quotes with
    their new numbers: an answer cites [1], [2] … in order, never [5] alone."""
    order = list(dict.fromkeys(q.n for q in quotes))
    order += [n for n in range(1, len(hits) + 1) if n not in order]
    new = {old: i for i, old in enumerate(order, 1)}
    return [hits[n - 1] for n in order], [replace(q, n=new[q.n]) for q in quotes]


def _mark(text: str, lang: str) -> str:
    return f"「{clip(text)}」" if lang == "ja" else f"\"{clip(text)}\""


def missing_note(keys: Sequence[str], question: str, lang: str) -> str:
    """The line saying which side of a comparison the passages say nothing about ("" for none)."""
    names = [n for n in (company_label(k, question, lang) for k in keys) if n]
    if not names:
        return ""
    if lang == "ja":
        return f"{'、'.join(names)}については、該当する記述が見つかりませんでした。"
    return f"The passages found say nothing on this about {', '.join(names)}."


def parts_note(quotes: Sequence[Quote], lang: str) -> str:
    """The line saying the quotes give parts of the period asked, not its total ("" when they give the total)."""
    label = next((q.part_of for q in quotes if q.part_of), "")
    if not label:
        return ""
    if lang == "ja":
        return f"資料には{label}全体の数値はなく、その一部の期間の数値のみがあります。"
    return f"The documents give no figure for {label} as a whole, only for parts of it:"


def compose_answer(quotes: Sequence[Quote], hits: Sequence[Hit], question: str, lang: str,
                   analysis: QueryAnalysis, missing: Sequence[str] = ()) -> tuple[str, list[dict[str, Any]]]:
    """The answer's text and its evidence list.

    Quotes in the reader's language are the answer, after the lead-in; a quote in the other language is shown as
    evidence only, and the answer states what it says by rule (a lead sentence with its figures in the reader's
    form, and the key terms it names), or where it is when it states neither. A compared company no quote is
    about (`missing`) is named last.
    """
    asked_for, wanted = asked_text(analysis, question)
    measures = lead_measures(asked_for)
    asked = set(analysis.companies)
    leads: list[str] = []
    same = [q for q in quotes if q.lang == lang]
    noted = False
    for q in quotes:
        if q.lang == lang:
            continue
        subject = q.subject if (q.subject in asked or (not asked and not is_source(q.text, q.subject or ""))) else None
        company = company_label(subject, question, lang)
        table = is_table_line(q.text)
        lead = lead_sentence(q.text, q.n, lang, company, wanted, table, table_scale(hits[q.n - 1].text),
                             measures, asked_for)
        when = when_sentence(q.text, q.n, lang, asked_for, "" if lead else company) if q.lang == "en" else ""
        lead = " ".join(x for x in (lead, when) if x)
        gist = gist_sentence(q.text, q.n, lang, "" if lead else company, question, skip=lead + company)
        lead = " ".join(x for x in (lead, gist) if x)
        if not lead and not noted:
            lead = source_note(q.n, lang, company, q.lang)
            noted = True
        if lead:
            leads.append(lead)
    lines = [note] if (note := parts_note(quotes, lang)) else []
    lines += leads
    if same:
        lines.append(LEAD_IN.get(lang, LEAD_IN["en"]))
        lines += [f"{_mark(q.text, lang)} [{q.n}]" for q in same]
    if note := missing_note(missing, question, lang):
        lines.append(note)
    evidence = []
    for q in quotes:
        hit = hits[q.n - 1]
        meta = hit.metadata or {}
        evidence.append({"n": q.n, "quote": clip(q.text), "lang": q.lang, "doc_name": hit.doc_name,
                         "title": str(meta.get("title") or hit.doc_name), "page": hit.page})
    return "\n".join(lines), evidence
