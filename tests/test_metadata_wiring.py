"""Metadata from content, wired into ingestion: precedence with sources, aliases that route, corrections that stay."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rag.errors import DocumentNotFoundError, ShiftbriefError
from rag.ingestion.loaders import load_document
from rag.ingestion.overrides import stored_sources
from rag.ingestion.pipeline import ingest
from rag.ingestion.tagging import tag_document
from rag.query.companies import build_alias_table
from rag.retrieval.hybrid import HybridRetriever
from tests.conftest import FINANCEBENCH

PDFS = FINANCEBENCH / "pdfs"

NIKE_COVER = """UNITED STATES
SECURITIES AND EXCHANGE COMMISSION
Washington, D.C. 20549

FORM 10-K

ANNUAL REPORT PURSUANT TO SECTION 13 OR 15(D) OF THE SECURITIES EXCHANGE ACT OF 1934
FOR THE FISCAL YEAR ENDED MAY 31, 2019

Commission File No. 1-10635

NIKE, Inc.
(Exact name of Registrant as specified in its charter)

Securities registered pursuant to Section 12(b) of the Act:
Class B Common Stock NKE New York Stock Exchange

Revenues grew 7% to $39.1 billion in fiscal 2019, driven by footwear and apparel sales in every region.
"""

# A registrant no curated list knows: only its own cover can teach the index its ticker and former name.
QUILLON_COVER = """UNITED STATES
SECURITIES AND EXCHANGE COMMISSION
Washington, D.C. 20549

FORM 10-Q

QUARTERLY REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIES EXCHANGE ACT OF 1934
For the quarterly period ended September 30, 2023

Commission File Number 001-40001

QUILLON ROBOTICS, INC.
(Exact name of registrant as specified in its charter)

