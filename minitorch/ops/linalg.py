r"""Matrix multiplication and its VJP.

For :math:`C = AB` with :math:`A \in \mathbb R^{m\times k}`, :math:`B \in \mathbb R^{k\times n}`
the full Jacobian :math:`\partial C/\partial A` is a rank-4 array of
:math:`mnmk` numbers, but the VJP never forms it:

.. math:: \bar A = \bar C B^\top, \qquad \bar B = A^\top \bar C.

Vectors are treated as matrices with a size-1 axis (NumPy's rule), and
leading batch axes broadcast; their gradients are summed back.
"""

from __future__ import annotations

from typing import Any

from ..function import ArrayFunction, Context
from ..tensor import Tensor
from .common import operands, sum_to


def _swap_last(x: Tensor) -> Tensor:
    axes = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return x.transpose(axes)


class MatMul(ArrayFunction):
    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Any:
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: both operands need at least one dimension, got shapes {a.shape} and {b.shape}")
        k_a = a.shape[-1]
        k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if k_a != k_b:
            raise ValueError(
                f"matmul: shapes {a.shape} and {b.shape} are not aligned (inner dimensions {k_a} and {k_b} differ)"
            )
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b if ctx.needs_input_grad[0] else None)
        try:
            return a.data @ b.data
        except ValueError:
            raise ValueError(
                f"matmul: the batch dimensions of shapes {a.shape} and {b.shape} cannot be broadcast together"
            ) from None

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        shape_a, shape_b = ctx.input_shapes
        # View vectors as matrices, a: (k,) -> (1, k) and b: (k,) -> (k, 1), and give
        # g the axes they lost, so that one formula covers every case.
        if len(shape_b) == 1:
            g = g.reshape(g.shape + (1,))
        if len(shape_a) == 1:
            g = g.reshape(g.shape[:-1] + (1,) + g.shape[-1:])
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            b2 = b.reshape((shape_b[0], 1)) if len(shape_b) == 1 else b
            a2_shape = (1,) + shape_a if len(shape_a) == 1 else shape_a
            grad_a = sum_to(g @ _swap_last(b2), a2_shape).reshape(shape_a)
        if ctx.needs_input_grad[1]:
            a2 = a.reshape((1, shape_a[0])) if len(shape_a) == 1 else a
            b2_shape = shape_b + (1,) if len(shape_b) == 1 else shape_b
            grad_b = sum_to(_swap_last(a2) @ g, b2_shape).reshape(shape_b)
        return grad_a, grad_b

    @staticmethod
    def jvp(ctx: Context, ta: Tensor | None, tb: Tensor | None) -> Tensor:
        a, b = ctx.inputs
        total = None if ta is None else ta @ b
        if tb is not None:
            total = a @ tb if total is None else total + a @ tb
        return total


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy's rules (vectors, matrices, broadcast batches)."""
    a, b = operands("matmul", a, b)
    return MatMul.apply(a, b)
