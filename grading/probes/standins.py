"""Stand-ins: correct versions of graded primitives, built from minitorch's public operations.

A part that uses functions graded in an earlier part runs with those functions swapped for correct
ones, so that a mistake costs points only in its own part. Usually the swap brings in the reference
solution's function. That is too slow where a part calls them thousands of times, as training a
network does; and the sandbox, where the submission runs, never holds reference code. The stand-ins
run inside the sandbox instead (this file is part of :mod:`grading.probes`). They give nothing away:
each value comes from minitorch's operations (or a NumPy forward formula) and each VJP from
minitorch's own reverse mode of those operations, from minitorch's array helpers (summing down to a
shape, broadcasting back), or from central differences, so no derivative rule is written here.

Which minitorch code a stand-in runs is listed (:data:`LABELS`), so that the sandbox's tripwire does not
hold it against the student in a probe that swaps the stand-in in; in this process, the profile-hook
tripwire (:mod:`grading.tripwire`) exempts calls made by a stand-in (:func:`tripwire_exempt`). This
file may import only NumPy and minitorch: the sandbox holds nothing else.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable
from typing import Any

import numpy as np

import minitorch


class LinearFn:
    r""":math:`x W + b` (``W`` of shape ``(in, out)``), as exercise 4's ``LinearFn``.

    Like the other primitives' stand-ins, it records minitorch's own operations rather than one node of its
    own: its backward pass is minitorch's reverse mode of that composite, at the cost of minitorch's graph (a
    node that ran a nested reverse pass per call made training twice as slow). So the backward pass runs
    minitorch's rules from the caller's ``backward()``: these stand-ins serve probes without the tripwire (the
    full trainings); the tripwire's short run uses the central-difference ones below."""

    @staticmethod
    def apply(x: Any, W: Any, b: Any) -> minitorch.Tensor:
        return minitorch.matmul(x, W) + b


class ReluFn:
    r""":math:`\max(x, 0)`, as exercise 4's ``ReluFn`` (minitorch's ``relu``)."""

    @staticmethod
    def apply(x: Any) -> minitorch.Tensor:
        return minitorch.relu(x)


class CrossEntropyFn:
    r"""The mean cross-entropy of logits and integer targets, as exercise 4's ``CrossEntropyFn``."""

    @staticmethod
    def apply(logits: Any, targets: Any) -> minitorch.Tensor:
        return minitorch.nn.functional.cross_entropy(logits, np.asarray(targets))


_THIS_FILE = LinearFn.apply.__code__.co_filename  # where this file's code runs from (a copy, in the sandbox)
#: Code a stand-in's call may pass through on its way to minitorch: minitorch's own, and NumPy's (object arrays of
#: ``minitorch.Scalar`` reach their operators through NumPy's Python functions, such as ``np.sum``).
_PASS_THROUGH = tuple(os.path.dirname(os.path.abspath(m.__file__)) + os.sep for m in (minitorch, np))


def tripwire_exempt(frame: types.FrameType) -> bool:
    """Is the call that started ``frame`` minitorch code run on behalf of a stand-in? True when, going
    outward from its caller, a stand-in's frame comes before any frame outside minitorch and NumPy. (A
    student's own call of minitorch reaches the student's frame first, and counts.)"""
    caller = frame.f_back
    while caller is not None:
        filename = caller.f_code.co_filename
        if filename == _THIS_FILE:
            return True
        if not filename.startswith(_PASS_THROUGH):
            return False
        caller = caller.f_back
    return False


#: The stand-ins of exercise 4's primitives, by the names the notebook gives them.
EX04_PRIMITIVES = {"LinearFn": LinearFn, "ReluFn": ReluFn, "CrossEntropyFn": CrossEntropyFn}


# --------------------------------------------------------------------------- exercise 4's NumPy VJPs


def unbroadcast(g: Any, shape: tuple) -> np.ndarray:
    """``g`` summed down to ``shape`` (minitorch's own helper, on arrays)."""
    return minitorch.ops.shape.sum_to_shape(np.asarray(g), tuple(shape)).data


