"""Grading for the course's nbgrader notebooks: one set of checks for every path.

* In a notebook's test cell (visible checks; ``nbgrader autograde`` adds the hidden ones)::

      from grading import Part
      part = Part("ex01", "mul", globals())
      part.run_visible()
      part.points()          # nbgrader reads this number as the cell's partial credit

* From a terminal: ``python -m grading check NOTEBOOK`` (the visible checks, a table per part)
  and ``python -m grading grade NOTEBOOK`` (every check).
* From pytest: ``tests/test_grading_exNN.py`` grade one notebook, a test per part.

The checks live in :mod:`grading.checks` (``exNN.py`` per exercise). They compare
the student's code with the reference solution, executed from
``solutions/<notebook>/<notebook>.ipynb``, and with finite differences.
"""

from __future__ import annotations

import contextlib
import sys
from collections import Counter

# A notebook's test cell imports this package in the student's kernel, where the notebook may have set a recursion
# limit too low for the import machinery (sys.setrecursionlimit(50)): the import runs under Python's default,
# and the notebook's limit comes back after it (checks run under known defaults too: probes/state.py).
_notebook_limit = sys.getrecursionlimit()
sys.setrecursionlimit(max(_notebook_limit, 1000))
try:
    from .checks import EXERCISES, exercise
    from .checks import part as part_spec
    from .core import Check, PartResult, run_part
    from .notebooks import load_reference
    from .probes.state import known_state, muted
    from .report import NotebookReport, render_part_run
finally:
    sys.setrecursionlimit(_notebook_limit)

__all__ = ["EXERCISES", "NotebookReport", "Part", "grade_notebook"]

#: How often each check has failed in this kernel: its code-level hint shows from the second failure on.
FAILURES: Counter = Counter()


class Part:
    """One graded part of an exercise, checked against a notebook's namespace."""

    def __init__(self, exercise_id: str, part: str, namespace: dict):
        self.spec = part_spec(exercise_id, part)
        self.namespace = namespace
        self.result = PartResult(exercise_id, part, self.spec.title, self.spec.points)
        self._ran_hidden = False

    def run_visible(self) -> None:
        """Run and print the visible checks (the ones the released notebook shows)."""
        self._run(hidden=False)

    def run_hidden(self) -> None:
        """Run and print the hidden checks (only in the instructors' version of a test cell)."""
        self._ran_hidden = True
        self._run(hidden=True)

    def points(self) -> float:
        """Points earned by the checks run so far (a plain float, for nbgrader's partial credit)."""
        return float(self.result.points)

    def _run(self, hidden: bool) -> None:
        spec = exercise(self.spec.exercise)
        # The checks (and the reference, executed in this kernel) run with known defaults whatever the notebook
        # set (a recursion limit, seeds, np.seterr, warnings filters); the notebook's own state comes back after.
        # What checked code writes to the cell's streams, even through a reference kept from a cell, is dropped.
        with known_state(), muted(sys.stdout, sys.stderr):
            _prepare_display()
            reference = load_reference(spec.id, spec.notebook)
            new = run_part(self.spec, self.namespace, reference, hidden=hidden, previous=self.result.checks)
        self.result.checks += new
        for check in new:
            if not check.passed:
                FAILURES[self._key(check)] += 1
        print(render_part_run(self.result, new, hidden=hidden, final=self._ran_hidden, more=self._failed_twice))

    def _failed_twice(self, check: Check) -> bool:
        return FAILURES[self._key(check)] >= 2

    def _key(self, check: Check) -> tuple:
        return self.spec.key, check.hidden, check.what


def _prepare_display() -> None:
    """Have IPython make its display formatters now, if this is a kernel: it makes them the first time a cell
    shows a value, and under a notebook's own low recursion limit (put back after the checks) that would fail
    as the test cell shows its points, and cost them, where a grader outside IPython gives them."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        with contextlib.suppress(Exception):  # a broken display costs the cell anyway; never the checks
            shell.display_formatter.format(0.0)


def grade_notebook(path, **kwargs) -> NotebookReport:
    """Grade a notebook with its code sandboxed; see :func:`grading.grade.grade_notebook`."""
    from .grade import grade_notebook as grade

    return grade(path, **kwargs)
