"""An answer's own sentence in the reader's language, built by rule from what a quote states.

A Japanese reader of an English quote gets 「ライオットの2025年12月のビットコイン売却は1,818 BTC、手取金は1億6,160万ドル
です [1]。」: the company as the reader wrote it, the period, the glossary's label for each figure and the figure
written the Japanese way; the English sentence is shown as its source (原文), not as the answer. An English reader of
a Japanese quote gets the same in English.
"""

from __future__ import annotations

from rag.answers.attribution import _first_position
from rag.answers.when import When, agreement, periods_in
from rag.figures.format import format_figure
from rag.figures.glossary import term
from rag.figures.labels import label_figures
from rag.query.companies import load_companies
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
        return key.title()
    return (entry.ja[0] if entry.ja else entry.name) if lang == "ja" else entry.name


def _when_label(text: str, wanted: list[When], lang: str) -> str:
    stated = periods_in(text)
    for w in wanted:
        for s in stated:
            if agreement([w], [s]) >= 0.8:
                return format_when(s, lang)
    return format_when(stated[0], lang) if stated else ""


def lead_sentence(quote_text: str, n: int, lang: str, company: str, wanted: list[When]) -> str:
    """One sentence in `lang` stating the labelled figures of a quote, with its [n]; "" when it labels none."""
    items = []
    others = []
    for fig, metric, _period_, _claim, _distance in label_figures(quote_text, keep_all=True):
        value = format_figure(fig.value, fig.unit, lang) if fig.unit else fig.raw
        if metric:
            items.append((term(metric, lang), value))
        else:
            others.append(value)
    if not items:
        return ""
    when = _when_label(quote_text, wanted, lang)
    if lang == "ja":
        head = "".join(f"{x}の" for x in (company, when) if x)
        body = "、".join(f"{label}は{value}" for label, value in items)
        extra = f"(このほか{'、'.join(others)})" if others else ""
        return f"{head}{body}です{extra} [{n}]。"
    head = " in ".join(x for x in (company, when) if x)
    body = "; ".join(f"{label}: {value}" for label, value in items)
    extra = f" (also {', '.join(others)})" if others else ""
    return f"{head + ' — ' if head else ''}{body[:1].upper() + body[1:]}{extra} [{n}]."


def source_note(n: int, lang: str, company: str, source_lang: str) -> str:
    """The lead when a quote in the other language states no figure: what and where, in the reader's language."""
    if lang == "ja":
        who = f"{company}について、" if company else ""
        return f"{who}英語の資料に該当する記載があります(原文は下記) [{n}]。" if source_lang == "en" else ""
    who = f" about {company}" if company else ""
    return f"A Japanese source{who} states this (original below) [{n}]." if source_lang == "ja" else ""