def vjp_sum(x: np.ndarray, g: Any, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    """``g`` brought back to ``x.shape`` as minitorch's sum does it (the reduced axes kept, then broadcast)."""
    kept = minitorch.ops.reduce.kept_shape(x.shape, minitorch.ops.common.normalize_axis(axis, x.ndim, "sum"))
    return np.array(minitorch.ops.shape.broadcast_to(np.reshape(g, kept), x.shape).data)


def _leaves(a: Any) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    leaves = np.empty(a.shape, dtype=object)
    for index in np.ndindex(a.shape):
        leaves[index] = minitorch.Scalar(float(a[index]))
    return leaves


def scalar_vjp(f: Callable[..., Any], arrays: list, g: Any) -> tuple:
    r"""The arrays :math:`\bar y^\top \partial f / \partial x_i` by minitorch's scalar reverse mode
    (``minitorch.Scalar``, on object arrays: exact, and it runs none of the tensor engine, so a tripwire that
    watches the tensor operations sees only the student's calls), one per array."""
    leaves = [_leaves(a) for a in arrays]
    total = np.sum(np.asarray(f(*leaves), dtype=object) * np.asarray(g, dtype=np.float64))
    if isinstance(total, minitorch.Scalar):
        total.backward()
    return tuple(np.array([leaf.grad for leaf in x.flat], dtype=np.float64).reshape(x.shape) for x in leaves)


def _each(x: Any, method: str) -> Any:
    return np.vectorize(lambda s: getattr(s, method)(), otypes=[object])(x)


def _shifted(x: np.ndarray, axis: int) -> np.ndarray:
    """``x`` minus its largest value along ``axis`` (a constant: the shift changes no derivative)."""
    values = np.vectorize(lambda s: s.data, otypes=[np.float64])(x)
    return x - values.max(axis=axis, keepdims=True)


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    z = _shifted(x, axis)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(_shifted(x, axis))
    return e / e.sum(axis=axis, keepdims=True)


def _cross_entropy(logits: np.ndarray, targets: Any) -> Any:
    targets = np.asarray(targets)
    return -_log_softmax(logits, 1)[np.arange(len(targets)), targets].mean()


#: Exercise 4's graded NumPy functions: minitorch's scalar reverse mode of the operation, or an array helper.
EX04_VJPS: dict[str, Callable] = {
    "unbroadcast": unbroadcast,
    "vjp_add": lambda a, b, g: scalar_vjp(lambda x, y: x + y, [a, b], g),
    "vjp_mul": lambda a, b, g: scalar_vjp(lambda x, y: x * y, [a, b], g),
    "vjp_matmul": lambda A, B, g: scalar_vjp(np.matmul, [A, B], g),
    "vjp_linear": lambda x, W, b, g: scalar_vjp(lambda x_, W_, b_: x_ @ W_ + b_, [x, W, b], g),
    "vjp_exp": lambda x, g: scalar_vjp(np.exp, [x], g)[0],
    "vjp_log": lambda x, g: scalar_vjp(np.log, [x], g)[0],
    "vjp_tanh": lambda x, g: scalar_vjp(np.tanh, [x], g)[0],
    "vjp_sigmoid": lambda x, g: scalar_vjp(lambda t: _each(t, "sigmoid"), [x], g)[0],
    "vjp_relu": lambda x, g: scalar_vjp(lambda t: _each(t, "relu"), [x], g)[0],
    "vjp_sum": vjp_sum,
    "vjp_mean": lambda x, g, axis=None, keepdims=False: scalar_vjp(
        lambda t: np.mean(t, axis=axis, keepdims=keepdims), [x], g
    )[0],
    "vjp_softmax": lambda x, g, axis=-1: scalar_vjp(lambda t: _softmax(t, axis), [x], g)[0],
    "vjp_log_softmax": lambda x, g, axis=-1: scalar_vjp(lambda t: _log_softmax(t, axis), [x], g)[0],
    "vjp_cross_entropy": lambda logits, targets, g=1.0: scalar_vjp(lambda t: _cross_entropy(t, targets), [logits], g)[
        0
    ],
}

#: Labels (as in :data:`grading.tripwire.GROUPS`) of the minitorch code each stand-in runs.
_SCALAR = ("minitorch.scalar.", "minitorch.scalar_primitives.", "minitorch.graph.")
LABELS: dict[str, tuple[str, ...]] = {name: _SCALAR for name in EX04_VJPS} | {
    "unbroadcast": (
        "minitorch.ops.common.to_tensor",
        "minitorch.ops.shape.sum_to_shape",
        "minitorch.ops.shape.SumToShape.forward",
        "minitorch.ops.shape._sum_array_to_shape",
    ),
    "vjp_sum": (
        "minitorch.ops.reduce.kept_shape",
        "minitorch.ops.common.normalize_axis",
        "minitorch.ops.common.to_tensor",
        "minitorch.ops.shape.broadcast_to",
        "minitorch.ops.shape.BroadcastTo.forward",
        "minitorch.ops.shape._view",
    ),
}


def labels(names: Any) -> tuple[str, ...]:
    """The labels of the minitorch code the named stand-ins run (for a check's ``allow``)."""
    return tuple(sorted({label for name in names for label in LABELS[name]}))


# --------------------------------------------------------------------------- numeric primitives


def numeric_vjp(f: Callable[..., np.ndarray], arrays: list, g: np.ndarray, needed: tuple) -> list:
    """Central differences of ``sum(g * f(*arrays))`` with respect to each array that is ``needed`` (None for
    the others)."""
    grads: list = []
    for i, (x, need) in enumerate(zip(arrays, needed)):
        if not need:
            grads.append(None)
            continue
        gx = np.zeros_like(x)
        for j in range(x.size):
            h = 1e-6 * max(1.0, abs(float(x.flat[j])))
            terms = []
            for step in (h, -h):
                moved = x.copy()
                moved.flat[j] += step
                terms.append(np.sum(g * f(*arrays[:i], moved, *arrays[i + 1 :])))
            gx.flat[j] = (terms[0] - terms[1]) / (2 * h)
        grads.append(gx)
    return grads


def _numeric(name: str, f: Callable[..., np.ndarray], n_tensors: int) -> type:
    """A primitive computing ``f`` on its tensors' arrays, its VJP by central differences: it calls no tensor
    operation, no autodiff, nothing of minitorch but the engine that applies it."""

    def forward(ctx: minitorch.Context, *args: Any) -> Any:
        ctx.arrays = [a.data for a in args[:n_tensors]]
        ctx.rest = args[n_tensors:]
        return f(*ctx.arrays, *ctx.rest)

    def backward(ctx: minitorch.Context, g: minitorch.Tensor) -> Any:
        grads = numeric_vjp(lambda *xs: f(*xs, *ctx.rest), ctx.arrays, g.data, ctx.needs_input_grad[:n_tensors])
        grads += [None] * len(ctx.rest)
        return grads[0] if len(grads) == 1 else tuple(grads)

    return type(name, (minitorch.Function,), {"forward": staticmethod(forward), "backward": staticmethod(backward)})


def _np_cross_entropy(logits: np.ndarray, targets: Any) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return np.asarray(-log_p[np.arange(len(logits)), np.asarray(targets)].mean())


#: Exercise 4's primitives with VJPs by central differences: for a check that must see every call of
#: minitorch's tensor operations (the student's, since these make none).
EX04_NUMERIC_PRIMITIVES = {
    "LinearFn": _numeric("LinearFn", lambda x, W, b: x @ W + b, 3),
    "ReluFn": _numeric("ReluFn", lambda x: np.maximum(x, 0.0), 1),
    "CrossEntropyFn": _numeric("CrossEntropyFn", _np_cross_entropy, 1),
}
