"""Hybrid retrieval: vector and BM25 results fused by weighted reciprocal rank, with metadata filters."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rag.errors import QuestionError
from rag.schema import Hit
from rag.stores import Stores

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
_WORD = re.compile(r"[\w$%％.,-]+", re.UNICODE)
_STOP = frozenset(
    "a an and are as at be by did do does for from has have how in is it its of on or that the their this to was "
    "were what when where which who why will with".split()
)


@dataclass(frozen=True)
class Filters:
    """Metadata filters; empty fields match everything."""

    company: str = ""
    period: str = ""
    doc_type: str = ""
    doc_names: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.company or self.period or self.doc_type or self.doc_names)


def _squash(text: str) -> str:
    return re.sub(r"[^0-9a-z\u3040-\u9fff]+", "", text.lower())


def resolve_filters(filters: Filters, documents: Sequence[Mapping[str, Any]]) -> list[str] | None:
    """The names of the documents the filters allow, or None when there are no filters."""
    if not filters:
        return None
    names = []
    for d in documents:
        if filters.doc_names and d["doc_name"] not in filters.doc_names:
            continue
        if filters.company and _squash(filters.company) not in _squash(f"{d.get('company', '')} {d['doc_name']}"):
            continue
        if filters.period and not str(d.get("period", "")).lower().startswith(filters.period.lower()):
            continue
        if filters.doc_type and _squash(filters.doc_type) != _squash(d.get("doc_type", "")):
            continue
        names.append(d["doc_name"])
    return names


def question_terms(question: str) -> list[str]:
    """Content words of a question for the keyword index (stop words dropped)."""
    words = [w.strip(".,-") for w in _WORD.findall(question)]
    return [w for w in words if w and w.lower() not in _STOP]


def rrf(rankings: Mapping[str, Sequence[str]], weights: Mapping[str, float], k: int = 60) -> dict[str, float]:
    """Weighted reciprocal-rank fusion: sum over rankings of weight / (k + rank)."""
    scores: dict[str, float] = {}
    for name, ids in rankings.items():
        w = weights.get(name, 1.0)
        for rank, cid in enumerate(ids, start=1):
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank)
    return scores


class HybridRetriever:
    """Vector + BM25 search over the stores, fused by reciprocal rank."""

    def __init__(self, stores: Stores, candidates: int = 60, weights: Mapping[str, float] | None = None) -> None:
        self.stores = stores
        self.candidates = candidates
        self.weights = dict(weights or {"vector": 1.0, "keyword": 1.0})

    def search(self, question: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """The k best chunks for a question.

        Args:
            question: in any language; a Japanese question finds English passages.
            k: number of hits.
            filters: company, period, document type or names.

        Returns:
            Hits, best first, each with its text, metadata and the rank it had in each list.

        Raises:
            QuestionError: the question is empty or too long.

        Example:
            >>> hits = HybridRetriever(open_stores(get_settings())).search("How much bitcoin was sold?", k=5)
        """
        question = (question or "").strip()
        if not question:
            raise QuestionError("The question is empty; type a question about the documents")
        if len(question) > MAX_QUESTION_CHARS:
            raise QuestionError(f"The question is {len(question)} characters long; keep it under {MAX_QUESTION_CHARS}")
        doc_names = resolve_filters(filters or Filters(), self.stores.keywords.list_documents())
        if doc_names is not None and not doc_names:
            return []
        vector = self.stores.embedder.embed([question])[0]
        vec_hits = self.stores.vectors.query(vector, self.candidates, doc_names)
        kw_hits = self.stores.keywords.search(question_terms(question), self.candidates, doc_names)
        rankings = {"vector": [c for c, _ in vec_hits], "keyword": [c for c, _ in kw_hits]}
        fused = rrf(rankings, self.weights)
        ranked = sorted(fused, key=fused.get, reverse=True)
        rows = self.stores.keywords.get_chunks(ranked[: k * 3])
        hits: list[Hit] = []
        positions = {name: {cid: i + 1 for i, cid in enumerate(ids)} for name, ids in rankings.items()}
        for cid in ranked:
            row = rows.get(cid)
            if row is None:  # in Chroma but not (yet) in the catalog: an ingest is mid-way
                continue
            ranks = {name: pos[cid] for name, pos in positions.items() if cid in pos}
            hits.append(Hit(cid, row["doc_name"], row["page"], row["text"], fused[cid], row["metadata"], ranks))
            if len(hits) == k:
                break
        return hits


def search(question: str, stores: Stores, k: int = 10, filters: Filters | None = None) -> list[Hit]:
    """Hybrid search for a question; see HybridRetriever.search."""
    return HybridRetriever(stores).search(question, k, filters)
