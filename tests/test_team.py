"""The team backend with real servers: PostgreSQL (a throwaway cluster) and `chroma run`, shared by two nodes.

Each node is its own data directory (its caches) pointed at the same library; nodes that must run at once
are `python -m rag.cli` processes.
"""

from __future__ import annotations

import gzip
import json
import signal
import sqlite3
import uuid
from pathlib import Path

import numpy as np
import pytest

from rag.answers.answer import answer_question
from rag.config import get_settings
from rag.errors import StoreError
from rag.ingestion.pipeline import delete_document, ingest
from rag.retrieval.hybrid import search
from rag.schema import Chunk, Document, Page
from rag.store.analyser import analyse, keyword_text
from rag.store.keywords import KeywordIndex
from rag.store.migrate import export_library, import_library
from rag.store.stores import Stores, open_stores
from tests.conftest import FINANCEBENCH
from tests.helpers import free_port, start_chroma_server, wait_for, write_corpus
from tests.pg_server import node, node_env, pg_bin, run_node, start_team, stop_team

needs_pg = pytest.mark.skipif(pg_bin() is None, reason="PostgreSQL is not installed; run `make install-postgres`")


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    if pg_bin() is None:
        pytest.skip("PostgreSQL is not installed; run `make install-postgres`")
    t = start_team(tmp_path_factory.mktemp("team"))
    yield t
    stop_team(t)


@pytest.fixture
def library() -> str:
    """A fresh library (schema and collection) per test, on the shared servers."""
    return f"t{uuid.uuid4().hex[:10]}"


def consistent(stores: Stores) -> bool:
    return stores.vectors.all_ids() == stores.keywords.chunk_ids()


# ---------------------------------------------------------------- the analyser (no servers)


def test_analyser_gives_the_tokens_fts5_indexes():
    texts = [
        "Revenues rose 18% to $161.6 million; the company sold 1,818 BTC and is relocating its hashing capacity.",
        "Generalizations, hopefully, conditional: agreed, feed, hoping, filing, sizing, falling, cooperation.",
        "Café naïve résumé Ångström foo_bar e-mail 2025-12-31 technology assembly",
        "売上高は前年同期比18％増の1億6,160万ドルとなりました。データセンター",
    ]
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE f USING fts5(body, tokenize='porter unicode61 remove_diacritics 2')")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(f, 'instance')")
    for i, text in enumerate(texts, 1):
        conn.execute("INSERT INTO f (rowid, body) VALUES (?, ?)", (i, keyword_text(text)))
        fts = [r[0] for r in conn.execute("SELECT term FROM v WHERE doc = ? ORDER BY offset", (i,))]
        assert analyse(text) == fts


# ---------------------------------------------------------------- the catalog alone


def _doc(name: str, texts: list[str]) -> tuple[Document, list[Chunk]]:
    doc = Document(name, f"/x/{name}.txt", "a" * 64, [Page(i, t) for i, t in enumerate(texts)], company="ACME")
    return doc, [Chunk(f"{name}-{i}", name, i, 0, t, t, {"doc_name": name, "page": i}) for i, t in enumerate(texts)]


def _same(got: list[tuple[str, float]], want: list[tuple[str, float]]) -> bool:
    """The same chunks in the same order with the same BM25 scores (to float rounding)."""
    return [c for c, _ in got] == [c for c, _ in want] and np.allclose([s for _, s in got], [s for _, s in want])


