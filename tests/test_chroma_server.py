"""Server mode: a real `chroma run` on 127.0.0.1, started by the test."""

from __future__ import annotations

import pytest

from rag.config import get_settings
from rag.ingestion.pipeline import ingest
from rag.retrieval.hybrid import search
from rag.store.stores import open_stores
from tests.helpers import free_port, start_chroma_server, write_corpus


@pytest.fixture
def chroma_server(tmp_path):
    port = free_port()
    proc = start_chroma_server(tmp_path / "server", port)
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
def test_ingest_and_search_through_a_chroma_server(chroma_server, tmp_path, use_embedder):
    settings = get_settings(chroma_host="127.0.0.1", chroma_port=chroma_server)
    stores = open_stores(settings, use_embedder)
    assert "Chroma server at 127.0.0.1" in stores.info["vectors"]
    write_corpus(tmp_path / "c", 3)
    report = ingest([tmp_path / "c"], stores)
    assert report.ingested == 3
    assert stores.vectors.count() == stores.keywords.count_chunks() == report.chunks
    assert not (settings.data_dir / "chroma").exists()  # vectors live on the server
    hits = search("at-the-market equity programme", stores, k=3)
    assert hits and "equity" in hits[0].text
