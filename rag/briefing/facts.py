"""The reduce step's facts: cited bullets in English and Japanese, from events, quotes, figures or disagreements.

Every fact cites numbered passages, and its figures, in both languages, are checked against them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.briefing.boilerplate import is_boilerplate, specificity
from rag.briefing.gather import Sentence
from rag.figures.labels import KeyFigureRow, Mention, key_figure_rows, label_figures
from rag.figures.verify import check_figures
from rag.query.companies import find_companies
from rag.query.periods import find_periods
from rag.schema import Hit

SECTIONS = ("changed", "figures", "drivers", "risks", "disagree", "watch")

_CUES: dict[str, re.Pattern[str]] = {k: re.compile(p, re.IGNORECASE) for k, p in {
    "changed": r"\b(shift\w*|pivot\w*|mov(?:ed|ing) (?:from|to|into)|switch\w*|transition\w*|stopped|halted|ended|"
               r"terminated|began|started|first|new|re-?plann\w*|convert\w*|repurpos\w*|no longer|instead|now)\b|"
               r"転換|移行|変更|終了|開始|初の|新た|切り替|変わ",
    "drivers": r"\b(because|due to|driven|as a result|in order to|to fund|pay(?:ing)? for|fund(?:ed|ing|s)?|margins?|"
               r"hashprice|squeeze|costs?|demand|valuation|cheaper|dilution|paid for)\b|ため|背景|要因|理由|資金|採算|利幅",
    "risks": r"\b(risks?|idle|uncertain\w*|could|may|might|threat\w*|pressure|dilut\w*|concentration|hurt|exposure|"
             r"without|no tenants?|unleased|thin)\b|リスク|遊休|懸念|不確実|圧力|かねない|ない場合|ゼロ",
    "watch": r"\b(watch|key questions?|will|plans?|planned|expected|expects?|due|next|outlook|whether|how fast|"
             r"open question|until|2026|2027)\b|注目|予定|見通し|今後|見込み|計画",
    "disagree": r"\b(does not support|do not support|unverified|not (?:been )?confirmed|no confirmation|conflicting|"
                r"contradict\w*|disput\w*|an error|inaccurate|misread\w*|should not be (?:quoted|treated))\b|"
                r"裏付けられ|確認されていない|未確認|誤り|食い違|矛盾",
}.items()}


@dataclass
class Fact:
    """One briefing bullet in both languages, with the figures it states and the passages it cites."""

    section: str  # one of SECTIONS
    text_en: str
    text_ja: str
    figures: list[dict[str, Any]] = field(default_factory=list)  # {metric_key, value, unit, period}
    citations: list[dict[str, Any]] = field(default_factory=list)  # {n, doc_name, page, chunk_id, quote}
    origin: str = "extractive"  # or "model"
    check: dict[str, Any] = field(default_factory=dict)  # {"supported", "unsupported", "ja_mismatch"}: raw figures

    def text(self, lang: str) -> str:
        return self.text_ja if lang == "ja" else self.text_en


class SourceList:
    """Numbers documents [1..n] in the order the briefing first cites them: one number per document, its cited
    passages pooled (the text figures are checked against)."""

    def __init__(self, docs: dict[str, dict[str, Any]]) -> None:
        self.docs: dict[str, dict[str, Any]] = docs
        self.items: list[dict[str, Any]] = []
        self.by_doc: dict[str, int] = {}
        self.chunks: dict[str, set[str]] = {}

    def cite(self, hit: Hit, quote: str = "") -> dict[str, Any]:
        n = self.by_doc.get(hit.doc_name)
        if n is None:
            meta = self.docs.get(hit.doc_name, {})
            n = self.by_doc[hit.doc_name] = len(self.items) + 1
            self.items.append({"n": n, "doc_name": hit.doc_name, "page": hit.page, "pages": [hit.page],
                               "chunk_id": hit.chunk_id, "title": meta.get("title", ""),
                               "doc_type": meta.get("doc_type", ""), "period": meta.get("period", ""),
                               "lang": meta.get("lang", ""), "date": meta.get("date", ""), "url": meta.get("url", ""),
                               "text": hit.text, "quotes": []})
            self.chunks[hit.doc_name] = {hit.chunk_id}
        item = self.items[n - 1]
        if hit.chunk_id not in self.chunks[hit.doc_name]:
            self.chunks[hit.doc_name].add(hit.chunk_id)
            item["text"] += "\n\n" + hit.text
            if hit.page not in item["pages"]:
                item["pages"].append(hit.page)
        if quote and quote not in item["quotes"]:
            item["quotes"].append(quote)
        return {"n": n, "doc_name": hit.doc_name, "page": hit.page, "chunk_id": hit.chunk_id, "quote": quote}


# ---------------------------------------------------------------------------------------------- extractive


def _score(s: Sentence, section: str, cue: re.Pattern[str]) -> float | None:
    """Passage rank for the section's probes plus the section's cue words; None without a cue word."""
    hits = len(cue.findall(s.text))
    if not hits or is_boilerplate(s.text, str(s.hit.metadata.get("section", "") or "")):
        return None
    rank = s.rank.get(section) or s.rank.get("risks" if section == "disagree" else section)
    # A sentence naming particular things (a programme, a market, a figure, a date) over one any filer could write.
    return ((1.0 / rank if rank else 0.1) + 0.35 * min(3, hits) + 0.06 * min(5, specificity(s.text))
            - 0.004 * max(0, len(s.text) - 220))


def highlights(sentences: list[Sentence], sources: SourceList, per_section: int = 3) -> list[dict[str, Any]]:
    """The best quotable sentences per section, one per document and section."""
    used: set[str] = set()
    out: list[dict[str, Any]] = []
    before = {id(b): a for a, b in itertools.pairwise(sentences) if a.hit.chunk_id == b.hit.chunk_id}
    for section in ("changed", "drivers", "risks", "watch", "disagree"):
        scored = [(score, s) for s in sentences if s.text not in used
                  and (score := _score(s, section, _CUES[section])) is not None]
        scored.sort(key=lambda x: -x[0])
        docs: set[str] = set()
        for _, s in scored:
            if len([h for h in out if h["section"] == section]) >= per_section:
                break
            if s.hit.doc_name in docs:
                continue  # one quote per document per section
            docs.add(s.hit.doc_name)
            used.add(s.text)
            quote = s.text
            if len(quote) < (40 if s.lang == "ja" else 80) and id(s) in before:
                # "The filing does not support this reading." needs the sentence it answers.
                quote = before[id(s)].text + ("" if s.lang == "ja" else " ") + quote
            out.append({"section": section, "quote": quote, "lang": s.lang, "citation": sources.cite(s.hit, quote)})
    return out


# Figures that are not the company's state: expected or yearly ("should earn about $25 million of NOI a year"),
# or another company's ("fewer coins than Riot's 1,818 BTC").
_FORWARD = re.compile(r"\b(?:expect\w*|should|needs?|will|plans?|projects?|forecasts?|target\w*|estimat\w*|"
                      r"could|would|a year|per year|annual\w*|on average)\b|見込み|予定|年間|平均", re.IGNORECASE)


_SECTOR = re.compile(r"\b(?:sector|industry|miners|peers)\b|業界|各社", re.IGNORECASE)


def _not_about(sentence: str, start: int, end: int, keys: Sequence[str]) -> bool:
    near = sentence[max(0, start - 40): end + 30]
    others = set(find_companies(sentence[max(0, start - 30): start])) - set(keys)
    sector = bool(_SECTOR.search(sentence)) and not set(find_companies(sentence)) & set(keys)
    return bool(others) or sector or bool(_FORWARD.search(near))


_HEADING = re.compile(r"^#{1,6}\s*(.+)$", re.MULTILINE)
_DEICTIC = re.compile(r"\b(?:the|this) (quarter|year)\b|(当|同)(四半期|期)", re.IGNORECASE)


def context_period(s: Sentence, doc: dict[str, Any]) -> str:
    """The period a sentence that names none is about: the document's when the sentence points at it ("The quarter
    included …" in a Q3 report), else its nearest heading's ("## Third quarter 2025"); else ""."""
    period, m = str(doc.get("period", "") or ""), _DEICTIC.search(s.text)
    if m and period:
        quarter = bool(m.group(1) and m.group(1).lower() == "quarter" or m.group(3) == "四半期")
        if quarter == bool(re.fullmatch(r"\d{4}Q[1-4]", period)) and re.match(r"\d{4}", period):
            return period
    at = s.hit.text.find(s.text[:40])
    headings = _HEADING.findall(s.hit.text[: max(at, 0)])
    # The nearest heading only, without its asides: "Headline figures (reported 2 March 2026)" names no period.
    if headings and (periods := find_periods(re.sub(r"\([^)]*\)", " ", headings[-1]))[0]):
        return str(periods[0])
    return ""


