"""What grading one submission produced: the record every classroom output is derived from.

A :class:`SubmissionRecord` is written as JSON to ``results/<student>/<assignment>.json`` (atomically, as
soon as the submission is graded) and read back from there, by :func:`write_record` and :func:`read_record`
only. ``grades.csv``, the feedback files and ``report.html`` are made from records, never from anything else.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .report import NotebookReport
from .results import PartResult

#: Bumped when the JSON layout changes: an older record is graded again.
SCHEMA = 3  # 3: checks carry their group and code-level hint
GRADED, FAILED = "graded", "failed-to-grade"


@dataclass
class SubmissionRecord:
    """One submission, graded or not.

    Identity: ``student``, ``assignment``, the ``notebook`` path and its ``sha256``. ``status`` is ``graded``
    or ``failed-to-grade`` (then ``reason`` says why; otherwise it lists the parts' problems). A record that is
    not ``final`` (the grader itself failed) is graded again by the next run. ``points`` are the sum of the
    parts' points, each part's scored by its groups of checks (:mod:`grading.results`; nbgrader's partial credit)."""

    student: str
    assignment: str
    notebook: str
    sha256: str | None
    exercise: str | None
    status: str = FAILED
    reason: str | None = None
    final: bool = True
    title: str = ""
    max_points: float | None = None
    parts: list[PartResult] = field(default_factory=list)
    cell_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    isolation: str | None = None
    #: Seconds: ``total`` (reading to record, in the worker), ``grading`` (inside ``grade_notebook``).
    timings: dict[str, float] = field(default_factory=dict)
    grader_version: str | None = None
    timestamp: str | None = None
    graded_at: str | None = None

    @property
    def key(self) -> str:
        return f"{self.student}/{self.assignment}"

    @property
    def points(self) -> float:
        return round(sum(p.points for p in self.parts), 6)

    @property
    def graded(self) -> bool:
        return self.status == GRADED

    def part_points(self) -> dict[str, float]:
        """nbgrader's grade-cell id (``ex01_test_mul``) -> points."""
        return {grade_id(p.exercise, p.part): p.points for p in self.parts}

    def notebook_report(self) -> NotebookReport:
        """The grade as :mod:`grading.report` shows it (tables, failing checks)."""
        return NotebookReport(
            Path(self.notebook).name,
            self.exercise or "",
            self.title,
            True,
            self.parts,
            self.cell_errors,
            self.timings.get("grading", 0.0),
        )

    def to_json(self) -> str:
        data = dataclasses.asdict(self) | {"schema": SCHEMA, "points": self.points}
        data["parts"] = [p.to_dict() for p in self.parts]
        return json.dumps(data, indent=1)

    @classmethod
    def from_json(cls, text: str) -> SubmissionRecord:
        """The record, or ``ValueError`` if the text is not a record of this schema."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.pop("schema", None) != SCHEMA:
            raise ValueError(f"not a submission record of schema {SCHEMA}")
        data.pop("points", None)
        data["parts"] = [PartResult.from_dict(p) for p in data.get("parts", [])]
        return cls(**data)


def now() -> str:
    """The time, for records and reports (UTC, ISO 8601)."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def grade_id(exercise_id: str, part: str) -> str:
    """nbgrader's id of a part's test cell."""
    return f"{exercise_id}_test_{part}"


def safe_name(name: str) -> str:
    """A student or assignment name usable as one path component."""
    return re.sub(r"[^A-Za-z0-9._@+-]", "_", name)[:120].lstrip(".") or "_"


def record_path(out: Path, student: str, assignment: str) -> Path:
    return Path(out) / "results" / safe_name(student) / f"{safe_name(assignment)}.json"


def write_record(out: Path, record: SubmissionRecord) -> Path:
    path = record_path(out, record.student, record.assignment)
    atomic_write(path, record.to_json())
    return path


def read_record(path: Path) -> SubmissionRecord | None:
    """The record in ``path``; None if it is missing, half-written or of another schema."""
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError, UnicodeDecodeError):
        return SubmissionRecord.from_json(Path(path).read_text(encoding="utf-8"))
    return None


def read_records(out: Path) -> list[SubmissionRecord]:
    """Every readable record under ``out/results``, sorted by assignment, then student."""
    records = [read_record(p) for p in sorted((Path(out) / "results").glob("*/*.json"))]
    return sorted((r for r in records if r is not None), key=lambda r: (r.assignment, r.student))


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``path`` so that it is either the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
