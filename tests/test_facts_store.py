"""Facts stored at ingest beside the chunks: replaced and removed with their document."""

from __future__ import annotations

from pathlib import Path

from rag.figures.facts import Fact
from rag.ingestion.pipeline import delete_document, ingest
from rag.store.facts import FactStore

STATEMENTS = Path(__file__).parent / "data" / "numbers_acme.txt"


def _fact(value: float, period: str = "FY2023", item: str = "revenue") -> Fact:
    return Fact(doc_name="d", page=3, statement="income_statement", label="Net sales", line_item=item, period=period,
                value=value, unit="USD", scale=1e6, printed=f"{value / 1e6:,.0f}", period_end="2023-12-31",
                months=12, company="ACME", chunk="c1")


def test_replace_find_delete(tmp_path):
    store = FactStore(tmp_path / "index.sqlite")
    assert store.replace("d", "ACME", [_fact(5e9), _fact(4e9, "FY2022")]) == 2
    assert store.replace("d", "ACME", [_fact(6e9)]) == 1  # replaced, not added
    found = store.find(["revenue"], ["d"])
    assert [(f.value, f.period, f.chunk) for f in found] == [(6e9, "FY2023", "c1")]
    assert store.find(["revenue"], company_key="ACME") and not store.find(["revenue"], company_key="ACM")
    assert store.period_ends(["d"]) == {"d": {"FY2023": "2023-12-31"}}
    store.delete("d")
    assert store.count() == 0
    store.close()


def test_ingest_stores_facts_with_their_chunks(stores, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "ACME_2023_10K.txt").write_text(STATEMENTS.read_text())
    report = ingest([folder], stores)
    assert report.ingested == 1 and stores.facts is not None
    facts = stores.facts.find(["capex", "current_assets"], ["ACME_2023_10K"])
    capex = {f.period: f.value for f in facts if f.line_item == "capex"}
    assert capex["FY2023"] == -310e6
    chunk_ids = stores.keywords.chunk_ids("ACME_2023_10K")
    assert facts and all(f.chunk in chunk_ids for f in facts)
    n = stores.facts.count("ACME_2023_10K")
    assert ingest([folder], stores).unchanged == 1 and stores.facts.count("ACME_2023_10K") == n
    delete_document("ACME_2023_10K", stores)
    assert stores.facts.count("ACME_2023_10K") == 0


def test_one_folder_by_two_spellings_is_one_document(stores, tmp_path, monkeypatch):
    """The catalog keeps absolute sources: the same folder named relatively, from elsewhere, or absolutely is
    the same document, unchanged, and a prune run from another folder keeps it."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "ACME_2023_10K.txt").write_text(STATEMENTS.read_text())
    monkeypatch.chdir(tmp_path)
    assert ingest([Path("docs")], stores).ingested == 1
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    again = ingest([Path("../docs")], stores)
    assert (again.ingested, again.unchanged) == (0, 1)
    pruned = ingest([folder], stores, prune=True)
    assert (pruned.unchanged, pruned.pruned) == (1, [])
    docs = stores.keywords.list_documents()
    assert [d["doc_name"] for d in docs] == ["ACME_2023_10K"] and Path(docs[0]["source"]).is_absolute()
