"""Exercise 5's probes: the student's ``minitorch.Function`` classes applied to arrays, results back as arrays.

A primitive is named (``Softplus``, ``RoundSTE``, ``ClippedRoundSTE``) and applied to ``minitorch.tensor(x)``
with its extra arguments; what comes back is an array (a tensor's ``.data``), ``None`` (no gradient), or, for
anything that is not an array of numbers, ``{"kind": type name, "repr": ...}`` (:func:`array_data`). Small
graphs around a primitive are named too (:data:`CHAINS`): the grader sends their name and their leaves'
arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import minitorch

from .base import probe, short_repr, student


def array_data(x: Any) -> Any:
    """``x`` as data: ``None``, an array of numbers (a tensor gives its ``.data``), or ``{"kind", "repr"}``."""
    if x is None:
        return None
    if type(x).__name__ in ("Tensor", "Parameter") and hasattr(x, "data"):
        x = x.data
    try:
        a = np.asarray(x)
    except Exception:
        a = None
    if a is not None and a.dtype.kind in "biuf":
        return a.copy()
    return {"kind": type(x).__name__, "repr": short_repr(x)}


@probe
def value(namespace: dict, name: str, x: np.ndarray, args: list) -> Any:
    """``name.apply(tensor(x), *args)``: the output's values."""
    return array_data(student(namespace, name).apply(minitorch.tensor(x.copy()), *args))


@probe
def vjp(namespace: dict, name: str, x: np.ndarray, args: list, v: np.ndarray) -> Any:
    """``x.grad`` after ``name.apply(x, *args).backward(gradient=v)``."""
    leaf = minitorch.tensor(x.copy(), requires_grad=True)
    student(namespace, name).apply(leaf, *args).backward(gradient=minitorch.tensor(v.copy()))
    return array_data(leaf.grad)


@probe
def gradcheck(namespace: dict, x: np.ndarray) -> dict:
    """``minitorch.gradcheck(Softplus.apply, [x])``: ``{"ok": repr of what it returned, "true": is it True}``, or
    ``{"failed": the GradcheckError's message}``."""
    cls = student(namespace, "Softplus")
    try:
        ok = minitorch.gradcheck(cls.apply, [minitorch.tensor(x.copy(), requires_grad=True)])
    except AssertionError as error:  # GradcheckError
        return {"failed": str(error)}
    return {"ok": short_repr(ok), "true": ok is True}


@probe
def jvp(namespace: dict, x: np.ndarray, v: np.ndarray) -> Any:
    """The tangent of ``Softplus.apply(x)`` for the tangent ``v`` of ``x``, by minitorch's forward mode (what
    ``minitorch.jvp`` does, without calling it: a rule that calls it is noticed by the tripwire)."""
    cls = student(namespace, "Softplus")
    with minitorch.grad_mode.forward_level() as level:
        leaf = minitorch.tensor(x.copy())
        leaf._tangents = {level: minitorch.tensor(v.copy())}
        out = cls.apply(leaf)
        return array_data((out._tangents or {}).pop(level, None))


def _softplus_xw(cls: Any, v: dict) -> Any:
    return (cls.apply(v["x"] * v["w"]) * minitorch.tensor(np.arange(1.0, 5.0))).sum()


def _quadratic(cls: Any, v: dict) -> Any:
    target = minitorch.tensor(np.array([2.0, -1.0, 0.0, 3.0, 1.0]))
    return ((cls.apply(v["w"] * v["x"]) - target) ** 2).sum()


def _clipped(cls: Any, v: dict) -> Any:
    return (cls.apply(v["x"], -2, 2) * minitorch.tensor(np.arange(1.0, 6.0))).sum()


#: Small graphs around a primitive: name -> ``build(cls, leaves) -> a scalar tensor``.
CHAINS: dict[str, Callable[[Any, dict], Any]] = {
    "softplus_xw": _softplus_xw,
    "quadratic": _quadratic,
    "clipped": _clipped,
}


@probe
def chain(namespace: dict, name: str, chain: str, arrays: dict) -> dict:
    """Every leaf's gradient after ``CHAINS[chain](name, leaves).backward()`` (``None`` for a leaf without one)."""
    cls = student(namespace, name)
    leaves = {n: minitorch.tensor(a.copy(), requires_grad=True) for n, a in arrays.items()}
    CHAINS[chain](cls, leaves).backward()
    return {n: array_data(leaf.grad) for n, leaf in leaves.items()}
