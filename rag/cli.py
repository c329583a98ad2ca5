"""The `shiftbrief` command line: a thin layer over the library."""

from __future__ import annotations

import json
import logging
import re
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from rag.answers.answer import Answer, answer_question, stream_answer
from rag.answers.llm import get_chat_model
from rag.config import get_settings
from rag.errors import ShiftbriefError
from rag.ingestion.pipeline import delete_document, ingest
from rag.retrieval.filters import Filters
from rag.retrieval.hybrid import search
from rag.store.stores import Stores, catalog_documents, open_stores
from rag.text.safe import escape_controls

app = typer.Typer(help="Ask questions of company filings and news, and brief their strategic shifts.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
out = Console()
err = Console(stderr=True)


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s %(message)s")


def _data(value: object, style: str = "") -> Text:
    """Text from documents, file names, models or servers, to print as it is: never read as markup or
    emoji codes, control characters (ESC among them) shown as \\xNN."""
    return Text(escape_controls(str(value)), style=style)


_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")


def _answer_text(text: str) -> Text:
    """An answer's text for the terminal: the figures it marks **bold** (Markdown, for the app) printed bold,
    without the asterisks; every other character printed as it is (`_data`)."""
    parts: list[Text] = []
    at = 0
    for m in _BOLD.finditer(text):
        parts += [_data(text[at:m.start()]), _data(m.group(1), "bold")]
        at = m.end()
    return Text.assemble(*parts, _data(text[at:]))


def _line(*parts: str | Text | tuple[str, str]) -> Text:
    """One line of fixed words (str, or (str, style)) and data (Text from `_data`)."""
    return Text.assemble(*parts)


def _fail(exc: Exception, code: int = 1) -> NoReturn:
    # soft_wrap: one line however narrow the terminal, so the message can be grepped and copied whole.
    err.print(_line(("Error:", "red"), " ", _data(exc)), soft_wrap=True)
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
                  TextColumn("{task.description}", markup=False), console=err,
                  transient=not err.is_terminal) as bar:
        task = bar.add_task("", total=None)
        yield lambda done, total, name: bar.update(task, completed=done, total=total,
                                                   description=escape_controls(str(name)))


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
            out.print(_line("  skipped ", _data(Path(path).name), ": ", _data(why)))
        for path, why in report.failed:
            out.print(_line("  failed  ", _data(why)))
        for name in report.pruned:
            out.print(_line("  pruned  ", _data(name)))
    # Files another worker of a team library is ingesting right now are in hand, not failed.
    if not report.ok or not (report.ingested or report.unchanged or report.elsewhere or report.pruned):
        if not report.files and not report.failed:
            err.print(_line("Nothing to ingest: no PDF, HTML, TXT or Markdown files in ",
                            _data(", ".join(map(str, paths)))))
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
        out.print(_line(_data(f"{i}. {h.doc_name}", "bold"), f" page {h.page}  score {h.score:.4f}"))
        snippet = " ".join(h.text.split())
        out.print(_line("   ", _data(snippet[:300] + ("…" if len(snippet) > 300 else ""))))


