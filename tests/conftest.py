"""Shared fixtures: every test gets its own data directory; the real encoder is loaded once; corpus/ is
ingested once per session and copied into the data directory of each test that needs it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from rag.config import Settings, get_settings
from rag.ingestion.pipeline import ingest
from rag.store.embeddings import UseEmbedder
from rag.store.stores import open_stores

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
    s = open_stores(settings, use_embedder)
    yield s
    s.close()


@pytest.fixture(scope="session")
def corpus_data(tmp_path_factory: pytest.TempPathFactory, use_embedder: UseEmbedder) -> Path:
    """A data directory with corpus/ ingested, built once per session; never use it directly (copy it)."""
    path = tmp_path_factory.mktemp("corpus") / "data"
    stores = open_stores(get_settings(_env_file=None, data_dir=path), use_embedder)
    try:
        report = ingest([CORPUS], stores)
    finally:
        stores.close()
    assert report.ingested == report.files > 10 and not report.failed, report.failed
    return path


@pytest.fixture
def corpus_dir(corpus_data: Path, data_dir: Path) -> Path:
    """This test's data directory, holding a copy of the ingested corpus/ (for the CLI, the app, a server)."""
    shutil.copytree(corpus_data, data_dir)
    return data_dir


@pytest.fixture
def corpus_stores(corpus_dir: Path, settings: Settings, use_embedder: UseEmbedder):
    """Stores over this test's copy of the ingested corpus/."""
    s = open_stores(settings, use_embedder)
    yield s
    s.close()
