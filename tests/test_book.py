"""The Jupyter Book builds, every page is complete, and it renders offline in a real browser.

The book is built once per test session (module-scoped fixture) with the same
command as ``make book``, in a temporary copy of ``book/`` so that a build in
progress in the working tree is not disturbed. ``minitorch/``, ``bench/`` and
``tests/`` are linked next to the copy: chapters include source files from them
with ``literalinclude`` (the GPU chapter shows the emulated GPU of ``tests/``)
and read benchmark results from ``bench/results/``.

Then, for every page listed in ``book/_toc.yml``:

* the HTML page exists and shows no error output (no traceback, no stderr block);
* a page whose notebook draws with matplotlib contains images, and every
  image file it references exists;
* the page loads no script, stylesheet or image from another host.

Finally, headless Chromium (Debian package ``chromium``) opens every page that
contains mathematics and checks that MathJax, served from the book's own
``_static/`` folder, typeset it. Chromium is installed with apt-get if it is
missing and the tests run as root; if it still cannot be found, the test fails
rather than skips, because an untested rendering is the failure this test
exists to catch. Screenshots of two chapters are written to
``/tmp/book_screens/`` for a human to look at; they are not asserted.

The whole module takes about two minutes on two cores, most of it the build.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

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
@pytest.fixture(scope="module")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build a copy of the book exactly as ``make book`` does; return its ``_build/html``."""
    assert JUPYTER_BOOK.is_file(), f"{JUPYTER_BOOK} not found: run the tests with the venv's Python (make test)"
    work = tmp_path_factory.mktemp("book")
    shutil.copytree(BOOK, work / "book", ignore=shutil.ignore_patterns("_build", ".ipynb_checkpoints", "__pycache__"))
    for shared in ("minitorch", "bench", "tests"):
        (work / shared).symlink_to(ROOT / shared, target_is_directory=True)
    command = [str(JUPYTER_BOOK), "build", "book", "-W", "-n", "--keep-going"]
    result = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    log = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)  # without terminal colours
    lines = log.splitlines()
    problems = [line for line in lines if re.search(r"WARNING|ERROR|Error\b", line)
                and "Kernel is running over TCP" not in line]
    # A failing notebook cell: show the cell and its error, not only the final summary.
    failed_cell = next((i for i, line in enumerate(lines) if "An error occurred while executing" in line), None)
    cell_report = "\n".join(lines[failed_cell:failed_cell + 60]) if failed_cell is not None else ""
    assert result.returncode == 0, (
        f"`{' '.join(command)}` exited with {result.returncode}.\nProblems:\n" + "\n".join(problems[:40])
        + ("\n--- the failing cell ---\n" + cell_report if cell_report else "")
        + "\n--- end of the build log ---\n" + log[-3000:]
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
    for marker in ("Traceback (most recent call last)", "output_error", 'class="output traceback',
                   'class="output error', 'class="output stderr'):
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
def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    """The Chromium executable; installed with apt-get when missing and running as root."""
    found = find_chromium()
    if found is None and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
        if subprocess.run(install, env=env, capture_output=True, timeout=900).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=900)
            subprocess.run(install, env=env, capture_output=True, timeout=900)
        found = find_chromium()
    if found is None:
        pytest.fail("Chromium is not installed and could not be installed (Debian: apt-get install chromium); "
                    "the rendering of the book cannot be checked without it")
    return found


def run_chromium(chromium: str, profile: Path, url: str, *mode: str) -> subprocess.CompletedProcess:
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
               f"--user-data-dir={profile}", "--virtual-time-budget=8000", *mode, url]
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
        problems.append(f"{page}: raw $$ left in the rendered page: ...{text[text.index('$$') - 80:][:200]}...")
    leftover = re.search(r"<span class=\"math[^\"]*\">\s*\\[(\[]", text)
    if leftover:
        problems.append(f"{page}: a math span was not typeset: {text[leftover.start():leftover.start() + 120]}")
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
            run_chromium(chromium, tmp_path / f"shot_{name}", html_of(built_book, page).as_uri(),
                         f"--screenshot={SCREENSHOT_DIR / name}", "--window-size=1280,3200", "--hide-scrollbars")
    assert not problems, "\n".join(problems)