200 Pier Road, Oakland, California 94607
(510) 555-0100
(Registrant's telephone number, including area code)

Harbor Drone Works Inc.
(Former name, former address and former fiscal year, if changed since last report)

Title of each class Trading Symbol Name of each exchange on which registered
Class A Common Stock QLRB The Nasdaq Stock Market LLC

Quarterly revenue rose to $12.4 million as warehouse robot deliveries doubled.
"""


def _sources(doc) -> dict[str, str]:
    return json.loads(doc.extra["meta_sources"])


# --- precedence, through the loader --------------------------------------------------------------


def test_content_beats_the_file_name_and_the_user_beats_both(tmp_path):
    path = tmp_path / "ACME_2021_10Q.md"  # the name claims another company, year and form
    path.write_text(NIKE_COVER, encoding="utf-8")
    doc = load_document(path)
    assert (doc.company, doc.period, doc.doc_type) == ("NIKE Inc.", "2019", "10k")
    assert _sources(doc)["company"] == _sources(doc)["period"] == "cover page p.1"
    assert doc.extra["tickers"] == "NKE" and "NIKE, Inc." in doc.extra["aliases"].split("; ")

    path.write_text("---\ncompany: Nike Retail Services\n---\n" + NIKE_COVER, encoding="utf-8")
    doc = load_document(path)
    assert doc.company == "Nike Retail Services" and _sources(doc)["company"] == "front matter"
    assert doc.period == "2019"  # front matter said nothing of the period: the cover still says it

    (tmp_path / "ACME_2021_10Q.meta.json").write_text('{"company": "Nike EMEA", "doc_type": "10-K/A"}')
    doc = load_document(path)
    assert (doc.company, doc.doc_type) == ("Nike EMEA", "10k")
    assert _sources(doc)["company"] == "sidecar"

    doc = load_document(path, overrides={"company": "Converse Inc.", "period": "2020"})
    assert (doc.company, doc.period) == ("Converse Inc.", "2020") and _sources(doc)["period"] == "tag"
    own = json.loads(doc.extra["meta_read"])
    assert own["company"] == ["Nike EMEA", "sidecar"] and own["period"] == ["2019", "cover page p.1"]


def test_the_file_name_fills_what_the_content_leaves_out(tmp_path):
    path = tmp_path / "WALMART_2020_10K.md"
    path.write_text("Walmart opened 150 stores.\n\nEach store sells groceries.\n", encoding="utf-8")
    doc = load_document(path)
    assert (doc.period, doc.doc_type) == ("2020", "10k")
    assert _sources(doc)["period"] == _sources(doc)["doc_type"] == "file name"
    assert _sources(doc)["company"] != "file name"  # the text names Walmart itself (the alias table)


# --- aliases from content route questions -------------------------------------------------------------


def test_alias_table_takes_a_documents_own_names_but_not_word_like_tickers():
    rows = [{"doc_name": "filing-1", "company": "QUILLON ROBOTICS INC.", "company_key": "QUILLONROBOTICS",
             "aliases": "QUILLON ROBOTICS, INC.; Harbor Drone Works Inc.; QLRB; ON"},
            {"doc_name": "news-1", "company": "Riot Platforms", "company_key": "MARA,RIOT", "aliases": "Hut 8"}]
    table = build_alias_table(rows)
    key = next(k for k in table if "QUILLON" in k)
    assert {"Harbor Drone Works Inc.", "QLRB"} <= set(table[key])
    assert "ON" not in table[key]  # a two-letter ticker would route every question with the word 'on'
    assert not any("Hut 8" in v for v in table.values())  # whose alias, in a note about two companies?


def test_aliases_from_content_route_questions_without_file_name_help(stores, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "nke-20190531.md").write_text(NIKE_COVER, encoding="utf-8")
    (folder / "filing-7c1e.md").write_text(QUILLON_COVER, encoding="utf-8")
    (folder / "walmart-note.md").write_text("Walmart said grocery sales rose.\n\nWalmart also cut prices.\n",
                                            encoding="utf-8")
    assert ingest([folder], stores).ingested == 3
    docs = {d["doc_name"]: d for d in stores.keywords.list_documents()}
    assert docs["nke-20190531"]["company_key"] == "NIKE"
    quillon = docs["filing-7c1e"]["company_key"]
    assert (docs["filing-7c1e"]["period"], docs["filing-7c1e"]["doc_type"]) == ("2023Q3", "10q")
    assert stored_sources(docs["filing-7c1e"])["company"] == "cover page p.1"

    retriever = HybridRetriever(stores)
    assert retriever.analyze("What were Nike's revenues in fiscal 2019?").companies == ["NIKE"]
    assert retriever.analyze("ナイキの2019年度の売上高は？").companies == ["NIKE"]
    # The ticker and the former name are known only from the filing's own cover.
    assert retriever.analyze("How much revenue did QLRB report?").companies == [quillon]
    assert retriever.analyze("What did Harbor Drone Works deliver?").companies == [quillon]
    hits = retriever.search("How much revenue did QLRB report?", k=3)
    assert hits and hits[0].doc_name == "filing-7c1e"


# --- corrections: shown, kept, undone -----------------------------------------------------------------


def _chroma_rows(stores, doc_name: str) -> dict:
    return stores.vectors.collection.get(where={"doc_name": doc_name}, include=["metadatas", "embeddings"])


def test_tag_changes_metadata_everywhere_without_re_embedding_and_survives_re_ingest(stores, tmp_path):
    path = tmp_path / "nke-20190531.md"
    path.write_text(NIKE_COVER, encoding="utf-8")
    ingest([path], stores)
    before = _chroma_rows(stores, "nke-20190531")

    row = tag_document(stores, "nke-20190531", company="Converse, Inc.", period="FY2020", doc_type="10-Q")
    assert (row["company"], row["period"], row["doc_type"]) == ("Converse Inc.", "2020", "10q")
    assert row["company_key"] == "CONVERSE"
    assert {stored_sources(row)[f] for f in ("company", "period", "doc_type")} == {"tag"}
    after = _chroma_rows(stores, "nke-20190531")
    assert after["ids"] == before["ids"] and (after["embeddings"] == before["embeddings"]).all()  # vectors kept
    assert {(m["company"], m["period"], m["doc_type"], m["company_key"]) for m in after["metadatas"]} == \
        {("Converse Inc.", "2020", "10q", "CONVERSE")}
    chunks = stores.keywords.get_chunks(sorted(stores.keywords.chunk_ids("nke-20190531")))
    assert {c["metadata"]["company"] for c in chunks.values()} == {"Converse Inc."}
    assert HybridRetriever(stores).analyze("What did Converse earn?").companies == ["CONVERSE"]

    path.write_text(NIKE_COVER + "\nFootwear revenue rose 8%.\n", encoding="utf-8")  # the file changes
    report = ingest([path], stores)
    assert report.ingested == 1
    row = stores.keywords.get_document("nke-20190531")
    assert (row["company"], row["period"], row["doc_type"]) == ("Converse Inc.", "2020", "10q")
    assert stored_sources(row)["company"] == "tag"

    row = tag_document(stores, "nke-20190531", company="", period="")  # take two corrections back
    assert (row["company"], row["period"], row["doc_type"]) == ("NIKE Inc.", "2019", "10q")
    assert stored_sources(row)["company"] == "cover page p.1" and stored_sources(row)["doc_type"] == "tag"
    assert row["company_key"] == "NIKE"
    row = tag_document(stores, "nke-20190531", doc_type="")
    assert row["doc_type"] == "10k" and not row.get("overrides")


def test_tag_refuses_unknown_documents_and_impossible_values(stores, tmp_path):
    path = tmp_path / "nke-20190531.md"
    path.write_text(NIKE_COVER, encoding="utf-8")
    ingest([path], stores)
    with pytest.raises(DocumentNotFoundError, match="did you mean nke-20190531"):
        tag_document(stores, "nke", company="Nike")
    with pytest.raises(ShiftbriefError, match="not a period; write a fiscal year"):
        tag_document(stores, "nke-20190531", period="last year")
    with pytest.raises(ShiftbriefError, match="Nothing to change"):
        tag_document(stores, "nke-20190531")
    assert stores.keywords.get_document("nke-20190531")["period"] == "2019"


# --- a real filing under an opaque name ---------------------------------------------------------------


def _opaque_copy(name: str, tmp_path: Path) -> Path:
    source = PDFS / f"{name}.pdf"
    if not source.is_file():
        pytest.skip(f"{source} is absent (FinanceBench lives in ../shared/financebench)")
    target = tmp_path / "filing-5e0c1d2a.pdf"
    shutil.copy(source, target)
    return target


def test_real_10k_under_an_opaque_name_gets_company_type_and_year(tmp_path):
    doc = load_document(_opaque_copy("NIKE_2019_10K", tmp_path))
    assert (doc.company, doc.period, doc.doc_type) == ("NIKE Inc.", "2019", "10k")
    assert _sources(doc)["company"].startswith("cover page") and "NKE" in doc.extra["tickers"]


def test_real_8k_ingested_under_an_opaque_name_is_routed_to_its_company(stores, tmp_path):
    path = _opaque_copy("FOOTLOCKER_2022_8K_dated-2022-05-20", tmp_path)
    assert ingest([path], stores).ingested == 1
    row = stores.keywords.get_document("filing-5e0c1d2a")
    assert (row["company_key"], row["doc_type"], row["period"]) == ("FOOTLOCKER", "8k", "2022")
    assert HybridRetriever(stores).analyze("What did Foot Locker announce?").companies == ["FOOTLOCKER"]


# --- the command line ---------------------------------------------------------------------------------


def test_cli_docs_shows_sources_and_tag_corrects(tmp_path):
    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, timeout=300,
                              env={**os.environ, "COLUMNS": "200"})

    path = tmp_path / "nke-20190531.md"
    path.write_text(NIKE_COVER, encoding="utf-8")
    assert cli("ingest", str(path)).returncode == 0
    shown = cli("docs").stdout
    assert "NIKE Inc." in shown and "(cover page p.1)" in shown
    r = cli("tag", "nke-20190531", "--company", "Converse", "--type", "10-Q")
    assert r.returncode == 0, r.stderr
    assert "company Converse" in r.stdout and "type 10q" in r.stdout
    shown = cli("docs").stdout
    assert "Converse" in shown and "(tag)" in shown and "(cover page p.1)" in shown  # the period is still read
    r = cli("tag", "nke-20190531", "--period", "soon")
    assert r.returncode == 1 and "not a period" in r.stderr and "Traceback" not in r.stderr
    r = cli("tag", "nope", "--company", "X")
    assert r.returncode == 1 and "No document named 'nope'" in r.stderr


# --- the benchmark's opaque run -----------------------------------------------------------------------


def test_bench_opaque_names_hide_the_company_and_map_back(tmp_path):
    from evals.bench import link_opaque, metadata_agreement

    pdfs = []
    for stem in ("NIKE_2019_10K", "AMCOR_2023Q2_10Q"):
        (tmp_path / f"{stem}.pdf").write_bytes(b"%PDF-1.4\n")
        pdfs.append(tmp_path / f"{stem}.pdf")
    names = link_opaque(pdfs, tmp_path / "opaque")
    assert sorted(names.values()) == ["AMCOR_2023Q2_10Q", "NIKE_2019_10K"]
    assert all(n.startswith("filing-") and "NIKE" not in n.upper() and "AMCOR" not in n.upper() for n in names)
    # real files, not links: ingest refuses a link out of the folder it is given
    assert all(not (tmp_path / "opaque" / f"{n}.pdf").is_symlink()
               and (tmp_path / "opaque" / f"{n}.pdf").read_bytes() == (tmp_path / f"{s}.pdf").read_bytes()
               for n, s in names.items())
    assert link_opaque(pdfs, tmp_path / "opaque") == names  # stable across runs
    named = [{"doc_name": "NIKE_2019_10K", "company_key": "NIKE", "period": "2019", "doc_type": "10k"},
             {"doc_name": "AMCOR_2023Q2_10Q", "company_key": "AMCOR", "period": "2023Q2", "doc_type": "10q"}]
    back = {s: n for n, s in names.items()}
    opaque = [{**named[0], "doc_name": back["NIKE_2019_10K"]},
              {**named[1], "doc_name": back["AMCOR_2023Q2_10Q"], "period": "2023"}]
    assert metadata_agreement(named, opaque, names) == {"company_key": 1.0, "period": 0.5, "doc_type": 1.0}


def test_a_pdf_title_naming_another_form_gives_way_to_the_cover():
    from rag.ingestion.loaders import title_names_another_form

    assert title_names_another_form("Nike 2023 Proxy", "10k")
    assert title_names_another_form("Form 10-Q, Q2 2023", "10k")
    assert not title_names_another_form("Annual Report 2023", "10k")
    assert not title_names_another_form("Annual Report 2023", "20f")
    assert not title_names_another_form("NIKE, Inc. 10-K", "10k")
    assert not title_names_another_form("Just Do It", "10k")  # names no form: kept


def test_real_10k_whose_pdf_title_says_proxy_is_titled_from_its_cover(tmp_path):
    doc = load_document(_opaque_copy("NIKE_2023_10K", tmp_path))
    assert doc.doc_type == "10k"
    assert "proxy" not in doc.title.lower() and "10-K" in doc.title and "NIKE" in doc.title.upper()
