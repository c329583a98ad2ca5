"""The financial vocabulary of questions: synonyms (EN and JA), section intents, document types, keywords.

Reads rag/data/synonyms.json once. A Japanese financial term (売上高, 設備投資 ...) gets the English terms of its
group as expansions, so that a Japanese question can match an English filing by keyword.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from rag.ingestion.sections import INTENTS
from rag.query.matching import WORD_END, WORD_START, Span, en_key, en_norm, fold_ja, overlaps, phrase_pattern, read_data
from rag.text.normalize import normalize

if TYPE_CHECKING:
    from rag.query.analyze import QueryAnalysis

_B0, _B1 = WORD_START, WORD_END
DOC_TYPES = ("10k", "10q", "8k", "earnings", "news", "note")
_KEYWORD_EN = re.compile(r"\$?\d[\d,]*(?:\.\d+)?%?|[A-Za-z][A-Za-z0-9]*(?:[&'\-./][A-Za-z0-9]+)*")
_KEYWORD_JA = re.compile(r"[\u3400-\u9fff々〆ヵヶ\u30a1-\u30fa\u30fc]{2,}")
_WORD = re.compile(r"[\w$%％.,-]+", re.UNICODE)
_PLAIN_STOP = frozenset(
    "a an and are as at be by did do does for from has have how in is it its of on or that the their this to was "
    "were what when where which who why will with".split()
)

_DOC_TYPE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [(k, re.compile(p, re.IGNORECASE)) for k, p in [
    ("10k", r"(?<![A-Za-z0-9$])(?:form\s+)?10\s?-?\s?K(?:405|/A)?" + _B1),
    ("10k", r"annual\s+(?:report|filing)s?|年次報告書?|有価証券報告書|アニュアル・?レポート|年報"),
    ("10q", r"(?<![A-Za-z0-9$])(?:form\s+)?10\s?-?\s?Q(?:/A)?" + _B1),
    ("10q", r"quarterly\s+(?:report|filing)s?|四半期報告書"),
    ("8k", r"(?<![A-Za-z0-9$])(?:form\s+)?8\s?-?\s?K(?:/A)?" + _B1),
    ("8k", r"current\s+report|press\s+release|臨時報告書|プレスリリース"),
    ("earnings", (r"earnings\s+(?:release|call|report|announcement|presentation|press\s+release|transcript|"
                  r"slides?|deck)s?|conference\s+call|決算発表|決算説明会?|決算短信|決算資料|決算報告")),
    ("news", _B0 + r"(?:news|articles?|press\s+coverage|media\s+reports?)" + _B1 + r"|ニュース|記事|報道"),
    ("note", _B0 + r"(?:research\s+note|analyst\s+note|briefing\s+note|memo|fact\s+sheet)s?" + _B1
             + r"|メモ|ファクトシート"),
]]


def find_doc_types(text: str) -> tuple[list[str], list[Span]]:
    """Document types a question names ('10k', '10q', '8k', 'earnings', 'news', 'note')."""
    text = normalize(text)
    hits: list[tuple[int, str]] = []
    spans: list[Span] = []
    # Longer phrases first so "earnings press release" is an earnings release, not an 8-K.
    for kind, rx in sorted(_DOC_TYPE_PATTERNS, key=lambda kr: kr[0] != "earnings"):
        for m in rx.finditer(text):
            if overlaps(m.span(), spans):
                continue
            hits.append((m.start(), kind))
            spans.append(m.span())
    hits.sort()
    return list(dict.fromkeys(k for _, k in hits)), spans


def _is_abbreviation(term: str) -> bool:
    # Short all-capital abbreviations (AR, AP, AI, MW) are ordinary words in lower case.
    return len(term) <= 2 and term.isupper()


class _Vocabulary:
    """Compiled triggers of synonyms.json: English (longest first) and Japanese (substring)."""

    def __init__(self, data: dict):
        self.groups = {g["id"]: g for g in data["groups"]}
        en: dict[str, set[str]] = {}
        cs: dict[str, set[str]] = {}
        ja: dict[str, set[str]] = {}
        for gid, g in self.groups.items():
            for term in g.get("en", []) + g.get("en_trigger", []):
                (cs if _is_abbreviation(term) else en).setdefault(term, set()).add(gid)
            for term in g.get("ja", []):
                ja.setdefault(term, set()).add(gid)
        for intent, cues in data["intent_cues"].items():
            if intent not in INTENTS:
                raise ValueError(f"synonyms.json names unknown intent {intent!r}; "
                                 "add it to rag.ingestion.sections.INTENTS")
            for term in cues.get("en", []):
                (cs if _is_abbreviation(term) else en).setdefault(term, set()).add("intent:" + intent)
            for term in cues.get("ja", []):
                ja.setdefault(term, set()).add("intent:" + intent)
        for g in self.groups.values():
            unknown = set(g.get("intents", [])) - set(INTENTS)
            if unknown:
                raise ValueError(f"synonyms.json group {g['id']!r} names unknown intents {sorted(unknown)}")
        self.en_terms = en
        # One alternation, longest term first; the number of the group that matched names the term.
        self.en_ordered = sorted(en, key=lambda t: -len(t))
        self.en_rx = re.compile("|".join(f"({phrase_pattern(t)})" for t in self.en_ordered))
        self.cs_rx = [(re.compile(_B0 + re.escape(t) + _B1), t, gids) for t, gids in cs.items()]
        self.ja_terms = sorted(((fold_ja(t), t, gids) for t, gids in ja.items()), key=lambda x: -len(x[0]))
        self.stop_en = frozenset(data.get("stopwords_en", []))
        self.stop_ja = frozenset(data.get("stopwords_ja", []))

    def match_en(self, text: str) -> list[tuple[int, int, str, set[str]]]:
        """(start, end, term, group ids) for English terms in text, longest match first."""
        norm = en_norm(text)
        out = []
        for m in self.en_rx.finditer(norm):
            term = self.en_ordered[(m.lastindex or 1) - 1]
            out.append((m.start(), m.end(), term, self.en_terms[term]))
        for rx, term, gids in self.cs_rx:
            for m in rx.finditer(text):
                if not overlaps(m.span(), [(a, b) for a, b, _, _ in out]):
                    out.append((m.start(), m.end(), term, gids))
        return sorted(out)

    def match_ja(self, text: str, lang: str) -> list[tuple[int, str, set[str]]]:
        """(position, term, group ids) for Japanese terms, longest first, without overlaps."""
        sq = fold_ja(text)
        used = [False] * len(sq)
        out = []
        for key, term, gids in self.ja_terms:
            if key.isascii() and lang != "ja":
                continue
            start = sq.find(key)
            while start >= 0:
                end = start + len(key)
                if _ascii_bounded(sq, key, start, end) and not any(used[start:end]):
                    for i in range(start, end):
                        used[i] = True
                    out.append((start, term, gids))
                start = sq.find(key, end)
        return sorted(out, key=lambda x: x[0])


def _ascii_bounded(sq: str, key: str, start: int, end: int) -> bool:
    """An ASCII key found inside folded text must not be part of a longer ASCII word."""
    if not key.isascii():
        return True
    return ((start == 0 or not sq[start - 1].isascii() or not sq[start - 1].isalnum())
            and (end == len(sq) or not sq[end].isascii() or not sq[end].isalnum()))


@lru_cache(maxsize=1)
def _vocabulary() -> _Vocabulary:
    return _Vocabulary(read_data("synonyms.json"))


def stopwords_en() -> frozenset[str]:
    return _vocabulary().stop_en


@dataclass(frozen=True)
class FinancialTerms:
    """What the vocabulary reads in a question: section intents, English expansions, phrases, content words."""

    intents: list[str]
    expansions: list[str]
    phrases: list[str]
    keywords: list[str]


def read_terms(masked: str, lang: str) -> FinancialTerms:
    """The vocabulary's reading of a question whose company, period and type words are masked out."""
    vocab = _vocabulary()
    en_hits = vocab.match_en(masked)
    ja_hits = vocab.match_ja(masked, lang)
    intents: list[str] = []
    groups: list[str] = []
    phrases: list[str] = []
    for _, term, gids in sorted([(a, t, g) for a, _, t, g in en_hits] + ja_hits, key=lambda h: h[0]):
        for gid in sorted(gids):
            if gid.startswith("intent:"):
                intents.append(gid[7:])
            else:
                groups.append(gid)
                intents.extend(vocab.groups[gid].get("intents", []))
        if term.isascii() and " " in term.strip():
            phrases.append(term.lower() if not term.isupper() else term)
    present = {en_key(t) for _, _, t, _ in en_hits}
    expansions = [term for gid in dict.fromkeys(groups)
                  for term in vocab.groups[gid].get("en", []) + vocab.groups[gid].get("en_expand", [])
                  if en_key(term) not in present]
    return FinancialTerms(list(dict.fromkeys(intents)), list(dict.fromkeys(expansions)), list(dict.fromkeys(phrases)),
                 _keywords(masked, [t for _, t, _ in ja_hits], vocab))


