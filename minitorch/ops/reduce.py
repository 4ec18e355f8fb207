r"""Reductions and the softmax family.

A reduction's VJP spreads the output gradient back over the reduced axes:
for ``sum`` every input gets it (:math:`\partial y/\partial x_i = 1`), for
``max`` only the maximal inputs do. The softmax family's rules use the
output :math:`s = \operatorname{softmax}(x)`:
:math:`\bar x = s \odot (\bar y - \langle \bar y, s\rangle)` for softmax and
:math:`\bar x = \bar y - s \sum \bar y` for log-softmax.
"""

from __future__ import annotations

from typing import Any

from .. import backend, subgradients
from ..function import ArrayFunction, Context, Function
from ..tensor import Tensor
from .common import Axis, normalize_axis, to_tensor
from .elementwise import Exp
from .shape import BroadcastTo


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with the reduced axes set to 1 (what ``keepdims=True`` gives)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def expand_back(g: Tensor, ctx: Context) -> Tensor:
    """Bring a reduction's gradient back to the input's shape."""
    return BroadcastTo.of(g.reshape(ctx.kept_shape), ctx.input_shapes[0])


class Sum(ArrayFunction):
    @staticmethod
    def forward(ctx: Context, x: Tensor, axes: tuple[int, ...], keepdims: bool) -> Any:
        ctx.kept_shape = kept_shape(x.shape, axes)
        ctx.reduction = (axes, keepdims)
        return x.data.sum(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        return expand_back(g, ctx), None, None

    @staticmethod
    def jvp(ctx: Context, t: Tensor, *_: None) -> Tensor:
        return Sum.apply(t, *ctx.reduction)


class Max(ArrayFunction):
    """Maximum over axes; tied maxima share the gradient as the subgradient policy says."""

    @staticmethod
    def kink_distance(x: Tensor, axes: tuple[int, ...], keepdims: bool) -> float:
        """The smallest gap between the largest and second-largest value of a reduced slice."""
        xp = backend.namespace_of(x.data)
        kept = x.data.ndim - len(axes)
        moved = xp.moveaxis(x.data, axes, range(kept, x.data.ndim))
        merged = moved.reshape(moved.shape[:kept] + (-1,))
        if merged.shape[-1] < 2 or merged.size == 0:
            return float("inf")
        top_two = xp.sort(merged, axis=-1)[..., -2:]
        return (top_two[..., 1] - top_two[..., 0]).min()

    @staticmethod
    def forward(ctx: Context, x: Tensor, axes: tuple[int, ...], keepdims: bool) -> Any:
        xp = backend.namespace_of(x.data)
        ctx.kept_shape = kept_shape(x.shape, axes)
        ctx.reduction = (axes, keepdims)
        top = x.data.max(axis=axes, keepdims=True)
        winners = x.data == top
        if subgradients.current().max == "first":
            # Keep only the first maximal element along the reduced axes (in C order).
            flat_axes = x.data.ndim - len(axes)
            moved = xp.moveaxis(winners, axes, range(flat_axes, x.data.ndim))
            merged = moved.reshape(moved.shape[:flat_axes] + (-1,))
            first = (xp.cumsum(merged, axis=-1) == 1) & merged
            winners = xp.moveaxis(first.reshape(moved.shape), range(flat_axes, x.data.ndim), axes)
        share = winners / winners.sum(axis=axes, keepdims=True)
        ctx.share = share.astype(x.data.dtype)
        return top if keepdims else top.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        return expand_back(g, ctx) * ctx.share, None, None

    @staticmethod
    def jvp(ctx: Context, t: Tensor, *_: None) -> Tensor:
        return Sum.apply(t * ctx.share, *ctx.reduction)


class LogSumExp(ArrayFunction):
    r""":math:`\log \sum_i e^{x_i}`, computed as :math:`m + \log\sum e^{x_i - m}` with
    :math:`m = \max x` so nothing overflows. Its gradient is
    :math:`\operatorname{softmax}(x) = e^{x - \text{out}}`, written with tensor operations so
    that it can be differentiated again."""

    @staticmethod
    def forward(ctx: Context, x: Tensor, axes: tuple[int, ...], keepdims: bool) -> Any:
        xp = backend.namespace_of(x.data)
        ctx.kept_shape = kept_shape(x.shape, axes)
        ctx.reduction = (axes, keepdims)
        if x.data.size:
            m = x.data.max(axis=axes, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0)
            total = xp.exp(x.data - m).sum(axis=axes, keepdims=True)
            out = xp.log(total) + m
        else:  # a sum of no exponentials is 0, whose log is -inf (and max of nothing is undefined)
            out = xp.full(ctx.kept_shape, -xp.inf, dtype=x.data.dtype)
        out = Tensor._wrap(out if keepdims else out.reshape([n for i, n in enumerate(x.shape) if i not in axes]))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def probabilities(ctx: Context, x: Tensor, out: Tensor) -> Tensor:
        return Exp.of(x - out.reshape(ctx.kept_shape))

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        x, out = ctx.saved_tensors
        return expand_back(g, ctx) * LogSumExp.probabilities(ctx, x, out), None, None

    @staticmethod
    def jvp(ctx: Context, t: Tensor, *_: None) -> Tensor:
        return Sum.apply(t * LogSumExp.probabilities(ctx, ctx.inputs[0], ctx.output), *ctx.reduction)


class Softmax(ArrayFunction):
    r""":math:`s_i = e^{x_i} / \sum_j e^{x_j}` along one axis."""

    @staticmethod
    def forward(ctx: Context, x: Tensor, axis: int) -> Any:
        xp = backend.namespace_of(x.data)
        ctx.axis = axis
        if not x.data.size:  # nothing to normalize (and the maximum of nothing is undefined)
            out = Tensor._wrap(x.data.copy())
        else:
            shifted = xp.exp(x.data - x.data.max(axis=axis, keepdims=True))
            out = Tensor._wrap(shifted / shifted.sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        (s,) = ctx.saved_tensors
        return s * (g - (g * s).sum(axis=ctx.axis, keepdims=True)), None

    @staticmethod
    def jvp(ctx: Context, t: Tensor, _: None) -> Tensor:
        s = ctx.output
        return s * (t - (t * s).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(ArrayFunction):
    r""":math:`x_i - \log\sum_j e^{x_j}` along one axis, without forming :math:`e^{x}` unshifted."""

    @staticmethod
    def forward(ctx: Context, x: Tensor, axis: int) -> Any:
        xp = backend.namespace_of(x.data)
        ctx.axis = axis
        if not x.data.size:  # as in softmax
            out = Tensor._wrap(x.data.copy())
        else:
            shifted = x.data - x.data.max(axis=axis, keepdims=True)
            out = Tensor._wrap(shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        (out,) = ctx.saved_tensors
        return g - Exp.of(out) * g.sum(axis=ctx.axis, keepdims=True), None

    @staticmethod
    def jvp(ctx: Context, t: Tensor, _: None) -> Tensor:
        return t - (t * Exp.of(ctx.output)).sum(axis=ctx.axis, keepdims=True)


def _reduce(function: type[Function], name: str, x: Tensor, axis: Axis, keepdims: bool) -> Tensor:
    x = to_tensor(x, name)
    return function.apply(x, normalize_axis(axis, x.ndim, name), bool(keepdims))


# --- the functions users call -----------------------------------------------
def sum(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    r""":math:`\sum` over ``axis`` (all axes by default)."""
    return _reduce(Sum, "sum", x, axis, keepdims)


def mean(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    r"""The average over ``axis``: a sum times :math:`1/n`."""
    x = to_tensor(x, "mean")
    axes = normalize_axis(axis, x.ndim, "mean")
    count = 1
    for a in axes:
        count *= x.shape[a]
    if count == 0:
        raise ValueError(f"mean: cannot average over zero elements (shape {x.shape}, axis {axis})")
    return sum(x, axes, keepdims) * (1.0 / count)


def _extreme_axes(x: Tensor, axis: Axis, name: str) -> tuple[int, ...]:
    """The axes of a max or min, none of them empty: as in NumPy, the maximum of no elements has no value
    (an empty tensor reduced over its non-empty axes just gives an empty result)."""
    axes = normalize_axis(axis, x.ndim, name)
    empty = [a for a in axes if x.shape[a] == 0]
    if empty:
        raise ValueError(f"{name}: cannot reduce over axis {empty[0]}, which is empty (a tensor of shape {x.shape})")
    return axes


def max(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The maximum over ``axis``; ties share the gradient (see :mod:`minitorch.subgradients`)."""
    x = to_tensor(x, "max")
    return Max.apply(x, _extreme_axes(x, axis, "max"), bool(keepdims))


def min(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    r"""The minimum over ``axis``: :math:`\min x = -\max(-x)`."""
    x = to_tensor(x, "min")
    axes = _extreme_axes(x, axis, "min")  # so that a bad axis is reported by min, not max
    return -max(-x, axes, keepdims)


def logsumexp(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    r"""A numerically stable :math:`\log\sum e^{x}` over ``axis``."""
    return _reduce(LogSumExp, "logsumexp", x, axis, keepdims)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    r""":math:`e^{x_i}/\sum_j e^{x_j}` along ``axis``."""
    x = to_tensor(x, "softmax")
    normalize_axis(axis, x.ndim, "softmax")
    return Softmax.apply(x, axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    r""":math:`x_i - \log\sum_j e^{x_j}` along ``axis``."""
    x = to_tensor(x, "log_softmax")
    normalize_axis(axis, x.ndim, "log_softmax")
    return LogSoftmax.apply(x, axis)
