"""Grading suite for exercise 0 (trace tables): grades ONE notebook, one test per part.

By default it grades the reference solution, which must score full marks. To grade a submission::

    SUBMISSION=path/to/ex00_trace_tables.ipynb .venv/bin/python -m pytest tests/test_grading_ex00.py

Each test is one part: it passes with full marks, fails with the part's score and its failing checks
otherwise, and records the part's `points` and `max_points` as JUnit properties (`--junitxml`).
The tests below it grade a few fixed submissions: what the feedback shows, and what a stub earns.
"""

import math

import pytest

from grading.mutants import CATALOGUE, Mutant, ReplaceSolution, write
from grading.suite import grading_tests, report_for

report, test_part = grading_tests("ex00")


# --------------------------------------------------------------------------- feedback names the row, not its value
# The right value of the first wrong row at the notebook's inputs (x1, x2) = (2, 0.5), worked out by hand:
# v3 = 1, v4 = sin 1, v5 = 1 + sin 1.
_ADJOINT_V3 = 2.0 + 2.0 * math.cos(1.0)  # ybar = 1: a6 = 1, a5 = a6 / v2 = 2, a4 = a5; a3 = a5 + a4 cos v3
_TANGENT_V6 = ((2.0 + 2.0 * math.cos(1.0)) * 0.5 - (1.0 + math.sin(1.0))) / 0.25  # seed (0, 1): t3 = v1 = 2


@pytest.mark.parametrize(
    "mutant, call, row, right",
    [
        ("adjoint_intermediate_assigns", "adjoint_table(v, 1.0) with v = primal_table(2.0, 0.5)", "v3", _ADJOINT_V3),
        ("tangent_quotient_rule_sign", "tangent_table(v, 0.0, 1.0) with v = primal_table(2.0, 0.5)", "v6", _TANGENT_V6),
    ],
)
def test_feedback_names_the_first_wrong_row_never_its_value(tmp_path, mutant, call, row, right):
    """In reverse order for adjoints (v3 before v2 and v1, also wrong), in forward order for tangents (v6
    before v8); the right value of that row appears in no form in the whole report."""
    submission = write(next(m for m in CATALOGUE if m.name == mutant), tmp_path)
    details = report_for(submission).details()
    failure = details[details.index(call) :]
    assert f"your row {row} = " in failure.splitlines()[3], failure[:1000]
    assert f"every row filled before {row} is right" in failure
    for text in (f"{right:.3f}", f"{right:.12g}", repr(right)):
        assert text not in details, text


def test_a_table_of_zeros_earns_only_the_zero_seed_checks(tmp_path):
    """A stub that returns complete tables of zeros is right only where the seed is zero: the check that the
    primal table is left unmodified counts only for a right table."""
    zeros = "{name: 0.0 for name in %s}"
    stub = Mutant(
        "zero_tables",
        "ex00",
        "bug",
        "every column a table of zeros",
        (
            ReplaceSolution("ex00_tangent", "t = " + zeros % "v"),
            ReplaceSolution("ex00_adjoint", "a = " + zeros % "v"),
            ReplaceSolution("ex00_fanout", "a = " + zeros % "w"),
        ),
        frozenset({"tangent", "adjoint", "fanout"}),
    )
    result = report_for(write(stub, tmp_path))
    assert result.part("fanout").points == 0
    for part in ("tangent", "adjoint"):
        passed = [c.what for c in result.part(part).checks if c.passed]
        assert passed and all(
            what.startswith(("tangent_table(v, 0.0, 0.0)", "adjoint_table(v, 0.0)")) for what in passed
        )
