# Two commands: `make run` and `make test` (the CI command). Both build .venv on first use and
# reinstall only when pyproject.toml or constraints.txt change. `make test-quick` leaves out the browser tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --constraint constraints.txt
PORT ?= 8501
ROOT := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))

.PHONY: run test test-quick lint checkpoints bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(PY) pyproject.toml constraints.txt
	$(PIP) --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml constraints.txt
	$(PIP) --quiet -e '.[test]'
	touch $@

# from the repository root (where this Makefile is), so Streamlit reads .streamlit/config.toml
run: $(VENV)/.installed
	cd $(ROOT) && $(VENV)/bin/streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false

test: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

# unit and AppTest tests only, no browser: for local runs while editing
test-quick: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest tests/unit tests/app

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .

checkpoints: $(VENV)/.installed
	$(VENV)/bin/seqviz train --all --out checkpoints

bench: $(VENV)/.installed-test
	$(VENV)/bin/seqviz bench --json bench.json

clean:
	rm -rf $(VENV) .pytest_cache
