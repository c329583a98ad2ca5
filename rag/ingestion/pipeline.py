"""Ingestion: files → pages → chunks → vectors and keywords, incremental and crash-safe."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock

from rag.config import Settings
from rag.errors import DocumentNotFoundError, IngestLockedError, LoaderError, ShiftbriefError
from rag.figures.doc_facts import attach_chunks, document_facts
from rag.ingestion.chunking import chunk_pages
from rag.ingestion.files import TextLimits, find_files
from rag.ingestion.loaders import load_document
from rag.ingestion.names import DocNames
from rag.ingestion.overrides import stored_overrides
from rag.ingestion.page_sections import classify_pages
from rag.query.companies import company_key
from rag.schema import Chunk, Document
from rag.store.catalog import Claims
from rag.store.embeddings import embed_with_cache
from rag.store.stores import Stores

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
# Bump when loading, chunking or metadata change: documents indexed by another version are re-processed
# (their unchanged text still comes from the embedding cache). 7: line-item labels of facts (equity) and PDF titles
# naming another form than the cover.
PIPELINE_VERSION = "7"


@dataclass
class IngestReport:
    """What an ingest did: counts, what it skipped or failed and why, and where the time went."""

    files: int = 0
    ingested: int = 0
    unchanged: int = 0
    elsewhere: int = 0  # being ingested by another worker of a team library at the same time
    pages: int = 0
    chunks: int = 0
    embedded: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=lambda: {"parse": 0.0, "embed": 0.0, "index": 0.0, "total": 0.0})

    @property
    def ok(self) -> bool:
        """False only when there was something to ingest and none of it could be."""
        return not (self.failed and self.ingested == 0 and self.unchanged == 0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def ingest_lock(settings: Settings, timeout: float = 0) -> FileLock:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(settings.data_dir / "ingest.lock"), timeout=timeout)



def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def company_keys(meta: dict[str, str]) -> str:
    """Comma-separated canonical keys of the companies a document is about ("CleanSpark, MARA" → two)."""
    parts = [p.strip() for p in str(meta.get("company") or "").split(",") if p.strip()] or [""]
    keys = {company_key({**meta, "company": part}) for part in parts}
    return ",".join(sorted(k for k in keys if k))


def _prepare(path: Path, doc_name: str, overrides: dict[str, str], root: Path,
             settings: Settings) -> tuple[Document, list[Chunk]]:
    """Load, label and chunk one file (runs on the parse thread); `overrides` are its `shiftbrief tag`
    corrections, and its bytes must come from inside root."""
    doc = load_document(path, max_bytes=settings.max_file_mb * 1024 * 1024, doc_name=doc_name, overrides=overrides,
                        root=root, limits=TextLimits(settings.max_page_chars, settings.max_doc_chars))
    doc.company_key = company_keys(doc.metadata())
    for page, labels in zip(doc.pages, classify_pages([p.text for p in doc.pages])):
        page.section = ",".join(labels[:4])
    chunks = chunk_pages(doc, settings.chunk_tokens, settings.chunk_overlap)
    if not chunks:
        raise LoaderError(doc.source, f"{Path(doc.source).name}: no text to index")
    _compute_facts(doc, chunks)
    return doc, chunks


def _compute_facts(doc: Document, chunks: list[Chunk]) -> None:
    """Read the statement tables' figures (on the parse thread, so it overlaps embedding); kept in doc.extra."""
    facts = document_facts(doc)
    attach_chunks(facts, chunks)
    doc.extra["facts"] = facts


def _store_facts(doc: Document, stores: Stores) -> None:
    """Swap in a document's facts; written before the catalog marks the document complete."""
    facts = doc.extra.pop("facts", None)
    if stores.facts is not None and facts is not None:
        stores.facts.replace(doc.doc_name, doc.company_key, facts)



