"""The stores one data directory holds, opened together."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rag.config import Settings
from rag.store.embeddings import Embedder, EmbeddingCache, get_embedder
from rag.store.facts import FactStore
from rag.store.keywords import KeywordIndex
from rag.store.vectors import VectorStore

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


# Settings only the chat model reads; every other one can change what open_stores returns (where the vectors
# live, which embedder, its threads and workers) or how ingest writes through stores.settings (chunk sizes).
CHAT_ONLY_SETTINGS = frozenset({"llm_mode", "llm_model", "llm_timeout", "judge_model"})


def store_settings(settings: Settings) -> dict[str, Any]:
    """The settings a Stores depends on, by field name: the key for caching one (e.g. the app's)."""
    return {name: getattr(settings, name) for name in type(settings).model_fields if name not in CHAT_ONLY_SETTINGS}


def open_stores(settings: Settings, embedder: Embedder | None = None) -> Stores:
    """Open (creating if needed) everything under the data directory for the configured embedder."""
    embedder = embedder or get_embedder(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    keywords = KeywordIndex(settings.data_dir / f"index-{embedder.model_id}.sqlite")
    cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite")
    vectors = VectorStore(settings, embedder)
    return Stores(settings, embedder, vectors, keywords, cache, {"embedder": embedder.model_id, "vectors": vectors.where},
                  facts=FactStore(keywords.path))