@needs_pg
def test_postgres_bm25_ranks_and_scores_as_fts5(team, library, tmp_path):
    from rag.store.postgres import PostgresCatalog

    pg = PostgresCatalog(team.url, library, "m")
    sq = KeywordIndex(tmp_path / "k.sqlite")
    docs = {
        "a": ["Revenue grew to 1,818 units of revenue", "The weather was fine", "net sales rose; net sales of net sales"],
        "b": ["売上高は増加した", "Revenue fell", "sales net", "Net sales and revenues were $161.6 million"],
        "c": ["Operating income, net sales and gross margin by segment", "Risk factors: idle capacity"],
    }
    for idx in (pg, sq):
        for name, texts in docs.items():
            idx.replace_document(*_doc(name, texts))
    queries = [["revenue", "1,818"], ["売上高"], ["net sales", "weather"], ["units", "fine", "sales"],
               ["net sales", "revenues", "161.6", "gross margin"], ["nothing matches this"]]
    for q in queries:
        assert _same(pg.search(q, 10), sq.search(q, 10)), q
    assert _same(pg.search(["revenue"], 5, doc_names=["b"]), sq.search(["revenue"], 5, doc_names=["b"]))
    pg.delete_document("a")
    assert pg.search(["weather"], 5) == [] and {d["doc_name"] for d in pg.list_documents()} == {"b", "c"}
    pg.close()


@needs_pg
def test_a_claim_is_held_by_one_writer_and_dies_with_it(team, library):
    from rag.store.postgres import PostgresCatalog

    one, two = PostgresCatalog(team.url, library, "m"), PostgresCatalog(team.url, library, "m")
    with one.writing() as a:
        with two.writing() as b:
            assert a.take("doc") and not b.take("doc") and not b.take("doc", wait=0.5)
            assert b.take("other") and not a.take("other")
        assert a.take("other")  # b's claims ended with its ingest
    with two.writing() as b:
        assert b.take("doc")


# ---------------------------------------------------------------- two nodes, one library


@needs_pg
@pytest.mark.slow
def test_ingest_on_a_is_found_on_b_and_delete_on_b_disappears_from_a(team, library, tmp_path, use_embedder):
    a = open_stores(node(team, tmp_path / "a", library), use_embedder)
    b = open_stores(node(team, tmp_path / "b", library), use_embedder)
    assert b.info["catalog"].startswith("PostgreSQL at 127.0.0.1")
    assert a.vectors.name == f"{library}-{use_embedder.model_id}"  # the collection is named for the library
    write_corpus(tmp_path / "c", 4)
    assert ingest([tmp_path / "c"], a).ingested == 4
    hits = search("at-the-market equity programme", b, k=5)
    assert hits and "equity" in hits[0].text
    assert any("vector" in h.ranks for h in hits) and any("keyword" in h.ranks for h in hits)
    assert b.keywords.search(["at-the-market equity programme"], 5)
    # B holds only caches: no catalog file, no vectors.
    assert not list((tmp_path / "b").glob("index-*.sqlite")) and not (tmp_path / "b" / "chroma").exists()
    delete_document("note_001", b)
    assert "note_001" not in {h.doc_name for h in search("Note 1 paragraph", a, k=10)}
    assert "note_001" not in {d["doc_name"] for d in a.keywords.list_documents()}
    assert not a.vectors.ids_for_doc("note_001") and consistent(a)
    # B ingesting its own folder leaves A's documents alone (no "orphan" deletion from a local view).
    write_corpus(tmp_path / "d", 2)
    for p in (tmp_path / "d").iterdir():
        p.rename(p.with_name("other_" + p.name))
    assert ingest([tmp_path / "d"], b, prune=True).ingested == 2
    assert len(a.keywords.list_documents()) == 5 and consistent(a)


