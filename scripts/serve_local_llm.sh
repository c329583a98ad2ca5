#!/usr/bin/env bash
# Serve SmolLM2-135M-Instruct with llama.cpp's OpenAI-compatible server on 127.0.0.1 (for `make run LLM=local`).
#   scripts/serve_local_llm.sh [VENV] [PORT]
set -euo pipefail
VENV="${1:-.venv}"
PORT="${2:-8088}"
GGUF="$(bash "$(dirname "$0")/install_llm.sh" "$VENV")"
exec "$VENV/bin/python" -m llama_cpp.server --model "$GGUF" --model_alias smollm2 \
    --host 127.0.0.1 --port "$PORT" --n_ctx 8192
