"""The stores one data directory holds, opened together."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rag.config import Settings
from rag.store.embeddings import Embedder, EmbeddingCache, get_embedder
from rag.store.facts import FactStore
from rag.store.vectors import VectorStore
from rag.store.keywords import KeywordIndex

if TYPE_CHECKING:
    from rag.retrieval.hybrid import HybridRetriever

log = logging.getLogger(__name__)


@dataclass
class Stores:
    """The embedder, the vector store, the keyword index and the embedding cache of one data directory."""

    settings: Settings
    embedder: Embedder
    vectors: VectorStore
    keywords: KeywordIndex
    cache: EmbeddingCache
    info: dict[str, str] = field(default_factory=dict)
    facts: FactStore | None = None  # figures read off statement tables, in the keyword index's file
    # The HybridRetriever of these stores, built on first use by rag.retrieval.hybrid.retriever_for. Not an
    # __init__ argument, so dataclasses.replace (another embedder) gives the copy a retriever of its own.
    retriever: HybridRetriever | None = field(default=None, init=False, repr=False, compare=False)

    def close(self) -> None:
        self.keywords.close()
        if self.facts is not None:
            self.facts.close()
        self.cache.close()


def open_stores(settings: Settings, embedder: Embedder | None = None) -> Stores:
    """Open (creating if needed) everything under the data directory for the configured embedder."""
    embedder = embedder or get_embedder(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    keywords = KeywordIndex(settings.data_dir / f"index-{embedder.model_id}.sqlite")
    cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite")
    vectors = VectorStore(settings, embedder)
    return Stores(settings, embedder, vectors, keywords, cache, {"embedder": embedder.model_id, "vectors": vectors.where},
                  facts=FactStore(keywords.path))
