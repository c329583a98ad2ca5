"""One typed settings object, built from defaults, the environment and an optional .env."""

from __future__ import annotations

import os
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.errors import ConfigError


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
    judge_model: str | None = Field(
        None, validation_alias=AliasChoices("SHIFTBRIEF_JUDGE_MODEL", "judge_model"),
        description="Chat model that grades `shiftbrief eval` answers against the gold ones, on the chat model's "
                    "server (OPENAI_BASE_URL or OpenAI); unset means no judge score. Never the answering model "
                    "grading itself.",
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
    max_page_chars: int = Field(
        200_000, validation_alias=AliasChoices("SHIFTBRIEF_MAX_PAGE_CHARS", "max_page_chars"),
        description="Characters kept from one PDF page (the rest is cut and noted); a PDF drawing more than this "
                    "from one content stream is refused before it is parsed.",
    )
    max_doc_chars: int = Field(
        5_000_000, validation_alias=AliasChoices("SHIFTBRIEF_MAX_DOC_CHARS", "max_doc_chars"),
        description="Characters kept from one document; later text and pages are skipped and noted.",
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
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"


def env_name(field: str) -> str:
    """The environment variable that sets a field (its first alias), e.g. llm_mode → SHIFTBRIEF_LLM."""
    alias = Settings.model_fields[field].validation_alias
    return str(alias.choices[0]) if isinstance(alias, AliasChoices) else field.upper()


def _field_of(name: str) -> str | None:
    """The field a name from pydantic's error location refers to (a field name or one of its aliases)."""
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        if name == field or (isinstance(alias, AliasChoices) and name in alias.choices):
            return field
    return None


def _expected(annotation: Any) -> str:
    """What a field of this type accepts, in words."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if args:  # Optional[X]
        return _expected(args[0])
    return {int: "a whole number", float: "a number", bool: "true or false", Path: "a directory path"}.get(
        annotation, f"a {getattr(annotation, '__name__', annotation)}")


def _describe(error: Any) -> str:
    name = str(error["loc"][0]) if error["loc"] else "?"
    field = _field_of(name)
    if field is None:
        return f"{name}: {error['msg']}"
    annotation = Settings.model_fields[field].annotation
    secret = SecretStr in typing.get_args(annotation) or annotation is SecretStr
    shown = "" if secret else f"={error['input']!r}"
    return f"{env_name(field)}{shown} must be {_expected(annotation)}"


def get_settings(**overrides: object) -> Settings:
    """Build the settings from defaults, the environment, .env and explicit overrides.

    Raises:
        ConfigError: a setting has a value of the wrong kind; the message names the variable and what it takes.
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors())
        raise ConfigError(f"Invalid setting: {problems}. Fix it in the environment or .env and try again") from exc
