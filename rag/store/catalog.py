"""The catalog interface: one library's documents, chunks and keyword index, and who may write which document.

Two implementations: `KeywordIndex` (SQLite + FTS5 in the data directory, the default) and
`PostgresCatalog` (PostgreSQL, shared by every app server and ingest worker of a team). They are the only
modules that know SQL; everything else goes through `Catalog`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

from rag.config import Settings
from rag.errors import StoreError
from rag.schema import Chunk, Document
from rag.store.analyser import keyword_text

if TYPE_CHECKING:
    from rag.store.vectors import VectorStore

log = logging.getLogger(__name__)


class Claims(Protocol):
    """The documents one ingest or delete may write; a claim held elsewhere means "someone is writing it"."""

    def take(self, doc_name: str, wait: float = 0) -> bool:
        """Claim a document, waiting up to `wait` seconds; False if another worker holds it."""
        ...

    def release(self, doc_name: str) -> None:
        """Give a claim back before the ingest ends (it is released then anyway)."""
        ...


class Catalog(Protocol):
    """Documents, their chunks and the keyword (BM25) index over them."""

    where: str  # for messages: the file or the server
    shared: bool  # other processes on other machines write it too
    library_id: str | None  # a shared catalog's id, recorded on its Chroma collection (None: not checked)

    def close(self) -> None: ...

    def writing(self, wait: float = 0) -> AbstractContextManager[Claims]:
        """Enter an ingest or delete; raises IngestLockedError when this catalog admits one writer and it is busy."""
        ...

    def get_document(self, doc_name: str) -> dict[str, Any] | None: ...

    def list_documents(self) -> list[dict[str, Any]]: ...

    def mark(self, doc_name: str, status: str) -> None: ...

    def replace_document(self, doc: Document, chunks: Sequence[Chunk]) -> None:
        """Swap in a document's chunks and mark it complete, atomically."""
        ...

    def delete_document(self, doc_name: str) -> None: ...

    def chunk_ids(self, doc_name: str | None = None) -> set[str]: ...

    def count_chunks(self) -> int: ...

    def get_chunks(self, chunk_ids: Sequence[str]) -> dict[str, dict[str, Any]]: ...

    def page_chunks(self, doc_name: str, page: int) -> list[dict[str, Any]]: ...

    def search(self, terms: Iterable[str], n: int, doc_names: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """BM25 over the chunks as (chunk_id, score), best first; higher score is better."""
        ...

    def update_metadata(self, doc_name: str, fields: dict[str, Any], chunk_fields: dict[str, Any]) -> None:
        """Change some metadata of a document and of its chunks in place (a `shiftbrief tag` correction)."""
        ...

    def export_document(self, doc_name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A document's catalog row and chunk rows (with the keyword text, `body`), as `put_document` takes them."""
        ...

    def put_document(self, row: dict[str, Any], chunks: Sequence[dict[str, Any]]) -> None:
        """Store a document from exported rows, replacing any of the same name, in one transaction."""
        ...


def document_row(doc: Document, n_chunks: int, status: str = "complete") -> dict[str, Any]:
    """A document's catalog row: its identity, counts and metadata (what `put_document` stores)."""
    meta = {**doc.metadata(), "lang": doc.lang, **{k: v for k, v in doc.extra.items() if isinstance(v, str)}}
    return {"doc_name": doc.doc_name, "source": doc.source, "sha256": doc.sha256, "status": status,
            "n_pages": len(doc.pages), "n_chunks": n_chunks, "metadata": meta}


def chunk_rows(chunks: Sequence[Chunk]) -> list[dict[str, Any]]:
    """Chunks as catalog rows; `body` is what the keyword index holds: `keyword_text` of context + embedded text.

    (Stored after `keyword_text`, not before: it is not idempotent, and both backends must tokenise the same.)
    """
    return [{"chunk_id": c.chunk_id, "doc_name": c.doc_name, "page": c.page, "ord": c.ord, "text": c.text,
             "metadata": c.metadata, "body": keyword_text(f"{c.context}\n{c.embed_text}" if c.context else c.embed_text)}
            for c in chunks]


def flat_document(row: dict[str, Any]) -> dict[str, Any]:
    """A catalog row as `get_document` returns it: metadata merged in, identity fields kept."""
    keep = ("doc_name", "source", "sha256", "status", "n_pages", "n_chunks", "updated_at")
    return {**{k: row[k] for k in keep}, **{k: v for k, v in row["metadata"].items()
                                            if k not in ("doc_name", "source", "sha256")}}


def collection_name(settings: Settings, model_id: str) -> str:
    """The Chroma collection of a library: named for the library on the team backend, as before otherwise."""
    return f"{settings.library}-{model_id}" if settings.database_url else f"chunks-{model_id}"


def open_catalog(settings: Settings, model_id: str) -> Catalog:
    """The catalog the settings choose: SQLite in the data directory, or PostgreSQL when a database URL is set."""
    if settings.database_url is None:
        from rag.store.keywords import KeywordIndex

        return KeywordIndex(settings.data_dir / f"index-{model_id}.sqlite", lock_path=settings.data_dir / "ingest.lock")
    if not settings.chroma_host:
        raise StoreError("SHIFTBRIEF_DATABASE_URL is set but CHROMA_HOST is not: a team library keeps its vectors "
                         "on a Chroma server; set CHROMA_HOST and CHROMA_PORT too (see docs/team.md)")
    try:
        from rag.store.postgres import PostgresCatalog
    except ImportError as exc:
        raise StoreError("psycopg is not installed; run `pip install -e '.[team]'` for the PostgreSQL backend") from exc
    return PostgresCatalog(settings.database_url.get_secret_value(), settings.library, model_id)


def reconcile(catalog: Catalog, vectors: VectorStore, claims: Claims) -> int:
    """Make Chroma hold exactly the chunks the catalog holds (after a crash). Returns vectors removed.

    A vector is removed only when the catalog that owns the collection says so: a shared catalog (or an
    embedded Chroma) owns all of it, a local catalog beside a Chroma server only its own documents. A document
    claimed by another worker is being written and is left alone; the rest is re-checked under a claim.
    """
    if vectors.count() == catalog.count_chunks():
        return 0
    vector_ids, catalog_ids = vectors.all_ids(), catalog.chunk_ids()
    stray, missing = sorted(vector_ids - catalog_ids), sorted(catalog_ids - vector_ids)
    owns_all = catalog.shared or not vectors.remote
    listed = catalog.list_documents()
    known = {d["doc_name"] for d in listed}
    # A half-deleted document stays 'deleting' (never 'stale', which a re-ingest would bring back): its delete
    # is finished by the next ingest or delete (rag.ingestion.pipeline.finish_deletes).
    deleting = {d["doc_name"] for d in listed if d["status"] == "deleting"}
    docs = {d for d in vectors.doc_names(stray).values() if owns_all or d in known}
    docs |= {c["doc_name"] for c in catalog.get_chunks(missing).values()}
    removed = 0
    for doc_name in sorted(docs):
        if not claims.take(doc_name):
            continue
        try:
            present, owned = vectors.ids_for_doc(doc_name), catalog.chunk_ids(doc_name)
            orphans = sorted(present - owned)
            if orphans:
                log.warning("removing orphan vectors doc=%s count=%s", doc_name, len(orphans))
                vectors.delete_ids(orphans)
                removed += len(orphans)
            if owned - present and doc_name not in deleting:
                # Re-embedded the next time its file is ingested.
                catalog.mark(doc_name, "stale")
        finally:
            claims.release(doc_name)
    return removed