@needs_pg
@pytest.mark.slow
def test_orphan_cleanup_uses_the_shared_catalog_and_spares_claimed_documents(team, library, tmp_path, use_embedder):
    a = open_stores(node(team, tmp_path / "a", library), use_embedder)
    b = open_stores(node(team, tmp_path / "b", library), use_embedder)
    write_corpus(tmp_path / "c", 2)
    ingest([tmp_path / "c"], a)
    ghost = [Chunk(f"ghost-{i}", "ghost", 0, i, "stray", "stray", {"doc_name": "ghost"}) for i in range(2)]
    writing = [Chunk("busy-0", "busy", 0, 0, "half written", "half written", {"doc_name": "busy"})]
    a.vectors.upsert(ghost + writing, use_embedder.embed(["stray", "stray", "half written"]))
    with a.writing() as claims:
        assert claims.take("busy")  # A is "writing" busy: its vectors are ahead of its catalog rows
        with b.writing() as b_claims:
            assert b.reconcile(b_claims) == 2
    assert a.vectors.ids_for_doc("ghost") == set() and a.vectors.ids_for_doc("busy") == {"busy-0"}
    assert len(a.keywords.list_documents()) == 2


@needs_pg
@pytest.mark.slow
def test_concurrent_ingests_share_the_work_and_land_each_file_once(team, library, tmp_path):
    write_corpus(tmp_path / "left", 6, paragraphs=20)
    write_corpus(tmp_path / "right", 6, paragraphs=20)
    for p in (tmp_path / "right").iterdir():
        p.rename(p.with_name("r_" + p.name))
    write_corpus(tmp_path / "both", 12, paragraphs=20)
    for p in (tmp_path / "both").iterdir():
        p.rename(p.with_name("b_" + p.name))
    env_a, env_b = node_env(team, tmp_path / "a", library), node_env(team, tmp_path / "b", library)
    # Different folders on A and B at once: both land completely.
    runs = [run_node(env_a, "ingest", str(tmp_path / "left"), "--json"),
            run_node(env_b, "ingest", str(tmp_path / "right"), "--json")]
    reports = [json.loads(p.communicate(timeout=600)[0]) for p in runs]
    assert [p.returncode for p in runs] == [0, 0]
    assert [r["ingested"] for r in reports] == [6, 6]
    # The same folder on both at once: every file lands once, shared between the two.
    runs = [run_node(env, "ingest", str(tmp_path / "both"), "--json") for env in (env_a, env_b)]
    reports = [json.loads(p.communicate(timeout=600)[0]) for p in runs]
    assert [p.returncode for p in runs] == [0, 0]
    assert sum(r["ingested"] for r in reports) == 12
    assert all(r["failed"] == [] for r in reports)
    stores = open_stores(node(team, tmp_path / "check", library))
    assert len(stores.keywords.list_documents()) == 24 and consistent(stores)
    assert {d["status"] for d in stores.keywords.list_documents()} == {"complete"}


@needs_pg
@pytest.mark.slow
def test_kill_9_of_a_node_mid_ingest_converges_on_the_next_run(team, library, tmp_path):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 16, paragraphs=60)
    env_a = node_env(team, tmp_path / "a", library)
    proc = run_node(env_a, "ingest", str(corpus))
    watcher = open_stores(node(team, tmp_path / "w", library))

    def some_done() -> bool:
        return sum(d["status"] == "complete" for d in watcher.keywords.list_documents()) >= 2

    wait_for(some_done, 300, "the first documents to land")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert len(watcher.keywords.list_documents()) < 16, "the kill came too late to test anything"
    # B runs the same ingest right away: A's claims died with it, so B can take every file.
    rerun = run_node(node_env(team, tmp_path / "b", library), "ingest", str(corpus), "--json")
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    assert json.loads(out)["skipped"] == []
    clean = open_stores(get_settings(data_dir=tmp_path / "clean"))
    ingest([corpus], clean)
    assert watcher.keywords.chunk_ids() == clean.keywords.chunk_ids() == watcher.vectors.all_ids()
    assert watcher.vectors.count() == clean.vectors.count()