def _keywords(masked: str, ja_terms: list[str], vocab: _Vocabulary) -> list[str]:
    """Content words of the question, minus stop words and the company/period/type words."""
    out: list[str] = []
    for m in _KEYWORD_EN.finditer(masked):
        word = m.group(0)
        if word.lower().endswith("'s"):
            word = word[:-2]
        word = word.rstrip(".")
        low = word.lower()
        if not word or low in vocab.stop_en or (len(word) == 1 and not word.isdigit()):
            continue
        out.append(word if word.isupper() and len(word) > 1 else low)
    out.extend(term for term in ja_terms if not term.isascii())
    for m in _KEYWORD_JA.finditer(masked):
        word = m.group(0)
        if word not in vocab.stop_ja and not any(word in t for t in out if not t.isascii()):
            out.append(word)
    return list(dict.fromkeys(out))


def keyword_terms(analysis: QueryAnalysis) -> list[str]:
    """Deduplicated English terms and phrases for the keyword index: question words plus expansions."""
    terms = list(analysis.phrases)
    inside = {w for p in terms for w in re.findall(r"[a-z0-9&]+", p.lower())}
    for word in analysis.keywords:
        if word.isascii() and word.lower() not in inside:
            terms.append(word)
    terms.extend(analysis.expansions)
    seen: set[str] = set()
    out = []
    for t in terms:
        key = en_key(t).strip()
        if key and key not in seen:
            seen.add(key)
            out.append(t)
    return out


def question_terms(question: str) -> list[str]:
    """The question's words minus a short stop list: the keyword terms without the vocabulary (for the ablation)."""
    words = [w.strip(".,-") for w in _WORD.findall(question)]
    return [w for w in words if w and w.lower() not in _PLAIN_STOP]
