"""Grading one submission in a worker (a local process or a Dask worker): a :class:`Task` in, a record out.

A task carries the notebook itself (its code, outputs dropped), so a worker on another machine needs the
course installed but not the class's files. The one call into the grading path is :func:`grade`.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from ..checks import EXERCISES
from ..grade import Limits, grade_notebook
from ..notebooks import PACKAGE_DIR, solution_path
from ..record import GRADED, SubmissionRecord, now
from ..report import NotebookReport
from ..sandbox.isolation import detect_isolation


@dataclass(frozen=True)
class Options:
    """How each submission is graded: isolation level and limits (seconds, MB). ``worker_memory_mb`` bounds
    each grading process's own address space (0: no bound): whatever a submission sends back, a worker cannot
    take the machine down. The sandboxes a worker starts inherit that bound, so it must not be below a
    submission's ``memory_mb``."""

    isolation: str = "auto"
    timeout: float = 600.0
    cell_timeout: float = 60.0
    memory_mb: int = 4096
    cpu_seconds: int | None = None
    worker_memory_mb: int = 8192

    def __post_init__(self) -> None:
        if 0 < self.worker_memory_mb < self.memory_mb:
            raise ValueError(
                f"a grading process's memory limit ({self.worker_memory_mb} MB) below a submission's "
                f"({self.memory_mb} MB) would lower the submission's: raise --worker-memory"
            )


@dataclass(frozen=True)
class Task:
    """One submission to grade, with everything the worker needs; or, with a ``problem``, one that cannot be."""

    student: str
    assignment: str
    exercise: str | None
    path: str
    sha256: str | None = None
    notebook: bytes = field(default=b"", repr=False)
    grader_version: str | None = None
    timestamp: str | None = None
    options: Options = Options()
    problem: str | None = None

    def record(self, reason: str | None = None, final: bool = True) -> SubmissionRecord:
        """A failed-to-grade record of this submission (``reason``: by default its problem)."""
        spec = EXERCISES.get(self.exercise or "")
        return SubmissionRecord(
            self.student,
            self.assignment,
            self.path,
            self.sha256,
            self.exercise,
            reason=reason or self.problem,
            final=final,
            title=spec.title if spec else "",
            max_points=spec.max_points if spec else None,
            grader_version=self.grader_version,
            timestamp=self.timestamp,
            graded_at=now(),
        )


def grade(path: Path, exercise: str, options: Options) -> tuple[NotebookReport, str]:
    """The grading path, for one notebook file: its report and the isolation level it ran under."""
    limits = Limits(memory_mb=options.memory_mb, cpu_seconds=int(options.cpu_seconds or options.timeout + 30))
    report = grade_notebook(
        path, isolation=options.isolation, limits=limits, timeout=options.timeout, cell_timeout=options.cell_timeout
    )
    return report, detect_isolation(options.isolation).level


def grade_task(task: Task) -> SubmissionRecord:
    """Grade the task's notebook; never raises. A failure of the grader itself gives a record that is not
    ``final`` (graded again by the next run), with the error in the reason."""
    record = task.record()
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="grading-") as tmp:
            spec = EXERCISES[task.exercise or ""]
            path = Path(tmp) / f"{spec.notebook}.ipynb"
            path.write_bytes(task.notebook)
            report, isolation = grade(path, spec.id, task.options)
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        record = task.record(f"grader error: {type(exc).__name__}: {exc}", final=False)
    else:
        record.status, record.parts, record.cell_errors = GRADED, report.parts, report.cell_errors
        record.notes, record.isolation, record.reason = report.notes, isolation, problems(report)
        record.timings["grading"] = report.seconds
    record.timings["total"] = round(time.monotonic() - started, 3)
    return record


def problems(report: NotebookReport) -> str | None:
    """The CSV's reason for a graded notebook: what cost points other than failing checks."""
    found = [
        f"{p.part}: {p.status}"
        for p in report.parts
        if p.crashed or p.forbidden or "timed out" in p.status or p.status.startswith("not defined")
    ]
    if report.cell_errors:  # "code cell 2: ..." or 'the cell "def f(x):": ...'
        found.append("errors in " + ", ".join(e.split(": ")[0] for e in report.cell_errors))
    return "; ".join(found)[:1000] or None


_versions: dict[str, str] = {}


def grader_version(exercise_id: str) -> str:
    """A hash of everything that decides an exercise's grades: the grading package (of the exercises' checks
    only this one's; not the classroom runner), its reference solution and minitorch. A submission graded by
    another version is graded again."""
    if exercise_id not in _versions:
        import minitorch

        checks = PACKAGE_DIR / "checks"

        def another_exercise(path: Path) -> bool:  # checks/exNN.py or checks/exNN/...
            if checks not in path.parents:
                return False
            first = path.relative_to(checks).parts[0]
            return first.startswith("ex") and first.removesuffix(".py") != exercise_id

        files = [
            p
            for p in PACKAGE_DIR.rglob("*.py")
            if "mutants" not in p.parts and not another_exercise(p) and p.parent.name != "classroom"
        ]  # the runner writes outputs; it does not decide grades
        files += list(Path(minitorch.__file__).parent.rglob("*.py")) + [solution_path(EXERCISES[exercise_id].notebook)]
        digest = hashlib.sha256()
        for path in sorted(files):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        _versions[exercise_id] = digest.hexdigest()[:16]
    return _versions[exercise_id]
