"""The vector store: Chroma, embedded in the data directory or a Chroma server."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import Settings
from rag.errors import CorruptStoreError, StoreError
from rag.schema import Chunk
from rag.store.damage import damaged
from rag.store.embeddings import Embedder

log = logging.getLogger(__name__)

_SCALAR = (str, int, float, bool)

# Every collection's HNSW settings, the same on both backends (an embedded PersistentClient, a Chroma server).
# Chroma's default ef_search (100) makes the search approximate: at n=80 it missed 2-4% of the exact nearest
# chunks on 3,813 FinanceBench chunks, and which ones depends on the graph, i.e. on the order and batches the
# vectors were written in (an ingest and an import of the same vectors differ; so do two ingests, which insert on
# several threads). A search explores max(ef_search, n) candidates; with 1000 it was exact on 3,813 chunks and,
# on 29,427, exact within documents and 0.998 of the exact 80 over the whole library (evals/bench_team.py
# replays the retriever's searches against an exact search), for a few ms more per query (3000: 0.9997).
SEARCH_EF = 1000
HNSW = {"hnsw:space": "cosine", "hnsw:construction_ef": 100, "hnsw:M": 16, "hnsw:search_ef": SEARCH_EF}
# Chunks at the same distance (a passage repeated verbatim) come back by id: the graph's order is the insertion
# order. A few more than asked are fetched so that a tie across the cut is decided by id too.
_TIE_MARGIN = 8
_DISTANCE_DIGITS = 6  # distances equal to this many digits count as ties


def _chroma_metadata(meta: dict[str, Any]) -> dict[str, Any]:
    # Chroma accepts only non-empty scalar metadata values.
    return {k: v for k, v in meta.items() if isinstance(v, _SCALAR) and v != ""}


def _make_embedding_function(embedder: Embedder):
    from chromadb import EmbeddingFunction

    class _Adapter(EmbeddingFunction):
        """Lets Chroma embed with our model instead of its downloading default."""

        def __init__(self) -> None:
            self._embedder = embedder

        def __call__(self, input):  # noqa: A002 (Chroma's parameter name)
            return [v for v in self._embedder.embed(list(input))]

    return _Adapter()


def _damaged_store(chroma_dir: Path) -> CorruptStoreError | None:
    """The error for an embedded store whose chroma.sqlite3 is damaged; None when it is sound."""
    path = chroma_dir / "chroma.sqlite3"
    detail = damaged(path)
    if detail is None:
        return None
    return CorruptStoreError(
        f"The vector store {path} is damaged ({detail}); delete the folder {chroma_dir} and re-ingest your "
        "documents (`shiftbrief ingest FOLDER`): the catalog keeps them, their vectors come back from the "
        "embedding cache")


def _writable(folder: Path) -> bool:
    """May we write the store's folder (or the nearest existing folder above it) and its database file?"""
    existing = next((p for p in (folder, *folder.parents) if p.exists()), folder)
    db = folder / "chroma.sqlite3"
    return os.access(existing, os.W_OK) and (not db.exists() or os.access(db, os.W_OK))


