"""Hostile files, store outages, crashes mid-delete and concurrent ingests: clear messages, nothing lost."""

from __future__ import annotations

import json
import os
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


def test_crash_mid_delete_converges_on_rerun(stores, tmp_path):
    write_corpus(tmp_path / "c", 3)
    ingest([tmp_path / "c"], stores)
    # The state a kill -9 leaves between the two stores: marked, vectors gone, catalog rows still there.
    stores.keywords.mark("note_001", "deleting")
    stores.vectors.delete_ids(sorted(stores.keywords.chunk_ids("note_001")))
    # Re-running the ingest re-embeds the half-deleted document (its status is not 'complete') ...
    report = ingest([tmp_path / "c"], stores)
    assert report.ingested == 1 and report.unchanged == 2
    assert stores.vectors.all_ids() == stores.keywords.chunk_ids()
    # ... and re-running the delete finishes it.
    stores.keywords.mark("note_002", "deleting")
    stores.vectors.delete_ids(sorted(stores.keywords.chunk_ids("note_002"))[:1])
    delete_document("note_002", stores)
    assert stores.vectors.all_ids() == stores.keywords.chunk_ids()
    assert {d["doc_name"] for d in stores.keywords.list_documents()} == {"note_000", "note_001"}


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
