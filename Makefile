# Two commands do all set-up: `make run` and `make test`. Both build .venv from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test worker beat lint format bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The web server, a Celery worker and beat, on the broker REDIS_URL names or, without it, on a
# broker folder in var/ (no server needed). One Ctrl-C stops all three.
run: $(STAMP)
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --no-input
	DEBUG=$${DEBUG:-true} SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(BIN)/python manage.py seed_demo
	mkdir -p var
	PATH="$(abspath $(BIN)):$$PATH" DEBUG=$${DEBUG:-true} WAYPOINT_ADDR=$(HOST):$(PORT) \
		SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} PYTHONUNBUFFERED=1 \
		$(BIN)/honcho start -f Procfile

# Tests run with DEBUG off, as production does; they need only a throwaway key.
test: $(STAMP)
	SECRET_KEY=$${SECRET_KEY:-tests-only-not-a-secret} $(BIN)/python -m pytest $(PYTEST_ARGS)

worker: $(STAMP)
	$(BIN)/celery -A config worker --loglevel=info --without-gossip --without-mingle

beat: $(STAMP)
	$(BIN)/celery -A config beat --loglevel=info

# Benchmarks print ratios against a baseline measured in the same run (see bench/README.md).
# The adoption benchmark needs a PostgreSQL server it may create a throwaway database on.
bench: $(STAMP)
	DEBUG=true $(BIN)/python bench/bench_report.py
	$(BIN)/python bench/bench_dedupe.py --rows $${BENCH_ROWS:-100000}
	$(BIN)/python bench/bench_adoption.py $${BENCH_DATABASE_URL:+--database-url "$$BENCH_DATABASE_URL"}

# mypy loads the settings (django-stubs), which need only a throwaway key.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	SECRET_KEY=$${SECRET_KEY:-lint-only-not-a-secret} $(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
