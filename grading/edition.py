"""The student edition: the tree an instructor publishes to students, without the answers.

``python -m grading edition DEST`` (``make student-edition DEST=...``) writes into an empty folder outside
the repository: the book's sources, ``minitorch/``, the released notebooks (``exercises/``, outputs cleared),
the grading package with its visible checks only, ``pyproject.toml``, ``.gitignore``, a ``README.md`` for
students and a ``Makefile`` with the targets that work there (``make book``, ``make check NB=...``). It
leaves out ``solutions/``, the hidden checks (cut from every module of ``grading/checks/``), the catalogue of
submissions (``grading/mutants/``: solution snippets), ``tests/`` and the instructors' notes and benchmarks.

With no ``solutions/`` the checks compare with the public reference (:mod:`grading.public`): every exercise
needs one, or the command fails naming the exercise.

A case generator's hidden cases are the statements after an ``if not t.hidden:`` block that ends in
``return``; they are cut out by line ranges (the rest of the file stays byte for byte), and so are the helper
functions that only they used (in any module of the checks). Any other use of ``.hidden`` in a checks module
is refused, with the module and function named: the hidden cases could not be told apart from the visible ones.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

from .checks import EXERCISES
from .notebooks import PACKAGE_DIR, REPO_ROOT, released_path

#: What ships, relative to the repository: folders whole (less :data:`LEFT_OUT`) and single files.
SHIPPED = (
    "book",
    "minitorch",
    "exercises",
    "grading",
    "bench",  # the book includes the benchmarks' code and reads their results
    "tests/emulated_gpu.py",  # the GPU chapter runs the emulator
    "pyproject.toml",
    ".gitignore",
    "LICENSE",
)
#: Never shipped, even inside a shipped folder: the catalogue of submissions (solution snippets), the
#: instructors' notes on solutions and hidden tests, and the scripts that need solutions/ or tests/.
LEFT_OUT = ("grading/mutants", "grading/README.md", "bench/bench_autograde.py", "bench/gpu_check.sh")
#: Build outputs and caches, wherever they are.
SKIPPED = re.compile(r"(^|/)(_build|__pycache__|\.ipynb_checkpoints|\.pytest_cache|[^/]*\.egg-info)(/|$)|\.pyc$")
#: The Makefile targets that work in the edition (the others need solutions/, tests/ or submissions).
MAKE_TARGETS = ("help", "venv", "book", "pdf", "print-pdf", "chromium", "check", "clean", "$(STAMP)")


class EditionError(ValueError):
    """The edition cannot be written (a bad destination, a checks module that hides its hidden cases)."""


# --------------------------------------------------------------------------- hidden checks


def _hidden_test(node: ast.stmt) -> ast.Attribute | None:
    """The ``t.hidden`` of ``if not t.hidden: ...; return`` (no ``else``), or None for any other statement."""
    if (
        isinstance(node, ast.If)
        and not node.orelse
        and isinstance(node.test, ast.UnaryOp)
        and isinstance(node.test.op, ast.Not)
        and isinstance(node.test.operand, ast.Attribute)
        and node.test.operand.attr == "hidden"
        and isinstance(node.body[-1], ast.Return)
    ):
        return node.test.operand
    return None


def _cuts(tree: ast.Module, where: str) -> list[tuple[int, int]]:
    """Line ranges (first, last; 1-based) of every generator's hidden cases; raises :class:`EditionError` at a
    use of ``.hidden`` that is not the test of such a block."""
    cuts, allowed = [], set()
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for function in functions:
        for i, statement in enumerate(function.body):
            test = _hidden_test(statement)
            if test is not None:
                allowed.add(id(test))
                if i + 1 < len(function.body):
                    cuts.append((statement.end_lineno + 1, function.body[-1].end_lineno))
                break
    owner = {id(node): f"{function.name}()" for function in functions for node in ast.walk(function)}  # innermost
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "hidden" and id(node) not in allowed:
            name = owner.get(id(node), "the module's top level")
            raise EditionError(
                f"{where}: {name} uses .hidden at line {node.lineno} other than as `if not t.hidden: <visible "
                "cases>; return` followed by the hidden ones, so its hidden cases cannot be left out"
            )
    return cuts


def _names(tree: ast.Module) -> set[str]:
    """Every name a module uses: read, as an attribute, or imported."""
    named = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Store)}
    named |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    return named | {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}


def _defines(node: ast.stmt) -> list[str]:
    """The names a top-level statement defines, where it can go unused: an undecorated function, or an assignment
    to plain names (a table of inputs); none for anything else."""
    if isinstance(node, ast.FunctionDef) and not node.decorator_list:
        return [node.name]
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    names = [t.id for t in targets if isinstance(t, ast.Name)]
    return names if names and len(names) == len(targets) and not any(n.startswith("__") for n in names) else []


def _unused_helpers(tree: ast.Module, named: set[str]) -> list[tuple[int, int]]:
    """Line ranges of the module's helper functions and tables that no module of the package names."""
    return [
        (node.lineno, node.end_lineno)
        for node in tree.body
        if _defines(node) and not set(_defines(node)) & named and "EXERCISE" not in _defines(node)
    ]


