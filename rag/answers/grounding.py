"""Does the retrieved text support an answer? The refusal rule, and how much a text shares with a question."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rag.answers.attribution import companies_named, document_companies
from rag.answers.qtype import question_parts
from rag.query.analyze import QueryAnalysis, as_analysis
from rag.query.companies import load_companies
from rag.query.kana import katakana_names, sounds_written
from rag.query.vocabulary import _vocabulary
from rag.schema import Hit
from rag.store.embeddings import Embedder
from rag.text.normalize import normalize

# Retrieval support, measured with the multilingual USE encoder on the corpus and fact sheet: the best
# question–passage cosine of answerable English questions was 0.22–0.59, of off-topic ones 0.07–0.17; Japanese
# questions over English passages scored 0.22–0.47 against 0.12 for off-topic ones.
STRONG_SIMILARITY = 0.30  # enough on its own
WEAK_SIMILARITY = 0.15  # enough when at least half the question's content words occur in the passage
MIN_COVERAGE = 0.5
CROSSLINGUAL_SIMILARITY = 0.18  # no shared words to count: the vector alone decides

_EXTRA_STOP = frozenset(
    "about after also any been can could describe explain give many much please say says tell there they "
    "them these those were would said according documents document company company's".split()
)
_GENERIC_CAPS = re.compile(r"Q[1-4]|FY\d*|H[12]|I|AI|HPC|CEO|CFO|COO|BTC|USD|JPY|GAAP|EBITDA|ATM|EPS|MW|GW|EH")
_LEGAL = frozenset("inc corp corporation co company ltd llc plc holdings group sa ag nv the of and".split())
# A word of a Latin-script name; Japanese text around it ("AMDのリース") is not part of it.
_NAME_WORD = re.compile(r"[A-Za-z][0-9A-Za-z\u00c0-\u024f&\-]*(?:\.[A-Za-z]+)*|\S")
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
# Month names are periods, judged by the answer's period check, not names a passage must spell the same way.
_MONTH_WORDS = re.compile(r"(?:(?:january|february|march|april|may|june|july|august|september|october|november|"
                          r"december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?[\s-]*)+", re.IGNORECASE)
_REFUSAL_TEXT = re.compile(
    r"documents? (don't|do not|does not|doesn't) (say|mention|contain|state|specify)|"
    r"passages? (don't|do not|does not|doesn't) (say|mention|contain|state|specify)|"
    r"not (mentioned|stated|specified|found|provided|given) in the (documents|passages|context)|"
    r"(no|not enough) information|cannot (be )?answer|can't answer|"
    r"記載がありません|記載されていません|記載はありません|情報がありません|分かりません|わかりません",
    re.IGNORECASE,
)
_WORDS = re.compile(r"\w+")


@dataclass
class Support:
    """How well the retrieved passages match the question, and the verdict of the refusal rule."""

    supported: bool
    similarity: float
    coverage: float
    missing: list[str]
    reason: str

    @property
    def strength(self) -> float:
        return round(min(1.0, 0.5 * min(1.0, self.similarity / 0.5) + 0.5 * self.coverage), 3)


@dataclass(frozen=True)
class Terms:
    """What a passage should share with a question: its content words and years, and the English synonyms
    (expansions) of its financial terms, which also bridge a Japanese question to English passages."""

    words: tuple[str, ...]
    expansions: tuple[str, ...]
    # A Japanese question's content words as English alternatives (one tuple per word the vocabulary knows), and
    # how many of its content words it does not know (place names, rare terms): see cross_coverage.
    concepts: tuple[tuple[str, ...], ...] = ()
    unmapped: int = 0


def question_words(question: str | QueryAnalysis) -> Terms:
    """The content words, years and expansions of a question or its analysis (lower case)."""
    analysis = as_analysis(question)
    words: list[str] = []
    for w in [*analysis.keywords, *analysis.years]:
        w = re.sub(r"['’]s$", "", w.lower()).strip(".,?!")
        if w.isascii() and len(w) > 1 and w not in _EXTRA_STOP and w not in words:
            words.append(w)
    expansions = tuple(dict.fromkeys(e.lower() for e in analysis.expansions if e.lower() not in words))
    concepts, unmapped = _ja_concepts([w for w in analysis.keywords if not w.isascii()])
    return Terms(tuple(words), expansions, concepts, unmapped)


# Japanese question words that ask rather than name (何日, 変化): no passage need hold them.
_JA_ASKING = re.compile(r"^(?:何|どの|どう|いつ|なぜ|変化|推移|比較|前年|理由|具体|内容|状況|影響|結果|説明|指摘|記事|資料)")


def _ja_concepts(keywords: Sequence[str]) -> tuple[tuple[tuple[str, ...], ...], int]:
    """English alternatives for each vocabulary group a Japanese question's words name (損失 -> loss, net loss),
    and the number of its words (other than question words) the vocabulary does not know."""
    vocab = _vocabulary()
    groups: dict[str, None] = {}
    unmapped = 0
    for word in sorted(keywords, key=len, reverse=True):
        gids = [g for _, _, found in vocab.match_ja(word, "ja") for g in sorted(found) if not g.startswith("intent:")]
        if gids:
            groups.update(dict.fromkeys(gids))
        elif not _JA_ASKING.match(word) and not any(word in k for k in keywords if k != word):
            unmapped += 1
    concepts = []
    for gid in groups:
        g = vocab.groups[gid]
        alts = tuple(dict.fromkeys(t.lower() for t in g.get("en", []) + g.get("en_trigger", [])
                                   + g.get("en_expand", [])))
        if alts:
            concepts.append(alts)
    return tuple(concepts), unmapped


def cross_coverage(terms: Terms, text: str) -> tuple[float, float]:
    """How much of a Japanese question an English text holds, and how much of the question could be matched.

    The first value is the share of the question's Latin words and vocabulary concepts (each met by any of its
    English forms) that the text holds; the second the share of the question's content words that are such words
    or concepts at all — when it is low, words say little and the sentence encoder must decide.
    """
    total = len(terms.words) + len(terms.concepts)
    if not total:
        return 0.0, 0.0
    found = sum(1 for t in terms.words if term_pattern(t).search(text))
    found += sum(1 for alts in terms.concepts if any(term_pattern(a).search(text) for a in alts))
    return found / total, total / (total + terms.unmapped)


Ask = tuple[tuple[str, ...], tuple[str, ...]]


# The head of what a Japanese question asks: the noun run just before its は (「…買収案の交換比率は」: 交換比率;
# 「…に伴うリスクは」: リスク; 「…1BTCあたり採掘コスト(減価償却除く)は」: all of it, brackets included). A head
# that only says "the value" (「1株あたりの価値」) keeps the noun before its の.
_JA_HEAD = re.compile(r"(?:[^\u3040-\u309f、。,\s()（）]|あたり|[(（][^)）]*[)）])+$")
_JA_GENERIC_HEAD = re.compile(r"(?:総|合計|累計)?(?:金額|額|数|量|規模|価値|値|価格|比率|割合|水準|推移)")


def _ja_heads(question: str) -> list[str]:
    heads = []
    for part in question_parts(question) or [question]:
        if "は" not in part or (m := _JA_HEAD.search(part[: part.index("は")])) is None:
            continue
        head = m.group()
        if _JA_GENERIC_HEAD.fullmatch(head) and part[: m.start()].endswith("の"):
            before = _JA_HEAD.search(part[: m.start() - 1])
            head = f"{before.group()}の{head}" if before else head
        heads.append(head)
    return heads


def ja_asks(question: str | QueryAnalysis) -> tuple[Ask, ...]:
    """The things a Japanese question asks for by name (交換比率, 月平均, 減価償却: the head of each part it asks,
    see _ja_heads), each as the Japanese and English forms of its glossary groups; question words (変化, 前年),
    intents and places are left out. Empty when no head is found."""
    analysis = as_analysis(question)
    heads = _ja_heads(normalize(analysis.text))
    vocab = _vocabulary()
    asks: dict[frozenset[str], Ask] = {}
    for word in analysis.keywords:
        if word.isascii() or _JA_ASKING.match(word) or not any(word in h for h in heads):
            continue
        for _, _, found in vocab.match_ja(word, "ja"):
            gids = frozenset(g for g in found if g in vocab.groups and not g.startswith(("intent:", "place:")))
            if not gids or gids in asks:
                continue
            groups = [vocab.groups[g] for g in sorted(gids)]
            english = tuple(dict.fromkeys(t.lower() for g in groups for t in g.get("en", []) + g.get("en_trigger", [])))
            japanese = tuple(dict.fromkeys(t for g in groups for t in g.get("ja", [])))
            if english:
                asks[gids] = (japanese, english)
    return tuple(asks.values())


@lru_cache(maxsize=1024)
def _loose_pattern(term: str) -> re.Pattern[str]:
    """An English term of several words, which a name may split ("per share" in "0.5 A share per B share")."""
    words = term.split()
    if len(words) < 2:
        return term_pattern(term)
    gap = r"\s+(?:[\w&.'’-]+\s+){0,2}"
    return re.compile(r"(?<![\w])" + gap.join(re.escape(w) for w in words) + r"(?![\w])", re.IGNORECASE)


def asks_stated(asks: Sequence[Ask], text: str) -> frozenset[int]:
    """Which of a question's asks (see ja_asks) a sentence states, in either language."""
    return frozenset(i for i, (ja, en) in enumerate(asks)
                     if any(f in text for f in ja) or any(_loose_pattern(a).search(text) for a in en))


