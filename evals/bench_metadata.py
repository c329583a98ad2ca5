"""Metadata from content: company, doc type and fiscal year of the FinanceBench filings, read with opaque names.

    python -m evals.bench_metadata --financebench ../shared/financebench [--pages 8] [--out evals/reports]

Each PDF is read as if it were called filing-<hash>.pdf: the first pages' text goes through
rag.ingestion.content_meta and the file-name pattern sees only the opaque name. The values
are compared with data/financebench_document_information.jsonl: the company loosely (case,
punctuation, legal suffixes; or the same key in the alias table, which knows former names),
the doc type exactly (10k/10q/8k/earnings), the fiscal year exactly. Every miss is listed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from rag.ingestion.clean import clean_text
from rag.ingestion.content_meta import read_content_metadata
from rag.ingestion.meta_value import MetaValue, merge_metadata
from rag.ingestion.metadata import parse_doc_name
from rag.query.companies import company_key

HERE = Path(__file__).resolve().parent
FIELDS = ("company", "doc_type", "fiscal_year")
_LEGAL = re.compile(r"\b(?:the|inc|incorporated|corp|corporation|company|co|plc|ltd|limited|llc|group|holdings)\b")


def read_pages(path: Path, n: int) -> list[str]:
    """The text of the first n pages, cleaned as the loader cleans it."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        pages = []
        for i in range(min(n, len(pdf))):
            page = pdf[i]
            textpage = page.get_textpage()
            pages.append(clean_text(textpage.get_text_range()))
            textpage.close()
            page.close()
        return pages
    finally:
        pdf.close()


def loose_name(name: str) -> str:
    """'The Coca-Cola Company' -> 'cocacola': lower case, no punctuation, no legal suffixes."""
    text = re.sub(r"[^a-z0-9& ]", " ", name.lower().replace(".com", "com"))
    return re.sub(r"[^a-z0-9&]", "", _LEGAL.sub(" ", text))


def company_match(ours: str, gold: str) -> str:
    """How ours matches the gold company: 'name', 'alias table' (same company key), or '' for a miss."""
    a, b = loose_name(ours), loose_name(gold)
    if a and b and (a == b or a.startswith(b) or b.startswith(a)):
        return "name"
    key = company_key({"company": ours, "doc_name": ""})
    if ours and key and key == company_key({"company": gold, "doc_name": ""}):
        return "alias table"
    return ""


def read_one(path: Path, pages_to_read: int) -> tuple[dict[str, MetaValue], str, int]:
    """Metadata of one PDF under an opaque name, the name used, and the pages read."""
    opaque = "filing-" + hashlib.sha256(path.name.encode()).hexdigest()[:12]
    pages = read_pages(path, pages_to_read)
    by_name = {k: v for k, v in parse_doc_name(opaque).items() if v}
    return merge_metadata(content=read_content_metadata(pages), filename=by_name), opaque, len(pages)


