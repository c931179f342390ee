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
OUT ?=
RUN ?=
COMMITTED ?=
QUICK ?=
export PYTHONPATH := $(CURDIR)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help serve test train export parity bench docker docker-smoke data report lint typecheck format \
        setup-runtime setup-dev clean lock setup-monitoring drift \
        java setup-spark score score-spark bench-batch setup-system
.PHONY: dist spark-wheel score-spark-submit test-spark-cluster
.PHONY: setup-triton deploy-model rollback model-history promote discard-shadow soak

help:  ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{gsub(/\$$\$$/, "$$", $$2); printf "  %-18s %s\n", $$1, $$2}'

# --- environments: a stamp per requirement set, rebuilt when the pins change -------------------------
$(PY):
	$(PYTHON) -m venv $(VENV)

# runtime (+ postgres: the service's optional PostgreSQL store) = pyproject.toml's dependencies (+ [postgres]).
$(VENV)/.runtime: requirements/runtime.txt requirements/postgres.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements/runtime.txt -r requirements/postgres.txt
	touch $@

$(VENV)/.dev: requirements/runtime.txt requirements/postgres.txt requirements/training.txt requirements/dev.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements/runtime.txt \
	  -r requirements/postgres.txt -r requirements/training.txt -r requirements/dev.txt
	touch $(VENV)/.runtime $@

# --- Open Inference Protocol (V2) client for tests/v2: tritonclient caps ml-dtypes below onnx's pin ------
TRITON_VENV ?= .venv-triton
$(TRITON_VENV)/.installed: requirements/tritonclient.txt
	$(PYTHON) -m venv $(TRITON_VENV)
	$(TRITON_VENV)/bin/pip install --disable-pip-version-check -q -r requirements/tritonclient.txt
	touch $@

setup-triton: $(TRITON_VENV)/.installed  ## Create .venv-triton with the official V2 client (tests/v2).
test: setup-triton
# --- end V2 client ---------------------------------------------------------------------------------------

setup-system:  ## Install the Debian packages the tests need where missing (tools/system-packages.sh).
	bash tools/system-packages.sh

setup-runtime: $(VENV)/.runtime  ## Create .venv with only what serving needs.
setup-dev: $(VENV)/.dev  ## Create .venv with everything (training, tests, benchmarks).

# --- the product: thin wrappers around the `purchase-predictor` command (docs/reference/cli.md) --------
CLI := $(PY) -m purchase_predictor
VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"$$/\1/p' purchase_predictor/__init__.py)
WHEEL := dist/purchase_predictor-$(VERSION)-py3-none-any.whl

serve: $(VENV)/.runtime  ## Serve models/purchase_model.onnx on $PORT (default 8000): gunicorn with the buffering worker (PREDICT_FRONT=nginx|none).
	@[ "$${PREDICT_FRONT:-worker}" != nginx ] || command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || \
	  bash tools/system-packages.sh nginx
	$(CLI) serve --port '$(PORT)'

data: $(VENV)/.dev  ## Regenerate data/customers.csv (seeded, 400 rows).
	$(PY) -m training.generate --out data/customers.csv

# make train -> runs/<time>-<model>/ ; make export RUN=runs/… -> runs/…/purchase_model.onnx ; make deploy-model MODEL=…
train: $(VENV)/.dev  ## Train on DATA= into a new runs/<UTC time>-<model>/ (OUT=folder; COMMITTED=1: models/ + reports/); MODEL=, THRESHOLD=, TRAIN_ARGS=--fast ….
	$(CLI) train --data '$(DATA)' --family '$(MODEL)' $(if $(THRESHOLD),--threshold '$(THRESHOLD)') \
	  $(if $(COMMITTED),--out-dir models --report-dir reports,$(if $(OUT),--out '$(OUT)')) $(TRAIN_ARGS)

export: $(VENV)/.dev  ## RUN=runs/… : write RUN/purchase_model.onnx + card (OUT=file.onnx elsewhere); no RUN: models/ (the committed model).
	$(CLI) export $(if $(RUN),--run '$(RUN)') $(if $(OUT),--out '$(OUT)')

parity: $(VENV)/.dev  ## Check parity of models/purchase_model.onnx against the run its card names (RUN=runs/… for a run's model).
	$(CLI) parity $(if $(RUN),--run '$(RUN)')

bench: $(VENV)/.dev setup-spark  ## Side-by-side benchmarks (HTTP, engine, batch + Spark, explanations, shadow); QUICK=1 for the smoke mode.
	$(PY) -m bench.run $(if $(QUICK),--quick,)
	$(PY) -m bench.rejection $(if $(QUICK),--quick,)
	$(PY) -m bench.batch $(if $(QUICK),--quick,)
	$(PY) -m bench.explain_cli $(if $(QUICK),--quick,)
	$(PY) -m bench.explain_http $(if $(QUICK),--quick,)
	$(PY) -m bench.shadow $(if $(QUICK),--quick,)

