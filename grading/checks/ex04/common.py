"""What the parts of exercise 4 share: the exercise, the VJP check (:func:`vjp_case`) and seeded inputs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ...arrays import compare, fd_problem, numeric_vjp, returned, show_array, show_input
from ...core import Case, ExerciseSpec, Tester, Verdict
from ...probes import standins
from ...tripwire import AUTODIFF, TENSOR_OPS

EXERCISE = ExerciseSpec("ex04", "ex04_vjp", "Vector-Jacobian products")

#: Parts 1-8 are NumPy only: no autodiff and no tensor operation of minitorch.
NUMPY_ONLY = AUTODIFF + TENSOR_OPS
#: Parts 9-10 run minitorch's engine (backprop), but the model must be made of the student's primitives.
OWN_PRIMITIVES = (
    "minitorch.transforms",
    "minitorch.gradcheck",
    "minitorch.ops.linalg",
    "minitorch.ops.elementwise",
    "minitorch.ops.reduce",
    "minitorch.nn.functional",
)

#: The graded NumPy functions: swapped for the reference's when a later part is checked.
VJPS = (
    "unbroadcast",
    "vjp_add",
    "vjp_mul",
    "vjp_matmul",
    "vjp_linear",
    "vjp_exp",
    "vjp_log",
    "vjp_tanh",
    "vjp_sigmoid",
    "vjp_relu",
    "vjp_sum",
    "vjp_mean",
    "vjp_softmax",
    "vjp_log_softmax",
    "vjp_cross_entropy",
)


def _rng(t: Tester) -> np.random.Generator:
    return np.random.default_rng(t.rng.getrandbits(64))


def _normal(rng: np.random.Generator, shape: tuple, size: float = 1.0) -> np.ndarray:
    return size * rng.standard_normal(shape)


def _away_from_zero(rng: np.random.Generator, shape: tuple, low: float = 0.05, high: float = 3.0) -> np.ndarray:
    """Entries with |x| in [low, high]: no kink of relu within a finite-difference step."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, high, size=shape)


def _outputs(x: Any, n: int) -> list | None:
    if n == 1:
        return [x]
    if isinstance(x, (tuple, list)) and len(x) == n:
        return list(x)
    return None


def _returned(reply: dict) -> Any:
    """A probe's result (:func:`grading.probes.ex04.result_data`) as the student's function returned it."""
    if "tuple" in reply:
        return tuple(returned(x) for x in reply["tuple"])
    return returned(reply["value"])


def vjp_case(
    t: Tester,
    name: str,
    inputs: Sequence[np.ndarray],
    g: Any,
    *,
    names: Sequence[str],
    outputs: Sequence[str],
    forward: Callable[..., Any] | None = None,
    scale: Callable[[Callable, list, Any], list] | None = None,
    call: str = "plain",
    extra: dict | None = None,
    patch: Sequence[str] = (),
    fd: bool = True,
    what: str | None = None,
    hint: str | None = None,
    weight: float = 1.0,
    input_text: str | None = None,
    group: str = "behaviour",
) -> Case:
    """Compare ``name(*inputs, g)`` (or another ``call`` of :data:`grading.probes.ex04.CALLS`, with ``extra``
    arguments) of the student and of the reference.

    ``outputs`` names the returned arrays (one per input that has an adjoint); ``forward`` is the NumPy function
    whose VJP it is (for central differences); ``scale(ref_fn, inputs, g)`` gives, per output, the size of the
    terms summed into each entry; ``patch`` lists the student's functions replaced by public stand-ins
    (:data:`grading.probes.standins.EX04_VJPS`). Every check also fails a VJP that writes into its arguments:
    the text says not to, and other VJPs of the graph read the same arrays."""
    inputs = [np.asarray(x, dtype=np.float64) if np.asarray(x).dtype.kind == "f" else np.asarray(x) for x in inputs]

    request = {"name": name, "inputs": inputs, "g": g, "call": call, "extra": extra or {}}
    # Made with the case, not in it: central differences are minitorch.numerical, which the tripwire watches for.
    numeric = (
        numeric_vjp(forward, inputs, g, wrt=range(len(outputs)), same_f_as=[name, call, extra])
        if fd and forward is not None
        else None
    )

    def run() -> Verdict:
        ref_fn = t.reference(name)
        expected = _outputs(_returned(t.expect("vjp", **request, patch=[])), len(outputs))
        assert expected is not None, f"the reference {name} returned the wrong number of arrays"
        scales = scale(ref_fn, [x.copy() for x in inputs], g) if scale else [0.0] * len(outputs)
        reply = t.probe("vjp", **request, patch=list(patch), allow=standins.labels(patch))
        result = _returned(reply)

        def expected_text() -> str:
            return "\n".join(f"{o} = {show_array(e)}" for o, e in zip(outputs, expected))

        note = warning = None
        if numeric is not None:
            estimates, level = numeric

            def note() -> str:
                return "central differences: " + "; ".join(
                    f"{o} ~ {show_array(e, digits=6)}" for o, e in zip(outputs, estimates)
                )

            for o, est, e, s in zip(outputs, estimates, expected, scales):
                problem = fd_problem(est, e, s, level)
                if problem:
                    warning = f"reference {o} disagrees with central differences {problem}"
        actual = _outputs(result, len(outputs))
        if actual is None:
            return Verdict(
                False,
                expected_text,
                lambda: show_array(result),
                detail=f"{name} must return a tuple of {len(outputs)} arrays ({', '.join(outputs)})",
                note=note,
                grader_warning=warning,
            )

        def actual_text() -> str:
            return "\n".join(f"{o} = {show_array(a)}" for o, a in zip(outputs, actual))

        if reply["modified"]:
            changed = " and ".join(f"`{names[i]}`" for i in reply["modified"])
            return Verdict(
                False,
                expected_text,
                actual_text,
                detail=f"{name} changed {changed} in place (its values differ after the call): compute new "
                "arrays instead of writing into the arguments",
                note=note,
                grader_warning=warning,
            )

        for o, a, e, s in zip(outputs, actual, expected, scales):
            problem = compare(a, e, s)
            if problem:
                return Verdict(
                    False, expected_text, actual_text, detail=f"{o}: {problem}", note=note, grader_warning=warning
                )
        return Verdict(True, expected_text, actual_text, note=note, grader_warning=warning)

    def text() -> str:
        return input_text or "\n".join(show_input(n, x) for n, x in zip(names, list(inputs) + [g]))

    if what is None:
        shapes = ", ".join(f"{n}: {np.shape(x)}" for n, x in zip(names, list(inputs) + [g]))
        what = f"{name}({shapes})"
    return Case(what, run, input=text, hint=hint, weight=weight, group=group)


def _abs_scale(ref_fn: Callable, xs: list, g: Any) -> list:
    """For VJPs linear in each input (sums of products): the same VJP of the absolute values."""
    result = ref_fn(*[np.abs(x) for x in xs], np.abs(g))
    return list(result) if isinstance(result, tuple) else [result]
