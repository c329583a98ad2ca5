"""The `shiftbrief` command line: a thin layer over the library."""

from __future__ import annotations

import json
import logging
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.markup import escape
from rich.table import Table

from rag.answers.answer import answer_question, stream_answer
from rag.config import get_settings
from rag.errors import ShiftbriefError
from rag.ingestion.pipeline import delete_document, ingest, list_documents
from rag.answers.llm import get_chat_model
from rag.retrieval.filters import Filters
from rag.retrieval.hybrid import search
from rag.store.stores import Stores, open_stores

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


@contextmanager
def _progress(label: str):
    """A progress bar on stderr; yields the (done, total, name) callback the library's long calls take."""
    with Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=err, transient=not err.is_terminal) as bar:
        task = bar.add_task("", total=None)
        yield lambda done, total, name: bar.update(task, completed=done, total=total, description=name)


@app.command("ingest")
def ingest_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of PDF, HTML, TXT or Markdown.")],
    prune: Annotated[bool, typer.Option(help="Delete indexed documents whose files are gone.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Ingest files and folders; unchanged files are skipped."""
    stores = _stores()
    try:
        with _progress("ingest") as on_progress:
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


ASK_JSON_KEYS = ("question", "answer", "answerable", "mode", "model", "lang", "confidence", "citations", "figures",
                 "tokens", "cost_usd", "dropped_citations", "warnings", "reason", "evidence")


@app.command("ask")
def ask_cmd(
    question: Annotated[str, typer.Argument(help="A question, in English or Japanese.")],
    k: Annotated[int, typer.Option("--k", min=1, max=20, help="Number of passages to read.")] = 6,
    company: Annotated[Optional[str], typer.Option(help="Only this company.")] = None,
    period: Annotated[Optional[str], typer.Option(help="Only this period, e.g. 2022 or 2023Q2.")] = None,
    doc_type: Annotated[Optional[str], typer.Option("--doc-type", help="Only this document type, e.g. 10k.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    stream: Annotated[bool, typer.Option("--stream", help="Print the answer as it is written.")] = False,
) -> None:
    """Answer a question from the documents, with [n] citations, or say the documents don't say."""
    stores = _stores()
    filters = Filters(company or "", period or "", doc_type or "")
    try:
        chat = get_chat_model(stores.settings)
        if stream and not as_json:
            answer = None
            for item in stream_answer(question, stores, filters=filters, chat=chat, k=k):
                if isinstance(item, str):
                    out.out(item, end="", highlight=False)
                else:
                    answer = item
            out.print()
        else:
            answer = answer_question(question, stores, filters=filters, chat=chat, k=k)
    except ShiftbriefError as exc:
        _fail(exc)
    if as_json:
        d = answer.to_dict()
        sys.stdout.write(json.dumps({key: d[key] for key in ASK_JSON_KEYS}, ensure_ascii=False, indent=2) + "\n")
        return
    if not stream:
        out.print(answer.answer, highlight=False, markup=False)
    elif answer.dropped_citations:  # the streamed text still showed them
        out.print(f"(citations to unknown passages removed: {answer.dropped_citations})", style="dim", highlight=False)
    other = [e for e in answer.evidence if e.get("lang") != answer.lang]
    if other:  # the sentences a Japanese answer to an English source rests on (or the other way round)
        out.print("\n[bold]" + ("原文" if answer.lang == "ja" else "Original (Japanese)") + "[/bold]")
        for e in other:
            out.print(f"  [{e['n']}] {e['quote']}", highlight=False, markup=False)
    if answer.citations:
        out.print("\n[bold]" + ("出典" if answer.lang == "ja" else "Sources") + "[/bold]")
        for c in answer.citations:
            snippet = " ".join((c.quote or c.text).split())
            title = str(c.metadata.get("title") or c.doc_name)
            out.print(f"  [{c.n}] {title}, page {c.page + 1}: "
                      + (snippet[:160] + ("…" if len(snippet) > 160 else "")), highlight=False, markup=False)
    for f in answer.figures.get("unsupported", []):
        out.print(f"  [yellow]unsupported figure:[/yellow] {escape(f['raw'])}", highlight=False)
    for w in answer.warnings:
        out.print(f"  [yellow]warning:[/yellow] {escape(w)}", highlight=False)
    cost = f" · ~${answer.cost_usd:.4f}" if answer.cost_usd else ""
    out.print(f"[dim]{answer.mode} {answer.model} · confidence {answer.confidence:.2f} · "
              f"{answer.tokens['total_tokens']} tokens{cost}[/dim]", highlight=False)


@app.command("brief")
def brief_cmd(
    company: Annotated[str, typer.Option("--company", "-c", help="Company, or part of its name (e.g. Riot).")],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="FILE.md, FILE.docx or FILE.json.")],
    period: Annotated[Optional[str], typer.Option(help="Only this period, e.g. 2025 or 2025Q4.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Languages, comma-separated: en, ja or en,ja.")] = "en,ja",
    docs: Annotated[Optional[list[str]], typer.Option("--doc", help="Only this document (repeat for more).")] = None,
) -> None:
    """Write a bilingual briefing of a company's strategic shifts, every bullet cited."""
    from rag.briefing.briefing import write_briefing
    from rag.answers.llm import get_chat_model

    languages = tuple(dict.fromkeys(x.strip().lower() for x in lang.split(",") if x.strip()))
    suffix = out_path.suffix.lower()
    if suffix not in (".md", ".docx", ".json"):
        _fail(ValueError(f"--out must name a .md, .docx or .json file, not {out_path.name!r}"), 2)
    stores = _stores()
    try:
        chat = get_chat_model(get_settings())
        with _progress("brief") as on_progress:
            brief = write_briefing(stores, company, period, docs, languages=languages or ("en", "ja"), chat=chat,
                                   on_progress=on_progress)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".docx":
            brief.to_docx(out_path)
        elif suffix == ".json":
            out_path.write_text(json.dumps(brief.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        else:
            out_path.write_text(brief.to_markdown_bilingual(), encoding="utf-8")
    except (ShiftbriefError, ValueError, OSError) as exc:
        _fail(exc)
    check = brief.figure_check
    status = "every figure checked" if check["ok"] else f"{len(check['unsupported'])} unsupported figures"
    out.print(f"wrote {out_path} · {brief.company} · {len(brief.docs)} documents · {len(brief.key_figures)} key "
              f"figures · mode {brief.mode} · {status}", highlight=False, markup=False)


def _parse_floors(values: list[str]) -> dict[str, float]:
    floors = {}
    for v in values:
        name, sep, num = v.partition("=")
        try:
            floors[name.strip()] = float(num)
        except ValueError:
            sep = ""
        if not sep:
            _fail(ValueError(f"--min expects METRIC=VALUE, e.g. page_hit@5=0.8, not {v!r}"), 2)
    return floors


@app.command("eval")
def eval_cmd(
    questions: Annotated[Optional[Path], typer.Option("--questions", help="Question set (JSONL).")] = None,
    financebench: Annotated[Optional[Path], typer.Option(help="FinanceBench folder: its questions and PDFs.")] = None,
    corpus: Annotated[list[Path], typer.Option("--ingest", help="Ingest these files/folders first (incremental).")] = [],
    k: Annotated[int, typer.Option("--k", min=1, max=50)] = 10,
    limit: Annotated[Optional[int], typer.Option(min=1, help="Only the first N questions.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Report folder.")] = Path("evals/reports"),
    name: Annotated[str, typer.Option(help="Report file name (without extension).")] = "eval",
    floors: Annotated[list[str], typer.Option("--min", help="Fail when METRIC < VALUE, e.g. page_hit@5=0.8.")] = [],
) -> None:
    """Run a question set through the pipeline and write a report (JSON, Markdown, PNG)."""
    from rag.evaluation.report import write_report
    from rag.evaluation.sets import load_questions
    from rag.evaluation.evaluate import check_floors, evaluate
    from rag.answers.llm import get_chat_model

    floor_map = _parse_floors(floors)
    if questions is None and financebench is None:
        _fail(ValueError("Give --questions FILE.jsonl or --financebench DIR"), 2)
    stores = _stores()
    try:
        items = load_questions(questions or financebench / "data" / "financebench_open_source.jsonl")
        paths = list(corpus)
        if financebench is not None:
            pdfs = {p.stem: p for p in (financebench / "pdfs").glob("*.pdf")}
            items = [q for q in items if not q.gold_docs or q.gold_docs <= set(pdfs)]
            paths += [pdfs[d] for d in sorted({d for q in items for d in q.gold_docs})]
        items = items[:limit] if limit else items
        if paths:
            with _progress("ingest") as on_progress:
                report = ingest(paths, stores, on_progress=on_progress)
            if report.failed:
                err.print(f"{len(report.failed)} files failed to ingest; see `shiftbrief ingest`", highlight=False)
        chat = get_chat_model(stores.settings)
        with _progress("eval") as on_progress:
            result = evaluate(items, stores, chat=chat, k=k, judge=chat, on_progress=on_progress)
    except ShiftbriefError as exc:
        _fail(exc)
    written = write_report(result, out_dir, name, title=f"Evaluation: {(questions or financebench).name}")
    m = result.metrics
    r, a = m["retrieval"], m["answers"]
    table = Table("n", "page hit@1", "page hit@5", "page hit@10", "doc hit@5", "MRR@10", "figure match",
                  "refusal acc.", "citation prec.", "unsupported fig.", "p50 ms")
    f = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
    table.add_row(str(m["n"]), f(r["page_hit@1"]), f(r["page_hit@5"]), f(r["page_hit@10"]), f(r["doc_hit@5"]),
                  f(r["mrr@10"]), f(a["figure_match"]), f(a["refusal_accuracy"]), f(a["citation_precision"]),
                  f(a["unsupported_figure_rate"]), str(m["latency"]["p50_ms"]))
    out.print(table)
    out.print(f"Report: {written['md']}", highlight=False)
    failures = check_floors(m, floor_map)
    for msg in failures:
        err.print(f"[red]Below floor:[/red] {msg}", highlight=False)
    if failures:
        raise typer.Exit(1)


def run() -> None:
    app()


if __name__ == "__main__":
    run()
