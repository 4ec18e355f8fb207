"""The Jupyter Book builds, every page is complete, and it renders offline in a real browser.

The book is built once per test session (module-scoped fixture) with the same
command as ``make book``, in a temporary copy of ``book/`` so that a build in
progress in the working tree is not disturbed. ``minitorch/``, ``bench/``,
``tests/`` and ``exercises/`` are linked next to the copy: chapters include source
files from them with ``literalinclude`` (the GPU chapter shows the emulated GPU of
``tests/``), read benchmark results from ``bench/results/`` and link the graded
notebooks of ``exercises/``.

Then, for every page listed in ``book/_toc.yml``:

* the HTML page exists and shows no error output (no traceback, no stderr block);
* a page whose notebook draws with matplotlib contains images, and every
  image file it references exists;
* the page loads no script, stylesheet or image from another host.

Every chapter's reader notebook (the ``.ipynb`` of its download menu) has its
listings inlined and no MyST left, and runs from top to bottom with nbclient in
a temporary folder outside the repository. A second, quick build (execution
off) with ``repository.url`` set checks the Binder and Colab buttons.

Finally, headless Chromium (Debian package ``chromium``) reads the book as a
reader would, through the DevTools protocol (``tests/book_browser.py``): MathJax,
served from the book's own ``_static/`` folder, typesets every page; no display
equation is wider than its column at 1280 px; there is one search box, and it
finds a term; a folded solution opens; the "next" and sidebar links navigate;
and no page requests anything but ``file://``. ``make test`` installs Chromium
beforehand where it can (``make chromium``); the tests install nothing and fail
with an install hint where it is missing, because an untested rendering is the
failure they exist to catch. Screenshots are written to ``/tmp/book_screens/``
for a human to look at; they are not asserted.

The whole module takes about five minutes on two cores, most of it the build.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import yaml
from book_browser import CHROMIUM_FLAGS, INSTALL_HINT, OVERFLOWING_EQUATIONS_JS, Browser, find_chromium
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from sphinx.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"
SCREENSHOT_DIR = Path("/tmp/book_screens")
SCREENSHOT_PAGES = {"chapters/04_reverse_mode": "ch04_reverse_mode.png", "chapters/10_nonsmooth": "ch10_nonsmooth.png"}
BUILD_TIMEOUT_S = 600
BROWSER_TIMEOUT_S = 120


# --- the table of contents -------------------------------------------------------------
def _toc_files(node: object) -> list[str]:
    """Every ``file:`` entry of a jb-book table of contents, in reading order."""
    files: list[str] = []
    if isinstance(node, dict):
        if "file" in node:
            files.append(str(node["file"]))
        for key in ("parts", "chapters", "sections"):
            for child in node.get(key, []) or []:
                files.extend(_toc_files(child))
    return files


def toc_pages() -> list[str]:
    """The root page and every page of ``_toc.yml``, without suffix (``chapters/01_three_ways``)."""
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text(encoding="utf-8"))
    pages = [str(toc["root"])] + _toc_files(toc)
    return [re.sub(r"\.(md|ipynb)$", "", page) for page in pages]


def source_of(page: str) -> Path:
    for suffix in (".md", ".ipynb"):
        if (BOOK / (page + suffix)).is_file():
            return BOOK / (page + suffix)
    raise FileNotFoundError(f"_toc.yml lists {page!r}, but book/{page}.md does not exist")


PAGES = toc_pages()


def uses_matplotlib(page: str) -> bool:
    """Does the page's notebook draw figures (a code cell that calls matplotlib)?"""
    text = source_of(page).read_text(encoding="utf-8")
    cells = re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", text, flags=re.DOTALL)
    return any(re.search(r"\bplt\.(show|subplots|figure|plot)\b", cell) for cell in cells)


def has_math(page: str) -> bool:
    text = source_of(page).read_text(encoding="utf-8")
    return bool(re.search(r"\$[^$\n]+\$|\$\$|\{math\}|:math:", text))


# --- the build --------------------------------------------------------------------------
def copy_of_the_book(work: Path) -> Path:
    """``work/book``, a copy of ``book/``, with the folders its pages read from linked beside it; ``work``."""
    shutil.copytree(BOOK, work / "book", ignore=shutil.ignore_patterns("_build", ".ipynb_checkpoints", "__pycache__"))
    for shared in ("minitorch", "bench", "tests", "exercises"):
        (work / shared).symlink_to(ROOT / shared, target_is_directory=True)
    return work


