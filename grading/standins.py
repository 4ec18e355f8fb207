"""Stand-ins: correct versions of graded primitives, built from minitorch's public operations.

A part that uses functions graded in an earlier part runs with those functions swapped for correct
ones, so that a mistake costs points only in its own part. Usually the swap brings in the reference
solution's function. That is too slow where a part calls them thousands of times, as training a
network does: the classroom autograder never runs reference code in the submission's sandboxed
process, so every call would cross between processes. The stand-ins run inside the sandbox instead
(:mod:`grading.sandbox` loads this file there). They give nothing away: each is a
:class:`minitorch.Function` whose value comes from minitorch's operations and whose VJP is
minitorch's own reverse mode of that composite, so no derivative rule is written here.

The tripwire (:mod:`grading.tripwire`) does not hold minitorch code that a stand-in calls against
the student. This file may import only NumPy and minitorch: the sandbox holds nothing else.
"""

from __future__ import annotations

import os
import types
from typing import Any, Callable

import numpy as np

import minitorch


def composite_vjp(composite: Callable[..., minitorch.Tensor], saved: tuple, g: minitorch.Tensor) -> tuple:
    r"""The arrays :math:`\bar y^\top \partial f / \partial x_i` of ``f = composite`` at the saved tensors' values,
    computed by minitorch's reverse mode on fresh leaves (one array per saved tensor)."""
    with minitorch.enable_grad():
        _, pullback = minitorch.vjp(composite, *(minitorch.tensor(t.data) for t in saved))
        return tuple(adjoint.data for adjoint in pullback(minitorch.tensor(g.data)))


def _affine(x: minitorch.Tensor, W: minitorch.Tensor, b: minitorch.Tensor) -> minitorch.Tensor:
    return minitorch.matmul(x, W) + b


class LinearFn(minitorch.Function):
    r""":math:`x W + b` (``W`` of shape ``(in, out)``), as exercise 4's ``LinearFn``."""

    @staticmethod
    def forward(ctx: minitorch.Context, x: minitorch.Tensor, W: minitorch.Tensor, b: minitorch.Tensor) -> Any:
        ctx.save_for_backward(x, W, b)
        return x.data @ W.data + b.data

    @staticmethod
    def backward(ctx: minitorch.Context, g: minitorch.Tensor) -> tuple:
        return composite_vjp(_affine, ctx.saved_tensors, g)


class ReluFn(minitorch.Function):
    r""":math:`\max(x, 0)`, as exercise 4's ``ReluFn``."""

    @staticmethod
    def forward(ctx: minitorch.Context, x: minitorch.Tensor) -> Any:
        ctx.save_for_backward(x)
        return np.maximum(x.data, 0.0)

    @staticmethod
    def backward(ctx: minitorch.Context, g: minitorch.Tensor) -> Any:
        return composite_vjp(minitorch.relu, ctx.saved_tensors, g)[0]


class CrossEntropyFn(minitorch.Function):
    r"""The mean cross-entropy of logits and integer targets, as exercise 4's ``CrossEntropyFn``."""

    @staticmethod
    def forward(ctx: minitorch.Context, logits: minitorch.Tensor, targets: Any) -> Any:
        ctx.save_for_backward(logits)
        ctx.targets = np.asarray(targets)
        with minitorch.no_grad():
            return minitorch.nn.functional.cross_entropy(minitorch.tensor(logits.data), ctx.targets).data

    @staticmethod
    def backward(ctx: minitorch.Context, g: minitorch.Tensor) -> tuple:
        def loss(logits: minitorch.Tensor) -> minitorch.Tensor:
            return minitorch.nn.functional.cross_entropy(logits, ctx.targets)

        return composite_vjp(loss, ctx.saved_tensors, g)[0], None


_THIS_FILE = composite_vjp.__code__.co_filename  # where this file's code runs from (a copy, in the sandbox)
_MINITORCH_DIR = os.path.dirname(os.path.abspath(minitorch.__file__)) + os.sep


def tripwire_exempt(frame: types.FrameType) -> bool:
    """Is the call that started ``frame`` minitorch code run on behalf of a stand-in? True when, going
    outward from its caller, a stand-in's frame comes before any frame outside minitorch. (A student's
    own call of minitorch reaches the student's frame first, and counts.)"""
    caller = frame.f_back
    while caller is not None:
        filename = caller.f_code.co_filename
        if filename == _THIS_FILE:
            return True
        if not filename.startswith(_MINITORCH_DIR):
            return False
        caller = caller.f_back
    return False


#: The stand-ins of exercise 4's primitives, by the names the notebook gives them.
EX04_PRIMITIVES = {"LinearFn": LinearFn, "ReluFn": ReluFn, "CrossEntropyFn": CrossEntropyFn}
