"""Exercise 5: custom primitives (a stable softplus with its VJP and JVP; straight-through rounding).

Each check runs the student's ``minitorch.Function`` and the reference's on the same seeded input (float64 and
float32, 0-dimensional to 2-D, arguments of +-1000 and beyond) and compares the forward values, the VJP
(``x.grad`` after ``backward`` with a random cotangent) or the JVP (forward mode with a random tangent).
Softplus's rules are also compared with central differences (grader warnings) and checked with
``minitorch.gradcheck``; the straight-through rules are not derivatives, and are checked against their
definition (the identity, or the mask of the unclipped entries).

The primitives run in :mod:`grading.probes.ex05` (the student's in the sandbox, the reference's here), on arrays
sent as data; the arrays they give back are judged here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..arrays import as_array, compare, fd_problem, numeric_vjp, returned, show_array, show_input
from ..core import Case, ExerciseSpec, Tester, Verdict

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
    numeric = numeric_vjp(lambda a: t.reference(name).apply(_mt().tensor(a), *args).data, [x], v) if fd else None

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


# --------------------------------------------------------------------------- Softplus


@EXERCISE.part(
    "softplus_value",
    points=2,
    title="Softplus.forward: stable and accurate",
    needs=("Softplus",),
    hint="Which form of softplus never exponentiates a positive number, and which NumPy function keeps the "
    "digits of log(1 + u) when u is tiny?",
    more="Split x into its positive part and a correction that depends only on -|x|; compute the correction "
    "with np.log1p (or use np.logaddexp with 0). Return an array of x's dtype or float64, never float32 for a "
    "float64 input.",
)
def softplus_value(t: Tester):
    rng = _rng(t)
    case = lambda x, **kw: value_case(t, "Softplus", x, independent=_softplus, **kw)
    if not t.hidden:
        yield case(np.array([-3.0, -0.5, 0.0, 0.5, 3.0]))
        yield case(np.array([-1000.0, -100.0, 100.0, 1000.0]), what="Softplus.apply(x) at x = +-100 and +-1000")
        yield case(np.array([-40.0, -36.0]), what="Softplus.apply(x) at x = -40 and -36 (about 4e-18 and 2e-16)")
        yield case(
            np.array([-100.0, -10.0, 10.0, 100.0], dtype=np.float32),
            what="Softplus.apply(x) in float32 at x = +-10 and +-100 (exp(100) overflows in float32)",
        )
        return
    yield case(10.0 * rng.standard_normal((3, 4)))
    yield case(rng.uniform(-700.0, 700.0, size=6))
    yield case(np.array(2.5))
    yield case((30.0 * rng.standard_normal(6)).astype(np.float32))
    yield case(np.array([-30.0, -50.0, -80.0, -200.0, -745.0]))
    yield case(np.array([1e-12, -1e-12, 1e-300, 0.0]))
    yield case(np.array([-1e300, -1e10, 1e10, 1e300]))


SIGMOID_HINT = (
    "What is the derivative of softplus, and how do you evaluate it without overflow at x = +-1000? "
    "Where does backward find the x of its own call?"
)
SIGMOID_MORE = (
    "The derivative is the sigmoid: take x back from ctx.saved_tensors and multiply the incoming g by a stable "
    "sigmoid of it (Tensor.sigmoid is stable; exp(x) / (1 + exp(x)) is nan at 1000). Build a new value: never "
    "write into g.data or x.data."
)


def twice_case(t: Tester, name: str, chain: str, x: np.ndarray, z: np.ndarray) -> Case:
    """Two applications of the primitive before one backward (:data:`grading.probes.ex05.CHAINS`): state kept on
    the class instead of ``ctx`` serves the second call's values to both nodes."""
    calls = {"softplus_twice": "Softplus.apply(x) * 2 + Softplus.apply(z)"}.get(
        chain, "ClippedRoundSTE.apply(x, -2, 2) * 2 + ClippedRoundSTE.apply(z, 0, 3)"
    )
    return chain_case(
        t,
        name,
        f"two nodes, one backward: x.grad and z.grad after ({calls}).sum().backward() (state on ctx, per call)",
        chain,
        {"x": x, "z": z},
        group="edge cases",
    )


def gradcheck_case(t: Tester, x: np.ndarray) -> Case:
    def run() -> Verdict:
        reply = t.probe("gradcheck", x=x)
        if "failed" in reply:  # GradcheckError
            return Verdict(False, "True", "GradcheckError", detail=str(reply["failed"]))
        return Verdict(reply["true"] is True, "True", str(reply["ok"]))

    return Case(f"minitorch.gradcheck(Softplus.apply, [x])  (x of shape {x.shape})", run, input=show_input("x", x))


