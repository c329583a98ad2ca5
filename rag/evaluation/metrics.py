"""Retrieval and answer metrics: pure functions of retrieved pages, answer text and gold evidence."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from rag.figures.parse import Figure, parse_figures
from rag.text.lang import JA_CHARS, script_counts
from rag.text.normalize import squash

Page = tuple[str, int]

# ---------------------------------------------------------------- retrieval by page


def _is_hit(got: Page, gold: Iterable[tuple[str, int | None]]) -> bool:
    return any(got[0] == d and (p is None or got[1] == p) for d, p in gold)


def first_hit_rank(retrieved: Sequence[Page], gold: Sequence[tuple[str, int | None]]) -> int | None:
    """1-based rank of the first retrieved page that is a gold evidence page, or None."""
    for rank, got in enumerate(retrieved, start=1):
        if _is_hit(got, gold):
            return rank
    return None


def page_hit(retrieved: Sequence[Page], gold: Sequence[tuple[str, int | None]], k: int) -> float:
    """1.0 when one of the top-k retrieved chunks is on a gold page (a gold with page None matches the doc)."""
    rank = first_hit_rank(retrieved[:k], gold)
    return 1.0 if rank is not None else 0.0


def doc_hit(retrieved: Sequence[Page], gold: Sequence[tuple[str, int | None]], k: int) -> float:
    docs = {d for d, _ in gold}
    return 1.0 if any(d in docs for d, _ in retrieved[:k]) else 0.0


def reciprocal_rank(retrieved: Sequence[Page], gold: Sequence[tuple[str, int | None]], k: int) -> float:
    rank = first_hit_rank(retrieved[:k], gold)
    return 1.0 / rank if rank else 0.0


def retrieval_metrics(retrieved: Sequence[Page], gold: Sequence[tuple[str, int | None]]) -> dict[str, float]:
    """The standard retrieval metrics for one question."""
    return {
        "page_hit@1": page_hit(retrieved, gold, 1),
        "page_hit@5": page_hit(retrieved, gold, 5),
        "page_hit@10": page_hit(retrieved, gold, 10),
        "doc_hit@5": doc_hit(retrieved, gold, 5),
        "mrr@10": reciprocal_rank(retrieved, gold, 10),
    }


# ---------------------------------------------------------------- retrieval by evidence text


def contains_evidence(text: str, evidence: Sequence[str]) -> bool:
    """True when the text holds one of the evidence sentences, compared on letters and digits only.

    Line wrapping, markdown, punctuation and full-width forms do not matter; the wording does.
    """
    body = squash(unicodedata.normalize("NFKC", text), keep_ja=True)
    return any((ev := squash(unicodedata.normalize("NFKC", e), keep_ja=True)) and ev in body for e in evidence)


def evidence_metrics(texts: Sequence[str], evidence: Sequence[str]) -> dict[str, float]:
    """evidence_hit@1/5/10: a top-k retrieved chunk contains a gold evidence sentence.

    Text files have no pages (every chunk is "page 0"), so there page hit is only document hit; the
    evidence sentence tells whether the right part of the document was found.
    """
    first = next((rank for rank, t in enumerate(texts, start=1) if contains_evidence(t, evidence)), None)
    return {f"evidence_hit@{k}": 1.0 if first is not None and first <= k else 0.0 for k in (1, 5, 10)}


# ---------------------------------------------------------------- figures and citations in an answer

_SCALES = (1.0, 1e3, 1e6, 1e9, 1e12)
_CITE = re.compile(r"\[\d+\]")
_CITE_RUN = re.compile(r"(?:\s*\[\d+\])+")


def _close(a: float, b: float, rel: float = 0.006) -> bool:
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), 1e-9)


def figure_in(gold: float, values: Sequence[float]) -> bool:
    """True when some value equals gold within 0.6%, at any scale (161.6 ~ 161,600,000): the old figure match."""
    for v in values:
        for s in _SCALES:
            if _close(abs(v), abs(gold) * s) or _close(abs(v) * s, abs(gold)):
                return True
    return False


def _gold_ulp(gold: float) -> float:
    """The unit in the last place of a gold figure as written: 161.6 -> 0.1, 1818 -> 1, 311.0 -> 1."""
    exponent = Decimal(repr(abs(float(gold)))).normalize().as_tuple().exponent
    return float(Decimal(1).scaleb(min(0, int(exponent))))


def figure_stated(gold: float, figure: Figure) -> bool:
    """True when a stated figure is the gold one at some scale, within the rounding of either.

    Gold 161.6 (millions) is met by "$161.6 million", "$161,600,000", "1億6,160万ドル" and "$162 million"
    (the answer's own rounding, capped at 1% of the gold value), not by "$160 million" or "$0.2 billion";
    a neighbouring figure such as $199.6 million for gold 198.6 does not pass, as it would within a flat
    0.6% tolerance.
    """
    value = abs(figure.value)
    for scale in _SCALES:
        target = abs(gold) * scale
        tolerance = max(min(figure.ulp / 2, 0.01 * target), _gold_ulp(gold) * scale / 2) + 1e-9 * target
        if abs(value - target) <= tolerance:
            return True
    return False


def strip_citations(text: str) -> str:
    return _CITE.sub("", text)


def cited_segments(text: str) -> list[tuple[str, set[int]]]:
    """The answer cut after each run of [n] markers: each piece with the passages that close it.

    Text after the last marker joins the last piece ("A [1] B [2]. C." gives ("A", {1}), (" B. C.", {2}));
    an answer without markers is one piece citing nothing.
    """
    pieces: list[tuple[str, set[int]]] = []
    pos = 0
    for m in _CITE_RUN.finditer(text):
        pieces.append((text[pos:m.start()], {int(n) for n in re.findall(r"\d+", m.group())}))
        pos = m.end()
    tail = text[pos:]
    if not pieces:
        return [(tail, set())]
    if tail.strip():
        pieces[-1] = (pieces[-1][0] + tail, pieces[-1][1])
    return pieces


def figures_stated(gold: Sequence[float], text: str, allowed: set[int] | None) -> list[float]:
    """The gold figures missing from the answer; with `allowed`, a figure counts only in a piece citing one of them.

    This keeps an extractive answer from scoring on a figure that sits in a quote from an unrelated passage.
    """
    figures: list[Figure] = []
    for piece, cites in cited_segments(text):
        if allowed is None or cites & allowed:
            figures += parse_figures(piece)
    return [g for g in gold if not any(figure_stated(g, f) for f in figures)]


# ---------------------------------------------------------------- key terms of narrative answers

_WORD = re.compile(r"[A-Za-z][A-Za-z'&.]*[A-Za-z]|[A-Z]")
_JA_TERM = re.compile(r"[\u30a0-\u30ff]{2,}|[\u4e00-\u9fff]{2,}")
_STOP = frozenset(
    "about above according after again against also although among another answer because been before being "
    "below between both cannot could does doing down during each either every first from further have having "
    "here into itself just last least less made make many more most much must only other over same should "
    "since some still such than that their them then there these they this those through under until upon "
    "very were what when where whether which while whole will with within without would your says said".split()
)


def _fold(text: str) -> str:
    """NFKC, lower case, hyphens and slashes as spaces: 'Data-Centre' and 'data centre' read alike."""
    return re.sub(r"[-/_]+", " ", unicodedata.normalize("NFKC", text).lower())


def term_found(alternatives: Sequence[str], text: str) -> bool:
    """True when one alternative appears in the text.

    Japanese forms are compared on kana/kanji/letters only; English forms at the start of a word, so
    "lease" finds "leased" and "leases", and a short term such as "AMD" must be a whole word.
    """
    folded = _fold(text)
    for alt in alternatives:
        a = _fold(alt).strip()
        if not a:
            continue
        if JA_CHARS.search(a):
            if squash(a, keep_ja=True) in squash(folded, keep_ja=True):
                return True
            continue
        tail = r"(?![a-z0-9])" if len(a) < 4 else ""
        if re.search(r"(?<![a-z0-9])" + r"\s+".join(map(re.escape, a.split())) + tail, folded):
            return True
    return False


def default_key_terms(gold_answer: str, limit: int = 6) -> list[list[str]]:
    """Key terms read off a gold answer when an item lists none: names first, then long content words.

    Names are capitalised words not at the start of a sentence and acronyms (AMD, ERCOT); content words
    have six letters or more and are not function words; Japanese answers give their katakana and kanji
    runs. Words are cut to a stem (all but the last two letters, at least five) so inflections match.
    Figures are left out: they are checked as figures.
    """
    text = re.sub(r"\d[\d,.]*", " ", gold_answer)
    names: list[str] = []
    words: list[str] = []
    for m in _WORD.finditer(text):
        w = m.group().strip(".'")
        before = text[:m.start()].rstrip()
        sentence_start = not before or before[-1] in ".!?:;"
        if len(w) >= 2 and (w.isupper() or (w[0].isupper() and not sentence_start)):
            names.append(w)
        elif len(w) >= 6 and w.lower() not in _STOP:
            words.append(w.lower()[: max(5, len(w) - 2)])
    names += _JA_TERM.findall(gold_answer)
    seen: dict[str, list[str]] = {}
    for term in names + words:
        seen.setdefault(term.lower(), [term])
    return list(seen.values())[:limit]


def key_terms_score(terms: Sequence[Sequence[str]], text: str) -> tuple[int, int]:
    """(terms found, terms) in an answer."""
    return sum(1 for alts in terms if term_found(alts, text)), len(terms)


def majority(found: int, total: int) -> bool:
    """More than half: 2 of 2, 2 of 3, 3 of 4, 3 of 5."""
    return found * 2 > total


# ---------------------------------------------------------------- the answer's language

_QUOTED = re.compile(r"「[^」]*」|\"[^\"]*\"|“[^”]*”")
_LEAD_IN = re.compile(r"\A[^\n]{0,60}[:：]\s*\n")


def _ja_share(text: str) -> float:
    """Japanese characters against Latin letters, counting two Latin letters as one character.

    A kanji or kana carries about as much as two letters of English, so an even mix of meaning scores 0.5.
    """
    ja, letters = script_counts(text)
    latin = letters - ja
    return ja / (ja + latin / 2) if ja + latin else 0.0


def answer_in_japanese(text: str) -> bool:
    """True when the answer's own words are mostly Japanese.

    Its own words: the text without [n] markers, without quoted passages that are mostly English
    (evidence quoted in 「」 or "" is the document's language, not the answer's) and without a lead-in
    line ending in a colon ("資料によると:"), which says nothing about the question. What is left must
    hold at least four Japanese characters and a Japanese share (see _ja_share) of at least 0.5. The
    Japanese refusal passes; an answer of English quotes under a Japanese lead-in does not.
    """
    body = own_words(text)
    return len(JA_CHARS.findall(body)) >= 4 and _ja_share(body) >= 0.5


def own_words(text: str) -> str:
    """An answer's own words: without [n] markers, quoted passages that are mostly English and a lead-in line."""
    body = strip_citations(text).strip()
    body = _QUOTED.sub(lambda m: m.group() if _ja_share(m.group()) >= 0.5 else " ", body)
    return _LEAD_IN.sub("", body + "\n").strip()


def japanese_content(text: str, question: str, figures: Sequence[float], terms: Sequence[Sequence[str]]) -> bool:
    """True when a Japanese answer carries its content in Japanese (the honest `ja_in_ja`).

    The answer must be in Japanese (see answer_in_japanese), and its own words (see own_words: English quotes do
    not count) must state one of the gold figures, scale-aware, or — for an item without figures — one of its key
    terms that the question does not already hold: a note saying where the English source is, or an echo of the
    question, carries nothing. An item with neither figures nor key terms is judged on the language alone.
    """
    if not answer_in_japanese(text):
        return False
    body = own_words(text)
    if figures:
        stated = parse_figures(body)
        return any(figure_stated(g, f) for g in figures for f in stated)
    fresh = [t for t in terms if not term_found(t, question)]
    if not fresh:
        return True
    return any(term_found(t, body) for t in fresh)


# ---------------------------------------------------------------- summaries


def mean_metrics(rows: Sequence[dict[str, float]]) -> dict[str, float | None]:
    """Average each metric over rows (rows may lack a metric: it is averaged over those that have it)."""
    keys = sorted({k for r in rows for k in r})
    out: dict[str, float | None] = {}
    for key in keys:
        vals = [r[key] for r in rows if key in r and r[key] is not None]
        out[key] = round(sum(vals) / len(vals), 4) if vals else None
    return out


def mean(values: Iterable[float | bool | None]) -> float | None:
    """The mean of the values that are not None, rounded to 4 places; None when there are none."""
    xs = [float(v) for v in values if v is not None]
    return round(sum(xs) / len(xs), 4) if xs else None


CALIBRATION_EDGES = (0.0, 0.5, 0.7, 0.85, 0.95, 1.0)


def calibration(pairs: Sequence[tuple[float, bool]], edges: Sequence[float] = CALIBRATION_EDGES) -> dict[str, Any]:
    """How well a stated confidence tracks being right: bins, expected calibration error and Brier score.

    pairs: (confidence in [0, 1], whether what was said was right). Each bin [lo, hi) (the last one closed) gives
    its count, mean confidence and share right; ECE is the count-weighted mean gap |confidence − right| over the
    bins (Naeini et al., 2015), Brier the mean squared error of the confidences. A constant 0.9 on answers that
    are right half the time gives ECE 0.4: a confidence can't flatter by being high.
    """
    bins: list[dict[str, Any]] = []
    for i, (lo, hi) in enumerate(zip(edges, edges[1:])):
        last = i == len(edges) - 2
        inside = [(c, ok) for c, ok in pairs if lo <= c < hi or (last and c == hi)]
        bins.append({"lo": lo, "hi": hi, "n": len(inside),
                     "confidence": mean(c for c, _ in inside), "right": mean(ok for _, ok in inside)})
    n = len(pairs)
    ece = sum(b["n"] * abs(b["confidence"] - b["right"]) for b in bins if b["n"]) / n if n else None
    brier = sum((c - float(ok)) ** 2 for c, ok in pairs) / n if n else None
    return {"n": n, "ece": None if ece is None else round(ece, 4),
            "brier": None if brier is None else round(brier, 4), "bins": bins}


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo, hi = int(pos), min(int(pos) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
