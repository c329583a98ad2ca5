"""Small helpers shared by tests: free ports, waiting for servers, writing and ingesting sample documents."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def start_chroma_server(path: Path, port: int) -> subprocess.Popen:
    """A real `chroma run` on 127.0.0.1:port, returned once its heartbeat answers."""
    # The venv's own bin first: `make test` runs pytest without activating the venv.
    exe = shutil.which("chroma", path=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    if exe is None:
        raise FileNotFoundError("the `chroma` command (from the chromadb package) is not on PATH")
    proc = subprocess.Popen([exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status == 200,
             60, "chroma run to start")
    return proc


TOPICS = [
    "Riot Platforms sold {n} bitcoin in December 2025 for net proceeds of ${m} million.",
    "The company raised ${m} million through its at-the-market equity programme.",
    "Data centre capacity of {n} MW may sit idle without tenant contracts.",
    "Hashrate reached {n} EH/s at the end of the quarter, up {m} percent.",
    "Revenue for the year was ${m} million, compared with ${n} million a year earlier.",
]


def write_corpus(folder: Path, n_docs: int, paragraphs: int = 6) -> list[Path]:
    """Write n_docs Markdown notes with distinct, searchable content."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for d in range(n_docs):
        body = "\n\n".join(
            TOPICS[(d + p) % len(TOPICS)].format(n=100 + d * 7 + p, m=f"{d + 1}{p}.{p}") + f" Note {d} paragraph {p}."
            for p in range(paragraphs)
        )
        path = folder / f"note_{d:03d}.md"
        path.write_text(f"---\ntitle: Note {d}\ncompany: Company {d % 3}\nperiod: 2025\n---\n{body}\n", encoding="utf-8")
        paths.append(path)
    return paths


def write_notes(folder: Path, docs: dict[str, str | list[str]], **meta: str) -> list[Path]:
    """Write Markdown notes ({name: text, or a list of paragraphs}) with front matter from meta.

    meta takes company, period, doc_type and title (the title defaults to the note's name); a list of
    paragraphs becomes one page, paragraphs separated by a blank line, as a user's note would be.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, body in docs.items():
        text = body if isinstance(body, str) else "\n\n".join(body)
        fields = {"title": name, **meta}
        front = "".join(f"{key}: {value}\n" for key, value in fields.items() if value)
        path = folder / f"{name}.md"
        path.write_text(f"---\n{front}---\n{text}\n", encoding="utf-8")
        paths.append(path)
    return paths


def ingest_notes(stores, folder: Path, docs: dict[str, str | list[str]], **meta: str):
    """Write notes (see write_notes) into folder and ingest them with the real pipeline; returns the report."""
    from rag.ingestion.pipeline import ingest

    paths = write_notes(folder, docs, **meta)
    report = ingest(paths, stores)
    assert report.ingested == len(paths) and not report.failed, report.failed
    return report
