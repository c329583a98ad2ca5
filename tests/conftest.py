"""Shared fixtures: every test gets its own data directory; the real encoder is loaded once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.config import Settings, get_settings
from rag.store.embeddings import UseEmbedder

SHARED = Path(__file__).resolve().parents[2] / "shared"
FINANCEBENCH = SHARED / "financebench"
REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"

# Keys from the developer's environment must never reach a test.
for _var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CHROMA_HOST", "CHROMA_PORT", "SHIFTBRIEF_LLM"):
    os.environ.pop(_var, None)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point SHIFTBRIEF_DATA_DIR at a fresh temporary directory."""
    path = tmp_path / "data"
    monkeypatch.setenv("SHIFTBRIEF_DATA_DIR", str(path))
    monkeypatch.chdir(tmp_path)  # no stray .env from the repo
    return path


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
def use_embedder() -> UseEmbedder:
    """The real multilingual encoder, loaded once for the session."""
    return UseEmbedder(threads=2)


@pytest.fixture
def stores(settings: Settings, use_embedder: UseEmbedder):
    from rag.store.stores import open_stores

    s = open_stores(settings, use_embedder)
    yield s
    s.close()
