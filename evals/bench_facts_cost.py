"""What reading statement tables into facts costs at ingest: the same filings ingested without and with facts,
in one run, each into a fresh data directory (its own embedding cache, so neither run reuses the other's vectors).

    python -m evals.bench_facts_cost --financebench ../shared/financebench --out evals/reports [--limit N]

Reported per run: wall time, this process's CPU time plus that of its encoder workers, and the time spent inside
the facts step itself (summed over files). The wall-time ratio is what the user feels; on a shared machine it
carries the noise of whatever else runs, so the CPU ratio and the facts step's own share are reported beside it.
The runs alternate (without, with, without, with, ...) when --rounds > 1, so drift in the machine's load falls on both;
the upper bound (the facts step's time over the rest of its own run) holds whatever the load did.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.progress import Progress

from rag.config import get_settings
from rag.ingestion import pipeline
from rag.ingestion.pipeline import ingest
from rag.store.stores import open_stores


def _cpu_s() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


@contextmanager
def _facts_step(enabled: bool, spent: list[float]) -> Iterator[None]:
    """Run ingest with the facts step timed, or replaced by one that reads nothing."""
    original: Callable[..., None] = pipeline._compute_facts

    def timed(doc: Any, chunks: Any) -> None:
        t = time.perf_counter()
        original(doc, chunks)
        spent.append(time.perf_counter() - t)

    def skipped(doc: Any, chunks: Any) -> None:
        doc.extra["facts"] = None  # the store step then writes no facts

    pipeline._compute_facts = timed if enabled else skipped  # type: ignore[assignment]
    try:
        yield
    finally:
        pipeline._compute_facts = original  # type: ignore[assignment]


def one_run(files: list[Path], facts: bool, work: Path) -> dict[str, Any]:
    """Ingest `files` into a fresh data directory under `work`; the encoder workers end with the run."""
    data = Path(tempfile.mkdtemp(prefix="facts-" if facts else "nofacts-", dir=work))
    stores = open_stores(get_settings(data_dir=data, llm_mode="extractive"))
    spent: list[float] = []
    cpu, wall = _cpu_s(), time.perf_counter()
    with Progress(transient=False) as bar, _facts_step(facts, spent):
        task = bar.add_task("with facts" if facts else "without facts", total=len(files))
        report = ingest(files, stores, lock_wait=3600,
                        on_progress=lambda done, total, name: bar.update(task, completed=done))
    wall, cpu = time.perf_counter() - wall, _cpu_s() - cpu
    return {"facts": facts, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "facts_step_s": round(sum(spent), 1),
            "ingested": report.ingested, "failed": len(report.failed), "chunks": report.chunks,
            "fact_rows": stores.facts.count() if (facts and stores.facts) else 0}


def overhead_bound(with_facts: list[dict[str, Any]]) -> float:
    """The most the facts step can add to an ingest's wall time, measured inside the run that does it: even if it
    overlapped nothing, removing it would save only its own time (both timed in one run, under the same load)."""
    return round(statistics.median(r["facts_step_s"] / (r["wall_s"] - r["facts_step_s"]) for r in with_facts), 3)


def run(fb: Path, out: Path, limit: int | None, rounds: int, work: Path) -> dict[str, Any]:
    files = sorted((fb / "pdfs").glob("*.pdf"))[: limit or None]
    work.mkdir(parents=True, exist_ok=True)
    runs = [one_run(files, facts, work) for _ in range(rounds) for facts in (False, True)]
    without = [r for r in runs if not r["facts"]]
    with_ = [r for r in runs if r["facts"]]

    def ratio(key: str) -> float:
        return round(statistics.median(r[key] for r in with_) / statistics.median(r[key] for r in without) - 1, 3)

    report = {"files": len(files), "rounds": rounds, "runs": runs, "wall_overhead": ratio("wall_s"),
              "cpu_overhead": ratio("cpu_s"),
              "facts_step_share_of_wall": round(statistics.median(r["facts_step_s"] / r["wall_s"] for r in with_), 3),
              "overhead_bound": overhead_bound(with_)}
    out.mkdir(parents=True, exist_ok=True)
    (out / "facts_cost.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    (out / "facts_cost.md").write_text(_markdown(report), encoding="utf-8")
    return report


def _markdown(report: dict[str, Any]) -> str:
    lines = ["# Ingest cost of facts extraction", "",
             f"{report['files']} filings, {report['rounds']} round(s), each run into a fresh data directory "
             "(no shared embedding cache). Target: at most +15% wall time.", "",
             "| run | facts | wall s | CPU s | facts step s | ingested | failed | chunks | fact rows |",
             "|---|---|---|---|---|---|---|---|---|"]
    for i, r in enumerate(report["runs"], 1):
        lines.append(f"| {i} | {'yes' if r['facts'] else 'no'} | {r['wall_s']} | {r['cpu_s']} | {r['facts_step_s']} "
                     f"| {r['ingested']} | {r['failed']} | {r['chunks']} | {r['fact_rows']} |")
    bound = report.get("overhead_bound", overhead_bound([r for r in report["runs"] if r["facts"]]))
    lines += ["", f"Wall-time overhead {report['wall_overhead']:+.1%}; CPU overhead {report['cpu_overhead']:+.1%}; "
              f"the facts step itself is {report['facts_step_share_of_wall']:.1%} of the wall time (it runs on the "
              "parse thread, overlapping the embedding).", "",
              f"**Upper bound on the overhead: {bound:+.1%}** — the facts step's own time over the rest of the same "
              "ingest, i.e. what it would add if it overlapped nothing. Both parts are timed in the same run, so load "
              "that slows the machine slows both; the two runs' plain ratio compares different moments of a shared "
              "machine and can be meaningless, even negative.", ""]
    return "\n".join(lines)


def rerender(out: Path) -> None:
    """Write facts_cost.md again from facts_cost.json (after a change to the report's wording)."""
    report = json.loads((out / "facts_cost.json").read_text(encoding="utf-8"))
    report.setdefault("overhead_bound", overhead_bound([r for r in report["runs"] if r["facts"]]))
    (out / "facts_cost.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    (out / "facts_cost.md").write_text(_markdown(report), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--financebench", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("evals/reports"))
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "shiftbrief-facts-cost")
    ap.add_argument("--limit", type=int, help="only the first N filings (by name)")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--rerender", action="store_true", help="only rewrite the report from its JSON")
    a = ap.parse_args()
    if a.rerender:
        rerender(a.out)
        return
    r = run(a.financebench, a.out, a.limit, a.rounds, a.work)
    print(json.dumps({k: v for k, v in r.items() if k != "runs"}, indent=1))


if __name__ == "__main__":
    main()
