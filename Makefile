# shiftbrief: `make run` (set up, ingest corpus/, serve the app) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
export SHIFTBRIEF_DATA_DIR ?= data

.PHONY: run test bench install install-dev ingest serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

ingest: install
	$(BIN)/shiftbrief ingest corpus/ --prune

serve: install
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

run: ingest serve

test: install-dev
	$(BIN)/python -m pytest -q

bench: install-dev
	$(BIN)/python -m evals.bench --financebench ../shared/financebench --out evals/reports

clean:
	rm -rf $(VENV) data
