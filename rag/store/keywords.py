"""The document catalog and keyword index: SQLite with FTS5 (BM25), kept in step with Chroma."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rag.errors import StoreError
from rag.schema import Chunk, Document

_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]+")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_DECIMAL = re.compile(r"(?<=\d)\.(?=\d)")
_WORD = re.compile(r"\w+", re.UNICODE)

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


def keyword_text(text: str) -> str:
    """Text as the keyword index sees it: CJK runs as overlapping bigrams, numbers kept whole.

    The unicode61 tokenizer treats a run of kanji/kana as one token, so Japanese is indexed
    as character bigrams (as Lucene's CJK analyzer does); "1,818" and "161.6" stay one token.
    """

    def bigrams(m: re.Match[str]) -> str:
        run = m.group(0)
        if len(run) == 1:
            return f" {run} "
        return " " + " ".join(run[i : i + 2] for i in range(len(run) - 1)) + " "

    text = _THOUSANDS.sub("", text)
    text = _DECIMAL.sub("d", text)
    return _CJK_RUN.sub(bigrams, text)


def match_expression(terms: Iterable[str]) -> str:
    """An FTS5 OR-query over terms; a multi-word term becomes a phrase."""
    parts: list[str] = []
    seen: set[str] = set()
    for term in terms:
        tokens = _WORD.findall(keyword_text(term).lower())
        if not tokens:
            continue
        phrase = " ".join(tokens)
        if phrase in seen:
            continue
        seen.add(phrase)
        parts.append('"' + phrase.replace('"', "") + '"')
    return " OR ".join(parts)


class KeywordIndex:
    """Documents, chunks and their FTS5 index in one SQLite file; every write is one transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        try:
            self._conn = sqlite3.connect(path, timeout=60, check_same_thread=False, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot open the keyword index {path}: {exc}; check the data directory") from exc
        self._lock = threading.RLock()

    def close(self) -> None:
        self._conn.close()

    def _tx(self):
        return _Transaction(self._conn, self._lock)

    # --- documents -------------------------------------------------------------------------
    def get_document(self, doc_name: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT doc_name, source, sha256, status, n_pages, n_chunks, metadata, updated_at "
                "FROM documents WHERE doc_name = ?",
                (doc_name,),
            ).fetchone()
        return _doc_row(row) if row else None

    def list_documents(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT doc_name, source, sha256, status, n_pages, n_chunks, metadata, updated_at "
                "FROM documents ORDER BY doc_name"
            ).fetchall()
        return [_doc_row(r) for r in rows]

    def mark(self, doc_name: str, status: str) -> None:
        with self._tx() as c:
            c.execute("UPDATE documents SET status = ? WHERE doc_name = ?", (status, doc_name))

    def replace_document(self, doc: Document, chunks: Sequence[Chunk]) -> None:
        """Swap in a document's chunks and mark it complete, atomically."""
        meta = {**doc.metadata(), "lang": doc.lang, **{k: v for k, v in doc.extra.items() if isinstance(v, str)}}
        with self._tx() as c:
            self._delete_chunks(c, doc.doc_name)
            for ch in chunks:
                cur = c.execute(
                    "INSERT INTO chunks (chunk_id, doc_name, page, ord, text, metadata) VALUES (?, ?, ?, ?, ?, ?)",
                    (ch.chunk_id, ch.doc_name, ch.page, ch.ord, ch.text, json.dumps(ch.metadata, ensure_ascii=False)),
                )
                c.execute(
                    "INSERT INTO chunks_fts (rowid, body) VALUES (?, ?)",
                    (cur.lastrowid, keyword_text(f"{ch.context}\n{ch.embed_text}" if ch.context else ch.embed_text)),
                )
            c.execute(
                "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, 'complete', ?, ?, ?, ?)",
                (doc.doc_name, doc.source, doc.sha256, len(doc.pages), len(chunks),
                 json.dumps(meta, ensure_ascii=False), time.time()),
            )

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
    def chunk_ids(self, doc_name: str | None = None) -> set[str]:
        with self._lock:
            if doc_name is None:
                rows = self._conn.execute("SELECT chunk_id FROM chunks")
            else:
                rows = self._conn.execute("SELECT chunk_id FROM chunks WHERE doc_name = ?", (doc_name,))
            return {r[0] for r in rows}

    def count_chunks(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT count(*) FROM chunks").fetchone()[0]

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

    def page_chunks(self, doc_name: str, page: int) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT chunk_id FROM chunks WHERE doc_name = ? AND page = ? ORDER BY ord", (doc_name, page)
            ).fetchall()
        found = self.get_chunks([r[0] for r in rows])
        return [found[r[0]] for r in rows]

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
    doc_name, source, sha, status, n_pages, n_chunks, meta, updated = row
    return {"doc_name": doc_name, "source": source, "sha256": sha, "status": status, "n_pages": n_pages,
            "n_chunks": n_chunks, "updated_at": updated, **{k: v for k, v in json.loads(meta).items()
                                                            if k not in ("doc_name", "source", "sha256")}}
