"""Drivers, risks and what to watch, in both languages: each quoted sentence paired with its counterpart in the
other language, found by the multilingual encoder among the company's sentences.

Where no counterpart exists, the other language gets a sentence built from the quote's labelled figures, or a
short note pointing at the original; such bullets are marked `origin="pointer"` so the evals can count them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rag.briefing.facts import _CUES, Fact, SourceList, _score
from rag.briefing.gather import Sentence
from rag.figures.format import format_figure, format_period
from rag.figures.glossary import term
from rag.figures.labels import is_claim, label_figures

SECTIONS = ("drivers", "risks", "watch")
MATCH = 0.62  # cosine of the encoder above which two sentences say the same thing (checked on corpus/ pairs)
Embed = Callable[[Sequence[str]], np.ndarray]


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


def _from_figures(text: str, lang: str) -> str:
    """'Per the English source, net income was $104.5 million (Q3 2025).' from a sentence's labelled figures."""
    parts = []
    for fig, metric, period, claim, distance in label_figures(text):
        if claim or not metric or distance >= 99:
            continue
        label, value = term(metric, lang), format_figure(fig.value, fig.unit, lang)
        when = format_period(period, lang) if period else ""
        parts.append(f"{label}は{value}" + (f"({when})" if when else "") if lang == "ja"
                     else f"{label} {value}" + (f" ({when})" if when else ""))
    if not parts:
        return ""
    if lang == "ja":
        return "英語の資料によれば、" + "、".join(parts) + "。"
    return "Per the Japanese source: " + "; ".join(parts) + "."


def _pick(sentences: list[Sentence], section: str, used: set[str], per_section: int) -> list[Sentence]:
    scored = sorted(((score, s) for s in sentences if s.text not in used
                     and (score := _score(s, section, _CUES[section])) is not None), key=lambda x: -x[0])
    out: list[Sentence] = []
    for _, s in scored:
        if len(out) >= per_section:
            break
        if s.hit.doc_name in {o.hit.doc_name for o in out} or is_claim(s.text):
            continue
        out.append(s)
    return out


def bilingual_quotes(sentences: list[Sentence], sources: SourceList, embed: Embed,
                     per_section: int = 3) -> list[Fact]:
    """Quoted bullets for drivers, risks and what to watch, each with an English and a Japanese text."""
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
        for s in ss:
            other = "ja" if s.lang == "en" else "en"
            cands = [o for o in pool[other] if o.text not in taken and o.text not in used]
            best: Sentence | None = None
            if cands:
                sims = np.array([vectors[o.text] @ vectors[s.text] for o in cands])
                if sims.max() >= MATCH:
                    best = cands[int(sims.argmax())]
            cites = [sources.cite(s.hit, s.text)]
            origin = "extractive"
            if best is not None:
                taken.add(best.text)
                cites.append(sources.cite(best.hit, best.text))
                counterpart = best.text
            else:
                counterpart = _from_figures(s.text, other)
                origin = "structured" if counterpart else "pointer"
                if not counterpart:
                    counterpart = (f"(英語の資料のみの記述。原文は出典[{cites[0]['n']}]を参照)" if other == "ja" else
                                   f"(Stated only in a Japanese source; see the original at [{cites[0]['n']}].)")
            en, ja = (s.text, counterpart) if s.lang == "en" else (counterpart, s.text)
            facts.append(Fact(section, en, ja, [], cites, origin=origin))
    return facts

