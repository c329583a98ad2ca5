"""Ingestion against the real Chroma and the real encoder, in a temporary data directory."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from rag.config import get_settings
from rag.errors import DocumentNotFoundError, IngestLockedError
from rag.ingestion.names import DocNames
from rag.ingestion.pipeline import delete_document, ingest, ingest_lock, list_documents
from rag.retrieval.filters import Filters
from rag.retrieval.hybrid import search
from rag.store.stores import open_stores
from tests.helpers import wait_for, write_corpus


def _state(stores) -> tuple[set[str], set[str]]:
    return stores.vectors.all_ids(), stores.keywords.chunk_ids()


def test_ingest_then_reingest_does_no_embedding_work(stores, tmp_path):
    write_corpus(tmp_path / "c", 4)
    first = ingest([tmp_path / "c"], stores)
    assert first.ingested == 4 and first.chunks > 0 and first.embedded == first.chunks
    vec_ids, kw_ids = _state(stores)
    assert vec_ids == kw_ids and len(vec_ids) == first.chunks
    again = ingest([tmp_path / "c"], stores)
    assert again.unchanged == 4 and again.ingested == 0 and again.embedded == 0
    assert _state(stores) == (vec_ids, kw_ids)


def test_changed_file_replaces_its_chunks_and_reuses_cached_vectors(stores, tmp_path):
    paths = write_corpus(tmp_path / "c", 2)
    ingest([tmp_path / "c"], stores)
    before = stores.keywords.chunk_ids("note_000")
    paths[0].write_text(paths[0].read_text() + "\nA new closing paragraph about tenant contracts.\n")
    report = ingest([tmp_path / "c"], stores)
    assert report.ingested == 1 and report.unchanged == 1
    after = stores.keywords.chunk_ids("note_000")
    assert after != before
    vec_ids, kw_ids = _state(stores)
    assert vec_ids == kw_ids
    assert not (before - after) & vec_ids  # old chunks are gone from Chroma too


def test_prune_removes_documents_whose_files_are_gone(stores, tmp_path):
    paths = write_corpus(tmp_path / "c", 3)
    ingest([tmp_path / "c"], stores)
    paths[1].unlink()
    report = ingest([tmp_path / "c"], stores, prune=True)
    assert report.pruned == ["note_001"]
    assert [d["doc_name"] for d in list_documents(stores)] == ["note_000", "note_002"]
    assert _state(stores)[0] == _state(stores)[1]


def test_delete_document_and_unknown_name(stores, tmp_path):
    write_corpus(tmp_path / "c", 2)
    ingest([tmp_path / "c"], stores)
    assert delete_document("note_000", stores) > 0
    assert {d["doc_name"] for d in list_documents(stores)} == {"note_001"}
    with pytest.raises(DocumentNotFoundError, match="note_00"):
        delete_document("note_0", stores)


def test_bad_files_are_reported_and_the_rest_lands(stores, tmp_path):
    folder = tmp_path / "mixed"
    write_corpus(folder, 2)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.pdf").write_bytes(os.urandom(2048))
    (folder / "image.png").write_bytes(b"\x89PNG\r\n")
    report = ingest([folder, tmp_path / "does-not-exist"], stores)
    assert report.ingested == 2
    failed = {Path(p).name: why for p, why in report.failed}
    assert "empty.txt" in failed and "binary.pdf" in failed and "does-not-exist" in failed
    assert "empty.txt" in failed["empty.txt"]
    assert any(Path(p).name == "image.png" for p, _ in report.skipped)
    assert report.ok


def test_nothing_ingested_is_not_ok(stores, tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    report = ingest([tmp_path / "empty.txt"], stores)
    assert not report.ok


def test_second_ingest_on_same_data_dir_is_refused(stores, tmp_path):
    write_corpus(tmp_path / "c", 1)
    lock = ingest_lock(stores.settings)
    with lock:
        with pytest.raises(IngestLockedError, match="Another ingest"):
            ingest([tmp_path / "c"], stores)


def test_cross_lingual_search_and_filters(stores, tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "riot.md").write_text(
        "---\ncompany: Riot Platforms\nperiod: 2025Q4\n---\nRiot Platforms sold 1,818 bitcoin in December 2025 "
        "for net proceeds of $161.6 million.\n", encoding="utf-8")
    (folder / "weather.md").write_text(
        "---\ncompany: Weather Co\n---\nHeavy rain and storms are expected across the coast this weekend.\n",
        encoding="utf-8")
    (folder / "chips.md").write_text(
        "---\ncompany: Chip Co\n---\nThe new graphics processors shipped to gaming customers in spring.\n",
        encoding="utf-8")
    ingest([folder], stores)
    hits = search("ビットコインを売却して得た金額はいくらですか", stores, k=3)
    assert hits[0].doc_name == "riot"
    assert "161.6" in hits[0].text
    filtered = search("bitcoin", stores, k=3, filters=Filters(company="Weather"))
    assert {h.doc_name for h in filtered} == {"weather"}
    assert search("bitcoin", stores, k=3, filters=Filters(company="Nobody")) == []


@pytest.mark.slow
def test_kill_9_mid_ingest_then_rerun_equals_clean_ingest(tmp_path):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 30, paragraphs=80)
    env = {**os.environ, "SHIFTBRIEF_DATA_DIR": str(tmp_path / "crashy")}
    cmd = [sys.executable, "-m", "rag.cli", "ingest", str(corpus)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = tmp_path / "crashy" / "index-use-multilingual-v3.sqlite"

    def some_done() -> bool:
        with sqlite3.connect(db) as c:
            return c.execute("SELECT count(*) FROM documents WHERE status = 'complete'").fetchone()[0] >= 3

    wait_for(some_done, 240, "the first documents to land")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(db) as c:
        landed = c.execute("SELECT count(*) FROM documents").fetchone()[0]
    assert landed < 30, "the kill came too late to test anything"
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr

    crashed = open_stores(get_settings(data_dir=tmp_path / "crashy"))
    clean = open_stores(get_settings(data_dir=tmp_path / "clean"))
    ingest([corpus], clean)
    assert _state(crashed)[0] == _state(clean)[0]
    assert _state(crashed)[1] == _state(clean)[1] == _state(clean)[0]
    assert crashed.vectors.count() == clean.vectors.count()


def test_ingest_with_encoder_workers_equals_in_process_ingest(tmp_path):
    import numpy as np

    corpus = tmp_path / "c"
    write_corpus(corpus, 3, paragraphs=700)  # ~70 chunks each: above the pool's threshold
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.7\n this is not really a PDF")
    runs = {}
    for workers in (1, 2):
        stores = open_stores(get_settings(data_dir=tmp_path / f"w{workers}", embed_workers=workers))
        report = ingest([corpus], stores)
        ids = sorted(stores.vectors.all_ids())
        got = stores.vectors.collection.get(ids=ids, include=["embeddings"])
        runs[workers] = (report, dict(zip(got["ids"], np.asarray(got["embeddings"]))))
    (one, vec1), (two, vec2) = runs[1], runs[2]
    assert min(one.chunks, two.chunks) >= 3 * 64
    assert (one.ingested, one.chunks, [f for f, _ in one.failed]) == (two.ingested, two.chunks, [f for f, _ in two.failed])
    assert two.failed and "broken.pdf" in two.failed[0][0]
    assert vec1.keys() == vec2.keys()
    assert min(float(np.dot(vec1[k], vec2[k]) / np.linalg.norm(vec1[k]) / np.linalg.norm(vec2[k])) for k in vec1) > 0.9999


def test_progress_counts_every_file_once_including_failures(stores, tmp_path):
    write_corpus(tmp_path / "c", 3)
    (tmp_path / "c" / "empty.txt").write_text("")
    calls: list[tuple[int, int, str]] = []
    report = ingest([tmp_path / "c"], stores, on_progress=lambda done, total, name: calls.append((done, total, name)))
    assert report.ingested == 3 and len(report.failed) == 1
    assert [c[0] for c in calls] == [0, 1, 2, 3, 4] and {c[1] for c in calls} == {4}
    assert sorted(c[2] for c in calls[1:]) == ["empty.txt", "note_000.md", "note_001.md", "note_002.md"]


def _names_by_path(stores) -> dict[Path, str]:
    return {Path(d["source"]).resolve(): d["doc_name"] for d in list_documents(stores)}


def test_same_file_name_in_two_folders_keeps_both(stores, tmp_path):
    a, b = tmp_path / "a" / "report.md", tmp_path / "b" / "report.md"
    for path, text in ((a, "Riot Platforms sold 1,818 bitcoin for $161.6 million."),
                       (b, "Heavy rain and storms are expected across the coast this weekend.")):
        path.parent.mkdir()
        path.write_text(text + "\n", encoding="utf-8")
    assert ingest([a.parent], stores).ingested == 1
    assert ingest([b.parent], stores).ingested == 1
    names = _names_by_path(stores)
    assert set(names) == {a.resolve(), b.resolve()}, "the second report.md replaced the first"
    assert names[a.resolve()] == "report" and names[b.resolve()].startswith("report-")
    assert {h.doc_name for h in search("bitcoin", stores, k=5)} >= {"report"}
    assert names[b.resolve()] in {h.doc_name for h in search("storms on the coast", stores, k=5)}

    # Either path, ingested again in any order, resolves to the same document.
    again = ingest([b, a], stores)
    assert (again.unchanged, again.ingested, again.failed) == (2, 0, [])
    assert _names_by_path(stores) == names

    # A changed file at the same path replaces its own chunks and leaves the other's alone.
    kept = stores.keywords.chunk_ids("report")
    old_b = stores.keywords.chunk_ids(names[b.resolve()])
    b.write_text("Data centre capacity may sit idle without tenant contracts.\n", encoding="utf-8")
    assert ingest([b], stores).ingested == 1
    assert _names_by_path(stores) == names
    assert stores.keywords.chunk_ids("report") == kept
    assert stores.keywords.chunk_ids(names[b.resolve()]).isdisjoint(old_b)
    vec_ids, kw_ids = _state(stores)
    assert vec_ids == kw_ids


def test_same_file_name_twice_in_one_ingest_keeps_both(stores, tmp_path):
    for folder in ("x", "y"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "10-K.md").write_text(f"Annual report filed from folder {folder}.\n", encoding="utf-8")
    report = ingest([tmp_path], stores)
    assert (report.ingested, report.failed) == (2, [])
    names = _names_by_path(stores)
    assert names[(tmp_path / "x" / "10-K.md").resolve()] == "10-K"
    assert names[(tmp_path / "y" / "10-K.md").resolve()].startswith("10-K-")


def test_doc_names_are_stems_made_distinct_and_stable(tmp_path):
    a, b, c = (tmp_path / d / "report.md" for d in "abc")
    for path in (a, b, c):
        path.parent.mkdir()
        path.write_text("text\n")
    names = DocNames([])
    first, second, third = names.name_for(a), names.name_for(b), names.name_for(c)
    assert first == "report" and len({first, second, third}) == 3
    assert all(n.startswith("report-") and len(n) == len("report-") + 6 for n in (second, third))
    assert names.name_for(b) == second  # asked again in the same ingest
    # A later ingest reads the catalog: each path gets its own name back, whatever the order.
    catalog = [{"doc_name": first, "source": str(a)}, {"doc_name": second, "source": str(b)}]
    later = DocNames(catalog)
    assert (later.name_for(b), later.name_for(c), later.name_for(a)) == (second, third, first)
    # A name whose file is gone is free again: a moved file keeps its name.
    a.unlink()
    assert DocNames(catalog).name_for(tmp_path / "c" / "report.md") == "report"


def test_moved_file_keeps_its_name_and_survives_prune(stores, tmp_path):
    (old := tmp_path / "old").mkdir()
    (old / "report.md").write_text("Riot Platforms sold 1,818 bitcoin for $161.6 million.\n", encoding="utf-8")
    ingest([old], stores)
    new = old.rename(tmp_path / "new")
    report = ingest([new], stores, prune=True)
    assert (report.ingested, report.embedded, report.pruned) == (1, 0, [])  # vectors came from the cache
    assert _names_by_path(stores) == {(new / "report.md").resolve(): "report"}


def test_each_file_is_claimed_when_its_turn_comes_so_workers_share_a_folder(stores, tmp_path, monkeypatch):
    """A file another worker claims while this ingest is under way is left to it (not claimed up front)."""
    from contextlib import contextmanager

    paths = sorted(write_corpus(tmp_path / "c", 4))
    held: set[str] = set()  # documents "another worker" holds
    taken: list[str] = []

    class Shared:
        def take(self, doc_name: str, wait: float = 0) -> bool:
            taken.append(doc_name)
            return doc_name not in held

        def release(self, doc_name: str) -> None:
            pass

    @contextmanager
    def writing(wait: float = 0):
        yield Shared()

    monkeypatch.setattr(stores.keywords, "writing", writing)
    last = DocNames([]).name_for(paths[-1])

    def on_progress(done: int, total: int, name: str) -> None:
        if done == 1:  # after the first file: the other worker starts on the last one
            held.add(last)

    report = ingest([tmp_path / "c"], stores, on_progress=on_progress)
    assert report.ingested == 3 and report.elsewhere == 1, report.skipped
    assert {d["doc_name"] for d in stores.keywords.list_documents()} == {DocNames([]).name_for(p) for p in paths[:3]}
