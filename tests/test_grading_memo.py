"""grading.memo: answers computed once per process, each use a fresh copy, bounded in size."""

from __future__ import annotations

import numpy as np
import pytest

from grading import core, memo
from grading.checks import EXERCISES
from grading.memo import Memo
from grading.notebooks import load_reference


def test_an_answer_is_computed_once_and_each_use_gets_its_own_copy():
    memo, calls = Memo(), []

    def compute():
        calls.append(1)
        return {"x": np.arange(3.0)}

    key = Memo.key("f", np.ones(2))
    first = memo.get(key, compute)
    first["x"][0] = 99.0  # a check that changes what it got
    second = memo.get(key, compute)
    assert len(calls) == 1 and second["x"].tolist() == [0.0, 1.0, 2.0]


def test_keys_tell_arrays_apart_by_dtype_shape_and_values():
    a = np.zeros((2, 3))
    keys = {Memo.key(a), Memo.key(a.reshape(3, 2)), Memo.key(a.astype(np.float32)), Memo.key(a + 1e-300)}
    assert len(keys) == 4 and Memo.key(a) == Memo.key(np.zeros((2, 3)))


def test_a_failure_is_not_kept():
    memo, calls = Memo(), []

    def compute():
        calls.append(1)
        raise ValueError("not now")

    for _ in range(2):
        with pytest.raises(ValueError):
            memo.get(b"k", compute)
    assert len(calls) == 2 and not memo.kept


def test_the_oldest_answers_leave_when_the_limit_is_reached():
    memo = Memo(limit=3000)
    for i in range(10):
        memo.get(Memo.key(i), lambda i=i: np.full(100, float(i)))  # ~1,100 bytes in wire form
    assert memo.size <= 3000 and len(memo.kept) == 2
    assert Memo.key(9) in memo.kept and Memo.key(0) not in memo.kept


def test_the_references_replies_are_kept_but_the_students_probes_are_not():
    """Tester.expect asks the reference (kept); Tester.probe asks the submission, every time."""
    spec = EXERCISES["ex04"]
    reference = load_reference(spec.id, spec.notebook)
    part = spec.parts["unbroadcast"]
    student_calls = []

    def unbroadcast(g, shape):
        student_calls.append(shape)
        return reference["unbroadcast"](g, shape)

    request = {"name": "unbroadcast", "inputs": [np.zeros(3)], "g": np.ones((4, 3)), "call": "unbroadcast"}
    request |= {"extra": {"shape": [3]}, "patch": []}
    before, hits = memo.ANSWERS.misses + memo.ANSWERS.hits, memo.ANSWERS.hits
    for _ in range(2):
        tester = core.Tester(part, {"unbroadcast": unbroadcast}, reference, hidden=False)
        expected = tester.expect("vjp", **request)
        got = tester.probe("vjp", **request)
        assert np.array_equal(got["value"], expected["value"])
    assert len(student_calls) == 2
    assert memo.ANSWERS.misses + memo.ANSWERS.hits == before + 2  # the two expects, not the probes
    assert memo.ANSWERS.hits >= hits + 1  # the second expect was answered from memory
