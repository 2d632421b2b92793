# The two commands: `make up` runs the whole hub, `make test` runs the whole suite.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup browser up test test-fast lint clean

setup: $(STAMP)

# torch first and pinned: 2.13.0 is the CPU build on this disk; an unpinned torch pulls gigabytes of CUDA.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# The browser tests drive Debian's chromium (Playwright never downloads one); installed when missing and we are root.
browser:
	test -x /usr/bin/chromium || test "$$(id -u)" != 0 || (apt-get update -qq && apt-get install -y -qq chromium)

up: setup
	$(VENV)/bin/prodops up

# Three workers on two cores: while one waits on the broker, a database or a subprocess, another computes. Tests that start the
# whole hub (marker e2e) go to two of them, so that at most two hubs of seven processes run at once (conftest.py).
test: setup browser
	$(PY) -m pytest -q -n 3 --dist loadgroup

test-fast: setup
	$(PY) -m pytest -q -m "not kafka and not postgres and not e2e and not model"

# One mypy run: pyproject.toml's [tool.mypy] makes libs/ and every services/*/domain.py strict, the rest plain.
LINTED := libs services prodops tests bench

lint: setup
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/mypy $(LINTED)

clean:
	rm -rf $(VENV)
