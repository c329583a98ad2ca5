"""The embedded catalog and keyword index: SQLite with FTS5 (BM25) in the data directory, kept in step with Chroma."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from rag.errors import IngestLockedError, StoreError
from rag.schema import Chunk, Document
from rag.store.analyser import keyword_text, query_phrases
from rag.store.catalog import Claims, chunk_rows, document_row, flat_document
from rag.store.damage import catalog_damaged, checked, is_corrupt

__all__ = ["KeywordIndex", "keyword_text", "match_expression"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_name TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    status TEXT NOT NULL,
    n_pages INTEGER NOT NULL,
    n_chunks INTEGER NOT NULL,
    metadata TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    chunk_id TEXT UNIQUE NOT NULL,
    doc_name TEXT NOT NULL,
    page INTEGER NOT NULL,
    ord INTEGER NOT NULL,
    text TEXT NOT NULL,
    metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_name, page, ord);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    body, tokenize='porter unicode61 remove_diacritics 2'
);
"""


def match_expression(terms: Iterable[str]) -> str:
    """An FTS5 OR-query over terms; a multi-word term becomes a phrase."""
    return " OR ".join('"' + " ".join(words).replace('"', "") + '"' for words in query_phrases(terms))


class _OneWriter:
    """Claims under the data directory's ingest lock: the only writer, so every document is its to write."""

    def take(self, doc_name: str, wait: float = 0) -> bool:
        return True

    def release(self, doc_name: str) -> None:
        pass