@pytest.fixture(scope="module")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build a copy of the book exactly as ``make book`` does; return its ``_build/html``."""
    assert JUPYTER_BOOK.is_file(), f"{JUPYTER_BOOK} not found: run the tests with the venv's Python (make test)"
    work = copy_of_the_book(tmp_path_factory.mktemp("book"))
    command = [str(JUPYTER_BOOK), "build", "book", "-W", "-n", "--keep-going"]
    result = subprocess.run(
        command,
        cwd=work,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    log = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)  # without terminal colours
    lines = log.splitlines()
    problems = [
        line for line in lines if re.search(r"WARNING|ERROR|Error\b", line) and "Kernel is running over TCP" not in line
    ]
    # A failing notebook cell: show the cell and its error, not only the final summary.
    failed_cell = next((i for i, line in enumerate(lines) if "An error occurred while executing" in line), None)
    cell_report = "\n".join(lines[failed_cell : failed_cell + 60]) if failed_cell is not None else ""
    assert result.returncode == 0, (
        f"`{' '.join(command)}` exited with {result.returncode}.\nProblems:\n"
        + "\n".join(problems[:40])
        + ("\n--- the failing cell ---\n" + cell_report if cell_report else "")
        + "\n--- end of the build log ---\n"
        + log[-3000:]
    )
    html = work / "book" / "_build" / "html"
    assert (html / "index.html").is_file(), "the build succeeded but wrote no index.html"
    return html


def html_of(built_book: Path, page: str) -> Path:
    return built_book / (page + ".html")


# --- every page ---------------------------------------------------------------------------
@pytest.mark.parametrize("page", PAGES)
def test_page_exists_without_error_output(built_book: Path, page: str) -> None:
    path = html_of(built_book, page)
    assert path.is_file(), f"{page}: no HTML page was built ({path.relative_to(built_book)})"
    html = path.read_text(encoding="utf-8")
    assert "<h1" in html, f"{page}: the page has no title"
    for marker in (
        "Traceback (most recent call last)",
        "output_error",
        'class="output traceback',
        'class="output error',
        'class="output stderr',
    ):
        assert marker not in html, f"{page}: the page shows error output ({marker!r})"
    assert "Traceback" not in re.sub(r"<[^>]+>", "", html), f"{page}: the page text contains a traceback"


@pytest.mark.parametrize("page", [p for p in PAGES if uses_matplotlib(p)])
def test_figures_are_present(built_book: Path, page: str) -> None:
    path = html_of(built_book, page)
    html = path.read_text(encoding="utf-8")
    sources = re.findall(r"<img\b[^>]*?\ssrc=\"([^\"]+)\"", html)
    assert sources, f"{page}: the notebook draws figures but the page has no <img>"
    for src in sources:
        if src.startswith("data:"):
            continue
        image = (path.parent / src.split("#")[0].split("?")[0]).resolve()
        assert image.is_file(), f"{page}: <img src={src!r}> points to a file that does not exist"
        assert image.stat().st_size > 0, f"{page}: image {src!r} is empty"


_REMOTE = r"(?:https?:)?//"


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_nothing_remote(built_book: Path, page: str) -> None:
    html = html_of(built_book, page).read_text(encoding="utf-8")
    remote = []
    remote += re.findall(r"<script\b[^>]*\ssrc=[\"'](" + _REMOTE + r"[^\"']+)", html, flags=re.IGNORECASE)
    remote += re.findall(r"<img\b[^>]*\ssrc=[\"'](" + _REMOTE + r"[^\"']+)", html, flags=re.IGNORECASE)
    for tag in re.findall(r"<link\b[^>]*>", html, flags=re.IGNORECASE):
        href = re.search(r"\shref=[\"'](" + _REMOTE + r"[^\"']+)", tag, flags=re.IGNORECASE)
        if href and re.search(r"rel=[\"'][^\"']*(stylesheet|preload|modulepreload|icon)", tag, flags=re.IGNORECASE):
            remote.append(href.group(1))
    assert not remote, f"{page} loads remote resources: {remote}"


# --- a real browser -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chromium() -> str:
    """The Chromium executable (``make test`` installs it beforehand where it can)."""
    found = find_chromium()
    if found is None:
        pytest.fail(INSTALL_HINT)
    return found


def run_chromium(chromium: str, profile: Path, url: str, *mode: str) -> subprocess.CompletedProcess:
    command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=8000", *mode, url]
    return subprocess.run(command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S)


def _visible_text_outside_code(dom: str) -> str:
    """The DOM without the elements whose text is code or not shown."""
    for tag in ("script", "style", "pre", "code", "textarea", "mjx-container", "mjx-assistive-mml", "svg"):
        dom = re.sub(rf"<{tag}\b.*?</{tag}>", " ", dom, flags=re.DOTALL | re.IGNORECASE)
    return dom


def check_rendering(chromium: str, profile_root: Path, built_book: Path, page: str) -> list[str]:
    """Open one page in headless Chromium; return the problems found."""
    url = html_of(built_book, page).as_uri()
    result = run_chromium(chromium, profile_root / page.replace("/", "_"), url, "--dump-dom")
    dom = result.stdout
    if result.returncode != 0 or "</html>" not in dom:
        return [f"{page}: Chromium failed (exit {result.returncode}): {result.stderr[-500:]}"]
    problems = []
    containers = len(re.findall(r"<mjx-container\b", dom))
    if containers == 0:
        problems.append(f"{page}: MathJax rendered nothing (no <mjx-container> in the DOM)")
    text = _visible_text_outside_code(dom)
    if "$$" in text:
        problems.append(f"{page}: raw $$ left in the rendered page: ...{text[text.index('$$') - 80 :][:200]}...")
    leftover = re.search(r"<span class=\"math[^\"]*\">\s*\\[(\[]", text)
    if leftover:
        problems.append(f"{page}: a math span was not typeset: {text[leftover.start() : leftover.start() + 120]}")
    return problems


def test_mathjax_renders_in_chromium(built_book: Path, chromium: str, tmp_path: Path) -> None:
    pages = [page for page in PAGES if has_math(page)]
    assert len(pages) >= 10, f"expected most pages to contain mathematics, found {pages}"
    with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
        results = list(pool.map(lambda p: check_rendering(chromium, tmp_path, built_book, p), pages))
    problems = [problem for page_problems in results for problem in page_problems]
    # Screenshots for a human to look at (not asserted).
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    for page, name in SCREENSHOT_PAGES.items():
        if page in PAGES:
            run_chromium(
                chromium,
                tmp_path / f"shot_{name}",
                html_of(built_book, page).as_uri(),
                f"--screenshot={SCREENSHOT_DIR / name}",
                "--window-size=1280,3200",
                "--hide-scrollbars",
            )
    assert not problems, "\n".join(problems)


# --- graded notebooks, the PDF and the launch buttons, linked from the pages -------------------
sys.path.insert(0, str(BOOK / "_ext"))
import header_links  # noqa: E402  (the book's own extension: the names of what it links)
from reader_notebook import third_party_imports  # noqa: E402  (as above: found on the path the line before sets)

EXERCISES = ROOT / "exercises"
NOTEBOOK_PAGES = [page for page in PAGES if "kernelspec:" in source_of(page).read_text(encoding="utf-8")[:600]]
# What a reader notebook may import besides the standard library: minitorch and what it and
# Jupyter bring, matplotlib, and scikit-learn, whose digits data set chapter 12 trains on.
READER_IMPORTS = {"minitorch", "numpy", "matplotlib", "IPython", "sklearn"}


def test_exercise_boxes_link_the_released_notebooks(built_book: Path) -> None:
    released = {path.name: path for path in EXERCISES.glob("ex*/ex*.ipynb")}
    assert released, f"no released notebooks in {EXERCISES}"
    linked: dict[str, str] = {}
    for page in PAGES:
        if not re.search(r"\{\{\s*ex\d\d\s*\}\}", source_of(page).read_text(encoding="utf-8")):
            continue
        html = html_of(built_book, page).read_text(encoding="utf-8")
        hrefs = re.findall(r'<a class="reference download internal" download="" href="([^"]+\.ipynb)"', html)
        assert hrefs, f"{page}: names a graded notebook, but the page links none"
        for href in hrefs:
            target = (html_of(built_book, page).parent / href).resolve()
            assert target.is_file(), f"{page}: the link {href!r} leads to no file in the site"
            assert target.name in released, f"{page}: links {target.name}, which exercises/ does not release"
            assert target.read_bytes() == released[target.name].read_bytes(), f"{page}: {href} is not the released file"
            linked[target.name] = page
    assert set(linked) == set(released), f"no chapter links {sorted(set(released) - set(linked))}"


def test_every_page_links_the_book_pdf(built_book: Path) -> None:
    pdf = (built_book / header_links.BOOK_PDF).resolve()
    for page in PAGES:
        hrefs = re.findall(
            r'href="([^"]*' + re.escape(header_links.BOOK_PDF) + ')"',
            html_of(built_book, page).read_text(encoding="utf-8"),
        )
        assert hrefs, f"{page}: the download menu does not link the book's PDF"
        assert (html_of(built_book, page).parent / hrefs[0]).resolve() == pdf, f"{page}: {hrefs[0]} is not {pdf}"


@pytest.fixture(scope="module")
def book_pdf(built_book: Path, chromium: str) -> tuple[Path, str]:
    """``make print-pdf`` (the second half of ``make pdf``) on the built copy: the PDF and the log."""
    book = built_book.parents[1]
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "print-pdf", f"BOOK={book}"],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"make print-pdf failed:\n{log[-3000:]}"
    return built_book / header_links.BOOK_PDF, log


def test_pdf_holds_the_whole_book(book_pdf: tuple[Path, str]) -> None:
    pdf, log = book_pdf
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF"), f"{pdf} is not a PDF"
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    assert pages > 3 * len(PAGES), f"the PDF has {pages} pages for {len(PAGES)} pages of the book"
    assert "Executing" not in log, "the single-page build executed notebooks again instead of reusing the book's"


# --- the reader notebooks ---------------------------------------------------------------------
def reader_notebook(built_book: Path, page: str) -> nbformat.NotebookNode:
    path = built_book / "_sources" / f"{page}.ipynb"
    assert path.is_file(), f"{page}: no reader notebook at {path.relative_to(built_book)}"
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_reader_notebook_is_plain_jupyter(built_book: Path, page: str) -> None:
    html = html_of(built_book, page).read_text(encoding="utf-8")
    assert f"_sources/{page}.ipynb" in html, f"{page}: the download menu does not offer the notebook"
    notebook = reader_notebook(built_book, page)
    source = source_of(page).read_text(encoding="utf-8")
    markdown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code" and not cell.source.startswith("%%")]
    prose = re.sub(r"^```(?!\{)[^\n]*\n.*?^```[ \t]*$", "", markdown, flags=re.MULTILINE | re.DOTALL)  # not code
    leftovers = re.findall(
        r"^ {0,3}(?:`{3,}|:{3,})\{[\w:-]+\}.*$|\{[\w:-]+\}`[^`]*`|^\([\w:.-]+\)=$", prose, flags=re.MULTILINE
    )
    assert not leftovers, f"{page}: MyST left in the notebook's Markdown: {leftovers[:5]}"
    for name in re.findall(r"^:pyobject:\s*(\S+)", source, flags=re.MULTILINE):
        definition = name.split(".")[-1]
        assert re.search(rf"^\s*(?:def|class) {re.escape(definition)}\b", markdown, flags=re.MULTILINE), (
            f"{page}: the listing of {name} is not in the notebook"
        )
    if "$$" in source:
        assert "$$" in markdown, f"{page}: the display math was lost"
    into_repository = [line for cell in code for line in cell.splitlines() if "../" in line]
    assert not into_repository, f"{page}: code still reaches into the repository: {into_repository}"
    extra = set(third_party_imports(notebook)) - READER_IMPORTS
    assert not extra, f"{page}: the notebook imports {sorted(extra)}, which a reader need not have"


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_reader_notebook_runs_outside_the_repository(
    built_book: Path, page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = reader_notebook(built_book, page)
    # First, make sure the kernel sees nothing of the repository but what the venv installed.
    notebook.cells.insert(
        0,
        nbformat.v4.new_code_cell(
            f"import os, sys\nassert os.getcwd() == {str(tmp_path)!r}, os.getcwd()\n"
            f"inside = [p for p in map(os.path.abspath, filter(None, sys.path)) if p.startswith({str(ROOT)!r})]\n"
            "assert all(p.startswith(sys.prefix) for p in inside), sys.path"
        ),
    )
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.chdir(tmp_path)
    assert not tmp_path.resolve().is_relative_to(ROOT)
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{page}: the reader notebook fails outside the repository:\n{str(error)[-2500:]}")


# --- launch buttons ------------------------------------------------------------------------------
EXAMPLE_REPOSITORY = "https://github.com/example-org/minitorch-course"


@pytest.fixture(scope="module")
def book_with_repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A quick build (nothing executed) with ``repository.url`` set; its ``_build/html``."""
    work = copy_of_the_book(tmp_path_factory.mktemp("launch"))
    config_path = work / "book" / "_config.yml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["repository"]["url"] = EXAMPLE_REPOSITORY
    config["execute"]["execute_notebooks"] = "off"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    # No -W: with nothing executed, glued values are missing, which the real build checks.
    result = subprocess.run(
        [str(JUPYTER_BOOK), "build", "book"], cwd=work, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S
    )
    assert result.returncode == 0, (
        f"the build with repository.url set failed:\n{(result.stdout + result.stderr)[-3000:]}"
    )
    return work / "book" / "_build" / "html"