def _remove(text: str, ranges: list[tuple[int, int]]) -> str:
    lines = text.splitlines(keepends=True)
    dropped = {line for first, last in ranges for line in range(first, last + 1)}
    return "".join(line for number, line in enumerate(lines, 1) if number not in dropped)


def strip_checks(sources: dict[str, str], elsewhere: set[str] = frozenset()) -> dict[str, str]:
    """The checks modules' sources (path -> text) without their hidden cases, nor the helper functions that only
    those used (names used ``elsewhere``, by the rest of the package, are kept); the rest of each text unchanged."""
    stripped = {where: _remove(text, _cuts(ast.parse(text), where)) for where, text in sources.items()}
    while True:
        named = set(elsewhere).union(*(_names(ast.parse(text)) for text in stripped.values()))
        unused = {where: _unused_helpers(ast.parse(text), named) for where, text in stripped.items()}
        if not any(unused.values()):
            return stripped
        stripped = {where: _remove(text, unused[where]) for where, text in stripped.items()}


def strip_hidden(text: str, where: str) -> str:
    """One checks module's source without its hidden cases (:func:`strip_checks`)."""
    return strip_checks({where: text})[where]


# --------------------------------------------------------------------------- README, Makefile


def _sections(markdown: str) -> list[str]:
    """The text before the first ``## `` heading, then each ``## `` section."""
    return re.split(r"(?m)^(?=## )", markdown)


def student_readme(readme: str) -> str:
    """The course's introduction and its "For students" section, with how this edition is used."""
    sections = _sections(readme)
    students = [s for s in sections if s.startswith("## For students")]
    if not students:
        raise EditionError('README.md has no "## For students" section for the student edition')
    edition = (
        "## This edition\n\n"
        "This is the course's student edition: the book's sources, `minitorch/`, the notebooks to work on in\n"
        "`exercises/` and the visible checks that their test cells (and `make check`) run. The reference\n"
        "solutions and the hidden checks stay with the instructors; here the checks compare your code with\n"
        "minitorch's own implementation of each idea. You need Python 3.11 or newer, pip and make:\n\n"
        "```bash\n"
        "make book    # build the book, executing every notebook; open book/_build/html/index.html\n"
        "make check NB=exercises/ex01_forward_mode/ex01_forward_mode.ipynb   # self-check a notebook\n"
        "```\n\n"
    )
    return sections[0] + edition + students[0].rstrip("\n") + "\n"


def _target(line: str) -> str | None:
    match = re.match(r"([^\s#:=][^:=]*):(?!=)", line)
    return match.group(1).strip() if match else None