def run(fb: Path, out: Path, pages_to_read: int) -> dict:
    info = {}
    for line in (fb / "data" / "financebench_document_information.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            info[row["doc_name"]] = row
    pdfs = sorted(p for p in (fb / "pdfs").glob("*.pdf") if p.stem in info)
    if not pdfs:
        raise SystemExit(f"No FinanceBench PDFs under {fb / 'pdfs'}; pass --financebench DIR")
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for path in pdfs:
        t = time.perf_counter()
        meta, opaque, n = read_one(path, pages_to_read)
        gold = info[path.stem]
        got = {f: meta[f].text() if f in meta else "" for f in FIELDS}
        how = company_match(got["company"], gold["company"])
        ok = {"company": bool(how), "doc_type": got["doc_type"] == str(gold["doc_type"]).lower(),
              "fiscal_year": got["fiscal_year"] == str(gold["doc_period"])}
        rows.append({
            "doc_name": path.stem, "read_as": opaque, "pages_read": n, "seconds": round(time.perf_counter() - t, 3),
            "gold": {"company": gold["company"], "doc_type": str(gold["doc_type"]).lower(),
                     "fiscal_year": str(gold["doc_period"])},
            "got": {**got, **{k: meta[k].text() if k in meta else "" for k in ("period", "tickers", "title")}},
            "sources": {f: meta[f].source for f in (*FIELDS, "period") if f in meta},
            "ok": ok, "company_match": how,
            "same_company_key": company_key({"company": got["company"], "doc_name": opaque})
            == company_key({"company": gold["company"], "doc_name": path.stem}),
        })
    seconds = time.perf_counter() - started
    n = len(rows)
    summary = {
        "documents": n, "pages_per_document": pages_to_read, "seconds": round(seconds, 2),
        "ms_per_document": round(1000 * seconds / n, 1),
        "accuracy": {f: round(sum(r["ok"][f] for r in rows) / n, 4) for f in FIELDS},
        "all_three": round(sum(all(r["ok"].values()) for r in rows) / n, 4),
        "company_key_routes_right": round(sum(r["same_company_key"] for r in rows) / n, 4),
        "file_name_baseline": _baseline(rows),
    }
    report = {"summary": summary, "documents": rows}
    out.mkdir(parents=True, exist_ok=True)
    (out / "metadata.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "metadata.md").write_text(render(report), encoding="utf-8")
    return report


def _baseline(rows: list[dict]) -> dict[str, float]:
    """What the file-name pattern alone gets from the opaque names (the state before content reading)."""
    hits = {f: 0 for f in FIELDS}
    for r in rows:
        by_name = parse_doc_name(r["read_as"])
        hits["company"] += bool(company_match(by_name["company"], r["gold"]["company"]))
        hits["doc_type"] += by_name["doc_type"] == r["gold"]["doc_type"]
        hits["fiscal_year"] += by_name["period"][:4] == r["gold"]["fiscal_year"]
    return {f: round(v / len(rows), 4) for f, v in hits.items()}


def render(report: dict) -> str:
    s = report["summary"]
    lines = [
        "# Metadata read from content (FinanceBench filings under opaque names)", "",
        f"{s['documents']} PDFs, each read as `filing-<hash>.pdf` from its first {s['pages_per_document']} pages; "
        f"{s['seconds']} s in all ({s['ms_per_document']} ms a document, text extraction included). "
        "Gold: `data/financebench_document_information.jsonl`.", "",
        "| field | accuracy | file name alone |", "|---|---|---|",
    ]
    for f in FIELDS:
        lines.append(f"| {f} | {s['accuracy'][f]:.3f} | {s['file_name_baseline'][f]:.3f} |")
    lines += ["", f"All three right: {s['all_three']:.3f}. The company resolves to the same alias-table key as "
              f"the gold company (what retrieval routes on): {s['company_key_routes_right']:.3f}.", ""]
    misses = [r for r in report["documents"] if not all(r["ok"].values())]
    lines += [f"## Misses ({len(misses)})", ""]
    if misses:
        lines += ["| document | field | gold | read | source | the document's headline |", "|---|---|---|---|---|---|"]
        for r in misses:
            for f in FIELDS:
                if not r["ok"][f]:
                    lines.append(f"| {r['doc_name']} | {f} | {r['gold'][f]} | {r['got'][f] or '—'} | "
                                 f"{r['sources'].get(f, '—')} | {r['got']['title'] or '—'} |")
    via_alias = [r for r in report["documents"] if r["company_match"] == "alias table"]
    if via_alias:
        lines += ["", "Companies matched through the alias table rather than by name (a former or long name):", ""]
        lines += [f"- {r['doc_name']}: read `{r['got']['company']}`, gold `{r['gold']['company']}`" for r in via_alias]
    lines += ["", "## Every document", "", "| document | company | type | period | tickers | period source |",
              "|---|---|---|---|---|---|"]
    for r in report["documents"]:
        g = r["got"]
        lines.append(f"| {r['doc_name']} | {g['company']} | {g['doc_type']} | {g['period']} | {g['tickers']} | "
                     f"{r['sources'].get('period', '—')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m evals.bench_metadata", description=__doc__.splitlines()[0])
    ap.add_argument("--financebench", type=Path, required=True, help="FinanceBench folder (pdfs/ and data/)")
    ap.add_argument("--pages", type=int, default=8, help="pages read from the start of each PDF")
    ap.add_argument("--out", type=Path, default=HERE / "reports", help="folder for metadata.json and metadata.md")
    a = ap.parse_args(argv)
    s = run(a.financebench, a.out, a.pages)["summary"]
    print(json.dumps(s, indent=2), file=sys.stdout)


if __name__ == "__main__":
    main()
