"""One classroom run: find the submissions, skip what is graded already, grade the rest, write the outputs.

Each record is written as soon as its submission is graded, so a run stopped by Ctrl-C or killed loses
nothing but the submissions being graded at that moment; ``grades.csv``, the feedback and ``report.html``
are made from every record under ``out/results`` (this run's and earlier ones').
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..record import SubmissionRecord, read_record, read_records, record_path, write_record
from .dispatch import Workers, default_jobs, graded
from .outputs import write_csv, write_feedback
from .report_html import write_report
from .submissions import Submission, Ungradable, code_only, discover, read_submission
from .worker import Options, Task, grader_version


@dataclass
class RunSummary:
    """What a run did, for the terminal."""

    total: int = 0
    graded: int = 0
    failed: int = 0
    skipped: int = 0
    interrupted: bool = False
    seconds: float = 0.0
    isolations: set[str] = field(default_factory=set)
    workers: str = ""
    out: Path | None = None
    failures: list[tuple[str, str]] = field(default_factory=list)

    def count(self, record: SubmissionRecord) -> None:
        if record.graded:
            self.graded += 1
            self.isolations.add(record.isolation or "?")
        else:
            self.failed += 1
            self.failures.append((record.key, record.reason or "?"))

    def text(self) -> str:
        done = self.graded + self.failed
        per = f", {self.seconds / done:.2f} s per submission" if done else ""
        lines = [
            f"{'Interrupted' if self.interrupted else 'Done'}: {self.total} submissions: {self.graded} graded, "
            f"{self.failed} failed to grade, {self.skipped} already graded (unchanged); "
            f"{self.seconds:.1f} s{per} on {self.workers or 'no workers'}.",
            f"Isolation: {', '.join(sorted(self.isolations)) or 'none used'}.",
        ]
        lines += [f"  failed: {key}: {reason}" for key, reason in self.failures[:20]]
        if len(self.failures) > 20:
            lines.append(f"  ... and {len(self.failures) - 20} more (see grades.csv)")
        if self.out:
            lines.append(
                f"Report: {self.out / 'report.html'}; grades: {self.out / 'grades.csv'}; "
                f"feedback: {self.out / 'feedback'}"
            )
        if self.interrupted:
            lines.append("Run the same command again to grade the rest (graded submissions are kept).")
        return "\n".join(lines)


class Progress:
    """A one-line progress bar on stderr (a line every 10 % when stderr is not a terminal)."""

    def __init__(self, total: int, enabled: bool = True):
        self.total, self.enabled, self.done, self.failed = total, enabled and total > 0, 0, 0
        self.started, self.tty, self.last_decile = time.monotonic(), sys.stderr.isatty(), -1

    def update(self, record: SubmissionRecord) -> None:
        self.done += 1
        self.failed += not record.graded
        if not self.enabled:
            return
        each = (time.monotonic() - self.started) / self.done
        eta = int(each * (self.total - self.done))
        filled = 30 * self.done // self.total
        text = (
            f"[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}  graded {self.done - self.failed}"
            f"  failed {self.failed}  {each:.2f} s each  ETA {eta // 60}m{eta % 60:02d}s"
        )
        if self.tty:
            print("\r" + text, end="", file=sys.stderr, flush=True)
        elif 10 * self.done // self.total != self.last_decile:
            self.last_decile = 10 * self.done // self.total
            print(text, file=sys.stderr, flush=True)

    def finish(self) -> None:
        if self.enabled and self.tty:
            print(file=sys.stderr)


def prepare(sub: Submission, options: Options) -> Task:
    """The task that grades a submission; with a ``problem`` when it cannot be graded."""
    task = Task(
        sub.student,
        sub.assignment,
        sub.exercise,
        str(sub.path),
        problem=sub.problem,
        options=options,
        grader_version=grader_version(sub.exercise) if sub.exercise else None,
        timestamp=sub.timestamp(),
    )
    if task.problem:
        return task
    try:
        data = read_submission(sub.path)
        task = replace(task, sha256=hashlib.sha256(data).hexdigest())  # kept when the data is no notebook
        return replace(task, notebook=code_only(data))
    except Ungradable as exc:
        return replace(task, problem=str(exc))


def save(out: Path, record: SubmissionRecord) -> None:
    write_record(out, record)
    write_feedback(out, record)


def run(
    paths: Iterable[str | os.PathLike],
    out: str | os.PathLike,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    options: Options | None = None,
    exercise: str | None = None,
    progress: bool = True,
) -> RunSummary:
    """Grade every submission under ``paths`` into ``out`` on ``jobs`` local processes or, given a
    ``scheduler`` address, on a Dask cluster. Submissions already graded with the same content and the same
    grader version are skipped unless ``force``."""
    started, out = time.monotonic(), Path(out)
    submissions = [s for p in paths for s in discover(Path(p), exercise)]
    summary = RunSummary(total=len(submissions), out=out)
    tasks, failed = [], []
    for sub in submissions:
        task = prepare(sub, options or Options())
        previous = read_record(record_path(out, sub.student, sub.assignment))
        if (
            not force
            and previous is not None
            and previous.final
            and task.sha256 is not None
            and previous.sha256 == task.sha256
            and previous.grader_version == task.grader_version
        ):
            summary.skipped += 1
        else:
            (failed if task.problem else tasks).append(task)
    bar = Progress(len(tasks) + len(failed), enabled=progress)
    for record in (task.record() for task in failed):
        save(out, record)
        summary.count(record)
        bar.update(record)
    workers = None
    previous_handler = signal.getsignal(signal.SIGTERM)
    with contextlib.suppress(ValueError):  # not in the main thread: no handler
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        if tasks:
            workers = Workers(jobs or default_jobs(), scheduler, (options or Options()).worker_memory_mb)
            summary.workers = workers.describe()
            for record in graded(tasks, workers):
                save(out, record)
                summary.count(record)
                bar.update(record)
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        if workers is not None:
            workers.close(interrupted=summary.interrupted)
        bar.finish()
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGTERM, previous_handler)
        records = read_records(out)
        write_csv(out, records)
        write_report(out, records)
    summary.seconds = time.monotonic() - started
    return summary


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt()
