"""Where sources disagree, explained: one plain sentence per language saying what each source says and which one
is the primary source.

Two cases: the same figure framed as different things by two documents ($600.53 million as new equity vs. a
programme's lifetime total), and a figure a document attributes to someone else that differs from the primary
figure for the same metric ("about $91 million" vs. $311.0 million).
"""

from __future__ import annotations

from typing import Any

from rag.briefing.events import doc_rank
from rag.briefing.facts import Fact, SourceList
from rag.figures.format import format_figure
from rag.figures.glossary import load_glossary, term
from rag.figures.labels import Mention, find_disagreements

_DESC = {  # doc_type -> how a sentence names the document
    "news": ("the news article", "ニュース記事"), "note": ("a research note", "調査メモ"),
    "filing-summary": ("the company's filing summary", "会社の提出書類の要約"),
    "press-summary": ("the company's release, as summarised", "会社発表の要約"),
    "press": ("the company's release", "会社の発表"), "earnings": ("the company's earnings release", "会社の決算発表"),
    "10k": ("the company's 10-K", "会社の10-K"), "10q": ("the company's 10-Q", "会社の10-Q"),
    "8k": ("the company's 8-K", "会社の8-K"), "filing": ("the company's filing", "会社の提出書類"),
}


def _desc(doc: dict[str, Any], lang: str) -> str:
    en, ja = _DESC.get(str(doc.get("doc_type", "")).lower(), ("another document", "別の資料"))
    return ja if lang == "ja" else en


def _opening(text: str) -> str:
    """The description as a sentence's opening: str.capitalize() would lower the rest, and "10-k" reads as a figure
    (10 thousand) the cited passages don't state."""
    return text[:1].upper() + text[1:]


def _phrase(metric: str | None, lang: str) -> str:
    metric = metric or ""
    entry = load_glossary().get(metric, {})
    return entry.get(f"phrase_{lang}") or (term(metric, lang) if entry else metric.replace("_", " "))


def _framing_fact(d: dict[str, Any], docs: dict[str, dict[str, Any]], sources: SourceList) -> Fact | None:
    """'The news article [5] presents $600.53 million as new equity raised, while the company's filing summary [4]
    gives it as the total sold under its at-the-market programme; the primary source is [4].'"""
    by_doc: dict[str, Mention] = {}
    for m in d["mentions"]:
        by_doc.setdefault(m.doc_name, m)
    ranked = sorted(by_doc.values(), key=lambda m: doc_rank(docs.get(m.doc_name, {})))
    primary, weak = ranked[0], ranked[-1]
    if primary.metric == weak.metric:
        return None
    cp = sources.cite(primary.hit, primary.sentence)
    # Every document that gives the weaker framing (the article and its translation) is cited for it.
    weak_cites = [sources.cite(m.hit, m.sentence) for m in by_doc.values() if m.metric == weak.metric][:3]
    cw = {"n": "][".join(str(c["n"]) for c in weak_cites)}
    same_rank = doc_rank(docs.get(primary.doc_name, {})) == doc_rank(docs.get(weak.doc_name, {}))
    pd, wd = docs.get(primary.doc_name, {}), docs.get(weak.doc_name, {})
    tail_en = "; neither is a primary source." if same_rank else f"; the primary source is [{cp['n']}]."
    tail_ja = "どちらも一次資料ではない。" if same_rank else f"一次資料は[{cp['n']}]。"
    en = (f"{_opening(_desc(wd, 'en'))} [{cw['n']}] presents {d['value_en']} as {_phrase(weak.metric, 'en')}, "
          f"while {_desc(pd, 'en')} [{cp['n']}] gives it as {_phrase(primary.metric, 'en')}" + tail_en)
    ja = (f"{_desc(wd, 'ja')}[{cw['n']}]は{d['value_ja']}を{_phrase(weak.metric, 'ja')}としているが、"
          f"{_desc(pd, 'ja')}[{cp['n']}]は{_phrase(primary.metric, 'ja')}としている。" + tail_ja)
    fig = {"metric_key": primary.metric, "value": d["value"], "unit": d["unit"], "period": ""}
    return Fact("disagree", en, ja, [fig], [*weak_cites, cp])


