"""Reliability: peak memory per hostile file, kill -9 during a delete, concurrent readers during an ingest.

    python -m evals.bench_reliability [--financebench DIR] [--kills 10] [--clients 16] [--requests 20] [--out evals/reports]

Everything runs as a user runs it, in child processes of `python -m rag.cli`:
  hostile files    each file tests/make_bad_files.py writes, ingested alone: exit code, outcome, peak RSS (os.wait4
                   of the child: the child and every worker it waited for)
  kill -9 delete   a real multi-chunk filing ingested, then `delete` SIGKILLed at random points after it began. After
                   each kill: is the document retrievable (its own sentences as queries, a figure question about
                   its company)? After the next command (an ingest of another file): are any of its vectors,
                   chunks, facts or keyword rows left, and do the stores agree?
  load             evals.bench_load, reused: concurrent readers (search, ask) while an ingest runs
Writes reliability.json and reliability.md (and load.json/.md) to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DOC_PREFERRED = "NETFLIX_2015_10K"


def _cli(args: list[str], data: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "rag.cli", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, "SHIFTBRIEF_DATA_DIR": str(data), **env})


def peak_rss(args: list[str], data: Path, **env: str) -> dict[str, Any]:
    """Run `python -m rag.cli ARGS`: its exit code, stdout, stderr, wall seconds and peak RSS in MiB.

    The peak is os.wait4's ru_maxrss for this child: the largest of the child and the workers it waited for.
    """
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        # Files, not pipes: nothing to drain, so the child is reaped by wait4 here and not by Popen.
        proc = subprocess.Popen([sys.executable, "-m", "rag.cli", *args], stdout=out, stderr=err,
                                env={**os.environ, "SHIFTBRIEF_DATA_DIR": str(data), **env})
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"exit": proc.returncode, "stdout": out.read().decode("utf-8", "replace"),
                "stderr": err.read().decode("utf-8", "replace"), "seconds": round(time.perf_counter() - started, 2),
                "peak_rss_mib": round(usage.ru_maxrss / 1024, 1)}  # Linux reports kilobytes


def hostile_memory(work: Path) -> list[dict[str, Any]]:
    """Ingest each hostile file alone; its expected reason, what the ingest said, and its peak RSS."""
    from tests.make_bad_files import make_bad_files

    bad = work / "bad"
    expected = make_bad_files(bad)
    rows = []
    for name, reason in sorted(expected.items()):
        shown = name.encode("utf-8", "backslashreplace").decode("utf-8")
        # make_bad_files sizes its too-large file for an 8,000,000-byte limit (as tests/test_faults.py does).
        r = peak_rss(["ingest", str(bad / name), "--json"], work / "data", SHIFTBRIEF_MAX_FILE_MB="7")
        try:
            report = json.loads(r["stdout"])
            outcome = ("ingested" if report["ingested"] else "unchanged" if report["unchanged"] else
                       (report["failed"] + report["skipped"] or [["", "nothing"]])[0][1][:90])
        except (json.JSONDecodeError, KeyError):
            outcome = "no JSON report"
        rows.append({"file": ascii(shown)[1:-1][:60], "expected": reason, "exit": r["exit"], "outcome": outcome,
                     "seconds": r["seconds"], "peak_rss_mib": r["peak_rss_mib"]})
        print(f"  {rows[-1]['file'][:40]:40} {reason:13} exit {r['exit']} {r['peak_rss_mib']:7.1f} MiB", file=sys.stderr)
    return rows


# --- kill -9 during a delete -------------------------------------------------------------------------------------


def _status(index: Path, doc: str) -> str | None:
    """The document's catalog status, read-only ("?" while the file cannot be read)."""
    try:
        conn = sqlite3.connect(f"file:{index}?mode=ro", uri=True, timeout=1)
        try:
            row = conn.execute("SELECT status FROM documents WHERE doc_name = ?", (doc,)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return "?"
    return None if row is None else str(row[0])


def _index(data: Path) -> Path:
    return next(data.glob("index-*.sqlite"))


def time_delete(data: Path, doc: str) -> dict[str, float]:
    """One delete, not killed: seconds from start until it marks the document, until its row is gone, until exit."""
    index, t0 = _index(data), time.perf_counter()
    proc = _cli(["delete", doc], data)
    marked = gone = 0.0
    while proc.poll() is None:
        status = _status(index, doc)
        now = time.perf_counter() - t0
        if status == "deleting" and not marked:
            marked = now
        if status is None and not gone:
            gone = now
        time.sleep(0.002)
    proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"delete {doc} failed with exit code {proc.returncode}")
    return {"marked_s": round(marked, 3), "row_gone_s": round(gone or time.perf_counter() - t0, 3),
            "exit_s": round(time.perf_counter() - t0, 3)}


