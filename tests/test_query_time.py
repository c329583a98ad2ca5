"""What an extractive answer embeds at query time: the question once, and sentences only when not cached."""

from __future__ import annotations

import dataclasses

import numpy as np

from rag.answers.answer import answer_question
from rag.retrieval.hybrid import retriever_for


class CountingEmbedder:
    """The real encoder, counting the texts it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.model_id, self.texts = inner, inner.model_id, []

    def embed(self, texts):
        self.texts.extend(texts)
        return self.inner.embed(texts)


def test_the_support_check_reads_stored_vectors_and_embeds_the_question_once(corpus_stores):
    counting = CountingEmbedder(corpus_stores.embedder)
    stores = dataclasses.replace(corpus_stores, embedder=counting)
    question = "How much bitcoin did Riot sell in December 2025?"
    retriever = retriever_for(stores)
    hits = retriever.search(question, 6)
    sims = retriever.similarities(question, hits)
    assert counting.texts == [question]  # the passages' vectors come from the vector store
    # the same cosines as embedding what the vector store holds for them (the chunk's embedded text)
    stored = stores.vectors.get_vectors([h.chunk_id for h in hits])
    q = corpus_stores.embedder.embed([question])[0]
    expect = [float(stored[h.chunk_id] @ q / np.linalg.norm(stored[h.chunk_id]) / np.linalg.norm(q)) for h in hits]
    assert np.allclose(sims, expect, atol=1e-5)


def test_a_repeated_question_embeds_no_sentence_again(corpus_stores):
    counting = CountingEmbedder(corpus_stores.embedder)
    stores = dataclasses.replace(corpus_stores, embedder=counting)
    question = "Why did Riot sell bitcoin in December 2025, and what did it do with the money?"
    first = answer_question(question, stores)
    embedded_first = len(counting.texts)
    counting.texts.clear()
    again = answer_question(question, stores)
    assert first.answer == again.answer and embedded_first > 1
    assert counting.texts == []  # the question's vector and every sentence's come from caches
