"""The vector side gives the same nearest chunks on both backends: an embedded Chroma and a Chroma server holding
the same vectors (written in another order and other batches, as an import does) return the same ids, in the same
order, as an exact search does."""

from __future__ import annotations

import numpy as np
import pytest

from rag.config import get_settings
from rag.store.vectors import SEARCH_EF, VectorStore
from tests.helpers import free_port, start_chroma_server

DIM, DOCS, PER_DOC, N = 48, 6, 500, 80


class _NoEmbedder:
    """Stores vectors given to it; a test that needs an embedding has gone wrong."""

    model_id = "test-vectors-48"

    def embed(self, texts):
        raise AssertionError("nothing should be embedded here")


def _library(seed: int = 7) -> tuple[list[dict], np.ndarray]:
    """Clustered vectors (as passages of one filing are), with some exact duplicates (a page repeated verbatim)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(DOCS * 8, DIM))
    rows, vecs = [], []
    for d in range(DOCS):
        for i in range(PER_DOC):
            if i % 50 == 49:  # a repeated passage: the same vector under another id
                vec = vecs[-1]
            else:
                vec = centres[d * 8 + i % 8] + rng.normal(scale=0.6, size=DIM)
            rows.append({"chunk_id": f"doc{d}-c{i:04d}", "metadata": {"doc_name": f"doc{d}"}, "text": f"passage {i}"})
            vecs.append(np.asarray(vec, dtype=np.float32))
    return rows, np.vstack(vecs)


def _exact(rows: list[dict], vecs: np.ndarray, query: np.ndarray, n: int, docs: list[str] | None) -> list[str]:
    """Nearest by cosine, ties by id: what a search that reads every vector returns."""
    unit = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    dist = 1.0 - unit @ (query / np.linalg.norm(query))
    keep = [i for i, r in enumerate(rows) if docs is None or r["metadata"]["doc_name"] in docs]
    keep.sort(key=lambda i: (round(float(dist[i]), 6), rows[i]["chunk_id"]))
    return [rows[i]["chunk_id"] for i in keep[:n]]


def _fill(store: VectorStore, rows: list[dict], vecs: np.ndarray, order: np.ndarray, batch: int) -> None:
    for i in range(0, len(order), batch):
        part = order[i:i + batch]
        store.upsert_rows([rows[j] for j in part], vecs[part])


def _queries(vecs: np.ndarray, seed: int = 11) -> list[tuple[np.ndarray, list[str] | None]]:
    rng = np.random.default_rng(seed)
    out: list[tuple[np.ndarray, list[str] | None]] = []
    for k in range(16):
        q = vecs[rng.integers(len(vecs))] + rng.normal(scale=1.0, size=DIM)  # near the data, on no stored point
        out.append((q.astype(np.float32), None if k % 2 == 0 else [f"doc{k % DOCS}", f"doc{(k + 1) % DOCS}"]))
    return out


@pytest.mark.slow
def test_embedded_and_server_collections_return_the_exact_nearest_ids(tmp_path):
    rows, vecs = _library()
    embedded = VectorStore(get_settings(data_dir=tmp_path / "embedded"), _NoEmbedder())  # type: ignore[arg-type]
    _fill(embedded, rows, vecs, np.arange(len(rows)), 100)  # as an ingest writes: document by document
    port = free_port()
    server = start_chroma_server(tmp_path / "server", port)
    try:
        team = VectorStore(get_settings(data_dir=tmp_path / "node", chroma_host="127.0.0.1", chroma_port=port),
                           _NoEmbedder())  # type: ignore[arg-type]
        _fill(team, rows, vecs, np.random.default_rng(3).permutation(len(rows)), 2000)  # another order and batch
        for query, docs in _queries(vecs):
            want = _exact(rows, vecs, query, N, docs)
            got_e = [c for c, _ in embedded.query(query, N, docs)]
            got_t = [c for c, _ in team.query(query, N, docs)]
            assert got_e == want, f"embedded: {len(set(got_e) & set(want))}/{N} of the exact nearest"
            assert got_t == want, f"server: {len(set(got_t) & set(want))}/{N} of the exact nearest"
    finally:
        server.kill()
        server.wait()


def test_a_collection_made_before_the_setting_is_raised_to_it_on_open(tmp_path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from rag.store.vectors import _make_embedding_function

    settings = get_settings(data_dir=tmp_path / "data")
    settings.chroma_dir.mkdir(parents=True)
    old = chromadb.PersistentClient(path=str(settings.chroma_dir), settings=ChromaSettings(anonymized_telemetry=False))
    old.create_collection("chunks-test-vectors-48", embedding_function=_make_embedding_function(_NoEmbedder()),
                          metadata={"hnsw:space": "cosine", "embedder": "test-vectors-48"})  # as shiftbrief made it
    assert old.get_collection("chunks-test-vectors-48").configuration["hnsw"]["ef_search"] < SEARCH_EF
    old.close()  # type: ignore[attr-defined]
    store = VectorStore(settings, _NoEmbedder())  # type: ignore[arg-type]
    hnsw = store.collection.configuration["hnsw"]
    assert hnsw["ef_search"] == SEARCH_EF and hnsw["space"] == "cosine"


def test_equal_distances_come_back_in_id_order_whatever_the_insertion_order(tmp_path):
    rows = [{"chunk_id": f"c{i}", "metadata": {"doc_name": "d"}, "text": "same"} for i in range(6)]
    vec = np.ones(DIM, dtype=np.float32)
    vecs = np.vstack([vec] * 6)
    others = np.random.default_rng(1).normal(size=(40, DIM)).astype(np.float32)
    extra = [{"chunk_id": f"x{i:02d}", "metadata": {"doc_name": "d"}, "text": "other"} for i in range(40)]
    store = VectorStore(get_settings(data_dir=tmp_path / "data"), _NoEmbedder())  # type: ignore[arg-type]
    store.upsert_rows(list(reversed(extra)), others[::-1])
    store.upsert_rows(list(reversed(rows)), vecs)
    got = [c for c, _ in store.query(vec, 4)]
    assert got == ["c0", "c1", "c2", "c3"]  # four of six tied: the same four on every backend


def test_an_empty_collection_finds_nothing(tmp_path):
    store = VectorStore(get_settings(data_dir=tmp_path / "data"), _NoEmbedder())  # type: ignore[arg-type]
    assert store.query(np.ones(DIM, dtype=np.float32), 80) == []
