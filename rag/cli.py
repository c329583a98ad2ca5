"""The `shiftbrief` command line: a thin layer over the library."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rag.config import get_settings
from rag.errors import ShiftbriefError
from rag.ingest import delete_document, ingest, list_documents
from rag.retrieve import Filters, search
from rag.stores import Stores, open_stores

app = typer.Typer(help="Ask questions of company filings and news, and brief their strategic shifts.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
out = Console()
err = Console(stderr=True)


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s %(message)s")


def _fail(exc: Exception, code: int = 1) -> None:
    err.print(f"[red]Error:[/red] {exc}", highlight=False, markup=True)
    raise typer.Exit(code)


def _stores() -> Stores:
    try:
        return open_stores(get_settings())
    except ShiftbriefError as exc:
        _fail(exc)
        raise  # unreachable


@app.command("ingest")
def ingest_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of PDF, HTML, TXT or Markdown.")],
    prune: Annotated[bool, typer.Option(help="Delete indexed documents whose files are gone.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Ingest files and folders; unchanged files are skipped."""
    stores = _stores()
    try:
        with Progress(TextColumn("[bold]ingest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TextColumn("{task.description}"), console=err, transient=not err.is_terminal) as bar:
            task = bar.add_task("", total=None)

            def on_progress(done: int, total: int, name: str) -> None:
                bar.update(task, completed=done, total=total, description=name)

            report = ingest(paths, stores, prune=prune, on_progress=on_progress)
    except ShiftbriefError as exc:
        _fail(exc)
    if as_json:
        out.print_json(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        t = report.timings
        out.print(
            f"files {report.files} · ingested {report.ingested} · unchanged {report.unchanged} · pages {report.pages}"
            f" · chunks {report.chunks} (embedded {report.embedded}) · skipped {len(report.skipped)}"
            f" · failed {len(report.failed)} · {t['total']:.1f}s (parse {t['parse']:.1f}s, embed {t['embed']:.1f}s,"
            f" index {t['index']:.1f}s)", highlight=False)
        for path, why in report.skipped:
            out.print(f"  skipped {Path(path).name}: {why}", highlight=False, markup=False)
        for path, why in report.failed:
            out.print(f"  failed  {why}", highlight=False, markup=False)
        for name in report.pruned:
            out.print(f"  pruned  {name}", highlight=False, markup=False)
    if not report.ok:
        raise typer.Exit(1)


@app.command("search")
def search_cmd(
    question: Annotated[str, typer.Argument(help="A question, in English or Japanese.")],
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="Number of passages.")] = 10,
    company: Annotated[Optional[str], typer.Option(help="Only this company.")] = None,
    period: Annotated[Optional[str], typer.Option(help="Only this period, e.g. 2022 or 2023Q2.")] = None,
    doc_type: Annotated[Optional[str], typer.Option("--doc-type", help="Only this document type, e.g. 10k.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array of hits.")] = False,
) -> None:
    """Search the indexed documents (vector + keyword, fused)."""
    stores = _stores()
    try:
        hits = search(question, stores, k=k, filters=Filters(company or "", period or "", doc_type or ""))
    except ShiftbriefError as exc:
        _fail(exc)
    if as_json:
        sys.stdout.write(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2) + "\n")
        return
    if not hits:
        out.print("No passages found." + (" Check the filters." if company or period or doc_type else ""))
        return
    for i, h in enumerate(hits, 1):
        out.print(f"[bold]{i}. {h.doc_name}[/bold] page {h.page}  score {h.score:.4f}", highlight=False)
        snippet = " ".join(h.text.split())
        out.print("   " + (snippet[:300] + ("…" if len(snippet) > 300 else "")), highlight=False, markup=False)


@app.command("docs")
def docs_cmd(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the indexed documents with their metadata and chunk counts."""
    docs = list_documents(_stores())
    if as_json:
        sys.stdout.write(json.dumps(docs, ensure_ascii=False, indent=2) + "\n")
        return
    if not docs:
        out.print("No documents indexed yet; run `shiftbrief ingest corpus/`.")
        return
    table = Table("document", "company", "period", "type", "lang", "pages", "chunks", "status")
    for d in docs:
        table.add_row(d["doc_name"], d.get("company", ""), d.get("period", ""), d.get("doc_type", ""),
                      d.get("lang", ""), str(d["n_pages"]), str(d["n_chunks"]), d["status"])
    out.print(table)


@app.command("delete")
def delete_cmd(doc_name: Annotated[str, typer.Argument(help="The document name (file stem), see `shiftbrief docs`.")]) -> None:
    """Delete a document from the index."""
    stores = _stores()
    try:
        n = delete_document(doc_name, stores)
    except ShiftbriefError as exc:
        _fail(exc)
    out.print(f"Deleted {doc_name} ({n} chunks).", highlight=False)


def run() -> None:
    app()


if __name__ == "__main__":
    run()