def test_launch_buttons_come_from_the_repository_setting(built_book: Path, book_with_repository: Path) -> None:
    assert yaml.safe_load((BOOK / "_config.yml").read_text(encoding="utf-8"))["repository"]["url"] == ""
    for page in NOTEBOOK_PAGES:
        html = html_of(built_book, page).read_text(encoding="utf-8")
        assert "mybinder.org" not in html and "colab.research.google.com" not in html, (
            f"{page}: launch buttons without a repository"
        )
        launched = html_of(book_with_repository, page).read_text(encoding="utf-8")
        org_repo = "example-org/minitorch-course"
        assert re.findall(r'href="(https://mybinder\.org/[^"]+)"', launched) == [
            f"https://mybinder.org/v2/gh/{org_repo}/notebooks?urlpath=lab/tree/{page}.ipynb"
        ], page
        assert re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"', launched) == [
            f"https://colab.research.google.com/github/{org_repo}/blob/notebooks/{page}.ipynb"
        ], page
        notebook = (book_with_repository / "_sources" / f"{page}.ipynb").read_text(encoding="utf-8")
        assert f"git+{EXAMPLE_REPOSITORY}" in notebook, f"{page}: the launched notebook cannot install minitorch"


def test_a_repository_that_binder_and_colab_cannot_open_is_refused() -> None:
    with pytest.raises(ConfigError, match="GitHub repository"):
        header_links.launch_targets("https://gitlab.com/example-org/minitorch-course", "intro")