def mentions_of(doc: dict[str, Any], sentences: list[Sentence], keys: Sequence[str] = ()) -> list[Mention]:
    """Every labelled figure of a document's sentences about the company; the period is the sentence's own."""
    out = []
    # "At the end of September" in a 2025 note is September 2025.
    year = next((str(v)[:4] for v in (doc.get("period"), doc.get("date")) if re.match(r"(?:19|20)\d\d", str(v or ""))), "")
    for s in sentences:
        context = context_period(s, doc)
        for fig, metric, period, claim, distance in label_figures(s.text, context, year=year):
            if distance >= 99 or (not claim and _not_about(s.text, fig.start, fig.end, keys)):
                continue  # no words say what the figure is, or it is not the company's
            out.append(Mention(doc["doc_name"], str(doc.get("doc_type", "")), s.text, fig, metric, period, claim,
                               s.hit, distance))
    return out


def key_figures(mentions: list[Mention], disputed: set[tuple[str, float]], limit: int = 14) -> list[KeyFigureRow]:
    """The key-figures table. Sentence figures today; statement-table facts (rag/store/facts.py) plug in here.

    Figures whose framing a primary source contradicts (`disputed`: document, value) are left out.
    """
    kept = [m for m in mentions if (m.doc_name, m.fig.value) not in disputed
            and not any(d == m.doc_name and abs(v - m.fig.value) <= m.fig.ulp for d, v in disputed)]
    return key_figure_rows(kept, limit)


