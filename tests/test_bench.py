"""The benchmark harness on a few FinanceBench PDFs, so its code stays tested in CI."""

from __future__ import annotations

import json

import pytest

from evals import bench
from tests.conftest import FINANCEBENCH

pytestmark = pytest.mark.skipif(not (FINANCEBENCH / "pdfs").is_dir(),
                                reason=f"FinanceBench is not at {FINANCEBENCH}")


@pytest.mark.slow
def test_bench_on_two_pdfs_writes_reports(tmp_path):
    out = tmp_path / "reports"
    result = bench.run(FINANCEBENCH, out, tmp_path / "work", limit_docs=2, limit_questions=None)
    data = json.loads((out / "retrieval.json").read_text())
    assert data["corpus"]["pdfs"] == 2
    assert data["questions"] == result["questions"] > 0
    ours, ref = data["ingest"]["shiftbrief"], data["ingest"]["reference"]
    assert ours["pages"] == ref["pages"] > 100
    assert ours["chunks"] > 0 and ours["peak_rss_mib"] > 0
    lent = data["ingest"]["reference + encoder workers"]
    assert (lent["pages"], lent["chunks"]) == (ref["pages"], ref["chunks"])  # same recipe, other encoder driver
    assert data["reingest"]["embedded"] == 0 and data["reingest"]["unchanged"] == 2
    for name in ("shiftbrief", "reference"):
        m = data["retrieval"][name]
        assert 0 <= m["page_hit@1"] <= m["page_hit@5"] <= m["page_hit@10"] <= 1
        assert data["latency"][name]["p50_ms"] > 0
    md = (out / "retrieval.md").read_text()
    assert "| shiftbrief |" in md and "| reference |" in md and "| reference + encoder workers |" in md
