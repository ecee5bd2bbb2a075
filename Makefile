# Two commands: `make run` and `make test`. Both build .venv on first use and
# reinstall only when pyproject.toml or constraints.txt change.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --constraint constraints.txt
PORT ?= 8501

.PHONY: run test lint checkpoints bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(PY) pyproject.toml constraints.txt
	$(PIP) --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml constraints.txt
	$(PIP) --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false

test: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .

checkpoints: $(VENV)/.installed
	$(VENV)/bin/seqviz train --all --out checkpoints

bench: $(VENV)/.installed-test
	$(VENV)/bin/seqviz bench --json bench.json

clean:
	rm -rf $(VENV) .pytest_cache
