# Two entry points that work on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: install browser demo test unit lint bench eval clean

# Installs are pinned by constraints.txt (regenerate with `$(BIN)/pip freeze --exclude-editable`).
$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[dev]"
	touch $@

install: $(BIN)/.installed

# Browser tests use Debian's Chromium and ChromeDriver (no browser download at run time).
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian chromium + chromium-driver for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "browser tests need: apt-get install chromium chromium-driver" >&2; fi; \
	fi

demo: install
	$(BIN)/newsflow demo

# pytest exits 5 when it collects nothing; that is a broken suite here, not a pass.
test: install browser
	$(BIN)/python -m pytest -ra; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

unit: install
	$(BIN)/python -m pytest -ra tests/unit

lint: install
	$(BIN)/ruff check . && $(BIN)/mypy -p newsflow

# Throughput beside bare spaCy, then the lake: start-up against 1k/100k/1M-article histories and a
# simulated streaming day before and after `newsflow maintain`.
bench: install
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python benchmarks/lake.py

eval: install
	$(BIN)/python benchmarks/quality.py

clean:
	rm -rf output test-artifacts .pytest_cache