class VectorStore:
    """One Chroma collection per library and embedding model, holding every chunk's vector and metadata."""

    def __init__(self, settings: Settings, embedder: Embedder, collection: str | None = None,
                 owner: str | None = None) -> None:
        """Open (creating) the collection; `owner` is the id of the catalog it belongs to, checked when set."""
        try:
            import chromadb
            from chromadb.config import Settings as ChromaSettings
        except ImportError as exc:
            raise StoreError("chromadb is not installed; run `pip install -e .`") from exc
        self._opened_with = (settings, embedder, collection, owner)  # for reopen
        self._lock = threading.RLock()  # a reopen waits for calls under way; calls wait for a reopen
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        self.remote = bool(settings.chroma_host)  # other clients may write the same server
        self.name = collection or f"chunks-{embedder.model_id}"
        self._dir = settings.chroma_dir
        self.where = (
            f"Chroma server at {settings.chroma_host}:{settings.chroma_port}"
            if settings.chroma_host
            else f"Chroma in {settings.chroma_dir}"
        )
        try:
            if settings.chroma_host:
                self._client = chromadb.HttpClient(
                    host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
                )
                self._client.heartbeat()
            else:
                settings.chroma_dir.mkdir(parents=True, exist_ok=True)
                self._client = chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
            embed = _make_embedding_function(embedder)
            self.collection = self._client.get_or_create_collection(
                name=self.name,
                embedding_function=embed,
                metadata={**HNSW, "embedder": embedder.model_id, **({"catalog": owner} if owner else {})},
            )
            self._search_settings(embed)
        except Exception as exc:
            raise self._failure(settings, exc) from exc
        found = (self.collection.metadata or {}).get("catalog")
        if owner and found != owner:
            # A new catalog would take the collection's vectors for orphans and remove them all.
            raise StoreError(
                f"The collection {self.name} on {self.where} belongs to another catalog (id {found}); point "
                "SHIFTBRIEF_DATABASE_URL at the catalog it was built with, or choose a new SHIFTBRIEF_LIBRARY")
        self._batch = min(2000, self._client.get_max_batch_size())

    def _search_settings(self, embed: Any) -> None:
        """Raise a collection made before SEARCH_EF to it (creating one already sets it). An embedded store loads its
        index with it from the next query on; a Chroma server from when it next loads the collection (a restart)."""
        hnsw = (self.collection.configuration or {}).get("hnsw") or {}
        if int(hnsw.get("ef_search") or 0) < SEARCH_EF:
            log.info("raising hnsw ef_search of %s from %s to %s", self.name, hnsw.get("ef_search"), SEARCH_EF)
            self.collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
            self.collection = self._client.get_collection(self.name, embedding_function=embed)

    @staticmethod
    def _failure(settings: Settings, exc: Exception) -> StoreError:
        """Why the store could not be opened: a server down, a damaged file, or a folder we may not write."""
        if settings.chroma_host:
            return StoreError(
                f"Cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port}; start it "
                "(`chroma run --path DIR --port PORT`) or unset CHROMA_HOST to use the embedded store")
        broken = _damaged_store(settings.chroma_dir)
        if broken is not None:
            return broken
        if not _writable(settings.chroma_dir):
            return StoreError(f"Cannot open the Chroma store in {settings.chroma_dir}; check the directory is writable")
        return StoreError(f"Cannot open the Chroma store in {settings.chroma_dir}: {type(exc).__name__}: "
                          f"{str(exc)[:200]}")

    def _call(self, what: str, fn, *args, **kwargs):
        with self._lock:
            owner = getattr(fn, "__self__", None)
            if owner is not self.collection and type(owner) is type(self.collection):  # of a collection reopen closed
                fn = getattr(self.collection, fn.__name__)
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                broken = None if self.remote else _damaged_store(self._dir)
                if broken is not None:
                    raise broken from exc
                hint = "is it running?" if self.remote else str(exc)[:200]
                raise StoreError(f"{self.where} failed to {what}: {type(exc).__name__}; {hint}") from exc

    def reopen(self) -> None:
        """Open the collection again, to search vectors another process wrote since: an embedded client keeps its
        index in memory and does not reload it (a Chroma server's clients see every write already)."""
        if self.remote:
            return
        with self._lock:
            # Closing the directory's last client drops its in-memory index; the next one reads it from disk.
            self._client.close()  # type: ignore[attr-defined]  # chromadb's Client has it; its ClientAPI type not
            fresh = VectorStore(*self._opened_with)
            self._client, self.collection = fresh._client, fresh.collection

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        self.upsert_rows([{"chunk_id": c.chunk_id, "metadata": c.metadata, "text": c.text} for c in chunks], vectors)

    def upsert_rows(self, rows: Sequence[dict[str, Any]], vectors: Sequence[np.ndarray] | np.ndarray) -> None:
        """Store vectors for catalog chunk rows (chunk_id, metadata, text), in batches."""
        for i in range(0, len(rows), self._batch):
            part = rows[i : i + self._batch]
            self._call(
                "store chunks",
                self.collection.upsert,
                ids=[r["chunk_id"] for r in part],
                embeddings=[vectors[i + j] for j in range(len(part))],
                metadatas=[_chroma_metadata(r["metadata"]) for r in part],
                documents=[r["text"] for r in part],
            )

    def ids_for_doc(self, doc_name: str) -> set[str]:
        res = self._call("list chunks", self.collection.get, where={"doc_name": doc_name}, include=[])
        return set(res["ids"])

    def update_metadata(self, doc_name: str, fields: dict[str, Any]) -> None:
        """Set metadata fields on every chunk of a document, its vectors untouched; an empty value removes the field."""
        ids = sorted(self.ids_for_doc(doc_name))
        change = {k: (v if v != "" else None) for k, v in fields.items() if v is None or isinstance(v, _SCALAR)}
        for i in range(0, len(ids), self._batch):
            part = ids[i : i + self._batch]
            self._call("update chunks", self.collection.update, ids=part, metadatas=[dict(change) for _ in part])

    def all_ids(self) -> set[str]:
        ids: set[str] = set()
        total = self.count()
        for offset in range(0, total, 10000):
            res = self._call("list chunks", self.collection.get, include=[], limit=10000, offset=offset)
            ids.update(res["ids"])
        return ids

    def doc_names(self, ids: Sequence[str]) -> dict[str, str]:
        """The document each vector belongs to, from its metadata ("" when it has none)."""
        out: dict[str, str] = {}
        for i in range(0, len(ids), self._batch):
            res = self._call("list chunks", self.collection.get, ids=list(ids[i : i + self._batch]),
                             include=["metadatas"])
            out.update({cid: str((meta or {}).get("doc_name", "")) for cid, meta in zip(res["ids"], res["metadatas"])})
        return out

    def get_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors by chunk id (for export: moving a library never re-embeds)."""
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(ids), self._batch):
            res = self._call("read vectors", self.collection.get, ids=list(ids[i : i + self._batch]),
                             include=["embeddings"])
            out.update({cid: np.asarray(vec, dtype=np.float32) for cid, vec in zip(res["ids"], res["embeddings"])})
        return out

    def delete_ids(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for i in range(0, len(ids), self._batch):
            self._call("delete chunks", self.collection.delete, ids=ids[i : i + self._batch])

    def count(self) -> int:
        return self._call("count chunks", self.collection.count)

    def query(self, vector: np.ndarray, n: int, doc_names: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """Nearest chunks to a vector as (chunk_id, cosine distance), optionally within some documents."""
        if doc_names is not None and not doc_names:
            return []
        where = None
        if doc_names is not None:
            where = {"doc_name": {"$in": list(doc_names)}} if len(doc_names) > 1 else {"doc_name": doc_names[0]}
        total = self.count()
        n = max(1, min(n, total))
        res = self._call("search", self.collection.query, query_embeddings=[vector],
                         n_results=max(1, min(n + _TIE_MARGIN, total)), where=where, include=["distances"])
        found = sorted(zip(res["ids"][0], res["distances"][0]), key=lambda h: (round(h[1], _DISTANCE_DIGITS), h[0]))
        return found[:n]
