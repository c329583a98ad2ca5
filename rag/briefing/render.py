"""Render a Briefing as Markdown (a clean file, or for st.markdown) or as a Word document, in English and Japanese."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.briefing.escape import escape_md

if TYPE_CHECKING:
    from rag.briefing.briefing import Briefing
    from rag.briefing.facts import Fact
    from rag.figures.labels import KeyFigureRow

TITLES: dict[str, tuple[str, str]] = {
    "title": ("Briefing", "ブリーフィング"),
    "changed": ("What changed", "変化したこと"),
    "figures": ("Key figures", "主要な数値"),
    "drivers": ("Drivers", "変化の要因"),
    "risks": ("Risks", "リスク"),
    "disagree": ("Where sources disagree", "資料間で食い違う点"),
    "watch": ("What to watch", "今後の注目点"),
    "sources": ("Sources", "出典"),
    "metric": ("Metric", "項目"),
    "value": ("Value", "数値"),
    "period": ("Period", "期間"),
    "source": ("Source", "出典"),
    "check": ("Check", "検証"),
    "prior": ("Prior period", "前期"),
    "change": ("Change", "増減"),
    "page": ("p.", "ページ"),
    "all_periods": ("all periods", "全期間"),
    "documents": ("documents", "資料"),
    "mode": ("mode", "モード"),
    "generated": ("generated", "作成"),
    "none": ("Nothing on this in the selected documents.", "選択した資料には該当する記述がありません。"),
    "only_other": ("Stated only in Japanese sources: see the originals under {marks}.",
                   "この項目の記述は英語の資料のみにあります。出典{marks}の原文を参照してください。"),
    "original": ("quoted", "原文"),
    "unsupported": ("not found in the cited passages", "出典で確認できない数値"),
    "mismatch": ("differs from the English", "英語版と数値が異なる"),
    "verified": ("figure checked against the source", "出典で確認済み"),
    "note": ("Note", "注記"),
}
ORDER = ("changed", "figures", "drivers", "risks", "disagree", "watch")
_CITED = re.compile(r"\[\d+\]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def t(key: str, lang: str) -> str:
    en, ja = TITLES[key]
    return ja if lang == "ja" else en


def _marks(citations: list[dict[str, Any]]) -> str:
    return "".join(f"[{c['n']}]" for c in citations)


def _quote(text: str, lang: str) -> str:
    return f"「{text}」" if lang == "ja" else f"“{text}”"


def _badges(fact: Fact, lang: str) -> list[str]:
    out = []
    if fact.check.get("unsupported"):
        out.append(f"⚠ {t('unsupported', lang)}: " + ", ".join(fact.check["unsupported"]))
    if lang == "ja" and fact.check.get("ja_mismatch"):
        out.append(f"⚠ {t('mismatch', lang)}: " + ", ".join(fact.check["ja_mismatch"]))
    return out


def _section_lines(b: Briefing, section: str, lang: str) -> list[tuple[str, str, list[str], bool]]:
    """(text, citation marks, badges, is a quote) bullets of a section, from its facts."""
    facts = [f for f in b.facts if f.section == section and (section != "figures" or f.origin == "model")
             and f.text(lang)]  # a quote only in the other language is shown as the original under its source
    out = []
    for f in facts:
        text = f.text(lang)
        quote = section in ("drivers", "risks", "watch") and f.origin == "extractive"
        out.append((_quote(text, lang) if quote else text, "" if _CITED.search(text) else _marks(f.citations),
                    _badges(f, lang), quote))
    return out


def _header(b: Briefing, lang: str) -> tuple[str, str]:
    period = b.period or t("all_periods", lang)
    title = f"{t('title', lang)}: {b.company} ({period})"
    meta = (f"{len(b.docs)} {t('documents', lang)} · {t('mode', lang)}: {b.mode}"
            + (f" ({b.model})" if b.model else "") + f" · {t('generated', lang)} {b.generated_at}")
    return title, meta


_JA = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _source_line(s: dict[str, Any], lang: str) -> str:
    """'Title — riot_atm_equity_programme, filing-summary, 2025-12-30, p. 1'."""
    pages = ", ".join(str(p + 1) for p in s.get("pages", [s["page"]]))
    bits = [s["doc_name"], s.get("doc_type", ""), str(s.get("date", "") or ""), f"{t('page', lang)} {pages}"]
    return (f"{s['title']} — " if s.get("title") else "") + ", ".join(b for b in bits if b)


def _left_out(b: Briefing, section: str, lang: str) -> str:
    """Citation marks of the section's quotes this half leaves out (shown as originals under their sources)."""
    return "".join(dict.fromkeys(_marks(f.citations) for f in b.facts if f.section == section and not f.text(lang)))


