# The two commands of the README's quick start: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test install install-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	# The browser tests drive Debian's Chromium; CJK fonts so pages render Chinese.
	dpkg -s chromium chromium-driver fonts-noto-cjk >/dev/null 2>&1 || \
		(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver fonts-noto-cjk)
	$(BIN)/pip install --quiet -e '.[test]'

# `hallsync demo` serves the centers until Ctrl-C, which stops every process it started.
demo: install
	$(BIN)/hallsync demo

# Two workers: every test has its own ports, files and PostgreSQL database; a file's tests
# stay on one worker so its module fixtures are made once. The suite starts thousands of
# hallsync processes (hubs, nodes, commands): compiled once here, each reads the bytecode
# instead of compiling every module again, also where PYTHONDONTWRITEBYTECODE is set.
test: install-test
	$(BIN)/python -m compileall -q hallsync hub node sync web tests
	$(BIN)/python -m pytest -n 2 --dist loadfile