# --- a reader in a browser -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser(chromium: str):
    with Browser(chromium) as page:
        yield page


@pytest.fixture(scope="module")
def desktop_visits(built_book: Path, browser: Browser) -> dict[str, dict]:
    """Every page opened at 1280 px: the display equations wider than their column, and the requests."""
    browser.set_viewport(1280, 900)
    visits = {}
    for page in PAGES:
        browser.requests.clear()
        browser.goto(html_of(built_book, page).as_uri())
        visits[page] = {
            "overflowing": browser.evaluate(OVERFLOWING_EQUATIONS_JS),
            "requests": list(browser.requests),
            "equations": browser.evaluate('document.querySelectorAll("mjx-container[display=true]").length'),
        }
    return visits


def test_no_display_equation_is_wider_than_its_column_at_1280px(desktop_visits: dict[str, dict]) -> None:
    assert sum(visit["equations"] for visit in desktop_visits.values()) > 50, "display equations were not typeset"
    problems = [
        f"{page}: {eq['width']} px wide in a {eq['available']} px column: {eq['text']}"
        for page, visit in desktop_visits.items()
        for eq in visit["overflowing"]
    ]
    assert not problems, "\n".join(problems)


def test_no_request_leaves_file_urls(desktop_visits: dict[str, dict]) -> None:
    assert all(visit["requests"] for visit in desktop_visits.values()), "no request was recorded"
    remote = {
        page: [url for url in visit["requests"] if not url.startswith(("file:", "data:", "blob:", "about:"))]
        for page, visit in desktop_visits.items()
    }
    assert not any(remote.values()), {page: urls for page, urls in remote.items() if urls}


