"""The map step's reading: search one document with every section's probes, and keep its whole sentences.

In a document about several companies only the sentences about the briefed one are kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rag.briefing.boilerplate import strip_heading
from rag.briefing.select import names_company
from rag.retrieval.hybrid import Filters, HybridRetriever
from rag.schema import Hit
from rag.store.embeddings import embed_with_cache
from rag.store.stores import Stores
from rag.text.lang import KANA_KANJI
from rag.text.markdown import unwrap_lines
from rag.text.normalize import squash
from rag.text.sentences import clean_unit, split_units

# Questions each document is searched with, per section, in both languages: the keyword side of retrieval only
# matches a Japanese document with Japanese words.
PROBES: dict[str, tuple[str, str]] = {
    "changed": ("What changed in the company's strategy or business: a shift, pivot, new plan, programme ended",
                "戦略や事業の変化 転換 新たな計画 開始 終了"),
    "figures": ("Key figures: revenue, net income or loss, proceeds, bitcoin sold, financing amounts, capacity in MW",
                "主要な数値 売上高 純利益 売却額 資金調達 容量"),
    "drivers": ("Why it changed: the drivers, reasons, funding and economics behind the decision",
                "変化の理由 背景 要因 資金 採算"),
    "risks": ("Risks and uncertainties: what could go wrong, idle capacity, dilution, pressure from investors",
              "リスク 不確実性 懸念 遊休"),
    "watch": ("What to watch next: outlook, plans, milestones and open questions", "今後の注目点 見通し 計画 予定"),
}
# A filing's events are in its notes and MD&A, worded as a filing words them.
FILING_PROBES: dict[str, tuple[str, str]] = {
    "changed": ("Acquisitions and divestitures completed, restructuring, impairment and earnings charges, debt "
                "issued or repaid, programs launched or ended, segment changes, new chief executive",
                "買収 売却 事業再編 減損 損失 社債発行 返済 新製品 セグメント変更 経営者交代"),
}
# A quotable unit starts like a sentence and ends like one: what chunking cut in half does neither.
_SENTENCE_OK = re.compile(r"""^[\s"“'‘(\[]*[A-Z0-9$¥€£\u3040-\u30ff\u4e00-\u9fff【「]""")
_SENTENCE_DONE = re.compile(r"""[.!?。！？"”’)」]\s*$""")


class MemoEmbedder:
    """The store's embedder behind a memo and the embedding cache: every document is searched with the same probes."""

    def __init__(self, stores: Stores) -> None:
        self.inner, self.cache, self.model_id = stores.embedder, stores.cache, stores.embedder.model_id
        self.memo: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            vectors, _ = embed_with_cache(self.inner, self.cache, missing)
            self.memo.update(zip(missing, vectors))
        return np.vstack([self.memo[t] for t in texts])


@dataclass
class Sentence:
    """A whole sentence of a retrieved passage, with how well its passage ranked for each section."""

    text: str
    hit: Hit
    lang: str
    rank: dict[str, int]  # section -> best rank of its passage in that section's probes


def squash_ja(text: str) -> str:
    """The comparison key of a sentence: chunks overlap, so the same sentence comes back from two passages."""
    return squash(text, keep_ja=True)


def sentences_of(text: str) -> list[str]:
    """Whole sentences and list lines of a passage; fragments cut by chunking are left out."""
    out = []
    for unit in split_units(unwrap_lines(text)):
        unit = strip_heading(clean_unit(unit))
        ja = bool(KANA_KANJI.search(unit))
        if len(unit) < (10 if ja else 25) or not _SENTENCE_OK.match(unit) or not _SENTENCE_DONE.search(unit):
            continue
        out.append(unit)
    return out


def _search(retriever: HybridRetriever, doc_name: str, k: int, filing: bool = False
            ) -> tuple[dict[str, Hit], dict[str, float], dict[str, dict[str, int]]]:
    """Every probe's hits in one document: the hits by chunk, each chunk's best 1/rank, its best rank per section."""
    hits: dict[str, Hit] = {}
    best: dict[str, float] = {}
    ranks: dict[str, dict[str, int]] = {}
    probes_of = [*PROBES.items(), *(FILING_PROBES.items() if filing else ())]
    for section, probes in probes_of:
        for probe in probes:
            for rank, hit in enumerate(retriever.search(probe, k, Filters(doc_names=(doc_name,))), 1):
                hits.setdefault(hit.chunk_id, hit)
                best[hit.chunk_id] = max(best.get(hit.chunk_id, 0.0), 1.0 / rank)
                r = ranks.setdefault(hit.chunk_id, {})
                r[section] = min(r.get(section, rank), rank)
    return hits, best, ranks


def gather(retriever: HybridRetriever, doc_name: str, k: int, filing: bool = False
           ) -> tuple[list[Hit], list[Sentence]]:
    """Search one document with every probe (a filing with its events' probes too); returns its passages (best
    first) and their sentences."""
    hits, best, ranks = _search(retriever, doc_name, k, filing)
    ordered = sorted(hits.values(), key=lambda h: (-best[h.chunk_id], h.page, h.chunk_id))
    seen: set[str] = set()
    sentences = []
    for hit in sorted(ordered, key=lambda h: (h.page, int(h.metadata.get("ord", 0) or 0))):
        for s in sentences_of(hit.text):
            key = squash_ja(s)
            if key in seen:
                continue  # chunks overlap
            seen.add(key)
            sentences.append(Sentence(s, hit, "ja" if KANA_KANJI.search(s) else "en", ranks[hit.chunk_id]))
    return ordered, sentences


def focus(stores: Stores, doc: dict[str, Any], sentences: list[Sentence], company: str,
          keys: Sequence[str]) -> list[Sentence]:
    """In a document about several companies, the sentences about this one: naming it, or under a heading that does."""
    if not company or len([c for c in str(doc.get("company", "")).split(",") if c.strip()]) < 2:
        return sentences
    rows = stores.keywords.get_chunks(sorted(stores.keywords.chunk_ids(doc["doc_name"])))
    allowed: set[str] = set()
    under = False
    for row in sorted(rows.values(), key=lambda r: (r["page"], int(r["metadata"].get("ord", 0) or 0))):
        for line in unwrap_lines(row["text"]).splitlines():
            if line.startswith("#"):
                under = names_company(line, company, keys)
                continue
            allowed.update(squash_ja(s) for s in sentences_of(line) if under or names_company(s, company, keys))
    return [s for s in sentences if squash_ja(s.text) in allowed]
