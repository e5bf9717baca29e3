# CyberCantal — the two commands are `make run` and `make test` (see README.md).
#
# Needs only GNU make, Python >= 3.11 and its venv module (Debian/Ubuntu: python3-venv).
# Everything else is installed into .venv from the lock files, and only again when a lock
# file (or pyproject.toml) changes.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
# PostgreSQL for the second run of the test suite (pytest-django creates test_cybercantal_gw*).
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/cybercantal
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=

BIN := $(VENV)/bin
CYBERCANTAL := $(BIN)/cybercantal
RUN_STAMP := $(VENV)/.installed-requirements.lock
DEV_STAMP := $(VENV)/.installed-requirements-dev.lock
# `CI=true` turns every "skipped because this machine lacks X" into a failure.
IS_CI := $(filter true 1 yes,$(CI))

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help run install install-dev test lint fmt check-migrations check-deploy \
        test-sqlite test-postgres test-browser e2e-deps lmn-validate messages bench clean distclean

help: ## Cette aide
	@echo "CyberCantal — commandes :"
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 26

# --- Environment -------------------------------------------------------------------------------

$(BIN)/pip:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "CyberCantal demande Python >= 3.11, trouvé " + sys.version.split()[0] + " : indiquez-en un autre, par exemple  make run PYTHON=python3.12")' \
	  || { command -v $(PYTHON) >/dev/null || echo "$(PYTHON) est introuvable : installez Python >= 3.11." >&2; exit 1; }
	@echo "Création de l'environnement Python $(VENV)…"
	@existed=$$(test -e $(VENV) && echo yes || true); \
	 $(PYTHON) -m venv $(VENV) || { \
	   [ -n "$$existed" ] || rm -rf $(VENV); \
	   echo "Impossible de créer $(VENV) : installez le module venv (Debian/Ubuntu : sudo apt install python3-venv)." >&2; \
	   exit 1; }

$(RUN_STAMP): requirements.lock pyproject.toml | $(BIN)/pip
	@echo "Installation des dépendances (requirements.lock)…"
	$(BIN)/python -m pip install --require-virtualenv -q -r requirements.lock
	$(BIN)/python -m pip install --require-virtualenv -q --no-deps -e .
	@touch $@

$(DEV_STAMP): requirements-dev.lock pyproject.toml | $(BIN)/pip
	@echo "Installation des dépendances de développement (requirements-dev.lock)…"
	$(BIN)/python -m pip install --require-virtualenv -q -r requirements-dev.lock
	$(BIN)/python -m pip install --require-virtualenv -q --no-deps -e .
	@touch $@

install: $(RUN_STAMP) ## Installe les dépendances d'exécution dans .venv

install-dev: $(DEV_STAMP) ## Installe aussi les outils de test et de qualité

# --- make run ----------------------------------------------------------------------------------

run: $(RUN_STAMP) ## Prépare la base (var/), charge la démo et sert sur http://127.0.0.1:8000 (HOST=…, PORT=…)
	$(CYBERCANTAL) migrate --noinput
	$(CYBERCANTAL) territory_import
	$(CYBERCANTAL) load_demo
	$(CYBERCANTAL) collectstatic --noinput -v 0
	@echo "Ouvrez http://$(HOST):$(PORT)/ dans votre navigateur."
	$(CYBERCANTAL) serve --host $(HOST) --port $(PORT)

# --- make test ---------------------------------------------------------------------------------

test: $(DEV_STAMP) ## Qualité, contrôles Django, puis tous les tests sur SQLite et sur PostgreSQL
	@$(MAKE) lint
	@$(MAKE) check-migrations
	@$(MAKE) check-deploy
	@$(MAKE) test-sqlite
	@$(MAKE) test-postgres

