"""The load benchmark's code on a small scale: concurrent readers during an ingest, no errors, nothing lost."""

import json

import pytest

from evals import bench_load
from tests.helpers import write_corpus


@pytest.mark.slow
def test_concurrent_readers_during_ingest(tmp_path):
    write_corpus(tmp_path / "notes", 6, paragraphs=20)
    r = bench_load.run(clients=16, requests=2, extra=[tmp_path / "notes"], out=tmp_path / "out")
    assert r["requests"] == 32 and r["errors"] == 0, r["error_kinds"]
    assert r["ingest_during_load"]["ingested"] == 6
    assert r["nothing_lost"] and r["after"]["chunks"] > r["before"]["chunks"]
    assert json.loads((tmp_path / "out" / "load.json").read_text())["clients"] == 16
