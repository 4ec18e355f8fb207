"""Grading the grader.

* the reference solutions score full marks, and the reference agrees with finite differences;
* the untouched released notebooks score zero, every part "not implemented yet";
* every catalogued bug loses points on the parts it breaks and only there; every correct alternative scores
  full marks; calling minitorch's own implementation scores zero on that part, with a message saying so;
* the catalogue's results are printed as a table (bug -> parts lost);
* failures show input, expected, actual and a hint; student output never reaches stderr (nbgrader would
  give the cell zero); the self-check command prints a table; the runner survives crashes and hangs.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from collections import Counter

import pytest

from grading import Part
from grading.checks import EXERCISES
from grading.grade import grade_notebook, report_for
from grading.mutants import CATALOGUE, Mutant, ReplaceSolution, grade_catalogue, table, write
from grading.notebooks import execute, new_namespace, released_path, solution_path

EXERCISE_IDS = sorted(EXERCISES)


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_reference_solution_scores_full_marks(exercise_id):
    spec = EXERCISES[exercise_id]
    report = report_for(solution_path(spec.notebook))
    assert report.points == spec.max_points, report.details()
    assert report.cell_errors == []
    assert report.grader_warnings() == [], "the reference disagrees with finite differences"
    for part in report.parts:
        assert any(c.hidden for c in part.checks) and any(not c.hidden for c in part.checks), part.part


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_untouched_release_scores_zero_not_implemented(exercise_id):
    spec = EXERCISES[exercise_id]
    report = report_for(released_path(spec.notebook))
    assert report.points == 0
    for part in report.parts:
        assert part.status == "not implemented yet", (part.part, part.status)
    assert "not implemented yet" in report.table()


@pytest.fixture(scope="module")
def catalogue():
    return {r.mutant.name: r for r in grade_catalogue()}


def test_all_seven_exercises_exist_in_both_forms():
    assert EXERCISE_IDS == [f"ex0{n}" for n in range(0, 9)]
    for spec in EXERCISES.values():
        assert solution_path(spec.notebook).is_file() and released_path(spec.notebook).is_file(), spec.notebook


def test_catalogue_size():
    kinds = Counter((m.exercise, m.kind) for m in CATALOGUE)
    for exercise_id in EXERCISE_IDS:
        assert kinds[exercise_id, "bug"] >= 4, exercise_id
        assert kinds[exercise_id, "alternative"] >= 1, exercise_id
        assert kinds[exercise_id, "cheat"] >= 1, exercise_id
    assert (
        sum(kinds[e, "bug"] for e in EXERCISE_IDS) >= 30
    )  # the issue asks for at least 30 plausible bugs across the seven exercises


@pytest.mark.parametrize("name", [m.name for m in CATALOGUE])
def test_catalogued_submission_loses_exactly_the_parts_it_breaks(catalogue, name):
    result = catalogue[name]
    assert result.as_expected, (
        f"{name} ({result.mutant.description}): {'; '.join(result.problems)}\n" + result.report.details()
    )
    for part in result.report.parts:
        if part.part in result.mutant.breaks and result.mutant.kind == "cheat":
            assert part.points == 0 and "no points: calls minitorch" in part.status


def test_print_the_catalogue_table(catalogue, capsys):
    text = table(list(catalogue.values()))
    with capsys.disabled():
        print("\n\nBug catalogue: each plausible submission and the parts it lost points on\n" + text + "\n")
    assert all(r.as_expected for r in catalogue.values()), text


def test_failures_show_input_expected_actual_and_hint(catalogue):
    details = catalogue["fanout_assigns"].report.details()
    for label in ("input:", "expected:", "actual:", "problem:", "hint:"):
        assert label in details, label
    assert "dy/dx" in details
    cheat = catalogue["uses_minitorch_dual"].report.details()
    assert "earns no points" in cheat and "minitorch.dual" in cheat


def test_notebook_cells_print_checks_and_never_write_to_stderr():
    """What a test cell shows: the checks, the failures in detail, a score. Student output is swallowed,
    so nothing reaches stderr (nbgrader gives a cell that writes to stderr zero points)."""
    namespace = new_namespace("_noisy_submission")
    execute(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "source": """
import sys, warnings
class Dual:
    def __init__(self, primal, tangent=0.0):
        self.primal, self.tangent = float(primal), float(tangent)
    def __mul__(self, other):
        print("debugging", file=sys.stderr)
        warnings.warn("careful")
        other = other if isinstance(other, Dual) else Dual(other)
        return Dual(self.primal * other.primal, self.tangent * other.primal)  # forgets a b'
    __rmul__ = __mul__
