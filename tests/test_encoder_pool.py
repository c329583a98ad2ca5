"""The encoder's worker pool: same vectors as in-process, nothing left running, survives a dead worker."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys

import numpy as np
import psutil
import pytest

from rag.store.embeddings import POOL_MIN_TEXTS, UseEmbedder

TEXTS = [f"Revenue in fiscal {2000 + i} was ${i * 7 + 3}.{i % 10} billion, up {i % 9}% on the year." for i in range(150)]


def _workers() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True) if "spawn_main" in " ".join(p.cmdline())]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, b) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_pool_gives_the_in_process_vectors_and_stops_with_the_block():
    inline = UseEmbedder(threads=1).embed(TEXTS)
    embedder = UseEmbedder(threads=1, workers=2)
    with embedder.parallel():
        pooled = embedder.embed(TEXTS)
        assert len(_workers()) == 2
    assert pooled.shape == inline.shape == (len(TEXTS), 512)
    assert _cosines(pooled, inline).min() > 0.9999
    psutil.wait_procs(_workers(), timeout=10)
    assert _workers() == []


def test_small_batches_and_single_worker_settings_stay_in_process():
    embedder = UseEmbedder(threads=1, workers=2)
    with embedder.parallel():
        embedder.embed(TEXTS[: POOL_MIN_TEXTS - 1])
        assert _workers() == []
    single = UseEmbedder(threads=1, workers=1)
    with single.parallel():
        single.embed(TEXTS)
        assert _workers() == []


def test_a_dead_worker_falls_back_to_in_process_encoding(caplog):
    embedder = UseEmbedder(threads=1, workers=2)
    with embedder.parallel():
        first = embedder.embed(TEXTS)
        for proc in _workers():
            proc.send_signal(signal.SIGKILL)
        with caplog.at_level(logging.WARNING, logger="rag.store.encoder_pool"):
            again = embedder.embed(TEXTS)
    assert "encoder worker process died" in caplog.text
    assert _cosines(first, again).min() > 0.9999


SCRIPT = """
import sys, time
from rag.store.embeddings import UseEmbedder
e = UseEmbedder(threads=1, workers=2)
with e.parallel():
    e.embed(["a filing page about revenue %d" % i for i in range(200)])
    print("ready", flush=True)
    time.sleep(600)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death watch is tested on Linux")
def test_workers_exit_when_the_ingest_is_killed():
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        assert proc.stdout.readline().strip() == "ready"
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert len(workers) >= 2
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    _, alive = psutil.wait_procs(workers, timeout=15)
    assert alive == [], f"orphaned encoder workers: {[p.pid for p in alive]}"


UNGUARDED_SCRIPT = """
import os, sys
with open(sys.argv[1], "a") as f:
    f.write(f"{os.getpid()}\\n")
from rag.store.embeddings import UseEmbedder
e = UseEmbedder(threads=1, workers=2)
with e.parallel():
    print(e.embed(["a filing page about revenue %d" % i for i in range(100)]).shape)
"""


def test_workers_do_not_rerun_the_main_script(tmp_path):
    # `streamlit run app.py` makes the app __main__ with no `if __name__ == "__main__"` guard: spawned
    # workers must not run it again
    script, runs = tmp_path / "app_like.py", tmp_path / "runs.txt"
    script.write_text(UNGUARDED_SCRIPT)
    r = subprocess.run([sys.executable, str(script), str(runs)], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "(100, 512)"
    assert len(runs.read_text().split()) == 1
    assert "Traceback" not in r.stderr
