"""Team backend beside the embedded one: FinanceBench retrieval and search latency on the same library.

    python -m evals.bench_team --financebench ../shared/financebench --out evals/reports [--limit-docs N]
        [--database-url postgresql://… --chroma-host H --chroma-port P]

The PDFs are ingested once into an embedded library (SQLite + Chroma in a folder), which is exported and
imported into the team backend (PostgreSQL + a Chroma server): the same chunks and vectors on both sides,
so any difference comes from the backends. Without --database-url a throwaway PostgreSQL cluster and a
`chroma run` are started for the run. Writes team.json and team.md under --out.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from evals.bench import K, _question_sets, _score
from rag.evaluation.metrics import percentile

CONFIGS: dict[str, dict[str, Any]] = {"hybrid": {}, "keyword side only": {"vector_weight": 0.0}}


def _servers(args: argparse.Namespace, work: Path) -> tuple[str, str, int, Callable[[], None]]:
    """The team's servers: the ones given, or a throwaway PostgreSQL cluster and `chroma run`."""
    if args.database_url:
        return args.database_url, args.chroma_host, args.chroma_port, lambda: None
    from tests.helpers import free_port, start_chroma_server
    from tests.pg_server import PgServer

    pg = PgServer(free_port())
    pg.start()
    port = free_port()
    shutil.rmtree(work / "chroma-server", ignore_errors=True)  # a fresh catalog must not meet old vectors
    chroma = start_chroma_server(work / "chroma-server", port)

    def stop() -> None:
        chroma.terminate()
        chroma.wait(timeout=30)
        pg.remove()

    return pg.create_database("shiftbrief"), "127.0.0.1", port, stop


def _keyword_latency(stores, questions: list[str]) -> dict[str, float]:
    """The keyword index alone, on the terms the retriever would send it."""
    from rag.query.analyze import keyword_terms
    from rag.retrieval.hybrid import HybridRetriever

    retriever, lat = HybridRetriever(stores), []
    for q in questions:
        terms = keyword_terms(retriever.analyze(q))
        t = time.perf_counter()
        stores.keywords.search(terms, 90)
        lat.append((time.perf_counter() - t) * 1000)
    return {"p50_ms": round(percentile(lat, 50), 1), "p95_ms": round(percentile(lat, 95), 1)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    from rag.config import get_settings
    from rag.ingestion.pipeline import ingest
    from rag.retrieval.hybrid import HybridRetriever, RetrievalConfig
    from rag.store.embeddings import UseEmbedder
    from rag.store.migrate import export_library, import_library
    from rag.store.stores import open_stores

    fb, work = args.financebench, args.work
    pdfs = sorted((fb / "pdfs").glob("*.pdf"))[: args.limit_docs or None]
    if not pdfs:
        raise SystemExit(f"No PDFs under {fb / 'pdfs'}; pass --financebench DIR")
    shutil.rmtree(work / "team", ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    embedder = UseEmbedder(threads=2)
    embedded = open_stores(get_settings(data_dir=work / "embedded"), embedder)
    t = time.perf_counter()
    report = ingest(pdfs, embedded, lock_wait=60)
    result: dict[str, Any] = {"corpus": {"pdfs": len(pdfs), "chunks": embedded.keywords.count_chunks()},
                              "ingest_s": round(time.perf_counter() - t, 1), "failed": report.failed}
    url, host, port, stop = _servers(args, work)
    try:
        team = open_stores(get_settings(data_dir=work / "team", database_url=url, chroma_host=host,
                                        chroma_port=port, library=args.library), embedder)
        t = time.perf_counter()
        export_library(embedded, work / "library.jsonl.gz")
        moved = import_library(work / "library.jsonl.gz", team)
        result["move"] = {"documents": moved.documents, "chunks": moved.chunks, "s": round(time.perf_counter() - t, 1)}
        items, _ = _question_sets(fb, {p.stem for p in pdfs}, args.limit_questions)
        result["questions"] = len(items)
        print(f"[bench_team] {len(pdfs)} PDFs, {len(items)} questions", file=sys.stderr, flush=True)
        result["retrieval"], result["latency"] = {}, {}
        for backend, stores in (("embedded", embedded), ("team", team)):
            stores.keywords.search(["warm", "up"], 5)
            for label, change in CONFIGS.items():
                retriever = HybridRetriever(stores, replace(RetrievalConfig(), **change))
                retriever.search("warm up", k=K)
                metrics, lat, _ = _score(lambda q: [(h.doc_name, h.page) for h in retriever.search(q, k=K)], items)
                result["retrieval"][f"{backend}: {label}"] = metrics
                result["latency"][f"{backend}: {label}"] = {"p50_ms": round(percentile(lat, 50), 1),
                                                            "p95_ms": round(percentile(lat, 95), 1)}
            result["latency"][f"{backend}: keyword index alone"] = _keyword_latency(stores, [q.question for q in items])
        e, tm = result["retrieval"]["embedded: hybrid"], result["retrieval"]["team: hybrid"]
        result["hit@5 gap"] = round(abs(e["page_hit@5"] - tm["page_hit@5"]), 4) if items else None
    finally:
        stop()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "team.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (args.out / "team.md").write_text(render_markdown(result))
    return result


def render_markdown(r: dict[str, Any]) -> str:
    lines = [
        "# Team backend beside the embedded one (FinanceBench)",
        "",
        f"{r['corpus']['pdfs']} PDFs, {r['corpus']['chunks']} chunks, {r['questions']} questions. The same chunks "
        f"and vectors on both sides (moved by export/import in {r['move']['s']} s, no re-embedding).",
        "",
        "| backend: retrieval | page hit@1 | page hit@5 | page hit@10 | doc hit@5 | MRR@10 | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, m in r["retrieval"].items():
        lat = r["latency"][name]
        lines.append(f"| {name} | {m['page_hit@1']} | {m['page_hit@5']} | {m['page_hit@10']} | {m['doc_hit@5']} | "
                     f"{m['mrr@10']} | {lat['p50_ms']} | {lat['p95_ms']} |")
    lines += ["", "| keyword index alone | p50 ms | p95 ms |", "|---|---|---|"]
    for name, lat in r["latency"].items():
        if name.endswith("keyword index alone"):
            lines.append(f"| {name.split(':')[0]} | {lat['p50_ms']} | {lat['p95_ms']} |")
    lines += ["", f"page hit@5 gap (hybrid): {r['hit@5 gap']}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--financebench", type=Path, default=Path("../shared/financebench"))
    p.add_argument("--out", type=Path, default=Path("evals/reports"))
    p.add_argument("--work", type=Path, default=Path("evals/reports/bench-data/team"))
    p.add_argument("--limit-docs", type=int, default=None)
    p.add_argument("--limit-questions", type=int, default=None)
    p.add_argument("--database-url", default=None, help="a PostgreSQL to use instead of a throwaway cluster")
    p.add_argument("--chroma-host", default="127.0.0.1")
    p.add_argument("--chroma-port", type=int, default=8000)
    p.add_argument("--library", default="bench")
    r = run(p.parse_args(argv))
    print(render_markdown(r))


if __name__ == "__main__":
    main()
