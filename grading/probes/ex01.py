"""Exercise 1's probes: expressions of the student's Dual numbers, derivative and central_difference.

A Dual travels as ``[primal, tangent]``, a plain number as itself; a result comes back as
``{"pair": [primal, tangent]}``, or ``{"kind": type name, "repr": ...}`` when it is not a Dual (an instance of
the notebook's class with real ``.primal`` and ``.tangent``). An operation's reply also lists the operands it
changed (``"modified"``: the text says each operation returns a new Dual).
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable
from typing import Any

import minitorch

from .base import patched, probe, short_repr, student

OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}

#: The functions derivative() is checked on: (text, f). They use operators and Dual methods only.
FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "x * x * x": lambda x: x * x * x,
    "x.sin() * x.exp()": lambda x: x.sin() * x.exp(),
    "3.0": lambda x: 3.0,
    "x": lambda x: x,
    "(x ** 2 + 1).log() / x": lambda x: (x**2 + 1).log() / x,
    "x ** x": lambda x: x**x,
    "(2 ** x).cos() - x": lambda x: (2**x).cos() - x,
    "1 / (1 + (-x).exp())": lambda x: 1 / (1 + (-x).exp()),
    "x * 1e6 * x": lambda x: x * 1e6 * x,
    "x.sin() ** 2 + x.cos() ** 2": lambda x: x.sin() ** 2 + x.cos() ** 2,
    "(x * x).sin().exp() * 0.5 - 7": lambda x: (x * x).sin().exp() * 0.5 - 7,
}

#: The functions central_difference() is checked on.
PLAIN: dict[str, Callable[[float], float]] = {
    "math.sin": math.sin,
    "math.exp": math.exp,
    "math.log": math.log,
    "lambda x: x ** 3": lambda x: x**3,
    "lambda x: 1 / (1 + x * x)": lambda x: 1 / (1 + x * x),
}

#: What the derivative probe's stand-in (minitorch's Dual) runs: not held against the student there.
DUAL_STANDIN = ("minitorch.dual.Dual", "minitorch.dual._split", "minitorch.scalar_primitives.")


def is_real(x: object) -> bool:
    return type(x) is float or (isinstance(x, numbers.Real) and not isinstance(x, bool))


def number(x: object) -> Any:
    """A real result as a float; anything else described."""
    return float(x) if is_real(x) else {"kind": type(x).__name__, "repr": short_repr(x)}


def pair(x: object, dual: type) -> dict:
    """``{"pair": [primal, tangent]}`` for a Dual of the notebook's class ``dual``; else the result described."""
    primal, tangent = getattr(x, "primal", None), getattr(x, "tangent", None)
    if isinstance(x, dual) and is_real(primal) and is_real(tangent):
        return {"pair": [float(primal), float(tangent)]}
    return {"kind": type(x).__name__, "repr": short_repr(x)}


def _state(x: Any) -> Any:
    return (getattr(x, "primal", None), getattr(x, "tangent", None))


def apply(dual: type, operation: Callable[..., Any], operands: dict[str, Any]) -> dict:
    """``operation(*operands)`` as :func:`pair` describes it, with ``"modified"``: the names of the Dual operands
    whose primal or tangent changed (one object used twice is reported once)."""
    before = {name: _state(x) for name, x in operands.items()}
    reply = pair(operation(*operands.values()), dual)
    reply["modified"] = [name for name, x in operands.items() if isinstance(x, dual) and _state(x) != before[name]]
    return reply


def _operand(dual: type, x: Any) -> Any:
    return dual(*x) if isinstance(x, list) else x


@probe
def binary(namespace: dict, symbol: str, x: Any, y: Any) -> dict:
    """``x <symbol> y``, each operand a Dual ``[primal, tangent]`` or a number."""
    dual = student(namespace, "Dual")
    return apply(dual, OPERATORS[symbol], {"x": _operand(dual, x), "y": _operand(dual, y)})


@probe
def same_object(namespace: dict, symbol: str, x: list) -> dict:
    """``a <symbol> a`` with one Dual object ``a`` used twice."""
    dual = student(namespace, "Dual")
    a = dual(*x)
    return apply(dual, lambda a: OPERATORS[symbol](a, a), {"x": a})


@probe
def unary(namespace: dict, name: str, x: list) -> dict:
    """``Dual(*x).<name>()``."""
    dual = student(namespace, "Dual")
    return apply(dual, lambda a: getattr(a, name)(), {"x": dual(*x)})


@probe
def derivative(namespace: dict, function: str, x: float) -> dict:
    """``derivative(f, x)`` for ``f = FUNCTIONS[function]``, with minitorch's Dual as ``Dual`` (so that a bug in
    the student's Dual costs points in the Dual parts only): ``{"value": the result (a number, or described),
    "calls": how many times f was called}`` (the text says once)."""
    f, calls = FUNCTIONS[function], []

    def counted(argument: Any) -> Any:
        calls.append(1)
        return f(argument)

    with patched(namespace, Dual=minitorch.Dual):
        value = number(student(namespace, "derivative")(counted, x))
    return {"value": value, "calls": len(calls)}


@probe
def central_difference(namespace: dict, function: str, x: float, h: float | None = None) -> Any:
    """``central_difference(f, x, h)`` (``h`` left out when None) for ``f = PLAIN[function]``."""
    args = (PLAIN[function], x) if h is None else (PLAIN[function], x, h)
    return number(student(namespace, "central_difference")(*args))
