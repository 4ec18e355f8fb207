"""Random programs, run in float32 and float64: values, dtypes, first and second derivatives, forward mode.

Hypothesis draws a short program (a chain of smooth operations that may
reuse earlier results, mix in constants of every kind and change shapes) and
a starting point. Each program runs three ways:

* in minitorch, whose value must match the same program written in NumPy,
  dtype included (NumPy's promotion rules are minitorch's: a float64 constant
  in a float32 program makes a float64 result);
* through every derivative transform: ``grad`` (reverse), ``jvp`` (forward),
  ``hvp`` (forward-over-reverse) and ``grad`` of a gradient
  (reverse-over-reverse), each compared with central differences of the
  program evaluated in float64; every gradient must have the dtype of its
  input, every tangent the dtype of its output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minitorch
from minitorch import numerical

STEP = 1e-6


class NumPyOps:
    """The operations a program uses, for NumPy arrays (the reference)."""

    sin, tanh, exp, log, sqrt, where = np.sin, np.tanh, np.exp, np.log, np.sqrt, np.where

    @staticmethod
    def sigmoid(h: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-h))

    @staticmethod
    def sum(h: np.ndarray, axis: int) -> np.ndarray:
        return np.sum(h, axis=axis, keepdims=True)

    @staticmethod
    def mean(h: np.ndarray, axis: int) -> np.ndarray:
        return np.mean(h, axis=axis, keepdims=True)

    @staticmethod
    def logsumexp(h: np.ndarray, axis: int) -> np.ndarray:
        m = h.max(axis=axis, keepdims=True)
        return m + np.log(np.exp(h - m).sum(axis=axis, keepdims=True))

    @staticmethod
    def softmax(h: np.ndarray, axis: int) -> np.ndarray:
        e = np.exp(h - h.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)


class MinitorchOps:
    """The same operations, for minitorch tensors."""

    sin, tanh, exp, log, sqrt, sigmoid, where = (
        minitorch.sin,
        minitorch.tanh,
        minitorch.exp,
        minitorch.log,
        minitorch.sqrt,
        minitorch.sigmoid,
        minitorch.where,
    )
    softmax = minitorch.softmax

    @staticmethod
    def sum(h: minitorch.Tensor, axis: int) -> minitorch.Tensor:
        return minitorch.sum(h, axis, keepdims=True)

    @staticmethod
    def mean(h: minitorch.Tensor, axis: int) -> minitorch.Tensor:
        return minitorch.mean(h, axis, keepdims=True)

    @staticmethod
    def logsumexp(h: minitorch.Tensor, axis: int) -> minitorch.Tensor:
        return minitorch.logsumexp(h, axis, keepdims=True)


# Each operation: f(ops, h, constant, previous, step) -> next value. ``constant(shape)`` makes a constant of
# the program's chosen kind, ``previous`` is an earlier value of h's shape (or h), ``step`` holds small
# integer choices (an axis, an exponent). Every operation is smooth where it is evaluated.
OPERATIONS: dict[str, Callable[..., Any]] = {
    "sin": lambda o, h, c, p, s: o.sin(h),
    "tanh": lambda o, h, c, p, s: o.tanh(h),
    "sigmoid": lambda o, h, c, p, s: o.sigmoid(h),
    "exp of tanh": lambda o, h, c, p, s: o.exp(o.tanh(h)),
    "log(1 + h^2)": lambda o, h, c, p, s: o.log(1.0 + h * h),
    "sqrt(1 + h^2)": lambda o, h, c, p, s: o.sqrt(1.0 + h * h),
    "(1 + h^2)^r": lambda o, h, c, p, s: (1.0 + h * h) ** (-1.0, 0.5, 1.5, 2.0)[s % 4],
    "h^k": lambda o, h, c, p, s: h ** (0, 1, 2, 3)[s % 4],
    "h / (1 + h^2)": lambda o, h, c, p, s: h / (1.0 + h * h),
    "add constant": lambda o, h, c, p, s: h + c(_broadcastable(h.shape, s)),
    "add constant in place": lambda o, h, c, p, s: _add_in_place(h, c(_broadcastable(h.shape, s))),
    "multiply by constant": lambda o, h, c, p, s: h * (0.75 + 0.5 * c(_broadcastable(h.shape, s)) ** 2),
    "constant minus": lambda o, h, c, p, s: c(_broadcastable(h.shape, s)) - h,
    "times previous": lambda o, h, c, p, s: h * p,
    "plus previous": lambda o, h, c, p, s: h + p,
    "transpose": lambda o, h, c, p, s: h.T,
    "sum": lambda o, h, c, p, s: o.sum(h, s % 2),
    "mean": lambda o, h, c, p, s: o.mean(h, s % 2),
    "logsumexp": lambda o, h, c, p, s: o.logsumexp(h, s % 2),
    "softmax": lambda o, h, c, p, s: o.softmax(h, s % 2),
    "matmul": lambda o, h, c, p, s: h @ c((h.shape[1], 1 + s % 3)),
    "where": lambda o, h, c, p, s: o.where(_mask(h.shape, s), h, 0.5 * h * h),
    "reverse rows": lambda o, h, c, p, s: h[::-1],
}


def _broadcastable(shape: tuple[int, int], choice: int) -> tuple[int, ...]:
    """A shape that broadcasts against ``shape``: a number's, a row's, a column's or the full one."""
    return ((), (shape[1],), (shape[0], 1), shape)[choice % 4]


