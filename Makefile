# pathways: two commands on a fresh machine with Python 3.11+ and make.
#   make demo   set up .venv, create the SQLite database, deploy workflows/, load demo data, serve :5000
#   make test   set up .venv with test extras, then ruff, mypy, the import layers and the whole pytest suite
#   make screenshots  docs/screenshots/*.png of every page (1366x768, headless Chromium, fresh demo data)
#   make bench  print the benchmark figures (docs/benchmarks.md); needs PostgreSQL for BENCH_PG

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck layers pytest bench i18n screenshots clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "pathways needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pathways demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy src/pathways

# import-linter: the contracts in pyproject.toml ([tool.importlinter]); the layers in docs/layers.md
layers: $(STAMP)
	$(BIN)/lint-imports --no-cache

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck layers pytest

# Page strings: extract, merge into the Polish catalog (translate the new msgstr there), compile.
I18N := src/pathways/translations
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output --project pathways -o $(I18N)/messages.pot .
	$(BIN)/pybabel update -i $(I18N)/messages.pot -d $(I18N) -l pl --no-fuzzy-matching
	$(BIN)/pybabel compile -d $(I18N) -l pl

# docs/screenshots/*.png: every page at 1366x768 in headless Chromium (Debian's `chromium`) on a fresh demo database.
screenshots: $(STAMP)
	$(BIN)/python -m pathways.web.screenshots --out docs/screenshots

# Benchmarks print figures (docs/benchmarks.md); the timer run needs PostgreSQL and empties BENCH_PG.
BENCH_PG ?= postgresql://postgres@127.0.0.1:5432/bench
# http (HTTP throughput, memory) and scale (100,000 cases, 1,000,000 tasks) empty and fill BENCH_PG_B
BENCH_PG_B ?= postgresql://postgres@127.0.0.1:5432/bench_b
bench: $(STAMP)
	-@createdb -h 127.0.0.1 -U postgres bench 2>/dev/null
	$(BIN)/python benchmarks/engine_step.py --cases 200
	$(BIN)/python benchmarks/engine_step.py --cases 200 --url $(BENCH_PG)
	$(BIN)/python benchmarks/long_case.py
	$(BIN)/python benchmarks/timers.py --url $(BENCH_PG) --timers 10000 --workers 2
	-@createdb -h 127.0.0.1 -U postgres $(notdir $(BENCH_PG_B)) 2>/dev/null
	$(BIN)/python benchmarks/http_throughput.py
	$(BIN)/python benchmarks/http_throughput.py --db postgres --url $(BENCH_PG_B)
	$(BIN)/python benchmarks/http_throughput.py --workers 2
	$(BIN)/python benchmarks/http_throughput.py --db postgres --url $(BENCH_PG_B) --workers 2
	$(BIN)/python benchmarks/scale_generate.py --url $(BENCH_PG_B)
	$(BIN)/python benchmarks/scale_queries.py --url $(BENCH_PG_B)
	$(BIN)/python benchmarks/feel.py
	$(BIN)/python benchmarks/dmn.py

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
