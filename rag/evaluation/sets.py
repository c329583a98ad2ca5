"""Question sets: the project's JSONL schema and FinanceBench's own, read into one type."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import ShiftbriefError

KINDS = ("lookup", "numeric", "comparison", "narrative", "unanswerable", "crosslingual")
NOT_IN_CORPUS = "NOT_IN_CORPUS"


class QuestionSetError(ShiftbriefError):
    """A question file is malformed; the message names the line and the field."""


@dataclass
class EvalItem:
    """One question with its gold answer and evidence pages."""

    id: str
    question: str
    answer: str
    lang: str = "en"
    kind: str = "lookup"
    numbers: list[float] = field(default_factory=list)
    gold_pages: list[tuple[str, int | None]] = field(default_factory=list)
    qtype: str = ""
    evidence: list[str] = field(default_factory=list)  # sentences copied from the gold documents
    key_terms: list[list[str]] = field(default_factory=list)  # each term: its alternatives (EN, JA forms)
    history: list[dict[str, str]] = field(default_factory=list)  # earlier turns of a follow-up question
    company: str | None = None

    @property
    def gold_docs(self) -> set[str]:
        return {d for d, _ in self.gold_pages}

    @property
    def answerable(self) -> bool:
        return self.answer != NOT_IN_CORPUS


def _need(obj: dict, key: str, types: type | tuple[type, ...], where: str):
    if key not in obj:
        raise QuestionSetError(f"{where}: missing field '{key}'")
    if not isinstance(obj[key], types):
        raise QuestionSetError(f"{where}: field '{key}' must be {getattr(types, '__name__', types)}")
    return obj[key]


def _from_financebench(obj: dict, where: str) -> EvalItem:
    evidence = _need(obj, "evidence", list, where)
    pages: list[tuple[str, int | None]] = []
    for i, ev in enumerate(evidence):
        if not isinstance(ev, dict):
            raise QuestionSetError(f"{where}: evidence[{i}] must be an object")
        doc = ev.get("doc_name") or ev.get("evidence_doc_name") or obj.get("doc_name")
        page = ev.get("evidence_page_num")
        if not isinstance(doc, str) or not isinstance(page, int):
            raise QuestionSetError(f"{where}: evidence[{i}] needs 'doc_name' and an integer 'evidence_page_num'")
        pages.append((doc, page))
    return EvalItem(
        id=str(_need(obj, "financebench_id", str, where)),
        question=_need(obj, "question", str, where),
        answer=str(obj.get("answer", "")),
        lang="en",
        kind="numeric" if obj.get("question_type") == "metrics-generated" else "lookup",
        gold_pages=pages,
        qtype=str(obj.get("question_type", "")),
        company=obj.get("company") if isinstance(obj.get("company"), str) else None,
    )


def _strings(obj: dict, key: str, where: str) -> list[str]:
    """An optional field holding a string or a list of non-empty strings."""
    value = obj.get(key) or []
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise QuestionSetError(f"{where}: field '{key}' must be a string or a list of non-empty strings")
    return value


def _key_terms(obj: dict, where: str) -> list[list[str]]:
    terms = obj.get("key_terms") or []
    alternatives = [_strings({"key_terms": t}, "key_terms", where) for t in terms] if isinstance(terms, list) else []
    if not isinstance(terms, list) or not all(alternatives):
        raise QuestionSetError(f"{where}: field 'key_terms' must be a list of terms, each a string or a list of "
                               "alternatives such as [\"AMD\", \"エーエムディー\"]")
    return alternatives


def _history(obj: dict, where: str) -> list[dict[str, str]]:
    turns = obj.get("history") or []
    ok = isinstance(turns, list) and all(
        isinstance(t, dict) and t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str)
        for t in turns)
    if not ok:
        raise QuestionSetError(f"{where}: field 'history' must be a list of {{\"role\": \"user\" | \"assistant\", "
                               "\"content\": \"...\"}} turns")
    return [{"role": t["role"], "content": t["content"]} for t in turns]


def _from_project(obj: dict, where: str) -> EvalItem:
    lang = _need(obj, "lang", str, where)
    if lang not in ("en", "ja"):
        raise QuestionSetError(f"{where}: field 'lang' must be 'en' or 'ja', not {lang!r}")
    kind = _need(obj, "kind", str, where)
    if kind not in KINDS:
        raise QuestionSetError(f"{where}: field 'kind' must be one of {', '.join(KINDS)}, not {kind!r}")
    numbers = obj.get("numbers") or []
    if not isinstance(numbers, list) or not all(isinstance(n, (int, float)) for n in numbers):
        raise QuestionSetError(f"{where}: field 'numbers' must be a list of numbers")
    doc, page = obj.get("doc_name"), obj.get("page")
    if doc is not None and not isinstance(doc, str):
        raise QuestionSetError(f"{where}: field 'doc_name' must be a string or null")
    if page is not None and not isinstance(page, int):
        raise QuestionSetError(f"{where}: field 'page' must be an integer or null")
    return EvalItem(
        id=str(_need(obj, "id", (str, int), where)),
        question=_need(obj, "question", str, where),
        answer=str(_need(obj, "answer", (str, int, float), where)),
        lang=lang,
        kind=kind,
        numbers=[float(n) for n in numbers],
        gold_pages=[(doc, page)] if doc else [],
        qtype=str(obj.get("question_type", kind)),
        evidence=_strings(obj, "evidence", where),
        key_terms=_key_terms(obj, where),
        history=_history(obj, where),
        company=obj.get("company") if isinstance(obj.get("company"), str) else None,
    )


def load_questions(path: str | Path) -> list[EvalItem]:
    """Read a question set (project schema or FinanceBench JSONL), one object a line.

    Raises:
        QuestionSetError: the file is missing, or a line is not JSON or lacks a field (line number given).
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise QuestionSetError(f"No question file at {path}") from exc
    except UnicodeDecodeError as exc:
        raise QuestionSetError(f"{path.name} is not UTF-8 text") from exc
    items: list[EvalItem] = []
    ids: set[str] = set()
    for no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {no}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise QuestionSetError(f"{where}: not valid JSON ({exc.msg})") from exc
        if not isinstance(obj, dict):
            raise QuestionSetError(f"{where}: expected a JSON object")
        item = _from_financebench(obj, where) if "financebench_id" in obj else _from_project(obj, where)
        if item.id in ids:
            raise QuestionSetError(f"{where}: duplicate id {item.id!r}")
        ids.add(item.id)
        items.append(item)
    if not items:
        raise QuestionSetError(f"{path.name} holds no questions")
    return items
