"""Grade one notebook: the one path that ``make grade``, the pytest suites and the classroom runner share.

:func:`grade_notebook` executes the submission's code cells in a sandboxed process (:mod:`grading.sandbox`),
then runs every part's checks here, in the grading process: each check sends its inputs as data to a
probe in the sandbox (:mod:`grading.probes`), gets the student's outputs back as data, and computes the
verdict, the tolerances and the reference values on this side. ``isolation="none"`` runs the same process
without namespaces (a plain subprocess, with the same limits where the machine has them).

A submission's failures stay its own: a cell that hangs or kills the process is skipped (the cells before it
run again in a fresh process), a part whose probe kills the process or sends a malformed reply is *crashed*
(zero, with the reason) and the next part starts a fresh process; no wait lasts past the submission's time
budget plus a few seconds.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from types import CodeType
from typing import Any

from .checks import exercise as exercise_spec
from .checks import exercise_of_notebook
from .core import PartResult, StudentFailure, run_part
from .notebooks import cells_to_run, load_reference, read, source_notebook
from .probes.cells import label as cell_label
from .report import NotebookReport
from .sandbox.isolation import detect_isolation
from .sandbox.limits import Limits
from .sandbox.process import Sandbox, SandboxDied
from .tripwire import module_of

#: Wall-clock limits (seconds): a whole submission, one code cell; and the slack a reply may take past a limit.
SUBMISSION_TIMEOUT = 600.0
CELL_TIMEOUT = 60.0
GRACE = 3.0
_STATUSES = ("missing", "not_implemented", "timeout", "error")


@functools.cache
def _announced(code: CodeType) -> str:
    """How the sandbox's tripwire names a call of ``code``: ``module:first line:name``."""
    return f"{module_of(code.co_filename)}:{code.co_firstlineno}:{code.co_name}"


_label_maps: dict[int, tuple[dict, dict]] = {}


def _labels(codes: dict | None) -> dict[str, str]:
    """How the sandbox names each of ``codes`` -> its label (kept per dict: :func:`grading.tripwire.codes` gives
    the same one for the same groups)."""
    if not codes:
        return {}
    kept = _label_maps.get(id(codes))
    if kept is None or kept[0] is not codes:
        kept = _label_maps[id(codes)] = (codes, {_announced(code): label for code, label in codes.items()})
    return kept[1]


class Sandboxed:
    """Where the probes run for :func:`grade_notebook`: a sandboxed process with the notebook's cells executed,
    started again (the cells too) after it died. Implements what :func:`grading.core.run_case` needs:
    :meth:`watch` (the tripwire), :meth:`time_limit`, :meth:`defined` and :meth:`probe`."""

    def __init__(
        self, cells: list[tuple[int, str]], isolation: str, limits: Limits, deadline: float, cell_timeout: float
    ):
        self.cells, self.limits, self.deadline, self.cell_timeout = cells, limits, deadline, cell_timeout
        self.isolation = detect_isolation(isolation)
        self.box: Sandbox | None = None
        self.skipped: dict[int, str] = {}  # cells that hang or kill the process: not run again
        self.cell_errors: list[str] | None = None
        self.notes: list[str] = []
        self.died: SandboxDied | None = None  # the process died in the current part
        self.reloaded: set[str] = set()  # minitorch modules whose source the submission loaded again
        self.case_limit = cell_timeout
        self.labels: dict[str, str] = {}
        self.seen: list[str] = []
        self.starts = 0
        self.startup_seconds = 0.0

    # ----------------------------------------------------------------- the process
    def start(self) -> str | None:
        """A live process with the cells executed; the reason if that is impossible. A cell that hangs or kills
        the process is skipped from then on, and the cells before it run again in a fresh process."""
        while self.box is None:
            if time.monotonic() >= self.deadline:
                return "grading took longer than the submission's time budget in all"
            try:
                self.box = Sandbox(
                    self.isolation, self.limits, startup_timeout=max(1.0, min(60.0, self.deadline - time.monotonic()))
                )
            except SandboxDied as exc:
                return exc.reason
            self.starts += 1
            self.startup_seconds += self.box.startup_seconds
            errors, notes = self._run_cells()
            if self.box is not None and self.cell_errors is None:
                self.cell_errors, self.notes = errors, notes
        return None

    def _run_cells(self) -> tuple[list[str], list[str]]:
        """Run the cells in the new process: (errors, notes); the process is closed if a cell ended it."""
        errors, notes = [], []
        for index, text in self.cells:
            where = f'the cell "{cell_label(text)}"'
            if index in self.skipped:
                errors.append(f"{where}: {self.skipped[index]}")
                continue
            deadline = min(self.deadline, time.monotonic() + self.cell_timeout + GRACE)
            try:
                reply = self._request(
                    {"op": "cell", "index": index, "text": text, "timeout": self.cell_timeout}, deadline
                )
                if not (
                    type(reply) is dict
                    and (reply.get("error") is None or type(reply["error"]) is str)
                    and type(reply.get("notes")) is list
                ):
                    raise SandboxDied("malformed", "the submission's process sent a malformed reply")
            except SandboxDied as exc:
                self.close()
                self.skipped[index] = (
                    f"took longer than {self.cell_timeout:g} s; stopped" if exc.kind == "timeout" else exc.reason
                )
                return errors, notes
            if reply["error"]:
                errors.append(f"{where}: {reply['error']}")
            notes += [f"{where}: {note}" for note in reply["notes"] if type(note) is str]
        return errors, notes

    def _request(self, message: dict, deadline: float) -> Any:
        assert self.box is not None
        reply, reports = self.box.request(message, deadline)
        for report in reports:
            if report.startswith("file:"):
                module = self._module(report[5:])
                if module:
                    self.reloaded.add(module)
            elif self.labels:
                label = self.labels.get(report)
                if label is not None and not label.startswith(self.allow) and label not in self.seen:
                    self.seen.append(label)
        return reply

    @staticmethod
    def _module(path: str) -> str | None:
        path = path.replace(f"{os.sep}__pycache__", "")
        return module_of(path.split(".")[0] + ".py")

    def close(self) -> None:
        if self.box is not None:
            self.box.close()
            self.box = None

    # ----------------------------------------------------------------- what run_case needs
    allow: tuple[str, ...] = ()
    in_process = False

    @contextlib.contextmanager
    def watch(self, codes: dict | None) -> Iterator[list[str]]:
        """The tripwire for one check: the forbidden functions (``codes``: code object -> label) that the
        sandbox reported as called while the check ran."""
        self.labels = _labels(codes)
        self.seen = (
            [label for code, label in (codes or {}).items() if module_of(code.co_filename) in self.reloaded]
            if self.reloaded
            else []
        )
        try:
            yield self.seen
        finally:
            self.labels = {}

    @contextlib.contextmanager
    def time_limit(self, seconds: float | None) -> Iterator[None]:
        """A check's time limit holds for each of its probes in the sandbox (where the student's code runs;
        building inputs and judging here is the grader's time)."""
        self.case_limit = seconds or self.cell_timeout
        yield

    def defined(self, name: str) -> bool:
        """Is ``name`` defined in the submission's namespace? (True if the process cannot tell: the checks then
        run and say what went wrong.)"""
        try:
            reply = self._call({"op": "defined", "names": [name]}, min(self.deadline, time.monotonic() + 10.0))
        except StudentFailure:
            return True
        return type(reply) is not dict or reply.get("defined") != [False]

    def probe(self, exercise: str, name: str, args: dict, allow: tuple[str, ...]) -> Any:
        reply = self._call(
            {"op": "probe", "exercise": exercise, "name": name, "args": args, "timeout": self.case_limit},
            min(self.deadline, time.monotonic() + self.case_limit + GRACE),
            allow,
        )
        if type(reply) is dict and "value" in reply:
            return reply["value"]
        failure = reply.get("failure") if type(reply) is dict else None
        if type(failure) is list and len(failure) == 2 and failure[0] in _STATUSES and type(failure[1]) is str:
            raise StudentFailure(failure[0], failure[1][:5000])
        self._died(SandboxDied("malformed", "the submission's process sent a malformed reply"))

    def _call(self, message: dict, deadline: float, allow: tuple[str, ...] = ()) -> Any:
        if self.died is not None:
            raise StudentFailure("error", f"not run: {self.died.reason}")
        if self.start() is not None:
            raise StudentFailure("error", "not run: the submission's process could not be started again")
        self.allow = allow
        try:
            return self._request(message, deadline)
        except SandboxDied as exc:
            self._died(exc)
        finally:
            self.allow = ()

    def _died(self, exc: SandboxDied) -> None:
        self.close()
        if exc.kind == "timeout":
            raise StudentFailure("timeout", exc.reason)
        self.died = exc
        raise StudentFailure("error", exc.reason)


