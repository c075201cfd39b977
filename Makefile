# Everything a user or CI needs, from a fresh clone with only Python 3.12 and make.
#   make run    build the warehouse from the landing zone (default: the shipped sample)
#   make test   run the whole test suite
#   make ui     Dagster UI on http://localhost:3000
#   make bench  the sample's build on DuckDB and on local Spark (when installed), then the 1M-touchpoint
#               benchmark: wall time and peak memory (ARGS="--touchpoints N" for another size)

SHELL := /bin/bash
# PyMC-Marketing needs Python 3.12: the first 3.12 interpreter found (PATH, then pyenv's versions).
PYTHON ?= $(firstword $(foreach candidate,python3.12 $(sort $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12)) \
	/usr/local/bin/python3.12 /usr/bin/python3.12,$(if $(shell $(candidate) -c 'import sys; assert sys.version_info[:2] == (3, 12)' \
	2>/dev/null && echo yes),$(candidate))))
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# The optional Spark engine's packages (make install-spark)
SPARK_INSTALLED := $(VENV)/.installed-spark
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/seeds dbt_project/tests -type f 2>/dev/null) \
	dbt_project/dbt_project.yml dbt_project/profiles.yml

export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export DBT_PROFILES_DIR := $(CURDIR)/dbt_project
# No network here, and no telemetry anywhere.
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export GX_ANALYTICS_ENABLED := False
export DAGSTER_DISABLE_TELEMETRY := 1
export PYTHONUNBUFFERED := 1
# Keep the byte code Python compiles on first import (the install is --no-compile): an environment that sets
# PYTHONDONTWRITEBYTECODE would make every process compile every module again, and a run starts several (the
# CLI, each dbt invocation, each Dagster run worker). Importing the definitions took 13.6 s with it set and
# 5.5 s without, from the second process on (2 cores). An empty value is "not set" to Python.
export PYTHONDONTWRITEBYTECODE :=

# The suites run on two workers (pytest-xdist), a test file per worker at a time: a build is mostly one busy
# core (Dagster's steps, dbt's parse, one sampler chain), so two builds side by side use both cores. A session's
# shared build is made once per worker that needs it; files that read the same costly build are one unit
# (tests/conftest.py, SHARED_BUILDS), so that build is made once. PYTEST_WORKERS= runs them in one process.
PYTEST_WORKERS ?= -n 2 --dist loadfile

# The heavy end-to-end tests, the engine comparison included (installs the Spark extra; skipped, and said
# so, without Java). The whole CLI run on Spark (marker spark_run) is make test-spark's.
test-slow: $(INSTALLED) $(SPARK_INSTALLED) $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml chromium
	$(BIN)/pytest -m 'slow and not spark_run' $(PYTEST_WORKERS)

# Everything on Spark (installs the Spark extra): the engine comparison (every mart on both engines, row by
# row; its Spark build took 241 s of a worker on a fresh clone) and the whole CLI run with ROI_ENGINE=spark
# (marker spark_run): 34 passed in 8 min 18 s on an idle machine (2026-12-07), the run's setup 480 s of one
# worker. make test-spark PYTEST_ARGS="-m 'spark and not spark_run'" runs the comparison alone.
test-spark: $(INSTALLED) $(SPARK_INSTALLED) $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/pytest -m spark $(PYTEST_WORKERS) $(PYTEST_ARGS)

.PHONY: run test test-slow test-spark ui bench lint format sample clean install manifest chromium

run: $(INSTALLED) $(if $(filter spark,$(ROI_ENGINE)),$(SPARK_INSTALLED)) $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m orchestration.cli run $(ARGS)

test: $(INSTALLED) $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest $(PYTEST_WORKERS)

ui: $(INSTALLED) $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: $(INSTALLED) $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml
	@# The shipped sample on both engines (Spark left out, and said so, without make install-spark).
	$(BIN)/python bench/run_bench.py --landing seeds/sample --engine both --skip-attribution --without-mmm
	$(BIN)/python bench/run_bench.py $(ARGS)
	$(BIN)/python bench/bench_mmm.py samplers --samplers configured --granularity configured

lint: $(INSTALLED) $(MANIFEST)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# sqlfluff's dbt templater opens the warehouse the profile names: the run's, as an absolute path.
	warehouse="$$($(BIN)/python -c 'from orchestration.lib.settings import warehouse_path; print(warehouse_path())')" \
		&& mkdir -p "$$(dirname "$$warehouse")" \
		&& ROI_WAREHOUSE="$$warehouse" $(BIN)/sqlfluff lint dbt_project/models

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Defaults live in orchestration/lib/settings.py; config/roi.yml and dbt_project.yml's vars are derived.
.PHONY: defaults
defaults: $(INSTALLED)
	$(BIN)/python -m orchestration.lib.config_defaults

sample: $(INSTALLED)
	$(BIN)/python seeds/generate.py --out seeds/sample

install: $(INSTALLED)

# The optional Spark engine (ROI_ENGINE=spark): dbt-spark and PySpark on top of the default lock; needs Java 17+.
.PHONY: install-spark
install-spark: $(SPARK_INSTALLED)

$(SPARK_INSTALLED): $(INSTALLED) requirements-spark.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile -r requirements-spark.lock
	touch $@

# Headless Chromium renders the executive report in the tests (Debian's package; no download at test time).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the report rendering test"; \
		(apt-get update -q && apt-get install -y -q chromium) >/dev/null 2>&1 || \
		echo "warning: could not install chromium; the report rendering test will be skipped"; }

$(INSTALLED): requirements.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python 3.12 not found (set PYTHON=/path/to/python3.12)" >&2; exit 1; }
	@# A virtualenv made by another Python (e.g. 3.11 before the move to 3.12) is made anew.
	$(BIN)/python -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	@# --no-compile: Python compiles each module the first time it is imported, so the ~16,000 files of the
	@# lock are not all byte-compiled up front; the project itself needs no isolated build (setuptools is locked).
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile --no-deps --no-build-isolation -e .
	touch $@

manifest: $(MANIFEST)

$(MANIFEST): $(INSTALLED) $(DBT_SOURCES)
	$(BIN)/python -m orchestration.cli prepare
	touch $@

$(DAGSTER_HOME)/dagster.yaml: orchestration/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp $< $@

clean:
	rm -rf warehouse .dagster_home dbt_project/target dbt_project/logs reports outbox

# Dashboards, the semantic layer and the docs: readers of the published snapshot
# (warehouse/roi_snapshot.duckdb), never of the live warehouse, so none of them blocks a build.
#   make dashboard                                     live dashboard on http://localhost:8501
#   make metrics ARGS="--metrics roi --group-by channel,attribution_model"   a MetricFlow query
#   make docs                                          dbt docs (lineage, columns) on http://localhost:8080
.PHONY: dashboard metrics docs
DASHBOARD_PORT ?= 8501
DOCS_PORT ?= 8080

dashboard: $(INSTALLED)
	$(BIN)/streamlit run dashboard/app.py --server.address 127.0.0.1 --server.port $(DASHBOARD_PORT) \
		--server.headless true --browser.gatherUsageStats false

metrics: $(INSTALLED) $(MANIFEST)
	$(BIN)/python -m orchestration.lib.metrics query $(ARGS)

docs: $(INSTALLED) $(MANIFEST)
	$(BIN)/python -m orchestration.lib.dbt_docs --port $(DOCS_PORT)
