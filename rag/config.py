"""One typed settings object, built from defaults, the environment and an optional .env."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of shiftbrief. Environment variables are named in each field's alias."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(
        Path("data"),
        validation_alias=AliasChoices("SHIFTBRIEF_DATA_DIR", "data_dir"),
        description="Directory for everything shiftbrief writes: Chroma, keyword index, caches.",
    )
    chroma_host: str | None = Field(
        None,
        validation_alias=AliasChoices("CHROMA_HOST", "chroma_host"),
        description="Chroma server host; unset means an embedded PersistentClient in the data directory.",
    )
    chroma_port: int = Field(
        8000, validation_alias=AliasChoices("CHROMA_PORT", "chroma_port"), description="Chroma server port."
    )
    embedding_provider: Literal["use", "openai"] = Field(
        "use",
        validation_alias=AliasChoices("SHIFTBRIEF_EMBEDDINGS", "embedding_provider"),
        description="'use' (multilingual Universal Sentence Encoder, offline) or 'openai' (OpenAI-compatible API).",
    )
    embedding_model: str = Field(
        "text-embedding-3-small",
        validation_alias=AliasChoices("SHIFTBRIEF_EMBEDDING_MODEL", "embedding_model"),
        description="Embedding model name when the provider is 'openai'.",
    )
    embedding_base_url: str | None = Field(
        None,
        validation_alias=AliasChoices("SHIFTBRIEF_EMBEDDING_BASE_URL", "embedding_base_url"),
        description="Base URL of an OpenAI-compatible embeddings server (defaults to OPENAI_BASE_URL).",
    )
    embed_threads: int = Field(
        2, validation_alias=AliasChoices("SHIFTBRIEF_EMBED_THREADS", "embed_threads"),
        description="BLAS threads for the local encoder when it runs in the app's own process (queries, small ingests).",
    )
    embed_workers: int = Field(
        default_factory=lambda: min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1),
        validation_alias=AliasChoices("SHIFTBRIEF_EMBED_WORKERS", "embed_workers"),
        description="Encoder processes a bulk ingest uses (one core each); 1 encodes in the app's own process.",
    )
    openai_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("OPENAI_API_KEY", "openai_api_key"), description="OpenAI API key."
    )
    openai_base_url: str | None = Field(
        None,
        validation_alias=AliasChoices("OPENAI_BASE_URL", "openai_base_url"),
        description="Base URL of an OpenAI-compatible chat server (Ollama, vLLM, llama.cpp, LM Studio).",
    )
    llm_mode: Literal["auto", "extractive", "openai"] = Field(
        "auto",
        validation_alias=AliasChoices("SHIFTBRIEF_LLM", "llm_mode"),
        description="'auto' picks 'openai' when a key or base URL is set, else 'extractive'.",
    )
    llm_model: str = Field(
        "gpt-4o-mini", validation_alias=AliasChoices("SHIFTBRIEF_LLM_MODEL", "llm_model"),
        description="Chat model name.",
    )
    llm_timeout: float = Field(
        60.0, validation_alias=AliasChoices("SHIFTBRIEF_LLM_TIMEOUT", "llm_timeout"),
        description="Seconds before a chat request times out.",
    )
    chunk_tokens: int = Field(
        320, validation_alias=AliasChoices("SHIFTBRIEF_CHUNK_TOKENS", "chunk_tokens"),
        description="Maximum tokens (cl100k_base) in a chunk.",
    )
    chunk_overlap: int = Field(
        8, validation_alias=AliasChoices("SHIFTBRIEF_CHUNK_OVERLAP", "chunk_overlap"),
        description="Tokens shared by consecutive chunks of one page.",
    )
    max_file_mb: int = Field(
        200, validation_alias=AliasChoices("SHIFTBRIEF_MAX_FILE_MB", "max_file_mb"),
        description="Files larger than this are skipped.",
    )
    # --- team backend (docs/team.md) ---
    database_url: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SHIFTBRIEF_DATABASE_URL", "database_url"),
        description="postgresql://… of a shared catalog and keyword index; unset means SQLite in the data directory. "
                    "Needs CHROMA_HOST: a team keeps its vectors on a Chroma server.",
    )
    library: str = Field(
        "shiftbrief", validation_alias=AliasChoices("SHIFTBRIEF_LIBRARY", "library"),
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$",
        description="Name of a team library: its PostgreSQL schema and its Chroma collection are named for it.",
    )

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "shiftbrief.sqlite"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def embedder_id(self) -> str:
        """A short name for the embedding model, used to name its collection."""
        raw = "use-multilingual-v3" if self.embedding_provider == "use" else f"openai-{self.embedding_model}"
        return re.sub(r"[^a-zA-Z0-9_-]+", "-", raw).strip("-")[:48]


def get_settings(**overrides: object) -> Settings:
    """Build the settings from defaults, the environment, .env and explicit overrides."""
    return Settings(**overrides)