def _add_in_place(h: Any, constant: Any) -> Any:
    """``h + constant`` written with ``+=`` into a fresh copy (NumPy keeps h's dtype; so must minitorch)."""
    h = h * 1.0  # h itself may be the program's input, or saved by an earlier operation
    h += constant
    return h


def _mask(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random(shape) < 0.5


def run(program: list, x: Any, ops: type, dtype: Any, convert: Callable[[np.ndarray], Any]) -> Any:
    """The program's scalar output at ``x``.

    ``convert`` turns a float64 array into a value of this run: a tensor or
    an array of the program's dtype. Constants of kind "number" are Python
    floats and of kind "float64" NumPy float64 arrays whatever the dtype.
    """
    values, h = [x], x
    for index, (name, kind, choice) in enumerate(program):
        rng = np.random.default_rng(1000 + index)

        def constant(shape: tuple[int, ...], rng: np.random.Generator = rng, kind: str = kind) -> Any:
            array = rng.uniform(-1.0, 1.0, shape)
            if kind == "number" and shape in ((), (1,)):
                return float(array.reshape(-1)[0])
            if shape == ():
                # NumPy turns arithmetic on a 0-d array into a NumPy scalar, which minitorch (like PyTorch) takes
                # as a plain number that keeps the tensor's dtype; NumPy would promote. Use the number itself.
                return float(array)
            return array if kind == "float64" else convert(array.astype(dtype))

        same_shape = [v for v in values if v.shape == h.shape]
        previous = same_shape[choice % len(same_shape)]
        h = OPERATIONS[name](ops, h, constant, previous, choice)
        values.append(h)
    weights = np.random.default_rng(7).uniform(-1.0, 1.0, h.shape).astype(dtype)
    return (h * convert(weights)).sum()


programs = st.lists(
    st.tuples(st.sampled_from(sorted(OPERATIONS)), st.sampled_from(["number", "float64", "same"]), st.integers(0, 11)),
    min_size=1,
    max_size=6,
)
shapes = st.tuples(st.integers(1, 3), st.integers(1, 3))


def _tolerance(dtype: Any) -> float:
    return 1e-5 if dtype == np.float64 else 2e-3


def _close(actual: Any, expected: np.ndarray, dtype: Any, what: str) -> None:
    actual = np.asarray(actual.detach().numpy() if isinstance(actual, minitorch.Tensor) else actual, np.float64)
    tolerance = _tolerance(dtype)
    scale = 1.0 + float(np.max(np.abs(expected), initial=0.0))
    assert np.all(np.abs(actual - expected) <= tolerance * scale), f"{what}: {actual} vs {expected}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
# Derandomized: the same 40 programs on every run, so a float32 program too ill-conditioned for any tolerance
# (values near 1e17) cannot turn CI red by chance; a rule that breaks still fails here.
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs, shape=shapes, seed=st.integers(0, 2**16))
def test_random_programs(dtype, program, shape, seed):
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(-1.5, 1.5, shape).astype(dtype)
    v = rng.uniform(-1.0, 1.0, shape)  # a direction, for forward mode and Hessian-vector products

    def f(x: minitorch.Tensor) -> minitorch.Tensor:
        return run(program, x, MinitorchOps, x.dtype, lambda a: minitorch.tensor(a))

    x = minitorch.tensor(x0)
    x64, v64 = minitorch.tensor(x0.astype(np.float64)), minitorch.tensor(v)  # central differences run in float64

    # Values and dtypes against NumPy running the same program.
    expected = run(program, x0, NumPyOps, dtype, lambda a: a)
    value = f(x)
    assert value.dtype == np.asarray(expected).dtype, f"output dtype {value.dtype}, NumPy gives {expected.dtype}"
    _close(value, np.asarray(expected, np.float64), dtype, "value")

    # First derivatives: reverse mode (every element) and forward mode (along v).
    gradient = minitorch.grad(f)(x)
    assert gradient.dtype == dtype, f"gradient dtype {gradient.dtype} for an input of dtype {np.dtype(dtype)}"
    (numeric_gradient,) = numerical.vjp(f, [x64], minitorch.tensor(1.0), STEP)
    _close(gradient, numeric_gradient.numpy(), dtype, "gradient")

    primal, tangent = minitorch.jvp(f, (x,), (minitorch.tensor(v.astype(dtype)),))
    assert tangent.dtype == primal.dtype == value.dtype
    _close(tangent, numerical.jvp(f, [x64], [v64], STEP).numpy(), dtype, "jvp")

    # Second derivatives along v: forward-over-reverse and reverse-over-reverse, against central
    # differences of the float64 gradient.
    numeric_hv = numerical.jvp(minitorch.grad(f), [x64], [v64], STEP).numpy()
    _, hv = minitorch.hvp(f, (x,), (minitorch.tensor(v.astype(dtype)),))
    assert hv.dtype == dtype
    _close(hv, numeric_hv, dtype, "hvp (forward over reverse)")
    v_tensor = minitorch.tensor(v.astype(dtype))
    hv_reverse = minitorch.grad(lambda t: (minitorch.grad(f)(t) * v_tensor).sum())(x)
    assert hv_reverse.dtype == dtype
    _close(hv_reverse, numeric_hv, dtype, "reverse over reverse")
