"""The vector store and the keyword index together, run against both Chroma deployments a user can have:
the embedded PersistentClient in the data directory, and a real `chroma run` server (marked slow).

The same tests, the same assertions: only where the vectors live differs.
"""

from __future__ import annotations

import numpy as np
import pytest

from rag.config import get_settings
from rag.ingestion.pipeline import delete_document, ingest
from rag.retrieval.hybrid import Filters, search
from rag.schema import Chunk
from rag.store.stores import Stores, open_stores
from tests.helpers import free_port, start_chroma_server, write_corpus


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory):
    """A real `chroma run` on 127.0.0.1, shared by the module's server tests; yields its port."""
    port = free_port()
    proc = start_chroma_server(tmp_path_factory.mktemp("chroma-server"), port)
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.slow)])
def backend(request: pytest.FixtureRequest, data_dir, use_embedder):
    """Stores whose vectors live in the embedded Chroma or on the server; empty at the start of each test."""
    overrides: dict[str, object] = {}
    if request.param == "server":
        overrides = {"chroma_host": "127.0.0.1", "chroma_port": request.getfixturevalue("chroma_server")}
    stores = open_stores(get_settings(**overrides), use_embedder)
    assert stores.vectors.count() == 0
    try:
        yield stores
    finally:  # the server outlives the test: leave its collection empty for the next one
        stores.vectors.delete_ids(sorted(stores.vectors.all_ids()))
        stores.close()


def _in_step(stores: Stores) -> set[str]:
    """The chunk ids, asserting both stores hold exactly the same ones."""
    vector_ids, keyword_ids = stores.vectors.all_ids(), stores.keywords.chunk_ids()
    assert vector_ids == keyword_ids and stores.vectors.count() == stores.keywords.count_chunks()
    return vector_ids


def test_ingest_and_search(backend, tmp_path):
    write_corpus(tmp_path / "c", 3)
    report = ingest([tmp_path / "c"], backend)
    assert report.ingested == 3 and len(_in_step(backend)) == report.chunks > 0
    on_server = backend.settings.chroma_host is not None
    assert ("Chroma server at 127.0.0.1" in backend.info["vectors"]) == on_server
    assert backend.settings.chroma_dir.exists() != on_server  # the vectors live on the server, or here
    hits = search("at-the-market equity programme", backend, k=3)
    assert hits and "equity" in hits[0].text
    assert hits[0].score >= hits[-1].score


def test_vector_query_finds_the_nearest_chunk_within_the_documents_asked(backend, tmp_path):
    write_corpus(tmp_path / "c", 3)
    ingest([tmp_path / "c"], backend)
    target_id, target = next(iter(backend.keywords.get_chunks(sorted(backend.keywords.chunk_ids("note_002"))).items()))
    vector = backend.embedder.embed([target["text"]])[0]
    nearest = backend.vectors.query(vector, 50)
    assert len(nearest) == backend.vectors.count()  # n is capped at what the collection holds
    assert nearest[0][0] == target_id and [d for _, d in nearest] == sorted(d for _, d in nearest)
    within = backend.vectors.query(vector, 5, doc_names=["note_000", "note_001"])
    assert within and all(cid.startswith(("note_000", "note_001")) for cid, _ in within)
    assert backend.vectors.query(vector, 5, doc_names=[]) == []


def test_filters_reach_both_stores(backend, tmp_path):
    write_corpus(tmp_path / "c", 6)  # companies 0, 1 and 2, two notes each
    ingest([tmp_path / "c"], backend)
    hits = search("bitcoin net proceeds", backend, k=10, filters=Filters(company="Company 1"))
    assert hits and {h.metadata["company"] for h in hits} == {"Company 1"}
    assert search("bitcoin", backend, k=5, filters=Filters(company="Nobody")) == []


def test_a_changed_document_replaces_its_chunks_in_both_stores(backend, tmp_path):
    paths = write_corpus(tmp_path / "c", 2)
    ingest([tmp_path / "c"], backend)
    before = backend.keywords.chunk_ids("note_000")
    paths[0].write_text(paths[0].read_text() + "\nA new closing paragraph about zebra tenant contracts.\n")
    report = ingest([tmp_path / "c"], backend)
    assert (report.ingested, report.unchanged) == (1, 1)
    after = backend.vectors.ids_for_doc("note_000")
    assert after == backend.keywords.chunk_ids("note_000") != before
    assert not (before - after) & _in_step(backend)  # the old chunks are gone from both
    assert "zebra" in search("zebra tenant contracts", backend, k=1)[0].text


def test_delete_removes_a_document_from_both_stores(backend, tmp_path):
    write_corpus(tmp_path / "c", 3)
    ingest([tmp_path / "c"], backend)
    n = delete_document("note_001", backend)
    assert n > 0 and backend.vectors.ids_for_doc("note_001") == set() == backend.keywords.chunk_ids("note_001")
    assert not any(cid.startswith("note_001") for cid in _in_step(backend))
    assert {h.doc_name for h in search("bitcoin net proceeds", backend, k=10)} <= {"note_000", "note_002"}


def test_reconcile_removes_vectors_the_catalog_does_not_hold(backend, tmp_path):
    write_corpus(tmp_path / "c", 2)
    ingest([tmp_path / "c"], backend)
    kept = _in_step(backend)
    # A vector of a known document the catalog does not list (left by a crash), and one of a document this
    # catalog has never seen: on a Chroma server that may be another client's, so only embedded Chroma drops it.
    known = Chunk("note_000-p9-9", "note_000", 9, 9, "a vector left by a crash", "a vector left by a crash",
                  {"doc_name": "note_000", "page": 9})
    stranger = Chunk("orphan-p0-0", "orphan", 0, 0, "someone else's vector", "someone else's vector",
                     {"doc_name": "orphan", "page": 0})
    backend.vectors.upsert([known, stranger], np.asarray(backend.embedder.embed([known.text, stranger.text])))
    assert backend.vectors.count() == len(kept) + 2
    with backend.writing() as claims:
        removed = backend.reconcile(claims)
    remote = backend.vectors.remote
    assert removed == (1 if remote else 2)
    assert ("orphan-p0-0" in backend.vectors.all_ids()) == remote
    backend.vectors.delete_ids(["orphan-p0-0"])
    assert _in_step(backend) == kept
