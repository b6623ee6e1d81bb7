# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages: Chromium for the browser tests, poppler for pdftotext, CJK fonts for screenshots,
# gettext for the translation catalogues (makemessages, compilemessages), and the TrueType fonts the
# agreement PDF embeds (Noto Sans with its Arabic, Hebrew and Devanagari faces; WenQuanYi Zen Hei).
APT_PACKAGES := chromium poppler-utils fonts-noto-cjk gettext fonts-noto-core fonts-wqy-zenhei

.PHONY: run serve test lint bench lock system-packages migrate load-datasets clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Both files are locks (every package, transitive ones too, pinned with its hashes): pip refuses
# anything whose hash differs. Edit requirements.in / requirements-dev.in, then `make lock`.
$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

# Recompile the locks from the .in files (after adding or bumping a dependency there). The dev lock
# is constrained by the runtime one, so both environments install the same versions.
PIP_COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --no-emit-index-url --no-emit-find-links
lock: | $(BIN)/python
	$(BIN)/pip install --quiet pip-tools==7.6.2
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

migrate: $(VENV)/.runtime-installed
	$(BIN)/python manage.py migrate --no-input

load-datasets: migrate
	$(BIN)/python manage.py load_dataset datasets/*.toml

# The Celery worker runs the beat (-B) too, on the broker in CELERY_BROKER_URL (default: files under
# var/celery/, no server needed). It lives as long as runserver: the trap stops it on any exit.
run: load-datasets
	$(BIN)/celery -A accessportal worker -B --concurrency=2 --loglevel=INFO --without-gossip --without-mingle & \
	worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# The production stack against this machine's PostgreSQL and Redis (bin/serve says what it starts).
# Every variable can be overridden: make serve DATABASE_URL=... WEB_CONCURRENCY=4
serve: $(VENV)/.runtime-installed
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/portal} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0} \
	CACHE_URL=$${CACHE_URL:-redis://127.0.0.1:6379/1} \
	ALLOWED_HOSTS=$${ALLOWED_HOSTS:-127.0.0.1,localhost} \
	bin/serve

test: system-packages $(VENV)/.dev-installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Lint, types and the architecture contracts (pyproject.toml); the pre-commit hook runs the same.
lint: $(VENV)/.dev-installed
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Performance figures, each against a baseline measured in the same run (never timed in `make test`, which
# only runs each at its smallest size): bench/run_all.py runs every bench/*.py, prints one table of every
# row and writes bench/RESULTS.md; it fails when any row is OVER its target. Each makes and drops its own data.
bench: $(VENV)/.dev-installed
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var