def ingest(
    paths: Iterable[str | Path],
    stores: Stores,
    *,
    prune: bool = False,
    on_progress: Progress | None = None,
    lock_wait: float = 0,
) -> IngestReport:
    """Ingest files and folders into the stores; unchanged files cost only a hash.

    A document is named by its file's stem. Files with the same stem in different folders
    are all kept: the later one is named `stem-<6 hex>` (see `DocNames`), and each path keeps
    its name on every later ingest, so a changed file replaces only its own chunks.

    Args:
        paths: files or folders (searched recursively) of PDF, HTML, TXT or Markdown.
        stores: from `open_stores(settings)`.
        prune: also delete indexed documents whose source file no longer exists.
        on_progress: called as (files done, files total, current file name).
        lock_wait: seconds to wait for another ingest on the same data directory.

    Returns:
        An IngestReport; one bad file is recorded in `failed` and never stops the rest.

    Raises:
        IngestLockedError: another ingest holds the data directory (embedded library; a team's
            workers share the work instead, each document claimed by one of them).

    Example:
        >>> report = ingest(["corpus/"], open_stores(get_settings()))
        >>> report.chunks > 0
        True
    """
    report = IngestReport()
    started = time.perf_counter()
    paths = list(paths)
    with stores.writing(lock_wait) as claims:
        finish_deletes(stores, claims)
        stores.reconcile(claims)
        found, errors = find_files(paths)
        # Absolute before naming and storing: a relative source in the catalog would be read against whatever
        # folder a later ingest, prune or app runs from (a second spelling of the same folder re-processed it,
        # and a prune from elsewhere deleted it). Not realpath: a linked file keeps the path the user named.
        roots = {Path(os.path.abspath(f.path)): f.root for f in found}
        files = list(roots)
        report.skipped.extend((_shown(p), f"{e.reason}: {_shown(e)}") for p, e in errors if e.reason == "unsupported")
        report.failed.extend((_shown(p), _shown(e)) for p, e in errors if e.reason != "unsupported")
        report.files = len(files)
        todo = _plan(files, stores, report)
        _run(todo, roots, stores, claims, report, _Ticker(on_progress, len(files), len(files) - len(todo)))
        if prune:
            report.pruned = _prune(stores, claims, paths)
    report.timings["total"] = time.perf_counter() - started
    log.info("ingest done files=%s ingested=%s unchanged=%s chunks=%s embedded=%s failed=%s",
             report.files, report.ingested, report.unchanged, report.chunks, report.embedded, len(report.failed))
    return report


def _hash_file(path: Path, report: IngestReport) -> str | None:
    """The file's SHA-256, or None (recorded in the report) when its name or its bytes cannot be read."""
    if _undecodable(path.stem):
        report.failed.append((_shown(path), f"{_shown(path.name)}: the file name is not valid UTF-8; rename it"))
        return None
    if not path.is_file():  # a FIFO or device would block the read forever
        report.failed.append((_shown(path), f"{_shown(path.name)} is not a regular file; skip it"))
        return None
    try:
        return file_sha256(path)
    except OSError as exc:
        report.failed.append((str(path), f"{path.name}: cannot read the file ({exc.strerror}); check permissions"))
        return None


def _is_current(known: dict[str, Any] | None, path: Path, sha: str) -> bool:
    """Is this file, unchanged and from this same path, already fully indexed by this pipeline version?"""
    return bool(known and known["status"] == "complete" and known["sha256"] == sha
                and known.get("pipeline") == PIPELINE_VERSION
                and os.path.realpath(known["source"]) == os.path.realpath(path))


def _plan(files: list[Path], stores: Stores, report: IngestReport) -> list[tuple[Path, str, str]]:
    """The files that may need (re)processing as (path, document name, sha256); unchanged ones are only counted.

    Nothing is claimed here: each file is claimed just before it is parsed (`_claim`), so several workers given
    the same folder share it file by file instead of the first one claiming all of it while it plans.
    """
    names = DocNames(stores.keywords.list_documents())
    todo: list[tuple[Path, str, str]] = []
    for path in files:
        sha = _hash_file(path, report)
        if sha is None:
            continue
        name = names.name_for(path)
        if _is_current(stores.keywords.get_document(name), path, sha):
            report.unchanged += 1
        else:
            todo.append((path, name, sha))
    return todo


def _claim(path: Path, name: str, sha: str, stores: Stores, claims: Claims, report: IngestReport) -> dict[str, Any] | None:
    """Claim a file's document before it is read; its catalog row (or {}) if it is ours to (re)process, None when
    another worker holds it or has just finished it (counted in the report)."""
    claimed = claims.take(name)
    known = stores.keywords.get_document(name)  # read after the claim: a worker that just finished it counts
    if _is_current(known, path, sha):
        claims.release(name)
        report.unchanged += 1
        return None
    if not claimed:
        report.elsewhere += 1
        report.skipped.append((_shown(path), f"{_shown(path.name)}: another worker is ingesting it now"))
        return None
    return known or {}


