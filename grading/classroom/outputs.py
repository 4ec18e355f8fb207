"""What a run leaves besides the records: ``grades.csv`` and the students' feedback, both made from records.

``grades.csv`` has nbgrader's ``export`` columns (assignment, duedate, timestamp, student_id, last_name,
first_name, email, raw_score, late_submission_penalty, score, max_score), then ``status``, ``reason`` and one
column per part, named like nbgrader's grade cells (``ex01_test_mul``). ``feedback/<student>/<assignment>.txt``
has the points per part and the failing checks with their input, expected and actual values and a hint;
never the grader's internal errors or warnings.
"""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path

from ..checks import EXERCISES
from ..record import SubmissionRecord, atomic_write, grade_id, safe_name
from ..report import points

CSV_COLUMNS = [
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
    "status",
    "reason",
]


def _number(x: float | None) -> str:
    return "" if x is None else str(round(float(x), 6))


def write_csv(out: Path, records: list[SubmissionRecord]) -> Path:
    """``out/grades.csv``: one row per record, sorted by assignment and student."""
    exercises = sorted({r.exercise for r in records if r.exercise in EXERCISES})
    part_columns = [grade_id(e, p) for e in exercises for p in EXERCISES[e].parts]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS + part_columns)
    for r in sorted(records, key=lambda r: (r.assignment, r.student)):
        own = [grade_id(r.exercise, p) for p in EXERCISES[r.exercise].parts] if r.exercise in EXERCISES else []
        parts = dict.fromkeys(own, 0.0) | r.part_points()  # a notebook that failed to grade: 0 per part
        writer.writerow(
            [
                r.assignment,
                "",
                r.timestamp or "",
                r.student,
                "",
                "",
                "",
                _number(r.points),
                "0.0",
                _number(max(0.0, r.points)),
                _number(r.max_points),
                r.status,
                r.reason or "",
            ]
            + [_number(parts.get(c)) for c in part_columns]
        )
    path = Path(out) / "grades.csv"
    atomic_write(path, buffer.getvalue())
    return path


def feedback_path(out: Path, record: SubmissionRecord) -> Path:
    return Path(out) / "feedback" / safe_name(record.student) / f"{safe_name(record.assignment)}.txt"


def feedback_text(record: SubmissionRecord) -> str:
    """What the student reads: the score, a table of the parts, the failing checks, notes."""
    lines = [
        f"{record.assignment}: feedback for {record.student}",
        f"Score: {points(record.points)} / {points(record.max_points or 0.0)}",
    ]
    if not record.graded:
        return (
            "\n".join(
                lines
                + [
                    "",
                    f"Your notebook could not be graded: {record.reason}",
                    "Ask your instructor; nothing of it was run.",
                ]
            )
            + "\n"
        )
    report = copy.deepcopy(record.notebook_report())
    for check in (c for p in report.parts for c in p.checks):
        check.grader_warning = None  # for the instructor (report.html), not the student
        if check.error and check.error.startswith("grader error"):
            check.error = "an internal error of the grader (your instructor has been told)"
    lines += ["", report.table()]
    details = report.details()
    lines += ["", details] if details else []
    lines += [line for note in record.notes for line in ("", f"Note: {note}")]
    return "\n".join(lines) + "\n"


def write_feedback(out: Path, record: SubmissionRecord) -> Path:
    path = feedback_path(out, record)
    atomic_write(path, feedback_text(record))
    return path