_IRREGULAR = {"sell": "sold", "raise": "raised", "buy": "bought", "pay": "paid", "spend": "spent", "rise": "rose",
              "fall": "fell", "grow": "grew", "make": "made", "win": "won", "lose": "lost", "hold": "held",
              "build": "built", "lend": "lent", "borrow": "borrowed", "begin": "began", "leave": "left"}


@lru_cache(maxsize=4096)
def term_pattern(term: str) -> re.Pattern[str]:
    # A light stem, so "risks" finds "risk", "centers" finds "centres" and "selling" finds "sold".
    stem = term[: max(4, len(term) - 3)] if len(term) > 5 and term.isalpha() else term
    forms = [re.escape(stem)]
    for base, past in _IRREGULAR.items():
        if term.startswith(base) or term == past:
            forms += [re.escape(base), re.escape(past)]
    if term.isdigit():  # "2025" is found in "FY2025" and "2025年", not in "12025"
        return re.compile(r"(?<!\d)" + re.escape(term) + r"(?!\d)")
    return re.compile(r"(?<![\w])(?:" + "|".join(dict.fromkeys(forms)) + ")", re.IGNORECASE)


def coverage(terms: Terms, text: str) -> float:
    """The share of the question's words in the text; any expansion found counts as one more word."""
    found = sum(1 for t in terms.words if term_pattern(t).search(text))
    total = len(terms.words)
    if terms.expansions:
        total += 1
        found += any(term_pattern(e).search(text) for e in terms.expansions)
    return found / total if total else 0.0


