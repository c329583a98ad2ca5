"""One normalisation for matching text: width, quotes, dashes, and the squashed form used for names."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_NON_ALNUM_JA = re.compile(r"[^0-9a-z\u3040-\u9fff]+")
# Typographic dashes and minus signs read as the hyphen a reader types ("October–December" = "October-December").
_DASHES = re.compile(r"[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


def normalize(text: str) -> str:
    """NFKC (full-width digits and letters to ASCII) with typographic quotes and dashes made plain."""
    return _DASHES.sub("-", unicodedata.normalize("NFKC", text).translate(_QUOTES))


def squash(text: str, keep_ja: bool = False) -> str:
    """Lower-case letters and digits only: 'Best Buy' and 'BESTBUY' both give 'bestbuy'.

    With keep_ja, kana and kanji are kept too ('ライオット・プラットフォームズ' -> 'ライオットプラットフォームズ').
    """
    return (_NON_ALNUM_JA if keep_ja else _NON_ALNUM).sub("", text.lower())
