"""The stores one library uses, opened together: in the data directory, or a team's servers plus local caches."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.config import Settings
from rag.store.catalog import Catalog, Claims, collection_name, open_catalog, reconcile
from rag.store.damage import reporting_damage
from rag.store.embeddings import Embedder, EmbeddingCache, get_embedder
from rag.store.facts import FactStore, FactTable, open_facts
from rag.store.vectors import VectorStore

if TYPE_CHECKING:
    from rag.retrieval.hybrid import HybridRetriever

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
    facts: FactTable | None = None  # figures read off statement tables, beside the catalog
    # The HybridRetriever of these stores, built on first use by rag.retrieval.hybrid.retriever_for. Not an
    # __init__ argument, so dataclasses.replace (another embedder) gives the copy a retriever of its own.
    retriever: HybridRetriever | None = field(default=None, init=False, repr=False, compare=False)
    _generation: tuple[Any, ...] | None = field(default=None, init=False, repr=False, compare=False)

    def close(self) -> None:
        self.keywords.close()
        if self.facts is not None:
            self.facts.close()
        self.cache.close()

    def follow_catalog(self) -> bool:
        """Reopen the vector store when the catalog changed since the last call, so a long-lived process (the app)
        searches the vectors another one (`shiftbrief ingest`) wrote; True when it reopened."""
        generation = tuple((d["doc_name"], d.get("updated_at"), d.get("status"), d.get("n_chunks"))
                           for d in self.keywords.list_documents())
        changed = self._generation is not None and generation != self._generation
        self._generation = generation
        if changed:
            self.vectors.reopen()
        return changed

    def writing(self, wait: float = 0) -> AbstractContextManager[Claims]:
        """Enter an ingest or delete: the claims it may write under (see `Catalog.writing`)."""
        return self.keywords.writing(wait)

    def reconcile(self, claims: Claims) -> int:
        """Remove vectors the catalog does not own and mark documents missing vectors stale; returns vectors removed."""
        return reconcile(self.keywords, self.vectors, claims)


class _CheckedFacts(FactStore):
    """The facts table, whose damaged-file errors name the catalog file and the fix (see rag.store.damage)."""

    def __getattribute__(self, name: str) -> Any:
        attr = super().__getattribute__(name)
        if name.startswith("_") or not callable(attr):
            return attr
        path = super().__getattribute__("path")

        @wraps(attr)
        def call(*args: Any, **kwargs: Any) -> Any:
            with reporting_damage(path):
                return attr(*args, **kwargs)

        return call


# Settings only the chat model reads; every other one can change what open_stores returns (where the vectors
# live, which embedder, its threads and workers) or how ingest writes through stores.settings (chunk sizes).
CHAT_ONLY_SETTINGS = frozenset({"llm_mode", "llm_model", "llm_timeout", "judge_model"})


def store_settings(settings: Settings) -> dict[str, Any]:
    """The settings a Stores depends on, by field name: the key for caching one (e.g. the app's)."""
    return {name: getattr(settings, name) for name in type(settings).model_fields if name not in CHAT_ONLY_SETTINGS}


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
    # Statement-table facts live beside the catalog: in its SQLite file (damage reported by file), or in its
    # PostgreSQL schema.
    path = getattr(keywords, "path", None)
    facts = _CheckedFacts(path) if isinstance(path, Path) else open_facts(keywords)
    return Stores(settings, embedder, vectors, keywords, cache, info, facts=facts)


def catalog_documents(settings: Settings) -> list[dict[str, Any]]:
    """The library's documents from its catalog alone: no vector store, no embedding cache (`shiftbrief docs`)."""
    catalog = open_catalog(settings, get_embedder(settings).model_id)
    try:
        return catalog.list_documents()
    finally:
        catalog.close()
