"""shiftbrief's keyword analyser: the tokens the keyword index stores, the same in SQLite and PostgreSQL.

SQLite's FTS5 index is built with `porter unicode61 remove_diacritics 2` over `keyword_text()`; `analyse()`
reproduces those tokens in Python (unicode61 token characters and folding, then SQLite's Porter stemmer,
with its departures from the paper: "logi" → "log", "bli" → "ble", tokens under 3 bytes left alone), so a
PostgreSQL library indexes and ranks exactly the terms an embedded one does.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]+")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_DECIMAL = re.compile(r"(?<=\d)\.(?=\d)")
_WORD = re.compile(r"\w+", re.UNICODE)
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)  # unicode61: letters and digits; "_" separates
_LATIN_ACCENTED = re.compile(r"[\u00c0-\u024f\u1e00-\u1eff]")


def keyword_text(text: str) -> str:
    """Text as the keyword index sees it: CJK runs as overlapping bigrams, numbers kept whole.

    The unicode61 tokenizer treats a run of kanji/kana as one token, so Japanese is indexed
    as character bigrams (as Lucene's CJK analyzer does); "1,818" and "161.6" stay one token.
    """

    def bigrams(m: re.Match[str]) -> str:
        run = m.group(0)
        if len(run) == 1:
            return f" {run} "
        return " " + " ".join(run[i : i + 2] for i in range(len(run) - 1)) + " "

    text = _THOUSANDS.sub("", text)
    text = _DECIMAL.sub("d", text)
    return _CJK_RUN.sub(bigrams, text)


def query_phrases(terms: Iterable[str]) -> list[list[str]]:
    """The phrases a keyword query searches for, as lowercase words; duplicates dropped, empty terms skipped."""
    phrases: list[list[str]] = []
    seen: set[str] = set()
    for term in terms:
        words = _WORD.findall(keyword_text(term).lower())
        key = " ".join(words)
        if words and key not in seen:
            seen.add(key)
            phrases.append(words)
    return phrases


def _fold(token: str) -> str:
    # remove_diacritics 2 folds Latin letters only: kana keep their dakuten (ド is not ト).
    if not _LATIN_ACCENTED.search(token):
        return token
    return "".join(c for c in unicodedata.normalize("NFKD", token) if not unicodedata.combining(c))


def analyse(text: str) -> list[str]:
    """The stemmed tokens of a text, in order, as the keyword index stores them."""
    return index_tokens(keyword_text(text))


def index_tokens(indexed_text: str) -> list[str]:
    """The stemmed tokens of text that has already been through `keyword_text` (what both indexes store)."""
    return [stem(_fold(t)) for t in _TOKEN.findall(indexed_text.lower())]


def analyse_phrase(words: Iterable[str]) -> list[str]:
    """The stemmed tokens of one query phrase (its words as `query_phrases` gives them)."""
    return [stem(_fold(t)) for w in words for t in _TOKEN.findall(w)]


# --- SQLite's Porter stemmer -------------------------------------------------------------------
# Rules are (suffix, condition, replacement); within a step the first suffix that matches decides.

def _is_vowel(c: int, y_is_vowel: bool) -> bool:
    return c in b"aeiou" or (y_is_vowel and c == ord("y"))


def _gobble_vc(w: bytes, n: int, prev_cons: bool) -> int:
    """Length of the first vowel-consonant sequence of w[:n] (0 if there is none)."""
    cons = prev_cons
    i = 0
    while i < n:
        cons = not _is_vowel(w[i], cons)
        if not cons:
            break
        i += 1
    i += 1
    while i < n:
        cons = not _is_vowel(w[i], cons)
        if cons:
            return i + 1
        i += 1
    return 0


def _m_gt0(w: bytes, n: int) -> bool:
    return bool(_gobble_vc(w, n, False))


def _m_gt1(w: bytes, n: int) -> bool:
    k = _gobble_vc(w, n, False)
    return bool(k and _gobble_vc(w[k:], n - k, True))


def _m_eq1(w: bytes, n: int) -> bool:
    k = _gobble_vc(w, n, False)
    return bool(k and not _gobble_vc(w[k:], n - k, True))


def _o_star(w: bytes, n: int) -> bool:
    if w[n - 1] in b"wxy":
        return False
    mask, cons = 0, False
    for i in range(n):
        cons = not _is_vowel(w[i], cons)
        mask = (mask << 1) + cons
    return (mask & 7) == 5


def _m_gt1_st(w: bytes, n: int) -> bool:
    return w[n - 1] in b"st" and _m_gt1(w, n)


def _has_vowel(w: bytes, n: int) -> bool:
    return any(_is_vowel(w[i], i > 0) for i in range(n))


_STEP1B = [(b"eed", _m_gt0, b"ee"), (b"ed", _has_vowel, b""), (b"ing", _has_vowel, b"")]
_STEP1B2 = [(b"at", None, b"ate"), (b"bl", None, b"ble"), (b"iz", None, b"ize")]
_STEP2 = [
    (b"ational", _m_gt0, b"ate"), (b"tional", _m_gt0, b"tion"), (b"enci", _m_gt0, b"ence"),
    (b"anci", _m_gt0, b"ance"), (b"izer", _m_gt0, b"ize"), (b"logi", _m_gt0, b"log"), (b"bli", _m_gt0, b"ble"),
    (b"alli", _m_gt0, b"al"), (b"entli", _m_gt0, b"ent"), (b"eli", _m_gt0, b"e"), (b"ousli", _m_gt0, b"ous"),
    (b"ization", _m_gt0, b"ize"), (b"ation", _m_gt0, b"ate"), (b"ator", _m_gt0, b"ate"),
    (b"alism", _m_gt0, b"al"), (b"iveness", _m_gt0, b"ive"), (b"fulness", _m_gt0, b"ful"),
    (b"ousness", _m_gt0, b"ous"), (b"aliti", _m_gt0, b"al"), (b"iviti", _m_gt0, b"ive"),
    (b"biliti", _m_gt0, b"ble"),
]
_STEP3 = [
    (b"icate", _m_gt0, b"ic"), (b"ative", _m_gt0, b""), (b"alize", _m_gt0, b"al"), (b"iciti", _m_gt0, b"ic"),
    (b"ical", _m_gt0, b"ic"), (b"ful", _m_gt0, b""), (b"ness", _m_gt0, b""),
]
_STEP4 = [
    (b"al", _m_gt1, b""), (b"ance", _m_gt1, b""), (b"ence", _m_gt1, b""), (b"er", _m_gt1, b""),
    (b"ic", _m_gt1, b""), (b"able", _m_gt1, b""), (b"ible", _m_gt1, b""), (b"ant", _m_gt1, b""),
    (b"ement", _m_gt1, b""), (b"ment", _m_gt1, b""), (b"ent", _m_gt1, b""), (b"ion", _m_gt1_st, b""),
    (b"ou", _m_gt1, b""), (b"ism", _m_gt1, b""), (b"ate", _m_gt1, b""), (b"iti", _m_gt1, b""),
    (b"ous", _m_gt1, b""), (b"ive", _m_gt1, b""), (b"ize", _m_gt1, b""),
]


def _apply(w: bytes, rules) -> tuple[bytes, bytes | None]:
    """Apply the first rule whose suffix ends w; returns the word and the suffix applied (None if none)."""
    for suffix, cond, rep in rules:
        n = len(suffix)
        if len(w) > n and w.endswith(suffix):
            if cond is None or cond(w, len(w) - n):
                return w[: len(w) - n] + rep, suffix
            return w, None  # the first matching suffix decides, even when its condition fails
    return w, None


def _step1a(w: bytes) -> bytes:
    if w.endswith(b"s"):
        if w[-2:-1] == b"e":
            if (len(w) > 4 and w[-4:-2] == b"ss") or (len(w) > 3 and w[-3:-2] == b"i"):
                return w[:-2]
            return w[:-1]
        if w[-2:-1] != b"s":
            return w[:-1]
    return w


def _step1b(w: bytes) -> bytes:
    w, applied = _apply(w, _STEP1B)
    if applied not in (b"ed", b"ing"):
        return w
    w, applied = _apply(w, _STEP1B2)
    if applied or len(w) < 2:
        return w
    c = w[-1]
    if not _is_vowel(c, False) and c not in b"lsz" and c == w[-2]:
        return w[:-1]
    if _m_eq1(w, len(w)) and _o_star(w, len(w)):
        return w + b"e"
    return w


def stem(token: str) -> str:
    """SQLite FTS5's Porter stem of one lowercase token (it works on UTF-8 bytes; under 3 or over 64 pass)."""
    w = token.encode("utf-8")
    if len(w) < 3 or len(w) > 64:
        return token
    w = _step1b(_step1a(w))
    if w.endswith(b"y") and _has_vowel(w, len(w) - 1):
        w = w[:-1] + b"i"
    for rules in (_STEP2, _STEP3, _STEP4):
        w = _apply(w, rules)[0]
    if len(w) > 1 and w.endswith(b"e") and (_m_gt1(w, len(w) - 1) or (_m_eq1(w, len(w) - 1) and not _o_star(w, len(w) - 1))):
        w = w[:-1]
    if len(w) > 1 and w.endswith(b"ll") and _m_gt1(w, len(w) - 1):
        w = w[:-1]
    return w.decode("utf-8", "ignore")
