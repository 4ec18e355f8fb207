"""What the parts of exercise 5 share: the exercise and the checks of a primitive's value, VJP, JVP and graphs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...arrays import as_array, compare, fd_problem, numeric_vjp, returned, show_array, show_input
from ...core import Case, ExerciseSpec, Tester, Verdict

EXERCISE = ExerciseSpec("ex05", "ex05_custom_primitives", "Custom primitives: softplus and straight-through rounding")

#: A rule must state its derivative, not have minitorch's autodiff compute it (the checks themselves run
#: ``backward``, ``gradcheck`` and forward mode, without the transforms).
IN_RULES = ("minitorch.transforms",)


def _rng(t: Tester) -> np.random.Generator:
    return np.random.default_rng(t.rng.getrandbits(64))


def _rtol(x: np.ndarray) -> float:
    return 1e-9 if x.dtype == np.float64 else 1e-5


def _atol(x: np.ndarray) -> float:
    """float32's subnormal numbers are 1.4e-45 apart: softplus(-100) = 3.7e-44 rounds to float32 with a
    relative error of 1.7%, so near zero a float32 result is compared to within a few of those steps."""
    return 0.0 if x.dtype == np.float64 else 8 * float(np.finfo(np.float32).smallest_subnormal)


def _group(x: np.ndarray) -> str:
    """0-d inputs are edge cases; float32 and large arguments test numerical robustness."""
    if x.ndim == 0:
        return "edge cases"
    if x.dtype != np.float64 or np.abs(x).max(initial=0.0) > 30:
        return "robustness"
    return "behaviour"


def _inplace(reply: dict, what: str) -> str | None:
    """Why a probe's reply shows the student's rule writing into an input (None if it does not)."""
    if not reply["modified"]:
        return None
    names = " and ".join(reply["modified"])
    return (
        f"{what} changed {names} in place: the values given to it differ after the call. Compute a new array "
        "instead (other rules of the graph read the same arrays)"
    )


def _dtype_problem(actual: np.ndarray, x: np.ndarray) -> str | None:
    """float64 in, float64 out; a float32 input may give float32 or float64 (both compared with the exact value)."""
    if x.dtype == np.float64 and actual.dtype != np.float64:
        return f"the result has dtype {actual.dtype} for a float64 input: compute and return float64"
    return None


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def _mt() -> Any:
    import minitorch

    return minitorch


def _dtype_text(x: np.ndarray) -> str:
    return "" if x.dtype == np.float64 else f", {x.dtype}"


def _apply(cls: Any, args: tuple) -> Callable[[Any], Any]:
    return lambda x: cls.apply(x, *args)


def _args_text(args: tuple) -> str:
    return "".join(f", {a!r}" for a in args)


def value_case(
    t: Tester,
    name: str,
    x: np.ndarray,
    args: tuple = (),
    *,
    what: str | None = None,
    independent: Callable[[np.ndarray], np.ndarray] | None = None,
    group: str | None = None,
) -> Case:
    """``name.apply(tensor(x), *args)``: the output's values, compared with ``independent(x)`` (the exact
    value) when given, else with the reference's."""

    def run() -> Verdict:
        reference = as_array(t.expect("value", name=name, x=x, args=list(args))["out"])
        # The exact value (float64, from the same input) when it is known: a float32 input may be answered in
        # float32 or float64, and only the exact value judges both fairly.
        expected = reference if independent is None else independent(x.astype(np.float64))
        warning = None
        problem = compare(reference, expected, rtol=_rtol(x), atol=_atol(x))
        if problem:
            warning = f"the reference {name} disagrees with an independent computation: {problem}"
        reply = t.probe("value", name=name, x=x, args=list(args))
        out = returned(reply["out"])
        actual = as_array(out)
        if actual is None:
            return Verdict(
                False,
                show_array(expected),
                show_array(out),
                detail="forward must return a NumPy array",
                grader_warning=warning,
            )
        problem = (
            _inplace(reply, "forward")
            or _dtype_problem(actual, x)
            or compare(actual, expected, rtol=_rtol(x), atol=_atol(x))
        )
        return Verdict(
            problem is None, show_array(expected), show_array(actual), detail=problem, grader_warning=warning
        )

    return Case(
        what or f"{name}.apply(x{_args_text(args)})  (x of shape {x.shape}{_dtype_text(x)})",
        run,
        input=show_input("x", x),
        group=group or _group(x),
    )


