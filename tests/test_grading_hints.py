"""Hints teach without giving the answer, and parts are scored by groups that match a bug's severity.

* No hint (the concept tier, ``hint``) and no code-level hint (``more``) of any exercise, on a part or on a
  case of the visible or hidden checks, contains a line of its reference solution, nor the expression such
  a line assigns or returns (whitespace ignored, so a reformatted copy is caught too).
* Every part has both tiers, and its checks fall into more than one group (unless the part is about scale).
"""

from __future__ import annotations

import re

import pytest

from grading import core
from grading.checks import EXERCISES
from grading.notebooks import load_reference, read, solution_path, source

#: Shorter pieces of code (``c = 0``, ``return g``) are words any explanation may use.
MIN_LENGTH = 12


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def solution_code(notebook: str) -> set[str]:
    """Every line between ``### BEGIN SOLUTION`` and ``### END SOLUTION``, and the expression it assigns or
    returns, without whitespace, at least :data:`MIN_LENGTH` characters long."""
    found = set()
    for cell in read(solution_path(notebook))["cells"]:
        for block in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", source(cell), re.S):
            for line in block.splitlines():
                line = " ".join(line.split("#")[0].split())
                pieces = {line, re.sub(r"^return ", "", line), re.sub(r"^[\w.\[\], ]+ [-+*/]?= ", "", line)}
                found |= {_squeeze(piece) for piece in pieces if len(_squeeze(piece)) >= MIN_LENGTH}
    return found


def _cases(exercise_id: str) -> list[tuple[core.PartSpec, list[core.Case]]]:
    spec = EXERCISES[exercise_id]
    reference = load_reference(spec.id, spec.notebook)
    return [
        (part, [case for hidden in (False, True) for case in part.cases(core.Tester(part, {}, reference, hidden))])
        for part in spec.parts.values()
    ]


def hint_texts(exercise_id: str) -> list[tuple[str, str]]:
    """(where, text) for every part's hint and more, and every case's, visible and hidden."""
    texts = []
    for part, cases in _cases(exercise_id):
        texts += [(f"{part.key} hint", part.hint), (f"{part.key} more", part.more)]
        for case in cases:
            texts += [(f"{part.key}: {case.what} hint", case.hint), (f"{part.key}: {case.what} more", case.more)]
    return [(where, text) for where, text in texts if text]


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_no_hint_contains_solution_code(exercise_id):
    code = solution_code(EXERCISES[exercise_id].notebook)
    assert len(code) >= 5, "the scan found too few solution lines to mean anything"
    leaks = [(where, piece) for where, text in hint_texts(exercise_id) for piece in code if piece in _squeeze(text)]
    assert not leaks, leaks


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_every_part_has_both_tiers_and_more_than_one_group(exercise_id):
    for part, cases in _cases(exercise_id):
        assert part.hint and part.more and part.hint != part.more, part.key
        groups = {case.group for case in cases}
        if groups == {"scale"}:
            continue  # a part that is about scale only (ex02's deep graphs): all or nothing is its point
        assert len(groups) >= 2, f"{part.key}: every check in one group ({groups}): a bug costs all or nothing"


def test_the_scan_would_notice_a_leak():
    code = solution_code(EXERCISES["ex01"].notebook)
    # the old hint "Seed the tangent with 1: f(Dual(x, 1.0)).tangent" gave the solution line away
    assert any(piece in _squeeze("Seed the tangent with 1: f(Dual(x, 1.0)).tangent") for piece in code)
    assert any(piece in _squeeze("(f(x + h) - f(x - h)) / (2 * h)") for piece in code)
    softplus = solution_code(EXERCISES["ex05"].notebook)
    assert any(piece in _squeeze("Try this: return g * x.sigmoid()") for piece in softplus)
