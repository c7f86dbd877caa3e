# Guichet — every target creates what it needs; `make demo` and `make test`
# work on a fresh clone.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Synapse for the Matrix tests, in a virtualenv of its own (its dependencies never meet ours)
SYNAPSE_VENV  := .venv-synapse
SYNAPSE_STAMP := $(SYNAPSE_VENV)/.installed
DOMAIN := guichet
PO     := $(wildcard locales/*/LC_MESSAGES/$(DOMAIN).po)
MO     := $(PO:.po=.mo)

.PHONY: demo test lint typecheck unit locales extract bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(SYNAPSE_STAMP):
	$(PYTHON) -m venv $(SYNAPSE_VENV)
	$(SYNAPSE_VENV)/bin/pip install --quiet --upgrade pip
	$(SYNAPSE_VENV)/bin/pip install --quiet 'matrix-synapse>=1.100,<2'
	touch $(SYNAPSE_STAMP)

locales/%/LC_MESSAGES/$(DOMAIN).mo: locales/%/LC_MESSAGES/$(DOMAIN).po $(STAMP)
	$(BIN)/pybabel compile --statistics -D $(DOMAIN) -d locales -l $*

## compile the catalogs
locales: $(MO)

## extract strings from the code and merge them into the catalogs
extract: $(STAMP)
	$(BIN)/pybabel extract -F locales/babel.cfg -k N_ --no-location --sort-output \
	    --project=guichet --copyright-holder="Guichet" -o locales/$(DOMAIN).pot bot handlers storage
	$(BIN)/pybabel update -D $(DOMAIN) -i locales/$(DOMAIN).pot -d locales --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python scripts/po_fill.py locales/en/LC_MESSAGES/$(DOMAIN).po --copy-msgid

## chat with Guichet in this terminal (console backend, fresh SQLite file, demo consultation)
demo: $(STAMP) locales
	$(BIN)/guichet demo $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check bot handlers storage tests bench scripts
	$(BIN)/ruff format --check bot handlers storage tests bench scripts
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(SYNAPSE_STAMP) locales
	$(BIN)/pytest -q $(PYTEST_ARGS)

## the whole suite: lint, types, tests
test: lint typecheck unit

## every benchmark, then one table (bench/RESULTS.md explains it); ARGS="--quick" to try it
bench: $(STAMP) locales
	$(BIN)/python bench/run_all.py $(ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache $(MO)
