# voicelab — two commands: `make lab` and `make test`.
# `make lab` installs the package and JupyterLab (the `lab` extra); `make test` adds the test toolchain (the `test`
# extra: pytest, nbval, Playwright, ruff, mypy). Each reinstalls when pyproject.toml changes (its stamp is older).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LAB_STAMP  := $(VENV)/.installed-lab
TEST_STAMP := $(VENV)/.installed-test
HOST   ?= 127.0.0.1
PORT   ?= 8888
# make lab OPEN=1 also opens the lab in your default browser; otherwise it prints the address to open.
OPEN   ?=
PYTEST_ARGS ?=

export PYTHONDONTWRITEBYTECODE := 1
# Notebooks and tests run offline against the embedded emulator unless the user asks otherwise.
export VOICELAB_BACKEND ?= local
export HF_HUB_OFFLINE := 1

.PHONY: lab test test-py test-notebooks notebooks venv lint bench bench-data serve clean

# Everything (what `make test` installs): the virtualenv for working on voicelab.
venv: $(TEST_STAMP)

# `install` also adds resemblyzer without its dependencies: the speaker encoder's weights ship in that wheel and
# its torch code is not used (voicelab/engines/speakers).
define install
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(1)]'
	$(BIN)/python -m pip install --quiet --no-deps resemblyzer==0.1.4
endef

$(LAB_STAMP): pyproject.toml
	$(call install,lab)
	@touch $@

# The test extra includes the lab extra, so it stamps both.
$(TEST_STAMP): pyproject.toml
	$(call install,test)
	@touch $@ $(LAB_STAMP)

lab: $(LAB_STAMP)
	$(BIN)/voicelab lab --notebook-dir notebooks --host $(HOST) --port $(PORT) $(if $(OPEN),--open)

test: $(TEST_STAMP)
	$(BIN)/ruff check voicelab tests benchmarks scripts
	$(BIN)/mypy voicelab
	$(BIN)/lint-imports
	$(BIN)/python -m pytest --doctest-modules voicelab $(PYTEST_ARGS)
	$(BIN)/python -m pytest tests $(PYTEST_ARGS)
	$(BIN)/python -m pytest --nbval-lax --nbval-sanitize-with notebooks/nbval_sanitize.cfg notebooks $(PYTEST_ARGS)

test-py: $(TEST_STAMP)
	$(BIN)/python -m pytest tests $(PYTEST_ARGS)

test-notebooks: $(TEST_STAMP)
	$(BIN)/python -m pytest --nbval-lax --nbval-sanitize-with notebooks/nbval_sanitize.cfg notebooks $(PYTEST_ARGS)

# Rebuild the Japanese editions (notebooks/ja/) from the English notebooks — code copied, Markdown kept from the
# editions, untranslated cells listed — then re-execute every notebook in place, offline (outputs compressed);
# then `make test` checks them. Untranslated cells do not stop the run: they are listed, and tests/test_ja_notebooks.py fails.
notebooks: $(TEST_STAMP)
	$(BIN)/python scripts/sync_ja_notebooks.py || echo "make notebooks: the Japanese editions above need translating (executing anyway)"
	$(BIN)/python scripts/execute_notebooks.py

lint: $(TEST_STAMP)
	$(BIN)/ruff check voicelab tests benchmarks scripts
	$(BIN)/mypy voicelab
	$(BIN)/lint-imports

# Recordings of real people for benchmarks/diarization.py ship only in pocketsphinx's sdist (test/data): pip fetches
# it once (SHA-256-checked by benchmarks/recorded_speakers.py); nothing downloads when a benchmark runs.
BENCH_DATA := .cache/bench-data
$(BENCH_DATA)/pocketsphinx-5.1.1.tar.gz:
	$(BIN)/python -m pip download --quiet --no-deps --no-binary :all: -d $(BENCH_DATA) pocketsphinx==5.1.1

# …and a two-person call ships in pyannote.audio's wheel (downloaded, never installed: it needs torch).
$(BENCH_DATA)/pyannote_audio-4.0.7-py3-none-any.whl:
	$(BIN)/python -m pip download --quiet --no-deps --only-binary :all: -d $(BENCH_DATA) pyannote.audio==4.0.7

bench-data: $(BENCH_DATA)/pocketsphinx-5.1.1.tar.gz $(BENCH_DATA)/pyannote_audio-4.0.7-py3-none-any.whl

bench: $(TEST_STAMP) bench-data
	@for f in benchmarks/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

serve: $(LAB_STAMP)
	$(BIN)/voicelab serve --host $(HOST)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
