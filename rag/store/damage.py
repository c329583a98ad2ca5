"""Telling a damaged SQLite file from a busy or unwritable one, and saying how to recover."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from rag.errors import CorruptStoreError

_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB (primary codes; extended ones share the low byte)

F = TypeVar("F", bound=Callable[..., Any])


def is_corrupt(exc: BaseException) -> bool:
    """Does this sqlite3 error say the file is damaged (not locked, full or unwritable)?"""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _CORRUPT_CODES
    return any(s in str(exc) for s in ("malformed", "not a database"))


def damaged(path: Path) -> str | None:
    """What is wrong with a SQLite file, read-only (`PRAGMA quick_check`); None when it is sound or absent."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            rows = conn.execute("PRAGMA quick_check(3)").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return str(exc) if is_corrupt(exc) else None
    found = [str(r[0]) for r in rows]
    return None if found == ["ok"] else "; ".join(found)[:200]


def catalog_damaged(path: Path, detail: object) -> CorruptStoreError:
    """The error for a damaged catalog file: it holds documents, chunks and facts, so the fix is to re-ingest."""
    return CorruptStoreError(
        f"The catalog {path} is damaged ({detail}); it cannot be repaired in place: delete it (with "
        f"{path.name}-wal and {path.name}-shm beside it) and re-ingest your documents (`shiftbrief ingest FOLDER`)")


@contextmanager
def reporting_damage(path: Path) -> Iterator[None]:
    """Raise `catalog_damaged` for a sqlite3 error that says the catalog file is damaged."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        if is_corrupt(exc):
            raise catalog_damaged(path, exc) from exc
        raise


def checked(method: F) -> F:
    """A catalog method whose damaged-file errors name the file (the object's `path`) and the fix."""

    @wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        with reporting_damage(self.path):
            return method(self, *args, **kwargs)

    return call  # type: ignore[return-value]
