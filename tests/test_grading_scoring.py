"""How a part is scored and how failures teach: check groups and the two tiers of hints.

* each group of checks present in a part (behaviour, edge cases, robustness, scale) earns an equal share
  of its points, so a bug caught by one small group still costs a visible share;
* a failing check names the concept (``hint``); the code-level hint (``more``) shows only on request
  (``--more``) or once the same check has failed twice in a notebook's kernel.
"""

from __future__ import annotations

import contextlib
import io

import pytest

from grading import FAILURES, Part
from grading.checks import part as part_spec
from grading.core import Case, Verdict
from grading.notebooks import execute, new_namespace
from grading.report import NotebookReport, render_check, render_part_run
from grading.results import GROUPS, Check, PartResult


def checks(group: str, passed: int, failed: int, weight: float = 1.0) -> list[Check]:
    return [
        Check(f"{group} {i}", hidden=True, status="passed" if i < passed else "failed", weight=weight, group=group)
        for i in range(passed + failed)
    ]


def test_each_group_present_earns_an_equal_share():
    # Nine ordinary checks pass, the one robustness check fails: half the points, not 90 %.
    result = PartResult("ex", "p", "a part", 2.0, checks("behaviour", 9, 0) + checks("robustness", 0, 1))
    assert result.points == pytest.approx(1.0)
    result.checks += checks("edge cases", 1, 1)
    assert result.points == pytest.approx(2.0 * (1 + 0 + 0.5) / 3)
    assert result.groups() == {"behaviour": (9.0, 9.0), "edge cases": (1.0, 2.0), "robustness": (0.0, 1.0)}


def test_within_a_group_checks_count_by_weight():
    result = PartResult("ex", "p", "a part", 1.0, checks("behaviour", 1, 0, weight=3.0) + checks("behaviour", 0, 1))
    assert result.points == pytest.approx(0.75)


def test_a_part_with_one_group_scores_like_before_and_a_forbidden_call_still_zeroes_it():
    result = PartResult("ex", "p", "a part", 4.0, checks("behaviour", 3, 1))
    assert result.points == pytest.approx(3.0)
    result.checks[0].forbidden = ["minitorch.dual"]
    assert result.points == 0.0


def test_a_case_defaults_to_behaviour_or_scale_and_refuses_unknown_groups():
    def run() -> Verdict:
        return Verdict(True)

    assert Case("x", run).group == "behaviour"
    assert Case("x", run, heavy=True).group == "scale"
    assert Case("x", run, group="edge cases").group == "edge cases"
    with pytest.raises(ValueError, match="unknown check group 'edge'.*" + ", ".join(GROUPS)):
        Case("x", run, group="edge")


def test_the_code_level_hint_shows_only_on_request():
    check = Check("mul(x, y)", False, "failed", expected="1", actual="2", hint="concept?", more="code!")
    plain = render_check(check, detailed=True)
    assert "hint:" in plain and "concept?" in plain and "code!" not in plain
    assert "code!" in render_check(check, detailed=True, more=True)
    report = NotebookReport("nb", "ex", "t", True, [PartResult("ex", "p", "a part", 1.0, [check])])
    assert "code!" not in report.details() and "code!" in report.details(more=True)


def test_a_failing_part_says_how_its_groups_did():
    result = PartResult("ex", "p", "a part", 2.0, checks("behaviour", 2, 0) + checks("robustness", 0, 1))
    text = render_part_run(result, result.checks, hidden=False, final=False)
    assert "behaviour 2/2, robustness 0/1" in text and "(1 points each)" in text
    assert text.endswith("More checks run when your notebook is graded.")


def _buggy_dual_namespace() -> dict:
    namespace = new_namespace("_buggy_dual")
    source = """
class Dual:
    def __init__(self, primal, tangent=0.0):
        self.primal, self.tangent = float(primal), float(tangent)
    def __mul__(self, other):
        other = other if isinstance(other, Dual) else Dual(other)
        return Dual(self.primal * other.primal, self.tangent * other.primal)
    __rmul__ = __mul__
"""
    execute({"cells": [{"cell_type": "code", "source": source}]}, namespace, label="buggy")
    return namespace


def test_a_notebook_shows_the_code_level_hint_from_the_second_failure_on(monkeypatch):
    spec = part_spec("ex01", "mul")
    monkeypatch.setattr(spec, "more", "CODE-LEVEL HINT")
    monkeypatch.setattr(spec, "hint", "CONCEPT HINT")
    FAILURES.clear()
    namespace = _buggy_dual_namespace()

    def run_cell() -> str:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            Part("ex01", "mul", namespace).run_visible()
        return out.getvalue()

    first, second = run_cell(), run_cell()
    assert "CONCEPT HINT" in first and "CODE-LEVEL HINT" not in first
    assert "CONCEPT HINT" in second and "CODE-LEVEL HINT" in second