@EXERCISE.part(
    "softplus_vjp",
    points=2,
    title="Softplus.backward (VJP): g * sigmoid(x)",
    needs=("Softplus",),
    forbidden=IN_RULES,
    hint=SIGMOID_HINT,
    more=SIGMOID_MORE,
)
def softplus_vjp(t: Tester):
    rng = _rng(t)
    case = lambda x, **kw: vjp_case(t, "Softplus", x, derivative=_sigmoid, **kw)
    extreme = np.array([-1000.0, -100.0, -40.0, 40.0, 100.0, 1000.0])
    if not t.hidden:
        yield case(2.0 * rng.standard_normal(5), fd=True)
        yield case(
            extreme, v=np.ones(6), what="x.grad after Softplus.apply(x).backward(ones) at x = +-40, +-100, +-1000"
        )
        yield gradcheck_case(t, rng.standard_normal(4))
        yield twice_case(t, "Softplus", "softplus_twice", rng.standard_normal(4), rng.standard_normal(4))
        return
    yield case(3.0 * rng.standard_normal((3, 4)), fd=True)
    yield case(np.array(-1.5), fd=True)
    yield case(rng.uniform(-700.0, 700.0, size=5))
    yield case(np.array([[-800.0, 5.0], [710.0, -710.0]]))
    yield case(np.array([-100.0, -3.0, 3.0, 100.0], dtype=np.float32))
    yield case(np.array([-89.0, 88.0, 89.0], dtype=np.float32))
    yield gradcheck_case(t, rng.uniform(-20.0, 20.0, size=(2, 3)))
    yield gradcheck_case(t, np.array([-35.0, 0.25, 35.0]))
    x, w = rng.standard_normal(4), rng.standard_normal(4)
    yield chain_case(
        t,
        "Softplus",
        "x.grad and w.grad after (Softplus.apply(x * w) * c).sum().backward()",
        "softplus_xw",
        {"x": x, "w": w},
        lambda a: {
            "x": np.arange(1.0, 5.0) * _sigmoid(a["x"] * a["w"]) * a["w"],
            "w": np.arange(1.0, 5.0) * _sigmoid(a["x"] * a["w"]) * a["x"],
        },
    )


def jvp_case(t: Tester, x: np.ndarray, *, tangent: np.ndarray | None = None, what: str | None = None) -> Case:
    rng = _rng(t)
    v = rng.standard_normal(x.shape).astype(x.dtype) if tangent is None else tangent

    def run() -> Verdict:
        expected = t.expect("jvp", x=x, v=v)["out"]
        warning = None
        problem = compare(expected, _sigmoid(x) * v, np.abs(v), rtol=_rtol(x))
        if problem:
            warning = f"the reference Softplus.jvp disagrees with sigmoid(x) * t: {problem}"
        reply = t.probe("jvp", x=x, v=v)
        actual = returned(reply["out"])
        problem = _inplace(reply, "Softplus.jvp") or compare(actual, expected, np.abs(v), rtol=_rtol(x), atol=_atol(x))
        return Verdict(
            problem is None, show_array(expected), show_array(actual), detail=problem, grader_warning=warning
        )

    return Case(
        what or f"minitorch.jvp(Softplus.apply, [x], [t])  (x of shape {x.shape}{_dtype_text(x)})",
        run,
        input=show_input("x", x) + "\n" + show_input("t", v),
        group=_group(x),
    )


@EXERCISE.part(
    "softplus_jvp",
    points=1,
    title="Softplus.jvp (forward mode): sigmoid(x) * t",
    needs=("Softplus",),
    forbidden=IN_RULES,
    hint="Forward mode multiplies the tangent by the same derivative as the VJP: which one, evaluated stably?",
    more="The input is in ctx.inputs (a tuple); return a tensor: the stable sigmoid of that input times t, "
    "without changing t in place.",
)
def softplus_jvp(t: Tester):
    rng = _rng(t)
    if not t.hidden:
        yield jvp_case(t, 2.0 * rng.standard_normal(5))
        yield jvp_case(
            t,
            np.array([-1000.0, -40.0, 40.0, 1000.0]),
            tangent=np.ones(4),
            what="minitorch.jvp(Softplus.apply, [x], [ones]) at x = +-40 and +-1000",
        )
        return
    yield jvp_case(t, 3.0 * rng.standard_normal((3, 4)))
    yield jvp_case(t, np.array(0.75))
    yield jvp_case(t, rng.uniform(-700.0, 700.0, size=5))
    yield jvp_case(t, np.array([-100.0, -2.0, 2.0, 100.0], dtype=np.float32))


# --------------------------------------------------------------------------- straight-through rounding


def _no_halves(x: np.ndarray) -> np.ndarray:
    """Move entries away from k + 0.5 (where rounding conventions differ)."""
    frac = x - np.floor(x)
    return np.where(np.abs(frac - 0.5) < 0.02, x + 0.1, x)


def _quadratic_grads(a: dict) -> dict:
    target = np.array([2.0, -1.0, 0.0, 3.0, 1.0])
    r = 2.0 * (np.round(a["w"] * a["x"]) - target)
    return {"w": np.array([np.sum(r * a["x"])]), "x": r * a["w"]}


