"""Statement-table benchmark: cell precision and recall of rag.figures.facts against hand-labelled pages, and the
ingest-time cost of reading facts.

    python -m evals.bench_tables [--data FILE ...] [--pdfs ../shared/financebench/pdfs] [--cost-docs 10]
                                 [--out evals/reports]

By default it scores two sets: tables_labelled.jsonl, the pages the reader was developed on, and
tables_heldout.jsonl, pages labelled after it was frozen (the honest estimate).

A cell is right when its row label, period, value (as printed, sign applied) and scale all agree with a labelled
cell; each labelled cell matches at most one read cell. Precision is the share of read table cells that are
right, recall the share of labelled cells read right. Labels are compared after normalising (case, punctuation,
footnote marks), and count as the same from a fuzzy ratio of 90 (a wrapped label read with one word short).
The cost part times every page of the first --cost-docs filings: plain-text extraction as the loader does it,
then the same with facts read from each page. Writes tables.json and tables.md.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from rag.figures.facts import Fact, facts_from_page
from rag.figures.line_items import normalise_label
from rag.ingestion.metadata import parse_doc_name

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = [HERE / "tables_labelled.jsonl", HERE / "tables_heldout.jsonl"]
# The repo's sibling shared/ folder; from a git worktree it sits further up.
DEFAULT_PDFS = next((d / "shared" / "financebench" / "pdfs" for d in HERE.parents
                     if (d / "shared" / "financebench" / "pdfs").is_dir()), HERE.parent.parent / "shared")
TARGETS = {"precision": 0.95, "recall": 0.90}


def load_pages(path: str | Path) -> list[dict[str, Any]]:
    """Read and check the labelled file; raises ValueError naming the bad line."""
    pages = []
    for no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        page = json.loads(line)
        missing = [k for k in ("id", "doc_name", "page", "cells") if k not in page]
        if missing:
            raise ValueError(f"{path}: line {no}: missing {', '.join(missing)}")
        for cell in page["cells"]:
            if not {"label", "period", "value", "scale"} <= set(cell):
                raise ValueError(f"{path}: line {no}: a cell needs label, period, value and scale")
        pages.append(page)
    return pages


def doc_meta(doc_name: str) -> dict[str, str]:
    return {"doc_name": doc_name, **parse_doc_name(doc_name)}


def same_label(a: str, b: str) -> bool:
    x, y = normalise_label(a), normalise_label(b)
    return x == y or fuzz.ratio(x, y) >= 90


def _same_number(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def score_page(gold: list[dict[str, Any]], facts: list[Fact]) -> dict[str, Any]:
    """Match read cells to labelled cells one to one; count what is right and why the rest is wrong."""
    read: list[dict[str, Any]] = [
        {"label": f.label, "period": f.period, "value": f.value / f.scale if f.scale else f.value, "scale": f.scale}
        for f in facts if f.statement != "text"]
    free = list(range(len(read)))
    misses: Counter[str] = Counter()
    matched = 0
    for cell in gold:
        hit = next((i for i in free if read[i]["period"] == cell["period"]
                    and _same_number(read[i]["value"], cell["value"]) and _same_number(read[i]["scale"], cell["scale"])
                    and same_label(read[i]["label"], cell["label"])), None)
        if hit is not None:
            free.remove(hit)
            matched += 1
        else:
            misses[_why(cell, [read[i] for i in free])] += 1
    return {"gold": len(gold), "read": len(read), "right": matched, "misses": dict(misses)}


def _why(cell: dict[str, Any], read: list[dict[str, Any]]) -> str:
    """The nearest way a labelled cell was missed, for the report."""
    same_value = [r for r in read if _same_number(r["value"], cell["value"])]
    if not same_value:
        return "value not read"
    if not any(same_label(r["label"], cell["label"]) for r in same_value):
        return "label differs"
    labelled = [r for r in same_value if same_label(r["label"], cell["label"])]
    if not any(r["period"] == cell["period"] for r in labelled):
        return "period differs"
    return "scale differs"


def run_labelled(pages: list[dict[str, Any]], pdfs: Path) -> dict[str, Any]:
    import pypdfium2 as pdfium

    rows = []
    seconds = 0.0
    for page in pages:
        pdf = pdfium.PdfDocument(str(pdfs / f"{page['doc_name']}.pdf"))
        try:
            start = time.perf_counter()
            facts = facts_from_page(pdf[page["page"]], doc_meta(page["doc_name"]), page_no=page["page"])
            seconds += time.perf_counter() - start
        finally:
            pdf.close()
        rows.append({"id": page["id"], **score_page(page["cells"], facts)})
    return {"pages": rows, "seconds": seconds}


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    gold, read, right = (sum(r[k] for r in rows) for k in ("gold", "read", "right"))
    misses: Counter[str] = Counter()
    for r in rows:
        misses.update(r["misses"])
    return {"pages": len(rows), "gold_cells": gold, "read_cells": read, "right": right,
            "precision": right / read if read else 0.0, "recall": right / gold if gold else 0.0,
            "misses": dict(misses.most_common())}


def measure_cost(pdfs: Path, n_docs: int) -> dict[str, Any]:
    """Seconds to extract every page's text as the loader does, and the extra seconds to read facts from it."""
    import pypdfium2 as pdfium

    files = sorted(pdfs.glob("*.pdf"))[:n_docs]
    text_s = facts_s = 0.0
    n_pages = tabular = n_facts = 0
    for path in files:
        pdf = pdfium.PdfDocument(str(path))
        meta = doc_meta(path.stem)
        try:
            for i in range(len(pdf)):
                page = pdf[i]
                start = time.perf_counter()
                textpage = page.get_textpage()
                text = textpage.get_text_range()
                mid = time.perf_counter()
                facts = facts_from_page(textpage, meta, page_no=i, text=text)
                end = time.perf_counter()
                textpage.close()
                page.close()
                text_s += mid - start
                facts_s += end - mid
                n_pages += 1
                tabular += bool(facts)
                n_facts += len(facts)
        finally:
            pdf.close()
    return {"docs": [p.stem for p in files], "pages": n_pages, "pages_with_facts": tabular, "facts": n_facts,
            "text_seconds": text_s, "facts_seconds": facts_s,
            "text_ms_per_page": 1000 * text_s / max(n_pages, 1), "facts_ms_per_page": 1000 * facts_s / max(n_pages, 1),
            "facts_over_text": facts_s / text_s if text_s else 0.0}