def _compatible(a: str, b: str) -> bool:
    return a == b  # undated figures only rival undated ones


def claimed_figures(mentions: list[Mention]) -> list[tuple[Mention, Mention]]:
    """(claim, primary) pairs: a figure attributed to someone else that differs from a document's own figure for
    the same metric and period by more than rounding."""
    own = [m for m in mentions if m.metric and not m.claim and m.distance < 50]
    out = []
    for c in mentions:
        if not (c.claim and c.metric and c.distance < 50):
            continue
        rivals = [p for p in own if p.metric == c.metric and p.fig.unit == c.fig.unit and _compatible(p.period, c.period)
                  and abs(p.fig.value - c.fig.value) > 0.05 * max(abs(p.fig.value), abs(c.fig.value))]
        if rivals and not any(abs(p.fig.value - c.fig.value) <= 0.05 * abs(c.fig.value) for p in own
                              if p.metric == c.metric):
            best = max(rivals, key=lambda p: sum(abs(o.fig.value - p.fig.value) <= 1e-6 * p.fig.value for o in own))
            out.append((c, best))
    return out


def disagreement_facts(mentions: list[Mention], docs: dict[str, dict[str, Any]], sources: SourceList) -> list[Fact]:
    """The briefing's 'Where sources disagree' facts, each one sentence per language with both citations."""
    facts = [f for d in find_disagreements(mentions) if (f := _framing_fact(d, docs, sources))]
    seen: set[tuple[str, float]] = set()
    for c, p in claimed_figures(mentions):
        if (c.metric or "", c.fig.value) in seen:
            continue
        seen.add((c.metric or "", c.fig.value))
        cc, cp = sources.cite(c.hit, c.sentence), sources.cite(p.hit, p.sentence)
        pd, cd = docs.get(p.doc_name, {}), docs.get(c.doc_name, {})
        v, w = (format_figure(c.fig.value, c.fig.unit, lang) for lang in ("en", "ja"))
        pv, pw = (format_figure(p.fig.value, p.fig.unit, lang) for lang in ("en", "ja"))
        en = (f"A report quoted in {_desc(cd, 'en')} [{cc['n']}] puts {_phrase(c.metric or '', 'en')} at {v}, while "
              f"{_desc(pd, 'en')} [{cp['n']}] gives {pv}; the primary source is [{cp['n']}].")
        ja = (f"{_desc(cd, 'ja')}[{cc['n']}]が引用する報道は{_phrase(c.metric or '', 'ja')}を{w}としているが、"
              f"{_desc(pd, 'ja')}[{cp['n']}]は{pw}としている。一次資料は[{cp['n']}]。")
        fig = {"metric_key": c.metric, "value": p.fig.value, "unit": p.fig.unit, "period": p.period}
        facts.append(Fact("disagree", en, ja, [fig], [cc, cp]))
    return facts


def disputed(mentions: list[Mention], docs: dict[str, dict[str, Any]]) -> set[tuple[str, float]]:
    """(document, value) of the weaker framing of each disagreement: figures the key figures must not repeat."""
    out: set[tuple[str, float]] = set()
    for d in find_disagreements(mentions):
        ranks = {m.doc_name: doc_rank(docs.get(m.doc_name, {})) for m in d["mentions"]}
        best = min(ranks.values())
        primary_metrics = {m.metric for m in d["mentions"] if ranks[m.doc_name] == best}
        weak = {m.metric for m in d["mentions"]} - primary_metrics
        out |= {(m.doc_name, m.fig.value) for m in mentions if m.metric in weak
                and abs(m.fig.value - d["value"]) <= max(m.fig.ulp, 1e-6 * d["value"])}
    return out
