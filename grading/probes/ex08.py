"""Exercise 8's probes: subdifferentials, VJPs at kinks, a gradient check and the subgradient method, on data.

Arrays travel as arrays (their dtype kept: float32 inputs stay float32) and results come back as data:
an array (a NumPy scalar as a 0-d array), a Python number as ``{"number": ..., "type": ...}``, a string as
``{"str": ...}``, a tuple or list as ``{"type": ..., "items": [each as data]}``, anything else (a minitorch
tensor too) as ``{"kind": type name, "repr": ...}``. A ``ValueError`` is an answer (some parts must raise one):
``{"raised": "ValueError", "message": ...}``. Every probe also says which of its arguments the student's
function changed in place (``"changed"``). A function to check is sent as a list of *terms* (:data:`TERMS`),
summed; the later parts run with correct versions of the earlier functions (:data:`STANDINS`), which are a
few lines of NumPy each and call no minitorch code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .base import patched, probe, short_repr, student


def _interval(kind: str, x: float) -> tuple[float, float]:
    """The subdifferential of ``kind`` at ``x`` (the stand-in for part 1)."""
    pieces = {"relu": (0.0, 1.0), "abs": (-1.0, 1.0)}[kind]
    if x == 0:
        return pieces
    return (pieces[1],) * 2 if x > 0 else (pieces[0],) * 2


def _lasso_subgradient(w: np.ndarray, X: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """The subgradient with sign(0) = 0 at the kinks (the stand-in for part 6)."""
    return X.T @ (X @ w - y) / len(y) + lam * np.sign(w)


#: Correct versions of earlier parts, swapped in where a later part may call them.
STANDINS = {"subdifferential": _interval, "lasso_subgradient": _lasso_subgradient}


def data(result: Any) -> Any:
    """A result as data: a tuple or list item by item (numbers and strings kept), an array as an array."""
    if isinstance(result, (tuple, list)):
        return {"type": type(result).__name__, "items": [data(item) for item in result]}
    if isinstance(result, str):
        return {"str": result}
    if isinstance(result, (np.ndarray, np.generic)) and result.dtype.kind in "biuf":
        return np.array(result)  # a NumPy scalar (what NumPy gives for 0-d arithmetic) as a 0-d array
    if isinstance(result, (int, float)) and not isinstance(result, bool):
        return {"number": float(result), "type": type(result).__name__}
    return {"kind": type(result).__name__, "repr": short_repr(result)}


def _call(function: Callable, arrays: dict, *args: Any, **kwargs: Any) -> dict:
    """``function(*args, **kwargs)``: its result as data, or the ValueError it raised; and which of the arrays
    (name -> the array passed) it changed in place."""
    before = {name: a.copy() for name, a in arrays.items()}
    try:
        reply = {"result": data(function(*args, **kwargs))}
    except ValueError as error:
        reply = {"raised": "ValueError", "message": short_repr(str(error), 300)}
    reply["changed"] = [
        name
        for name, a in arrays.items()
        if a.dtype != before[name].dtype or not np.array_equal(a, before[name], equal_nan=True)
    ]
    return reply


def _scalar(x: float, as_type: str) -> Any:
    return {"float": float, "int": int, "float32": np.float32, "float64": np.float64}[as_type](x)


@probe
def interval(namespace: dict, kind: str, x: float, as_type: str) -> dict:
    """``subdifferential(kind, x)`` with ``x`` as a Python float or int or a NumPy scalar."""
    return _call(student(namespace, "subdifferential"), {}, kind, _scalar(x, as_type))


@probe
def slopes(namespace: dict, name: str, x: np.ndarray, g: np.ndarray, at_kink: float | None) -> dict:
    """``name(x, g)`` or ``name(x, g, at_kink=...)`` (relu_vjp or abs_vjp), with a correct ``subdifferential``."""
    x, g = x.copy(), g.copy()
    function = student(namespace, name)
    with patched(namespace, subdifferential=STANDINS["subdifferential"]):
        if at_kink is None:
            return _call(function, {"x": x, "g": g}, x, g)
        return _call(function, {"x": x, "g": g}, x, g, at_kink=at_kink)


@probe
def max_vjp(namespace: dict, x: np.ndarray, g: np.ndarray, axis: int | None, ties: str | None) -> dict:
    """``max_vjp(x, g, axis=axis)`` with ``ties=`` when given."""
    x, g = x.copy(), g.copy()
    extra = {} if ties is None else {"ties": ties}
    return _call(student(namespace, "max_vjp"), {"x": x, "g": g}, x, g, axis=axis, **extra)


def _relu(term: dict) -> Callable:
    c, a = np.asarray(term["c"]), np.asarray(term["a"])
    return lambda x: np.sum(c * np.maximum(x - a, 0.0))


def _abs(term: dict) -> Callable:
    c, a = np.asarray(term["c"]), np.asarray(term["a"])
    return lambda x: np.sum(c * np.abs(x - a))


def _max(term: dict) -> Callable:
    A, b = np.asarray(term["A"]), np.asarray(term["b"])
    return lambda x: np.max(A @ x.reshape(-1) + b)


def _sin(term: dict) -> Callable:
    B, b = np.asarray(term["B"]), np.asarray(term["b"])
    return lambda x: np.sum(np.sin(B @ x.reshape(-1) + b))


def _quadratic(term: dict) -> Callable:
    Q = np.asarray(term["Q"])
    return lambda x: 0.5 * x.reshape(-1) @ (Q @ x.reshape(-1))


def _zero(term: dict) -> Callable:
    return lambda x: np.sum(np.maximum(x, 0.0) - np.maximum(-x, 0.0) - x)


#: Term kind -> a maker of the term's function of an array ``x`` from its data.
TERMS: dict[str, Callable[[dict], Callable]] = {
    "relu": _relu,
    "abs": _abs,
    "max": _max,
    "sin": _sin,
    "quadratic": _quadratic,
    "zero": _zero,
}


def function(terms: list[dict]) -> Callable:
    """The sum of the terms: a function of an array that returns a float."""
    parts = [TERMS[term["kind"]](term) for term in terms]
    return lambda x: float(sum(part(x) for part in parts))


@probe
def check(namespace: dict, terms: list, x: np.ndarray, gradient: np.ndarray, options: dict) -> dict:
    """``check_gradient(f, x, gradient, **options)`` for the function ``terms`` describe."""
    x, gradient = x.copy(), gradient.copy()
    return _call(
        student(namespace, "check_gradient"), {"x": x, "gradient": gradient}, function(terms), x, gradient, **options
    )


@probe
def lasso(namespace: dict, w: np.ndarray, X: np.ndarray, y: np.ndarray, lam: float) -> dict:
    """``lasso_subgradient(w, X, y, lam)``."""
    w, X, y = w.copy(), X.copy(), y.copy()
    return _call(student(namespace, "lasso_subgradient"), {"w": w, "X": X, "y": y}, w, X, y, lam)


@probe
def method(namespace: dict, X: np.ndarray, y: np.ndarray, lam: float, steps: int, c: float) -> dict:
    """``subgradient_method(X, y, lam, steps, c)`` with a correct ``lasso_subgradient``."""
    X, y = X.copy(), y.copy()
    function = student(namespace, "subgradient_method")
    with patched(namespace, lasso_subgradient=STANDINS["lasso_subgradient"]):
        return _call(function, {"X": X, "y": y}, X, y, lam, steps, c)
