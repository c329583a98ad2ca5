"""Team backend beside the embedded one: retrieval, parallel ingest, and readers on two app servers during an ingest.

    python -m evals.bench_team --financebench ../shared/financebench --out evals/reports [--limit N]
        [--database-url postgresql://… --chroma-host H --chroma-port P] [--skip-workers] [--skip-load]
        [--workers-limit N] [--load-docs N] [--reuse-embedded]

1. Retrieval: the PDFs are ingested once into an embedded library (SQLite + Chroma in a folder), which is
   exported and imported into the team backend (PostgreSQL + a Chroma server): the same chunks and vectors
   on both sides, so any difference in FinanceBench page hit@k, MRR or search latency comes from the backends.
   The hybrid runs' vector searches are then replayed on both collections and checked against an exact search
   over the stored vectors (recall of the exact nearest, lists equal): an approximate HNSW search is where the
   two backends can part (rag/store/vectors.py, SEARCH_EF).
2. Ingest workers: the same PDFs ingested into a fresh team library by one `shiftbrief ingest` process, then
   into another by two at once (each its own data directory, so its own embedding cache; the same PostgreSQL
   and Chroma server). Both must land exactly the embedded library's chunks. Four ingests of all 74 filings do
   not fit a short run: `--workers-limit N` runs this part (and `--load-docs N` the next) on the first N PDFs,
   the retrieval part staying on all of them; the report says so.
3. Load: two app-server processes, each 16 reader threads on its own stores doing what the app does per
   question (hybrid search, extractive answer; evals/bench_load.readers), while a third process ingests the
   PDFs into the library they read. Counts errors; the library must end with exactly the chunks of a clean
   ingest (corpus/ plus the embedded library's chunks of those PDFs), vectors and catalog agreeing.

Without --database-url a throwaway PostgreSQL cluster and a `chroma run` are started for the run; with one,
the libraries `<library>_one`, `_two` and `_load` must not exist yet. Writes team.json and team.md under --out.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from evals.bench import K, _question_sets, _score
from rag.evaluation.metrics import percentile

REPO = Path(__file__).resolve().parents[1]
CONFIGS: dict[str, dict[str, Any]] = {"hybrid": {}, "keyword side only": {"vector_weight": 0.0},
                                      "vector side only": {"keyword_weight": 0.0}}


@dataclass
class Servers:
    """Where the team's PostgreSQL and Chroma server are, and how to stop them (when the bench started them)."""

    url: str
    host: str
    port: int
    stop: Callable[[], None]

    def settings(self, data_dir: Path, library: str) -> dict[str, Any]:
        """A node's settings (get_settings keywords): its own data directory, the team's servers and library."""
        return {"data_dir": data_dir, "database_url": self.url, "chroma_host": self.host, "chroma_port": self.port,
                "library": library, "llm_mode": "extractive"}

    def env(self, data_dir: Path, library: str) -> dict[str, str]:
        """The same, as the environment of a `shiftbrief` process."""
        return {**os.environ, "SHIFTBRIEF_DATA_DIR": str(data_dir), "SHIFTBRIEF_DATABASE_URL": self.url,
                "CHROMA_HOST": self.host, "CHROMA_PORT": str(self.port), "SHIFTBRIEF_LIBRARY": library,
                "SHIFTBRIEF_LLM": "extractive"}


def _servers(args: argparse.Namespace, work: Path) -> Servers:
    """The team's servers: the ones given, or a throwaway PostgreSQL cluster and `chroma run`."""
    if args.database_url:
        return Servers(args.database_url, args.chroma_host, args.chroma_port, lambda: None)
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

    return Servers(pg.create_database("shiftbrief"), "127.0.0.1", port, stop)