STE_HINT = (
    "A straight-through estimator pretends in backward that the forward function was the identity: what is "
    "the VJP of the identity?"
)
STE_MORE = (
    "forward rounds the input's array with np.round; backward hands the incoming adjoint on as it is (not "
    "multiplied by 0, the true derivative of rounding, and not negated)."
)


@EXERCISE.part(
    "ste_round",
    points=2,
    title="RoundSTE: round forward, identity backward",
    needs=("RoundSTE",),
    forbidden=IN_RULES,
    hint=STE_HINT,
    more=STE_MORE,
)
def ste_round(t: Tester):
    rng = _rng(t)
    identity = lambda x: np.ones_like(x)
    fit = {"w": np.array([0.8]), "x": np.array([2.3, -1.2, 0.4, 3.1, 1.7])}
    if not t.hidden:
        x = np.array([-1.7, -0.2, 0.4, 1.6, 2.2])
        yield value_case(t, "RoundSTE", x, independent=np.round)
        yield vjp_case(t, "RoundSTE", x, derivative=identity)
        yield chain_case(
            t,
            "RoundSTE",
            "w.grad and x.grad after ((RoundSTE.apply(w * x) - target) ** 2).sum().backward()",
            "quadratic",
            fit,
            _quadratic_grads,
        )
        return
    x = _no_halves(5.0 * rng.standard_normal((3, 4)))
    yield value_case(t, "RoundSTE", x, independent=np.round)
    yield vjp_case(t, "RoundSTE", x, derivative=identity)
    for x in (
        np.array(-2.3),
        _no_halves(1e6 * rng.standard_normal(4)),
        _no_halves(3.0 * rng.standard_normal(5)).astype(np.float32),
    ):
        yield value_case(t, "RoundSTE", x, independent=np.round)
        yield vjp_case(t, "RoundSTE", x, derivative=identity)
    yield chain_case(
        t,
        "RoundSTE",
        "w.grad and x.grad after ((RoundSTE.apply(w * x) - target) ** 2).sum().backward()",
        "quadratic",
        {"w": np.array([-1.3]), "x": _no_halves(rng.uniform(-3, 3, 5))},
        _quadratic_grads,
    )


def _clipped_inputs(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """No entry on low or high, nor on a half."""
    x = _no_halves(x)
    return np.where(np.isclose(x, low) | np.isclose(x, high), x + 0.3, x)


def clipped_cases(t: Tester, x: np.ndarray, low: int, high: int) -> list[Case]:
    x = _clipped_inputs(x, low, high)
    inside = lambda a: ((a >= low) & (a <= high)).astype(a.dtype)
    return [
        value_case(t, "ClippedRoundSTE", x, (low, high), independent=lambda a: np.round(np.clip(a, low, high))),
        vjp_case(t, "ClippedRoundSTE", x, (low, high), derivative=inside),
    ]


@EXERCISE.part(
    "ste_clipped",
    points=2,
    title="ClippedRoundSTE: round(clip(x)) forward, masked gradient backward",
    needs=("ClippedRoundSTE",),
    forbidden=IN_RULES,
    hint="Where the input was clipped, does the output move when the input moves? And what must backward "
    "return for the arguments that are plain numbers?",
    more="In forward, keep a mask of the entries inside [low, high] as an attribute of ctx (per call, never on "
    "the class: a primitive may be applied twice before one backward); backward returns a tuple with one entry "
    "per argument of forward: the masked adjoint, then None for low and for high.",
)
def ste_clipped(t: Tester):
    rng = _rng(t)
    if not t.hidden:
        yield from clipped_cases(t, np.array([-3.7, -1.2, 0.4, 1.6, 2.8]), -2, 2)
        yield twice_case(
            t,
            "ClippedRoundSTE",
            "clipped_twice",
            np.array([-3.7, -1.2, 0.4, 1.6, 2.8]),
            np.array([-0.6, 1.3, 2.2, 3.4, 4.1]),
        )
        return
    yield from clipped_cases(t, rng.uniform(-5.0, 20.0, size=8), 0, 15)
    yield from clipped_cases(t, 2.0 * rng.standard_normal((3, 4)), -1, 1)
    yield from clipped_cases(t, np.array(7.2), 0, 3)
    yield from clipped_cases(t, (3.0 * rng.standard_normal(6)).astype(np.float32), -2, 2)
    x = _clipped_inputs(rng.uniform(-4.0, 4.0, 5), -2, 2)
    yield chain_case(
        t,
        "ClippedRoundSTE",
        "x.grad after (ClippedRoundSTE.apply(x, -2, 2) * c).sum().backward()",
        "clipped",
        {"x": x},
        lambda a: {"x": np.arange(1.0, 6.0) * ((a["x"] >= -2) & (a["x"] <= 2))},
    )