# mypy (django-stubs) covers at least every services.py and queries.py (DESIGN.md §4).
TYPED := $(sort $(wildcard src/cybercantal/*/services.py src/cybercantal/*/queries.py src/cybercantal/*/services/*.py src/cybercantal/*/queries/*.py))

lint: $(DEV_STAMP) ## ruff (règles et format), djLint sur les gabarits, mypy sur services et requêtes
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint --lint src/cybercantal
	$(if $(TYPED),$(BIN)/mypy $(TYPED))

fmt: $(DEV_STAMP) ## Corrige ce que ruff sait corriger et reformate le code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# A private var/ for the checks: they never touch the developer's database.
CHECKS_DIR := $(CURDIR)/var/checks

check-migrations: $(DEV_STAMP)
	@echo "Migrations à jour ?"
	DATABASE_URL= CYBERCANTAL_VAR_DIR="$(CHECKS_DIR)" $(CYBERCANTAL) makemigrations --check --dry-run

check-deploy: $(DEV_STAMP)
	@echo "check --deploy avec des réglages de production…"
	DEBUG=false CYBERCANTAL_HTTPS=true ALLOWED_HOSTS=cybercantal.example.org DATABASE_URL= \
	  SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	  CYBERCANTAL_VAR_DIR="$(CHECKS_DIR)" \
	  $(CYBERCANTAL) check --deploy --fail-level WARNING

# pytest's exit code 5 means "no test ran": say it plainly instead of a bare "Error 5".
define run_pytest
	rc=0; $(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal -rfEs $(1) $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "Aucun test exécuté (pytest, code 5) : vérifiez la sélection $(1) $(PYTEST_ARGS)" >&2; fi; \
	exit $$rc
endef

test-sqlite: $(DEV_STAMP) e2e-deps ## Toute la suite sur SQLite (PYTEST_ARGS="-k …" pour filtrer)
	@echo "Tests sur SQLite ($(PYTEST_WORKERS) processus)…"
	@export DATABASE_URL=; $(call run_pytest,)

# The browser tests (e2e/) drive the same views through Chromium: they run once, on SQLite
# (test-sqlite); on PostgreSQL the suite runs every test under src/ that can touch the
# database (the concurrency tests with real parallel connections included; the ~830 tests that
# cannot, parsers and the like, ran on SQLite: CYBERCANTAL_PG_ALL=1 runs them again, see
# conftest.py). `make test-postgres PG_PATHS=` runs e2e there too.
PG_PATHS ?= src

test-postgres: $(DEV_STAMP) e2e-deps ## La suite sur PostgreSQL, sans les tests navigateur (POSTGRES_URL=postgres://…)
	@if $(BIN)/python .ci/postgres_ready.py "$(POSTGRES_URL)"; then \
	   echo "Tests sur PostgreSQL ($(PYTEST_WORKERS) processus)…"; \
	   export DATABASE_URL="$(POSTGRES_URL)"; $(call run_pytest,$(PG_PATHS)); \
	 elif [ -n "$(IS_CI)" ]; then \
	   echo "PostgreSQL injoignable alors que CI=true : échec." >&2; exit 1; \
	 else \
	   echo "PostgreSQL injoignable : suite PostgreSQL sautée"; \
	 fi

test-browser: $(DEV_STAMP) e2e-deps ## Seulement les tests navigateur (e2e/), sur SQLite
	@export DATABASE_URL=; $(call run_pytest,e2e)

# axe-core for the browser tests, pinned in e2e/package-lock.json. Without npm, the browser
# tests say why they cannot check accessibility (and fail under CI=true).
e2e-deps: e2e/node_modules/.package-lock.json

e2e/node_modules/.package-lock.json: e2e/package.json e2e/package-lock.json
	@if command -v npm >/dev/null; then \
	   cd e2e && npm ci --no-audit --no-fund --loglevel=error; \
	 else \
	   echo "npm absent : axe-core n'est pas installé, les contrôles d'accessibilité seront sautés." >&2; \
	 fi

# --- Other targets -----------------------------------------------------------------------------

LMN_DIR := $(CURDIR)/var/lmn-validate

lmn-validate: $(RUN_STAMP) ## Exporte les lieux de démo au schéma LMN et les valide avec le paquet npm de référence
	rm -rf "$(LMN_DIR)" && mkdir -p "$(LMN_DIR)"
	export DATABASE_URL= CYBERCANTAL_VAR_DIR="$(LMN_DIR)"; \
	  $(CYBERCANTAL) migrate --noinput -v 0 && \
	  $(CYBERCANTAL) territory_import && \
	  $(CYBERCANTAL) load_demo && \
	  $(CYBERCANTAL) lmn_export --csv "$(LMN_DIR)/lieux.csv" --json "$(LMN_DIR)/lieux.json"
	cd tools/lmn-validate && npm ci --no-audit --no-fund --loglevel=error && \
	  node validate.mjs "$(LMN_DIR)/lieux.csv" "$(LMN_DIR)/lieux.json"

messages: $(DEV_STAMP) ## Régénère les catalogues (.po : anglais, pluriels français) et les compile (.mo) ; demande GNU gettext
	@command -v msgfmt >/dev/null || { echo "GNU gettext manque (Debian/Ubuntu : sudo apt install gettext). Les .mo livrés suffisent pour make run." >&2; exit 1; }
	cd src/cybercantal && $(abspath $(CYBERCANTAL)) makemessages -l en --no-obsolete --ignore "*/tests/*"
	$(BIN)/python tools/french_plurals.py
	cd src/cybercantal && $(abspath $(CYBERCANTAL)) compilemessages -l en -l fr

BENCH_ARGS ?=

bench: $(DEV_STAMP) ## Mesures de performance (bench/run_all.sh ; BENCH_ARGS="--quick" pour un tour rapide)
	PYTHON="$(abspath $(BIN))/python" bash bench/run_all.sh $(BENCH_ARGS)

clean: ## Supprime caches et fichiers produits (garde .venv et les données de var/)
	rm -rf .ruff_cache .mypy_cache .pytest_cache test-results build dist src/*.egg-info var/static var/lmn-validate var/checks
	find . -path ./$(VENV) -prune -o -path ./e2e/node_modules -prune -o -name __pycache__ -type d -print0 | xargs -0 rm -rf

distclean: clean ## clean, plus .venv et les node_modules (les données de var/ restent)
	rm -rf $(VENV) e2e/node_modules tools/lmn-validate/node_modules
