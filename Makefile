# Two entry points a newcomer needs: `make run` and `make test`. Both create .venv on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The dashboard's browser tests drive Debian's chromium through its chromedriver, and a CJK
# font lets pages in Chinese render as text, not boxes. Installed from the system's packages
# (never downloaded at test time); root installs them, anyone else through sudo.
BROWSER_PACKAGES := chromium chromium-driver fonts-noto-cjk fonts-noto-color-emoji
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint setup browser

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) browser

browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] \
		|| ! fc-list :lang=zh | grep -q .; then \
		( $(SUDO) apt-get update -q && $(SUDO) apt-get install -y --no-install-recommends $(BROWSER_PACKAGES) ) \
		|| (echo "install $(BROWSER_PACKAGES) for the dashboard's browser tests" >&2; exit 1); \
	fi

run: $(STAMP)
	$(BIN)/classcare run

test: $(STAMP) browser
	$(BIN)/python -m pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
