# The two set-up commands of the README are `make book` and `make test`.
# Each one creates .venv/ on first use and installs what it needs there.
comma  := ,
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXTRAS ?= book,dev,grading
STAMP  := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
BOOK   ?= book
# Where `make pdf` writes the whole book; every page's download menu links it (book/_ext/header_links.py).
BOOK_PDF := $(BOOK)/_build/html/minitorch-book.pdf

.PHONY: help venv book pdf print-pdf chromium test bench clean release student-edition check grade autograde

help:
	@echo "make book   build the Jupyter Book (executes every notebook) into book/_build/html"
	@echo "make pdf    build the book, then print it to one PDF, $(BOOK_PDF) (needs Chromium)"
	@echo "make test   run the whole test suite (installs Chromium first where it can)"
	@echo "make bench  run the benchmarks in bench/ and print their ratios"
	@echo "make release            regenerate exercises/ from solutions/ with nbgrader (commit the result)"
	@echo "make student-edition DEST=folder  write the tree to publish to students: no solutions/, no hidden checks"
	@echo "make check NB=notebook [MORE=1]  self-check: the visible checks, a table per part (MORE=1: code-level hints too)"
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
	$(BIN)/jupyter-book build $(BOOK) -W -n --keep-going

pdf: book chromium
	@$(MAKE) --no-print-directory print-pdf

# The PDF of the book just built: its single-page version (which reuses the executed pages,
# book/_ext/always_execute.py) printed by headless Chromium, offline, MathJax typeset first.
print-pdf: $(STAMP)
	$(BIN)/jupyter-book build $(BOOK) --builder singlehtml --keep-going
	@browser="$$(command -v chromium || command -v chromium-browser || command -v google-chrome)"; \
	test -n "$$browser" || { echo "make pdf needs Chromium (Debian: apt-get install chromium)"; exit 1; }; \
	profile="$$(mktemp -d)"; \
	"$$browser" --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run \
	  --no-pdf-header-footer --virtual-time-budget=60000 --run-all-compositor-stages-before-draw \
	  --user-data-dir="$$profile" --print-to-pdf="$(abspath $(BOOK_PDF))" \
	  "file://$(abspath $(BOOK))/_build/singlehtml/index.html" 2>/dev/null; \
	status=$$?; rm -rf "$$profile"; exit $$status
	@test -s "$(BOOK_PDF)" && echo "wrote $(BOOK_PDF)"

# The browser tests need Chromium. Install it (Debian's package, as root) when it is missing;
# where that is impossible say so and go on: the tests then fail with the same hint.
chromium:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Chromium for the browser tests (apt-get install chromium)"; \
	  export DEBIAN_FRONTEND=noninteractive; packages="chromium fonts-dejavu-core"; \
	  apt-get install -y -qq --no-install-recommends $$packages >/dev/null 2>&1 || \
	  { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends $$packages >/dev/null 2>&1; } || \
	  echo "could not install Chromium; the browser tests will fail until it is installed"; \
	else echo "Chromium is missing and cannot be installed here (needs root and apt-get): the browser tests will fail"; fi

test: $(STAMP) chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

release: $(STAMP)
	$(BIN)/python -m grading release

student-edition: $(STAMP)
	@test -n "$(DEST)" || { echo "usage: make student-edition DEST=../course-student (a new folder outside the repository)"; exit 2; }
	$(BIN)/python -m grading edition $(DEST)

check: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make check NB=exercises/ex01_forward_mode/ex01_forward_mode.ipynb"; exit 2; }
	$(BIN)/python -m grading check $(if $(MORE),--more) $(NB)

grade: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make grade NB=path/to/exNN_....ipynb"; exit 2; }
	$(BIN)/python -m grading grade $(if $(MORE),--more) $(NB)

autograde: $(STAMP)
	$(BIN)/minitorch-autograde $(or $(SUBMISSIONS),submitted) --out $(or $(OUT),autograde) $(if $(JOBS),--jobs $(JOBS)) $(AUTOGRADE_FLAGS)

clean:
	rm -rf book/_build .pytest_cache
