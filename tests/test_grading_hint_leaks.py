"""Hints teach without handing out the answer: no hint of exercises 4-7 contains a line of the solution.

Both tiers are scanned (``hint``, the concept, and ``more``, the code-level pointer), on every part and on
every case of the visible and the hidden checks, against every code line inside the solutions'
``### BEGIN SOLUTION`` blocks (whitespace ignored, so a reformatted copy is caught too).
"""

from __future__ import annotations

import re

import pytest

from grading import core
from grading.checks import exercise
from grading.notebooks import load_reference, read, solution_path, source

EXERCISES = ("ex04", "ex05", "ex06", "ex07", "ex09")
#: Lines shorter than this (without whitespace), like ``return g``, are too generic to count as the answer.
SHORTEST = 12


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def solution_lines(exercise_id: str) -> set[str]:
    """The code lines inside the solution blocks of the exercise's notebook, whitespace removed."""
    lines = set()
    for cell in read(solution_path(exercise(exercise_id).notebook))["cells"]:
        blocks = re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", source(cell), re.S)
        for line in "".join(blocks).splitlines():
            code = _squeeze(line.split("#")[0])
            if len(code) >= SHORTEST:
                lines.add(code)
    return lines


def hint_texts(exercise_id: str) -> list[tuple[str, str]]:
    """(where, text) for every hint and code-level hint of the exercise's parts and cases."""
    texts = []
    reference = load_reference(exercise_id, exercise(exercise_id).notebook)
    for spec in exercise(exercise_id).parts.values():
        texts += [(f"{spec.key}: hint", spec.hint), (f"{spec.key}: more", spec.more)]
        for hidden in (False, True):
            for case in spec.cases(core.Tester(spec, {}, reference, hidden)):
                texts += [(f"{spec.key}: {case.what}: hint", case.hint), (f"{spec.key}: {case.what}: more", case.more)]
    return [(where, text) for where, text in texts if text]


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_no_hint_contains_a_solution_line(exercise_id):
    lines = solution_lines(exercise_id)
    assert len(lines) >= 5, "the scan found too few solution lines to mean anything"
    leaks = [f"{where}: {line}" for where, text in hint_texts(exercise_id) for line in lines if line in _squeeze(text)]
    assert not leaks, "hints that give a solution line away:\n" + "\n".join(leaks)


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_every_part_has_both_tiers_and_more_than_one_group(exercise_id):
    reference = load_reference(exercise_id, exercise(exercise_id).notebook)
    for spec in exercise(exercise_id).parts.values():
        assert spec.hint and spec.more and spec.hint != spec.more, spec.key
        cases = [case for hidden in (False, True) for case in spec.cases(core.Tester(spec, {}, reference, hidden))]
        groups = {case.group for case in cases}
        assert len(groups) >= 2, f"{spec.key}: every check in one group ({groups}): a bug costs all or nothing"


def test_the_scan_catches_a_leak():
    lines = solution_lines("ex05")
    leaky = "Try this: return g * x.sigmoid()"
    assert any(line in _squeeze(leaky) for line in lines)
