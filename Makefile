# `make run` and `make test` set everything up on a fresh machine (see README).
VENV := .venv
STAMP := $(VENV)/.installed
# The evaluation sets; `make eval EVAL_DATA="a.json b.jsonl folder"` for others.
EVAL_DATA ?= ../shared/eval ../shared/eval/mlqa-dev/context-en-question-en.json
# The same MLQA questions in other languages: `make eval` shows each beside English (issue 14);
# the scorer of the English path is not trained on them.
MLQA := ../shared/eval/mlqa-dev/context-en-question
EVAL_LANGUAGES ?= $(foreach l,de es zh ar hi vi,$(MLQA)-$(l).json)

.PHONY: run test setup lint typecheck unit integration eval scorer multilingual-scorer bench clean

$(STAMP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $(STAMP)

setup: $(STAMP)

# PostgreSQL for the tests (scripts/test-deps.sh), not for `make run`
TEST_DEPS := $(VENV)/.test-deps
$(TEST_DEPS): scripts/test-deps.sh $(STAMP)
	bash scripts/test-deps.sh
	touch $(TEST_DEPS)

run: $(STAMP)
	bash scripts/run.sh

test: $(STAMP) $(TEST_DEPS)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/hadolint Dockerfile
	$(VENV)/bin/pytest

unit: $(STAMP)
	$(VENV)/bin/pytest -m "not integration"

integration: $(STAMP) $(TEST_DEPS)
	$(VENV)/bin/pytest -m integration

eval: $(STAMP)
	$(VENV)/bin/verbatim eval --data $(EVAL_DATA) $(EVAL_LANGUAGES) --cache .verbatim/eval-cache

scorer: $(STAMP)  # re-train index/scorer.json on the evaluation sets (fixed seed)
	$(VENV)/bin/python -m index.training --data $(EVAL_DATA) --cache .verbatim/eval-cache

multilingual-scorer: $(STAMP)  # re-train index/multilingual_scorer.json on MLQA de + zh
	$(VENV)/bin/python -m index.training --multilingual --learn ranker,threshold,confidence \
		--data $(MLQA)-de.json $(MLQA)-zh.json --cache .verbatim/eval-cache

BENCHES := answer_latency throughput build_speed scale bot_load startup_memory backends

bench: $(STAMP)  # every benchmark, one after the other (about 12 minutes on 2 cores)
	for b in $(BENCHES); do echo "== $$b"; $(VENV)/bin/python bench/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) .verbatim .pytest_cache .mypy_cache .ruff_cache