VISIBLE_SEARCH_BOXES_JS = r"""
[...document.querySelectorAll('.search-button-field, .search-button, #searchbox input, form.bd-search input')]
  .filter(e => { const r = e.getBoundingClientRect();
                 return e.offsetParent !== null && r.width > 0 && r.right > 0 && r.left < innerWidth; })
  .length
"""


@pytest.mark.parametrize("width", [1280, 390])
def test_one_search_box(built_book: Path, browser: Browser, width: int) -> None:
    browser.set_viewport(width, 900)
    browser.goto(html_of(built_book, "chapters/02_graphs").as_uri())
    assert browser.evaluate(VISIBLE_SEARCH_BOXES_JS) == 1, f"not exactly one search box at {width} px"


def test_search_finds_a_term(built_book: Path, browser: Browser) -> None:
    browser.set_viewport(1280, 900)
    browser.goto(html_of(built_book, "chapters/02_graphs").as_uri())
    browser.evaluate("document.querySelector('.search-button-field').click()")
    browser.wait_for("document.querySelector('#pst-search-dialog input[name=q]')")
    browser.follow(
        "(() => { const box = document.querySelector('#pst-search-dialog input[name=q]');"
        " box.value = 'dual numbers'; box.form.submit(); })()"
    )
    assert "search.html?q=dual" in browser.location
    browser.wait_for("document.querySelectorAll('#search-results li a').length > 0", 30)
    found = browser.evaluate("[...document.querySelectorAll('#search-results li a')].map(a => a.getAttribute('href'))")
    assert any("03_forward_mode" in href for href in found), f"searching 'dual numbers' found {found[:10]}"


