"""The team catalog: one library's documents, chunks and keyword index in PostgreSQL (psycopg 3).

Chunks are tokenised by shiftbrief's own analyser (the tokens SQLite's FTS5 index holds) and stored as a
tsvector (with positions) under a GIN index, which finds the candidates. BM25 is computed with FTS5's
formula and constants from stored term statistics (chunks per document holding each term, chunk lengths)
and each candidate's positions of the query's terms, so both backends rank alike. Writers claim documents with session advisory locks:
a claim dies with its connection, so a killed worker's claims are free at once.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from rag.errors import StoreError
from rag.schema import Chunk, Document
from rag.store.analyser import analyse_phrase, index_tokens, query_phrases
from rag.store.catalog import Claims, chunk_rows, document_row, flat_document

log = logging.getLogger(__name__)

K1, B = 1.2, 0.75  # FTS5's bm25() constants
_MAX_POSITION, _MAX_POSITIONS, _MAX_LEXEME = 16383, 256, 2046  # tsvector limits

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_name text PRIMARY KEY, source text NOT NULL, sha256 text NOT NULL, status text NOT NULL,
    n_pages integer NOT NULL, n_chunks integer NOT NULL, n_tokens bigint NOT NULL,
    metadata jsonb NOT NULL, updated_at double precision NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id text PRIMARY KEY, doc_name text NOT NULL, page integer NOT NULL, ord integer NOT NULL,
    text text NOT NULL, metadata jsonb NOT NULL, body text NOT NULL,
    tsv tsvector NOT NULL, n_tokens integer NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks (doc_name, page, ord);
CREATE INDEX IF NOT EXISTS chunks_tsv ON chunks USING gin (tsv);
CREATE TABLE IF NOT EXISTS doc_terms (
    term text NOT NULL, doc_name text NOT NULL, df integer NOT NULL, PRIMARY KEY (term, doc_name));
CREATE INDEX IF NOT EXISTS doc_terms_doc ON doc_terms (doc_name);
"""

_DOC_COLUMNS = "doc_name, source, sha256, status, n_pages, n_chunks, metadata, updated_at"


def schema_name(library: str, model_id: str) -> str:
    """The PostgreSQL schema of a library's catalog for one embedding model (63 characters at most)."""
    raw = f"{library}_{model_id}".lower()
    return "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in raw)[:63]


def _lexeme(token: str) -> str | None:
    # The analyser's tokens are letters and digits only, so quoting cannot be broken out of.
    return f"'{token}'" if len(token.encode("utf-8")) <= _MAX_LEXEME else None


def _index_terms(body: str) -> tuple[str, dict[str, list[int]], int]:
    """A chunk's tsvector literal, its terms' positions (1-based) and its length in tokens.

    A chunk is a few hundred tokens, well inside the tsvector's 16383 positions and 256 per term, so the
    stored positions give exact term frequencies.
    """
    tokens = index_tokens(body)
    positions: dict[str, list[int]] = defaultdict(list)
    for i, token in enumerate(tokens, 1):
        positions[token].append(i)
    tsv = " ".join(f"{lex}:{','.join(str(min(p, _MAX_POSITION)) for p in ps[:_MAX_POSITIONS])}"
                   for t, ps in positions.items() if (lex := _lexeme(t)))
    return tsv, positions, len(tokens)


def _tsquery(words: Sequence[str]) -> str:
    return " <-> ".join(f"'{w}'" for w in words)


def _idf(n_rows: int, hits: int) -> float:
    """FTS5's BM25 idf: never zero or negative, so a term in most chunks still counts a little."""
    idf = math.log((n_rows - hits + 0.5) / (hits + 0.5))
    return idf if idf > 0 else 1e-6


