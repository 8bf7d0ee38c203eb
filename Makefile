# voicelab — two commands: `make lab` and `make test`.
# The virtualenv is rebuilt whenever pyproject.toml changes (the stamp file is older).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8888
PYTEST_ARGS ?=

export PYTHONDONTWRITEBYTECODE := 1
# Notebooks and tests run offline against the embedded emulator unless the user asks otherwise.
export VOICELAB_BACKEND ?= local
export HF_HUB_OFFLINE := 1

.PHONY: lab test test-py test-notebooks venv lint bench serve clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

lab: $(STAMP)
	$(BIN)/voicelab lab --notebook-dir notebooks --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/ruff check voicelab tests benchmarks
	$(BIN)/mypy voicelab
	$(BIN)/lint-imports
	$(BIN)/python -m pytest tests $(PYTEST_ARGS)
	$(BIN)/python -m pytest --nbval-lax --nbval-sanitize-with notebooks/nbval_sanitize.cfg notebooks $(PYTEST_ARGS)

test-py: $(STAMP)
	$(BIN)/python -m pytest tests $(PYTEST_ARGS)

test-notebooks: $(STAMP)
	$(BIN)/python -m pytest --nbval-lax --nbval-sanitize-with notebooks/nbval_sanitize.cfg notebooks $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check voicelab tests benchmarks
	$(BIN)/mypy voicelab
	$(BIN)/lint-imports

bench: $(STAMP)
	@for f in benchmarks/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

serve: $(STAMP)
	$(BIN)/voicelab serve --host $(HOST)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