def figure_facts(rows: list[KeyFigureRow], hits: dict[str, Hit], sources: SourceList) -> list[Fact]:
    """One "figures" fact per key-figures row, citing the passage (from `hits`, by chunk id) its value is quoted from."""
    facts = []
    for row in rows:
        src = row.source
        cite = sources.cite(hits[src.chunk_id], src.quote)
        src.n = cite["n"]
        fig = {"metric_key": row.metric_key, "value": row.value, "unit": row.unit, "period": row.period}
        en, ja = f"{row.label_en}: {row.value_en} ({row.period_en})", f"{row.label_ja}:{row.value_ja}({row.period_ja})"
        if row.prior is not None:
            fig_prior = {**fig, "value": row.prior, "period": row.prior_period}
            facts.append(Fact("figures", f"{en}; {row.prior_en}", f"{ja}、{row.prior_ja}", [fig, fig_prior], [cite]))
        else:
            facts.append(Fact("figures", en, ja, [fig], [cite]))
    return facts


def check_row(row: KeyFigureRow, sources: SourceList) -> None:
    """Mark a cited key-figures row supported when both languages' values (and the prior period's) are in its source
    passage; the change is computed from the two."""
    src = sources.items[sources.by_doc[row.source.doc_name] - 1]["text"]
    values = [row.value_en, row.value_ja]
    if row.prior is not None:  # the prior period's value, without its period ("FY2021" is not a figure to check)
        values += [row.prior_en.rsplit(" (", 1)[0], row.prior_ja.split("(", 1)[0]]
    ok = all(check_figures(f"{value} [1]", {1: src}).ok for value in values)
    row.check = "supported" if ok else "unsupported"


# ---------------------------------------------------------------------------------------------- checks


def verify_fact(fact: Fact, sources: SourceList) -> None:
    """Check the fact's figures, in both languages, against the passages it cites."""
    passages = {c["n"]: sources.items[c["n"] - 1]["text"] for c in fact.citations}
    marks = "".join(f"[{n}]" for n in passages)
    en = check_figures(f"{fact.text_en} {marks}", passages)
    ja = check_figures(f"{fact.text_ja} {marks}", passages)
    same = check_figures(fact.text_ja, [fact.text_en])  # the Japanese figures must be the English ones
    fact.check = {"supported": [f.raw for f in en.supported + ja.supported],
                  "unsupported": [f.raw for f in en.unsupported + ja.unsupported],
                  "ja_mismatch": [f.raw for f in same.unsupported],
                  "computed": [f.raw for f in en.supported + ja.supported if f.computed]}
