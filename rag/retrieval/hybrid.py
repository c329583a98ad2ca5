"""Hybrid retrieval: vector and BM25 lists, routed by the companies a question names, fused by weighted
reciprocal rank, rescored by metadata and spread over pages.

`HybridRetriever.search` runs the steps route -> rank -> fuse -> rescore -> diversify; the pure ones live in
filters.py (route) and fusion.py (fuse, rescore, diversify), the searches themselves in `_rank`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rag.errors import StoreError
from rag.query.analyze import QueryAnalysis, analyze_query, check_question
from rag.query.companies import build_alias_table
from rag.query.vocabulary import keyword_terms, question_terms
from rag.retrieval.filters import Filters, resolve_filters, route
from rag.retrieval.fusion import (
    Boosts,
    Rows,
    Wanted,
    best_first,
    diversify,
    latest_period,
    make_hits,
    rescore,
    rrf,
    section_ranking,
)
from rag.schema import Hit
from rag.store.stores import Stores

_QUERY_VECTORS = 256  # questions whose embedding is kept

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetrievalConfig:
    """The levers of retrieval; each can be switched off (the benchmark's ablation does)."""

    routing: bool = True  # restrict to the companies the question names
    expansions: bool = True  # financial synonyms (EN and JA) on the keyword side
    rescoring: bool = True  # boost period, document type and section matches
    diversity: bool = True  # one chunk per page before a page repeats
    # The encoder is weak on figures and filings' wording: alone it finds the page half as often as BM25
    # (the benchmark's ablation), so its list counts half in the fusion.
    vector_weight: float = 0.5
    keyword_weight: float = 1.0
    candidates: int = 80
    unrouted_weight: float = 0.25  # weight of the searches over all documents when routing applies
    period_boost: float = 0.6
    doc_type_boost: float = 0.2
    section_boost: float = 0.5
    section_search: bool = True  # a keyword search among pages labelled with the question's sections
    section_weight: float = 0.7
    statement_boost: float = 0.5  # a metric question prefers the primary statement page to MD&A prose

    @property
    def boosts(self) -> Boosts:
        return Boosts(self.period_boost, self.doc_type_boost, self.section_boost, self.statement_boost)


@dataclass
class Lists:
    """The ranked lists of one search, their weights in the fusion, and the rows of every chunk they hold."""

    rankings: dict[str, list[str]] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, name: str, ids: list[str], weight: float) -> None:
        self.rankings[name], self.weights[name] = ids, weight


@dataclass(frozen=True)
class _Catalog:
    """The indexed documents and the alias table built from them, for one version of the catalog."""

    version: tuple[tuple[str, str, str], ...] = ()
    docs: list[dict[str, Any]] = field(default_factory=list)  # the citable ones: status "complete"
    aliases: dict[str, list[str]] = field(default_factory=dict)
    hidden: bool = False  # some documents are being written or deleted (or a crash left them so)