def vjp_case(
    t: Tester,
    name: str,
    x: np.ndarray,
    args: tuple = (),
    *,
    what: str | None = None,
    derivative: Callable[[np.ndarray], np.ndarray] | None = None,
    fd: bool = False,
    v: np.ndarray | None = None,
    group: str | None = None,
) -> Case:
    """``y = name.apply(x, *args)``, then ``y.backward(gradient=v)``: compare ``x.grad``. ``derivative`` is the
    rule's definition (the reference must agree with ``v * derivative(x)``); ``fd`` adds central differences.
    x and the cotangent must hold their values after the call."""
    rng = _rng(t)
    v = rng.standard_normal(x.shape).astype(x.dtype) if v is None else v
    # Made with the case, not in it: central differences are minitorch.numerical, which the tripwire watches for.
    numeric = (
        numeric_vjp(
            lambda a: t.reference(name).apply(_mt().tensor(a), *args).data, [x], v, same_f_as=[name, args, id(t.ref)]
        )
        if fd
        else None
    )

    def run() -> Verdict:
        expected = t.expect("vjp", name=name, x=x, args=list(args), v=v)["out"]
        warning = note = None
        if derivative is not None:
            problem = compare(expected, v * derivative(x), np.abs(v), rtol=_rtol(x))
            if problem:
                warning = f"the reference {name}.backward disagrees with its definition: {problem}"
        if numeric is not None:
            (estimate,), level = numeric
            note = f"central differences: {show_array(estimate, digits=6)}"
            problem = fd_problem(estimate, expected, np.abs(v), level)
            if problem:
                warning = f"the reference {name}.backward disagrees with central differences {problem}"
        reply = t.probe("vjp", name=name, x=x, args=list(args), v=v)
        grad = returned(reply["out"])
        if grad is None:
            return Verdict(
                False,
                show_array(expected),
                "x.grad is None",
                detail="no gradient reached x",
                note=note,
                grader_warning=warning,
            )
        problem = _inplace(reply, f"{name}.apply(x).backward(g)") or compare(
            grad, expected, np.abs(v), rtol=_rtol(x), atol=_atol(x)
        )
        return Verdict(
            problem is None, show_array(expected), show_array(grad), detail=problem, note=note, grader_warning=warning
        )

    text = show_input("x", x) + "\n" + show_input("cotangent", v)
    return Case(
        what
        or f"x.grad after {name}.apply(x{_args_text(args)}).backward(cotangent)  (x of shape {x.shape}"
        f"{_dtype_text(x)})",
        run,
        input=text,
        group=group or _group(x),
    )


def chain_case(
    t: Tester,
    name: str,
    what: str,
    chain: str,
    arrays: dict[str, np.ndarray],
    expected_grads: Callable[[dict], dict] | None = None,
    *,
    group: str = "behaviour",
) -> Case:
    """A small graph of minitorch operations around the primitive (``chain``: its name in
    :data:`grading.probes.ex05.CHAINS`); compare every leaf's gradient (and, if given, the reference's with a
    formula)."""

    def run() -> Verdict:
        expected = t.expect("chain", name=name, chain=chain, arrays=arrays)["grads"]
        warning = None
        if expected_grads is not None:
            for n, formula in expected_grads(arrays).items():
                problem = compare(expected[n], formula, np.abs(formula).max(), rtol=1e-9)
                if problem:
                    warning = f"the reference's {n}.grad disagrees with its formula: {problem}"
        reply = t.probe("chain", name=name, chain=chain, arrays=arrays)
        actual = {n: returned(g) for n, g in reply["grads"].items()}
        expected_text = "\n".join(f"{n}.grad = {show_array(e)}" for n, e in expected.items())
        actual_text = "\n".join(f"{n}.grad = {'None' if g is None else show_array(g)}" for n, g in actual.items())
        problem = _inplace(reply, f"{name}.apply")
        if problem:
            return Verdict(False, expected_text, actual_text, detail=problem, grader_warning=warning)
        for n, e in expected.items():
            if actual[n] is None:
                return Verdict(False, expected_text, actual_text, detail=f"{n}.grad is None", grader_warning=warning)
            problem = compare(actual[n], e, np.abs(e).max(initial=0.0))
            if problem:
                return Verdict(False, expected_text, actual_text, detail=f"{n}.grad: {problem}", grader_warning=warning)
        return Verdict(True, expected_text, actual_text, grader_warning=warning)

    return Case(what, run, input="\n".join(show_input(n, a) for n, a in arrays.items()), group=group)