def kill_delete(data: Path, doc: str, after_mark: float) -> dict[str, Any]:
    """Start `delete doc`, SIGKILL it `after_mark` seconds after it marks the document 'deleting'."""
    index, t0 = _index(data), time.perf_counter()
    proc = _cli(["delete", doc], data)
    while proc.poll() is None and _status(index, doc) != "deleting":
        time.sleep(0.002)
    marked = time.perf_counter() - t0
    deadline = time.perf_counter() + after_mark
    while proc.poll() is None and time.perf_counter() < deadline:
        time.sleep(0.001)
    finished = proc.poll() is not None
    if not finished:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    return {"after_mark_s": round(after_mark, 3), "marked_at_s": round(marked, 3),
            "killed_at_s": round(time.perf_counter() - t0, 3), "exited_before_kill": finished}


def inspect(data: Path, doc: str, queries: list[str], figure_question: str) -> dict[str, Any]:
    """The document's traces in every store and whether search or a figure answer still cites it (a child process,
    so no Chroma client of ours outlives the data directory's next writer)."""
    proc = subprocess.run([sys.executable, "-m", "evals.bench_reliability", "_inspect", str(data), doc,
                           json.dumps({"queries": queries, "figure_question": figure_question})],
                          capture_output=True, text=True, env={**os.environ, "SHIFTBRIEF_DATA_DIR": str(data)},
                          timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"inspect failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _inspect_here(data: Path, doc: str, spec: dict[str, Any]) -> dict[str, Any]:
    from rag.answers.answer import answer_question
    from rag.config import get_settings
    from rag.retrieval.hybrid import HybridRetriever
    from rag.store.stores import open_stores

    stores = open_stores(get_settings(data_dir=data))
    try:
        row = stores.keywords.get_document(doc)
        retriever = HybridRetriever(stores)
        search_hits = sum(h.doc_name == doc for q in spec["queries"] for h in retriever.search(q, k=10))
        answer = answer_question(spec["figure_question"], stores) if spec["figure_question"] else None
        cited = bool(answer and any(c.doc_name == doc for c in answer.citations))
        with sqlite3.connect(f"file:{stores.keywords.where}?mode=ro", uri=True) as conn:
            fts, chunks = (conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("chunks_fts", "chunks"))
        return {"status": row and row["status"], "vectors": len(stores.vectors.ids_for_doc(doc)),
                "chunks": len(stores.keywords.chunk_ids(doc)),
                "facts": stores.facts.count(doc) if stores.facts is not None else 0,
                "keyword_rows_without_chunk": fts - chunks, "search_hits": search_hits, "answer_cites": cited,
                "stores_agree": stores.vectors.all_ids() == stores.keywords.chunk_ids()}
    finally:
        stores.close()


def probes(data: Path, doc: str, n: int = 5) -> tuple[list[str], str]:
    """Queries that find the document while it is indexed: the opening words of n of its own chunks, and a
    revenue question naming its company and period (from the catalog's metadata, not from any answer key)."""
    from rag.config import get_settings
    from rag.store.catalog import open_catalog
    from rag.store.embeddings import get_embedder

    settings = get_settings(data_dir=data)
    catalog = open_catalog(settings, get_embedder(settings).model_id)
    try:
        row = catalog.get_document(doc) or {}
        chunks = list(catalog.get_chunks(sorted(catalog.chunk_ids(doc))).values())
    finally:
        catalog.close()
    chunks.sort(key=lambda c: (c["page"], c["ord"]))
    picked = [chunks[i * len(chunks) // n] for i in range(n)] if len(chunks) >= n else chunks
    queries = [" ".join(c["text"].split()[:30]) for c in picked]
    company, period = str(row.get("company") or ""), str(row.get("period") or "")
    return queries, (f"What was {company}'s total revenue in {period}?" if company and period else "")


def kill_trials(pdf: Path, other: Path, work: Path, kills: int, seed: int = 7) -> dict[str, Any]:
    """Ingest pdf (and a second small file), then SIGKILL `delete` at `kills` random points; see the module doc."""
    doc, base = pdf.stem, work / "kill-base"
    r = peak_rss(["ingest", str(pdf.resolve())], base)  # named directly: a link would be refused as outside
    if r["exit"] != 0:
        raise RuntimeError(f"ingest of {pdf.name} failed: {r['stderr'][-1000:]}")
    queries, figure_q = probes(base, doc)
    indexed = inspect(base, doc, queries, figure_q)
    timing = time_delete(_copy(base, work / "kill-timing"), doc)
    window = max(timing["row_gone_s"] - timing["marked_s"], 0.01)
    rng = random.Random(seed)
    trials = []
    for i in range(kills):
        data = _copy(base, work / f"kill-{i}")
        after_mark = rng.uniform(0, 1.1 * window)  # a little past the end: a kill after the delete finished
        kill = kill_delete(data, doc, after_mark)
        state = inspect(data, doc, queries, figure_q)
        nxt = peak_rss(["ingest", str(other)], data)
        final = inspect(data, doc, queries, figure_q)
        began = state["status"] != "complete"
        hidden = not began or (state["search_hits"] == 0 and not state["answer_cites"])
        clean = final["stores_agree"] and final["keyword_rows_without_chunk"] == 0 and (
            (final["status"] is None and final["vectors"] == final["chunks"] == final["facts"] == 0)
            or (not began and final["status"] == "complete"))
        trials.append({**kill, "after_kill": state, "next_command_exit": nxt["exit"], "after_next": final,
                       "phase": _phase(state, indexed), "hidden": hidden, "converged": clean})
        print(f"  kill {i}: {trials[-1]['phase']:28} hidden={hidden} converged={clean}", file=sys.stderr)
        shutil.rmtree(data, ignore_errors=True)
    return {"document": doc, "chunks": indexed["chunks"], "facts": indexed["facts"],
            "probe_hits_while_indexed": indexed["search_hits"], "figure_question": figure_q,
            "figure_answer_cited_it_while_indexed": indexed["answer_cites"], "unkilled_delete": timing,
            "trials": trials, "all_hidden": all(t["hidden"] for t in trials),
            "all_converged": all(t["converged"] for t in trials)}


def _phase(state: dict[str, Any], indexed: dict[str, Any]) -> str:
    if state["status"] is None:
        return "delete had finished"
    if state["status"] == "complete":
        return "before the delete began"
    gone = [name for name in ("facts", "vectors", "chunks") if state[name] < indexed[name]]
    return "deleting, " + (", ".join(gone) + " removed" if gone else "nothing removed yet")


def _copy(src: Path, dst: Path) -> Path:
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    return dst


# --- the report --------------------------------------------------------------------------------------------------


def run(financebench: Path | None, out: Path, kills: int, clients: int, requests: int,
        skip_load: bool = False) -> dict[str, Any]:
    from evals import bench_load

    pdfs = sorted((financebench / "pdfs").glob("*.pdf")) if financebench and (financebench / "pdfs").is_dir() else []
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print("hostile files, one ingest each:", file=sys.stderr)
        result["hostile"] = hostile_memory(work / "hostile")
        pdf = next((p for p in pdfs if p.stem == DOC_PREFERRED), pdfs[0] if pdfs else None)
        if pdf is None:
            from tests.helpers import write_corpus

            pdf = write_corpus(work / "notes", 1, paragraphs=300)[0]  # no FinanceBench: a long generated note
        other = work / "other" / "next-command.md"
        other.parent.mkdir()
        other.write_text("# Next command\n\nAn unrelated note ingested after each kill.\n", encoding="utf-8")
        print(f"kill -9 during `delete {pdf.stem}`:", file=sys.stderr)
        result["kill_delete"] = kill_trials(pdf, other, work, kills)
    if not skip_load:
        extra = pdfs[:3]
        if not extra:
            from tests.helpers import write_corpus

            extra = [Path(tempfile.mkdtemp()) / "notes"]
            write_corpus(extra[0], 40, paragraphs=40)
        print("concurrent readers during an ingest (evals.bench_load):", file=sys.stderr)
        result["load"] = bench_load.run(clients, requests, extra, out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "reliability.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (out / "reliability.md").write_text(render(result))
    return result


def render(r: dict[str, Any]) -> str:
    rows = r["hostile"]
    k = r["kill_delete"]
    lines = ["# Reliability", "", "## Peak memory per hostile file", "",
             f"Each of the {len(rows)} files tests/make_bad_files.py writes, ingested alone (`python -m rag.cli "
             "ingest FILE --json`, SHIFTBRIEF_MAX_FILE_MB=7); peak RSS is os.wait4's ru_maxrss of the child (it "
             "includes any encoder worker it waited for).", "",
             "| file | expected | exit | outcome | s | peak RSS MiB |", "|---|---|---|---|---|---|"]
    lines += [f"| `{h['file']}` | {h['expected']} | {h['exit']} | {h['outcome'].replace('|', '/')} | {h['seconds']} "
              f"| {h['peak_rss_mib']} |" for h in rows]
    peak = max(rows, key=lambda h: h["peak_rss_mib"])
    lines += ["", f"Largest peak: {peak['peak_rss_mib']} MiB (`{peak['file']}`); median "
              f"{sorted(h['peak_rss_mib'] for h in rows)[len(rows) // 2]} MiB.", "",
              "## kill -9 during a delete", "",
              f"`{k['document']}` ({k['chunks']} chunks, {k['facts']} facts) ingested, then `python -m rag.cli delete` "
              f"SIGKILLed a random time after it marked the document 'deleting' (an unkilled delete marks it at "
              f"{k['unkilled_delete']['marked_s']} s and removes its row at {k['unkilled_delete']['row_gone_s']} s). "
              f"Probes: 5 of its own passages as queries (found it {k['probe_hits_while_indexed']} times in the top 10 "
              f"while indexed) and \"{k['figure_question']}\" (cited it while indexed: "
              f"{k['figure_answer_cited_it_while_indexed']}). The next command is an ingest of another file.", "",
              "| # | killed s after mark | state found | probe hits | answer cites | next exit | left after: "
              "vectors / chunks / facts / keyword rows | stores agree | converged |", "|---|---|---|---|---|---|---|---|---|"]
    for i, t in enumerate(k["trials"]):
        a, f = t["after_kill"], t["after_next"]
        lines.append(f"| {i} | {t['after_mark_s']} | {t['phase']} (status {a['status']}) | {a['search_hits']} | "
                     f"{a['answer_cites']} | {t['next_command_exit']} | {f['vectors']} / {f['chunks']} / {f['facts']} / "
                     f"{f['keyword_rows_without_chunk']} | {f['stores_agree']} | {t['converged']} |")
    lines += ["", f"Never retrieved once the delete began: {k['all_hidden']}. Converged after the next command: "
              f"{k['all_converged']}.", ""]
    if "load" in r:
        from evals.bench_load import render as render_load

        lines += ["## Concurrent readers", "", *render_load(r["load"]).splitlines()[2:]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_inspect"]:  # the child of `inspect`
        print(json.dumps(_inspect_here(Path(argv[1]), argv[2], json.loads(argv[3]))))
        return
    ap = argparse.ArgumentParser(prog="python -m evals.bench_reliability", description=__doc__.splitlines()[0])
    ap.add_argument("--financebench", type=Path, default=None, help="its PDFs: the filing to delete, the load's ingest")
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--no-load", action="store_true", help="skip the concurrent-reader load test")
    ap.add_argument("--out", type=Path, default=REPO / "evals" / "reports")
    a = ap.parse_args(argv)
    r = run(a.financebench, a.out, a.kills, a.clients, a.requests, a.no_load)
    print(render(r))
    load_ok = "load" not in r or (not r["load"]["errors"] and r["load"]["nothing_lost"])
    if not (r["kill_delete"]["all_hidden"] and r["kill_delete"]["all_converged"] and load_ok):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