class _Ticker:
    """Reports progress as (files done, files total, current file name)."""

    def __init__(self, on_progress: Progress | None, total: int, done: int) -> None:
        self.on_progress, self.total, self.done = on_progress, total, done
        if on_progress:
            on_progress(done, total, "")

    def __call__(self, name: str) -> None:
        self.done += 1
        if self.on_progress:
            self.on_progress(self.done, self.total, name)


def _run(todo: list[tuple[Path, str, str]], roots: dict[Path, Path], stores: Stores, claims: Claims,
         report: IngestReport, tick: _Ticker) -> None:
    """Claim, parse, embed and store the files; one bad file is recorded and the rest go on."""
    settings = stores.settings
    parallel = getattr(stores.embedder, "parallel", nullcontext)
    queue = iter(todo)
    # Three stages overlap: the next file is parsed and this one embedded (by the encoder's worker
    # processes when there are enough chunks) while the previous one is written to the stores.
    with (parallel(), ThreadPoolExecutor(1, thread_name_prefix="parse") as parser,
          ThreadPoolExecutor(1, thread_name_prefix="embed") as encoder):

        def next_parse() -> tuple[Path, Future] | None:
            """Claim the next file that is ours and start parsing it (one parsed file waits at most)."""
            for path, name, sha in queue:
                known = _claim(path, name, sha, stores, claims, report)
                if known is None:
                    tick(path.name)
                    continue
                return path, parser.submit(_timed, _prepare, path, name, stored_overrides(known), roots[path],
                                           settings)
            return None

        current = next_parse()
        writing: tuple[_Parsed, Future] | None = None
        while current is not None or writing is not None:
            upcoming = next_parse() if current is not None else None
            embedding = None
            if current is not None:
                embedding = _start_embedding(current[0], current[1], stores, encoder, report)
                if embedding is None:
                    tick(current[0].name)
            if writing is not None:
                _finish(*writing, stores, report)
                tick(writing[0].path.name)
            writing, current = embedding, upcoming


def _start_embedding(path: Path, parsed: Future, stores: Stores, encoder: ThreadPoolExecutor,
                     report: IngestReport) -> tuple[_Parsed, Future] | None:
    """Take a file's parse result and submit its chunks for embedding; None when it failed (recorded)."""
    try:
        (doc, chunks), seconds = parsed.result()
        report.timings["parse"] += seconds
        texts = [c.embed_text for c in chunks]
        vectors = encoder.submit(_timed, embed_with_cache, stores.embedder, stores.cache, texts)
        return _Parsed(path, doc, chunks), vectors
    except Exception as exc:
        _file_failed(report, path, exc)
        return None