@app.command("docs")
def docs_cmd(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the indexed documents with their metadata and chunk counts."""
    try:  # from the catalog alone: listing works while the vector store or the embedding cache is broken
        docs = catalog_documents(get_settings())
    except ShiftbriefError as exc:
        _fail(exc)
    if as_json:
        sys.stdout.write(json.dumps(docs, ensure_ascii=False, indent=2) + "\n")
        return
    if not docs:
        out.print("No documents indexed yet; run `shiftbrief ingest corpus/`.")
        return
    table = Table("document", "company", "period", "type", "lang", "pages", "chunks", "status")
    for column in table.columns:
        column.overflow = "fold"  # a long name wraps whole; an ellipsis would hide what it is
    for d in docs:
        table.add_row(_data(d["doc_name"]), _sourced(d, "company"), _sourced(d, "period"), _sourced(d, "doc_type"),
                      *(_data("" if d.get(k) is None else d[k]) for k in ("lang", "n_pages", "n_chunks", "status")))
    out.print(table)


@app.command("delete")
def delete_cmd(doc_name: Annotated[str, typer.Argument(help="The document name (file stem), see `shiftbrief docs`.")]) -> None:
    """Delete a document from the index."""
    stores = _stores()
    try:
        n = delete_document(doc_name, stores)
    except ShiftbriefError as exc:
        _fail(exc)
    out.print(_line("Deleted ", _data(doc_name), f" ({n} chunks)."))



ASK_JSON_KEYS = ("question", "answer", "answerable", "mode", "model", "lang", "confidence", "citations", "figures",
                 "tokens", "cost_usd", "dropped_citations", "warnings", "reason", "calculation", "evidence")


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
                    out.print(_data(item), end="", soft_wrap=True)
                else:
                    answer = item
            out.print()
            assert answer is not None  # the stream ends with the Answer
        else:
            answer = answer_question(question, stores, filters=filters, chat=chat, k=k)
    except ShiftbriefError as exc:
        _fail(exc)
    if as_json:
        d = answer.to_dict()
        sys.stdout.write(json.dumps({key: d[key] for key in ASK_JSON_KEYS}, ensure_ascii=False, indent=2) + "\n")
        return
    if not stream:
        out.print(_answer_text(answer.answer))
    elif answer.dropped_citations:  # the streamed text still showed them
        out.print(_data(f"(citations to unknown passages removed: {answer.dropped_citations})", "dim"))
    _print_sources(answer)


def _print_sources(answer: Answer) -> None:
    """What an answer rests on: the other-language evidence (原文), the sources, flagged figures, warnings."""
    other = [e for e in answer.evidence if e.get("lang") != answer.lang]
    if other:  # the sentences a Japanese answer to an English source rests on (or the other way round)
        out.print(_line("\n", ("原文" if answer.lang == "ja" else "Original (Japanese)", "bold")))
        for e in other:
            out.print(_line(f"  [{e['n']}] ", _data(e["quote"])))
    if answer.citations:
        out.print("\n[bold]" + ("出典" if answer.lang == "ja" else "Sources") + "[/bold]")
        for c in answer.citations:
            snippet = " ".join((c.quote or c.text).split())
            title = str(c.metadata.get("title") or c.doc_name)
            out.print(_line(f"  [{c.n}] ", _data(title), f", page {c.page + 1}: ",
                            _data(snippet[:160] + ("…" if len(snippet) > 160 else ""))))
    for f in answer.figures.get("unsupported", []):
        out.print(_line("  ", ("unsupported figure:", "yellow"), " ", _data(f["raw"])))
    for w in answer.warnings:
        out.print(_line("  ", ("warning:", "yellow"), " ", _data(w)))
    cost = f" · ~${answer.cost_usd:.4f}" if answer.cost_usd else ""
    out.print(_data(f"{answer.mode} {answer.model} · confidence {answer.confidence:.2f} · "
                   f"{answer.tokens['total_tokens']} tokens{cost}", "dim"))


@app.command("brief")
def brief_cmd(
    company: Annotated[str, typer.Option("--company", "-c", help="Company, or part of its name (e.g. Riot).")],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="FILE.md, FILE.docx or FILE.json.")],
    period: Annotated[Optional[str], typer.Option(help="Only this period, e.g. 2025 or 2025Q4.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Languages, comma-separated: en, ja or en,ja.")] = "en,ja",
    docs: Annotated[Optional[list[str]], typer.Option("--doc", help="Only this document (repeat for more).")] = None,
) -> None:
    """Write a bilingual briefing of a company's strategic shifts, every bullet cited."""
    from rag.answers.llm import get_chat_model
    from rag.briefing.briefing import write_briefing

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
    out.print(_data(f"wrote {out_path} · {brief.company} · {len(brief.docs)} documents · {len(brief.key_figures)} key "
                   f"figures · mode {brief.mode} · {status}"))


def _parse_floors(values: list[str]) -> dict[str, float]:
    floors = {}
    for v in values:
        name, sep, num = v.partition("=")
        try:
            floors[name.strip()] = float(num)
        except ValueError:
            sep = ""
        if not sep:
            _fail(ValueError(f"--min/--max expect METRIC=VALUE, e.g. page_hit@5=0.8, not {v!r}"), 2)
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
    floors: Annotated[list[str], typer.Option(
        "--min", help="Fail when METRIC < VALUE, e.g. answered_right=0.8 or by_lang.ja.answered_right=0.8.")] = [],
    ceilings: Annotated[list[str], typer.Option(
        "--max", help="Fail when METRIC > VALUE, e.g. wrong_refusal_rate=0.1.")] = [],
) -> None:
    """Run a question set through the pipeline and write a report (JSON, Markdown, PNG)."""
    from rag.evaluation.evaluate import check_floors, evaluate, get_judge
    from rag.evaluation.report import headline, write_report
    from rag.evaluation.sets import load_questions

    floor_map, ceiling_map = _parse_floors(floors), _parse_floors(ceilings)
    if questions is not None:
        question_file = questions
    elif financebench is not None:
        question_file = financebench / "data" / "financebench_open_source.jsonl"
    else:
        _fail(ValueError("Give --questions FILE.jsonl or --financebench DIR"), 2)
    stores = _stores()
    try:
        items = load_questions(question_file)
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
        judge = get_judge(stores.settings)
        with _progress("eval") as on_progress:
            result = evaluate(items, stores, chat=chat, k=k, judge=judge, on_progress=on_progress)
    except ShiftbriefError as exc:
        _fail(exc)
    written = write_report(result, out_dir, name, title=f"Evaluation: {(questions or question_file.parents[1]).name}")
    m = result.metrics
    groups = {**m.get("by_lang", {}), "all": m}
    table = Table("metric", *groups)
    f = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
    for row in zip(*(headline(g) for g in groups.values())):
        table.add_row(row[0][0], *(f(v) for _, v in row))
    table.add_row("n", *(str(g["n"]) for g in groups.values()))
    out.print(table)
    if m.get("judge"):
        out.print(_line("Judge score (model-judged by ", _data(m["judge"]), f"): {f(m['answers'].get('judge_score'))}"))
    out.print(_line("Report: ", _data(written["md"])))
    failures = check_floors(m, floor_map, ceiling_map)
    for msg in failures:
        err.print(_line(("Gate:", "red"), " ", _data(msg)))
    if failures:
        raise typer.Exit(1)


