"""Load: concurrent readers (search and extractive ask) against one index while an ingest runs.

    python -m evals.bench_load [--clients 16] [--requests 20] [--financebench DIR] [--out evals/reports]

Readers share one set of stores, as the app's sessions do; the ingest runs in a thread of the same
process on the same stores. Reports errors, p50/p95 latency and the chunk counts before and after,
checked against a clean ingest of the same files.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rag.answers.answer import answer_question
from rag.config import get_settings
from rag.evaluation.metrics import percentile
from rag.evaluation.sets import load_questions
from rag.ingestion.pipeline import ingest
from rag.retrieval.hybrid import HybridRetriever
from rag.store.embeddings import UseEmbedder
from rag.store.stores import Stores, open_stores

REPO = Path(__file__).resolve().parents[1]


def readers(stores: Stores, questions: list[str], clients: int, requests: int,
            until: Callable[[], bool] | None = None) -> tuple[dict[str, list[float]], Counter[str]]:
    """`clients` threads on the same stores, as the app's sessions are, alternating search and extractive ask.

    Each makes `requests` requests, or with `until`, goes on until it returns True (`requests` at least).
    Returns the latencies (ms) per kind and the errors by kind; an error is counted and the load goes on.
    """
    retriever = HybridRetriever(stores)
    latencies: dict[str, list[float]] = {"search": [], "ask": []}
    errors: Counter[str] = Counter()
    lock = threading.Lock()

    def client(cid: int) -> None:
        i = 0
        while i < requests or (until is not None and not until()):
            q = questions[(cid * requests + i) % len(questions)]
            kind = "ask" if i % 2 else "search"
            i += 1
            t = time.perf_counter()
            try:
                if kind == "search":
                    retriever.search(q, k=10)
                else:
                    answer_question(q, stores)
            except Exception as exc:  # counted, and the load goes on
                with lock:
                    errors[f"{kind}: {type(exc).__name__}: {exc}"[:200]] += 1
                continue
            with lock:
                latencies[kind].append((time.perf_counter() - t) * 1000)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client, range(clients)))
    return latencies, errors


def run(clients: int, requests: int, extra: list[Path], out: Path) -> dict:
    questions = [q.question for q in load_questions(REPO / "evals" / "questions.jsonl")]
    embedder = UseEmbedder(threads=2)
    with tempfile.TemporaryDirectory() as tmp:
        stores = open_stores(get_settings(data_dir=Path(tmp) / "live"), embedder)
        ingest([REPO / "corpus"], stores)
        before = {"vectors": stores.vectors.count(), "chunks": stores.keywords.count_chunks()}
        ingest_result: dict = {}

        def background_ingest() -> None:
            t = time.perf_counter()
            report = ingest(extra, stores, lock_wait=600)
            ingest_result.update(ingested=report.ingested, chunks=report.chunks, failed=len(report.failed),
                                 seconds=round(time.perf_counter() - t, 1))

        ingester = threading.Thread(target=background_ingest)
        started = time.perf_counter()
        ingester.start()
        latencies, errors = readers(stores, questions, clients, requests)
        readers_s = time.perf_counter() - started
        ingester.join()
        after = {"vectors": stores.vectors.count(), "chunks": stores.keywords.count_chunks()}
        consistent = stores.vectors.all_ids() == stores.keywords.chunk_ids()
        clean = open_stores(get_settings(data_dir=Path(tmp) / "clean"), embedder)
        ingest([REPO / "corpus", *extra], clean)
        expected = clean.keywords.count_chunks()
        stores.close()
        clean.close()
    total = sum(len(v) for v in latencies.values()) + sum(errors.values())
    result = {
        "clients": clients, "requests_per_client": requests, "requests": total,
        "errors": sum(errors.values()), "error_kinds": dict(errors), "readers_wall_s": round(readers_s, 1),
        "throughput_rps": round(total / readers_s, 2),
        "latency_ms": {k: {"n": len(v), "p50": round(percentile(v, 50), 1), "p95": round(percentile(v, 95), 1)}
                       for k, v in latencies.items()},
        "ingest_during_load": ingest_result, "before": before, "after": after,
        "clean_ingest_chunks": expected, "nothing_lost": after["chunks"] == after["vectors"] == expected and consistent,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "load.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "load.md").write_text(render(result))
    return result


def render(r: dict) -> str:
    lat = r["latency_ms"]
    ing = r["ingest_during_load"]
    return "\n".join([
        "# Load: concurrent readers during an ingest", "",
        f"{r['clients']} concurrent clients × {r['requests_per_client']} requests (search and extractive ask "
        f"alternating) = {r['requests']} requests against one index, while an ingest of "
        f"{ing.get('ingested')} files ({ing.get('chunks')} chunks, {ing.get('seconds')} s) ran on the same stores.", "",
        "| | requests | p50 ms | p95 ms |", "|---|---|---|---|",
        *(f"| {k} | {v['n']} | {v['p50']} | {v['p95']} |" for k, v in lat.items()), "",
        f"Errors: {r['errors']}. Throughput {r['throughput_rps']} requests/s over {r['readers_wall_s']} s.", "",
        f"Chunks before {r['before']['chunks']}, after {r['after']['chunks']} (vectors {r['after']['vectors']}); a "
        f"clean ingest of the same files gives {r['clean_ingest_chunks']}: nothing lost = {r['nothing_lost']}.", "",
    ])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m evals.bench_load", description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--financebench", type=Path, default=None, help="ingest 3 of its PDFs during the load")
    ap.add_argument("--out", type=Path, default=REPO / "evals" / "reports")
    a = ap.parse_args(argv)
    if a.financebench and (a.financebench / "pdfs").is_dir():
        extra = sorted((a.financebench / "pdfs").glob("*.pdf"))[:3]
    else:
        extra = []
    if not extra:
        print("no --financebench: ingesting generated notes during the load", file=sys.stderr)
        from tests.helpers import write_corpus

        extra = [Path(tempfile.mkdtemp()) / "notes"]
        write_corpus(extra[0], 40, paragraphs=40)
    r = run(a.clients, a.requests, extra, a.out)
    print(render(r))
    if r["errors"] or not r["nothing_lost"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