@contextmanager
def _bar(what: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr; yields a function that sets how many of `total` are done."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True)) as progress:
        task = progress.add_task(what, total=total)
        yield lambda done: progress.update(task, completed=done)


def _ms(lat: list[float]) -> dict[str, float]:
    return {"n": len(lat), "p50_ms": round(percentile(lat, 50), 1), "p95_ms": round(percentile(lat, 95), 1)}


def _keyword_latency(stores, questions: list[str]) -> dict[str, float]:
    """The keyword index alone, on the terms the retriever would send it."""
    from rag.query.vocabulary import keyword_terms
    from rag.retrieval.hybrid import HybridRetriever

    retriever, lat = HybridRetriever(stores), []
    for q in questions:
        terms = keyword_terms(retriever.analyze(q))
        t = time.perf_counter()
        stores.keywords.search(terms, 90)
        lat.append((time.perf_counter() - t) * 1000)
    return _ms(lat)


def _recording(stores) -> list[tuple[Any, int, list[str] | None]]:
    """Record the vector searches the retriever of these stores makes (query vector, n, documents), to replay."""
    calls: list[tuple[Any, int, list[str] | None]] = []
    query = stores.vectors.query

    def recorded(vector, n, doc_names=None):
        calls.append((vector, n, None if doc_names is None else list(doc_names)))
        return query(vector, n, doc_names)

    stores.vectors.query = recorded
    return calls


def _vector_check(embedded, team, calls) -> dict[str, Any]:
    """The retriever's vector searches replayed on both backends' collections, against an exact search over the
    stored vectors: recall of the exact nearest, lists equal to the exact one, lists equal across the backends."""
    import numpy as np

    ids = sorted(embedded.vectors.all_ids())
    stored = embedded.vectors.get_vectors(ids)
    unit = np.vstack([stored[i] for i in ids])
    unit /= np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-12)
    names = embedded.vectors.doc_names(ids)
    docs = np.array([names[i] for i in ids])
    out: dict[str, Any] = {"searches": len(calls)}
    got: dict[str, list[list[str]]] = {}
    for backend, stores in (("embedded", embedded), ("team", team)):
        recall, exact_lists, lists = [], 0, []
        for vector, n, doc_names in calls:
            dist = 1.0 - unit @ (vector / max(float(np.linalg.norm(vector)), 1e-12))
            keep = np.arange(len(ids)) if doc_names is None else np.flatnonzero(np.isin(docs, doc_names))
            want = sorted(keep, key=lambda i: (round(float(dist[i]), 6), ids[i]))[:n]
            want_ids = [ids[i] for i in want]
            hits = [c for c, _ in stores.vectors.query(vector, n, doc_names)]
            recall.append(len(set(hits) & set(want_ids)) / max(len(want_ids), 1))
            exact_lists += hits == want_ids
            lists.append(hits)
        got[backend] = lists
        out[backend] = {"recall_of_exact": round(float(np.mean(recall)), 4) if recall else None,
                        "min_recall": round(float(np.min(recall)), 4) if recall else None,
                        "exact_lists": exact_lists}
    out["same_lists"] = sum(a == b for a, b in zip(got["embedded"], got["team"]))
    return out


def _retrieval(embedded, team, items) -> dict[str, Any]:
    """Page hit@k, MRR and search latency of each backend, on the same questions in the same run."""
    from rag.retrieval.hybrid import HybridRetriever, RetrievalConfig

    out: dict[str, Any] = {"retrieval": {}, "latency": {}}
    calls: list[tuple[Any, int, list[str] | None]] = []
    with _bar("retrieval", 2 * len(CONFIGS)) as update:
        for backend, stores in (("embedded", embedded), ("team", team)):
            stores.keywords.search(["warm", "up"], 5)
            for label, change in CONFIGS.items():
                retriever = HybridRetriever(stores, replace(RetrievalConfig(), **change))
                retriever.search("warm up", k=K)
                if backend == "embedded" and label == "hybrid":
                    calls = _recording(stores)
                metrics, lat, _ = _score(lambda q: [(h.doc_name, h.page) for h in retriever.search(q, k=K)], items)
                if "query" in vars(stores.vectors):
                    del stores.vectors.query  # recorded once: the hybrid searches' vector queries
                out["retrieval"][f"{backend}: {label}"] = metrics
                out["latency"][f"{backend}: {label}"] = _ms(lat)
                update(len(out["retrieval"]))
            out["latency"][f"{backend}: keyword index alone"] = _keyword_latency(stores, [q.question for q in items])
    out["vector search"] = _vector_check(embedded, team, calls)
    e, tm = out["retrieval"]["embedded: hybrid"], out["retrieval"]["team: hybrid"]
    out["hit@5 gap"] = round(abs(e["page_hit@5"] - tm["page_hit@5"]), 4) if items else None
    return out


