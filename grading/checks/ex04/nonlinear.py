"""Exercise 4, parts 5-8: elementwise functions, reductions over axes, softmax and cross-entropy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...arrays import show_input
from ...core import Case, Tester
from .common import (
    EXERCISE,
    NUMPY_ONLY,
    _away_from_zero,
    _normal,
    _rng,
    vjp_case,
)

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
    """0-d arrays are edge cases; arguments far beyond +-30 (overflow of exp) test robustness."""
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
        group="robustness"
        if np.abs(x).max() > 30 or np.abs(x).min() < 1e-6
        else "edge cases"
        if x.ndim == 0
        else "behaviour",
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
    hint="An elementwise function has a diagonal Jacobian, so its VJP multiplies g by the derivative entry by "
    "entry. What is each derivative, and how do you evaluate it without overflow at |x| = 1000?",
    more="Write each derivative in terms of the function's own value where the table does (tanh, sigmoid); use "
    "the given stable sigmoid; relu's derivative is the indicator of x > 0. Return a new array: never write "
    "into g or x.",
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


def reduction_case(
    t: Tester, fn: str, x_shape: tuple, axis: Any, keepdims: bool, *, size: float = 1.0, group: str = "edge cases"
) -> Case:
    """Axes are the edge cases of this part (negative, tuples, keepdims=False, 0-d results)."""
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
        group="robustness" if size > 1 else group,
    )


@EXERCISE.part(
    "reductions",
    points=2,
    title="vjp_sum and vjp_mean over axes",
    needs=("vjp_sum", "vjp_mean"),
    forbidden=NUMPY_ONLY,
    hint="Every input entry is summed into one output entry with derivative 1: g is copied back over the "
    "reduced axes. Which axes are missing from g when keepdims=False, and how many entries does a mean average?",
    more="Without keepdims, put the reduced axes back into g first (np.expand_dims takes a tuple, negative axes "
    "too; axis=None means every axis), then broadcast to x's shape and copy. The mean divides by the number of "
    "entries averaged into each output.",
)
def reductions(t: Tester):
    if not t.hidden:
        yield reduction_case(t, "sum", (2, 3), None, False, group="behaviour")
        yield reduction_case(t, "sum", (2, 3), 1, False, group="behaviour")
        yield reduction_case(t, "sum", (2, 3), 0, True, group="behaviour")
        yield reduction_case(t, "mean", (3, 4), -1, False)
        yield reduction_case(t, "sum", (2, 3, 4), (0, -1), False)
        yield reduction_case(t, "mean", (2, 3, 4), (-1, -3), False)
        yield reduction_case(t, "mean", (2, 3, 4), -2, True)
        yield reduction_case(t, "sum", (), None, False)
        return
    for fn in ("sum", "mean"):
        yield reduction_case(t, fn, (4, 4), 1, False, group="behaviour")
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
    """Logits of +-1000 test robustness; a size-1 or a 1-D axis, and an axis other than the last, are edge
    cases."""
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
        group="robustness"
        if np.abs(x).max() > 100
        else "edge cases"
        if x.ndim == 1 or x.shape[axis] == 1 or axis % x.ndim != x.ndim - 1
        else "behaviour",
    )


@EXERCISE.part(
    "softmax",
    points=3,
    title="vjp_softmax and vjp_log_softmax",
    needs=("vjp_softmax", "vjp_log_softmax"),
    forbidden=NUMPY_ONLY,
    hint="The VJP never forms the dense Jacobian: which inner product along the axis does the formula need, "
    "and how do you get s without overflow for logits of 1000?",
    more="Compute s with the given stable softmax along `axis` (never np.exp of x itself); sums along the axis "
    "keep it (keepdims=True) so that they broadcast back against g.",
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
    """One example, one class or a 0-d g are edge cases; logits of +-1000 test robustness."""
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
        group="robustness"
        if np.abs(z).max() > 100
        else "edge cases"
        if isinstance(g, np.ndarray) or 1 in (n, c)
        else "behaviour",
    )


@EXERCISE.part(
    "cross_entropy",
    points=1,
    title="vjp_cross_entropy(logits, targets, g)",
    needs=("vjp_cross_entropy",),
    forbidden=NUMPY_ONLY,
    hint="The loss is a mean over the N rows of the batch: where does 1/N appear in every row's gradient, and "
    "where do the targets enter?",
    more="Start from a new array of row-wise softmax probabilities, subtract 1 at each row's target entry, and "
    "scale by g / N (g is a float or a 0-d array).",
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
