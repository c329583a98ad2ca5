"""Hostile files, store outages, crashes mid-delete and concurrent ingests: clear messages, nothing lost."""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.config import get_settings
from rag.errors import StoreError
from rag.ingestion.pipeline import delete_document, ingest
from rag.retrieval.hybrid import search
from rag.store.stores import open_stores
from tests.conftest import FINANCEBENCH
from tests.helpers import free_port, start_chroma_server, wait_for, write_corpus
from tests.make_bad_files import make_bad_files
from tests.test_cli import cli


def _tree(root: Path, skip: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if skip not in p.parents and p != skip}


def test_hostile_files_each_get_their_reason_and_the_rest_lands(tmp_path, data_dir):
    bad = tmp_path / "bad"
    bad.mkdir()
    expected = make_bad_files(bad)
    write_corpus(bad, 2)
    before = _tree(tmp_path, data_dir)
    # make_bad_files sizes its too-large file for an 8,000,000-byte limit.
    r = cli("ingest", str(bad), "--json", env={"SHIFTBRIEF_MAX_FILE_MB": "7"})
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    reported = {Path(p).name: why for p, why in report["failed"] + report["skipped"]}
    shown = {n: n.encode("utf-8", "backslashreplace").decode() for n in expected}
    # A folder named like a file is walked into, not reported; every other bad file is named with its reason.
    should_fail = {shown[n] for n, reason in expected.items() if reason != "ok" and not (bad / n).is_dir()}
    missing = {n for n in should_fail if n not in reported}
    assert len(expected) >= 25 and not missing, missing
    for name in should_fail & set(reported):
        assert reported[name], name  # a specific message, not an empty string
    ok = sum(1 for r in expected.values() if r == "ok")
    assert report["ingested"] == ok + 2
    assert _tree(tmp_path, data_dir) == before  # nothing written outside the data directory
    docs = json.loads(cli("docs", "--json").stdout)
    assert {"note_000", "note_001"} <= {d["doc_name"] for d in docs}


@pytest.fixture
def chroma_server_factory(tmp_path):
    port = free_port()
    procs = []

    def start():
        procs.append(start_chroma_server(tmp_path / "server", port))
        return procs[-1]

    yield port, start
    for p in procs:
        p.kill()
        p.wait()


@pytest.mark.slow
def test_chroma_server_outage_gives_a_clear_error_and_recovers(chroma_server_factory, tmp_path, use_embedder):
    port, start = chroma_server_factory
    server = start()
    stores = open_stores(get_settings(chroma_host="127.0.0.1", chroma_port=port), use_embedder)
    write_corpus(tmp_path / "c", 3)
    ingest([tmp_path / "c"], stores)
    assert search("equity programme", stores, k=3)
    server.kill()
    server.wait()
    with pytest.raises(StoreError, match=f"Chroma server at 127.0.0.1:{port} failed to .*is it running"):
        search("equity programme", stores, k=3)
    start()
    hits = search("equity programme", stores, k=3)  # the same session works again
    assert hits and stores.vectors.count() == stores.keywords.count_chunks()


