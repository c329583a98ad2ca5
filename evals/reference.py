"""The reference pipeline most LangChain users would write, for side-by-side measurement.

Per-page PDF text → RecursiveCharacterTextSplitter(1024, 30) → Chroma with the same embedder
→ top-k similarity on the raw question. (The published recipe reads pages with PyMuPDF, whose
licence is AGPL; here pages come from pypdfium2, the same text shiftbrief starts from.)
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np


def _client(path: Path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))


def ingest_reference(pdfs: list[Path], work: Path, embedder) -> dict:
    """Build the reference index; returns counts and timings."""
    import pypdfium2 as pdfium
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1024, chunk_overlap=30)
    col = _client(work).get_or_create_collection("reference", metadata={"hnsw:space": "cosine"},
                                                 embedding_function=None)
    timings = {"parse": 0.0, "embed": 0.0, "index": 0.0}
    pages = chunks = 0
    started = time.perf_counter()
    for pdf_path in pdfs:
        t = time.perf_counter()
        texts, metas = [], []
        try:
            pdf = pdfium.PdfDocument(str(pdf_path))
        except pdfium.PdfiumError:
            continue
        for i in range(len(pdf)):
            page_text = pdf[i].get_textpage().get_text_range()
            pages += 1
            for piece in splitter.split_text(page_text):
                texts.append(piece)
                metas.append({"doc_name": pdf_path.stem, "page": i})
        pdf.close()
        timings["parse"] += time.perf_counter() - t
        if not texts:
            continue
        t = time.perf_counter()
        vectors = embedder.embed(texts)
        timings["embed"] += time.perf_counter() - t
        t = time.perf_counter()
        ids = [f"{pdf_path.stem}-{j}" for j in range(len(texts))]
        for s in range(0, len(ids), 2000):
            col.add(ids=ids[s : s + 2000], embeddings=[v for v in vectors[s : s + 2000]],
                    metadatas=metas[s : s + 2000], documents=texts[s : s + 2000])
        timings["index"] += time.perf_counter() - t
        chunks += len(texts)
    timings["total"] = time.perf_counter() - started
    return {"pages": pages, "chunks": chunks, "timings": timings}


class ReferenceSearch:
    """Top-k similarity over the reference index."""

    def __init__(self, work: Path, embedder) -> None:
        self.col = _client(work).get_collection("reference", embedding_function=None)
        self.embedder = embedder

    def search(self, question: str, k: int = 10) -> list[tuple[str, int]]:
        vec = np.asarray(self.embedder.embed([question])[0])
        res = self.col.query(query_embeddings=[vec], n_results=k, include=["metadatas"])
        return [(m["doc_name"], int(m["page"])) for m in res["metadatas"][0]]
