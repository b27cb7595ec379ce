# Wiredesk. `make run` starts the API on 127.0.0.1:8000; `make test` runs every check.
#
# Installs come from the lock files in requirements/ (exact versions, sha256 hashes checked),
# so a new machine gets the set the suite was last run against. `make lock` refreshes them
# after a pyproject.toml change; `make lock-upgrade` moves every pin to the newest release;
# `make test-latest` runs the checks against the newest releases in a separate venv (not CI).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements/lock.txt
SERVE_LOCK := requirements/serve-lock.txt
PIP_VERSION := 26.3
TORCH := torch==2.13.0
# Where uv finds the CPU build of torch when locking: this machine keeps the wheel on disk; on
# another, point it at https://download.pytorch.org/whl/cpu/torch/.
TORCH_FIND_LINKS ?= /opt/wheels
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --generate-hashes --python $(BIN)/python \
	--find-links $(TORCH_FIND_LINKS) --override requirements/torch-cpu.txt \
	--index-strategy unsafe-best-match --quiet \
	--custom-compile-command "make lock"
# make run HOST=0.0.0.0 PORT=9000 (read when WIREDESK_HOST / WIREDESK_PORT are unset).
export HOST PORT

.PHONY: install run test lint typecheck pytest bench eval clean lock lock-upgrade test-latest

install: $(STAMP)

# torch first, pinned to the CPU build: otherwise sentence-transformers pulls the CUDA build.
# Then the locked set (hashes checked; --no-deps: the lock is the whole set), the project
# itself, a consistency check, and the ONNX exports of the model (fp32, int8), offline, once.
$(STAMP): pyproject.toml $(LOCK)
	@echo "==> [1/6] virtual environment in $(VENV)"
	$(PY) -m venv $(VENV)
	@echo "==> [2/6] pip $(PIP_VERSION)"
	$(BIN)/pip install --progress-bar on "pip==$(PIP_VERSION)"
	@echo "==> [3/6] $(TORCH) (CPU build) first, so nothing pulls the multi-GB CUDA build"
	$(BIN)/pip install --progress-bar on "$(TORCH)"
	@echo "==> [4/6] locked dependencies from $(LOCK) (about 100 packages, hashes checked)"
	$(BIN)/pip install --progress-bar on --require-hashes --no-deps -r $(LOCK)
	@echo "==> [5/6] wiredesk itself (editable) and a consistency check"
	$(BIN)/pip install --no-deps -e .
	$(BIN)/pip check
	@echo "==> [6/6] ONNX exports of all-MiniLM-L6-v2 (offline, about 10 s)"
	HF_HUB_OFFLINE=1 $(BIN)/wiredesk build-model
	touch $(STAMP)
	@echo "==> installed. 'make run' serves http://127.0.0.1:8000 ; 'make test' runs every check."

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

# Refresh the locks after a pyproject.toml change, keeping every pin that still fits.
lock: $(STAMP)
	$(UV_COMPILE) --extra dev --extra eval -o $(LOCK)
	$(UV_COMPILE) -o $(SERVE_LOCK)
	@echo "==> $(LOCK) and $(SERVE_LOCK) written; run 'make install test' before committing them"

# Move every pin to the newest release the registries hold.
lock-upgrade: $(STAMP)
	$(UV_COMPILE) --extra dev --extra eval --upgrade -o $(LOCK)
	$(UV_COMPILE) --upgrade -o $(SERVE_LOCK)

# The checks against the newest releases (unlocked), in their own venv: an early warning of
# what the next `make lock-upgrade` will bring. Not part of CI.
test-latest:
	rm -rf .venv-latest
	$(PY) -m venv .venv-latest
	.venv-latest/bin/pip install --progress-bar on "$(TORCH)"
	.venv-latest/bin/pip install --progress-bar on --upgrade -e ".[dev,eval]"
	HF_HUB_OFFLINE=1 .venv-latest/bin/wiredesk build-model
	.venv-latest/bin/ruff check .
	.venv-latest/bin/mypy
	HF_HUB_OFFLINE=1 .venv-latest/bin/pytest -q

clean:
	rm -rf $(VENV) .venv-latest .mypy_cache .ruff_cache .pytest_cache .hypothesis
