# `make run` and `make test` set everything up on a fresh machine (see README).
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test setup lint typecheck unit integration eval clean

$(STAMP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	bash scripts/run.sh

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

unit: $(STAMP)
	$(VENV)/bin/pytest -m "not integration"

integration: $(STAMP)
	$(VENV)/bin/pytest -m integration

eval: $(STAMP)
	$(VENV)/bin/verbatim eval --data ../shared/eval/squad2-dev-subset.json --holdout 2

clean:
	rm -rf $(VENV) .verbatim .pytest_cache .mypy_cache .ruff_cache