def _originals(b: Briefing, source: dict[str, Any], lang: str) -> list[str]:
    """Quotes of a source in the other language to show as originals: every one a bullet of this half left out or
    renders by rule (its only wording in the source's language), then others up to two."""
    other = [q for q in source.get("quotes", []) if (lang == "ja") != bool(_JA.search(q))]
    left_out = {c["quote"] for f in b.facts if not f.text(lang) or f.origin == "structured"
                for c in f.citations if c["n"] == source["n"]}
    must = [q for q in other if q in left_out]
    return must + [q for q in other if q not in left_out][: max(0, 2 - len(must))]


def _figure_head(b: Briefing, lang: str) -> list[str]:
    """The key-figures columns; prior period and change only when some row comes from a statement table."""
    keys = ("metric", "value", "period") + (("prior", "change") if _with_prior(b) else ()) + ("source", "check")
    return [t(k, lang) for k in keys]


def _with_prior(b: Briefing) -> bool:
    return any(r.prior is not None for r in b.key_figures)


def _figure_cells(row: KeyFigureRow, lang: str, prior: bool = False) -> list[str]:
    src = row.source
    mark = "✓" if row.check == "supported" else "⚠"
    n = "?" if src.n is None else src.n
    extra = [c or "—" for c in row.prior_cells(lang)] if prior else []
    return [*row.cells(lang), *extra, f"[{n}]", mark]


def render_markdown(b: Briefing, lang: str = "en", app: bool = False) -> str:
    """The briefing in one language; document text is escaped only where it would be markup.

    The file to download is CommonMark/GFM as written; `app=True` also escapes "$" (Streamlit renders "$…$" as
    maths).
    """
    if lang not in ("en", "ja"):
        raise ValueError(f"Unknown language {lang!r}; use 'en' or 'ja'")
    md, cell = partial(escape_md, maths=app), partial(escape_md, maths=app, cell=True)
    title, meta = _header(b, lang)
    out = [f"# {md(title)}", "", f"_{md(meta)}_", ""]
    for note in b.notes:
        out += [f"> **{t('note', lang)}:** {md(note.get(lang) or note.get('en', ''))}", ""]
    for section in ORDER:
        out += [f"## {t(section, lang)}", ""]
        if section == "figures" and b.key_figures:
            head = _figure_head(b, lang)
            out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            out += ["| " + " | ".join(cell(c) for c in _figure_cells(r, lang, _with_prior(b))) + " |"
                    for r in b.key_figures]
            out.append("")
        lines = _section_lines(b, section, lang)
        for text, marks, badges, _ in lines:
            badge = "".join(f" **{md(x)}**" for x in badges)
            out.append(f"- {md(text)}" + (f" {md(marks)}" if marks else "") + badge)
        if marks := _left_out(b, section, lang):
            out.append(f"_{md(t('only_other', lang).format(marks=marks))}_")
        elif not lines and not (section == "figures" and b.key_figures):
            out.append(f"- _{md(t('none', lang))}_")
        out.append("")
    out += [f"## {t('sources', lang)}", ""]
    for s in b.sources:
        out += [f"{s['n']}. {md(_source_line(s, lang))}"]
        quotes = _originals(b, s, lang)
        out += [f"    - {md(t('original', lang))}: {md(_quote(q[:300], 'en' if lang == 'ja' else 'ja'))}"
                for q in quotes]
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------- DOCX


