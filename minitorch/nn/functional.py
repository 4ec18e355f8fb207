r"""Stateless neural-network functions: layers' math, activations and losses.

Everything here is a function of tensors (the modules in :mod:`minitorch.nn`
hold the parameters and call these). The activations are minitorch's
primitives, re-exported under PyTorch's names. Two functions are fused
primitives of their own: ``linear`` (:class:`Affine`, see there why) and
``cross_entropy`` (:class:`CrossEntropy`), whose derivative is so simple:

.. math:: \frac{\partial}{\partial z_{ij}} \frac1N \sum_i \bigl(\operatorname{logsumexp}(z_i) - z_{i y_i}\bigr)
          = \frac1N \bigl(\operatorname{softmax}(z_i)_j - [j = y_i]\bigr).

:func:`cross_entropy_composite` builds the same loss from ``log_softmax`` and
indexing; the tests check that the two agree in value and in first and
second derivatives.
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from .. import backend
from ..function import ArrayFunction, Context
from ..ops import log_softmax, relu, sigmoid, softmax, tanh
from ..ops.common import add_tangents, promote, tangent_or_zero
from ..tensor import Tensor

__all__ = [
    "Affine",
    "CrossEntropy",
    "cross_entropy",
    "cross_entropy_composite",
    "linear",
    "log_softmax",
    "mse_loss",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]


class Affine(ArrayFunction):
    r"""The affine map :math:`y = x W^\top + b` as one node (PyTorch's ``addmm``), ``W`` of shape ``(out, in)``.

    With the batch axes of :math:`x` flattened (:math:`X` is ``(n, in)``,
    :math:`\bar Y` is ``(n, out)``) the VJPs are

    .. math:: \bar x = \bar y\, W, \qquad \bar W = \bar Y^\top X, \qquad \bar b = \textstyle\sum_k \bar Y_{k\cdot}

    and the JVP is :math:`\dot y = \dot x W^\top + x \dot W^\top + \dot b`.

    Why one primitive instead of ``x @ W.T + b``: one node instead of three,
    and :math:`\bar W` comes out of BLAS directly in ``W``'s own row-major
    layout. The composite's :math:`\bar W` is :math:`(X^\top \bar Y)^\top`, a
    transposed view, and an optimizer update of a row-major ``W`` by it
    strides through memory: in ``bench/bench_tensor.py``'s MLP that made the
    SGD step 2.3 times slower (0.40 ms instead of 0.17 ms).
    """

    @staticmethod
    def forward(ctx: Context, x: Tensor, weight: Tensor, bias: Tensor | None) -> Any:
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, weight if ctx.needs_input_grad[0] else None)
        out = x.data @ weight.data.T  # a transposed view: BLAS reads it with a flag, no copy
        if bias is not None:
            out += bias.data  # out is a fresh array: add in place
        return out

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        # g and the saved values are tensors when the backward pass is recorded and
        # plain arrays when it is not; the operations below serve both.
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        # Flatten the batch axes; for the usual 2-D batch the shapes already match and reshape is a no-op.
        rows = math.prod(g.shape[:-1])
        g2 = g.reshape((rows, g.shape[-1]))
        grad_x = g @ weight if need_x else None
        grad_w = g2.T @ x.reshape((rows, x.shape[-1])) if need_w else None
        grad_b = g2.sum(axis=0) if need_b else None
        return grad_x, grad_w, grad_b

    @staticmethod
    def jvp(ctx: Context, tx: Tensor | None, tw: Tensor | None, tb: Tensor | None) -> Tensor:
        x, weight, _ = ctx.inputs
        terms = (None if tx is None else tx @ weight.T, None if tw is None else x @ tw.T, tb)
        return tangent_or_zero(add_tangents(*terms), ctx.output.shape)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    r"""The affine map :math:`y = x W^\top + b` (PyTorch's layout: ``weight`` is ``(out, in)``).

    ``x`` has shape ``(..., in)``; ``y`` has shape ``(..., out)``; ``bias``
    (optional) has shape ``(out,)``. One primitive, :class:`Affine`.
    """
    if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: the input's last dimension must be in_features={weight.shape[-1]}, "
            f"got an input of shape {x.shape} for a weight of shape {weight.shape}"
        )
    if bias is not None and bias.shape != weight.shape[:1]:
        raise ValueError(
            f"linear: bias must have shape ({weight.shape[0]},) for a weight of shape {weight.shape}, got {bias.shape}"
        )
    if bias is None:
        x, weight = promote(x, weight)
    else:
        x, weight, bias = promote(x, weight, bias)  # mixed dtypes: each gradient keeps its own
    return Affine.apply(x, weight, bias)


# --- cross-entropy -------------------------------------------------------------
def _targets_array(logits: Tensor, targets: Any) -> Any:
    """``targets`` as an integer array on ``logits``' device, checked against ``logits``' shape."""
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C), got shape {logits.shape}")
    n, classes = logits.shape
    if n == 0:
        raise ValueError(f"cross_entropy: the batch is empty (logits of shape {logits.shape}); the mean is undefined")
    xp = backend.namespace_of(logits.data)
    array = targets.data if isinstance(targets, Tensor) else xp.asarray(targets)
    if array.shape != (n,):
        raise ValueError(
            f"cross_entropy: targets must have shape ({n},) to match logits of shape {logits.shape}, "
            f"got shape {array.shape}"
        )
    if array.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: targets must be integer class indices, got dtype {array.dtype}")
    low, high = int(array.min()), int(array.max())
    if low < 0 or high >= classes:
        raise ValueError(
            f"cross_entropy: targets must lie in [0, {classes}) for logits of shape {logits.shape}, "
            f"got values from {low} to {high}"
        )
    return array


def _one_hot(targets: Any, shape: tuple[int, int], dtype: Any) -> Any:
    """The ``(N, C)`` array :math:`Y` with :math:`Y_{i y_i} = 1` and zeros elsewhere."""
    xp = backend.namespace_of(targets)
    y = xp.zeros(shape, dtype=dtype)
    y[xp.arange(shape[0]), targets] = 1
    return y


class CrossEntropy(ArrayFunction):
    r"""Mean cross-entropy of integer targets given logits, one node of the graph.

    Forward, with :math:`m_i = \max_j z_{ij}` so that no exponential overflows:

    .. math:: L = \frac1N \sum_i \Bigl(m_i + \log \sum_j e^{z_{ij} - m_i} - z_{i y_i}\Bigr).

    With :math:`P = \operatorname{softmax}(z)` (row by row) and :math:`Y` the one-hot
    targets, the VJP is :math:`\bar z = \frac{\bar L}{N} (P - Y)` and the JVP is
    :math:`\dot L = \frac1N \sum_{ij} (P - Y)_{ij}\,\dot z_{ij}`.
    """

    @staticmethod
    def forward(ctx: Context, logits: Tensor, targets: Any) -> Any:
        xp = backend.namespace_of(logits.data)
        z = logits.data
        m = z.max(axis=1, keepdims=True)
        e = xp.exp(z - m)  # exponents <= 0: no overflow
        total = e.sum(axis=1, keepdims=True)
        loss = (xp.log(total[:, 0]) + m[:, 0] - z[xp.arange(z.shape[0]), targets]).mean()
        ctx.targets = targets
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(logits)
            ctx.probabilities = e / total  # P, nearly free here; the unrecorded backward uses it
        return loss

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        (logits,) = ctx.saved_tensors
        if isinstance(logits, Tensor):
            # A recorded backward (create_graph): P must be computed from z by the
            # differentiable softmax, so that the second derivative sees how P depends on z.
            p = softmax(logits, axis=1)
        else:
            p = ctx.probabilities
        y = _one_hot(ctx.targets, logits.shape, logits.dtype)
        return (p - y) * (g * (1.0 / logits.shape[0])), None

    @staticmethod
    def jvp(ctx: Context, t: Tensor, _: None) -> Tensor:
        logits = ctx.inputs[0]
        y = _one_hot(ctx.targets, logits.shape, logits.dtype)
        return ((softmax(logits, axis=1) - y) * t).sum() * (1.0 / logits.shape[0])


def cross_entropy(logits: Tensor, targets: Any) -> Tensor:
    r"""Mean cross-entropy :math:`-\frac1N \sum_i \log \operatorname{softmax}(z_i)_{y_i}`.

    ``logits`` :math:`z` has shape ``(N, C)`` (unnormalized scores, *not*
    probabilities); ``targets`` :math:`y` holds ``N`` integer class indices
    in :math:`[0, C)` (an int array, list or Tensor). Stable for any finite
    logits: it never exponentiates a positive number.
    """
    return CrossEntropy.apply(logits, _targets_array(logits, targets))


def cross_entropy_composite(logits: Tensor, targets: Any) -> Tensor:
    r"""The same loss as :func:`cross_entropy`, built from existing primitives:
    :math:`-\operatorname{mean}_i \operatorname{log\_softmax}(z)_{i y_i}`.

    Three nodes instead of one; the tests check the fused primitive against it.
    """
    array = _targets_array(logits, targets)
    rows = backend.namespace_of(logits.data).arange(logits.shape[0])
    return -log_softmax(logits, axis=1)[rows, array].mean()


def mse_loss(pred: Tensor, target: Any) -> Tensor:
    r"""Mean squared error :math:`\frac1n \sum_k (\hat y_k - y_k)^2` over all elements.

    ``target`` must have ``pred``'s shape: broadcasting ``(N,)`` against
    ``(N, 1)`` would silently average an ``N``-by-``N`` table, a classic bug.
    """
    target_shape = target.shape if hasattr(target, "shape") else numpy.shape(target)
    if tuple(target_shape) != pred.shape:
        raise ValueError(
            f"mse_loss: pred has shape {pred.shape} but target has shape {tuple(target_shape)}; they must match"
        )
    diff = pred - target
    return (diff * diff).mean()