class HybridRetriever:
    """Vector + BM25 search, routed by the companies a question names, fused by reciprocal rank."""

    def __init__(self, stores: Stores, config: RetrievalConfig | None = None) -> None:
        self.stores = stores
        self.config = config or RetrievalConfig()
        self._state = _Catalog()
        self._vectors: dict[str, np.ndarray] = {}

    def query_vector(self, text: str) -> np.ndarray:
        """The embedding of a question, computed once (search and the support check both need it)."""
        vector = self._vectors.get(text)
        if vector is None:
            vector = self.stores.embedder.embed([text])[0]
            if len(self._vectors) >= _QUERY_VECTORS:
                self._vectors.clear()  # a bounded cache; questions rarely repeat beyond the last few
            self._vectors[text] = vector
        return vector

    def _catalog(self) -> _Catalog:
        """The catalog, its alias table rebuilt only when a document was added, changed or removed."""
        listed = self.stores.keywords.list_documents()
        version = tuple((d["doc_name"], d["updated_at"], d["status"]) for d in listed)
        state = self._state
        if version != state.version:
            # A document half-written or half-deleted is never cited: only complete ones are searched.
            docs = [d for d in listed if d["status"] == "complete"]
            per_company = [{**d, "company": part.strip()} for d in docs
                           for part in (str(d.get("company") or "").split(",") or [""])]
            # One assignment, so a thread searching at the same time sees the old catalog or the new one.
            state = self._state = _Catalog(version, docs, build_alias_table(per_company), len(docs) < len(listed))
        return state

    def similarities(self, question: str, hits: Sequence[Hit]) -> np.ndarray:
        """Cosine of the question with each hit, from the vectors stored at ingest (what the vector search itself
        compares; embedding the passages again would cost most of an extractive answer's time). A hit whose vector
        is not stored (keyword-only library, vector store down) is embedded here."""
        if not hits:
            return np.zeros(0)
        query = self.query_vector(question)
        try:
            stored = self.stores.vectors.get_vectors([h.chunk_id for h in hits])
        except StoreError as exc:
            log.warning("stored vectors unavailable, embedding the passages: %s", exc)
            stored = {}
        missing = [h.text for h in hits if h.chunk_id not in stored]
        fresh = iter(self.stores.embedder.embed(missing)) if missing else iter(())
        vecs = np.vstack([stored[h.chunk_id] if h.chunk_id in stored else next(fresh) for h in hits])
        vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return vecs @ (query / max(float(np.linalg.norm(query)), 1e-12))

    def analyze(self, question: str) -> QueryAnalysis:
        """The query analysis this retriever routes by (with the aliases of the indexed companies)."""
        return analyze_query(question, self._catalog().aliases)

    def search(self, question: str, k: int = 10, filters: Filters | None = None,
               analysis: QueryAnalysis | None = None) -> list[Hit]:
        """The k best chunks for a question.

        Args:
            question: in any language; a Japanese question finds English passages.
            k: number of hits.
            filters: company, period, document type or names.
            analysis: the question's analysis from `analyze`, when the caller has it already.

        Returns:
            Hits, best first, each with its text, metadata and the rank it had in each list.

        Raises:
            QuestionError: the question is empty or too long.

        Example:
            >>> hits = retriever_for(open_stores(get_settings())).search("How much bitcoin was sold?", k=5)
        """
        question = check_question(question)
        cfg = self.config
        catalog = self._catalog()
        allowed = resolve_filters(filters or Filters(), catalog.docs)
        if allowed is None and catalog.hidden:
            allowed = [d["doc_name"] for d in catalog.docs]
        if allowed is not None and not allowed:
            return []
        if analysis is None:
            analysis = analyze_query(question, catalog.aliases)
        elif analysis.text.strip() != question:
            raise ValueError("the analysis passed to search is of another question")
        pool = [d for d in catalog.docs if allowed is None or d["doc_name"] in allowed]
        routed = route(pool, analysis.companies) if cfg.routing else None
        lists = self._rank(question, analysis, allowed, routed)
        scores = rrf(lists.rankings, lists.weights)
        if cfg.rescoring:
            scores = rescore(scores, lists.rows, _wanted(analysis, lists.rows, pool), cfg.boosts)
        ranked = best_first(scores, lists.rows)
        if cfg.diversity:
            ranked = diversify(ranked, lists.rows)
        return make_hits(ranked[:k], scores, lists.rows, lists.rankings)

    def _rank(self, question: str, qa: QueryAnalysis, allowed: list[str] | None,
              routed: list[str] | None) -> Lists:
        """The vector and keyword lists (over the routed documents, and a weaker vector list over all allowed)."""
        cfg, lists = self.config, Lists()
        where = allowed if routed is None else routed
        terms = keyword_terms(qa) if cfg.expansions else question_terms(question)
        terms += [w for w in qa.keywords if not w.isascii()]  # Japanese words match Japanese documents
        vector, vec_hits, kw_hits = None, [], []
        if cfg.vector_weight > 0:
            vector = self.query_vector(question)
            vec_hits = self.stores.vectors.query(vector, cfg.candidates, where)
        if cfg.keyword_weight > 0:
            # A deeper keyword list than we fuse, so the section list below can be cut from it.
            kw_hits = self.stores.keywords.search(terms, cfg.candidates * 3, where)
        lists.add("vector", [c for c, _ in vec_hits], cfg.vector_weight)
        lists.add("keyword", [c for c, _ in kw_hits[: cfg.candidates]], cfg.keyword_weight)
        if routed is not None and cfg.unrouted_weight > 0 and vector is not None:
            # Routing is a strong boost, not a wall: other documents can still surface (news naming several firms).
            # (The vector side only: a second BM25 pass over everything costs more than it finds.)
            everywhere = self.stores.vectors.query(vector, cfg.candidates, allowed)
            lists.add("vector_all", [c for c, _ in everywhere], cfg.vector_weight * cfg.unrouted_weight)
        ids = [c for ranking in lists.rankings.values() for c in ranking] + [c for c, _ in kw_hits]
        lists.rows = self.stores.keywords.get_chunks(list(dict.fromkeys(ids)))
        if cfg.section_search and qa.intents and cfg.keyword_weight > 0:
            lists.add("section", section_ranking([c for c, _ in kw_hits], lists.rows, qa.intents),
                      cfg.keyword_weight * cfg.section_weight)
        return lists


def _wanted(qa: QueryAnalysis, rows: Rows, pool: Sequence[Mapping[str, Any]]) -> Wanted:
    """The periods (the latest one, for "most recent"), types and sections the question asks for."""
    periods = list(qa.periods)
    if qa.latest and not periods:
        periods = latest_period(rows, {d["doc_name"]: str(d.get("period", "")) for d in pool})
    return Wanted(tuple(periods), tuple(qa.doc_types), tuple(qa.intents))


def retriever_for(stores: Stores) -> HybridRetriever:
    """The one retriever of these stores (default configuration), built on first use."""
    if stores.retriever is None:
        stores.retriever = HybridRetriever(stores)
    return stores.retriever


def search(question: str, stores: Stores, k: int = 10, filters: Filters | None = None) -> list[Hit]:
    """Hybrid search for a question; see HybridRetriever.search."""
    return retriever_for(stores).search(question, k, filters)
