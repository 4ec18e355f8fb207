# The two set-up commands of the README are `make book` and `make test`.
# Each one creates .venv/ on first use and installs what it needs there.
comma  := ,
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXTRAS ?= book,dev,grading
STAMP  := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

.PHONY: help venv book test bench clean

help:
	@echo "make book   build the Jupyter Book (executes every notebook) into book/_build/html"
	@echo "make test   run the whole test suite"
	@echo "make bench  run the benchmarks in bench/ and print their ratios"

$(STAMP): pyproject.toml minitorch/__init__.py
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	@touch $@

venv: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build book -W -n --keep-going

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf book/_build .pytest_cache
