# Purchase Predictor. `make serve` and `make test` work from a fresh clone with Python 3.11+ and make.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DATA ?= data/customers.csv
MODEL ?= forest
THRESHOLD ?=
TRAIN_ARGS ?=
QUICK ?=
export PYTHONPATH := $(CURDIR)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help serve test train export parity bench docker docker-smoke data report lint typecheck format \
        setup-runtime setup-dev clean lock

help:  ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

# --- environments: a stamp per requirement set, rebuilt when the pins change -------------------------
$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements/runtime.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements/runtime.txt
	touch $@

$(VENV)/.dev: requirements/runtime.txt requirements/training.txt requirements/dev.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q \
	  -r requirements/runtime.txt -r requirements/training.txt -r requirements/dev.txt
	touch $(VENV)/.runtime $@

setup-runtime: $(VENV)/.runtime  ## Create .venv with only what serving needs.
setup-dev: $(VENV)/.dev  ## Create .venv with everything (training, tests, benchmarks).

# --- the product -------------------------------------------------------------------------------------
serve: $(VENV)/.runtime  ## Serve models/purchase_model.onnx with gunicorn on $$PORT (default 8000).
	PORT=$(PORT) $(VENV)/bin/gunicorn -c service/gunicorn.conf.py service.wsgi:app

data: $(VENV)/.dev  ## Regenerate data/customers.csv (seeded, 400 rows).
	$(PY) -m training.generate --out data/customers.csv

train: $(VENV)/.dev  ## Train on $$DATA (default data/customers.csv); MODEL=forest|logreg|knn|tree|xgboost|auto, THRESHOLD=0.6|max-f1|precision>=X|recall>=X|profit.
	$(PY) -m training.train --data '$(DATA)' --model '$(MODEL)' $(if $(THRESHOLD),--threshold '$(THRESHOLD)') $(TRAIN_ARGS)

export: $(VENV)/.dev  ## Convert models/purchase_pipeline.joblib to ONNX; replaces the model only if parity holds.
	$(PY) -m export.export

parity: $(VENV)/.dev  ## Check scikit-learn vs onnxruntime parity of the current model.
	$(PY) -m export.parity

bench: $(VENV)/.dev  ## Side-by-side benchmarks; QUICK=1 for the smoke mode.
	$(PY) -m bench.run $(if $(QUICK),--quick,)

# --- issue 10: performance devices and worker layouts, each side by side with the floors ---------------
.PHONY: bench-devices bench-layouts
bench-devices: $(VENV)/.dev  ## Each performance device off alone vs all on (+ in-process figures); QUICK=1.
	$(PY) -m bench.device_micro
	$(PY) -m bench.devices $(if $(QUICK),--quick,)

bench-layouts: $(VENV)/.dev  ## gunicorn worker/thread layouts vs both floors; QUICK=1 for a smoke run.
	$(PY) -m bench.layouts $(if $(QUICK),--quick,)

docker:  ## Build the runtime-only image (starts a local engine and base image when none is available).
	bash docker/build.sh

docker-smoke: $(VENV)/.dev  ## Build, run and probe the image; removes what it started.
	RUN_DOCKER_TESTS=1 $(PY) -m pytest -m docker tests/docker -q -s

# --- checks ------------------------------------------------------------------------------------------
lint: $(VENV)/.dev  ## ruff.
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.dev  ## mypy on service/ and export/ (and the rest).
	$(VENV)/bin/mypy

test: $(VENV)/.dev lint typecheck  ## Lint, type-check and run the whole test suite.
	$(PY) -m pytest -q

format: $(VENV)/.dev  ## Apply ruff's formatter and fixes.
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

lock: $(VENV)/.dev  ## Recompile the pinned requirements from requirements/*.in.
	cd requirements && for f in runtime training dev; do \
	  ../$(VENV)/bin/pip-compile -q --strip-extras --no-header --allow-unsafe --no-emit-index-url \
	  --no-emit-find-links $$f.in -o $$f.txt; done

clean:  ## Remove virtual environments and caches.
	rm -rf $(VENV) .venv-* .pytest_cache .mypy_cache .ruff_cache .hypothesis