def _fresh(servers: Servers, library: str, model_id: str):
    """The catalog of a library that must hold nothing yet (a run against given servers must not reuse one)."""
    from rag.store.postgres import PostgresCatalog

    catalog = PostgresCatalog(servers.url, library, model_id)
    if catalog.list_documents():
        raise SystemExit(f"{catalog.where} already holds documents; pass another --library")
    return catalog


def _ingest_procs(servers: Servers, library: str, pdfs: list[Path], nodes: list[Path], catalog,
                  what: str) -> tuple[float, list[dict[str, Any]]]:
    """`shiftbrief ingest` of the same PDFs by one process per node, all at once (each claims a file just before
    parsing it, so they share the folder file by file); the wall time and each one's report."""
    procs = []
    started = time.perf_counter()
    for node in nodes:
        shutil.rmtree(node, ignore_errors=True)  # a node's own, empty cache
        node.mkdir(parents=True)
        with (node / "ingest.out").open("w") as out, (node / "ingest.err").open("w") as err:
            procs.append(subprocess.Popen([sys.executable, "-m", "rag.cli", "ingest", *map(str, pdfs), "--json"],
                                          env=servers.env(node, library), stdout=out, stderr=err, cwd=REPO))
    names = {p.stem for p in pdfs}

    def landed() -> int:  # of these PDFs (the library may hold others)
        return sum(d["status"] == "complete" and d["doc_name"] in names for d in catalog.list_documents())

    with _bar(what, len(pdfs)) as update:
        while any(p.poll() is None for p in procs):
            update(landed())
            time.sleep(2)
        update(landed())
    wall = time.perf_counter() - started
    reports = []
    for node, proc in zip(nodes, procs):
        if proc.returncode != 0:
            err = (node / "ingest.err").read_text(errors="replace").strip().splitlines()
            reports.append({"error": f"exit {proc.returncode}: {err[-1] if err else ''}"[:300]})
        else:
            reports.append(json.loads((node / "ingest.out").read_text()))
    return wall, reports


def _lands(servers: Servers, library: str, work: Path, embedder, want: set[str]) -> dict[str, Any]:
    """Does the library hold exactly these chunks, with a vector for each and nothing else?"""
    from rag.config import get_settings
    from rag.store.stores import open_stores

    stores = open_stores(get_settings(**servers.settings(work / f"check-{library}", library)), embedder)
    try:
        ids, vectors = stores.keywords.chunk_ids(), stores.vectors.all_ids()
        return {"chunks": len(ids), "vectors": len(vectors), "same_as_clean": ids == want and vectors == want,
                "documents": len(stores.keywords.list_documents())}
    finally:
        stores.close()


def _workers(args: argparse.Namespace, servers: Servers, pdfs: list[Path], embedder, want: set[str]) -> dict:
    """One ingest worker, then two at once, each into a fresh library: wall time, and what landed."""
    out: dict[str, Any] = {}
    for n in (1, args.workers):
        library = f"{args.library}_{'one' if n == 1 else 'two'}"
        catalog = _fresh(servers, library, embedder.model_id)
        nodes = [args.work / f"worker-{library}-{i}" for i in range(n)]
        wall, reports = _ingest_procs(servers, library, pdfs, nodes, catalog, f"ingest, {n} worker(s)")
        catalog.close()
        out[f"{n} worker{'s' if n > 1 else ''}"] = {
            "s": round(wall, 1), "pdfs_per_min": round(len(pdfs) / wall * 60, 2),
            "ingested": [r.get("ingested") for r in reports], "skipped": [len(r.get("skipped", [])) for r in reports],
            "failed": [r.get("failed", r.get("error")) for r in reports],
            **_lands(servers, library, args.work, embedder, want)}
    one, two = out["1 worker"], out[f"{args.workers} workers"]
    out["speed-up"] = round(one["s"] / two["s"], 2) if two["s"] else None
    if args.workers_limit:
        out["pdfs"] = len(pdfs)
    return out


