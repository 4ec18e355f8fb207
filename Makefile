# The two set-up commands of the README are `make book` and `make test`.
# Each one creates .venv/ on first use and installs what it needs there.
comma  := ,
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXTRAS ?= book,dev,grading
STAMP  := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

.PHONY: help venv book test bench clean release check grade autograde

help:
	@echo "make book   build the Jupyter Book (executes every notebook) into book/_build/html"
	@echo "make test   run the whole test suite"
	@echo "make bench  run the benchmarks in bench/ and print their ratios"
	@echo "make release            regenerate exercises/ from solutions/ with nbgrader (commit the result)"
	@echo "make check NB=notebook  self-check: the notebook's visible checks, a table per part"
	@echo "make grade NB=notebook  grade a notebook with every check (visible and hidden)"
	@echo "make autograde [SUBMISSIONS=submitted] [OUT=autograde] [JOBS=n]  grade a class, sandboxed, in parallel"

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

release: $(STAMP)
	$(BIN)/python -m grading release

check: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make check NB=exercises/ex01_forward_mode/ex01_forward_mode.ipynb"; exit 2; }
	$(BIN)/python -m grading check $(NB)

grade: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make grade NB=path/to/exNN_....ipynb"; exit 2; }
	$(BIN)/python -m grading grade $(NB)

autograde: $(STAMP)
	$(BIN)/minitorch-autograde $(or $(SUBMISSIONS),submitted) --out $(or $(OUT),autograde) $(if $(JOBS),--jobs $(JOBS)) $(AUTOGRADE_FLAGS)

clean:
	rm -rf book/_build .pytest_cache
