"""Plain data types passed between the stages of the pipeline."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

# Metadata keys every chunk carries into Chroma and the keyword index.
DOC_FIELDS = ("doc_name", "company", "company_key", "period", "doc_type", "title", "date", "url", "source", "sha256")


@dataclass
class Page:
    """The text of one page (zero-indexed, as in FinanceBench) of a document."""

    page: int
    text: str
    lang: str = "en"
    section: str = ""  # comma-separated labels from rag.ingestion.sections (income_statement, risk_factors, ...)
    heading: str = ""  # the PDF bookmark the page falls under, when the file has an outline


@dataclass
class Document:
    """A loaded file: its metadata and its pages."""

    doc_name: str
    source: str
    sha256: str
    pages: list[Page]
    company: str = ""
    company_key: str = ""  # canonical key shared by every document of one company (rag.query.companies.company_key)
    period: str = ""
    doc_type: str = ""
    title: str = ""
    date: str = ""
    url: str = ""
    lang: str = "en"
    extra: dict[str, Any] = field(default_factory=dict)

    def metadata(self) -> dict[str, str]:
        """Document-level metadata as flat strings (Chroma accepts only scalars)."""
        return {k: str(getattr(self, k) or "") for k in DOC_FIELDS}


@dataclass
class Chunk:
    """A piece of one page, the unit that is embedded and searched."""

    chunk_id: str
    doc_name: str
    page: int
    ord: int
    text: str
    embed_text: str
    metadata: dict[str, Any]
    context: str = ""  # heading / table header this chunk continues; searched by keyword, not embedded

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Hit:
    """A retrieved chunk with its fused score."""

    chunk_id: str
    doc_name: str
    page: int
    text: str
    score: float
    metadata: dict[str, Any]
    ranks: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "doc_name": self.doc_name,
            "page": self.page,
            "chunk_id": self.chunk_id,
            "score": round(self.score, 6),
            "text": self.text,
        }
        out["metadata"] = dict(self.metadata)
        out["ranks"] = dict(self.ranks)
        return out


@dataclass
class Citation:
    """A passage an answer cites: its number [n] in the answer, where it is, its text and the part quoted."""

    n: int
    doc_name: str
    page: int
    chunk_id: str
    text: str
    quote: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, n: int, hit: Hit, quote: str = "") -> Citation:
        """The citation [n] of a retrieved hit, its text without Markdown syntax (a reader sees the passage)."""
        return cls(n, hit.doc_name, hit.page, hit.chunk_id, plain_markdown(hit.text), quote, dict(hit.metadata or {}))


_MD_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]+", re.MULTILINE)
_MD_EMPHASIS = re.compile(r"\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])")


def plain_markdown(text: str) -> str:
    """Text with Markdown headings marks and emphasis removed ("## Where the money goes" -> "Where the money goes")."""
    return _MD_EMPHASIS.sub("", _MD_HEADING.sub("", text))
