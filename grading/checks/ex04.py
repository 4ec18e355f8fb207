"""Exercise 4: vector-Jacobian products as NumPy functions, then as minitorch primitives that train a network.

A VJP check calls the student's function and the reference's on copies of the same seeded inputs (broadcast
shapes, size-1 axes, 0-dimensional arrays, large magnitudes) and compares every returned array: its shape
exactly, its entries to ``RTOL`` relative to the size of the terms summed into them (so any summation order
or equivalent formula passes). Central differences of ``sum(g * f(inputs))`` check the reference (a grader
warning if they disagree) and are shown when a check fails. Parts that use earlier functions run with public
stand-ins swapped in (:mod:`grading.probes.standins`: minitorch's array helpers and reverse mode; for the short
training run, which the tripwire watches, central differences), so a mistake costs points only in its own part.

The student's functions run in :mod:`grading.probes.ex04` on arrays sent as data (the reference's through the
same probes, here); what comes back is judged here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..arrays import as_array, compare, fd_problem, numeric_vjp, returned, show_array, show_input
from ..core import Case, ExerciseSpec, Tester, Verdict
from ..probes import standins
from ..tripwire import AUTODIFF, TENSOR_OPS

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
) -> Case:
    """Compare ``name(*inputs, g)`` (or another ``call`` of :data:`grading.probes.ex04.CALLS`, with ``extra``
    arguments) of the student and of the reference.

    ``outputs`` names the returned arrays (one per input that has an adjoint); ``forward`` is the NumPy function
    whose VJP it is (for central differences); ``scale(ref_fn, inputs, g)`` gives, per output, the size of the
    terms summed into each entry; ``patch`` lists the student's functions replaced by public stand-ins
    (:data:`grading.probes.standins.EX04_VJPS`)."""
    inputs = [np.asarray(x, dtype=np.float64) if np.asarray(x).dtype.kind == "f" else np.asarray(x) for x in inputs]

    request = {"name": name, "inputs": inputs, "g": g, "call": call, "extra": extra or {}}

    def run() -> Verdict:
        ref_fn = t.reference(name)
        expected = _outputs(_returned(t.expect("vjp", **request, patch=[])), len(outputs))
        assert expected is not None, f"the reference {name} returned the wrong number of arrays"
        scales = scale(ref_fn, [x.copy() for x in inputs], g) if scale else [0.0] * len(outputs)
        result = _returned(t.probe("vjp", **request, patch=list(patch), allow=standins.labels(patch)))

        def expected_text() -> str:
            return "\n".join(f"{o} = {show_array(e)}" for o, e in zip(outputs, expected))

        note = warning = None
        if fd and forward is not None:
            estimates, level = numeric_vjp(forward, inputs, g, wrt=range(len(outputs)))

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
    return Case(what, run, input=text, hint=hint, weight=weight)


def _abs_scale(ref_fn: Callable, xs: list, g: Any) -> list:
    """For VJPs linear in each input (sums of products): the same VJP of the absolute values."""
    result = ref_fn(*[np.abs(x) for x in xs], np.abs(g))
    return list(result) if isinstance(result, tuple) else [result]


# --------------------------------------------------------------------------- part 1: unbroadcast


def unbroadcast_case(t: Tester, g_shape: tuple, shape: tuple, *, size: float = 1.0) -> Case:
    rng = _rng(t)
    g = _normal(rng, g_shape, size)
    x = np.zeros(shape)
    return vjp_case(
        t,
        "unbroadcast",
        [x],
        g,
        names=["x", "g"],
        outputs=["result"],
        forward=lambda a: np.broadcast_to(a, g_shape),
        call="unbroadcast",
        extra={"shape": shape},
        scale=lambda ref, xs, g_: [ref(np.abs(g_), shape)],
        what=f"unbroadcast(g of shape {g_shape}, shape={shape})",
        input_text=f"{show_input('g', g)}\nshape = {shape}",
    )


@EXERCISE.part(
    "unbroadcast",
    points=1,
    title="unbroadcast(g, shape)",
    needs=("unbroadcast",),
    forbidden=NUMPY_ONLY,
    hint="Sum over the leading axes g has and shape lacks (g.sum(axis=tuple(range(extra)))), then, with "
    "keepdims=True, over the axes where shape has 1 and g does not. The result has exactly shape.",
)
def unbroadcast(t: Tester):
    if not t.hidden:
        for g_shape, shape in (((4, 3), (3,)), ((4, 3), (4, 1)), ((2, 4, 3), (1, 3)), ((4, 3), ()), ((4, 3), (4, 3))):
            yield unbroadcast_case(t, g_shape, shape)
        return
    rng = _rng(t)
    for _ in range(6):
        shape = tuple(int(n) for n in rng.integers(1, 4, size=rng.integers(0, 4)))
        stretched = tuple(int(rng.integers(2, 5)) if n == 1 and rng.random() < 0.7 else n for n in shape)
        extra = tuple(int(n) for n in rng.integers(1, 4, size=rng.integers(0, 3)))
        yield unbroadcast_case(t, extra + stretched, shape)
    yield unbroadcast_case(t, (), ())
    yield unbroadcast_case(t, (1, 1, 5), (1,))
    yield unbroadcast_case(t, (5, 1), (1, 1))
    yield unbroadcast_case(t, (3, 2, 4), (3, 1, 1))
    yield unbroadcast_case(t, (6, 3), (1, 3), size=1e8)


# --------------------------------------------------------------------------- part 2: add, mul


def binary_case(t: Tester, op: str, a_shape: tuple, b_shape: tuple, *, size: float = 1.0) -> Case:
    rng = _rng(t)
    a, b = _normal(rng, a_shape, size), _normal(rng, b_shape, size)
    g = _normal(rng, np.broadcast_shapes(a_shape, b_shape))
    forward = np.add if op == "add" else np.multiply
    return vjp_case(
        t,
        f"vjp_{op}",
        [a, b],
        g,
        names=["a", "b", "g"],
        outputs=["ga", "gb"],
        forward=forward,
        scale=_abs_scale,
        patch=("unbroadcast",),
    )


def _broadcast_pair(rng: np.random.Generator) -> tuple[tuple, tuple]:
    out = tuple(int(n) for n in rng.integers(1, 5, size=rng.integers(1, 4)))
    shapes = []
    for _ in range(2):
        keep = int(rng.integers(0, len(out) + 1))
        shapes.append(tuple(1 if rng.random() < 0.4 else n for n in out[len(out) - keep :]))
    return shapes[0], shapes[1]


@EXERCISE.part(
    "broadcast_ops",
    points=2,
    title="vjp_add and vjp_mul (with broadcasting)",
    needs=("vjp_add", "vjp_mul"),
    forbidden=NUMPY_ONLY,
    hint="Compute the adjoint at the output's shape (g, or g * b and g * a), then unbroadcast it to each "
    "input's own shape: an input that was broadcast gets the sum over its copies.",
)
def broadcast_ops(t: Tester):
    if not t.hidden:
        yield binary_case(t, "add", (2, 3), (3,))
        yield binary_case(t, "mul", (2, 3), (2, 3))
        yield binary_case(t, "mul", (4, 1), (1, 3))
        yield binary_case(t, "mul", (), (2, 2))
        return
    rng = _rng(t)
    for op in ("add", "mul"):
        for _ in range(4):
            yield binary_case(t, op, *_broadcast_pair(rng))
        yield binary_case(t, op, (3, 1, 4), (1, 1))
        yield binary_case(t, op, (2, 3), ())
        yield binary_case(t, op, (1,), (5, 1, 2), size=1e6)


# --------------------------------------------------------------------------- part 3: matmul


def matmul_case(t: Tester, a_shape: tuple, b_shape: tuple, *, size: float = 1.0) -> Case:
    rng = _rng(t)
    A, B = _normal(rng, a_shape, size), _normal(rng, b_shape, size)
    g = _normal(rng, np.matmul(A, B).shape)
    return vjp_case(
        t,
        "vjp_matmul",
        [A, B],
        g,
        names=["A", "B", "g"],
        outputs=["gA", "gB"],
        forward=np.matmul,
        scale=_abs_scale,
        patch=("unbroadcast",),
    )


MATMUL_HINT = (
    "gA = g @ B^T and gB = A^T @ g (the shapes tell where the transposes go). A 1-D A is a row "
    "(1, k) and a 1-D B a column (k, 1): give g the axis the result lost, then remove it from gA or gB. "
    "Batch axes: transpose the last two axes (np.swapaxes(B, -1, -2)) and unbroadcast to each "
    "input's shape."
)


@EXERCISE.part(
    "matmul", points=2, title="vjp_matmul(A, B, g)", needs=("vjp_matmul",), forbidden=NUMPY_ONLY, hint=MATMUL_HINT
)
def matmul(t: Tester):
    if not t.hidden:
        yield matmul_case(t, (3, 4), (4, 2))
        yield matmul_case(t, (3, 4), (4,))
        yield matmul_case(t, (4,), (4, 2))
        yield matmul_case(t, (2, 3, 4), (4, 5))
        return
    rng = _rng(t)
    for _ in range(3):
        n, k, m = (int(v) for v in rng.integers(1, 6, size=3))
        yield matmul_case(t, (n, k), (k, m))
    yield matmul_case(t, (3, 3), (3, 3))
    yield matmul_case(t, (1, 4), (4, 1))
    yield matmul_case(t, (4,), (4,))
    yield matmul_case(t, (2, 3, 4), (2, 4, 5))
    yield matmul_case(t, (3, 4), (2, 4, 5))
    yield matmul_case(t, (2, 1, 3, 4), (5, 4, 2))
    yield matmul_case(t, (4,), (2, 4, 3))
    yield matmul_case(t, (2, 3, 4), (4,))
    yield matmul_case(t, (3, 5), (5, 2), size=1e4)


# --------------------------------------------------------------------------- part 4: linear


def linear_case(t: Tester, x_shape: tuple, d_out: int, *, size: float = 1.0) -> Case:
    rng = _rng(t)
    d_in = x_shape[-1]
    x, W, b = _normal(rng, x_shape, size), _normal(rng, (d_in, d_out), size), _normal(rng, (d_out,), size)
    g = _normal(rng, x_shape[:-1] + (d_out,))
    return vjp_case(
        t,
        "vjp_linear",
        [x, W, b],
        g,
        names=["x", "W", "b", "g"],
        outputs=["gx", "gW", "gb"],
        forward=lambda x_, W_, b_: x_ @ W_ + b_,
        scale=_abs_scale,
        patch=("unbroadcast", "vjp_matmul"),
    )


@EXERCISE.part(
    "linear",
    points=1,
    title="vjp_linear(x, W, b, g)",
    needs=("vjp_linear",),
    forbidden=NUMPY_ONLY,
    hint="gx = g @ W^T, gW = x^T @ g (an outer product for one example), and gb = g summed over the batch "
    "(b was broadcast over it): vjp_matmul and unbroadcast do it.",
)
def linear(t: Tester):
    if not t.hidden:
        yield linear_case(t, (4, 3), 2)
        yield linear_case(t, (3,), 2)
        return
    rng = _rng(t)
    for _ in range(3):
        yield linear_case(t, (int(rng.integers(1, 6)), int(rng.integers(1, 5))), int(rng.integers(1, 5)))
    yield linear_case(t, (1, 3), 1)
    yield linear_case(t, (5,), 3)
    yield linear_case(t, (6, 4), 3, size=1e3)


# --------------------------------------------------------------------------- part 5: elementwise


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


ELEMENTWISE: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "exp": np.exp,
    "log": np.log,
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "relu": lambda x: np.maximum(x, 0.0),
}


def elementwise_case(t: Tester, fn: str, x: np.ndarray, *, fd: bool = True, what: str | None = None) -> Case:
    rng = _rng(t)
    g = _normal(rng, np.shape(x))
    # g * phi'(x): the terms are as large as g (rounding in 1 - s or 1 - tanh^2 is relative to 1, not to them).
    return vjp_case(
        t,
        f"vjp_{fn}",
        [x],
        g,
        names=["x", "g"],
        outputs=["gx"],
        forward=ELEMENTWISE[fn],
        scale=lambda ref, xs, g_: [np.abs(g_)],
        fd=fd,
        what=what,
    )


def _elementwise_input(rng: np.random.Generator, fn: str, shape: tuple) -> np.ndarray:
    if fn == "log":
        return np.exp(rng.uniform(-3.0, 3.0, size=shape))
    if fn == "relu":
        return _away_from_zero(rng, shape)
    return _normal(rng, shape, 2.0)


@EXERCISE.part(
    "elementwise",
    points=2,
    title="vjp_exp, vjp_log, vjp_tanh, vjp_sigmoid, vjp_relu",
    needs=("vjp_exp", "vjp_log", "vjp_tanh", "vjp_sigmoid", "vjp_relu"),
    forbidden=NUMPY_ONLY,
    hint="gx = g * phi'(x): exp' = exp, log' = 1/x, tanh' = 1 - tanh^2, sigmoid' = s (1 - s), "
    "relu' = 1 where x > 0 (else 0). Use the given stable sigmoid.",
)
def elementwise(t: Tester):
    rng = _rng(t)
    if not t.hidden:
        for fn in ELEMENTWISE:
            yield elementwise_case(t, fn, _elementwise_input(rng, fn, (2, 3)))
        return
    for fn in ELEMENTWISE:
        yield elementwise_case(t, fn, _elementwise_input(rng, fn, (3, 4)))
        yield elementwise_case(t, fn, _elementwise_input(rng, fn, ()))
    yield elementwise_case(t, "exp", np.array([-700.0, -30.0, 30.0, 700.0]), fd=False)
    yield elementwise_case(t, "log", np.array([1e-8, 1e-3, 1e3, 1e8]), fd=False)
    big = np.array([-1000.0, -40.0, -5.0, 5.0, 40.0, 1000.0])
    for fn in ("tanh", "sigmoid", "relu"):
        yield elementwise_case(t, fn, big, fd=False)


# --------------------------------------------------------------------------- part 6: sum, mean


def reduction_case(t: Tester, fn: str, x_shape: tuple, axis: Any, keepdims: bool, *, size: float = 1.0) -> Case:
    rng = _rng(t)
    x = _normal(rng, x_shape, size)
    reduce = np.sum if fn == "sum" else np.mean
    g = _normal(rng, reduce(x, axis=axis, keepdims=keepdims).shape)
    args = f"axis={axis!r}" + (", keepdims=True" if keepdims else "")
    return vjp_case(
        t,
        f"vjp_{fn}",
        [x],
        g,
        names=["x", "g"],
        outputs=["gx"],
        forward=lambda x_: reduce(x_, axis=axis, keepdims=keepdims),
        call="reduce",
        extra={"axis": axis, "keepdims": keepdims},
        scale=lambda ref, xs, g_: [ref(np.abs(xs[0]), np.abs(g_), axis=axis, keepdims=keepdims)],
        what=f"vjp_{fn}(x of shape {x_shape}, g of shape {np.shape(g)}, {args})",
        patch=("vjp_sum",) if fn == "mean" else (),
    )


@EXERCISE.part(
    "reductions",
    points=2,
    title="vjp_sum and vjp_mean over axes",
    needs=("vjp_sum", "vjp_mean"),
    forbidden=NUMPY_ONLY,
    hint="Without keepdims, first put the reduced axes back into g (np.expand_dims(g, axis), every axis "
    "for axis=None), then broadcast it to x.shape. For the mean, divide by the number of entries "
    "averaged into each output (x.size // g.size).",
)
def reductions(t: Tester):
    if not t.hidden:
        yield reduction_case(t, "sum", (2, 3), None, False)
        yield reduction_case(t, "sum", (2, 3), 1, False)
        yield reduction_case(t, "sum", (2, 3), 0, True)
        yield reduction_case(t, "mean", (3, 4), -1, False)
        return
    for fn in ("sum", "mean"):
        yield reduction_case(t, fn, (4, 4), 1, False)
        yield reduction_case(t, fn, (2, 3, 4), (0, 2), False)
        yield reduction_case(t, fn, (2, 3, 4), (0, -1), True)
        yield reduction_case(t, fn, (3, 1, 2), 1, False)
        yield reduction_case(t, fn, (2, 3, 4), -2, True)
        yield reduction_case(t, fn, (), None, False)
        yield reduction_case(t, fn, (5,), 0, False)
        yield reduction_case(t, fn, (3, 4), None, True, size=1e6)


# --------------------------------------------------------------------------- part 7: softmax, log_softmax


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    z = x - x.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def softmax_case(t: Tester, fn: str, x: np.ndarray, axis: int, *, what: str | None = None) -> Case:
    rng = _rng(t)
    g = _normal(rng, x.shape)

    def scale(ref: Callable, xs: list, g_: Any) -> list:
        s, a = _softmax(xs[0], axis), np.abs(g_)
        if fn == "softmax":  # s * (g - <g, s>)
            return [s * (a + (a * s).sum(axis=axis, keepdims=True))]
        return [a + s * a.sum(axis=axis, keepdims=True)]  # g - s * sum(g)

    forward = _softmax if fn == "softmax" else _log_softmax
    return vjp_case(
        t,
        f"vjp_{fn}",
        [x],
        g,
        names=["x", "g"],
        outputs=["gx"],
        forward=lambda x_: forward(x_, axis),
        call="softmax",
        extra={"axis": axis},
        scale=scale,
        what=what or f"vjp_{fn}(x of shape {x.shape}, g, axis={axis})",
    )


@EXERCISE.part(
    "softmax",
    points=3,
    title="vjp_softmax and vjp_log_softmax",
    needs=("vjp_softmax", "vjp_log_softmax"),
    forbidden=NUMPY_ONLY,
    hint="With s = softmax(x, axis) (the given, stable one): softmax: s * (g - (g * s).sum(axis, "
    "keepdims=True)); log_softmax: g - s * g.sum(axis, keepdims=True). Never np.exp(x) itself: it "
    "overflows for logits like 1000.",
)
def softmax(t: Tester):
    rng = _rng(t)
    extreme = np.array([[1000.0, -1000.0, 999.0, 0.0], [-1000.0, -1000.0, -999.5, -1001.0]])
    if not t.hidden:
        yield softmax_case(t, "softmax", _normal(rng, (2, 4), 2.0), -1)
        yield softmax_case(t, "log_softmax", _normal(rng, (2, 4), 2.0), -1)
        yield softmax_case(t, "softmax", extreme, -1, what="vjp_softmax(logits of +-1000, g, axis=-1)")
        return
    for fn in ("softmax", "log_softmax"):
        yield softmax_case(t, fn, _normal(rng, (4, 3), 2.0), 0)
        yield softmax_case(t, fn, _normal(rng, (2, 3, 4), 2.0), 1)
        yield softmax_case(t, fn, _normal(rng, (5,), 2.0), -1)
        yield softmax_case(t, fn, _normal(rng, (3, 1), 2.0), 1)
        yield softmax_case(t, fn, extreme.T, 0, what=f"vjp_{fn}(logits of +-1000, g, axis=0)")
        yield softmax_case(t, fn, 1e4 + _normal(rng, (2, 3)), -1, what=f"vjp_{fn}(logits near 10,000, g, axis=-1)")
    yield softmax_case(t, "log_softmax", extreme, -1, what="vjp_log_softmax(logits of +-1000, g, axis=-1)")
    yield softmax_case(
        t,
        "softmax",
        np.stack([extreme, -extreme]),
        -1,
        what="vjp_softmax(logits of +-1000, shape (2, 2, 4), g, axis=-1)",
    )


# --------------------------------------------------------------------------- part 8: cross-entropy


def _cross_entropy(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return -_log_softmax(logits, 1)[np.arange(logits.shape[0]), targets].mean()


def ce_case(t: Tester, n: int, c: int, g: Any, *, logits: np.ndarray | None = None, what: str | None = None) -> Case:
    rng = _rng(t)
    z = _normal(rng, (n, c), 2.0) if logits is None else logits
    targets = rng.integers(0, c, size=n)

    def scale(ref: Callable, xs: list, g_: Any) -> list:
        onehot = np.zeros((n, c))
        onehot[np.arange(n), targets] = 1.0
        return [(_softmax(xs[0], 1) + onehot) * abs(float(np.asarray(g_))) / n]

    g_text = "a 0-d array" if isinstance(g, np.ndarray) else repr(g)
    return vjp_case(
        t,
        "vjp_cross_entropy",
        [z],
        g,
        names=["logits", "g"],
        outputs=["g_logits"],
        forward=lambda z_: _cross_entropy(z_, targets),
        call="cross_entropy",
        extra={"targets": targets},
        scale=scale,
        what=what or f"vjp_cross_entropy(logits of shape {(n, c)}, targets, g={g_text})",
        input_text="\n".join(
            [show_input("logits", z), f"targets = {targets.tolist()}", show_input("g", np.asarray(g))]
        ),
    )


@EXERCISE.part(
    "cross_entropy",
    points=1,
    title="vjp_cross_entropy(logits, targets, g)",
    needs=("vjp_cross_entropy",),
    forbidden=NUMPY_ONLY,
    hint="g_logits = g / N * (softmax(logits, axis=1) - one_hot(targets)): the loss is a mean over the "
    "N rows of the batch, so every row's gradient is divided by N.",
)
def cross_entropy(t: Tester):
    if not t.hidden:
        yield ce_case(t, 4, 3, 1.0)
        yield ce_case(t, 2, 5, np.array(2.5))
        return
    yield ce_case(t, 1, 4, 1.0)
    yield ce_case(t, 8, 10, 1.0)
    yield ce_case(t, 6, 2, -0.75)
    yield ce_case(t, 3, 1, 1.0)
    yield ce_case(
        t,
        3,
        4,
        np.array(1.0),
        logits=np.array([[1000.0, -1000.0, 0.0, 999.0], [-1000.0] * 4, [0.5, 1000.0, 1000.0, -3.0]]),
        what="vjp_cross_entropy(logits of +-1000, targets, g=1.0)",
    )


# --------------------------------------------------------------------------- part 9: the primitives


def function_case(
    t: Tester,
    what: str,
    build: str,
    arrays: dict[str, np.ndarray],
    requires: set[str],
    *,
    cotangent: np.ndarray | None = None,
    targets: np.ndarray | None = None,
    loss: Callable[..., float] | None = None,
) -> Case:
    """Build a graph (``build``: its name in :data:`grading.probes.ex04.GRAPHS`) from the student's primitives and
    from the reference's, back-propagate the same cotangent (``None``: the output is a scalar loss) and compare
    the output and every leaf's gradient. The student's primitives run with the VJP stand-ins."""
    request = {
        "build": build,
        "arrays": arrays,
        "requires": sorted(requires),
        "cotangent": cotangent,
        "targets": targets,
    }

    def run() -> Verdict:
        reference = t.expect("graph", **request, patch=False)
        ref_out, ref_grads = reference["output"], reference["grads"]
        student = t.probe("graph", **request, patch=True, allow=standins.labels(VJPS))
        out, grads = student["output"], {n: returned(g) for n, g in student["grads"].items()}
        expected = [("output", ref_out)] + [(f"{n}.grad", ref_grads[n]) for n in arrays if n in requires]
        expected_text = "\n".join(f"{n} = {show_array(v)}" for n, v in expected)
        shown = [("output", out)] + [(f"{n}.grad", grads[n]) for n in arrays if n in requires]
        actual_text = "\n".join(f"{n} = {'None' if v is None else show_array(v)}" for n, v in shown)
        note = warning = None
        if loss is not None:
            names = [n for n in arrays if n in requires]
            estimates, level = numeric_vjp(
                lambda *xs: loss(**{**arrays, **dict(zip(names, xs))}), [arrays[n] for n in names], np.array(1.0)
            )
            note = "central differences: " + "; ".join(
                f"{n}.grad ~ {show_array(e, digits=6)}" for n, e in zip(names, estimates)
            )
            for n, est in zip(names, estimates):
                problem = fd_problem(est, ref_grads[n], np.abs(ref_grads[n]).max(), level)
                if problem:
                    warning = f"reference {n}.grad disagrees with central differences {problem}"
        for (n, e), (_, a) in zip(expected, shown):
            if a is None:
                return Verdict(
                    False,
                    expected_text,
                    actual_text,
                    detail=f"{n} is None: no gradient reached it",
                    note=note,
                    grader_warning=warning,
                )
            problem = compare(a, e, np.abs(e).max(initial=0.0))
            if problem:
                return Verdict(
                    False, expected_text, actual_text, detail=f"{n}: {problem}", note=note, grader_warning=warning
                )
        for n in arrays:
            if n not in requires and grads[n] is not None:
                return Verdict(
                    False,
                    expected_text,
                    actual_text,
                    detail=f"{n} does not require grad but got a .grad",
                    note=note,
                    grader_warning=warning,
                )
        return Verdict(True, expected_text, actual_text, note=note, grader_warning=warning)

    text = "\n".join(
        show_input(n, a) + ("" if n in requires else "  (does not require grad)") for n, a in arrays.items()
    )
    if cotangent is not None:
        text += "\n" + show_input("cotangent", cotangent)
    return Case(what, run, input=text)


def _mlp_loss(targets: np.ndarray) -> Callable[..., float]:
    def loss(X: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray) -> float:
        return _cross_entropy(np.maximum(X @ W1 + b1, 0.0) @ W2 + b2, targets)

    return loss


def linear_fn_case(t: Tester, x_shape: tuple, d_out: int, requires: set[str]) -> Case:
    rng = _rng(t)
    arrays = {"x": _normal(rng, x_shape), "W": _normal(rng, (x_shape[-1], d_out)), "b": _normal(rng, (d_out,))}
    return function_case(
        t,
        f"LinearFn.apply(x {x_shape}, W {arrays['W'].shape}, b {(d_out,)}), then backward(cotangent)",
        "linear",
        arrays,
        requires,
        cotangent=_normal(rng, x_shape[:-1] + (d_out,)),
    )


def relu_fn_case(t: Tester, x: np.ndarray) -> Case:
    rng = _rng(t)
    return function_case(
        t,
        f"ReluFn.apply(x {x.shape}), then backward(cotangent)",
        "relu",
        {"x": x},
        {"x"},
        cotangent=_normal(rng, x.shape),
    )


def ce_fn_case(t: Tester, logits: np.ndarray, gradient: float | None = None) -> Case:
    rng = _rng(t)
    targets = rng.integers(0, logits.shape[1], size=logits.shape[0])
    how = "backward()" if gradient is None else f"backward({gradient})"
    return function_case(
        t,
        f"CrossEntropyFn.apply(logits {logits.shape}, targets), then {how}",
        "cross_entropy",
        {"logits": logits},
        {"logits"},
        targets=targets,
        cotangent=None if gradient is None else np.array(gradient),
        loss=None
        if gradient is not None or np.abs(logits).max() > 100
        else (lambda logits: _cross_entropy(logits, targets)),
    )


def mlp_case(t: Tester, n: int, d: int, hidden: int, c: int, requires: set[str]) -> Case:
    rng = _rng(t)
    arrays = {
        "X": _normal(rng, (n, d)),
        "W1": _normal(rng, (d, hidden)),
        "b1": _normal(rng, (hidden,)),
        "W2": _normal(rng, (hidden, c)),
        "b2": _normal(rng, (c,)),
    }
    targets = rng.integers(0, c, size=n)
    return function_case(
        t,
        f"CrossEntropyFn(LinearFn(ReluFn(LinearFn(X, W1, b1)), W2, b2), y): a network of "
        f"{d}-{hidden}-{c} units on {n} examples, then backward()",
        "mlp",
        arrays,
        requires,
        targets=targets,
        loss=_mlp_loss(targets),
    )


@EXERCISE.part(
    "functions",
    points=2,
    title="LinearFn, ReluFn, CrossEntropyFn (minitorch primitives)",
    needs=("LinearFn", "ReluFn", "CrossEntropyFn"),
    forbidden=OWN_PRIMITIVES,
    hint="forward: ctx.save_for_backward(the input tensors), return the NumPy result computed from their "
    ".data. backward: read ctx.saved_tensors and return one array per input of forward, from your "
    "VJP applied to the .data arrays and g.data (None for the targets, which are not a tensor).",
)
def functions(t: Tester):
    rng = _rng(t)
    params = {"W1", "b1", "W2", "b2"}
    if not t.hidden:
        yield linear_fn_case(t, (4, 3), 2, {"x", "W", "b"})
        yield relu_fn_case(t, _away_from_zero(rng, (3, 4)))
        yield ce_fn_case(t, _normal(rng, (5, 3), 2.0))
        yield mlp_case(t, 6, 2, 5, 3, params)
        return
    yield linear_fn_case(t, (3,), 2, {"x", "W", "b"})
    yield linear_fn_case(t, (5, 4), 3, {"W", "b"})
    yield relu_fn_case(t, np.array([-1000.0, -2.5, 0.5, 1000.0]))
    yield ce_fn_case(t, np.array([[1000.0, -1000.0, 0.0], [3.0, 1000.0, 1000.0]]), gradient=2.5)
    yield ce_fn_case(t, _normal(rng, (7, 4), 2.0))
    yield mlp_case(t, 8, 3, 6, 4, params | {"X"})


# --------------------------------------------------------------------------- part 10: training


def _parameters(result: Any) -> list | None:
    params = [as_array(p) for p in result] if isinstance(result, (tuple, list)) else None
    return params if params is not None and len(params) == 4 and all(p is not None for p in params) else None


def _call_train_mlp(t: Tester, X: np.ndarray, y: np.ndarray, *kwargs: dict, numeric: bool = False) -> list:
    """``train_mlp(X, y, **kw)`` for each ``kw`` of ``kwargs``, with correct primitives swapped in: by minitorch's
    reverse mode, or (``numeric``) by central differences, for a check that runs with the tripwire: those call
    none of the operations a student's train_mlp must not use, so every such call is the student's."""
    results = t.probe("train", X=X, y=y, runs=list(kwargs), numeric=numeric)
    return [_returned(result) for result in results]


def _shapes_problem(params: list | None, shapes: list, result: Any) -> tuple[str, str] | None:
    """(actual, detail) when ``params`` are not four arrays of the given shapes."""
    if params is None:
        return show_array(result), "train_mlp must return (W1, b1, W2, b2), four NumPy arrays"
    got = [p.shape for p in params]
    if got != shapes:
        return f"shapes {', '.join(map(str, got))}", "the parameters have the wrong shapes"
    return None


def short_run_case(t: Tester, steps: int) -> Case:
    """A few steps only: the loop runs, returns arrays of the right shapes and moves the parameters. This
    light check runs with the tripwire (the full trainings below are heavy: it would double their time)."""

    def run() -> Verdict:
        X, y = t.reference("make_rings")(100, classes=2, seed=6)
        shapes = [(2, 16), (16,), (16, 2), (2,)]
        expected = f"W1, b1, W2, b2 of shapes {', '.join(map(str, shapes))}, changed by the {steps} steps"
        start, result = _call_train_mlp(t, X, y, {"steps": 0}, {"steps": steps}, numeric=True)
        params = _parameters(result)
        problem = _shapes_problem(params, shapes, result)
        if problem:
            return Verdict(False, expected, problem[0], detail=problem[1])
        before = _parameters(start)
        moved = before is None or any(b.shape != p.shape or not np.allclose(b, p) for b, p in zip(before, params))
        actual = f"shapes {', '.join(str(p.shape) for p in params)}, " + ("changed" if moved else "unchanged")
        return Verdict(
            moved,
            expected,
            actual,
            detail=None
            if moved
            else "the parameters after the steps equal those of steps=0: does every step call optimizer.step()?",
        )

    return Case(f"train_mlp(X, y, steps={steps}) and train_mlp(X, y, steps=0) on 2 rings (100 points)", run)


def train_case(
    t: Tester, classes: int, seeds: tuple[int, int], kwargs: dict, *, threshold: float = 0.95, weight: float = 1.0
) -> Case:
    def run() -> Verdict:
        make_rings, predict = t.reference("make_rings"), t.reference("predict")
        X, y = make_rings(400, classes=classes, seed=seeds[0])
        X_test, y_test = make_rings(400, classes=classes, seed=seeds[1])
        hidden = kwargs.get("hidden", 16)
        shapes = [(2, hidden), (hidden,), (hidden, classes), (classes,)]
        expected = f"W1, b1, W2, b2 of shapes {', '.join(map(str, shapes))}; test accuracy >= {threshold:.0%}"
        (result,) = _call_train_mlp(t, X, y, kwargs)
        params = _parameters(result)
        problem = _shapes_problem(params, shapes, result)
        if problem:
            return Verdict(False, expected, problem[0], detail=problem[1])
        accuracy = float(np.mean(predict(params, X_test) == y_test))
        actual = f"test accuracy {accuracy:.1%} (training accuracy {np.mean(predict(params, X) == y):.1%})"
        return Verdict(
            accuracy >= threshold,
            expected,
            actual,
            detail=None
            if accuracy >= threshold
            else "the network does not separate the rings: is there "
            "a ReLU between the two layers, and do the steps go downhill?",
        )

    args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    return Case(
        f"train_mlp(X, y{', ' + args if args else ''}) on {classes} rings (400 points), tested on 400 others",
        run,
        weight=weight,
        timeout=15.0,
        heavy=True,
    )


@EXERCISE.part(
    "train",
    points=2,
    title="train_mlp: a network trained with your primitives",
    needs=("train_mlp",),
    forbidden=OWN_PRIMITIVES,
    hint="Parameters: minitorch.tensor(array, requires_grad=True). Each step: optimizer.zero_grad(); "
    "loss = CrossEntropyFn.apply(LinearFn.apply(ReluFn.apply(LinearFn.apply(X, W1, b1)), W2, b2), y); "
    "loss.backward(); optimizer.step(). Return the parameters' arrays.",
)
def train(t: Tester):
    if not t.hidden:
        yield short_run_case(t, 5)
        yield train_case(t, 2, (0, 1), {}, weight=2.0)
        return
    yield train_case(t, 3, (2, 3), {})
    yield train_case(t, 2, (4, 5), {"hidden": 32, "seed": 1})