def _own_sentences(stores, doc_name: str, n: int = 4) -> list[str]:
    rows = sorted(stores.keywords.get_chunks(sorted(stores.keywords.chunk_ids(doc_name))).values(),
                  key=lambda c: (c["page"], c["ord"]))
    return [" ".join(c["text"].split()[:25]) for c in rows[:: max(1, len(rows) // n)][:n]]


def _traces(stores, doc_name: str) -> dict[str, int]:
    """What is left of a document in each store, and keyword rows without a chunk (orphans of any document)."""
    with sqlite3.connect(stores.keywords.path) as conn:
        orphans = conn.execute("SELECT count(*) FROM chunks_fts WHERE rowid NOT IN (SELECT rowid FROM chunks)").fetchone()[0]
    return {"row": int(stores.keywords.get_document(doc_name) is not None), "vectors": len(stores.vectors.ids_for_doc(doc_name)),
            "chunks": len(stores.keywords.chunk_ids(doc_name)), "facts": stores.facts.count(doc_name),
            "keyword_orphans": orphans}


@pytest.mark.parametrize("vectors_gone", [0, 1, "all"])
def test_a_half_deleted_document_is_never_retrieved_and_the_next_ingest_finishes_it(stores, tmp_path, vectors_gone):
    write_corpus(tmp_path / "c", 3, paragraphs=30)
    write_corpus(tmp_path / "other", 1)
    ingest([tmp_path / "c"], stores)
    queries = _own_sentences(stores, "note_001")
    assert any(h.doc_name == "note_001" for q in queries for h in search(q, stores, k=5))
    # The states a kill -9 can leave mid-delete: marked, some or all of its vectors gone, catalog rows still there.
    stores.keywords.mark("note_001", "deleting")
    ids = sorted(stores.keywords.chunk_ids("note_001"))
    stores.vectors.delete_ids(ids if vectors_gone == "all" else ids[: int(vectors_gone)])
    for q in queries:
        assert all(h.doc_name != "note_001" for h in search(q, stores, k=10)), q
    assert "note_001" not in {d["doc_name"] for d in stores.retriever._catalog().docs}
    # An ingest of another folder finishes the delete rather than reviving the document.
    ingest([tmp_path / "other"], stores)
    assert _traces(stores, "note_001") == {"row": 0, "vectors": 0, "chunks": 0, "facts": 0, "keyword_orphans": 0}
    assert stores.vectors.all_ids() == stores.keywords.chunk_ids()


def test_deleting_again_or_deleting_another_document_finishes_an_interrupted_delete(stores, tmp_path):
    write_corpus(tmp_path / "c", 3)
    ingest([tmp_path / "c"], stores)
    stores.keywords.mark("note_001", "deleting")
    stores.vectors.delete_ids(sorted(stores.keywords.chunk_ids("note_001"))[:1])
    delete_document("note_002", stores)
    assert {d["doc_name"] for d in stores.keywords.list_documents()} == {"note_000"}
    assert stores.vectors.all_ids() == stores.keywords.chunk_ids()
    stores.keywords.mark("note_000", "deleting")
    assert delete_document("note_000", stores) > 0  # the user's own retry finds it and finishes it
    assert stores.keywords.list_documents() == [] and stores.vectors.count() == 0


@pytest.mark.slow
def test_kill_9_during_a_real_delete_never_cites_it_and_the_next_command_converges(tmp_path, data_dir, use_embedder):
    from evals.bench_reliability import inspect, kill_delete, probes, time_delete

    pdf = FINANCEBENCH / "pdfs" / "NETFLIX_2015_10K.pdf"
    if not pdf.is_file():  # without FinanceBench, a long note: many chunks, no facts
        pdf = write_corpus(tmp_path / "long", 1, paragraphs=300)[0]
    other = write_corpus(tmp_path / "other", 1)[0]
    stores = open_stores(get_settings(), use_embedder)
    ingest([pdf], stores)
    stores.close()
    doc = pdf.stem
    queries, figure_q = probes(data_dir, doc, n=3)
    window = time_delete(shutil.copytree(data_dir, tmp_path / "timing"), doc)
    span = max(window["row_gone_s"] - window["marked_s"], 0.02)
    for i, after in enumerate((0.0, span / 3, 2 * span / 3)):
        data = shutil.copytree(data_dir, tmp_path / f"kill-{i}")
        kill_delete(data, doc, after)
        state = inspect(data, doc, queries, figure_q)
        if state["status"] is not None:
            assert state["status"] == "deleting", state
            assert state["search_hits"] == 0 and not state["answer_cites"], state
        r = subprocess.run([sys.executable, "-m", "rag.cli", "ingest", str(other)], capture_output=True, text=True,
                           env={**os.environ, "SHIFTBRIEF_DATA_DIR": str(data)}, timeout=600)
        assert r.returncode == 0, r.stderr
        final = inspect(data, doc, queries, figure_q)
        assert final["status"] is None and final["vectors"] == final["chunks"] == final["facts"] == 0, final
        assert final["keyword_rows_without_chunk"] == 0 and final["stores_agree"], final


@pytest.mark.slow
def test_two_ingests_at_once_one_is_refused_and_nothing_breaks(tmp_path):
    write_corpus(tmp_path / "c", 40, paragraphs=150)
    first = subprocess.Popen([sys.executable, "-m", "rag.cli", "ingest", str(tmp_path / "c")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = Path(os.environ["SHIFTBRIEF_DATA_DIR"]) / "ingest.lock"
    wait_for(lambda: lock.exists(), 60, "the first ingest to take the lock")
    time.sleep(1.0)
    second = cli("ingest", str(tmp_path / "c"))
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert second.returncode == 1
    assert "Another ingest or delete is running" in second.stderr and "Traceback" not in second.stderr
    stores = open_stores(get_settings())
    assert stores.vectors.all_ids() == stores.keywords.chunk_ids()
    assert len(stores.keywords.list_documents()) == 40


# --- damaged stores -------------------------------------------------------------------------------------------


def _damage(path: Path, where: str) -> None:
    """Overwrite the SQLite header ("header"), or every page after the first ("pages": tables unreadable)."""
    rng = random.Random(99)
    size = path.stat().st_size
    with path.open("r+b") as f:
        if where == "header":
            f.write(bytes(rng.randrange(256) for _ in range(100)))
        else:
            f.seek(4096)
            f.write(bytes(rng.randrange(256) for _ in range(size - 4096)))


def _no_traceback(r: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in r.stderr + r.stdout, r.stderr[-3000:]


@pytest.fixture
def library(tmp_path, data_dir, use_embedder) -> Path:
    """A data directory with three notes ingested (and every store closed)."""
    write_corpus(tmp_path / "c", 3)
    stores = open_stores(get_settings(), use_embedder)
    ingest([tmp_path / "c"], stores)
    stores.close()
    return data_dir


@pytest.mark.parametrize("where", ["header", "pages"])
def test_a_damaged_catalog_is_named_with_the_fix_by_every_command(library, tmp_path, where):
    index = next(library.glob("index-*.sqlite"))
    _damage(index, where)
    write_corpus(tmp_path / "more", 1)
    for args in (("docs",), ("search", "equity programme"), ("ask", "How much was raised?"),
                 ("ingest", str(tmp_path / "more")), ("delete", "note_001")):
        r = cli(*args)
        _no_traceback(r)
        assert r.returncode == 1, (args, r.stdout)
        assert index.name in r.stderr and "damaged" in r.stderr and "re-ingest" in r.stderr, (args, r.stderr)


@pytest.mark.parametrize("where", ["header", "pages"])
def test_a_damaged_embedding_cache_is_dropped_and_rebuilt(library, tmp_path, where):
    cache = library / "cache" / "embeddings.sqlite"
    _damage(cache, where)
    r = cli("docs", "--json")  # never opens the cache
    _no_traceback(r)
    assert r.returncode == 0 and len(json.loads(r.stdout)) == 3
    r = cli("search", "equity programme", "--json")
    _no_traceback(r)
    assert r.returncode == 0 and json.loads(r.stdout)
    write_corpus(tmp_path / "c", 5)  # two new notes: their vectors go into a new cache
    r = cli("ingest", str(tmp_path / "c"), "--json")
    _no_traceback(r)
    assert r.returncode == 0 and json.loads(r.stdout)["ingested"] == 2, r.stderr
    assert str(cache) in r.stderr and "dropped it" in r.stderr
    with sqlite3.connect(cache) as conn:
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM vectors").fetchone()[0] > 0


@pytest.mark.parametrize("where", ["header", "pages"])
def test_a_damaged_chroma_store_is_named_not_blamed_on_permissions(library, where):
    db = library / "chroma" / "chroma.sqlite3"
    _damage(db, where)
    r = cli("search", "equity programme")
    _no_traceback(r)
    assert r.returncode == 1
    assert str(db) in r.stderr and "damaged" in r.stderr and "writable" not in r.stderr, r.stderr
    r = cli("docs", "--json")  # the catalog alone: works without Chroma
    _no_traceback(r)
    assert r.returncode == 0 and {d["doc_name"] for d in json.loads(r.stdout)} == {"note_000", "note_001", "note_002"}