""",
                }
            ]
        },
        namespace,
        label="noisy",
    )
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        part = Part("ex01", "mul", namespace)
        part.run_visible()
        score = part.points()
    assert err.getvalue() == ""
    text = out.getvalue()
    assert "ex01 / mul" in text and "visible checks passed" in text
    assert "expected:" in text and "actual:" in text and "hint:" in text
    assert 0 < score < 2 and isinstance(score, float)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "grading", *args], capture_output=True, text=True, timeout=300)


def test_self_check_prints_a_table_of_the_visible_checks():
    spec = EXERCISES["ex01"]
    untouched = _cli("check", str(released_path(spec.notebook)))
    assert untouched.returncode == 1
    assert "visible checks only" in untouched.stdout
    assert "not implemented yet" in untouched.stdout and "0/16" in untouched.stdout
    for name in spec.parts:
        assert name in untouched.stdout
    solved = _cli("check", str(solution_path(spec.notebook)))
    assert solved.returncode == 0 and "16/16" in solved.stdout, solved.stdout + solved.stderr


def test_runner_survives_a_part_that_kills_the_process(tmp_path):
    """A crash (here os._exit; in real life a segfault from deep recursion) costs only the part it hit:
    kahn_sort kills the process on a graph of one node, which only kahn_order's checks use."""
    mutant = Mutant(
        "crashes",
        "ex02",
        "bug",
        "kahn_sort kills the process",
        (ReplaceSolution("ex02_kahn", "import os\nif not output.parents:\n    os._exit(3)\nreturn dfs_sort(output)"),),
        frozenset({"kahn_order"}),
    )
    report = grade_notebook(write(mutant, tmp_path))
    for part in report.parts:
        if part.part == "kahn_order":
            assert part.points == 0 and "exited with code 3" in part.crashed
        else:
            assert part.points == part.max_points, part.part


def test_runner_reports_missing_names(tmp_path):
    mutant = Mutant(
        "renamed",
        "ex02",
        "bug",
        "dfs_sort renamed",
        (ReplaceSolution("ex02_dfs", "return []"),),
        frozenset({"dfs_order"}),
    )
    path = write(mutant, tmp_path)
    text = path.read_text().replace("def dfs_sort(output)", "def my_dfs_sort(output)")
    path.write_text(text)
    report = grade_notebook(path, hidden=False)
    for part in report.parts:
        if part.part.startswith("dfs"):
            assert part.points == 0 and part.status == "not defined: dfs_sort"


def test_cells_run_like_a_notebook_would():
    """Errors do not stop later cells; hangs time out; IPython lines are skipped (not an error, as in Jupyter they
    would work); test cells are skipped."""
    namespace = new_namespace("_cells")
    cells = [
        {"cell_type": "code", "source": "a = 1"},
        {"cell_type": "code", "source": "raise ValueError('boom')"},
        {"cell_type": "code", "source": "while True:\n    pass"},
        {"cell_type": "code", "source": "%timeit a + 1"},
        {"cell_type": "code", "source": "from grading import Part\nb = 2"},
        {"cell_type": "code", "source": "c = a + 2"},
    ]
    errors = execute({"cells": cells}, namespace, label="t", timeout=0.5)
    assert [e.index for e in errors] == [2, 3]
    assert "ValueError: boom" in errors[0].error and "0.5 s" in errors[1].error
    assert namespace["c"] == 3 and "b" not in namespace


def test_a_wrong_reference_is_caught_by_finite_differences(tmp_path, monkeypatch):
    """If the reference solution itself were wrong, the comparison with central differences says so (the
    correct notebook graded against a wrong reference)."""
    spec = EXERCISES["ex01"]
    correct = solution_path(spec.notebook)
    wrong = next(m for m in CATALOGUE if m.name == "sin_derivative_sign")
    write(wrong, tmp_path / "solutions")
    (tmp_path / "solutions" / wrong.name).rename(tmp_path / "solutions" / spec.notebook)
    monkeypatch.setenv("MINITORCH_SOLUTIONS", str(tmp_path / "solutions"))
    report = grade_notebook(correct, parts=["sin_cos", "mul"])
    assert report.part("sin_cos").points < report.part("sin_cos").max_points
    assert report.part("mul").points == report.part("mul").max_points
    warnings = report.grader_warnings()
    assert warnings and all(w.startswith("sin_cos:") for w in warnings)
