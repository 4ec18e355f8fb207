"""Hints teach without giving the answer: no hint (the concept tier, ``hint``) and no code-level hint (``more``) of
an exercise contains a line of its reference solution, nor the expression such a line assigns or returns."""

from __future__ import annotations

import re

import pytest

from grading import core
from grading.checks import EXERCISES
from grading.notebooks import load_reference, read, solution_path, source

#: The exercises whose hints this test covers (each converted to two-tier hints).
COVERED = ("ex01", "ex02", "ex03")
#: Shorter pieces of code (``c = 0``, ``else:``) are words any explanation may use.
MIN_LENGTH = 12


def solution_code(notebook: str) -> set[str]:
    """Every line between ``### BEGIN SOLUTION`` and ``### END SOLUTION``, and the expression it assigns or
    returns, whitespace-normalised, at least :data:`MIN_LENGTH` characters long."""
    found = set()
    for cell in read(solution_path(notebook))["cells"]:
        for block in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", source(cell), re.S):
            for line in block.splitlines():
                line = " ".join(line.split("#")[0].split())
                pieces = {line, re.sub(r"^return ", "", line), re.sub(r"^[\w.\[\], ]+ [-+*/]?= ", "", line)}
                found |= {piece for piece in pieces if len(piece) >= MIN_LENGTH}
    return found


def hint_texts(exercise_id: str) -> list[tuple[str, str]]:
    """(where, text) for every part's hint and more, and every case's, visible and hidden."""
    spec = EXERCISES[exercise_id]
    reference = load_reference(spec.id, spec.notebook)
    texts = []
    for part in spec.parts.values():
        texts += [(f"{part.key} hint", part.hint), (f"{part.key} more", part.more)]
        for hidden in (False, True):
            for case in part.cases(core.Tester(part, {}, reference, hidden, core.InProcess({}))):
                texts += [(f"{part.key}: {case.what} hint", case.hint), (f"{part.key}: {case.what} more", case.more)]
    return [(where, " ".join(text.split())) for where, text in texts if text]


@pytest.mark.parametrize("exercise_id", COVERED)
def test_no_hint_contains_solution_code(exercise_id):
    code = solution_code(EXERCISES[exercise_id].notebook)
    assert code, "no solution lines found"
    texts = hint_texts(exercise_id)
    assert any(where.endswith("more") for where, _ in texts), "no code-level hints"
    leaks = [(where, piece) for where, text in texts for piece in code if piece in text]
    assert not leaks, leaks


def test_the_check_would_notice_a_leak():
    code = solution_code(EXERCISES["ex01"].notebook)
    assert "f(Dual(x, 1.0))" in code  # the old hint "Seed the tangent with 1: f(Dual(x, 1.0)).tangent" leaked it
    assert any(piece in "(f(x + h) - f(x - h)) / (2 * h)" for piece in code)
