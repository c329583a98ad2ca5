"""The team catalog: one library's documents, chunks and keyword index in PostgreSQL (psycopg 3).

Chunks are tokenised by shiftbrief's own analyser (the tokens SQLite's FTS5 index holds) and stored as a
tsvector with a GIN index, which finds the candidates; each chunk also keeps its term positions, and BM25
is computed from stored term statistics (document frequencies per document, chunk lengths) with FTS5's
formula and constants, so both backends rank alike. Writers claim documents with session advisory locks:
a claim dies with its connection, so a killed worker's claims are free at once.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
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
    tsv tsvector NOT NULL, pos jsonb NOT NULL, n_tokens integer NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks (doc_name, page, ord);
CREATE INDEX IF NOT EXISTS chunks_tsv ON chunks USING gin (tsv);
CREATE TABLE IF NOT EXISTS doc_terms (
    term text NOT NULL, doc_name text NOT NULL, df integer NOT NULL, PRIMARY KEY (term, doc_name));
CREATE INDEX IF NOT EXISTS doc_terms_doc ON doc_terms (doc_name);
-- How often a phrase occurs in a chunk: starts of its first word followed by the others, one apart.
CREATE OR REPLACE FUNCTION phrase_tf(pos jsonb, words text[]) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT count(*)::integer FROM jsonb_array_elements(pos -> words[1]) AS p(v)
  WHERE NOT EXISTS (SELECT 1 FROM generate_series(2, cardinality(words)) AS i
                    WHERE NOT coalesce((pos -> words[i]) @> to_jsonb((p.v)::integer + i - 1), false))
$$;
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
    """A chunk's tsvector literal, its term positions (1-based) and its length in tokens."""
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

    def __init__(self, url: str, library: str, model_id: str) -> None:
        info = conninfo_to_dict(url)
        self.url, self.schema = url, schema_name(library, model_id)
        self.where = (f"PostgreSQL at {info.get('host', 'localhost')}:{info.get('port', 5432)}/"
                      f"{info.get('dbname', '')} (library {library})")
        self._lock = threading.RLock()
        self._conn: psycopg.Connection | None = None
        self._owners: dict[str, _PgClaims] = {}  # documents claimed by writers in this process
        with self._using("create the catalog") as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (self.key("\x00schema"),))  # two nodes starting at once
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
            conn.execute(_SCHEMA.encode())
            conn.execute("INSERT INTO meta VALUES ('library', %s), ('model', %s) ON CONFLICT DO NOTHING",
                         (library, model_id))

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
    def _using(self, what: str) -> Iterator[psycopg.Connection]:
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
    def _writer(self, doc_name: str, what: str) -> Iterator[psycopg.Connection]:
        """The connection that holds this document's claim (so a lost claim fails the write), else the shared one."""
        owner = self._owners.get(doc_name)
        if owner is None:
            with self._using(what) as conn:
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
        with self._using("read the catalog") as conn:
            row = conn.cursor(row_factory=dict_row).execute(
                f"SELECT {_DOC_COLUMNS} FROM documents WHERE doc_name = %s", (doc_name,)).fetchone()
        return flat_document(row) if row else None

    def list_documents(self) -> list[dict[str, Any]]:
        with self._using("read the catalog") as conn:
            rows = conn.cursor(row_factory=dict_row).execute(
                f'SELECT {_DOC_COLUMNS} FROM documents ORDER BY doc_name COLLATE "C"').fetchall()
        return [flat_document(r) for r in rows]

    def mark(self, doc_name: str, status: str) -> None:
        with self._writer(doc_name, "mark a document") as conn:
            conn.execute("UPDATE documents SET status = %s WHERE doc_name = %s", (status, doc_name))

    def replace_document(self, doc: Document, chunks: Sequence[Chunk]) -> None:
        """Swap in a document's chunks and mark it complete, atomically; its claim is released once it lands."""
        self.put_document(document_row(doc, len(chunks)), chunk_rows(chunks))

    def put_document(self, row: dict[str, Any], chunks: Sequence[dict[str, Any]]) -> None:
        """Store a document from catalog rows, replacing any of the same name, in one transaction."""
        name = row["doc_name"]
        indexed = [_index_terms(ch["body"]) for ch in chunks]
        df = Counter(t for _, positions, _ in indexed for t in positions)
        n_tokens = sum(n for _, _, n in indexed)
        with self._writer(name, "store a document") as conn, conn.transaction():
            self._delete_rows(conn, name)
            with conn.cursor().copy("COPY chunks (chunk_id, doc_name, page, ord, text, metadata, body, tsv, pos, "
                                    "n_tokens) FROM STDIN") as copy:
                for ch, (tsv, positions, n) in zip(chunks, indexed):
                    copy.write_row((ch["chunk_id"], name, ch["page"], ch["ord"], ch["text"], Jsonb(ch["metadata"]),
                                    ch["body"], tsv, Jsonb(positions), n))
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
        with self._writer(doc_name, "delete a document") as conn, conn.transaction():
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
        with self._using("read the catalog") as conn:
            cur = conn.cursor(row_factory=dict_row)
            row = cur.execute(f"SELECT {_DOC_COLUMNS} FROM documents WHERE doc_name = %s", (doc_name,)).fetchone()
            if row is None:
                raise StoreError(f"No document named {doc_name!r} in {self.where}")
            chunks = cur.execute("SELECT chunk_id, doc_name, page, ord, text, metadata, body FROM chunks "
                                 "WHERE doc_name = %s ORDER BY page, ord", (doc_name,)).fetchall()
        return row, chunks

    # --- chunks -----------------------------------------------------------------------------
    def chunk_ids(self, doc_name: str | None = None) -> set[str]:
        with self._using("read the catalog") as conn:
            if doc_name is None:
                rows = conn.execute("SELECT chunk_id FROM chunks").fetchall()
            else:
                rows = conn.execute("SELECT chunk_id FROM chunks WHERE doc_name = %s", (doc_name,)).fetchall()
        return {r[0] for r in rows}

    def count_chunks(self) -> int:
        with self._using("read the catalog") as conn:
            return int(_one(conn.execute("SELECT count(*) FROM chunks")))

    def get_chunks(self, chunk_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not chunk_ids:
            return {}
        with self._using("read chunks") as conn:
            rows = conn.cursor(row_factory=dict_row).execute(
                "SELECT chunk_id, doc_name, page, ord, text, metadata FROM chunks WHERE chunk_id = ANY(%s)",
                (list(chunk_ids),)).fetchall()
        return {r["chunk_id"]: r for r in rows}

    def page_chunks(self, doc_name: str, page: int) -> list[dict[str, Any]]:
        with self._using("read chunks") as conn:
            return conn.cursor(row_factory=dict_row).execute(
                "SELECT chunk_id, doc_name, page, ord, text, metadata FROM chunks WHERE doc_name = %s AND page = %s "
                "ORDER BY ord", (doc_name, page)).fetchall()

    def search(self, terms: Iterable[str], n: int, doc_names: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """BM25 over the chunks as (chunk_id, score), best first: FTS5's formula over the same tokens."""
        phrases = [p for p in (analyse_phrase(words) for words in query_phrases(terms))
                   if p and all(_lexeme(w) for w in p)]
        if not phrases or (doc_names is not None and not doc_names):
            return []
        with self._using("search keywords") as conn:
            n_rows, total = _one(conn.execute(
                "SELECT coalesce(sum(n_chunks), 0), coalesce(sum(n_tokens), 0) FROM documents"), columns=2)
            if not n_rows:
                return []
            hits = self._hits(conn, phrases)
            scored = [(p, _idf(int(n_rows), hits[" ".join(p)])) for p in phrases if hits[" ".join(p)]]
            if not scored:
                return []
            query, params = _bm25_query(scored, float(total) / float(n_rows), doc_names, n)
            return [(r[0], float(r[1])) for r in conn.execute(query, params)]

    @staticmethod
    def _hits(conn: psycopg.Connection, phrases: list[list[str]]) -> Counter[str]:
        """How many chunks hold each phrase: per-document counts for words, a GIN count for longer phrases."""
        words = sorted({p[0] for p in phrases if len(p) == 1})
        hits: Counter[str] = Counter()
        for term, count in conn.execute("SELECT term, sum(df) FROM doc_terms WHERE term = ANY(%s) GROUP BY term",
                                        (words,)):
            hits[term] = int(count)
        for p in phrases:
            if len(p) > 1 and " ".join(p) not in hits:
                hits[" ".join(p)] = int(_one(conn.execute("SELECT count(*) FROM chunks WHERE tsv @@ %s::tsquery",
                                                          (_tsquery(p),))))
        return hits


def _one(cur: psycopg.Cursor[Any], columns: int = 1) -> Any:
    """The single row of an aggregate query: its value, or its tuple when it has several columns."""
    row = cur.fetchone()
    if row is None:
        raise StoreError("PostgreSQL returned no row for an aggregate query")
    return row[0] if columns == 1 else row


def _bm25_query(scored: list[tuple[list[str], float]], avgdl: float, doc_names: Sequence[str] | None,
                n: int) -> tuple[sql.Composed, list[Any]]:
    """The SQL ranking the chunks that match any phrase by the sum of each phrase's BM25 term."""
    tfs: list[sql.SQL] = []
    params: list[Any] = []
    for words, _ in scored:
        if len(words) == 1:
            tfs.append(sql.SQL("coalesce(jsonb_array_length(c.pos -> %s), 0)"))
            params.append(words[0])
        else:
            tfs.append(sql.SQL("CASE WHEN c.tsv @@ %s::tsquery THEN phrase_tf(c.pos, %s::text[]) ELSE 0 END"))
            params += [_tsquery(words), list(words)]
    terms = sql.SQL(" + ").join(
        sql.SQL("{idf} * f.t{i} * {k} / (f.t{i} + f.norm)").format(
            idf=sql.Literal(idf), i=sql.SQL(str(i)), k=sql.Literal(K1 + 1))
        for i, (_, idf) in enumerate(scored))
    tf_columns = sql.SQL(", ").join(sql.SQL("{} AS t{}").format(tf, sql.SQL(str(i))) for i, tf in enumerate(tfs))
    where: sql.Composable = sql.SQL("c.tsv @@ %s::tsquery")
    params += [K1, B, B, avgdl, " | ".join(f"({_tsquery(w)})" for w, _ in scored)]
    if doc_names is not None:
        where = sql.SQL("{} AND c.doc_name = ANY(%s)").format(where)
        params.append(list(doc_names))
    params.append(n)
    query = sql.SQL(
        "SELECT c.chunk_id, {terms} AS score FROM chunks c, "
        "LATERAL (SELECT {tfs}, %s * (1 - %s + %s * c.n_tokens / %s) AS norm) f "
        "WHERE {where} ORDER BY score DESC, c.chunk_id LIMIT %s"
    ).format(terms=terms, tfs=tf_columns, where=where)
    return query, params


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
