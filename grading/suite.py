"""Support for the pytest grading suites (``tests/test_grading_exNN.py``).

A suite grades ONE notebook, one test per part; a test fails when its part
misses points, and records ``points`` and ``max_points`` as JUnit properties.
Which notebook: ``$SUBMISSION`` when it is a notebook of this exercise, else the
reference solution (which must score full marks: that is what ``make test`` runs)::

    SUBMISSION=path/to/ex01_forward_mode.ipynb .venv/bin/python -m pytest tests/test_grading_ex01.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .checks import exercise, exercise_of_notebook
from .grade import report_for
from .notebooks import solution_path
from .report import NotebookReport, points, render_checks

__all__ = ["Suite", "grading_tests", "report_for"]


class Suite:
    def __init__(self, exercise_id: str):
        self.exercise = exercise(exercise_id)
        self.parts = list(self.exercise.parts)
        submission = os.environ.get("SUBMISSION")
        self.skip_reason = None
        if submission:
            spec = exercise_of_notebook(Path(submission).name)
            if spec is None or spec.id != exercise_id:
                self.skip_reason = f"SUBMISSION={submission} is not an {exercise_id} notebook"
            self.path = Path(submission)
        else:
            self.path = solution_path(self.exercise.notebook)

    def report(self) -> NotebookReport:
        return report_for(self.path)

    def check(self, report: NotebookReport, part: str, record_property) -> None:
        result = report.part(part)
        record_property("points", result.points)
        record_property("max_points", result.max_points)
        if result.points < result.max_points:
            failing = [c for c in result.checks if not c.passed]
            pytest.fail(
                f"{report.path}: {part} scores {points(result.points)}/{points(result.max_points)} "
                f"({result.status})\n" + (result.crashed or render_checks(failing, collapse=True)),
                pytrace=False,
            )


def grading_tests(exercise_id: str) -> tuple:
    """The ``report`` fixture and the ``test_part`` test of one exercise's grading suite.

    A suite module needs only ``report, test_part = grading_tests("exNN")``.
    """
    suite = Suite(exercise_id)

    @pytest.fixture(scope="module")
    def report() -> NotebookReport:
        if suite.skip_reason:
            pytest.skip(suite.skip_reason)
        return suite.report()

    @pytest.mark.parametrize("part", suite.parts)
    def test_part(report: NotebookReport, part: str, record_property) -> None:
        suite.check(report, part, record_property)

    return report, test_part
