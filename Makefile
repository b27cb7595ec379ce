# Wiredesk. `make run` starts the API on 127.0.0.1:8000; `make test` runs every check.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck pytest bench eval clean

install: $(STAMP)

# torch first, pinned to the CPU build: otherwise sentence-transformers pulls the CUDA build.
# Then the ONNX exports of the model (fp32, int8) into the model cache, offline, once.
$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev,eval]"
	HF_HUB_OFFLINE=1 $(BIN)/wiredesk build-model
	touch $(STAMP)

run: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/wiredesk serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/pytest -q

test: lint typecheck pytest

bench: $(STAMP)
	HF_HUB_OFFLINE=1 OMP_WAIT_POLICY=PASSIVE $(BIN)/python -m bench

eval: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/wiredesk eval all

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