def _undecodable(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _shown(path: object) -> str:
    """A path as printable text, even when its bytes are not UTF-8."""
    return str(path).encode("utf-8", "backslashreplace").decode("utf-8")


def _timed(fn, *args):
    t = time.perf_counter()
    return fn(*args), time.perf_counter() - t


@dataclass
class _Parsed:
    """A file loaded and chunked, waiting for its vectors."""

    path: Path
    doc: Document
    chunks: list[Chunk]


def _file_failed(report: IngestReport, path: Path, exc: Exception) -> None:
    """Record why one file failed; errors of the stores or the embedder stop the ingest instead."""
    if isinstance(exc, LoaderError):
        report.failed.append((str(path), str(exc)))
        log.warning("ingest failed file=%s reason=%s", path.name, exc.reason)
    elif isinstance(exc, ShiftbriefError):
        raise exc  # the stores or the embedder are down: not this file's fault, stop and say so
    else:  # one file that trips a parser bug must not stop the rest
        log.error("ingest failed file=%s", path.name, exc_info=exc)
        report.failed.append((str(path), f"{path.name}: could not be processed ({type(exc).__name__}); "
                                         "please report this file"))


def _finish(item: _Parsed, vectors_future: Future, stores: Stores, report: IngestReport) -> None:
    """Wait for a file's vectors, then store it."""
    try:
        result = vectors_future.result()
    except Exception as exc:
        _file_failed(report, item.path, exc)
        return
    _store(item, result, stores, report)


def _store(item: _Parsed, result: tuple[tuple[Any, int], float], stores: Stores, report: IngestReport) -> None:
    """Write a file's chunks and vectors (result: ((vectors, number embedded), embed seconds)) and count it."""
    (vectors, embedded), seconds = result
    report.timings["embed"] += seconds
    t = time.perf_counter()
    try:
        _write(item.doc, item.chunks, vectors, stores)
    except Exception as exc:
        _file_failed(report, item.path, exc)
        return
    finally:
        report.timings["index"] += time.perf_counter() - t
    report.ingested += 1
    report.pages += len(item.doc.pages)
    report.chunks += len(item.chunks)
    report.embedded += embedded


def _write(doc: Document, chunks: list[Chunk], vectors, stores: Stores) -> None:
    if stores.keywords.get_document(doc.doc_name):
        stores.keywords.mark(doc.doc_name, "updating")
    new_ids = {c.chunk_id for c in chunks}
    stale = stores.vectors.ids_for_doc(doc.doc_name) - new_ids
    if stale:
        stores.vectors.delete_ids(sorted(stale))
    stores.vectors.upsert(chunks, vectors)
    # The catalog is written last and in one transaction: until then the document counts as not ingested.
    doc.extra["pipeline"] = PIPELINE_VERSION
    _store_facts(doc, stores)
    stores.keywords.replace_document(doc, chunks)


def _prune(stores: Stores, claims: Claims, paths: list[str | Path]) -> list[str]:
    # A shared catalog holds other machines' files too: prune only under the folders this ingest covers.
    roots = [Path(p).resolve() for p in paths]
    gone = [d["doc_name"] for d in stores.keywords.list_documents() if not Path(d["source"]).exists()
            and (not stores.keywords.shared or _covered(Path(d["source"]).resolve(), roots))]
    gone = [name for name in gone if claims.take(name)]
    for name in gone:
        _delete(stores, name)
    return gone


def _covered(source: Path, roots: list[Path]) -> bool:
    return any(r == source or r in source.parents for r in roots)


def _delete(stores: Stores, doc_name: str) -> None:
    """Remove a document from every store, resumably.

    Marked 'deleting' first: from then on it is never retrieved (only 'complete' documents are). Then its
    facts, its vectors and last its catalog rows go, the row in one transaction; a kill anywhere in between
    leaves it 'deleting', and the next ingest or delete finishes it (`finish_deletes`).
    """
    stores.keywords.mark(doc_name, "deleting")
    if stores.facts is not None:
        stores.facts.delete(doc_name)
    ids = stores.vectors.ids_for_doc(doc_name) | stores.keywords.chunk_ids(doc_name)
    stores.vectors.delete_ids(sorted(ids))
    stores.keywords.delete_document(doc_name)


def finish_deletes(stores: Stores, claims: Claims) -> list[str]:
    """Finish the deletes a crash interrupted (documents left 'deleting'); returns their names."""
    done = []
    for doc in stores.keywords.list_documents():
        name = doc["doc_name"]
        if doc["status"] != "deleting" or not claims.take(name):
            continue  # a claim held elsewhere: another worker is deleting it now
        try:
            log.warning("finishing an interrupted delete doc=%s", name)
            _delete(stores, name)
            done.append(name)
        finally:
            claims.release(name)
    return done


def delete_document(doc_name: str, stores: Stores, lock_wait: float = 0) -> int:
    """Remove a document's chunks from both stores (and finish any delete a crash interrupted). Returns the
    number of chunks removed."""
    with stores.writing(lock_wait) as claims:
        try:
            doc = claimed_document(stores, claims, doc_name, lock_wait)
        except DocumentNotFoundError:
            finish_deletes(stores, claims)
            raise
        _delete(stores, doc_name)
        finish_deletes(stores, claims)
        return int(doc["n_chunks"])


def claimed_document(stores: Stores, claims: Claims, doc_name: str, wait: float = 0) -> dict[str, Any]:
    """A document's catalog row, under this worker's claim; the errors say who holds it or what names exist."""
    if not claims.take(doc_name, wait):
        raise IngestLockedError(f"{doc_name} is being ingested or deleted by another worker; try again when it is done")
    doc = stores.keywords.get_document(doc_name)
    if doc is None:
        raise not_found(stores, doc_name)
    return doc


def not_found(stores: Stores, doc_name: str) -> DocumentNotFoundError:
    """The error for a document name that is not indexed, with the names it might have meant."""
    names = [d["doc_name"] for d in stores.keywords.list_documents()]
    close = [n for n in names if doc_name.lower() in n.lower()][:5]
    hint = f"; did you mean {', '.join(close)}?" if close else "; `shiftbrief docs` lists them"
    return DocumentNotFoundError(f"No document named {doc_name!r} is indexed{hint}")


def list_documents(stores: Stores) -> list[dict[str, Any]]:
    """Indexed documents with their metadata and chunk counts."""
    return stores.keywords.list_documents()
