"""What every probe shares: finding the student's names, swapping stand-ins in, describing errors.

A *probe* is the student-side half of a check: a function ``probe(namespace, **inputs) -> data`` in
``probes/exNN.py`` that builds its inputs from plain data (a graph from an edge list, a Dual from two
numbers), calls the student's functions by name and returns what they gave back as plain data (a
topological order as node numbers). It runs where the submission runs (in the sandbox, or in the
notebook's own kernel), so this package imports only NumPy, minitorch and itself: never the checks,
the reference solutions or anything of :mod:`grading`.
"""

from __future__ import annotations

import contextlib
import linecache
import os
import traceback
from collections.abc import Callable, Iterator
from typing import Any

#: filename -> what students call the cell (its first line); filled by :mod:`.cells`.
CELL_LABELS: dict[str, str] = {}
_NOT_STUDENT = tuple(
    os.path.dirname(os.path.dirname(os.path.abspath(p))) + os.sep for p in (__file__, traceback.__file__)
) + tuple(
    os.path.dirname(os.path.abspath(m.__file__)) + os.sep
    for m in map(__import__, ("numpy", "minitorch"))
    if getattr(m, "__file__", None)
)


class Missing(Exception):
    """A name the probe needs is not defined in the student's namespace."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def probe(function: Callable) -> Callable:
    """Mark a function of ``probes/exNN.py`` as a probe (only marked functions can be requested)."""
    function.is_probe = True
    return function


def student(namespace: dict, name: str) -> Any:
    """The student's object called ``name``; raises :class:`Missing` if it is not defined."""
    try:
        return namespace[name]
    except KeyError:
        raise Missing(name) from None


@contextlib.contextmanager
def patched(namespace: dict, **names: Any) -> Iterator[None]:
    """Temporarily replace names in the student's namespace with stand-ins (minitorch's public code), so that a
    part is checked on its own and a bug in an earlier part does not cost points here."""
    saved = {name: namespace[name] for name in names if name in namespace}
    namespace.update(names)
    try:
        yield
    finally:
        for name in names:
            namespace.pop(name, None)
        namespace.update(saved)


def is_student_frame(filename: str) -> bool:
    """Is this a frame of the submission's own code (a notebook cell), not of this package, minitorch, NumPy or
    Python's library?"""
    if CELL_LABELS:
        return filename in CELL_LABELS
    return not filename.startswith(_NOT_STUDENT) and not filename.startswith(("<frozen", "<reference"))


def where(tb: Any) -> str:
    """``  (in f, line 3 of the cell "def f(x):": the line)`` for the deepest frame of the student's cells in a
    traceback; empty if none (a line of anything else is never shown)."""
    frames = [(frame, line) for frame, line in traceback.walk_tb(tb) if is_student_frame(frame.f_code.co_filename)]
    if not frames:
        return ""
    frame, lineno = frames[-1]
    filename = frame.f_code.co_filename
    name = frame.f_code.co_name
    place = f"in {name}" if name != "<module>" else "at the top level"
    cell = f' of the cell "{CELL_LABELS[filename]}"' if filename in CELL_LABELS else ""
    text = linecache.getline(filename, lineno).strip()
    return f"  ({place}, line {lineno}{cell}{': ' + text if text else ''})"


def describe(exc: BaseException) -> str:
    """``Type: message`` and where in the student's code it was raised."""
    if isinstance(exc, RecursionError):
        text = "RecursionError: maximum recursion depth exceeded"
    else:
        try:
            text = f"{type(exc).__name__}: {exc}".rstrip(": ")
        except Exception:
            text = type(exc).__name__
    return text[:2000] + where(exc.__traceback__)


def short_repr(value: Any, limit: int = 200) -> str:
    """``repr(value)``, shortened (and safe: a student's ``__repr__`` may raise)."""
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."