def _app_server(index: int, settings: dict[str, Any], questions: list[str], readers: int, requests: int,
                stop: Any, results: Any) -> None:
    """One app server (its own process and stores): `readers` threads asking until `stop` is set."""
    try:
        from evals.bench_load import readers as read_load
        from rag.config import get_settings
        from rag.retrieval.hybrid import HybridRetriever
        from rag.store.embeddings import UseEmbedder
        from rag.store.stores import open_stores

        stores = open_stores(get_settings(**settings), UseEmbedder(threads=1))
        HybridRetriever(stores).search("warm up", k=K)
        results.put(("ready", index, None))
        t = time.perf_counter()
        latencies, errors = read_load(stores, questions, readers, requests, until=stop.is_set)
        results.put(("done", index, {"latencies": latencies, "errors": dict(errors),
                                     "s": round(time.perf_counter() - t, 1)}))
    except Exception as exc:  # reported to the bench, which must not wait for a server that died
        results.put(("failed", index, f"{type(exc).__name__}: {exc}"[:300]))


def _start_apps(args: argparse.Namespace, servers: Servers, library: str, questions: list[str]):
    """The app-server processes, once each has its stores open and warm."""
    ctx = multiprocessing.get_context("spawn")
    stop, results = ctx.Event(), ctx.Queue()
    apps = [ctx.Process(target=_app_server, args=(i, servers.settings(args.work / f"app-{i}", library), questions,
                                                  args.readers, args.requests, stop, results))
            for i in range(args.app_servers)]
    for app in apps:
        app.start()
    for _ in apps:
        kind, index, detail = results.get(timeout=600)
        if kind != "ready":
            stop.set()
            raise SystemExit(f"app server {index} failed to start: {detail}")
    return apps, stop, results


def _load(args: argparse.Namespace, servers: Servers, pdfs: list[Path], embedder, embedded,
          questions: list[str]) -> dict[str, Any]:
    """Readers on two app servers while a worker ingests the PDFs into the library they read."""
    from rag.config import get_settings
    from rag.ingestion.pipeline import ingest
    from rag.store.stores import open_stores

    library = f"{args.library}_load"
    catalog = _fresh(servers, library, embedder.model_id)
    prefill = open_stores(get_settings(**servers.settings(args.work / "load-prefill", library)), embedder)
    ingest([REPO / "corpus"], prefill)
    before = prefill.keywords.chunk_ids()
    prefill.close()
    want = before | {c for p in pdfs for c in embedded.keywords.chunk_ids(p.stem)}
    apps, stop, results = _start_apps(args, servers, library, questions)
    try:
        wall, reports = _ingest_procs(servers, library, pdfs, [args.work / "load-worker"], catalog,
                                      f"ingest under {args.app_servers}×{args.readers} readers")
    finally:
        stop.set()
    per_app: list[dict[str, Any]] = []
    for _ in apps:
        kind, index, detail = results.get(timeout=1800)
        per_app.append({"app": index, "failed": detail} if kind != "done" else {"app": index, **detail})
    for app in apps:
        app.join(timeout=60)
    catalog.close()
    errors: dict[str, int] = {}
    for a in per_app:
        for kind, n in a.get("errors", {}).items():
            errors[kind] = errors.get(kind, 0) + n
    lat = {kind: [x for a in per_app for x in a.get("latencies", {}).get(kind, [])] for kind in ("search", "ask")}
    return {"app_servers": args.app_servers, "readers_each": args.readers, "ingest_s": round(wall, 1),
            "ingest": reports[0], "requests": sum(len(v) for v in lat.values()) + sum(errors.values()),
            "errors": sum(errors.values()), "error_kinds": errors, "latency": {k: _ms(v) for k, v in lat.items()},
            "app_failures": [a["failed"] for a in per_app if "failed" in a], "chunks_before": len(before),
            "clean_ingest_chunks": len(want), **_lands(servers, library, args.work, embedder, want)}