@app.command("tag")
def tag_cmd(
    doc_name: Annotated[str, typer.Argument(help="The document name, see `shiftbrief docs`.")],
    company: Annotated[Optional[str], typer.Option(help="The company it is about ('' takes a correction back).")] = None,
    period: Annotated[Optional[str], typer.Option(help="Its fiscal period: 2019 or 2023Q2 ('' takes it back).")] = None,
    doc_type: Annotated[Optional[str], typer.Option("--type", help="Its type: 10k, 10q, 8k, earnings, news, note.")] = None,
) -> None:
    """Correct a document's company, period or type; kept across re-ingests, nothing re-embedded."""
    from rag.ingestion.tagging import tag_document  # here, so the commands above stay as they were

    try:
        row = tag_document(_stores(), doc_name, company=company, period=period, doc_type=doc_type)
    except ShiftbriefError as exc:
        _fail(exc)
    shown = " · ".join(f"{label} {row.get(f) or '—'}" for label, f in
                       (("company", "company"), ("period", "period"), ("type", "doc_type")))
    out.print(f"Tagged {doc_name}: {shown}", highlight=False, markup=False)


def _sourced(doc: dict, field: str) -> Text:
    """A catalog value with where it came from beneath it, for the docs table."""
    from rag.ingestion.overrides import stored_sources

    value, source = str(doc.get(field) or ""), stored_sources(doc).get(field, "")
    return _line(_data(value), *((("\n(", "dim"), _data(source, "dim"), (")", "dim")) if value and source else ()))


# --- moving a library between backends (docs/team.md) ---------------------------------------------


@app.command("export")
def export_cmd(
    path: Annotated[Path, typer.Argument(help="File to write, e.g. library.jsonl.gz.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Write the library (catalog, chunks, keyword text, vectors and statement facts) to one file."""
    from rag.store.migrate import export_library

    stores = _stores()
    try:
        with _progress("export") as on_progress:
            report = export_library(stores, path, on_progress)
    except ShiftbriefError as exc:
        _fail(exc)
    _moved("Exported", report, path, as_json)


@app.command("import")
def import_cmd(
    path: Annotated[Path, typer.Argument(help="A file written by `shiftbrief export`.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Load an exported library into the configured stores, without re-embedding."""
    from rag.store.migrate import import_library

    if not path.is_file():
        _fail(FileNotFoundError(f"{path} does not exist; write it with `shiftbrief export {path}`"))
    stores = _stores()
    try:
        with _progress("import") as on_progress:
            report = import_library(path, stores, on_progress)
    except ShiftbriefError as exc:
        _fail(exc)
    _moved("Imported", report, path, as_json)


def _moved(verb: str, report, path: Path, as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    out.print(f"{verb} {report.documents} documents ({report.chunks} chunks, {report.facts} facts) · {path}",
              highlight=False)
    for name, why in report.skipped:
        err.print(f"skipped {name}: {why}", highlight=False)


def run() -> None:
    app()


if __name__ == "__main__":
    run()
