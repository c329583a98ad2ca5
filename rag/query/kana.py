"""Matching a katakana name to a Latin one by its sound: マシュー・シーゲル = Matthew Sigel, モルガン・スタンレー =
Morgan Stanley.

Katakana writes a foreign name by its sound, so both spellings reduce to the same consonant skeleton once the
sounds Japanese does not tell apart are merged (l/r, b/v, s/z/th/sh/j, m/n), vowels, y, w and h-after-consonant
are dropped and doubled consonants are collapsed. A skeleton of two or more consonants rarely matches by chance
among the few capitalised words of a handful of passages; a name is matched only when every part of it is.
"""

from __future__ import annotations

import re

# Katakana syllables, by their consonant (the vowel is dropped anyway); small kana after a syllable only change
# its vowel or soften it (シュ = shu, ファ = fa), so they add nothing.
_ROWS = {
    "k": "カキクケコ", "g": "ガギグゲゴ", "s": "サスセソザズゼゾジシ", "c": "チツ", "t": "タテト", "d": "ダヂヅデド",
    "n": "ナニヌネノンマミムメモ", "h": "ハヒヘホ", "f": "フ", "b": "バビブベボヴパピプペポ", "r": "ラリルレロ",
}
_KANA_CONSONANT = {ch: c for c, row in _ROWS.items() for ch in row}
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc]+")
_LATIN_WORD = re.compile(r"[A-Z][A-Za-z'-]{1,}")

# Latin spellings to the same merged sounds, longest first.
_LATIN_RULES = (
    ("tth", "s"), ("tch", "c"), ("sch", "s"), ("ch", "c"), ("sh", "s"), ("th", "s"), ("ph", "f"), ("ck", "k"), ("ts", "c"),
    ("tz", "c"), ("gh", ""), ("qu", "k"),
)
_LATIN_LETTER = {"c": "k", "q": "k", "x": "ks", "z": "s", "j": "s", "l": "r", "v": "b", "p": "b", "m": "n",
                 "w": "", "y": "", "a": "", "e": "", "i": "", "o": "", "u": ""}


# A foreign name of several words, written in katakana with middle dots: グリーニッジ・ジェネレーション.
_DOTTED_NAME = re.compile(r"[\u30a1-\u30fa\u30fc]{2,}(?:[・･][\u30a1-\u30fa\u30fc]{2,})+")


def katakana_names(text: str) -> list[str]:
    """The dotted katakana names a text writes (マシュー・シーゲル), in order."""
    return list(dict.fromkeys(_DOTTED_NAME.findall(text)))


def _collapse(skeleton: str) -> str:
    return re.sub(r"(.)\1+", r"\1", skeleton)


def kana_skeleton(name: str) -> str:
    """The consonant skeleton of a katakana word: シーゲル -> 'sgr', モルガン -> 'nrgn'."""
    return _collapse("".join(_KANA_CONSONANT.get(ch, "") for ch in name))


def latin_skeleton(word: str) -> str:
    """The consonant skeleton of a Latin word: Sigel -> 'sgr', Morgan -> 'nrgn', Matthew -> 'ns'."""
    low = re.sub(r"[^a-z]", "", word.lower())
    low = re.sub(r"c(?=[eiy])", "s", low)
    low = re.sub(r"(?<=[aeiou])r$", "", low)  # Bitdeer = ビットディア: a final r is not sounded
    for a, b in _LATIN_RULES:
        low = low.replace(a, b)
    low = re.sub(r"(?<=[bcdfgklmnprstvz])h", "", low)  # h after a consonant only colours it
    return _collapse("".join(_LATIN_LETTER.get(ch, ch) for ch in low))


def sounds_written(name: str, text: str) -> bool:
    """Whether a katakana name (parts joined by ・) is written in Latin letters in text: each of its parts sounds
    like a capitalised word there, and each part has at least two consonants (shorter ones match too often)."""
    parts = [p for p in re.split(r"[・･\s]+", name) if p]
    skeletons = [kana_skeleton(p) for p in parts if _KATAKANA.fullmatch(p)]
    if not skeletons or len(skeletons) != len(parts) or any(len(s) < 2 for s in skeletons):
        return False
    latin = {latin_skeleton(w) for w in _LATIN_WORD.findall(text)}
    return all(s in latin for s in skeletons)


def sounds_like(katakana: str, latin: str) -> bool:
    """Whether a katakana word and a Latin name of one or more words read alike as a whole (リバーベンド = River Bend,
    ロックデール = Rockdale): the same consonant skeleton of two consonants or more, word breaks and dots ignored."""
    kana = _collapse("".join(kana_skeleton(p) for p in re.split(r"[・･\s]+", katakana) if p))
    words = _LATIN_WORD.findall(latin)
    if len(kana) < 2 or not words or not all(_KATAKANA.fullmatch(p) for p in re.split(r"[・･\s]+", katakana) if p):
        return False
    return kana == _collapse("".join(latin_skeleton(w) for w in words))
