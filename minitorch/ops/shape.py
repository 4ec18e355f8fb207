r"""Primitives that move numbers around without arithmetic.

Their VJPs move the gradient back: a reshape is undone by a reshape, a
transpose by the inverse permutation, broadcasting by summation, indexing by
scattering into zeros (adding where an index repeats).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy

from .. import backend
from ..function import ArrayFunction, Context
from ..tensor import Tensor
from .common import check_same_device, constant, normalize_axis, to_tensor


class Reshape(ArrayFunction):
    @staticmethod
    def forward(ctx: Context, x: Tensor, shape: tuple[int, ...]) -> Any:
        try:
            return x.data.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {x.shape} "
                f"({x.data.size} elements) into shape {tuple(shape)}"
            ) from None

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        return g.reshape(ctx.input_shapes[0]), None

    @staticmethod
    def jvp(ctx: Context, t: Tensor, _: None) -> Tensor:
        return reshape(t, ctx.output.shape)


class Transpose(ArrayFunction):
    @staticmethod
    def forward(ctx: Context, x: Tensor, axes: tuple[int, ...] | None) -> Any:
        if axes is None:
            axes = tuple(reversed(range(x.ndim)))
        if sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)) or len(axes) != x.ndim:
            raise ValueError(
                f"transpose: axes {tuple(axes)} are not a permutation of the {x.ndim} axes "
                f"of a tensor of shape {x.shape}"
            )
        ctx.axes = tuple(a % x.ndim for a in axes)
        return x.data.transpose(ctx.axes)

    @staticmethod
    def inverse(axes: tuple[int, ...]) -> tuple[int, ...]:
        inverse = [0] * len(axes)
        for position, axis in enumerate(axes):
            inverse[axis] = position
        return tuple(inverse)

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        return g.transpose(Transpose.inverse(ctx.axes)), None

    @staticmethod
    def jvp(ctx: Context, t: Tensor, _: None) -> Tensor:
        return transpose(t, ctx.axes)


class BroadcastTo(ArrayFunction):
    @staticmethod
    def forward(ctx: Context, x: Tensor, shape: tuple[int, ...]) -> Any:
        xp = backend.namespace_of(x.data)
        try:
            return xp.broadcast_to(x.data, shape)
        except ValueError:
            raise ValueError(
                f"broadcast_to: a tensor of shape {x.shape} cannot be broadcast to {tuple(shape)}"
            ) from None

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        return SumToShape.of(g, ctx.input_shapes[0]), None

    @staticmethod
    def jvp(ctx: Context, t: Tensor, _: None) -> Tensor:
        return broadcast_to(t, ctx.output.shape)


def _sum_array_to_shape(x: Any, shape: tuple[int, ...]) -> Any:
    extra = x.ndim - len(shape)
    stretched = tuple(extra + i for i, n in enumerate(shape) if n == 1 and x.shape[extra + i] != 1)
    if not extra and not stretched:
        return x.reshape(shape)
    # Without stretched axes the sum drops the added ones itself and gives an array of its own, not
    # a reshaped view: a bias's gradient then becomes .grad without another copy.
    out = x.sum(axis=tuple(range(extra)) + stretched, keepdims=bool(stretched))
    return out if out.shape == tuple(shape) else out.reshape(shape)


class SumToShape(ArrayFunction):
    """Sum over the axes that broadcasting added or stretched: the adjoint of ``broadcast_to``."""

    @staticmethod
    def forward(ctx: Context, x: Tensor, shape: tuple[int, ...]) -> Any:
        return _sum_array_to_shape(x.data, shape)

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        return BroadcastTo.of(g, ctx.input_shapes[0]), None

    @staticmethod
    def jvp(ctx: Context, t: Tensor, _: None) -> Tensor:
        return sum_to_shape(t, ctx.output.shape)


def _array_index(index: Any, device: str) -> Any:
    """Tensors inside an index become their arrays; off the CPU, host arrays and lists of indices are copied
    to the indexed tensor's device, where both the forward pass and its adjoint (``add.at``) need them."""
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        return tuple(_array_index(i, device) for i in index)
    elif isinstance(index, list):
        index = [i.data if isinstance(i, Tensor) else i for i in index]
        return index if device == "cpu" else backend.array_module(device).asarray(index)
    if device != "cpu" and isinstance(index, numpy.ndarray):
        return backend.to_device(index, device)
    return index