class PostgresCatalog:
    """Documents, chunks and their BM25 index in one PostgreSQL schema, shared by a team's servers and workers."""

    shared = True
    library_id: str | None = None  # set from the catalog's meta table when it is opened

    def __init__(self, url: str, library: str, model_id: str) -> None:
        info = conninfo_to_dict(url)
        self.url, self.schema = url, schema_name(library, model_id)
        self.where = (f"PostgreSQL at {info.get('host', 'localhost')}:{info.get('port', 5432)}/"
                      f"{info.get('dbname', '')} (library {library})")
        self._lock = threading.RLock()
        self._conn: psycopg.Connection | None = None
        self._owners: dict[str, _PgClaims] = {}  # documents claimed by writers in this process
        with self.using("create the catalog") as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (self.key("\x00schema"),))  # two nodes starting at once
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
            conn.execute(_SCHEMA.encode())
            conn.execute("INSERT INTO meta VALUES ('library', %s), ('model', %s), ('library_id', %s) "
                         "ON CONFLICT DO NOTHING", (library, model_id, uuid.uuid4().hex))
            self.library_id = str(_one(conn.execute("SELECT value FROM meta WHERE key = 'library_id'")))

    # --- connections ------------------------------------------------------------------------
    def connect(self) -> psycopg.Connection:
        """A new autocommit connection with this library's schema first on the search path."""
        try:
            # Keepalives: a dead server (or, server side, a dead client and its claims) is noticed in about a minute.
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10, keepalives=1, keepalives_idle=30,
                                   keepalives_interval=10, keepalives_count=3)
        except psycopg.Error as exc:
            raise StoreError(self._unreachable(exc)) from exc
        conn.execute(sql.SQL("SET search_path TO {}, public").format(sql.Identifier(self.schema)))
        return conn

    def _unreachable(self, exc: BaseException) -> str:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (f"Cannot reach {self.where}: {reason}; start PostgreSQL or fix SHIFTBRIEF_DATABASE_URL "
                "(unset it to use the embedded SQLite catalog)")

    @contextmanager
    def using(self, what: str) -> Iterator[psycopg.Connection]:
        """The shared connection, reconnected if the server went away; errors become StoreError."""
        with self._lock:
            if self._conn is None or self._conn.closed or self._conn.broken:
                self._conn = self.connect()
            try:
                yield self._conn
            except psycopg.OperationalError as exc:
                self._conn.close()  # the next call reconnects: the same process recovers when the server is back
                raise StoreError(self._unreachable(exc)) from exc
            except psycopg.Error as exc:
                raise StoreError(f"{self.where} failed to {what}: {exc}") from exc

    @contextmanager
    def writer(self, doc_name: str, what: str) -> Iterator[psycopg.Connection]:
        """The connection that holds this document's claim (so a lost claim fails the write), else the shared one."""
        owner = self._owners.get(doc_name)
        if owner is None:
            with self.using(what) as conn:
                yield conn
            return
        with owner.connection(what) as conn:
            yield conn

    def key(self, doc_name: str) -> int:
        """The advisory-lock key of a document of this library (64 bits of a hash)."""
        digest = hashlib.blake2b(f"{self.schema}\x1f{doc_name}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big", signed=True)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()

    @contextmanager
    def writing(self, wait: float = 0) -> Iterator[Claims]:
        """Claims on their own connection, all released when the ingest or delete ends (or its process dies)."""
        claims = _PgClaims(self)
        try:
            yield claims
        finally:
            claims.close()

    # --- documents --------------------------------------------------------------------------
    def get_document(self, doc_name: str) -> dict[str, Any] | None:
        with self.using("read the catalog") as conn:
            row = conn.cursor(row_factory=dict_row).execute(
                f"SELECT {_DOC_COLUMNS} FROM documents WHERE doc_name = %s", (doc_name,)).fetchone()
        return flat_document(row) if row else None

    def list_documents(self) -> list[dict[str, Any]]:
        with self.using("read the catalog") as conn:
            rows = conn.cursor(row_factory=dict_row).execute(
                f'SELECT {_DOC_COLUMNS} FROM documents ORDER BY doc_name COLLATE "C"').fetchall()
        return [flat_document(r) for r in rows]

    def mark(self, doc_name: str, status: str) -> None:
        with self.writer(doc_name, "mark a document") as conn:
            conn.execute("UPDATE documents SET status = %s WHERE doc_name = %s", (status, doc_name))

    def update_metadata(self, doc_name: str, fields: dict[str, Any], chunk_fields: dict[str, Any]) -> None:
        """Change some metadata of a document and of its chunks in place, in one transaction (no re-indexing)."""
        with self.writer(doc_name, "correct a document's metadata") as conn:
            conn.execute("UPDATE documents SET metadata = metadata || %s, updated_at = %s WHERE doc_name = %s",
                         (Jsonb(fields), time.time(), doc_name))
            conn.execute("UPDATE chunks SET metadata = metadata || %s WHERE doc_name = %s", (Jsonb(chunk_fields), doc_name))

    def replace_document(self, doc: Document, chunks: Sequence[Chunk]) -> None:
        """Swap in a document's chunks and mark it complete, atomically; its claim is released once it lands."""
        self.put_document(document_row(doc, len(chunks)), chunk_rows(chunks))

    def put_document(self, row: dict[str, Any], chunks: Sequence[dict[str, Any]]) -> None:
        """Store a document from catalog rows, replacing any of the same name, in one transaction."""
        name = row["doc_name"]
        indexed = [_index_terms(ch["body"]) for ch in chunks]
        df = Counter(t for _, positions, _ in indexed for t in positions)
        n_tokens = sum(n for _, _, n in indexed)
        with self.writer(name, "store a document") as conn, conn.transaction():
            self._delete_rows(conn, name)
            with conn.cursor().copy("COPY chunks (chunk_id, doc_name, page, ord, text, metadata, body, tsv, "
                                    "n_tokens) FROM STDIN") as copy:
                for ch, (tsv, _, n) in zip(chunks, indexed):
                    copy.write_row((ch["chunk_id"], name, ch["page"], ch["ord"], ch["text"], Jsonb(ch["metadata"]),
                                    ch["body"], tsv, n))
            terms = sorted(df)
            conn.execute("INSERT INTO doc_terms (term, doc_name, df) "
                         "SELECT unnest(%s::text[]), %s, unnest(%s::integer[])", (terms, name, [df[t] for t in terms]))
            conn.execute(
                "INSERT INTO documents (doc_name, source, sha256, status, n_pages, n_chunks, n_tokens, metadata, "
                "updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (name, row["source"], row["sha256"], row["status"], row["n_pages"], len(chunks), n_tokens,
                 Jsonb(row["metadata"]), time.time()))
        self._landed(name)

    def delete_document(self, doc_name: str) -> None:
        with self.writer(doc_name, "delete a document") as conn, conn.transaction():
            self._delete_rows(conn, doc_name)
        self._landed(doc_name)

    @staticmethod
    def _delete_rows(conn: psycopg.Connection, doc_name: str) -> None:
        for table in ("chunks", "doc_terms", "documents"):
            conn.execute(sql.SQL("DELETE FROM {} WHERE doc_name = %s").format(sql.Identifier(table)), (doc_name,))

    def _landed(self, doc_name: str) -> None:
        # The document is written: free its claim now rather than at the end of a long ingest.
        owner = self._owners.get(doc_name)
        if owner is not None:
            owner.release(doc_name)

    def export_document(self, doc_name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        with self.using("read the catalog") as conn:
            cur = conn.cursor(row_factory=dict_row)
            row = cur.execute(f"SELECT {_DOC_COLUMNS} FROM documents WHERE doc_name = %s", (doc_name,)).fetchone()
            if row is None:
                raise StoreError(f"No document named {doc_name!r} in {self.where}")
            chunks = cur.execute("SELECT chunk_id, doc_name, page, ord, text, metadata, body FROM chunks "
                                 "WHERE doc_name = %s ORDER BY page, ord", (doc_name,)).fetchall()
        return row, chunks

    # --- chunks -----------------------------------------------------------------------------
    def chunk_ids(self, doc_name: str | None = None) -> set[str]:
        with self.using("read the catalog") as conn:
            if doc_name is None:
                rows = conn.execute("SELECT chunk_id FROM chunks").fetchall()
            else:
                rows = conn.execute("SELECT chunk_id FROM chunks WHERE doc_name = %s", (doc_name,)).fetchall()
        return {r[0] for r in rows}

    def count_chunks(self) -> int:
        with self.using("read the catalog") as conn:
            return int(_one(conn.execute("SELECT count(*) FROM chunks")))

    def get_chunks(self, chunk_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not chunk_ids:
            return {}
        with self.using("read chunks") as conn:
            rows = conn.cursor(row_factory=dict_row).execute(
                "SELECT chunk_id, doc_name, page, ord, text, metadata FROM chunks WHERE chunk_id = ANY(%s)",
                (list(chunk_ids),)).fetchall()
        return {r["chunk_id"]: r for r in rows}

    def page_chunks(self, doc_name: str, page: int) -> list[dict[str, Any]]:
        with self.using("read chunks") as conn:
            return conn.cursor(row_factory=dict_row).execute(
                "SELECT chunk_id, doc_name, page, ord, text, metadata FROM chunks WHERE doc_name = %s AND page = %s "
                "ORDER BY ord", (doc_name, page)).fetchall()

    def search(self, terms: Iterable[str], n: int, doc_names: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """BM25 over the chunks as (chunk_id, score), best first: FTS5's formula over the same tokens."""
        phrases = [p for p in (analyse_phrase(words) for words in query_phrases(terms))
                   if p and all(_lexeme(w) for w in p)]
        if not phrases or (doc_names is not None and not doc_names):
            return []
        lexemes = sorted({w for p in phrases for w in p})
        where: sql.Composable = sql.SQL("c.tsv @@ %s::tsquery")
        params: list[Any] = [lexemes, " | ".join(f"({_tsquery(p)})" for p in phrases)]
        if doc_names is not None:
            where = sql.SQL("{} AND c.doc_name = ANY(%s)").format(where)
            params.append(list(doc_names))
        # Each candidate's positions of the query's lexemes only: its tsvector cut down in C, not unnested.
        query = sql.SQL("SELECT c.chunk_id, c.n_tokens, ts_filter(setweight(c.tsv, 'A', %s::text[]), '{{a}}')::text "
                        "FROM chunks c WHERE {}").format(where)
        with self.using("search keywords") as conn:
            n_rows, total = _one(conn.execute(
                "SELECT coalesce(sum(n_chunks), 0), coalesce(sum(n_tokens), 0) FROM documents"), columns=2)
            rows = [(cid, dl, [_tf(p, positions) for p in phrases])
                    for cid, dl, text in conn.execute(query, params) for positions in [_positions(text)]]
            hits = _hits(conn, phrases, rows, whole=doc_names is None)
        return bm25(phrases, rows, hits, int(n_rows), float(total), n)


Candidate = tuple[str, int, list[int]]  # chunk id, its length in tokens, each phrase's frequency in it


def _positions(tsv_text: str) -> dict[str, list[int]]:
    """Positions per lexeme from the text of a tsvector whose positions all carry weight A ('capit':3A,15A)."""
    out = {}
    for entry in tsv_text.split(" ") if tsv_text else ():
        lexeme, _, positions = entry.rpartition(":")
        out[lexeme[1:-1]] = [int(p[:-1]) for p in positions.split(",")]
    return out


def _tf(words: Sequence[str], positions: dict[str, list[int]]) -> int:
    """How often a phrase occurs: positions of its first word followed by the others, one apart."""
    first = positions.get(words[0])
    if not first or len(words) == 1:
        return len(first or ())
    starts = set(first)
    for i, word in enumerate(words[1:], 1):
        starts &= {p - i for p in positions.get(word, ())}
        if not starts:
            return 0
    return len(starts)


def _hits(conn: psycopg.Connection, phrases: list[list[str]], rows: list[Candidate], whole: bool) -> list[int]:
    """How many chunks of the whole library hold each phrase.

    Unfiltered, the candidates are every chunk holding any phrase, so they are counted directly; filtered to
    some documents, words are counted from the per-document statistics and longer phrases with the GIN index.
    """
    if whole:
        return [sum(1 for _, _, tfs in rows if tfs[i]) for i in range(len(phrases))]
    words = sorted({p[0] for p in phrases if len(p) == 1})
    counts = {term: int(count) for term, count in conn.execute(
        "SELECT term, sum(df) FROM doc_terms WHERE term = ANY(%s) GROUP BY term", (words,))}
    for p in phrases:
        if len(p) > 1 and " ".join(p) not in counts:
            counts[" ".join(p)] = int(_one(conn.execute("SELECT count(*) FROM chunks WHERE tsv @@ %s::tsquery",
                                                        (_tsquery(p),))))
    return [counts.get(" ".join(p), 0) for p in phrases]


def bm25(phrases: list[list[str]], rows: list[Candidate], hits: list[int], n_rows: int, total_tokens: float,
         n: int) -> list[tuple[str, float]]:
    """FTS5's bm25(): the sum over phrases of idf × tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen)), best first."""
    if not n_rows or not rows:
        return []
    avgdl = total_tokens / n_rows
    idfs = [_idf(n_rows, h) for h in hits]
    scored = []
    for chunk_id, dl, tfs in rows:
        norm = K1 * (1 - B + B * dl / avgdl)
        scored.append((chunk_id, sum(idf * tf * (K1 + 1) / (tf + norm) for idf, tf in zip(idfs, tfs) if tf)))
    scored.sort(key=lambda r: (-r[1], r[0]))
    return scored[:n]


def _one(cur: psycopg.Cursor[Any], columns: int = 1) -> Any:
    """The single row of an aggregate query: its value, or its tuple when it has several columns."""
    row = cur.fetchone()
    if row is None:
        raise StoreError("PostgreSQL returned no row for an aggregate query")
    return row[0] if columns == 1 else row


class _PgClaims:
    """Per-document claims of one ingest or delete: session advisory locks on a connection of their own."""

    def __init__(self, catalog: PostgresCatalog) -> None:
        self._catalog = catalog
        self._conn = catalog.connect()
        self._lock = threading.RLock()
        self._held: set[str] = set()

    @contextmanager
    def connection(self, what: str) -> Iterator[psycopg.Connection]:
        """This claim's connection: writes through it fail, rather than reconnect, if the claims were lost."""
        with self._lock:
            try:
                yield self._conn
            except psycopg.OperationalError as exc:
                raise StoreError(self._catalog._unreachable(exc) + "; this ingest's claims were released, "
                                 "run it again") from exc
            except psycopg.Error as exc:
                raise StoreError(f"{self._catalog.where} failed to {what}: {exc}") from exc

    def take(self, doc_name: str, wait: float = 0) -> bool:
        deadline = time.monotonic() + wait
        with self.connection("claim a document") as conn:
            while doc_name not in self._held:
                if _one(conn.execute("SELECT pg_try_advisory_lock(%s)", (self._catalog.key(doc_name),))):
                    self._held.add(doc_name)
                    self._catalog._owners[doc_name] = self
                elif time.monotonic() >= deadline:
                    return False
                else:
                    time.sleep(0.2)
        return True

    def release(self, doc_name: str) -> None:
        with self.connection("release a claim") as conn:
            if doc_name in self._held:
                self._held.discard(doc_name)
                self._catalog._owners.pop(doc_name, None)
                conn.execute("SELECT pg_advisory_unlock(%s)", (self._catalog.key(doc_name),))

    def close(self) -> None:
        with self._lock:
            for doc_name in self._held:
                self._catalog._owners.pop(doc_name, None)
            self._held.clear()
            self._conn.close()  # the server drops every advisory lock of the session
