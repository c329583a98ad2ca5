"""English or Japanese, told by script: one rule for documents and questions, with a threshold for each."""

from __future__ import annotations

import re

JA_CHARS = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
# The common kana and kanji blocks: the quick test for "this sentence has Japanese in it".
KANA_KANJI = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_ASCII_LETTERS = bytes(range(65, 91)) + bytes(range(97, 123))

# A page is Japanese when kana and kanji are at least a fifth of its letters (ASCII letters counted) ...
DOCUMENT_SHARE = 0.2
# ... a question already at a seventh: Japanese questions carry English names ("Riot PlatformsのAMDとの契約は?").
QUESTION_SHARE = 1 / 7


def script_counts(text: str) -> tuple[int, int]:
    """(kana and kanji, kana and kanji plus ASCII letters) in a sample of the text."""
    sample = text if len(text) <= 6_000 else text[:3_000] + text[-3_000:]
    raw = sample.encode("utf-8", "ignore")
    ja = len(JA_CHARS.findall(sample))
    return ja, ja + len(raw) - len(raw.translate(None, _ASCII_LETTERS))


def lang_of_counts(ja: int, letters: int, min_share: float = DOCUMENT_SHARE) -> str:
    return "ja" if letters and ja / letters >= min_share else "en"


def detect_lang(text: str, min_share: float = DOCUMENT_SHARE) -> str:
    """'ja' when kana and kanji make up at least min_share of the letters, else 'en'."""
    return lang_of_counts(*script_counts(text), min_share)
