# The README's two commands: `make demo` and `make test`. Everything runs inside .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install demo demo-all test bench lab data clean real-illinois real-truth intake-scale nation

help:  ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)  ## Create .venv and install the project with its test tools

demo: $(STAMP)  ## Ingest the demo state and render the board summary and one county; prints the index page last
	$(BIN)/benchmarks demo

demo-all: $(STAMP)  ## Same as demo, rendering every district of the demo state
	$(BIN)/benchmarks demo --all

data: $(STAMP)  ## Regenerate the committed demo submissions, template and data dictionary
	$(BIN)/benchmarks demo-data
	$(BIN)/benchmarks template

lab: $(STAMP)  ## JupyterLab on notebooks/ with the project's kernel and warehouse (runs the demo first if none)
	$(BIN)/benchmarks lab

bench: $(STAMP)  ## Time the naive papermill+nbconvert loop and the papermill API loop against the batch renderer (50 demo districts)
	$(BIN)/benchmarks bench

REAL := ../shared/data/real
REAL_IL := build/real-illinois
real-illinois: $(STAMP)  ## From the public Illinois file alone (../shared/data/real) to a report for every clean district, audited
	@test -f $(REAL)/esh_districts_fy2015_IL.csv || { echo "real-illinois: no $(REAL)/esh_districts_fy2015_IL.csv (shared/data/real)"; exit 1; }
	rm -rf $(REAL_IL) $(REAL_IL).key && mkdir -p $(REAL_IL)
	BENCHMARKS_KEY_FILE=$(REAL_IL).key $(BIN)/benchmarks --root $(REAL_IL) import-bandwidth $(REAL)/esh_districts_fy2015_IL.csv
	BENCHMARKS_KEY_FILE=$(REAL_IL).key $(BIN)/benchmarks --root $(REAL_IL) render --year 2015-16
	BENCHMARKS_KEY_FILE=$(REAL_IL).key $(BIN)/benchmarks --root $(REAL_IL) audit

real-truth: $(STAMP)  ## How far shown county medians lie from the plain ones on the real Illinois data, now and under the first rule
	@test -f $(REAL)/esh_districts_fy2015_IL.csv || { echo "real-truth: no $(REAL)/esh_districts_fy2015_IL.csv (shared/data/real)"; exit 1; }
	rm -rf $(REAL_IL)-truth $(REAL_IL)-truth.key && mkdir -p $(REAL_IL)-truth
	BENCHMARKS_KEY_FILE=$(REAL_IL)-truth.key $(BIN)/benchmarks --root $(REAL_IL)-truth import-bandwidth $(REAL)/esh_districts_fy2015_IL.csv
	$(BIN)/python -m benchmarks.timing.truthful $(REAL_IL)-truth/data/processed/warehouse.duckdb

# Two pytest-xdist workers halve the suite's time on two cores; worksteal keeps both busy to the end, as a
# few tests take minutes. Each worker ingests and renders the demo once (tests/conftest.py).
TEST_WORKERS ?= 2
test: $(STAMP)  ## Run the test suite (on TEST_WORKERS=2 processes)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal

clean:  ## Remove generated warehouse, quarantine and reports (keeps .venv)
	rm -rf data/raw data/processed data/quarantine reports

intake-scale: $(STAMP)  ## Rows per second and peak memory of validate and ingest on a generated 500,000-row file
	$(BIN)/benchmarks intake-timing --rows 500000

NATION := build/nation
nation: $(STAMP)  ## A fictional nation (13,000 districts in 50 states) generated, ingested and rendered end to end, into build/nation
	rm -rf $(NATION) $(NATION).key && mkdir -p $(NATION)
	$(BIN)/benchmarks demo-data --nation 50 --out $(NATION)/submissions
	BENCHMARKS_KEY_FILE=$(NATION).key $(BIN)/benchmarks --root $(NATION) ingest $(NATION)/submissions/*.csv
	BENCHMARKS_KEY_FILE=$(NATION).key $(BIN)/benchmarks --root $(NATION) render