# --- drift monitoring (docs/monitoring.md) --------------------------------------------------------------
setup-monitoring:  ## Install PostgreSQL and Prometheus (Debian) for the monitoring tests, when missing.
	@command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
	@command -v prometheus >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus

drift: $(VENV)/.runtime  ## Compare a customer file with the model's reference: make drift CURRENT=file.csv|.parquet [FAIL_ON=warning|page]
	@test -n '$(CURRENT)' || { echo "usage: make drift CURRENT=customers.csv [FAIL_ON=warning]" >&2; exit 2; }
	$(CLI) drift --current '$(CURRENT)' $(if $(FAIL_ON),--fail-on '$(FAIL_ON)')
.PHONY: drift-calibration
drift-calibration: $(VENV)/.dev  ## Print the drift alarm's false-alarm rates and power on the committed model (docs/monitoring.md figures).
	$(PY) -m tests.monitoring.calibration
# --- performance devices and worker layouts, each side by side with the floors (docs/performance/) ------
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

# --- the web page's browser (Debian chromium + chromium-driver) and its screenshot (docs/page.md) -----------
.PHONY: setup-browser screenshot
BROWSER_PACKAGES := chromium chromium-driver
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

setup-browser:  ## Install Debian's chromium and chromium-driver where missing (the page tests need them).
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then echo "chromium and chromedriver: present"; \
	else $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES); fi

screenshot: $(VENV)/.dev setup-browser  ## Serve the committed model, open the page in headless Chromium, write docs/page.png.
	$(PY) -m tests.page.screenshot --out docs/page.png
# --- safe model updates and the soak run (docs/operations/model-updates.md, docs/operations/faults.md) ---
# The model store and pidfile shared by `make serve` and the commands that update its model.
serve deploy-model rollback model-history promote discard-shadow: export PREDICT_STATE_DIR ?= $(CURDIR)/.state
DURATION ?= 300
WARMUP ?= 30
RATE ?= 200
SOAK_WORKERS ?= 2

deploy-model: $(VENV)/.runtime  ## Check MODEL=path.onnx, copy it over the served model atomically, reload (SHADOW=1: score it beside the live model, never answering with it).
	@case '$(MODEL)' in *.onnx) ;; *) echo "usage: make deploy-model MODEL=path.onnx [SHADOW=1]" >&2; exit 2;; esac
	$(CLI) deploy $(if $(SHADOW),--shadow) '$(MODEL)'

promote: $(VENV)/.runtime  ## Make the shadow model live the safe way (a deploy of it; rollback goes back).
	$(CLI) promote

discard-shadow: $(VENV)/.runtime  ## Drop the shadow model: the service stops scoring it.
	$(CLI) discard

rollback: $(VENV)/.runtime  ## Go back to the previously deployed model the same safe way.
	$(CLI) rollback

model-history: $(VENV)/.runtime  ## The last deployed models with versions, newest first (* = served).
	$(CLI) history

soak: $(VENV)/.dev  ## Steady load for DURATION s after WARMUP at RATE req/s: 0 errors, worker RSS growth <= 5 %.
	$(PY) -m bench.soak --duration '$(DURATION)' --warmup '$(WARMUP)' --rate '$(RATE)' --workers '$(SOAK_WORKERS)'
# --- batch scoring and Spark (docs/batch.md) ---------------------------------------------------------
INPUT ?=
OUTPUT ?=
SCORE_ARGS ?=
EXPLAIN ?=
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

$(VENV)/.spark: requirements/spark.txt | $(VENV)/.dev
	$(PY) -m pip install --disable-pip-version-check -q -r requirements/spark.txt
	touch $@

java:  ## Install Java for Spark (Debian default-jre-headless) when none is on PATH.
	@command -v java >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq default-jre-headless; }

setup-spark: $(VENV)/.spark java  ## Add the pyspark layer (requirements/spark.txt) and Java to .venv.

score: $(VENV)/.runtime  ## Score INPUT= (CSV/Parquet file or folder) into OUTPUT= (.parquet/.csv); EXPLAIN=1 adds contributions; SCORE_ARGS=--threshold 0.5 …
	@test -n '$(INPUT)' -a -n '$(OUTPUT)' || { echo "usage: make score INPUT=customers.csv OUTPUT=scored.parquet" >&2; exit 2; }
	$(CLI) score --input '$(INPUT)' --output '$(OUTPUT)' $(if $(EXPLAIN),--explain) $(SCORE_ARGS)

