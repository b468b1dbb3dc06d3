# The two quick-start commands: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The site, a Celery worker and Celery beat; DEMO=0 skips the local fake Greenhouse and demo orgs.
run: $(STAMP)
	$(PY) manage.py runlocal $(if $(filter 0,$(DEMO)),,--demo)

# The suite runs in TEST_PROCESSES processes at once (pytest-xdist); 0 runs it in make's own.
TEST_PROCESSES ?= 2
test: $(STAMP)
	$(PY) -m pytest -n $(TEST_PROCESSES) --dist worksteal $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) var

# Benchmarks, not part of the test suite (bench/README.md has the figures). Modest sizes here;
# BENCH_ARGS is passed to all four, e.g. BENCH_ARGS=--database-url=postgres://postgres@127.0.0.1:5432/postgres
.PHONY: bench
bench: $(STAMP)
	$(PY) -m bench.sync_board --sizes 100,1000 $(BENCH_ARGS)
	$(PY) -m bench.fleet --tick-sizes 1000,10000 --orgs 500 $(BENCH_ARGS)
	$(PY) -m bench.pages --seconds 5 $(BENCH_ARGS)
	$(PY) -m bench.search --orgs 40 $(BENCH_ARGS)