def required_terms(question: str | QueryAnalysis) -> list[str]:
    """Years and names a passage must mention for the question (or its analysis) to be answerable from it.

    A name is a run of capitalised words not at the start of a sentence ("FIFA World Cup", "Tesla"); see
    `mentions` for when a text mentions it.
    """
    analysis = as_analysis(question)
    text = normalize(analysis.text)
    out = list(dict.fromkeys(_YEAR.findall(text) + analysis.years))
    run: list[str] = []
    for m in _NAME_WORD.finditer(text):
        word = re.sub(r"['’]s$", "", m.group(0))
        before = text[: m.start()].rstrip()
        sentence_start = not before or before[-1] in ".?!:。？！「\"“("
        if (len(word) > 1 and word[0].isupper() and not sentence_start and word.lower() not in _EXTRA_STOP
                and not _GENERIC_CAPS.fullmatch(word)):
            run.append(word)
            if m.group(0) == word:  # a possessive ends the name: "Riot's Rockdale" is two names
                continue
        if run:
            out.append(" ".join(run))
            run = []
    if run:
        out.append(" ".join(run))
    return list(dict.fromkeys(t for t in out if not _MONTH_WORDS.fullmatch(t)))


def mentions(term: str, text: str) -> bool:
    """Whether text mentions a required term: the year itself, or any word of a name other than a legal suffix
    (so "Riot Blockchain" is found in a passage about "Riot Platforms")."""
    term, text = normalize(term), normalize(text)
    words = [w for w in term.split() if w.lower().rstrip(".") not in _LEGAL] or term.split()
    return any(term_pattern(w).search(text) for w in words)


def hit_haystack(hit: Hit) -> str:
    """A hit's text with its document name, company and title, where names often are."""
    meta = hit.metadata or {}
    return " ".join([hit.text, hit.doc_name, str(meta.get("company", "")), str(meta.get("title", ""))])