score-spark: setup-spark  ## The same on Spark local[*]: INPUT= file or folder, OUTPUT= a new folder; EXPLAIN=1 adds contributions.
	@test -n '$(INPUT)' -a -n '$(OUTPUT)' || { echo "usage: make score-spark INPUT=customers.csv OUTPUT=scored/" >&2; exit 2; }
	$(CLI) spark --input '$(INPUT)' --output '$(OUTPUT)' --master 'local[*]' $(if $(EXPLAIN),--explain) $(SCORE_ARGS)

# spark-submit ships the wheel itself under a .zip name: Spark puts only .zip/.egg/.jar --py-files on the
# executors' Python path, and a pure-Python wheel is a zip with the packages at its root.
SPARK_PY_FILES ?= build/spark/purchase_predictor-$(VERSION)-py3-none-any.zip
SPARK_MASTER ?= local[*]

dist: $(VENV)/.dev  ## Build the wheel and the sdist into dist/ (python -m build; the model is not inside).
	rm -f dist/purchase_predictor-$(VERSION)-py3-none-any.whl dist/purchase_predictor-$(VERSION).tar.gz
	$(PY) -m build --no-isolation --outdir dist .

spark-wheel: dist  ## Copy the wheel to $$SPARK_PY_FILES (build/spark/…zip) for spark-submit --py-files.
	mkdir -p '$(dir $(SPARK_PY_FILES))' && cp '$(WHEEL)' '$(SPARK_PY_FILES)'

score-spark-submit: setup-spark spark-wheel  ## score-spark through spark-submit, the wheel shipped as on a cluster; SPARK_MASTER=local[*].
	@test -n '$(INPUT)' -a -n '$(OUTPUT)' || { echo "usage: make score-spark-submit INPUT=customers.csv OUTPUT=scored/" >&2; exit 2; }
	PYSPARK_PYTHON='$(abspath $(PY))' $(VENV)/bin/spark-submit --master '$(SPARK_MASTER)' --py-files '$(SPARK_PY_FILES)' \
	  scoring/spark.py --input '$(INPUT)' --output '$(OUTPUT)' $(if $(EXPLAIN),--explain) $(SCORE_ARGS)

test-spark-cluster: $(VENV)/.dev setup-spark  ## The Spark job on a real standalone cluster (2 workers, loopback): bits, a killed executor.
	$(PY) -m pytest -q tests/scoring/test_spark_cluster.py

bench-batch: $(VENV)/.dev setup-spark  ## Batch-scoring benchmarks (CLI vs raw onnxruntime vs pandas+sklearn vs Spark); QUICK=1.
	$(PY) -m bench.batch $(if $(QUICK),--quick,)

# --- the documentation site (mkdocs.yml, docs/): docs/development.md ---------------------------------
DOCS_HOST ?= 127.0.0.1
DOCS_PORT ?= 8001
.PHONY: docs docs-build

$(VENV)/.docs: requirements/runtime.txt requirements/docs.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements/runtime.txt -r requirements/docs.txt
	touch $@

docs: $(VENV)/.docs  ## Serve the documentation site on http://127.0.0.1:8001 (DOCS_HOST, DOCS_PORT), rebuilt on change.
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve --strict --dev-addr '$(DOCS_HOST):$(DOCS_PORT)'

docs-build: $(VENV)/.docs  ## Build the site into build/site with --strict: a broken link or a missing page fails.
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

.PHONY: lock-docs
lock-docs: $(VENV)/.dev  ## Recompile requirements/docs.txt from docs.in (after make lock: it is pinned against their pins).
	cd requirements && ../$(VENV)/bin/pip-compile -q --strip-extras --no-header --allow-unsafe --no-emit-index-url \
	  --no-emit-find-links docs.in -o docs.txt

test: docs-build

# --- checks ------------------------------------------------------------------------------------------
lint: $(VENV)/.dev  ## ruff.
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.dev  ## mypy on every package and the tests.
	$(VENV)/bin/mypy

test: setup-system $(VENV)/.dev setup-spark lint typecheck  ## Install what is missing, lint, type-check, run the whole suite (Docker: make docker-smoke).
	$(PY) -m pytest -q -m 'not docker and not chaos'

.PHONY: chaos
chaos: setup-system $(VENV)/.dev  ## Real components misbehaving on loopback: stalled clients, store outages, hostile models.
	$(PY) -m pytest -q -m chaos tests/chaos

format: $(VENV)/.dev  ## Apply ruff's formatter and fixes.
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

lock: $(VENV)/.dev  ## Recompile the pinned requirements/*.txt from requirements/*.in (= pyproject.toml's lists).
	cd requirements && for f in runtime postgres training dev spark; do \
	  ../$(VENV)/bin/pip-compile -q --strip-extras --no-header --allow-unsafe --no-emit-index-url \
	  --no-emit-find-links $$f.in -o $$f.txt; done

clean:  ## Remove virtual environments and caches.
	rm -rf $(VENV) .venv-* .pytest_cache .mypy_cache .ruff_cache .hypothesis
