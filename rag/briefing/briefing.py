"""Bilingual briefings: map over a company's documents, reduce to one list of cited facts, render EN and JA.

Both languages are rendered from the same facts, so their figures are the same values. The facts are dated events,
a key-figures table (glossary labels, figures formatted per language), quoted drivers, risks and what to watch, and
the places where two documents frame the same figure differently. Without a chat model that is the briefing
(extractive). With a model, the model writes each section's English and Japanese narrative from those facts and the
checker keeps only bullets whose citations and figures (value, label, period) stand (rag/briefing/narrative.py).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag.answers.llm import ChatModel, Usage
from rag.briefing.disagree import disagreement_facts, disputed
from rag.briefing.events import Event, doc_rank, find_events
from rag.briefing.facts import (
    Fact,
    SourceList,
    check_row,
    figure_facts,
    key_figures,
    mentions_of,
    verify_fact,
)
from rag.briefing.gather import MemoEmbedder, Sentence, focus, gather
from rag.briefing.japanese import event_ja, format_date
from rag.briefing.narrative import NarrativeReport, write_narrative
from rag.briefing.quotes import bilingual_quotes
from rag.briefing.select import company_keys, display_name, select_documents
from rag.briefing.statements import statement_rows
from rag.figures.labels import KeyFigureRow, Mention
from rag.figures.parse import CURRENCIES
from rag.retrieval.hybrid import HybridRetriever
from rag.store.stores import Stores

log = logging.getLogger(__name__)

LANGUAGES = ("en", "ja")
Progress = Callable[[int, int, str], None]


@dataclass
class Briefing:
    """A company's briefing: facts, key figures and highlights, all cited, renderable in English and Japanese."""

    company: str
    period: str
    docs: list[str]
    mode: str  # "extractive" or the chat model's mode
    facts: list[Fact]
    key_figures: list[KeyFigureRow]
    highlights: list[dict[str, Any]]  # {section, quote, lang, citation}
    figure_check: dict[str, Any]
    notes: list[dict[str, str]]  # {"en": ..., "ja": ...}
    generated_at: str
    languages: tuple[str, ...] = LANGUAGES
    sources: list[dict[str, Any]] = field(default_factory=list)  # {n, doc_name, page, chunk_id, title, ...}
    model: str = ""
    tokens: dict[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> list[Fact]:
        return [f for f in self.facts if f.section == name]

    def to_markdown(self, lang: str = "en", app: bool = False) -> str:
        """The briefing in one language as Markdown: a clean file, or with `app=True` safe for st.markdown ("$" is
        escaped there, where "$…$" would be maths). Document text never becomes markup or HTML either way."""
        from rag.briefing.render import render_markdown

        return render_markdown(self, lang, app)

    def to_markdown_bilingual(self) -> str:
        """Every language of the briefing, one after the other: the Markdown file to download."""
        from rag.briefing.render import render_markdown

        return "\n\n---\n\n".join(render_markdown(self, lang) for lang in self.languages)

    def to_docx(self, path: str | Path) -> Path:
        """Write a Word document with every language of the briefing; returns the path."""
        from rag.briefing.render import render_docx

        return render_docx(self, Path(path))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_NARRATIVE_NOTE = {
    "en": "Extractive mode: no chat model is configured. What changed lists dated events read from the documents; "
          "drivers, risks and what to watch are quoted sentences. Set OPENAI_API_KEY, or OPENAI_BASE_URL for a local "
          "server, to have them written.",
    "ja": "抜粋モード:チャットモデルが設定されていません。「変化したこと」は資料から読み取った日付付きの出来事、"
          "要因・リスク・今後の注目点は資料の文です。文章で作成するには OPENAI_API_KEY、またはローカルサーバーの "
          "OPENAI_BASE_URL を設定してください。",
}


def _event_fact(e: Event, keys: set[str], sources: SourceList) -> Fact:
    """A 'changed' bullet: the event's date, its English sentence and its Japanese sentence, every source cited."""
    cites = [sources.cite(s.hit, s.text) for s in e.sources[:4]]
    ja = f"{format_date(e.date, 'ja')}:{e.sentence_ja}" if e.sentence_ja else event_ja(e, keys)
    figs = [{"metric_key": f["metric"], "value": f["value"], "unit": f["unit"], "period": e.date} for f in e.figures]
    return Fact("changed", f"{format_date(e.date, 'en')}: {e.sentence}", ja, figs, cites)


def _one_per_sentence(facts: list[Fact]) -> list[Fact]:
    """Two events of one sentence ("ended the contracts … and bought the assets") are one bullet."""
    out: list[Fact] = []
    for f in facts:
        if out and out[-1].text_en == f.text_en:
            out[-1].text_ja += f.text_ja.split("、", 1)[-1] if f.text_ja[:4] == out[-1].text_ja[:4] else f.text_ja
            out[-1].figures += f.figures
        else:
            out.append(f)
    return out


def _undisputed(events: list[Event], contested: set[tuple[str, float]]) -> list[Event]:
    """Events that rest only on a framing a primary source contradicts are left out."""
    def shaky(e: Event) -> bool:
        return bool(e.figures) and all(any(d == s.hit.doc_name and abs(v - f["value"]) <= 1e-4 * v
                                           for f in e.figures for d, v in contested) for s in e.sources)
    return [e for e in events if not shaky(e)]


MATERIAL = 0.005  # an event's amount under this share of the company's revenue is routine ("$5 million of other expense")


def _material(events: list[Event], rows: list[KeyFigureRow], mentions: list[Mention]) -> list[Event]:
    """Events with a money amount worth stating: none is zero, or, when the company's revenue is known, they are not
    all under MATERIAL of it. Events without an amount (a lease of 200 MW, a site bought) are kept."""
    revenue = max([r.value for r in rows if r.metric_key == "revenue" and r.unit == "USD"]
                  + [m.fig.value for m in mentions if m.metric == "revenue" and m.fig.unit == "USD" and not m.claim],
                  default=0.0)

    def routine(e: Event) -> bool:
        money = [abs(f["value"]) for f in e.figures if f["unit"] in CURRENCIES]
        return bool(money) and (min(money) == 0 or all(v < MATERIAL * revenue for v in money))
    return [e for e in events if not routine(e)]


def _summarise(check: dict[str, Any], facts: list[Fact], rows: list[KeyFigureRow]) -> None:
    """Add the briefing-wide figure counts to `check`: checked, supported, unsupported, mismatches, ok."""
    unsupported = [{"section": f.section, "text": f.text_en, "raw": raw} for f in facts for raw in f.check["unsupported"]]
    check.update({
        "checked": sum(len(f.check["supported"]) + len(f.check["unsupported"]) for f in facts),
        "supported": sum(len(f.check["supported"]) for f in facts),
        "unsupported": unsupported,
        "ja_mismatch": [{"text": f.text_ja, "raw": raw} for f in facts for raw in f.check["ja_mismatch"]],
        "key_figures_unsupported": [r.metric_key for r in rows if r.check != "supported"],
    })
    check["ok"] = not (unsupported or check["ja_mismatch"] or check["key_figures_unsupported"])


def _notes(chat: ChatModel | None, report: NarrativeReport) -> list[dict[str, str]]:
    """What the reader should know about how the briefing was made, in both languages."""
    if chat is None:
        return [dict(_NARRATIVE_NOTE)]
    if report.error:
        return [{"en": f"The chat model could not be used, so this briefing is extractive (quotes and dated events, "
                       f"no narrative): {report.error}",
                 "ja": f"チャットモデルを利用できなかったため、抜粋モード(引用と日付付きの出来事のみ)で作成しました:{report.error}"}]
    notes = []
    if report.rejected:
        n, of = len(report.rejected), report.written
        notes.append({"en": f"{n} of the model's {of} bullets were left out (a figure, label or period not in the "
                            "cited sources, or a source or fact it was not given); the extracted text stands in "
                            "their place.",
                      "ja": f"モデルが書いた{of}件のうち{n}件は、出典にない数値・項目・期間、または与えていない出典や事実を"
                            "含むため除外し、資料からの抜粋を示しています。"})
    if report.malformed:
        bad = ", ".join(report.malformed)
        notes.append({"en": f"The model's reply for {bad} could not be read; those sections are extractive.",
                      "ja": f"{bad} についてはモデルの応答を読み取れなかったため、抜粋を示します。"})
    return notes


def write_briefing(stores: Stores, company: str, period: str | None = None, docs: Sequence[str] | None = None,
                   languages: Sequence[str] = LANGUAGES, chat: ChatModel | None = None,
                   on_progress: Progress | None = None, k: int = 4, max_key_figures: int = 14) -> Briefing:
    """Write a briefing on a company's strategic shifts, in English and Japanese, every bullet cited.

    Args:
        stores: from `open_stores(settings)`.
        company: a company name as the documents give it, or part of it ("Riot" finds "Riot Platforms").
        period: e.g. "2025" or "2025Q4"; None uses every period.
        docs: document names to restrict the briefing to; None uses every document about the company.
        languages: the languages to render, from ("en", "ja"); the facts hold both either way.
        chat: from `get_chat_model(settings)`; None writes an extractive briefing (table and quotes, no model). When
            the model fails, the briefing is extractive and its first note says why.
        on_progress: called as (documents done, documents total, current document name).
        k: passages retrieved per probe and document.
        max_key_figures: rows of the key-figures table.

    Returns:
        A Briefing; `to_markdown(lang)`, `to_markdown_bilingual()` and `to_docx(path)` render it.

    Raises:
        DocumentNotFoundError: no indexed document matches the company, period or names.
        ValueError: a language other than "en" or "ja".

    Example:
        >>> b = write_briefing(open_stores(get_settings()), "Riot", period="2025")
        >>> print(b.to_markdown("ja"))
    """
    languages = tuple(dict.fromkeys(languages or LANGUAGES))
    bad = [lang for lang in languages if lang not in LANGUAGES]
    if bad:
        raise ValueError(f"Unknown language {', '.join(bad)}; use 'en', 'ja' or both")
    selected = select_documents(stores, company, period, docs)
    keys = company_keys(company, selected)
    display = display_name(company, selected)
    retriever = HybridRetriever(dataclasses.replace(stores, embedder=MemoEmbedder(stores)))
    sources = SourceList({d["doc_name"]: d for d in selected})
    usage = Usage()
    sentences: list[Sentence] = []
    mentions: list[Mention] = []
    for i, doc in enumerate(selected):
        if on_progress:
            on_progress(i, len(selected), doc["doc_name"])
        hits, doc_sentences = gather(retriever, doc["doc_name"], k, filing=doc_rank(doc) == 0)
        doc_sentences = focus(stores, doc, doc_sentences, company, keys)
        sentences.extend(doc_sentences)
        mentions.extend(mentions_of(doc, doc_sentences, keys))
        log.info("briefing map doc=%s passages=%s sentences=%s", doc["doc_name"], len(hits), len(doc_sentences))
    if on_progress:
        on_progress(len(selected), len(selected), "")
    docs_by_name = {d["doc_name"]: d for d in selected}
    contested = disputed(mentions, docs_by_name)
    # Filings' line items come from their statement tables; sentence figures fill the rest of the table, from the
    # documents without tables (news, notes).
    table_rows, quoted, with_tables = statement_rows(stores, selected)
    events = _undisputed(find_events(sentences, docs_by_name, display, keys), contested)
    events = _material(events, table_rows, mentions)
    facts = _one_per_sentence([_event_fact(e, set(keys), sources) for e in events])
    told = [m for m in mentions if m.doc_name not in with_tables]
    rows = table_rows + key_figures(told, contested, max(0, max_key_figures - len(table_rows)))
    quoted.update({m.hit.chunk_id: m.hit for m in mentions})
    facts += figure_facts(rows, quoted, sources)
    facts += bilingual_quotes(sentences, sources, retriever.stores.embedder.embed, company=display,
                              keys=keys)
    facts += disagreement_facts(mentions, docs_by_name, sources)
    report = NarrativeReport()
    if chat is not None:
        facts, report = write_narrative(chat, display, facts, sources, usage)
    for fact in facts:
        verify_fact(fact, sources)
    for row in rows:
        check_row(row, sources)
    check: dict[str, Any] = {"narrative": dataclasses.asdict(report)}
    _summarise(check, facts, rows)
    written = chat is not None and not report.error
    return Briefing(
        company=display, period=period or "", docs=[d["doc_name"] for d in selected],
        mode=chat.mode if chat is not None and written else "extractive", facts=facts, key_figures=rows,
        highlights=[], figure_check=check, notes=_notes(chat, report),
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"), languages=languages, sources=sources.items,
        model=chat.model if chat is not None and written else "", tokens=usage.to_dict())
