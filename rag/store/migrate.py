"""Move a library between backends (embedded ⇄ team) through one file, without re-embedding.

The file is gzipped JSON lines: a header naming the embedding model, then one document a line with its
catalog row, its chunks, each with its keyword text and its stored vector (base64 float32), and (from version 2)
its statement facts, the figures the ingest read off its tables (rag/store/facts.py), so that a moved library
answers figure questions as the one it came from, without re-ingesting.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import StoreError
from rag.figures.facts import Fact
from rag.store.facts import COLUMNS, fact_from_row
from rag.store.stores import Stores

log = logging.getLogger(__name__)

FORMAT = "shiftbrief-library"
VERSION = 2  # 2 carries facts; a version 1 file (no facts) still imports
READS = (1, 2)
Progress = Callable[[int, int, str], None]


@dataclass
class MoveReport:
    """What an export or import moved, and what it left and why."""

    documents: int = 0
    chunks: int = 0
    facts: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"documents": self.documents, "chunks": self.chunks, "facts": self.facts, "skipped": self.skipped}


def export_library(stores: Stores, path: Path, on_progress: Progress | None = None) -> MoveReport:
    """Write every complete document of the library, with its vectors, to `path` (.jsonl.gz).

    Example:
        >>> export_library(open_stores(get_settings()), Path("library.jsonl.gz")).documents
    """
    report = MoveReport()
    docs = stores.keywords.list_documents()
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(json.dumps({"format": FORMAT, "version": VERSION, "embedder": stores.embedder.model_id}) + "\n")
        for i, listed in enumerate(docs):
            name = listed["doc_name"]
            if on_progress:
                on_progress(i, len(docs), name)
            if listed["status"] != "complete":
                report.skipped.append((name, f"status is {listed['status']!r}; ingest it again, then export"))
                continue
            row, chunks = stores.keywords.export_document(name)
            vectors = stores.vectors.get_vectors([c["chunk_id"] for c in chunks])
            absent = [c["chunk_id"] for c in chunks if c["chunk_id"] not in vectors]
            if absent:
                report.skipped.append((name, f"{len(absent)} chunks have no vector; ingest it again, then export"))
                continue
            for c in chunks:
                c["vector"] = base64.b64encode(vectors[c["chunk_id"]].astype("<f4").tobytes()).decode("ascii")
            item: dict[str, Any] = {"document": _plain(row), "chunks": chunks}
            if stores.facts is not None:
                item["facts"] = stores.facts.rows(name)
                report.facts += len(item["facts"])
            f.write(json.dumps(item, ensure_ascii=False) + "\n")
            report.documents += 1
            report.chunks += len(chunks)
    if on_progress:
        on_progress(len(docs), len(docs), "")
    return report


def import_library(path: Path, stores: Stores, on_progress: Progress | None = None) -> MoveReport:
    """Load a library file into these stores: vectors as stored, documents replacing any of the same name.

    Raises:
        StoreError: the file is not a library export, or its vectors come from another embedding model.
    """
    report = MoveReport()
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f, stores.writing() as claims:
            header = _header(f.readline(), path, stores.embedder.model_id)
            log.info("importing library file=%s embedder=%s", path, header["embedder"])
            stores.reconcile(claims)
            for i, line in enumerate(f):
                item = json.loads(line)
                row, chunks = item["document"], item["chunks"]
                name = row["doc_name"]
                if on_progress:
                    on_progress(i, i + 1, name)
                if not claims.take(name):
                    report.skipped.append((name, "another worker is writing it now; import again later"))
                    continue
                vectors = [np.frombuffer(base64.b64decode(c.pop("vector")), dtype="<f4") for c in chunks]
                key, facts = _facts(name, item.get("facts", []))
                _put(stores, row, chunks, vectors, key, facts)
                report.documents += 1
                report.chunks += len(chunks)
                report.facts += len(facts) if stores.facts is not None else 0
    except (OSError, EOFError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        # A damaged file stops here; documents already imported are complete (each lands in one transaction).
        raise StoreError(f"{path} is not a readable shiftbrief library export ({type(exc).__name__}); "
                         "write it again with `shiftbrief export`") from exc
    return report


def _facts(name: str, rows: list[dict[str, Any]]) -> tuple[str, list[Fact]]:
    """A document's facts from its export line, and the company key they are filed under."""
    facts = [fact_from_row(tuple(name if c == "doc_name" else r[c] for c in COLUMNS)) for r in rows]
    return (str(rows[0]["company_key"]) if rows else ""), facts


def _put(stores: Stores, row: dict[str, Any], chunks: list[dict[str, Any]], vectors: list[np.ndarray],
         company_key: str, facts: list[Fact]) -> None:
    """Write one document as ingest does: vectors first, then its facts, the catalog last and in one transaction
    (a document of the same name is replaced whole: its old facts go, even when the file carries none)."""
    name = row["doc_name"]
    if stores.keywords.get_document(name):
        stores.keywords.mark(name, "updating")
    stale = stores.vectors.ids_for_doc(name) - {c["chunk_id"] for c in chunks}
    if stale:
        stores.vectors.delete_ids(sorted(stale))
    stores.vectors.upsert_rows(chunks, vectors)
    if stores.facts is not None:
        stores.facts.replace(name, company_key, facts)
    stores.keywords.put_document({**row, "status": "complete"}, chunks)


def _header(line: str, path: Path, model_id: str) -> dict[str, Any]:
    try:
        header = json.loads(line)
    except json.JSONDecodeError:
        header = {}
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise StoreError(f"{path} is not a shiftbrief library export; make one with `shiftbrief export`")
    if header.get("version") not in READS:
        raise StoreError(f"{path} is a version {header.get('version')} export; this shiftbrief reads versions "
                         f"{', '.join(map(str, READS))}")
    if header["version"] < 2:
        log.warning("%s is a version %s export, without statement facts: figure questions on its documents are "
                    "answered by quoting until they are ingested again", path, header["version"])
    if header.get("embedder") != model_id:
        raise StoreError(f"{path} holds vectors of {header.get('embedder')!r}, but these stores embed with "
                         f"{model_id!r}; import with the same embedding settings, or re-ingest the files")
    return header


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "updated_at"}