class KeywordIndex:
    """Documents, chunks and their FTS5 index in one SQLite file; every write is one transaction.

    One ingest or delete at a time writes it, under a file lock in the data directory.
    """

    shared = False
    library_id: str | None = None

    def __init__(self, path: Path, lock_path: Path | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.where = str(path)
        self.lock_path = lock_path or path.parent / "ingest.lock"
        try:
            self._conn = sqlite3.connect(path, timeout=60, check_same_thread=False, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            if is_corrupt(exc):
                raise catalog_damaged(path, exc) from exc
            raise StoreError(f"Cannot open the keyword index {path}: {exc}; check the data directory") from exc
        self._lock = threading.RLock()

    def close(self) -> None:
        self._conn.close()

    def _tx(self):
        return _Transaction(self._conn, self._lock)

    @contextmanager
    def writing(self, wait: float = 0) -> Iterator[Claims]:
        """Hold the data directory's ingest lock for an ingest or delete."""
        lock = FileLock(str(self.lock_path), timeout=wait)
        try:
            lock.acquire()
        except Timeout as exc:
            raise IngestLockedError(
                f"Another ingest or delete is running on {self.lock_path.parent}; wait for it to finish and try again"
            ) from exc
        try:
            yield _OneWriter()
        finally:
            lock.release()

    # --- documents -------------------------------------------------------------------------
    @checked
    def get_document(self, doc_name: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT doc_name, source, sha256, status, n_pages, n_chunks, metadata, updated_at "
                "FROM documents WHERE doc_name = ?",
                (doc_name,),
            ).fetchone()
        return _doc_row(row) if row else None

    @checked
    def list_documents(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT doc_name, source, sha256, status, n_pages, n_chunks, metadata, updated_at "
                "FROM documents ORDER BY doc_name"
            ).fetchall()
        return [_doc_row(r) for r in rows]

    @checked
    def mark(self, doc_name: str, status: str) -> None:
        with self._tx() as c:
            c.execute("UPDATE documents SET status = ? WHERE doc_name = ?", (status, doc_name))

    def replace_document(self, doc: Document, chunks: Sequence[Chunk]) -> None:
        """Swap in a document's chunks and mark it complete, atomically."""
        self.put_document(document_row(doc, len(chunks)), chunk_rows(chunks))

    @checked
    def put_document(self, row: dict[str, Any], chunks: Sequence[dict[str, Any]]) -> None:
        """Store a document from catalog rows (see `catalog.chunk_rows`), replacing any of the same name."""
        with self._tx() as c:
            self._delete_chunks(c, row["doc_name"])
            for ch in chunks:
                cur = c.execute(
                    "INSERT INTO chunks (chunk_id, doc_name, page, ord, text, metadata) VALUES (?, ?, ?, ?, ?, ?)",
                    (ch["chunk_id"], ch["doc_name"], ch["page"], ch["ord"], ch["text"],
                     json.dumps(ch["metadata"], ensure_ascii=False)),
                )
                c.execute("INSERT INTO chunks_fts (rowid, body) VALUES (?, ?)", (cur.lastrowid, ch["body"]))
            c.execute(
                "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (row["doc_name"], row["source"], row["sha256"], row["status"], row["n_pages"], len(chunks),
                 json.dumps(row["metadata"], ensure_ascii=False), time.time()),
            )

    @checked
    def update_metadata(self, doc_name: str, fields: dict[str, Any], chunk_fields: dict[str, Any]) -> None:
        """Change some metadata of a document and of its chunks in place, in one transaction (no re-indexing)."""
        with self._tx() as c:
            row = c.execute("SELECT metadata FROM documents WHERE doc_name = ?", (doc_name,)).fetchone()
            if row is None:
                return
            meta = {**json.loads(row[0]), **fields}
            c.execute("UPDATE documents SET metadata = ?, updated_at = ? WHERE doc_name = ?",
                      (json.dumps(meta, ensure_ascii=False), time.time(), doc_name))
            rows = c.execute("SELECT rowid, metadata FROM chunks WHERE doc_name = ?", (doc_name,)).fetchall()
            c.executemany("UPDATE chunks SET metadata = ? WHERE rowid = ?",
                          [(json.dumps({**json.loads(m), **chunk_fields}, ensure_ascii=False), r) for r, m in rows])

    @checked
    def export_document(self, doc_name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A document's row and its chunk rows; `body` is the indexed keyword text."""
        with self._lock:
            row = self._conn.execute(
                "SELECT doc_name, source, sha256, status, n_pages, n_chunks, metadata, updated_at "
                "FROM documents WHERE doc_name = ?", (doc_name,)).fetchone()
            if row is None:
                raise StoreError(f"No document named {doc_name!r} in {self.path}")
            rows = self._conn.execute(
                "SELECT c.chunk_id, c.doc_name, c.page, c.ord, c.text, c.metadata, f.body FROM chunks c "
                "JOIN chunks_fts f ON f.rowid = c.rowid WHERE c.doc_name = ? ORDER BY c.page, c.ord",
                (doc_name,)).fetchall()
        keys = ("doc_name", "source", "sha256", "status", "n_pages", "n_chunks", "metadata", "updated_at")
        doc = dict(zip(keys, row))
        doc["metadata"] = json.loads(doc["metadata"])
        return doc, [{"chunk_id": r[0], "doc_name": r[1], "page": r[2], "ord": r[3], "text": r[4],
                      "metadata": json.loads(r[5]), "body": r[6]} for r in rows]

    @checked
    def delete_document(self, doc_name: str) -> None:
        with self._tx() as c:
            self._delete_chunks(c, doc_name)
            c.execute("DELETE FROM documents WHERE doc_name = ?", (doc_name,))

    @staticmethod
    def _delete_chunks(c: sqlite3.Connection, doc_name: str) -> None:
        rowids = [r[0] for r in c.execute("SELECT rowid FROM chunks WHERE doc_name = ?", (doc_name,))]
        c.executemany("DELETE FROM chunks_fts WHERE rowid = ?", [(r,) for r in rowids])
        c.execute("DELETE FROM chunks WHERE doc_name = ?", (doc_name,))

    # --- chunks ----------------------------------------------------------------------------
    @checked
    def chunk_ids(self, doc_name: str | None = None) -> set[str]:
        with self._lock:
            if doc_name is None:
                rows = self._conn.execute("SELECT chunk_id FROM chunks")
            else:
                rows = self._conn.execute("SELECT chunk_id FROM chunks WHERE doc_name = ?", (doc_name,))
            return {r[0] for r in rows}

    @checked
    def count_chunks(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT count(*) FROM chunks").fetchone()[0]

    @checked
    def get_chunks(self, chunk_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        with self._lock:
            for i in range(0, len(chunk_ids), 500):
                part = list(chunk_ids[i : i + 500])
                rows = self._conn.execute(
                    f"SELECT chunk_id, doc_name, page, ord, text, metadata FROM chunks "
                    f"WHERE chunk_id IN ({','.join('?' * len(part))})",
                    part,
                ).fetchall()
                for cid, doc, page, ord_, text, meta in rows:
                    out[cid] = {"chunk_id": cid, "doc_name": doc, "page": page, "ord": ord_, "text": text,
                                "metadata": json.loads(meta)}
        return out

    @checked
    def page_chunks(self, doc_name: str, page: int) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT chunk_id FROM chunks WHERE doc_name = ? AND page = ? ORDER BY ord", (doc_name, page)
            ).fetchall()
        found = self.get_chunks([r[0] for r in rows])
        return [found[r[0]] for r in rows]

    @checked
    def search(self, terms: Iterable[str], n: int, doc_names: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """BM25 over the chunks as (chunk_id, score), best first; higher score is better."""
        expr = match_expression(terms)
        if not expr or (doc_names is not None and not doc_names):
            return []
        sql = (
            "SELECT c.chunk_id, -bm25(chunks_fts) AS s FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
            "WHERE chunks_fts MATCH ?"
        )
        args: list[Any] = [expr]
        if doc_names is not None:
            sql += f" AND c.doc_name IN ({','.join('?' * len(doc_names))})"
            args.extend(doc_names)
        sql += " ORDER BY bm25(chunks_fts) LIMIT ?"
        args.append(n)
        try:
            with self._lock:
                return [(r[0], float(r[1])) for r in self._conn.execute(sql, args)]
        except sqlite3.OperationalError as exc:
            raise StoreError(f"Keyword search failed: {exc}") from exc


class _Transaction:
    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock) -> None:
        self.conn, self.lock = conn, lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.lock.release()


def _doc_row(row: Sequence[Any]) -> dict[str, Any]:
    keys = ("doc_name", "source", "sha256", "status", "n_pages", "n_chunks", "metadata", "updated_at")
    doc = dict(zip(keys, row))
    return flat_document({**doc, "metadata": json.loads(doc["metadata"])})