def _set_lines(name: str, result: dict[str, Any]) -> list[str]:
    t = result["totals"]
    lines = [
        f"## {name}", "",
        "| pages | labelled cells | read cells | right | precision | recall |", "|---|---|---|---|---|---|",
        f"| {t['pages']} | {t['gold_cells']} | {t['read_cells']} | {t['right']} | {t['precision']:.3f} "
        f"(target {TARGETS['precision']}) | {t['recall']:.3f} (target {TARGETS['recall']}) |", "",
        "Labelled cells missed, by nearest cause: " + (", ".join(f"{k} {v}" for k, v in t["misses"].items()) or "none"),
        "", "| page | labelled | read | right | precision | recall |", "|---|---|---|---|---|---|",
    ]
    for r in result["pages"]:
        p = r["right"] / r["read"] if r["read"] else 0.0
        rc = r["right"] / r["gold"] if r["gold"] else 0.0
        lines.append(f"| {r['id']} | {r['gold']} | {r['read']} | {r['right']} | {p:.3f} | {rc:.3f} |")
    lines += ["", f"Reading these pages took {1000 * result['seconds'] / max(t['pages'], 1):.1f} ms a page "
              "(text, character boxes, tables, periods, facts).", ""]
    return lines


def write_report(result: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "tables.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    lines = [
        "# Statement tables: cell precision and recall", "",
        "Hand-labelled pages (how they were labelled: `evals/README.md`). A cell is right when its row label, period,",
        "value as printed and scale all agree with a labelled cell. The development set is the pages the reader was",
        "built while looking at; the held-out set was labelled after the reader was frozen and never tuned on.", "",
    ]
    for name, sub in result["sets"].items():
        lines += _set_lines(name, sub)
    cost = result.get("cost")
    if cost:
        lines += ["## Ingest-time cost", "",
                  f"Every page of {len(cost['docs'])} filings ({cost['pages']} pages; {cost['pages_with_facts']} with "
                  f"facts, {cost['facts']} facts): plain text as the loader extracts it "
                  f"{cost['text_ms_per_page']:.2f} ms a page; reading facts from the same text page "
                  f"{cost['facts_ms_per_page']:.2f} ms a page more ({100 * cost['facts_over_text']:.0f}% of the text "
                  "extraction; pages that do not look like tables are skipped after a check of their text).",
                  "", "Filings: " + ", ".join(cost["docs"])]
    (out / "tables.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", nargs="+", default=[str(p) for p in DEFAULT_DATA])
    ap.add_argument("--pdfs", default=str(DEFAULT_PDFS))
    ap.add_argument("--cost-docs", type=int, default=10, help="filings to time every page of (0: skip)")
    ap.add_argument("--out", default=str(HERE / "reports"))
    args = ap.parse_args(argv)
    pdfs = Path(args.pdfs)
    if not pdfs.is_dir():
        raise SystemExit(f"No PDFs at {pdfs}; pass --pdfs with the FinanceBench pdfs folder")
    result: dict[str, Any] = {"sets": {}}
    for data in args.data:
        sub = run_labelled(load_pages(data), pdfs)
        sub["totals"] = _totals(sub["pages"])
        result["sets"][Path(data).stem] = sub
        t = sub["totals"]
        print(f"{Path(data).stem}: precision {t['precision']:.3f} recall {t['recall']:.3f} "
              f"({t['right']}/{t['read_cells']} read, {t['gold_cells']} labelled)")
    if args.cost_docs:
        result["cost"] = measure_cost(pdfs, args.cost_docs)
    write_report(result, Path(args.out))
    return result


if __name__ == "__main__":
    main()
