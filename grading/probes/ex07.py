"""Exercise 7's probes: HVPs, Newton steps and hypergradients of functions given as data.

A scalar function of a 1-D tensor travels as a list of *terms* (:data:`TERMS`), each
``{"kind": ..., <its arrays and numbers>}``; the function is their sum, left to right (:func:`function`).
A tensor result comes back as ``{"array": values}`` (:func:`as_array`), a number as ``{"float": value}``
(:func:`as_float`), anything else as ``{"kind": type name, "repr": ...}``.

``newton_step`` runs with ``minitorch.hvp`` standing in for the student's ``hvp`` (labels :data:`HVP_STANDIN`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import minitorch
from minitorch import grad_mode

from .base import patched, probe, short_repr, student

#: What the hvp stand-in runs: not held against the student in the newton probe.
HVP_STANDIN = ("minitorch.hvp",)


def _t(a: Any) -> minitorch.Tensor:
    return minitorch.tensor(np.asarray(a, dtype=float))


def _quadratic_form(term: dict) -> Callable:
    A = _t(term["A"])
    return lambda x: x @ (A @ x)


def _newton_quadratic(term: dict) -> Callable:
    A, b = _t(term["A"]), _t(term["b"])
    return lambda x: 0.5 * (x @ (A @ x)) - b @ x


def _sum_sin(term: dict) -> Callable:
    B = _t(term["B"])
    return lambda x: (B @ x).sin().sum()


def _sum_tanh_squared(term: dict) -> Callable:
    B = _t(term["B"])
    return lambda x: ((B @ x).tanh() ** 2).sum()


def _sum_exp(term: dict) -> Callable:
    c, scale = _t(term["c"]), term["scale"]
    return lambda x: scale * (c * x).exp().sum()


def _cubic(term: dict) -> Callable:
    scale = term["scale"]
    return lambda x: scale * (x * x * x).sum()


def _linear(term: dict) -> Callable:
    c = _t(term["c"])
    return lambda x: (c * x).sum()


def _rosenbrock(term: dict) -> Callable:
    return lambda x: (1.0 - x[0]) ** 2 + 100.0 * (x[1] - x[0] ** 2) ** 2


#: Term kind -> a maker of the term's function from its data.
TERMS: dict[str, Callable[[dict], Callable]] = {
    "quadratic_form": _quadratic_form,
    "newton_quadratic": _newton_quadratic,
    "sum_sin": _sum_sin,
    "sum_tanh_squared": _sum_tanh_squared,
    "sum_exp": _sum_exp,
    "logsumexp": lambda term: lambda x: x.logsumexp(),
    "cubic": _cubic,
    "linear": _linear,
    "rosenbrock": _rosenbrock,
}


def function(terms: list[dict]) -> Callable:
    """The sum of the terms, left to right."""
    parts = [TERMS[term["kind"]](term) for term in terms]

    def f(x: Any) -> Any:
        total = parts[0](x)
        for part in parts[1:]:
            total = total + part(x)
        return total

    return f


def as_array(result: Any) -> dict:
    """A tensor's (or array-like's) values as ``{"array": floats, "kind": type name}``; anything else described
    (``{"kind", "repr"}``). The parts ask for a Tensor: the kind tells a NumPy array from one."""
    kind = type(result).__name__
    if isinstance(result, minitorch.Tensor):
        kind, result = "Tensor", result.detach().numpy()
    try:
        return {"array": np.asarray(result, dtype=float), "kind": kind}
    except (TypeError, ValueError):
        return {"kind": kind, "repr": short_repr(result)}


def changed(tensors: dict[str, tuple[minitorch.Tensor, np.ndarray]]) -> list[str]:
    """The names of the tensors whose values, or whose requires_grad, a call changed (``name: (tensor, the values
    it was given)``; none of them required a gradient)."""
    return [
        name
        for name, (tensor, values) in tensors.items()
        if tensor.requires_grad or not np.array_equal(tensor.data, values, equal_nan=True)
    ]


def as_float(result: Any) -> dict:
    """A Python float (NumPy's float64 is one) as ``{"float": value}``; anything else described, a tensor or a
    0-d array too: the parts ask for a float."""
    if isinstance(result, float):
        return {"float": float(result)}
    return {"kind": type(result).__name__, "repr": short_repr(result)}


@probe
def hvp(namespace: dict, name: str, terms: list, x: np.ndarray, v: np.ndarray) -> dict:
    """``name(f, x, v)`` (hvp or hvp_reverse): the result, for each call of ``f`` whether a forward-mode level
    (minitorch.jvp) was open, and which of x and v the call changed in place."""
    f = function(terms)
    modes: list[bool] = []

    def watched(z: Any) -> Any:
        modes.append(bool(grad_mode.state.forward_levels))
        return f(z)

    x_in, v_in = _t(x), _t(v)
    result = as_array(student(namespace, name)(watched, x_in, v_in))
    return {"result": result, "modes": modes, "modified": changed({"x": (x_in, x), "v": (v_in, v)})}


@probe
def numeric_hvp(namespace: dict, terms: list, x: np.ndarray, v: np.ndarray, epsilon: float) -> np.ndarray:
    """The central difference of ``minitorch.grad(f)`` at x along v (:func:`minitorch.numerical.jvp`): an HVP
    estimate that runs no student code (the grader asks for it through the reference)."""
    return minitorch.numerical.jvp(minitorch.grad(function(terms)), [_t(x)], [_t(v)], epsilon=epsilon).numpy()


def hvp_standin(f: Callable, x: minitorch.Tensor, v: minitorch.Tensor) -> minitorch.Tensor:
    """``hvp`` as the exercise defines it, by minitorch's own."""
    return minitorch.hvp(f, [x], [v])[1]


@probe
def newton(namespace: dict, terms: list, x: np.ndarray, iterations: int) -> dict:
    """``iterations`` steps of ``newton_step(f, point)`` from x (hvp: minitorch's), each result read back as an
    array (and whether it changed the point it was given): the last one, or the first that is not an array of x's
    shape or that changed its point."""
    f = function(terms)
    step = student(namespace, "newton_step")
    with patched(namespace, hvp=hvp_standin):
        point = _t(x)
        for _ in range(iterations):
            given = point.data.copy()
            answer = as_array(step(f, point))
            answer["modified"] = changed({"x": (point, given)})
            if "array" not in answer or answer["array"].shape != np.shape(x) or answer["modified"]:
                return answer
            point = _t(answer["array"])
    return answer


@probe
def hypergradient(namespace: dict, name: str, arrays: list, numbers: list) -> dict:
    """``name(X, y, X_val, y_val, *numbers)`` (hypergradient_unrolled or hypergradient_implicit), as a float."""
    return as_float(student(namespace, name)(*[np.array(a, dtype=float) for a in arrays], *numbers))
