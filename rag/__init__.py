"""shiftbrief: ask questions of company filings and news, and brief their strategic shifts.

The folders of this package are the pipeline's stages, in order::

    text/        language, normalisation, sentences, tokens, safe display (used by every stage)
    ingestion/   files -> pages -> sections -> chunks
    store/       embeddings, vectors (Chroma), keyword index and catalog (SQLite FTS5)
    query/       question analysis: companies, periods, vocabulary
    retrieval/   hybrid search: route, rank, fuse, rescore, diversify
    answers/     the answer path: grounding, extractive quotes, the chat model, prompts
    figures/     numbers: parse, format, label, verify
    briefing/    bilingual briefings
    evaluation/  question sets, metrics, the runner, reports

The entry points are importable from here; they load on first use, so ``import rag`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_ENTRY_POINTS = {
    "ingest": "rag.ingestion.pipeline",
    "delete_document": "rag.ingestion.pipeline",
    "list_documents": "rag.ingestion.pipeline",
    "open_stores": "rag.store.stores",
    "Stores": "rag.store.stores",
    "search": "rag.retrieval.hybrid",
    "Filters": "rag.retrieval.filters",
    "answer_question": "rag.answers.answer",
    "stream_answer": "rag.answers.answer",
    "write_briefing": "rag.briefing.briefing",
    "check_figures": "rag.figures.verify",
    "evaluate": "rag.evaluation.evaluate",
    "get_settings": "rag.config",
    "Settings": "rag.config",
}

__all__ = sorted(_ENTRY_POINTS)


def __getattr__(name: str) -> Any:
    module = _ENTRY_POINTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rag' has no attribute {name!r}")
    return getattr(import_module(module), name)
