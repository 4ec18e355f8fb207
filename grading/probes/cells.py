"""Running a notebook's code cells outside IPython, as Jupyter would: a wall-clock limit per cell, IPython
syntax skipped with a note, errors described by the cell's own first line.
"""

from __future__ import annotations

import contextlib
import io
import linecache
import re
import signal
import threading
import warnings
from collections.abc import Iterator
from typing import Any

from .base import CELL_LABELS, describe

#: ``%magic``, ``!shell`` and ``x = !shell`` lines (IPython syntax that Python cannot compile).
_IPYTHON_LINE = re.compile(r"^(\s*)(?:([A-Za-z_][\w.]*\s*=\s*))?([%!].*)$")
#: Cell magics whose body is Python and runs as it is; any other cell magic skips the cell.
_PYTHON_CELL_MAGICS = ("%%time", "%%timeit", "%%capture", "%%prun")


def label(text: str) -> str:
    """What a student recognises a cell by: its first non-empty line (a heading comment or a ``def``)."""
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= 60 else line[:57] + "..."
    return "(an empty cell)"


def without_ipython_syntax(text: str) -> tuple[str, list[str]]:
    """The cell with IPython-only lines replaced by ``pass`` (line numbers kept), and a note for each."""
    notes: list[str] = []
    lines = text.splitlines()
    if lines and lines[0].startswith("%%"):
        magic = lines[0].split()[0]
        if magic not in _PYTHON_CELL_MAGICS:
            return "", [f"skipped: the cell magic {magic} runs only in Jupyter"]
        notes.append(f"ran without the cell magic {magic}")
        lines[0] = ""
    for i, line in enumerate(lines):
        match = _IPYTHON_LINE.match(line)
        if match and not line.lstrip().startswith(("%=", "!=")):
            indent, target, command = match.groups()
            lines[i] = indent + (f"{target}None" if target else "pass")
            notes.append(f"line {i + 1} skipped (IPython only): {command.strip()[:60]}")
    return "\n".join(lines), notes


#: Code that the alarm does not interrupt, nor the functions it calls: it raises a millisecond later instead (a
#: profile hook that raised would be switched off by Python, which the tripwire would take for tampering).
NOT_INTERRUPTED: set = set()


def _not_interrupted(frame: Any, depth: int = 8) -> bool:
    """Does ``frame``, or one of the few frames that called it, run code of :data:`NOT_INTERRUPTED`? (A profile
    hook's helpers run inside it; no submission code can, since Python does not profile inside the hook.)"""
    while frame is not None and depth:
        if frame.f_code in NOT_INTERRUPTED:
            return True
        frame, depth = frame.f_back, depth - 1
    return False


@contextlib.contextmanager
def alarm(seconds: float | None, exception: type[BaseException]) -> Iterator[None]:
    """Raise ``exception`` in the block after ``seconds`` of wall-clock time (POSIX, main thread only;
    elsewhere, and for ``None``, there is no limit). ``exception`` should not be an ``Exception``, so that
    the code in the block cannot catch it with ``except Exception``."""
    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def fire(signum: int, frame: Any) -> None:
        if _not_interrupted(frame):
            signal.setitimer(signal.ITIMER_REAL, 1e-3)
            return
        raise exception()

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class CellTimeout(BaseException):
    """A cell ran past its time limit."""


def run_cell(
    index: int, text: str, namespace: dict, timeout: float | None, origin: str = "cell"
) -> tuple[str | None, list[str]]:
    """Execute one code cell in ``namespace``: (the error or None, notes). What the cell prints is dropped.
    ``origin`` names the notebook in the cell's file name; only a submission's cells (``"cell"``) are the
    student's own code, which error messages may quote."""
    code_text, notes = without_ipython_syntax(text)
    filename = f"<{origin} {index}>"
    if origin == "cell":
        CELL_LABELS[filename] = label(text)
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            code = compile(code_text, filename, "exec")
            with alarm(timeout, CellTimeout):
                exec(code, namespace)
    except CellTimeout:
        return f"took longer than {timeout:g} s; stopped", notes
    except KeyboardInterrupt:
        raise
    except (Exception, SystemExit) as exc:
        return describe(exc), notes
    return None, notes
