"""A team catalog's facts: the statement-table figures of each document, in its PostgreSQL schema.

The same table and queries as the SQLite `FactStore` (rag/store/facts.py), with one difference that matters to a
team: a fact counts only while its document's catalog row says the document is complete (or stale: its rows are
whole, its vectors to be re-embedded). The ingest writes a document's facts, under its claim, before the catalog
marks it complete; a reader on another server in between, or after a crash in between, sees none of them rather
than figures of a document that is not there yet, or of the version being replaced.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rag.figures.facts import Fact
from rag.store.facts import COLUMNS, fact_from_row, fact_rows
from rag.store.postgres import PostgresCatalog

_SCHEMA = """
CREATE TABLE IF NOT EXISTS facts (
    doc_name text NOT NULL, seq integer NOT NULL, page integer NOT NULL, chunk_id text NOT NULL,
    statement text NOT NULL, label text NOT NULL, line_item text, period text NOT NULL, period_end text NOT NULL,
    months integer NOT NULL, value double precision NOT NULL, unit text NOT NULL, scale double precision NOT NULL,
    printed text NOT NULL, section text NOT NULL, company text NOT NULL, company_key text NOT NULL,
    source text NOT NULL, PRIMARY KEY (doc_name, seq));
CREATE INDEX IF NOT EXISTS facts_item ON facts (line_item, company_key);
"""
_SELECT = f"SELECT {', '.join('f.' + c for c in COLUMNS)} FROM facts f JOIN documents d ON d.doc_name = f.doc_name"
_USABLE = "d.status IN ('complete', 'stale')"  # not 'updating' (being replaced) nor 'deleting'
_ORDER = 'ORDER BY f.doc_name COLLATE "C", f.seq'  # as SQLite's (doc_name, rowid): ties are picked alike


class PostgresFactStore:
    """The `facts` table of one team catalog; writes go through the connection that holds the document's claim."""

    def __init__(self, catalog: PostgresCatalog) -> None:
        self.catalog = catalog
        with catalog.using("create the facts table") as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (catalog.key("\x00schema"),))  # nodes starting at once
            conn.execute(_SCHEMA.encode())

    def close(self) -> None:
        """Nothing of its own to close: it uses the catalog's connections."""

    def replace(self, doc_name: str, company_key: str, facts: Iterable[Fact]) -> int:
        """Swap in a document's facts (all of them, or none on error). Returns how many were stored."""
        rows = fact_rows(doc_name, company_key, facts)
        with self.catalog.writer(doc_name, "store a document's facts") as conn, conn.transaction():
            conn.execute("DELETE FROM facts WHERE doc_name = %s", (doc_name,))
            with conn.cursor().copy(f"COPY facts (seq, {', '.join(COLUMNS)}) FROM STDIN".encode()) as copy:
                for seq, row in enumerate(rows):
                    copy.write_row((seq, *row))
        return len(rows)

    def delete(self, doc_name: str) -> None:
        with self.catalog.writer(doc_name, "delete a document's facts") as conn:
            conn.execute("DELETE FROM facts WHERE doc_name = %s", (doc_name,))

    def count(self, doc_name: str | None = None) -> int:
        """Rows stored (of every document, complete or not): what a delete must leave at zero."""
        with self.catalog.using("count facts") as conn:
            if doc_name is None:
                row = conn.execute("SELECT count(*) FROM facts").fetchone()
            else:
                row = conn.execute("SELECT count(*) FROM facts WHERE doc_name = %s", (doc_name,)).fetchone()
        return int(row[0]) if row else 0

    def find(self, line_items: Sequence[str], doc_names: Sequence[str] | None = None,
             company_key: str | None = None) -> list[Fact]:
        """The facts of these line items, in these documents and/or of this company."""
        if not line_items or (doc_names is not None and not doc_names):
            return []
        query = f"{_SELECT} WHERE {_USABLE} AND f.line_item = ANY(%s)"
        args: list[Any] = [list(line_items)]
        if doc_names is not None:
            query += " AND f.doc_name = ANY(%s)"
            args.append(list(doc_names))
        if company_key:
            query += " AND (',' || f.company_key || ',') ILIKE %s"  # SQLite's LIKE ignores case too
            args.append(f"%,{company_key},%")
        return self._facts(f"{query} {_ORDER}", args)

    def of_documents(self, doc_names: Sequence[str]) -> list[Fact]:
        """Every statement-table fact of these documents, labelled with a line item or not (sentence facts left out)."""
        if not doc_names:
            return []
        return self._facts(f"{_SELECT} WHERE {_USABLE} AND f.statement != 'text' AND f.doc_name = ANY(%s) {_ORDER}",
                           [list(doc_names)])

    def period_ends(self, doc_names: Sequence[str], months: int = 12) -> dict[str, dict[str, str]]:
        """doc_name -> {period label ('FY2018', or 'Q2 2024' with months=3): the date it ends ('2018-12-31')}."""
        if not doc_names:
            return {}
        query = ("SELECT f.doc_name, f.period, f.period_end, count(*) FROM facts f JOIN documents d "
                 f"ON d.doc_name = f.doc_name WHERE {_USABLE} AND f.months = %s AND f.period_end != '' "
                 'AND f.doc_name = ANY(%s) GROUP BY 1, 2, 3 '
                 'ORDER BY 4, f.doc_name COLLATE "C", f.period COLLATE "C", f.period_end COLLATE "C"')
        out: dict[str, dict[str, str]] = {}
        with self.catalog.using("read facts") as conn:
            for doc, period, end, _ in conn.execute(query.encode(), (months, list(doc_names))):
                out.setdefault(doc, {})[period] = end  # the most printed end wins (ordered by count)
        return out

    def rows(self, doc_name: str) -> list[dict[str, Any]]:
        """Every fact of a document as stored (by column name, company_key too), in the order the ingest read them:
        what an export carries (rag.store.migrate)."""
        with self.catalog.using("read facts") as conn:
            rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM facts WHERE doc_name = %s ORDER BY seq".encode(),
                                (doc_name,)).fetchall()
        return [dict(zip(COLUMNS, r)) for r in rows]

    def _facts(self, query: str, args: list[Any]) -> list[Fact]:
        with self.catalog.using("read facts") as conn:
            rows = conn.execute(query.encode(), args).fetchall()
        return [fact_from_row(r) for r in rows]
