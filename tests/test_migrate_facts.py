"""`shiftbrief export`/`import` carry each document's statement facts (no servers: embedded to embedded; the team
side is in tests/test_team.py)."""

from __future__ import annotations

import gzip
import json

from rag.config import get_settings
from rag.figures.facts import Fact
from rag.ingestion.pipeline import ingest
from rag.store.migrate import export_library, import_library
from rag.store.stores import open_stores
from tests.helpers import write_corpus


def _facts(doc: str, chunk: str) -> list[Fact]:
    return [
        Fact(doc_name=doc, page=3, statement="cash_flow", label="Purchases of property, plant and equipment",
             line_item="capex", period="FY2021", value=-1_234_500_000.0, unit="USD", scale=1e6, printed="(1,234.5)",
             period_end="2021-12-31", months=12, section="Investing activities", company="Example Corp",
             source="Purchases of property, plant and equipment (1,234.5) (987.6)", chunk=chunk),
        Fact(doc_name=doc, page=3, statement="balance_sheet", label="Some row no list names", line_item=None,
             period="2021-12-31", value=0.1, unit="USD", scale=1.0, printed="0.1", months=0, company="Example Corp",
             chunk=chunk),
        Fact(doc_name=doc, page=5, statement="text", label="revenue", line_item="revenue", period="FY2021",
             value=161_600_000.0, unit="USD", scale=1e6, printed="$161.6 million", months=12,
             company="Example Corp", source="Revenue rose to $161.6 million.", chunk=chunk),
    ]


def test_export_then_import_brings_back_the_same_facts(stores, tmp_path, use_embedder):
    write_corpus(tmp_path / "c", 2)
    ingest([tmp_path / "c"], stores)
    docs = sorted(d["doc_name"] for d in stores.keywords.list_documents())
    chunk = sorted(stores.keywords.chunk_ids(docs[0]))[0]
    assert stores.facts is not None
    stores.facts.replace(docs[0], "example,examplecorp", _facts(docs[0], chunk))
    stores.facts.replace(docs[1], "", [])
    moved = export_library(stores, tmp_path / "lib.jsonl.gz")
    assert moved.facts == 3

    other = open_stores(get_settings(data_dir=tmp_path / "other"), use_embedder)
    assert other.facts is not None
    got = import_library(tmp_path / "lib.jsonl.gz", other)
    assert (got.documents, got.facts) == (2, 3)
    for doc in docs:
        assert other.facts.rows(doc) == stores.facts.rows(doc)
    assert other.facts.of_documents(docs) == stores.facts.of_documents(docs)  # the table facts, in order
    assert other.facts.find(["capex", "revenue"], company_key="examplecorp") == \
        stores.facts.find(["capex", "revenue"], company_key="examplecorp") != []
    assert other.facts.period_ends(docs) == stores.facts.period_ends(docs) == {docs[0]: {"FY2021": "2021-12-31"}}
    # Importing again replaces each document whole: its facts are not doubled.
    import_library(tmp_path / "lib.jsonl.gz", other)
    assert other.facts.count() == 3


def test_a_version_1_file_imports_and_its_documents_lose_the_old_facts(stores, tmp_path, use_embedder):
    write_corpus(tmp_path / "c", 1)
    ingest([tmp_path / "c"], stores)
    doc = stores.keywords.list_documents()[0]["doc_name"]
    chunk = sorted(stores.keywords.chunk_ids(doc))[0]
    assert stores.facts is not None
    stores.facts.replace(doc, "example", _facts(doc, chunk))
    export_library(stores, tmp_path / "v2.jsonl.gz")
    with gzip.open(tmp_path / "v2.jsonl.gz", "rt", encoding="utf-8") as f:
        header, *lines = [json.loads(line) for line in f]
    with gzip.open(tmp_path / "v1.jsonl.gz", "wt", encoding="utf-8") as f:  # as an older shiftbrief wrote it
        f.write(json.dumps({**header, "version": 1}) + "\n")
        for item in lines:
            f.write(json.dumps({k: v for k, v in item.items() if k != "facts"}) + "\n")

    other = open_stores(get_settings(data_dir=tmp_path / "other"), use_embedder)
    assert other.facts is not None
    import_library(tmp_path / "v2.jsonl.gz", other)
    assert other.facts.count(doc) == 3
    got = import_library(tmp_path / "v1.jsonl.gz", other)  # the document replaced by a version without facts
    assert got.documents == 1 and got.facts == 0 and other.facts.count(doc) == 0
    assert other.keywords.chunk_ids() == stores.keywords.chunk_ids()