@needs_pg
@pytest.mark.slow
def test_outages_give_a_clear_message_and_the_same_process_recovers(tmp_path, use_embedder):
    team = start_team(tmp_path / "servers")
    try:
        stores = open_stores(node(team, tmp_path / "a", "outage"), use_embedder)
        write_corpus(tmp_path / "c", 3)
        ingest([tmp_path / "c"], stores)
        assert search("equity programme", stores, k=3)
        team.pg.stop("immediate")
        with pytest.raises(StoreError, match="Cannot reach PostgreSQL at 127.0.0.1.*start PostgreSQL"):
            search("equity programme", stores, k=3)
        env = node_env(team, tmp_path / "cli", "outage")
        out, err = run_node(env, "search", "equity programme").communicate(timeout=120)
        assert "Cannot reach PostgreSQL" in err and "Traceback" not in err
        team.pg.start()
        assert search("equity programme", stores, k=3)  # the same stores, reconnected
        team.chroma.kill()
        team.chroma.wait()
        with pytest.raises(StoreError, match="Chroma server at 127.0.0.1.*is it running"):
            search("equity programme", stores, k=3)
        team.restart_chroma()
        assert search("equity programme", stores, k=3)
        v, k = stores.vectors.all_ids(), stores.keywords.chunk_ids()
        assert v == k, (len(v), len(k), sorted(v ^ k)[:4])
    finally:
        stop_team(team)


@needs_pg
def test_a_new_catalog_cannot_adopt_another_catalogs_collection(team, library, tmp_path, use_embedder):
    first = open_stores(node(team, tmp_path / "a", library), use_embedder)
    assert first.vectors.collection.metadata["catalog"] == first.keywords.library_id
    other_db = team.pg.create_database(f"other_{library}")
    with pytest.raises(StoreError, match="belongs to another catalog"):
        open_stores(get_settings(data_dir=tmp_path / "b", database_url=other_db, chroma_host="127.0.0.1",
                                 chroma_port=team.chroma_port, library=library), use_embedder)


def test_team_settings_without_a_chroma_server_are_refused(tmp_path):
    with pytest.raises(StoreError, match="CHROMA_HOST"):
        open_stores(get_settings(database_url="postgresql://nobody@127.0.0.1:1/x"))


# ---------------------------------------------------------------- facts (numeric answers)

FILING = FINANCEBENCH / "pdfs" / "3M_2018_10K.pdf"


def _filing_pages(folder: Path) -> Path:
    """3M's 2018 10-K cut to its cover and its statement pages: real tables, a tenth of the ingest."""
    import pypdfium2 as pdfium

    if not FILING.exists():
        pytest.skip(f"the FinanceBench PDFs are not at {FILING.parent} (../shared/financebench beside the checkout)")
    src, out = pdfium.PdfDocument(str(FILING)), pdfium.PdfDocument.new()
    out.import_pages(src, [0, *range(55, 60)])
    folder.mkdir()
    out.save(str(folder / FILING.name))
    out.close()
    src.close()
    return folder


@needs_pg
@pytest.mark.slow
def test_team_facts_give_the_figure_embedded_gives_and_only_for_complete_documents(team, library, tmp_path,
                                                                                    use_embedder, stores):
    folder = _filing_pages(tmp_path / "filing")
    a = open_stores(node(team, tmp_path / "a", library), use_embedder)
    assert ingest([folder], a).ingested == 1 and ingest([folder], stores).ingested == 1
    doc, q = FILING.stem, "What was 3M's capital expenditure in FY2018 (in USD millions)?"
    assert a.facts is not None and stores.facts is not None
    assert a.facts.count(doc) == stores.facts.count(doc) > 0
    assert a.facts.of_documents([doc]) == stores.facts.of_documents([doc])
    items = sorted({f.line_item for f in stores.facts.of_documents([doc]) if f.line_item})
    assert a.facts.find(items, [doc]) == stores.facts.find(items, [doc])
    assert a.facts.find(items, company_key="3m") == stores.facts.find(items, company_key="3m")
    for months in (12, 3):
        assert a.facts.period_ends([doc], months) == stores.facts.period_ends([doc], months)
    b = open_stores(node(team, tmp_path / "b", library), use_embedder)  # another server of the team
    want = answer_question(q, stores)
    got = answer_question(q, b)
    assert want.calculation and got.calculation == want.calculation and got.answer == want.answer
    capex = [f.value for f in stores.facts.find(["capex"], [doc]) if f.period == "FY2018"]
    assert capex and abs(capex[0]) == want.calculation["result"]  # the figure printed in the cash flow statement
    # A document being replaced, or whose catalog row has not landed, lends no figure.
    a.keywords.mark(doc, "updating")
    assert b.facts.find(items, [doc]) == [] and not answer_question(q, b).calculation
    a.keywords.mark(doc, "complete")
    assert b.facts.find(["capex"], [doc])
    a.facts.replace("not_landed", "3m", stores.facts.find(["capex"], [doc]))
    assert a.facts.count("not_landed") and b.facts.find(["capex"], ["not_landed"]) == []
    a.facts.delete("not_landed")
    delete_document(doc, b)
    assert a.facts.count() == 0 and not answer_question(q, a).calculation