def _plain(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", str(text)).split())


def _docx_figures(doc: Any, b: Briefing, lang: str) -> None:
    head = _figure_head(b, lang)
    table = doc.add_table(rows=1, cols=len(head))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, head):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    for row in b.key_figures:
        for cell, text in zip(table.add_row().cells, _figure_cells(row, lang, _with_prior(b))):
            cell.text = _plain(text)


def _docx_section(doc: Any, b: Briefing, section: str, lang: str) -> None:
    doc.add_heading(t(section, lang), level=2)
    table = section == "figures" and bool(b.key_figures)
    if table:
        _docx_figures(doc, b, lang)
    lines = _section_lines(b, section, lang)
    for text, marks, badges, _ in lines:
        p = doc.add_paragraph(style="List Bullet")
        p.add_run(_plain(f"{text} {marks}"))
        for badge in badges:
            p.add_run(f" {_plain(badge)}").bold = True
    if marks := _left_out(b, section, lang):
        doc.add_paragraph().add_run(t("only_other", lang).format(marks=marks)).italic = True
    elif not lines and not table:
        doc.add_paragraph().add_run(t("none", lang)).italic = True


EAST_ASIAN_FONT = "Yu Gothic"  # Japanese-capable; ships with Windows and Office for Mac (Word substitutes elsewhere)
DOCX_STYLES = ("Normal", "Heading 1", "Heading 2", "List Bullet", "Table Grid")  # every style the briefing uses


def _east_asian_fonts(doc: Any) -> None:
    """Name a Japanese-capable font for East Asian text (w:eastAsia) in the document defaults and in every style the
    briefing uses; the template's theme fonts (w:eastAsiaTheme) would override it, so they go."""
    from docx.oxml.ns import qn

    defaults = doc.styles.element.find(qn("w:docDefaults"))
    found = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
    rprs = [found.find(qn("w:rPr"))] if found is not None and found.find(qn("w:rPr")) is not None else []
    rprs += [doc.styles[name].element.get_or_add_rPr() for name in DOCX_STYLES]
    for rpr in rprs:
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.get_or_add_rFonts()
        fonts.attrib.pop(qn("w:eastAsiaTheme"), None)
        fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)


def render_docx(b: Briefing, path: Path) -> Path:
    """A Word document: each language in turn with the same styles (a Heading 1 title, Heading 2 sections, bulleted
    facts, the key-figures table, numbered sources with the other language's originals), Japanese in a Japanese
    font."""
    from docx import Document
    from docx.enum.text import WD_BREAK
    from docx.shared import Pt

    doc = Document()
    _east_asian_fonts(doc)
    for i, lang in enumerate(b.languages):
        if i:
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        title, meta = _header(b, lang)
        doc.add_heading(_plain(title), level=1)
        doc.add_paragraph().add_run(_plain(meta)).italic = True
        for note in b.notes:
            p = doc.add_paragraph()
            p.add_run(f"{t('note', lang)}: ").bold = True
            p.add_run(_plain(note.get(lang) or note.get("en", "")))
        for section in ORDER:
            _docx_section(doc, b, section, lang)
        doc.add_heading(t("sources", lang), level=2)
        for s in b.sources:
            doc.add_paragraph(_plain(f"[{s['n']}] {_source_line(s, lang)}"))
            for q in _originals(b, s, lang):
                p = doc.add_paragraph()
                p.paragraph_format.left_indent = Pt(18)
                p.add_run(f"{t('original', lang)}: ").italic = True
                p.add_run(_plain(_quote(q[:300], "en" if lang == "ja" else "ja")))
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
