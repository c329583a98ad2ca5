"""Which documents a search looks in: the user's metadata filters, then the companies the question names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rag.text.normalize import squash


@dataclass(frozen=True)
class Filters:
    """Metadata filters; empty fields match everything."""

    company: str = ""
    period: str = ""
    doc_type: str = ""
    doc_names: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.company or self.period or self.doc_type or self.doc_names)


def _squash_ja(text: str) -> str:
    return squash(text, keep_ja=True)


def _allows(filters: Filters, doc: Mapping[str, Any]) -> bool:
    if filters.doc_names and doc["doc_name"] not in filters.doc_names:
        return False
    if filters.company and _squash_ja(filters.company) not in _squash_ja(f"{doc.get('company', '')} {doc['doc_name']}"):
        return False
    if filters.period and not str(doc.get("period", "")).lower().startswith(filters.period.lower()):
        return False
    return not filters.doc_type or _squash_ja(filters.doc_type) == _squash_ja(doc.get("doc_type", ""))


def resolve_filters(filters: Filters, documents: Sequence[Mapping[str, Any]]) -> list[str] | None:
    """The names of the documents the filters allow, or None when there are no filters."""
    if not filters:
        return None
    return [d["doc_name"] for d in documents if _allows(filters, d)]


def describe(filters: Filters) -> str:
    """The filters as a reader set them: "company 'Acme', period '2023Q2'"."""
    parts = [(label, value) for label, value in (("company", filters.company), ("period", filters.period),
                                                 ("document type", filters.doc_type)) if value]
    parts += [("document", name) for name in filters.doc_names]
    return ", ".join(f"{label} {value!r}" for label, value in parts)


def route(documents: Sequence[Mapping[str, Any]], companies: Sequence[str]) -> list[str] | None:
    """The names of the documents about the companies a question names; None when it names none, or none of
    them is indexed (then the search looks everywhere it is allowed to)."""
    wanted = set(companies)
    named = [d["doc_name"] for d in documents if wanted & set(str(d.get("company_key") or "").split(","))]
    return named or None