# ---------------------------------------------------------------- moving a library


class _CountingEmbedder:
    """The real encoder, counting what it is asked to embed (an import must ask for nothing)."""

    def __init__(self, inner) -> None:
        self.inner, self.model_id, self.texts = inner, inner.model_id, 0

    def embed(self, texts):
        self.texts += len(texts)
        return self.inner.embed(texts)


@needs_pg
@pytest.mark.slow
def test_export_import_moves_an_embedded_library_to_the_team_without_re_embedding(team, library, tmp_path,
                                                                                   use_embedder, stores):
    write_corpus(tmp_path / "c", 4)
    (tmp_path / "c" / "ja.md").write_text("売上高は前年同期比18％増の1億6,160万ドルとなりました。", encoding="utf-8")
    ingest([tmp_path / "c"], stores)
    moved = export_library(stores, tmp_path / "lib.jsonl.gz")
    assert (moved.documents, moved.chunks) == (5, stores.keywords.count_chunks())
    counting = _CountingEmbedder(use_embedder)
    target = open_stores(node(team, tmp_path / "t", library), counting)
    got = import_library(tmp_path / "lib.jsonl.gz", target)
    assert (got.documents, got.chunks) == (moved.documents, moved.chunks) and counting.texts == 0
    assert target.keywords.chunk_ids() == stores.keywords.chunk_ids() == target.vectors.all_ids()
    for terms in (["equity programme"], ["売上高"], ["1,818", "bitcoin"]):
        assert _same(target.keywords.search(terms, 5), stores.keywords.search(terms, 5)), terms
    ids = sorted(stores.vectors.all_ids())[:5]
    assert all(np.allclose(stores.vectors.get_vectors(ids)[i], target.vectors.get_vectors(ids)[i]) for i in ids)
    assert [h.chunk_id for h in search("equity programme", target, k=5)] == \
        [h.chunk_id for h in search("equity programme", stores, k=5)]
    # Re-ingesting the same files on the team is a no-op: the catalog rows came across intact.
    assert ingest([tmp_path / "c"], target).unchanged == 5


