"""Exercise 5, parts 1-3: Softplus, its value, its VJP and its JVP."""

from __future__ import annotations

import numpy as np

from ...arrays import compare, returned, show_array, show_input
from ...core import Case, Tester, Verdict
from .common import (
    EXERCISE,
    IN_RULES,
    _atol,
    _dtype_text,
    _group,
    _inplace,
    _rng,
    _rtol,
    _sigmoid,
    _softplus,
    chain_case,
    value_case,
    vjp_case,
)

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
