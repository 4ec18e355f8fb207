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


def modified(**pairs: tuple[Any, np.ndarray]) -> list[str]:
    """The names whose tensor (or array) no longer holds the values it was given: ``name=(tensor, original)``.
    A rule that writes into its input (``x.data``) or its incoming gradient (``g.data``) in place corrupts
    every other rule that reads them."""
    changed = []
    for name, (now, original) in pairs.items():
        data = now.data if hasattr(now, "data") else now
        if not np.array_equal(np.asarray(data), original, equal_nan=True):
            changed.append(name)
    return changed


@probe
def value(namespace: dict, name: str, x: np.ndarray, args: list) -> dict:
    """``name.apply(tensor(x), *args)``: the output's values, and whether forward changed x in place."""
    leaf = minitorch.tensor(x.copy())
    out = student(namespace, name).apply(leaf, *args)
    return {"out": array_data(out), "modified": modified(x=(leaf, x))}


class HandOn(minitorch.Function):
    """The identity, whose backward hands its adjoint on as it is and keeps it (in ``handed``, a list given to
    ``apply``): the probe can then see whether the next rule wrote into the adjoint it received."""

    @staticmethod
    def forward(ctx: Any, y: Any, handed: list) -> Any:
        ctx.handed = handed
        return y.data.copy()

    @staticmethod
    def backward(ctx: Any, g: Any) -> tuple:
        ctx.handed.append((g, np.array(g.data, copy=True)))
        return g, None


@probe
def vjp(namespace: dict, name: str, x: np.ndarray, args: list, v: np.ndarray) -> dict:
    """``x.grad`` after ``name.apply(x, *args).backward(gradient=v)``, and which of x and the adjoint g that
    the rule receives the primitive changed in place."""
    leaf = minitorch.tensor(x.copy(), requires_grad=True)
    handed: list = []
    out = HandOn.apply(student(namespace, name).apply(leaf, *args), handed)
    out.backward(gradient=minitorch.tensor(v.copy()))
    received = {"g": handed[0]} if handed else {}  # the adjoint the student's backward received
    return {"out": array_data(leaf.grad), "modified": modified(x=(leaf, x), **received)}


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
def jvp(namespace: dict, x: np.ndarray, v: np.ndarray) -> dict:
    """The tangent of ``Softplus.apply(x)`` for the tangent ``v`` of ``x``, by minitorch's forward mode (what
    ``minitorch.jvp`` does, without calling it: a rule that calls it is noticed by the tripwire), and which of
    x and the tangent the primitive changed in place."""
    cls = student(namespace, "Softplus")
    with minitorch.grad_mode.forward_level() as level:
        leaf, tangent = minitorch.tensor(x.copy()), minitorch.tensor(v.copy())
        leaf._tangents = {level: tangent}
        out = cls.apply(leaf)
        result = array_data((out._tangents or {}).pop(level, None))
    return {"out": result, "modified": modified(x=(leaf, x), t=(tangent, v))}


def _softplus_xw(cls: Any, v: dict) -> Any:
    return (cls.apply(v["x"] * v["w"]) * minitorch.tensor(np.arange(1.0, 5.0))).sum()


def _quadratic(cls: Any, v: dict) -> Any:
    target = minitorch.tensor(np.array([2.0, -1.0, 0.0, 3.0, 1.0]))
    return ((cls.apply(v["w"] * v["x"]) - target) ** 2).sum()


def _clipped(cls: Any, v: dict) -> Any:
    return (cls.apply(v["x"], -2, 2) * minitorch.tensor(np.arange(1.0, 6.0))).sum()


def _softplus_twice(cls: Any, v: dict) -> Any:
    """Two applications before one backward: each node must keep its own input (on its ctx)."""
    return (cls.apply(v["x"]) * 2.0 + cls.apply(v["z"])).sum()


def _clipped_twice(cls: Any, v: dict) -> Any:
    """Two applications with other bounds before one backward: each node must keep its own mask."""
    return (cls.apply(v["x"], -2, 2) * 2.0 + cls.apply(v["z"], 0, 3)).sum()


#: Small graphs around a primitive: name -> ``build(cls, leaves) -> a scalar tensor``.
CHAINS: dict[str, Callable[[Any, dict], Any]] = {
    "softplus_xw": _softplus_xw,
    "quadratic": _quadratic,
    "clipped": _clipped,
    "softplus_twice": _softplus_twice,
    "clipped_twice": _clipped_twice,
}


@probe
def chain(namespace: dict, name: str, chain: str, arrays: dict) -> dict:
    """Every leaf's gradient after ``CHAINS[chain](name, leaves).backward()`` (``None`` for a leaf without one),
    and the leaves whose values changed."""
    cls = student(namespace, name)
    leaves = {n: minitorch.tensor(a.copy(), requires_grad=True) for n, a in arrays.items()}
    CHAINS[chain](cls, leaves).backward()
    return {
        "grads": {n: array_data(leaf.grad) for n, leaf in leaves.items()},
        "modified": modified(**{n: (leaf, arrays[n]) for n, leaf in leaves.items()}),
    }
