# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: install install-train demo test test-postgres check bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The training-only extra (torch CPU, transformers, onnx) for `alongside risk train` and its
# tests (tests/risk/test_risk_train.py, skipped without it). CI installs it. `torch==2.13.0`
# is the CPU build on this project's machines; elsewhere see README.md (The two commands).
install-train: $(VENV)/.installed-train

$(VENV)/.installed-train: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev,train]'
	touch $@

demo: install
	$(BIN)/alongside demo

# The suite, then each file's line coverage against its floor (tools/coverage-floors.json).
test: install
	$(BIN)/python -m pytest --cov=alongside --cov-report=term:skip-covered --durations=15
	$(BIN)/python tools/coverage_floors.py

test-postgres: install
	ALONGSIDE_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest

check: install
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports
	rm -f .alembic-check.sqlite3
	ALONGSIDE_DATABASE_URL=sqlite:///$(CURDIR)/.alembic-check.sqlite3 $(BIN)/alembic upgrade head
	ALONGSIDE_DATABASE_URL=sqlite:///$(CURDIR)/.alembic-check.sqlite3 $(BIN)/alembic check
	rm -f .alembic-check.sqlite3*

bench: install
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
