"""Drivers, risks and what to watch, in both languages: each quoted sentence paired with its counterpart in the
other language, found by the multilingual encoder among the company's sentences.

Where no counterpart exists, the other language gets a sentence built from the quote's labelled figures, else a
line naming what the quote is about (rag.briefing.gist) (`origin="structured"`; the quote is shown as the original
under its source); a quote with neither is left out of that half (`origin="original"`, the other text empty).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from rag.briefing.facts import _CUES, Fact, SourceList, _score
from rag.briefing.gather import Sentence
from rag.briefing.gist import quote_line
from rag.figures.format import format_figure, format_period
from rag.figures.glossary import term
from rag.figures.labels import is_claim, label_figures

SECTIONS = ("drivers", "risks", "watch")
MATCH = 0.62  # cosine of the encoder above which two sentences say the same thing (checked on corpus/ pairs)
SAME = 0.72  # cosine above which two sentences of one language in two filings say the same (unrelated: < 0.4)
Embed = Callable[[Sequence[str]], np.ndarray]


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


# How each section introduces what a source in the other language states: (Japanese, English).
_LEADS = {
    "drivers": ("変化の要因として、英語の資料は{who}{parts}と述べている。", "On the drivers, the Japanese source states {who}{parts}."),
    "risks": ("リスクとして、英語の資料は{who}{parts}と指摘している。", "As a risk, the Japanese source notes {who}{parts}."),
    "watch": ("今後の注目点として、英語の資料は{who}{parts}と述べている。", "Looking ahead, the Japanese source states {who}{parts}."),
}
_TABLE_LIKE = re.compile(r"\d[\d,.]*")


def _from_figures(s: Sentence, section: str, lang: str, company: str = "") -> str:
    """A sentence in `lang` stating what the quote's labelled figures state, with their periods:
    「リスクとして、英語の資料はRiot Platformsの純利益は1億450万ドル(2025年第3四半期)と指摘している。」 — or "" when
    no figure in it is labelled."""
    year = str(s.hit.metadata.get("period", "") or "")[:4] if s.hit is not None else ""
    parts = []
    for fig, metric, period, claim, distance in label_figures(s.text, year=year):
        if claim or not metric or distance >= 99:
            continue
        label, value = term(metric, lang), format_figure(fig.value, fig.unit, lang)
        when = format_period(period, lang) if period else ""
        parts.append(f"{label}は{value}" + (f"({when})" if when else "") if lang == "ja"
                     else f"{label} {value}" + (f" ({when})" if when else ""))
    if not parts:
        return ""
    ja, en = _LEADS[section]
    if lang == "ja":
        return ja.format(who=f"{company}の" if company else "", parts="、".join(parts))
    return en.format(who=f"{company}'s " if company else "", parts="; ".join(parts))


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", text.casefold()))


def same_sentence(a: str, b: str) -> bool:
    """Two documents saying the same sentence, give or take a word (a year's filing repeating the last one's)."""
    wa, wb = _words(a), _words(b)
    return a == b or bool(wa and wb) and len(wa & wb) / len(wa | wb) >= 0.85


def twins(s: Sentence, sentences: Sequence[Sentence]) -> list[Sentence]:
    """The same sentence in other documents, one per document."""
    out: dict[str, Sentence] = {}
    for o in sentences:
        if o.lang == s.lang and o.hit.doc_name != s.hit.doc_name and o.hit.doc_name not in out \
                and same_sentence(o.text, s.text):
            out[o.hit.doc_name] = o
    return list(out.values())


def _pick(sentences: list[Sentence], section: str, used: set[str], per_section: int) -> list[Sentence]:
    scored = sorted(((score, s) for s in sentences if s.text not in used
                     and (score := _score(s, section, _CUES[section])) is not None), key=lambda x: -x[0])
    out: list[Sentence] = []
    for _, s in scored:
        if len(out) >= per_section:
            break
        if s.hit.doc_name in {o.hit.doc_name for o in out} or is_claim(s.text) \
                or any(same_sentence(s.text, u) for u in used | {o.text for o in out}):
            continue  # one quote per document and section, and a sentence two filings repeat only once
        if len(_TABLE_LIKE.findall(s.text)) >= 6 and len(s.text) < 40 * len(_TABLE_LIKE.findall(s.text)):
            continue  # a table row read as a sentence ("2023 2024 2025 2026 2027 Debt $5,128 …") says nothing
        out.append(s)
    return out


def bilingual_quotes(sentences: list[Sentence], sources: SourceList, embed: Embed,
                     per_section: int = 3, company: str = "", keys: Sequence[str] = ()) -> list[Fact]:
    """Quoted bullets for drivers, risks and what to watch, each with an English and a Japanese text.

    A quote with no counterpart in the other language gets a sentence built from its labelled figures, else a line
    naming what it is about (the company of `keys`, its terms, its years); with neither, its other-language text is
    empty and that half leaves the bullet out. Either way the quote is shown as the original (原文) under its source.
    """
    picks = {}
    used: set[str] = set()
    for section in SECTIONS:
        picks[section] = _pick(sentences, section, used, per_section)
        used |= {s.text for s in picks[section]}
    pool = {lang: [s for s in sentences if s.lang == lang] for lang in ("en", "ja")}
    chosen = [s for ss in picks.values() for s in ss]
    texts = list(dict.fromkeys([s.text for s in chosen] + [s.text for ss in pool.values() for s in ss]))
    vectors = dict(zip(texts, _unit(embed(texts)))) if texts else {}
    facts = []
    taken: set[str] = set()
    for section, ss in picks.items():
        shown: list[tuple[Sentence, Fact]] = []
        for s in ss:
            twin = next((f for o, f in shown if o.hit.doc_name != s.hit.doc_name and o.lang == s.lang
                         and vectors[o.text] @ vectors[s.text] >= SAME), None)
            if twin is not None:  # last year's filing said it in other words: one bullet, both sources
                twin.citations.append(sources.cite(s.hit, s.text))
                continue
            other = "ja" if s.lang == "en" else "en"
            cands = [o for o in pool[other] if o.text not in taken and o.text not in used]
            best: Sentence | None = None
            if cands:
                sims = np.array([vectors[o.text] @ vectors[s.text] for o in cands])
                if sims.max() >= MATCH:
                    best = cands[int(sims.argmax())]
            cites = [sources.cite(s.hit, s.text)] + [sources.cite(t.hit, t.text) for t in twins(s, sentences)]
            origin = "extractive"
            if best is not None:
                taken.add(best.text)
                cites.append(sources.cite(best.hit, best.text))
                counterpart = best.text
            else:
                counterpart = _from_figures(s, section, other, company) or \
                    quote_line(s.text, section, other, s.lang, tuple(keys))
                origin = "structured" if counterpart else "original"
            en, ja = (s.text, counterpart) if s.lang == "en" else (counterpart, s.text)
            facts.append(Fact(section, en, ja, [], cites, origin=origin))
            shown.append((s, facts[-1]))
    return facts

