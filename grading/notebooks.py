"""Reading nbgrader notebooks and executing their code cells (never their test cells).

Notebooks are read with :mod:`json` (importing nbformat costs more than grading a
notebook). A *test cell* is an nbgrader autograder cell (``grade`` and not
``solution``), or any cell that imports this package: executing a submission
runs every other code cell, in order, in a fresh module namespace.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import sys
import threading
import types
from dataclasses import dataclass
from pathlib import Path

from .probes.cells import label as cell_label
from .probes.cells import run_cell

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
RELEASED = REPO_ROOT / "exercises"

CELL_TIMEOUT = 60.0
_IMPORTS_GRADING = re.compile(r"^\s*(from\s+grading[\s.]|import\s+grading\b)", re.M)


def read(path: str | os.PathLike) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def nbgrader(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_test_cell(cell: dict) -> bool:
    meta = nbgrader(cell)
    if cell.get("cell_type") != "code":
        return False
    return bool(meta.get("grade") and not meta.get("solution")) or bool(_IMPORTS_GRADING.search(source(cell)))


def is_locked_given_code(cell: dict) -> bool:
    meta = nbgrader(cell)
    return (
        cell.get("cell_type") == "code"
        and bool(meta.get("locked"))
        and not meta.get("solution")
        and not meta.get("grade")
    )


def solution_path(notebook: str) -> Path:
    """Where the reference notebook lives: ``solutions/<notebook>/<notebook>.ipynb`` (``$MINITORCH_SOLUTIONS``
    names another solutions folder)."""
    solutions = Path(os.environ.get("MINITORCH_SOLUTIONS", REPO_ROOT / "solutions"))
    return solutions / notebook / f"{notebook}.ipynb"


def released_path(notebook: str) -> Path:
    return RELEASED / notebook / f"{notebook}.ipynb"


@dataclass
class CellError:
    index: int
    error: str
    label: str = ""

    def __str__(self) -> str:
        return f'the cell "{self.label}": {self.error}' if self.label else f"code cell {self.index}: {self.error}"


def new_namespace(name: str) -> dict:
    """A fresh module's namespace, registered in sys.modules (dataclasses look there)."""
    module = types.ModuleType(name)
    module.__dict__["__builtins__"] = builtins
    module.__dict__["display"] = lambda *args, **kwargs: None  # IPython's display(), as a no-op
    sys.modules[name] = module
    return module.__dict__


def cells_to_run(nb: dict, restore_from: dict | None = None) -> tuple[list[tuple[int, str]], list[str]]:
    """The code cells to execute, numbered among the code cells: test cells skipped, read-only given cells
    replaced by the source notebook's version (``restore_from``), as ``nbgrader autograde`` does; and notes
    about the test cells (missing or with a changed grade_id)."""
    source_cells = [c for c in (restore_from or {}).get("cells", []) if isinstance(c, dict)]
    given = {nbgrader(c).get("grade_id"): source(c) for c in source_cells if is_locked_given_code(c)}
    tests = {
        nbgrader(c).get("grade_id") for c in source_cells if c.get("cell_type") == "code" and nbgrader(c).get("grade")
    }
    cells: list[tuple[int, str]] = []
    seen_tests = set()
    index = 0
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        index += 1
        text = source(cell)
        if not isinstance(text, str):
            text = ""
        if is_test_cell(cell):
            seen_tests.add(nbgrader(cell).get("grade_id"))
            continue
        if is_locked_given_code(cell) and nbgrader(cell).get("grade_id") in given:
            text = given[nbgrader(cell)["grade_id"]]
        cells.append((index, text))
    missing = sorted(str(t) for t in tests - seen_tests)
    notes = (
        [f"test cells missing or with a changed grade_id: {', '.join(missing)} (graded from the code anyway)"]
        if restore_from and missing
        else []
    )
    return cells, notes


def execute(
    nb: dict, namespace: dict, *, label: str, restore_from: dict | None = None, timeout: float | None = CELL_TIMEOUT
) -> list[CellError]:
    """Run every code cell except test cells in this process; return the errors (execution goes on after one).

    With ``restore_from`` (the source notebook), read-only given code cells are
    replaced by the source's version first, as ``nbgrader autograde`` does.
    """
    errors: list[CellError] = []
    origin = "cell" if label == "notebook" else label
    for index, text in cells_to_run(nb, restore_from)[0]:
        error, _ = run_cell(index, text, namespace, timeout, origin)
        if error is not None:
            errors.append(CellError(index, error, cell_label(text)))
    return errors


_references: dict[str, dict] = {}
#: Held while reference code runs in this process: a probe may swap stand-ins into the shared reference
#: namespace, which another thread must not see half-done. (minitorch's grad mode and observers are per thread.)
REFERENCE_LOCK = threading.RLock()


def load_reference(exercise: str, notebook: str) -> dict:
    """The namespace of the reference solution (cached per file): its code cells, test cells excluded."""
    with REFERENCE_LOCK:
        return _load_reference(exercise, notebook)


def _load_reference(exercise: str, notebook: str) -> dict:
    path = solution_path(notebook)
    key = f"{exercise}:{path}"
    if key not in _references:
        if not path.exists():
            if released_path(notebook).exists():  # the student edition: no solutions/ (grading.edition)
                return load_public_reference(exercise, notebook)
            raise RuntimeError(
                f"the reference solution {path} and the released notebook {released_path(notebook)} are both "
                "missing: the checks compare with one of them, so they need the course repository (set "
                "MINITORCH_SOLUTIONS to its solutions/ folder) or the student edition's exercises/"
            )
        namespace = new_namespace(f"_reference_{exercise}")
        errors = execute(read(path), namespace, label=f"reference {exercise}")
        if errors:
            raise RuntimeError(f"the reference solution {path} fails: " + "; ".join(map(str, errors)))
        _references[key] = namespace
    return _references[key]


def source_notebook(notebook: str) -> Path:
    """The notebook a submission's read-only given cells are restored from: the reference solution, or where it
    is not shipped (the student edition) the released notebook, whose given cells are the same."""
    path = solution_path(notebook)
    return path if path.exists() else released_path(notebook)


def load_public_reference(exercise: str, notebook: str) -> dict:
    """The reference without ``solutions/`` (cached): the released notebook's read-only given cells executed in
    order, with the public reference's objects (:mod:`grading.public`) put in where its first solution cell
    stands. Other cells are skipped: the solution cells (stubs in a released notebook), and any cell a student
    added to the file (in the student edition, ``exercises/`` is where students work)."""
    from .public import definitions

    with REFERENCE_LOCK:
        path = released_path(notebook)
        key = f"{exercise}:public:{path}"
        if key not in _references:
            cells = [c for c in read(path).get("cells", []) if isinstance(c, dict)]
            code_cells = [c for c in cells if c.get("cell_type") == "code"]
            namespace = new_namespace(f"_public_reference_{exercise}")
            errors: list[CellError] = []
            defined = False
            for index, cell in enumerate(code_cells, 1):
                if nbgrader(cell).get("solution") and not defined:
                    namespace.update(definitions(exercise, namespace))
                    defined = True
                elif is_locked_given_code(cell):
                    error, _ = run_cell(index, source(cell), namespace, CELL_TIMEOUT, f"reference {exercise}")
                    if error is not None:
                        errors.append(CellError(index, error, cell_label(source(cell))))
            if not defined:
                raise RuntimeError(f"the released notebook {path} has no solution cell to put the public reference in")
            if errors:
                raise RuntimeError(
                    f"the public reference of {exercise} fails on {path}: " + "; ".join(map(str, errors))
                )
            _references[key] = namespace
        return _references[key]