def _clear(work: Path, keep_embedded: bool = False) -> None:
    """Every store of the run starts empty: remove what an earlier run left (only that, whatever --work is)."""
    work.mkdir(parents=True, exist_ok=True)
    names = ("team", "chroma-server", "library.jsonl.gz", "load-prefill", "load-worker")
    for name in names if keep_embedded else ("embedded", *names):
        if (work / name).is_dir():
            shutil.rmtree(work / name)
        else:
            (work / name).unlink(missing_ok=True)
    for pattern in ("worker-*", "app-*", "check-*"):
        for old in work.glob(pattern):
            shutil.rmtree(old, ignore_errors=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from rag.config import get_settings
    from rag.ingestion.pipeline import ingest
    from rag.store.embeddings import UseEmbedder
    from rag.store.migrate import export_library, import_library
    from rag.store.stores import open_stores

    fb, work = args.financebench, args.work
    pdfs = sorted((fb / "pdfs").glob("*.pdf"))[: args.limit or None]
    if not pdfs:
        raise SystemExit(f"No PDFs under {fb / 'pdfs'}; pass --financebench DIR")
    _clear(work, args.reuse_embedded)

    embedder = UseEmbedder(threads=2)
    embedded = open_stores(get_settings(data_dir=work / "embedded"), embedder)
    t = time.perf_counter()
    with _bar("ingest, embedded", len(pdfs)) as update:
        report = ingest(pdfs, embedded, lock_wait=60, on_progress=lambda done, total, name: update(done))
    want = embedded.keywords.chunk_ids()
    result: dict[str, Any] = {"corpus": {"pdfs": len(pdfs), "chunks": len(want)},
                              "ingest_s": round(time.perf_counter() - t, 1), "failed": report.failed}
    servers = _servers(args, work)
    try:
        team = open_stores(get_settings(**servers.settings(work / "team", args.library)), embedder)
        t = time.perf_counter()
        export_library(embedded, work / "library.jsonl.gz")
        moved = import_library(work / "library.jsonl.gz", team)
        result["move"] = {"documents": moved.documents, "chunks": moved.chunks, "s": round(time.perf_counter() - t, 1)}
        items, _ = _question_sets(fb, {p.stem for p in pdfs}, args.limit_questions)
        result["questions"] = len(items)
        print(f"[bench_team] {len(pdfs)} PDFs, {len(items)} questions", file=sys.stderr, flush=True)
        result.update(_retrieval(embedded, team, items))
        team.close()
        _write(args.out, result)  # the retrieval part, kept should a later part fail
        if not args.skip_workers:
            some = pdfs[: args.workers_limit or None]
            result["workers"] = _workers(args, servers, some, embedder,
                                         {c for p in some for c in embedded.keywords.chunk_ids(p.stem)})
        if not args.skip_load:
            questions = [q.question for q in items] or ["What was the revenue?"]
            result["load"] = _load(args, servers, pdfs[: args.load_docs or None], embedder, embedded, questions)
    finally:
        servers.stop()
    _write(args.out, result)
    return result


def _write(out: Path, result: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "team.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (out / "team.md").write_text(render_markdown(result))


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
    gap = r["hit@5 gap"]
    lines += ["", f"page hit@5 gap (hybrid): {gap} ({'within' if gap is not None and gap <= 0.02 else 'outside'} "
              "the 0.02 target)", ""]
    vs = r.get("vector search")
    if vs:
        lines += [f"The hybrid runs' {vs['searches']} vector searches, replayed on both collections and checked against "
                  "an exact search over the stored vectors (cosine, ties by chunk id):", "",
                  "| collection | recall of the exact nearest | lowest recall | lists equal to the exact one |",
                  "|---|---|---|---|"]
        lines += [f"| {b} | {vs[b]['recall_of_exact']} | {vs[b]['min_recall']} | {vs[b]['exact_lists']} of "
                  f"{vs['searches']} |" for b in ("embedded", "team")]
        lines += ["", f"Lists equal across the two backends: {vs['same_lists']} of {vs['searches']}.", ""]
    if "workers" in r:
        lines += _render_workers(r["workers"], r["corpus"]["chunks"])
    if "load" in r:
        lines += _render_load(r["load"])
    return "\n".join(lines)


def _render_workers(w: dict[str, Any], chunks: int) -> list[str]:
    pdfs = w.get("pdfs")
    lines = ["## Ingest workers (separate processes and caches, one PostgreSQL and Chroma server)", "",
             *([f"On the first {pdfs} PDFs (--workers-limit); the retrieval above is on all of them.", ""]
               if pdfs else []),
             "| workers | wall s | PDFs/min | ingested per worker | skipped | chunks | vectors | "
             "same chunks as embedded |", "|---|---|---|---|---|---|---|---|"]
    for name, row in w.items():
        if isinstance(row, dict):
            lines.append(f"| {name} | {row['s']} | {row['pdfs_per_min']} | {row['ingested']} | {row['skipped']} | "
                         f"{row['chunks']} | {row['vectors']} | {row['same_as_clean']} |")
    failed = [f for row in w.values() if isinstance(row, dict) for f in row["failed"] if f]
    want = f"The embedded ingest has {chunks} chunks" if not pdfs else "Compared with the embedded library's chunks of those PDFs"
    lines += ["", f"Speed-up of two workers: {w['speed-up']}×. {want}. "
              f"Failures: {failed or 'none'}.", ""]
    return lines


def _render_load(ld: dict[str, Any]) -> list[str]:
    ing = ld["ingest"]
    lines = ["## Readers on two app servers during an ingest", "",
             f"{ld['app_servers']} app-server processes × {ld['readers_each']} reader threads (hybrid search and "
             f"extractive answer alternating, evals/bench_load.readers) while a worker process ingested "
             f"{ing.get('ingested')} PDFs ({ing.get('chunks')} chunks) in {ld['ingest_s']} s into the library they read.",
             "", "| | requests | p50 ms | p95 ms |", "|---|---|---|---|"]
    lines += [f"| {k} | {v['n']} | {v['p50_ms']} | {v['p95_ms']} |" for k, v in ld["latency"].items()]
    lines += ["", f"Requests {ld['requests']}, errors {ld['errors']} {ld['error_kinds'] or ''}; app servers that "
              f"failed: {ld['app_failures'] or 'none'}.",
              f"Chunks before {ld['chunks_before']}, after {ld['chunks']} (vectors {ld['vectors']}); a clean ingest "
              f"gives {ld['clean_ingest_chunks']}: the same chunks = {ld['same_as_clean']}.", ""]
    return lines


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--financebench", type=Path, default=Path("../shared/financebench"))
    p.add_argument("--out", type=Path, default=Path("evals/reports"))
    p.add_argument("--work", type=Path, default=Path("evals/reports/bench-data/team"))
    p.add_argument("--limit", "--limit-docs", dest="limit", type=int, default=None,
                   help="the first N PDFs (by name) instead of all")
    p.add_argument("--limit-questions", type=int, default=None)
    p.add_argument("--database-url", default=None, help="a PostgreSQL to use instead of a throwaway cluster")
    p.add_argument("--chroma-host", default="127.0.0.1")
    p.add_argument("--chroma-port", type=int, default=8000)
    p.add_argument("--library", default="bench")
    p.add_argument("--workers", type=int, default=2, help="ingest workers of the parallel run")
    p.add_argument("--app-servers", type=int, default=2)
    p.add_argument("--readers", type=int, default=16, help="reader threads per app server")
    p.add_argument("--requests", type=int, default=4, help="requests per reader at least (more while ingesting)")
    p.add_argument("--load-docs", type=int, default=None, help="PDFs the load's ingest takes (default: all)")
    p.add_argument("--workers-limit", type=int, default=None,
                   help="the ingest-worker part on the first N PDFs only (retrieval stays on all)")
    p.add_argument("--reuse-embedded", action="store_true",
                   help="keep the embedded library an earlier run left in --work (its ingest then skips unchanged "
                        "files); the team side is always rebuilt")
    p.add_argument("--skip-workers", action="store_true")
    p.add_argument("--skip-load", action="store_true")
    r = run(p.parse_args(argv))
    print(render_markdown(r))
    load = r.get("load", {})
    bad_workers = any(isinstance(v, dict) and not v["same_as_clean"] for v in r.get("workers", {}).values())
    if load and (load["errors"] or load["app_failures"] or not load["same_as_clean"]) or bad_workers:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
