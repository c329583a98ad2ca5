"""The stores one library uses, opened together: in the data directory, or a team's servers plus local caches."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from rag.config import Settings
from rag.store.catalog import Catalog, Claims, collection_name, open_catalog, reconcile
from rag.store.embeddings import Embedder, EmbeddingCache, get_embedder
from rag.store.vectors import VectorStore

log = logging.getLogger(__name__)


@dataclass
class Stores:
    """The embedder, the vector store, the catalog (with its keyword index) and the local embedding cache."""

    settings: Settings
    embedder: Embedder
    vectors: VectorStore
    keywords: Catalog
    cache: EmbeddingCache
    info: dict[str, str] = field(default_factory=dict)

    def close(self) -> None:
        self.keywords.close()
        self.cache.close()

    def writing(self, wait: float = 0) -> AbstractContextManager[Claims]:
        """Enter an ingest or delete: the claims it may write under (see `Catalog.writing`)."""
        return self.keywords.writing(wait)

    def reconcile(self, claims: Claims) -> int:
        """Remove vectors the catalog does not own and mark documents missing vectors stale; returns vectors removed."""
        return reconcile(self.keywords, self.vectors, claims)


def open_stores(settings: Settings, embedder: Embedder | None = None) -> Stores:
    """Open (creating if needed) the library the settings name, for the configured embedder."""
    embedder = embedder or get_embedder(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    keywords = open_catalog(settings, embedder.model_id)
    try:
        vectors = VectorStore(settings, embedder, collection_name(settings, embedder.model_id), keywords.library_id)
    except Exception:
        keywords.close()
        raise
    cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite")
    info = {"embedder": embedder.model_id, "vectors": vectors.where, "catalog": keywords.where}
    return Stores(settings, embedder, vectors, keywords, cache, info)
