r"""The primitives of the scalar engines, each written exactly once.

A primitive is a function :math:`v = \phi(u_1, \dots, u_k)` together with its
*local partial derivatives* :math:`\partial \phi / \partial u_i`. That pair is
all automatic differentiation needs:

* reverse mode (:class:`minitorch.Scalar`) multiplies an adjoint by each
  partial: :math:`\bar u_i \mathrel{+}= \bar v \, \partial\phi/\partial u_i`;
* forward mode (:class:`minitorch.Dual`) sums tangents weighted by them:
  :math:`\dot v = \sum_i \partial\phi/\partial u_i \, \dot u_i`.

``partials`` receives the output as well as the inputs, because several
derivatives are cheapest in terms of the output (:math:`\exp' = \exp`,
:math:`\tanh' = 1 - \tanh^2`, :math:`\sigma' = \sigma(1 - \sigma)`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple


class Primitive(NamedTuple):
    """A differentiable scalar function and its local partial derivatives."""

    name: str
    value: Callable[..., float]
    partials: Callable[..., tuple[float, ...]]


def _div_value(a: float, b: float) -> float:
    if b == 0.0:
        raise ZeroDivisionError("div: division by zero")
    return a / b


def _exp_value(a: float) -> float:
    # A result too large for a float is inf, as in NumPy and the tensor engine (math.exp raises instead).
    try:
        return math.exp(a)
    except OverflowError:
        return math.inf


def _pow_value(a: float, b: float) -> float:
    try:
        result = a**b
    except ZeroDivisionError:
        raise ZeroDivisionError(f"pow: 0.0 cannot be raised to the negative power {b}") from None
    except OverflowError:
        # Too large for a float: inf as in NumPy, negative for a negative base and an odd integer power.
        odd = float(b).is_integer() and int(b) % 2 == 1
        return -math.inf if a < 0 and odd else math.inf
    if isinstance(result, complex):
        raise ValueError(f"pow: {a} ** {b} is not a real number")
    return float(result)


def _pow_partials(out: float, a: float, b: float) -> tuple[float, float]:
    # d(a^b)/da = b a^(b-1); d(a^b)/db = a^b ln a, defined for a > 0 only.
    # For a <= 0 the exponent is treated as a constant (its partial is 0),
    # which is what x ** 2 with a plain-number exponent needs.
    if b == 0:
        d_base = 0.0
    elif a == 0 and b < 1:
        d_base = math.copysign(math.inf, b)  # the slope of a^b is unbounded at 0
    else:
        d_base = b * _pow_value(a, b - 1)
    d_exponent = out * math.log(a) if a > 0 else 0.0
    return (d_base, d_exponent)


def _log_value(a: float) -> float:
    if a <= 0:
        raise ValueError(f"log: the argument must be positive, got {a}")
    return math.log(a)


def _sigmoid_value(a: float) -> float:
    # Two forms so that exp never overflows.
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    z = math.exp(a)
    return z / (1.0 + z)


ADD = Primitive("add", lambda a, b: a + b, lambda out, a, b: (1.0, 1.0))
SUB = Primitive("sub", lambda a, b: a - b, lambda out, a, b: (1.0, -1.0))
MUL = Primitive("mul", lambda a, b: a * b, lambda out, a, b: (b, a))
DIV = Primitive("div", _div_value, lambda out, a, b: (1.0 / b, -out / b))
POW = Primitive("pow", _pow_value, _pow_partials)
NEG = Primitive("neg", lambda a: -a, lambda out, a: (-1.0,))
EXP = Primitive("exp", _exp_value, lambda out, a: (out,))
LOG = Primitive("log", _log_value, lambda out, a: (1.0 / a,))
SIN = Primitive("sin", math.sin, lambda out, a: (math.cos(a),))
COS = Primitive("cos", math.cos, lambda out, a: (-math.sin(a),))
TANH = Primitive("tanh", math.tanh, lambda out, a: (1.0 - out * out,))
SIGMOID = Primitive("sigmoid", _sigmoid_value, lambda out, a: (out * (1.0 - out),))
# ReLU has a kink at 0; this engine uses the subgradient 0 there (as PyTorch and JAX do).
RELU = Primitive("relu", lambda a: a if a > 0 else 0.0, lambda out, a: (1.0 if a > 0 else 0.0,))
