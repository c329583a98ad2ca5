"""Facts in the catalog: one row per figure read off a statement table, beside the document's chunks.

The table lives in the keyword index's SQLite file, so a data directory stays one catalog. The ingest writes a
document's facts before it marks the document complete (rag.ingestion.pipeline): a crash in between leaves the
document 'updating', and the next ingest replaces its facts again.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rag.errors import StoreError
from rag.figures.facts import Fact

if TYPE_CHECKING:
    from rag.store.catalog import Catalog

_SCHEMA = """
CREATE TABLE IF NOT EXISTS facts (
    doc_name TEXT NOT NULL,
    page INTEGER NOT NULL,
    chunk_id TEXT NOT NULL,
    statement TEXT NOT NULL,
    label TEXT NOT NULL,
    line_item TEXT,
    period TEXT NOT NULL,
    period_end TEXT NOT NULL,
    months INTEGER NOT NULL,
    value REAL NOT NULL,
    unit TEXT NOT NULL,
    scale REAL NOT NULL,
    printed TEXT NOT NULL,
    section TEXT NOT NULL,
    company TEXT NOT NULL,
    company_key TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS facts_doc ON facts(doc_name);
CREATE INDEX IF NOT EXISTS facts_item ON facts(line_item, company_key);
"""
COLUMNS = ("doc_name", "page", "chunk_id", "statement", "label", "line_item", "period", "period_end", "months",
            "value", "unit", "scale", "printed", "section", "company", "company_key", "source")


class FactTable(Protocol):
    """The facts of a library, whichever catalog holds them (`FactStore` here, `PostgresFactStore` on a team)."""

    def close(self) -> None: ...

    def replace(self, doc_name: str, company_key: str, facts: Iterable[Fact]) -> int: ...

    def delete(self, doc_name: str) -> None: ...

    def count(self, doc_name: str | None = None) -> int: ...

    def find(self, line_items: Sequence[str], doc_names: Sequence[str] | None = None,
             company_key: str | None = None) -> list[Fact]: ...

    def of_documents(self, doc_names: Sequence[str]) -> list[Fact]: ...

    def period_ends(self, doc_names: Sequence[str], months: int = 12) -> dict[str, dict[str, str]]: ...

    def rows(self, doc_name: str) -> list[dict[str, Any]]: ...


def open_facts(catalog: Catalog) -> FactTable:
    """The fact table beside a catalog: in its SQLite file, or in its PostgreSQL schema."""
    path = getattr(catalog, "path", None)
    if isinstance(path, Path):
        return FactStore(path)
    from rag.store.postgres import PostgresCatalog
    from rag.store.postgres_facts import PostgresFactStore

    if not isinstance(catalog, PostgresCatalog):
        raise StoreError(f"{catalog.where} has no fact table")
    return PostgresFactStore(catalog)


def fact_rows(doc_name: str, company_key: str, facts: Iterable[Fact]) -> list[tuple[Any, ...]]:
    """Facts as table rows, in `COLUMNS` order (the printed source cut to 500 characters)."""
    return [(doc_name, f.page, f.chunk, f.statement, f.label, f.line_item, f.period, f.period_end, f.months,
             f.value, f.unit, f.scale, f.printed, f.section, f.company, company_key, f.source[:500]) for f in facts]


class FactStore:
    """The `facts` table of one SQLite catalog; each document's facts are swapped in one transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._conn = sqlite3.connect(path, timeout=60, check_same_thread=False, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot open the facts table in {path}: {exc}; check the data directory") from exc
        self._lock = threading.RLock()

    def close(self) -> None:
        self._conn.close()

    def replace(self, doc_name: str, company_key: str, facts: Iterable[Fact]) -> int:
        """Swap in a document's facts (all of them, or none on error). Returns how many were stored."""
        rows = fact_rows(doc_name, company_key, facts)
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.execute("DELETE FROM facts WHERE doc_name = ?", (doc_name,))
                self._conn.executemany(f"INSERT INTO facts VALUES ({','.join('?' * len(COLUMNS))})", rows)
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._conn.execute("ROLLBACK")
                raise StoreError(f"Cannot write the facts of {doc_name}: {exc}; check the data directory") from exc
        return len(rows)

    def delete(self, doc_name: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM facts WHERE doc_name = ?", (doc_name,))

    def count(self, doc_name: str | None = None) -> int:
        with self._lock:
            if doc_name is None:
                return int(self._conn.execute("SELECT count(*) FROM facts").fetchone()[0])
            return int(self._conn.execute("SELECT count(*) FROM facts WHERE doc_name = ?", (doc_name,)).fetchone()[0])

    def find(self, line_items: Sequence[str], doc_names: Sequence[str] | None = None,
             company_key: str | None = None) -> list[Fact]:
        """The facts of these line items, in these documents and/or of this company."""
        if not line_items or (doc_names is not None and not doc_names):
            return []
        sql = f"SELECT {','.join(COLUMNS)} FROM facts WHERE line_item IN ({','.join('?' * len(line_items))})"
        args: list[object] = list(line_items)
        if doc_names is not None:
            sql += f" AND doc_name IN ({','.join('?' * len(doc_names))})"
            args += list(doc_names)
        if company_key:
            sql += " AND (',' || company_key || ',') LIKE ?"
            args.append(f"%,{company_key},%")
        sql += " ORDER BY doc_name, rowid"  # each document's facts as the ingest read them (PostgreSQL: seq)
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [fact_from_row(r) for r in rows]

    def of_documents(self, doc_names: Sequence[str]) -> list[Fact]:
        """Every statement-table fact of these documents, labelled with a line item or not (sentence facts left out)."""
        if not doc_names:
            return []
        sql = (f"SELECT {','.join(COLUMNS)} FROM facts WHERE statement != 'text' "
               f"AND doc_name IN ({','.join('?' * len(doc_names))}) ORDER BY doc_name, rowid")
        with self._lock:
            rows = self._conn.execute(sql, list(doc_names)).fetchall()
        return [fact_from_row(r) for r in rows]

    def rows(self, doc_name: str) -> list[dict[str, Any]]:
        """Every fact of a document as stored (by column name, company_key too), in the order the ingest read them:
        what an export carries (rag.store.migrate)."""
        with self._lock:
            rows = self._conn.execute(f"SELECT {','.join(COLUMNS)} FROM facts WHERE doc_name = ? ORDER BY rowid",
                                      (doc_name,)).fetchall()
        return [dict(zip(COLUMNS, r)) for r in rows]

    def period_ends(self, doc_names: Sequence[str], months: int = 12) -> dict[str, dict[str, str]]:
        """doc_name -> {period label ('FY2018', or 'Q2 2024' with months=3): the date it ends ('2018-12-31')}."""
        if not doc_names:
            return {}
        sql = (f"SELECT doc_name, period, period_end, count(*) FROM facts WHERE months = ? AND period_end != '' "
               f"AND doc_name IN ({','.join('?' * len(doc_names))}) GROUP BY 1, 2, 3 ORDER BY 4, 1, 2, 3")
        out: dict[str, dict[str, str]] = {}
        with self._lock:
            for doc, period, end, _ in self._conn.execute(sql, [months, *doc_names]):
                out.setdefault(doc, {})[period] = end  # the most printed end wins (ordered by count)
        return out


def fact_from_row(row: Any) -> Fact:
    (doc_name, page, chunk_id, statement, label, line_item, period, period_end, months, value, unit, scale, printed,
     section, company, _key, source) = row
    return Fact(doc_name=doc_name, page=page, statement=statement, label=label, line_item=line_item, period=period,
                value=value, unit=unit, scale=scale, printed=printed, period_end=period_end, months=months,
                section=section, company=company, source=source, chunk=chunk_id)
