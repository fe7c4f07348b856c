# The two commands (see README): `make run` and `make test`. Both bootstrap what they need.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test env lint format bench demo clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv>=0.13,<0.14"

env: $(if $(filter .tools/bin/uv,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen --quiet

run: env
	.venv/bin/linkstar serve --host $(HOST) --port $(PORT)

test: env
	bash scripts/test.sh

lint: env
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format: env
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

bench: env
	.venv/bin/python bench/run.py

demo: env
	.venv/bin/linkstar init --quiet && .venv/bin/linkstar demo

clean:
	rm -rf .venv .tools var/test*.sqlite3*
