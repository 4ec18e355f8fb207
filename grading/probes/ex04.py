"""Exercise 4's probes: the student's NumPy VJPs called on arrays, their primitives on small graphs, and
``train_mlp``, with the stand-ins of :mod:`.standins` for the earlier parts a part uses.

A call travels as the function's name, its arrays and how it is called (:data:`CALLS`); results come back as
arrays (:func:`grading.probes.ex05.array_data`): ``{"tuple": [...]}`` for a tuple or list, ``{"value": ...}``
for anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import minitorch

from . import standins
from .base import patched, probe, student
from .ex05 import array_data

#: How each kind of VJP is called: ``call(fn, inputs, g, extra)``.
CALLS: dict[str, Callable[[Callable, list, Any, dict], Any]] = {
    "plain": lambda fn, xs, g, extra: fn(*xs, g),
    "unbroadcast": lambda fn, xs, g, extra: fn(g, tuple(extra["shape"])),
    "reduce": lambda fn, xs, g, extra: fn(xs[0], g, axis=_axis(extra["axis"]), keepdims=extra["keepdims"]),
    "softmax": lambda fn, xs, g, extra: fn(xs[0], g, axis=extra["axis"]),
    "cross_entropy": lambda fn, xs, g, extra: fn(xs[0], np.array(extra["targets"]), g),
}


def _axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def result_data(result: Any) -> dict:
    """A returned tuple or list as ``{"tuple": [each as data], "kinds": [each one's type name]}``, anything else
    as ``{"value": data}``."""
    if isinstance(result, (tuple, list)):
        return {"tuple": [array_data(x) for x in result], "kinds": [type(x).__name__ for x in result]}
    return {"value": array_data(result)}


@probe
def vjp(namespace: dict, name: str, inputs: list, g: Any, call: str, extra: dict, patch: list) -> dict:
    """``name`` called as :data:`CALLS` says (on copies of the arrays), with the stand-ins of the functions in
    ``patch`` swapped in; ``"modified"`` lists the arguments whose values the call changed."""
    fn = student(namespace, name)
    given = [np.array(x, copy=True) for x in inputs]
    given_g = np.array(g, copy=True) if isinstance(g, np.ndarray) else g
    with patched(namespace, **{n: standins.EX04_VJPS[n] for n in patch}):
        result = result_data(CALLS[call](fn, given, given_g, extra))
    # The positions of the arguments the VJP wrote into (len(inputs) stands for g).
    changed = [i for i, (now, x) in enumerate(zip(given, inputs)) if not np.array_equal(now, x, equal_nan=True)]
    if isinstance(g, np.ndarray) and not np.array_equal(given_g, g, equal_nan=True):
        changed.append(len(inputs))
    return {**result, "modified": changed}


def _linear(fns: dict, v: dict, targets: Any) -> Any:
    return fns["LinearFn"].apply(v["x"], v["W"], v["b"])


def _relu(fns: dict, v: dict, targets: Any) -> Any:
    return fns["ReluFn"].apply(v["x"])


def _cross_entropy(fns: dict, v: dict, targets: Any) -> Any:
    return fns["CrossEntropyFn"].apply(v["logits"], targets.copy())


def _mlp(fns: dict, v: dict, targets: Any) -> Any:
    h = fns["ReluFn"].apply(fns["LinearFn"].apply(v["X"], v["W1"], v["b1"]))
    return fns["CrossEntropyFn"].apply(fns["LinearFn"].apply(h, v["W2"], v["b2"]), targets)


def _twice(fns: dict, v: dict, targets: Any) -> Any:
    """Each primitive applied twice before one backward: state kept on the class, not on ctx, is overwritten by
    the second call."""

    def loss(x: Any, rows: Any) -> Any:
        return fns["CrossEntropyFn"].apply(fns["ReluFn"].apply(fns["LinearFn"].apply(x, v["W"], v["b"])), rows)

    return loss(v["X"], targets[0]) + loss(v["Z"], targets[1]) * 2.0


#: Graphs of the primitives: name -> ``build(primitives, leaves, targets) -> output``.
GRAPHS: dict[str, Callable[[dict, dict, Any], Any]] = {
    "linear": _linear,
    "relu": _relu,
    "cross_entropy": _cross_entropy,
    "mlp": _mlp,
    "twice": _twice,
}


@probe
def graph(namespace: dict, build: str, arrays: dict, requires: list, cotangent: Any, targets: Any, patch: bool) -> dict:
    """The graph ``build`` of the namespace's primitives (with the VJP stand-ins swapped in when ``patch``),
    back-propagated from ``cotangent`` (None: the output is a scalar loss): its output, every leaf's
    gradient (None for a leaf without one) and the leaves whose values changed."""
    fns = {name: student(namespace, name) for name in ("LinearFn", "ReluFn", "CrossEntropyFn")}
    leaves = {
        n: minitorch.tensor(np.array(a, dtype=np.float64), requires_grad=n in requires) for n, a in arrays.items()
    }
    with patched(namespace, **(standins.EX04_VJPS if patch else {})):
        out = GRAPHS[build](fns, leaves, None if targets is None else np.array(targets))
        if not isinstance(out, minitorch.Tensor):
            raise TypeError(f"apply returned {type(out).__name__}, not a minitorch Tensor")
        out.backward(gradient=None if cotangent is None else minitorch.tensor(cotangent))
    return {
        "output": out.data,
        "grads": {n: array_data(leaf.grad) for n, leaf in leaves.items()},
        "modified": [n for n, leaf in leaves.items() if not np.array_equal(leaf.data, arrays[n], equal_nan=True)],
    }


@probe
def train(namespace: dict, X: np.ndarray, y: np.ndarray, runs: list, numeric: bool) -> list:
    """``train_mlp(X, y, **kw)`` for each ``kw`` of ``runs``, with correct primitives swapped in: minitorch's
    reverse mode, or (``numeric``) central differences, which call none of minitorch's tensor operations."""
    primitives = standins.EX04_NUMERIC_PRIMITIVES if numeric else standins.EX04_PRIMITIVES
    with patched(namespace, **primitives):
        return [result_data(student(namespace, "train_mlp")(X.copy(), y.copy(), **kw)) for kw in runs]