@needs_pg
@pytest.mark.slow
def test_a_moved_library_answers_figure_questions_from_the_facts_it_carried(team, library, tmp_path, use_embedder,
                                                                           stores):
    folder = _filing_pages(tmp_path / "filing")
    assert ingest([folder], stores).ingested == 1
    doc, q = FILING.stem, "What was 3M's capital expenditure in FY2018 (in USD millions)?"
    assert stores.facts is not None and stores.facts.count(doc) > 0
    moved = export_library(stores, tmp_path / "lib.jsonl.gz")
    assert moved.facts == stores.facts.count(doc)
    counting = _CountingEmbedder(use_embedder)
    target = open_stores(node(team, tmp_path / "t", library), counting)
    got = import_library(tmp_path / "lib.jsonl.gz", target)
    assert got.facts == moved.facts and counting.texts == 0  # nothing re-read, nothing re-embedded
    assert target.facts is not None
    assert target.facts.rows(doc) == stores.facts.rows(doc)
    assert target.facts.of_documents([doc]) == stores.facts.of_documents([doc])
    assert target.facts.find(["capex"], company_key="3m") == stores.facts.find(["capex"], company_key="3m") != []
    other = open_stores(node(team, tmp_path / "b", library), use_embedder)  # another server of the team
    want, answer = answer_question(q, stores), answer_question(q, other)
    assert want.calculation and answer.calculation == want.calculation and answer.answer == want.answer
    # And back: the team's library exported into a new embedded one carries the same facts.
    target.close()
    export_library(other, tmp_path / "back.jsonl.gz")
    home = open_stores(get_settings(data_dir=tmp_path / "home"), use_embedder)
    import_library(tmp_path / "back.jsonl.gz", home)
    assert home.facts is not None and home.facts.rows(doc) == stores.facts.rows(doc)


# ---------------------------------------------------------------- the scenario, without PostgreSQL


@pytest.mark.slow
def test_two_local_catalogs_on_one_chroma_server_no_longer_delete_each_others_vectors(tmp_path, use_embedder):
    port = free_port()
    server = start_chroma_server(tmp_path / "server", port)
    try:
        a = open_stores(get_settings(data_dir=tmp_path / "a", chroma_host="127.0.0.1", chroma_port=port), use_embedder)
        b = open_stores(get_settings(data_dir=tmp_path / "b", chroma_host="127.0.0.1", chroma_port=port), use_embedder)
        write_corpus(tmp_path / "ca", 3)
        ingest([tmp_path / "ca"], a)
        write_corpus(tmp_path / "cb", 2)
        for p in (tmp_path / "cb").iterdir():
            p.rename(p.with_name("b_" + p.name))
        ingest([tmp_path / "cb"], b)  # B's catalog knows none of A's vectors: they are not its orphans
        ingest([tmp_path / "ca"], a)
        assert a.keywords.chunk_ids() <= a.vectors.all_ids() and b.keywords.chunk_ids() <= b.vectors.all_ids()
        assert a.vectors.count() == a.keywords.count_chunks() + b.keywords.count_chunks()
    finally:
        server.kill()
        server.wait()


def test_cli_export_then_import_into_another_data_directory(stores, tmp_path):
    from tests.test_cli import cli

    write_corpus(tmp_path / "c", 2)
    ingest([tmp_path / "c"], stores)
    r = cli("export", str(tmp_path / "lib.jsonl.gz"), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["documents"] == 2
    other = {"SHIFTBRIEF_DATA_DIR": str(tmp_path / "other")}
    r = cli("import", str(tmp_path / "lib.jsonl.gz"), env=other)
    assert r.returncode == 0 and "Imported 2 documents" in r.stdout, r.stderr
    moved = open_stores(get_settings(data_dir=tmp_path / "other"))
    assert moved.keywords.chunk_ids() == stores.keywords.chunk_ids() == moved.vectors.all_ids()
    r = cli("import", str(tmp_path / "missing.jsonl.gz"), env=other)
    assert r.returncode == 1 and "shiftbrief export" in r.stderr and "Traceback" not in r.stderr
    (tmp_path / "bad.jsonl.gz").write_bytes(gzip.compress(b'{"format": "something else"}\n'))
    r = cli("import", str(tmp_path / "bad.jsonl.gz"), env=other)
    assert r.returncode == 1 and "is not a shiftbrief library export" in " ".join(r.stderr.split())
    (tmp_path / "bad.jsonl.gz").write_bytes(b"not gzip")
    r = cli("import", str(tmp_path / "bad.jsonl.gz"), env=other)
    assert r.returncode == 1 and "not a readable shiftbrief library export" in " ".join(r.stderr.split())
    assert "Traceback" not in r.stderr
