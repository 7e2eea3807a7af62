# Targets mirrored by CI (.ci/run calls `make check`).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: install system-deps run check test lint format bench bench-quick bench-latency bench-gpu clean

# Debian packages the tests use: a real browser, a real PostgreSQL server, espeak-ng/sox for synthetic speech.
DEB_PACKAGES := chromium espeak-ng sox postgresql redis-server python3-venv

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	# silero-vad ships the ONNX model we run; its torch dependency is never installed.
	$(BIN)/pip install -q --no-deps 'silero-vad>=5.1'
	@! $(BIN)/pip show torch >/dev/null 2>&1 || (echo "torch was pulled in; it must not be" && exit 1)
	touch $@

## Start the gateway on the embedded default models (tiny.en for English, base for Dutch/auto).
run: install
	$(BIN)/callscribe $(ARGS)

## Install the Debian packages the tests need (as root or through sudo), only those missing.
system-deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Rewrite the sources in the project's format (what `make lint` checks).
format: install
	$(BIN)/ruff format .

test: install
	$(BIN)/pytest $(ARGS)

## Install (Python and Debian packages), lint, type-check and run every test (what CI runs).
check: system-deps lint test

## The benchmark (docs/benchmarks.md): `make bench ARGS="--systems gateway,whisperlive --calls 1 4 --capacity"`.
bench: install
	$(BIN)/python -m bench run $(ARGS)

bench-quick: install
	$(BIN)/python -m bench run --quick

## Latency/CPU/WER of the gateway alone at 1, 4 and 8 concurrent two-leg calls (add ARGS="--seed N").
bench-latency: install
	$(BIN)/python -m bench run --systems gateway --calls 1 4 8 --no-offline $(ARGS)

## The prepared GPU benchmark (docs/scale-out.md): `make bench-gpu ARGS="MODEL_DIR OUT_DIR"`.
bench-gpu: install
	bash bench/gpu.sh $(ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
