# Two commands do all the set-up on a fresh machine:
#   make run    the service with demo data, GraphiQL at http://127.0.0.1:8000/graphql
#   make test   the test suite
# Without DATABASE_URL both use an embedded PostgreSQL kept in .data/ (git-ignored).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install migrate seed lint schema clean assets

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/registry migrate

seed: migrate
	$(BIN)/registry seed --scale demo --if-empty

# GraphiQL's scripts come from the npm registry at install time and are served by the
# service itself, so GraphiQL works on an intranet without internet access.
assets: $(STAMP)
	$(BIN)/python scripts/fetch_graphiql_assets.py

run: seed assets
	$(BIN)/registry serve

test: $(STAMP) assets
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

schema: $(STAMP)
	$(BIN)/registry print-schema --output schema/schema.graphql

clean:
	rm -rf $(VENV) .data
