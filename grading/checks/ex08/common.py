"""What the parts of exercise 8 share: the exercise, seeded inputs with kinks, and the structural comparison of
the student's reply with the reference's (:func:`same_case`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...arrays import compare, show_array, show_input
from ...core import Case, ExerciseSpec, Tester, Verdict
from ...tripwire import AUTODIFF, TENSOR_OPS

EXERCISE = ExerciseSpec("ex08", "ex08_nonsmooth", "Non-smooth functions: subgradients, kinks and gradient checks")

#: Everything here is NumPy: minitorch's derivatives, tensor operations and gradient checks compute the parts.
FORBIDDEN = AUTODIFF + TENSOR_OPS
RTOL = {np.dtype(np.float32): 1e-6, np.dtype(np.float64): 1e-12}


def values(name: str, a: Any) -> str:
    """``name = [...]`` with every entry as Python prints it (kinks and tiny offsets stay readable), or a
    summary for a large array; with the dtype."""
    a = np.asarray(a)
    text = f"{name} = {a.tolist()!r}" if a.size <= 12 else show_input(name, a)
    return f"{text} (dtype {a.dtype})"


def _rng(t: Tester) -> np.random.Generator:
    return np.random.default_rng(t.rng.getrandbits(64))


def _with_kinks(rng: np.random.Generator, shape: tuple, zeros: float = 0.3) -> np.ndarray:
    """Entries with |x| in [0.1, 3], about a fraction ``zeros`` of them exact zeros (some -0.0)."""
    x = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 3.0, size=shape)
    at_kink = rng.uniform(size=shape) < zeros
    return np.where(at_kink, np.where(rng.uniform(size=shape) < 0.5, 0.0, -0.0), x)


# --------------------------------------------------------------------------- comparing replies


def show(value: Any) -> str:
    """A probe's reply (or a part of one) as text."""
    if isinstance(value, np.ndarray):
        return f"{show_array(value, digits=12)} (dtype {value.dtype})"
    if not isinstance(value, dict):
        return repr(value)
    if "raised" in value:
        return f"ValueError: {value['message']}"
    if "result" in value:
        return show(value["result"])
    if "items" in value:
        inner = ", ".join(show(item) for item in value["items"])
        return f"({inner})" if value["type"] == "tuple" else f"{value['type']} [{inner}]"
    if "str" in value:
        return repr(value["str"])
    if "number" in value:
        return repr(value["number"])
    return f"{value['kind']}: {value['repr']}"


def _number(value: Any) -> float | None:
    if isinstance(value, dict) and "number" in value:
        return value["number"]
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return float(value)
    return None


def difference(actual: Any, expected: Any) -> str | None:
    """None if the result ``actual`` is the result ``expected`` (as :func:`grading.probes.ex08.data` encodes
    them); else what differs."""
    if isinstance(expected, np.ndarray):
        if not isinstance(actual, np.ndarray):
            return f"expected a NumPy array of shape {expected.shape} and dtype {expected.dtype}, got {show(actual)}"
        if actual.dtype != expected.dtype:
            return f"dtype {actual.dtype}, but it must be {expected.dtype} (the dtype of x)"
        return compare(actual, expected, rtol=RTOL.get(expected.dtype, 1e-12))
    if "items" in expected:
        if not isinstance(actual, dict) or "items" not in actual:
            return f"expected a {expected['type']}, got {show(actual)}"
        if actual["type"] != expected["type"]:
            return f"expected a {expected['type']}, got a {actual['type']}"
        if len(actual["items"]) != len(expected["items"]):
            return f"expected {len(expected['items'])} items, got {len(actual['items'])}"
        for i, (a, e) in enumerate(zip(actual["items"], expected["items"])):
            problem = difference(a, e)
            if problem:
                return f"entry {i}: {problem}"
        return None
    if "number" in expected:
        number = _number(actual)
        if number is None:
            return f"expected a number, got {show(actual)}"
        return None if number == expected["number"] else f"expected {expected['number']!r}, got {number!r}"
    return None if actual == expected else f"expected {show(expected)}, got {show(actual)}"


def reply_problem(reply: dict, expected: dict | None = None) -> str | None:
    """What is wrong with the student's reply to a probe, given the reference's; None if nothing. Without
    ``expected``, only a ValueError and arguments changed in place are problems."""
    raises = expected is not None and "raised" in expected
    if raises and "raised" not in reply:
        return f"must raise ValueError ({expected['message']})"
    if "raised" in reply and not raises:
        return f"raised ValueError: {reply['message']}"
    if reply["changed"]:
        return f"modified {' and '.join(reply['changed'])} in place: work on new arrays"
    if raises or expected is None:
        return None
    return difference(reply["result"], expected["result"])


def same_case(
    t: Tester,
    probe_name: str,
    args: dict,
    what: str,
    input_text: Callable[[], str] | str,
    *,
    group: str = "behaviour",
    hint: str | None = None,
    more: str | None = None,
    weight: float = 1.0,
) -> Case:
    """The student's reply to the probe must be the reference's (:func:`reply_problem`)."""

    def run() -> Verdict:
        expected = t.expect(probe_name, **args)
        reply = t.probe(probe_name, **args)
        problem = reply_problem(reply, expected)
        return Verdict(problem is None, lambda: show(expected), lambda: show(reply), detail=problem)

    return Case(what, run, input=input_text, group=group, hint=hint, more=more, weight=weight)