def student_makefile(makefile: str) -> str:
    """The Makefile with only :data:`MAKE_TARGETS`: other rules (and the comments above them) dropped, ``.PHONY``
    and ``help`` reduced to what is left, comments that name a dropped target dropped."""
    kept = set(MAKE_TARGETS)
    dropped = {t for line in makefile.splitlines() for t in [_target(line)] if t and t not in kept and t != ".PHONY"}
    mentions = re.compile(r"make (" + "|".join(map(re.escape, sorted(dropped))) + r")\b") if dropped else None
    paragraphs = []
    for paragraph in makefile.split("\n\n"):
        if any(_target(line) in dropped for line in paragraph.splitlines()):
            continue
        lines = []
        for line in paragraph.splitlines():
            if line.startswith(".PHONY:"):
                line = ".PHONY: " + " ".join(t for t in line.split(":", 1)[1].split() if t in kept)
            elif mentions and mentions.search(line) and (line.lstrip().startswith(("#", "@echo"))):
                continue
            lines.append(line)
        paragraphs.append("\n".join(lines))
    header = "# The student edition's Makefile, written by `python -m grading edition` from the course's.\n"
    return header + "\n\n".join(p for p in paragraphs if p.strip()) + "\n"


# --------------------------------------------------------------------------- the tree


def _notebook(source: Path, dest: Path) -> None:
    """Copy a notebook; its outputs (a reference run's, perhaps) are cleared."""
    nb = json.loads(source.read_text(encoding="utf-8"))
    cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    if not any(c.get("outputs") or c.get("execution_count") is not None for c in cells):
        shutil.copyfile(source, dest)
        return
    for cell in cells:
        cell["outputs"], cell["execution_count"] = [], None
    dest.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _files(root: Path) -> list[Path]:
    """The shipped files, relative to ``root``."""
    files = []
    for entry in SHIPPED:
        path = root / entry
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in candidates:
            relative = file.relative_to(root)
            name = relative.as_posix()
            if not file.exists() or SKIPPED.search(name):
                continue
            if any(name == left or name.startswith(left + "/") for left in LEFT_OUT):
                continue
            files.append(relative)
    return files


def _check_destination(dest: Path) -> None:
    if dest.resolve().is_relative_to(REPO_ROOT.resolve()):
        raise EditionError(f"{dest}: the student edition must be written outside the repository ({REPO_ROOT})")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise EditionError(f"{dest}: not an empty folder (the student edition is written into a new or empty one)")


def _check_public_references() -> None:
    missing = [e for e in EXERCISES if not (PACKAGE_DIR / "public" / f"{e}.py").exists()]
    if missing:
        raise EditionError(
            f"no public reference for {', '.join(missing)} (grading/public/<exercise>.py): without solutions/ "
            "the checks of the student edition would have nothing to compare with"
        )
    unreleased = [e for e, spec in EXERCISES.items() if not released_path(spec.notebook).exists()]
    if unreleased:
        raise EditionError(f"no released notebook for {', '.join(unreleased)}: run `make release` first")


def write_edition(dest: str | Path) -> list[Path]:
    """Write the student edition into ``dest`` (new, or an empty folder outside the repository); the files
    written, relative to it."""
    dest = Path(dest)
    _check_destination(dest)
    _check_public_references()
    modules = {p.relative_to(REPO_ROOT).as_posix(): p for p in PACKAGE_DIR.rglob("*.py") if "mutants" not in p.parts}
    checks = {name for name in modules if re.match(r"grading/checks/ex\d\d(/|\.py$)", name)}
    others = set(modules) - checks
    elsewhere = set().union(*(_names(ast.parse(modules[name].read_text(encoding="utf-8"))) for name in others))
    stripped = strip_checks({name: modules[name].read_text(encoding="utf-8") for name in sorted(checks)}, elsewhere)
    written = []
    for relative in _files(REPO_ROOT):
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        name = relative.as_posix()
        if name in stripped:
            target.write_text(stripped[name], encoding="utf-8")
        elif name.endswith(".ipynb"):
            _notebook(REPO_ROOT / relative, target)
        else:
            shutil.copyfile(REPO_ROOT / relative, target)
        written.append(relative)
    for name, make in (("README.md", student_readme), ("Makefile", student_makefile)):
        (dest / name).write_text(make((REPO_ROOT / name).read_text(encoding="utf-8")), encoding="utf-8")
        written.append(Path(name))
    return written


def main(dest: str) -> int:
    try:
        written = write_edition(dest)
    except EditionError as exc:
        print(f"error: {exc}")
        return 2
    print(f"wrote the student edition to {dest}: {len(written)} files, visible checks only, no solutions/")
    return 0
