"""The grader's stand-ins (``grading/probes/standins.py``): correct, and invisible to the tripwire only when
they are the caller.

A later part of exercise 4 trains a network with stand-ins swapped in for the student's primitives, so
they must compute what the reference solution's primitives compute, value and gradient, and a
student's own call of minitorch must still be noticed while they run.
"""

from __future__ import annotations

import numpy as np
import pytest

import minitorch
from grading import tripwire
from grading.checks.ex04 import OWN_PRIMITIVES
from grading.notebooks import load_reference
from grading.probes import standins
from minitorch import numerical


def _inputs(name: str, rng: np.random.Generator) -> tuple[list, list]:
    """(tensor arguments' arrays, other arguments) of a random call of the primitive ``name``."""
    if name == "LinearFn":
        return [rng.standard_normal((5, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)], []
    if name == "ReluFn":
        return [rng.choice([-1.0, 1.0], (4, 3)) * rng.uniform(0.1, 2.0, (4, 3))], []
    return [3.0 * rng.standard_normal((6, 4))], [rng.integers(0, 4, 6)]


@pytest.mark.parametrize("name", sorted(standins.EX04_PRIMITIVES))
@pytest.mark.parametrize("seed", range(3))
def test_standin_matches_the_reference_primitive(name, seed):
    reference = load_reference("ex04", "ex04_vjp")[name]
    arrays, others = _inputs(name, np.random.default_rng(seed))
    results = []
    for primitive in (reference, standins.EX04_PRIMITIVES[name]):
        leaves = [minitorch.tensor(a, requires_grad=True) for a in arrays]
        out = primitive.apply(*leaves, *others)
        cotangent = np.random.default_rng(seed + 100).standard_normal(out.shape)
        out.backward(minitorch.tensor(cotangent))
        results.append([out.data] + [leaf.grad.data for leaf in leaves])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_standin_gradient_matches_central_differences():
    rng = np.random.default_rng(7)
    logits, targets = 2.0 * rng.standard_normal((4, 3)), rng.integers(0, 3, 4)
    leaf = minitorch.tensor(logits, requires_grad=True)
    standins.CrossEntropyFn.apply(leaf, targets).backward()
    (numeric,) = numerical.vjp(
        lambda z: standins.CrossEntropyFn.apply(z, targets), [minitorch.tensor(logits)], minitorch.tensor(1.0)
    )
    np.testing.assert_allclose(leaf.grad.data, numeric.numpy(), rtol=1e-6, atol=1e-8)


def _step(linear: object) -> None:
    x, W, b = (minitorch.tensor(np.ones(s), requires_grad=True) for s in ((2, 3), (3, 2), (2,)))
    out = linear.apply(x, W, b) if hasattr(linear, "apply") else linear(x, W, b)
    out.backward(minitorch.ones(out.shape))


def test_tripwire_ignores_minitorch_called_by_a_standin():
    """The forward pass: the stand-in's own calls. (Its backward pass is minitorch's rules run by the caller's
    backward(), so the primitives' stand-ins serve the trainings, which run without the tripwire.)"""
    x, W, b = (minitorch.tensor(np.ones(s), requires_grad=True) for s in ((2, 3), (3, 2), (2,)))
    with tripwire.watch(tripwire.codes(OWN_PRIMITIVES)) as seen:
        standins.ReluFn.apply(standins.LinearFn.apply(x, W, b))
    assert seen == []


def _vjp_call(name: str, rng: np.random.Generator) -> tuple[tuple, dict]:
    x = rng.standard_normal((3, 4))
    return {
        "vjp_matmul": ((x, rng.standard_normal((4, 2)), rng.standard_normal((3, 2))), {}),
        "vjp_mean": ((x, rng.standard_normal(3)), {"axis": 1}),
        "vjp_sigmoid": ((x, rng.standard_normal((3, 4))), {}),
        "vjp_cross_entropy": ((x, rng.integers(0, 4, 3), 1.5), {}),
    }[name]


@pytest.mark.parametrize("name", ["vjp_matmul", "vjp_mean", "vjp_sigmoid", "vjp_cross_entropy"])
def test_vjp_standin_matches_the_reference_and_is_exempt_from_the_tripwire(name):
    """The scalar reverse-mode stand-ins reach minitorch.Scalar through NumPy's object-array code (np.sum,
    np.vectorize): still the stand-in's calls, not the student's."""
    args, kwargs = _vjp_call(name, np.random.default_rng(3))
    with tripwire.watch(tripwire.codes(tripwire.AUTODIFF + tripwire.TENSOR_OPS)) as seen:
        ours = standins.EX04_VJPS[name](*args, **kwargs)
    assert seen == []
    theirs = load_reference("ex04", "ex04_vjp")[name](*args, **kwargs)
    for a, b in zip(*(r if isinstance(r, tuple) else (r,) for r in (ours, theirs))):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_tripwire_still_sees_the_students_own_call_of_minitorch():
    with tripwire.watch(tripwire.codes(OWN_PRIMITIVES)) as seen:
        _step(lambda x, W, b: minitorch.matmul(x, W) + b)
    assert "minitorch.ops.linalg.matmul" in seen


def test_tripwire_sees_a_student_call_of_minitorch_made_from_inside_a_standin_call():
    """Code outside minitorch between a stand-in and the call (here the targets' ``__array__``, which the
    stand-in's np.asarray calls) makes it the student's call, even though a stand-in's frame is further out."""
    student = minitorch.matmul

    class Targets:
        def __array__(self, dtype=None, copy=None):
            student(minitorch.ones((2, 2)), minitorch.ones((2, 2)))
            return np.array([0, 1])

    with tripwire.watch(tripwire.codes(OWN_PRIMITIVES)) as seen:
        standins.CrossEntropyFn.apply(minitorch.ones((2, 3)), Targets())
    assert "minitorch.ops.linalg.matmul" in seen


def test_a_check_timing_out_inside_the_tripwire_hook_is_a_timeout_not_tampering():
    """The alarm of a check's time limit may fire while the profile hook decides whether a stand-in made a
    call. Raising there would make Python switch the hook off, which the tripwire takes for tampering (a
    slow but honest submission graded as a cheat under load); the alarm waits until the hook has returned."""
    from grading.core import CheckTimeout, time_limit

    x, W, b = (minitorch.tensor(np.ones(s)) for s in ((2, 3), (3, 2), (2,)))
    for _ in range(30):
        with tripwire.watch(tripwire.codes(OWN_PRIMITIVES)) as seen:
            with pytest.raises(CheckTimeout), time_limit(0.003):
                while True:
                    standins.ReluFn.apply(standins.LinearFn.apply(x, W, b))
        assert seen == []