def assess_support(question: str | QueryAnalysis, hits: Sequence[Hit], similarities: Sequence[float] | np.ndarray,
                   lang: str) -> Support:
    """The refusal rule: do the retrieved passages support an answer at all?

    Supported when the best passage is close to the question in the embedding space (or fairly close and
    sharing at least half its content words), and every name and year the question mentions occurs in some
    passage. A Japanese question has no words to share with English passages, so the vector alone decides.
    """
    if not hits:
        return Support(False, 0.0, 0.0, [], "no passages matched the question")
    analysis = as_analysis(question)
    sim = float(max(similarities))
    terms = question_words(analysis)
    cov = max(coverage(terms, hit_haystack(h)) for h in hits)
    haystack = normalize(" ".join(hit_haystack(h) for h in hits))
    missing = [t for t in required_terms(analysis) if not mentions(t, haystack)]
    missing += [m for m in missing_companies(analysis, hits) if m not in missing]
    missing += [m for m in unmatched_katakana_names(analysis.text, hits) if m not in missing]
    if missing:
        return Support(False, sim, cov, missing, f"no passage mentions {', '.join(missing)}")
    if terms.words and cov == 0:
        # The question names things ("CEO", "HPC", "2024") and no passage has any of them: a close vector
        # alone is a passage on the same topic, not the answer.
        return Support(False, sim, cov, [], f"no passage mentions any of: {', '.join(terms.words[:5])}")
    if sim >= STRONG_SIMILARITY:
        return Support(True, sim, cov, [], f"a passage is close to the question (similarity {sim:.2f})")
    if sim >= WEAK_SIMILARITY and cov >= MIN_COVERAGE:
        return Support(True, sim, cov, [], f"a passage shares {cov:.0%} of the question's words")
    if lang == "ja" and sim >= CROSSLINGUAL_SIMILARITY:
        return Support(True, sim, cov, [], f"a passage is close to the question (similarity {sim:.2f})")
    return Support(False, sim, cov, [], f"no passage is close to the question (similarity {sim:.2f}, words {cov:.0%})")


def _written_as(question: str, key: str) -> str:
    """How the question writes a company ("ビットディア"), else its key."""
    low = normalize(question).lower()
    entry = next((c for c in load_companies() if c.key == key), None)
    names = [] if entry is None else [entry.name, *entry.aliases, *entry.case_sensitive, *entry.tickers, *entry.ja]
    for name in sorted(names, key=len, reverse=True):
        at = low.find(normalize(name).lower())
        if name and at >= 0:
            return normalize(question)[at: at + len(normalize(name))]
    return key


def missing_companies(question: str | QueryAnalysis, hits: Sequence[Hit]) -> list[str]:
    """The companies a question names that no passage is about or mentions, in any script or spelling
    (ビットディア = Bitdeer), as the question writes them."""
    analysis = as_analysis(question)
    if not analysis.companies:
        return []
    present: set[str] = set()
    for h in hits:
        present |= set(document_companies(h.metadata or {}))
        present |= set(companies_named(h.text))
    return [_written_as(analysis.text, k) for k in analysis.companies if k not in present]


def unmatched_katakana_names(question: str, hits: Sequence[Hit]) -> list[str]:
    """The dotted katakana names of a question that neither the company list knows nor any passage writes.

    Such a name is matched to a romanised one only through the company list's Japanese aliases (companies_named
    finds those, and missing_companies judges them); a name the list does not know is found only as written
    (dots and spaces aside) or by its sound (マシュー・シーゲル = Matthew Sigel, every part of it: see kana.py); an
    unlisted name that no passage writes either way is unmatched and the question is refused.
    """
    fold = str.maketrans("", "", "・･ 　")
    written = normalize(" ".join(hit_haystack(h) for h in hits))
    haystack = written.translate(fold)
    out = []
    for name in katakana_names(normalize(question)):
        if companies_named(name) or name.translate(fold) in haystack or sounds_written(name, written):
            continue
        out.append(name)
    return out


def word_overlap(a: str, b: str) -> float:
    """The share of the shorter text's words (lower case) that the other text holds; 1.0 when either has none."""
    wa, wb = set(_WORDS.findall(a.lower())), set(_WORDS.findall(b.lower()))
    return len(wa & wb) / min(len(wa), len(wb)) if wa and wb else 1.0


def is_refusal(text: str) -> bool:
    """True when a model's text says the documents don't hold the answer (judged on its first sentence)."""
    body = re.sub(r"\[\d+\]", "", text).strip()
    if not body:
        return True
    first = re.split(r"(?<=[.!?。！？])\s*", body, maxsplit=1)[0]
    return bool(_REFUSAL_TEXT.search(first))


def cosines(embedder: Embedder, query: str, texts: Sequence[str]) -> np.ndarray:
    """Cosine similarity of each text with the query."""
    if not texts:
        return np.zeros(0)
    vecs = embedder.embed([query, *texts])
    vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    return vecs[1:] @ vecs[0]