def test_folded_solution_opens(built_book: Path, browser: Browser) -> None:
    with_solutions = [
        page for page in PAGES if 'class="solution dropdown' in html_of(built_book, page).read_text(encoding="utf-8")
    ]
    assert with_solutions, "no page has a folded solution (an {solution} with :class: dropdown)"
    page = with_solutions[0]
    body_height = (
        "(() => { const s = document.querySelector('.solution.dropdown');"
        " return [...s.children].filter(c => !c.classList.contains('admonition-title'))"
        "   .reduce((h, c) => h + c.getBoundingClientRect().height, 0); })()"
    )
    for width in (1280, 390):
        browser.set_viewport(width, 900)
        browser.goto(html_of(built_book, page).as_uri())
        assert browser.evaluate(body_height) == 0, f"{page}: the solution is shown before a click"
        browser.evaluate("document.querySelector('.solution.dropdown .admonition-title').click()")
        browser.wait_for(f"{body_height} > 20", 10)
        browser.wait_for(
            "[...document.querySelector('.solution.dropdown').children].every("
            "c => getComputedStyle(c).opacity === '1')",
            10,
        )  # faded in, for the screenshot
        browser.evaluate("document.querySelector('.solution.dropdown').scrollIntoView()")
        browser.screenshot(SCREENSHOT_DIR / f"open_solution_{width}px.png", full_page=False)


def test_navigation_next_and_sidebar(built_book: Path, browser: Browser) -> None:
    browser.set_viewport(1280, 900)
    browser.goto(html_of(built_book, PAGES[0]).as_uri())
    browser.follow("document.querySelector('a.right-next').click()")
    assert browser.location.endswith(f"{PAGES[1]}.html"), f"'next' from {PAGES[0]} led to {browser.location}"
    target = PAGES[4]
    browser.follow(f"document.querySelector('.bd-sidebar-primary a[href$=\"{target.split('/')[-1]}.html\"]').click()")
    assert browser.location.endswith(f"{target}.html"), f"the sidebar link to {target} led to {browser.location}"
    title = browser.evaluate("document.querySelector('h1').textContent")
    heading = re.search(r"^# (.+)$", source_of(target).read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert heading and heading.group(1).strip() in title, f"{target}: the page shows {title!r}"