def grade_notebook(
    path: str | os.PathLike,
    *,
    isolation: str = "auto",
    hidden: bool = True,
    limits: Limits | None = None,
    exercise: str | None = None,
    parts: list[str] | None = None,
    timeout: float = SUBMISSION_TIMEOUT,
    cell_timeout: float = CELL_TIMEOUT,
) -> NotebookReport:
    """Grade ``path``: every check (``hidden=True``) or the visible ones, with the submission's code in a
    sandbox (``isolation``: ``auto``, ``bwrap``, ``namespaces``, ``unshare`` or ``none``)."""
    path = Path(path)
    spec = exercise_spec(exercise) if exercise else exercise_of_notebook(path.name)
    if spec is None:
        raise ValueError(f"{path.name}: cannot tell which exercise this is (name it exNN_...ipynb or pass exercise=)")
    started = time.monotonic()
    cells, notes = cells_to_run(read(path), read(source_notebook(spec.notebook)))
    reference = load_reference(spec.id, spec.notebook)
    backend = Sandboxed(cells, isolation, limits or Limits(), started + timeout, cell_timeout)
    results: list[PartResult] = []
    try:
        for name in parts or list(spec.parts):
            part = spec.parts[name]
            result = PartResult(spec.id, name, part.title, part.points)
            results.append(result)
            problem = backend.start()
            if problem is not None:
                result.crashed = f"running the notebook's cells failed: {problem}"
                continue
            backend.died = None
            result.checks += run_part(part, {}, reference, hidden=False, backend=backend)
            if hidden and backend.died is None:
                result.checks += run_part(part, {}, reference, hidden=True, previous=result.checks, backend=backend)
            if backend.died is not None:
                result.crashed = backend.died.reason
    finally:
        backend.close()
    report = NotebookReport(
        str(path), spec.id, spec.title, hidden, results, backend.cell_errors or [], round(time.monotonic() - started, 3)
    )
    report.notes = notes + backend.notes
    return report


_cache: dict[tuple, NotebookReport] = {}


def report_for(path: str | os.PathLike, *, hidden: bool = True) -> NotebookReport:
    """:func:`grade_notebook`, once per process: results are cached on the notebook's exercise, content and mode,
    so the same notebook under another path (a copy in a test's course folder) is not graded again."""
    path = Path(path).resolve()
    spec = exercise_of_notebook(path.name)
    key = (spec.id if spec else path.name, hashlib.sha256(path.read_bytes()).hexdigest(), hidden)
    if key not in _cache:
        _cache[key] = grade_notebook(path, hidden=hidden)
    return _cache[key]
