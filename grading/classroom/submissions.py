"""Finding a class's submissions and reading them safely.

nbgrader's layout is ``submitted/<student>/<assignment>/<notebook>.ipynb``. Nothing is followed through a
symbolic link (a link to the reference notebook would otherwise be graded as the student's work) and only
regular files are read. Saved outputs are dropped before the size limit applies: only code is graded, so a
notebook with 40 MB of plots but a page of code is graded like any other.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ..checks import EXERCISES, exercise, exercise_of_notebook

#: Largest file read at all, and largest notebook graded once its outputs are dropped (bytes).
MAX_FILE = 512 << 20
MAX_NOTEBOOK = 32 << 20


class Ungradable(Exception):
    """The submission cannot be graded at all; the message says why (it goes to the student)."""


@dataclass
class Submission:
    """Where one student's notebook for one assignment is; ``problem`` is set when it cannot be graded."""

    student: str
    assignment: str
    path: Path
    exercise: str | None
    problem: str | None = None

    def timestamp(self) -> str | None:
        """nbgrader's ``timestamp.txt`` beside the notebook, if there is one."""
        try:
            return read_regular(self.path.parent / "timestamp.txt", 4096).decode("utf-8").strip()[:64] or None
        except (Ungradable, UnicodeDecodeError):
            return None


def discover(path: Path, exercise_id: str | None = None) -> list[Submission]:
    """The submissions under ``path``: one notebook, ``submitted/``, a course folder containing it, or one
    student's folder."""
    path = Path(os.path.abspath(path))
    if not os.path.lexists(path):
        raise FileNotFoundError(f"{path}: no such notebook or folder")
    if not path.is_dir() or path.is_symlink():
        spec = exercise(exercise_id) if exercise_id else exercise_of_notebook(path.name)
        named = spec is not None and path.parent.name == spec.notebook
        student = path.parent.parent.name if named else path.stem
        return [_submission(student, spec.notebook if spec else path.stem, path, exercise_id)]
    if (path / "submitted").is_dir():
        path = path / "submitted"
    if any(path.glob("*/*.ipynb")) and not any(path.glob("*/*/*.ipynb")):
        students = [path]  # one student's folder: <student>/<assignment>/<notebook>.ipynb
    else:
        students = _entries(path)
    found = []
    for student in students:
        if student.is_symlink():
            found.append(Submission(student.name, "", student, None, "the student's folder is a symbolic link"))
            continue
        for assignment in _entries(student):
            found.append(_in_assignment(student.name, assignment, exercise_id))
    return found


def _entries(folder: Path) -> list[Path]:
    """Sub-folders (and links to anything), without hidden ones, sorted."""
    with os.scandir(folder) as it:
        return sorted(
            Path(e.path)
            for e in it
            if not e.name.startswith(".") and (e.is_symlink() or e.is_dir(follow_symlinks=False))
        )


def _in_assignment(student: str, folder: Path, exercise_id: str | None) -> Submission:
    if folder.is_symlink():
        return _submission(student, folder.name, folder, exercise_id)
    notebooks = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    named = folder / f"{folder.name}.ipynb"
    if named in notebooks or len(notebooks) != 1:
        chosen = named
    else:
        chosen = notebooks[0]
    submission = _submission(student, folder.name, chosen, exercise_id)
    if not os.path.lexists(chosen):
        found = f" (found {', '.join(p.name for p in notebooks)})" if notebooks else ""
        submission.problem = f"no notebook named {named.name}{found}"
    return submission


def _submission(student: str, assignment: str, path: Path, exercise_id: str | None) -> Submission:
    spec = (
        exercise(exercise_id) if exercise_id else (exercise_of_notebook(assignment) or exercise_of_notebook(path.name))
    )
    problem = None if spec else f"{assignment} is not one of the course's exercises ({', '.join(EXERCISES)})"
    if path.is_symlink():
        problem = f"{path.name} is a symbolic link, not the student's own file: it is not followed"
    return Submission(student, assignment, path, spec.id if spec else None, problem)


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of ``path`` if it is a regular file (never through a symbolic link) of at most ``limit``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise Ungradable(
            "the file is a symbolic link: it is not followed"
            if os.path.islink(path)
            else f"cannot read the file: {exc.strerror or exc}"
        ) from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise Ungradable("not a regular file")
        if info.st_size > limit:
            raise Ungradable(f"the file is {info.st_size >> 20} MB; files over {limit >> 20} MB are not read")
        return f.read(limit + 1)


def read_submission(path: Path) -> bytes:
    """The submitted file's bytes (a regular file, not through a link, at most :data:`MAX_FILE`)."""
    return read_regular(path, MAX_FILE)


def code_only(data: bytes) -> bytes:
    """The notebook to grade: the submitted JSON without its saved outputs. Raises :class:`Ungradable` with
    the reason when the file is not a notebook that can be graded."""
    try:
        nb = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise Ungradable("not a notebook: the file is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise Ungradable(f"not a notebook: invalid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise Ungradable("not a notebook: JSON nested too deeply") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise Ungradable("not a notebook: no list of cells")
    for cell in nb["cells"]:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
        elif isinstance(cell, dict):
            cell.pop("attachments", None)
    code = json.dumps(nb).encode("utf-8")
    if len(code) > MAX_NOTEBOOK:
        raise Ungradable(
            f"the notebook is {len(code) >> 20} MB without its outputs; notebooks larger than "
            f"{MAX_NOTEBOOK >> 20} MB are not graded"
        )
    return code