def _is_basic(index: Any) -> bool:
    """Basic indexing (ints, slices, None, ...) selects every element at most once."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, slice, type(None), type(Ellipsis))) for p in parts)


class GetItem(ArrayFunction):
    @staticmethod
    def forward(ctx: Context, x: Tensor, index: Any) -> Any:
        ctx.index = index
        try:
            return x.data[index]
        except IndexError as error:
            raise IndexError(f"getitem: {error} (tensor of shape {x.shape})") from None

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        return IndexAdd.of(g, ctx.input_shapes[0], ctx.index), None

    @staticmethod
    def jvp(ctx: Context, t: Tensor, _: None) -> Tensor:
        return getitem(t, ctx.index)


def _index_add_array(g: Any, shape: tuple[int, ...], index: Any) -> Any:
    xp = backend.namespace_of(g)
    out = xp.zeros(shape, dtype=g.dtype)
    if _is_basic(index) or (isinstance(index, type(g)) and index.dtype == bool):
        out[index] = g
    else:
        xp.add.at(out, index, g)
    return out


class IndexAdd(ArrayFunction):
    """Zeros of ``shape`` with ``g`` added at ``index``: the adjoint of indexing.

    With integer-array indices an element can be picked several times, so the
    contributions must be *added* (``np.add.at``); plain assignment would keep
    only the last one.
    """

    @staticmethod
    def forward(ctx: Context, g: Tensor, shape: tuple[int, ...], index: Any) -> Any:
        ctx.index = index
        return _index_add_array(g.data, shape, index)

    @staticmethod
    def backward(ctx: Context, grad: Tensor) -> tuple:
        return grad[ctx.index], None, None

    @staticmethod
    def jvp(ctx: Context, t: Tensor, *_: None) -> Tensor:
        return index_add(t, ctx.output.shape, ctx.index)


class Concatenate(ArrayFunction):
    @staticmethod
    def forward(ctx: Context, axis: int, *tensors: Tensor) -> Any:
        xp = backend.namespace_of(tensors[0].data)
        ctx.axis = axis
        try:
            return xp.concatenate([t.data for t in tensors], axis=axis)
        except (ValueError, IndexError):
            shapes = ", ".join(str(t.shape) for t in tensors)
            raise ValueError(f"concatenate: shapes {shapes} do not fit together along axis {axis}") from None

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        axis = ctx.axis % g.ndim
        grads, start = [None], 0
        for shape, needed in zip(ctx.input_shapes[1:], ctx.needs_input_grad[1:]):
            stop = start + shape[axis]
            if needed:
                index = (slice(None),) * axis + (slice(start, stop),)
                grads.append(g[index])
            else:
                grads.append(None)
            start = stop
        return tuple(grads)

    @staticmethod
    def jvp(ctx: Context, _: None, *tangents: Tensor | None) -> Tensor:
        xp = backend.namespace_of(ctx.output.data)
        filled = [
            t if t is not None else constant(xp.zeros(x.shape, dtype=x.dtype)) for t, x in zip(tangents, ctx.inputs[1:])
        ]
        return concatenate(filled, ctx.axis)


def _view(out: Tensor, x: Tensor) -> Tensor:
    """``out``, sharing ``x``'s version counter if NumPy made it a view of ``x``'s memory.

    An in-place write through either one then shows in the version of both,
    so a graph that saved one refuses to backpropagate with overwritten values.
    """
    if backend.namespace_of(x.data).may_share_memory(out.data, x.data):
        out._alias_of(x)
    return out


# --- the functions users call -----------------------------------------------
def reshape(x: Tensor, shape: Sequence[int]) -> Tensor:
    """The same elements in a new shape (one dimension may be -1); a view of ``x`` where NumPy can make one."""
    x, shape = to_tensor(x, "reshape"), tuple(shape)
    if shape == x.shape:
        return x
    return _view(Reshape.apply(x, shape), x)


def flatten(x: Tensor, start_axis: int = 0, end_axis: int = -1) -> Tensor:
    """Merge the axes ``start_axis`` to ``end_axis`` (inclusive) into one, as PyTorch's ``flatten``.

    ``flatten(x)`` is ``reshape(x, (-1,))``; ``flatten(images, 1)`` keeps the
    batch axis. A reshape, so its VJP is a reshape back.
    """
    if x.ndim == 0:
        return reshape(x, (1,))
    (start,), (end,) = (normalize_axis(a, x.ndim, "flatten") for a in (start_axis, end_axis))
    if start > end:
        raise ValueError(f"flatten: start_axis {start_axis} comes after end_axis {end_axis} for shape {x.shape}")
    return reshape(x, x.shape[:start] + (math.prod(x.shape[start : end + 1]),) + x.shape[end + 1 :])


def squeeze(x: Tensor, axis: int | None = None) -> Tensor:
    """Drop the axis ``axis``, which must have size 1, or every size-1 axis when ``axis`` is None."""
    if axis is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    if x.ndim == 0:
        raise ValueError("squeeze: a tensor of shape () has no axis to drop")
    (i,) = normalize_axis(axis, x.ndim, "squeeze")
    if x.shape[i] != 1:
        raise ValueError(f"squeeze: axis {axis} of a tensor of shape {x.shape} has size {x.shape[i]}, not 1")
    return reshape(x, x.shape[:i] + x.shape[i + 1 :])


def unsqueeze(x: Tensor, axis: int) -> Tensor:
    """Insert a size-1 axis at position ``axis`` of the result (NumPy's ``expand_dims``)."""
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise ValueError(
            f"unsqueeze: axis {axis} is out of range for a tensor of shape {x.shape} "
            f"(the new axis goes at a position from {-x.ndim - 1} to {x.ndim})"
        )
    axis %= x.ndim + 1
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def transpose(x: Tensor, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes (reverse them when ``axes`` is None)."""
    x = to_tensor(x, "transpose")
    return _view(Transpose.apply(x, None if axes is None else tuple(axes)), x)


def permute(x: Tensor, axes: Sequence[int]) -> Tensor:
    """Permute the axes: ``y.shape[i] = x.shape[axes[i]]``."""
    x = to_tensor(x, "permute")
    return _view(Transpose.apply(x, tuple(axes)), x)


def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    """Repeat ``x`` along new or size-1 axes to ``shape`` (NumPy's rules)."""
    x, shape = to_tensor(x, "broadcast_to"), tuple(shape)
    if shape == x.shape:
        return x
    return _view(BroadcastTo.apply(x, shape), x)


def sum_to_shape(x: Tensor, shape: Sequence[int]) -> Tensor:
    """Sum ``x`` down to ``shape``, the inverse of broadcasting ``shape`` up to ``x.shape``."""
    x, shape = to_tensor(x, "sum_to_shape"), tuple(shape)
    if shape == x.shape:
        return x
    return SumToShape.apply(x, shape)


def getitem(x: Tensor, index: Any) -> Tensor:
    """NumPy indexing: slices, integers, integer arrays (repeats allowed), boolean masks."""
    x = to_tensor(x, "getitem")
    return _view(GetItem.apply(x, _array_index(index, x.device)), x)


def index_add(g: Tensor, shape: Sequence[int], index: Any) -> Tensor:
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated indices add up)."""
    return IndexAdd.apply(to_tensor(g, "index_add"), tuple(shape), index)


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concatenate: need at least one tensor")
    check_same_device("concatenate", *tensors)
    return Concatenate.apply(axis, *tensors)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along a new axis: each gets a size-1 axis, then they are concatenated."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: need at least one tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {sorted(shapes)}")
    ndim = tensors[0].ndim + 1
    if not -ndim <= axis < ndim:
        raise ValueError(f"stack: axis {axis} is out of range for {ndim}-dimensional output")
    axis %= ndim
    expanded = [reshape(t, t.shape[:axis] + (1,) + t.shape[axis:]) for t in tensors]
    return concatenate(expanded, axis)
