"""Helpers shared by the primitives: operand conversion, broadcasting, tangents."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy

from .. import backend, grad_mode
from ..tensor import Tensor


def to_tensor(x: Any, operation: str) -> Tensor:
    """``x`` as a tensor: public operations take tensors, and turn arrays, lists and numbers into constants."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (numbers.Number, list, tuple, numpy.ndarray, numpy.generic)):
        return Tensor._wrap(numpy.asarray(x))
    if hasattr(x, "__cuda_array_interface__"):
        return Tensor._wrap(x)
    raise TypeError(f"{operation}: expected a Tensor, an array or a number, got {type(x).__name__}")


def as_tensor(x: Any, like: Tensor, operation: str) -> Tensor:
    """``x`` as a tensor on ``like``'s device; numbers take ``like``'s dtype.

    Plain numbers become constants of the other operand's floating dtype,
    so ``float32_tensor * 2.0`` stays float32.
    """
    if isinstance(x, Tensor):
        return x
    xp = backend.namespace_of(like.data)
    if isinstance(x, numbers.Number):
        dtype = like.data.dtype if like.data.dtype.kind in "fc" else None
        return Tensor._wrap(xp.asarray(x, dtype=dtype))
    if isinstance(x, (list, tuple)) or (hasattr(x, "shape") and hasattr(x, "dtype")):
        return Tensor._wrap(xp.asarray(x))
    raise TypeError(f"{operation}: expected a Tensor, an array or a number, got {type(x).__name__}")


_constants: dict = {}  # (type, value, dtype, array type) -> constant tensor; small, and never modified


def _number(x: float, like: Tensor) -> Tensor:
    """A Python number as a 0-d constant of ``like``'s floating dtype, reused across calls.

    Programs multiply by the same few numbers again and again (``x * 0.5``);
    making a fresh 0-d array each time would cost more than the multiplication.
    """
    array = like.data
    key = (type(x), x, array.dtype, type(array))
    constant = _constants.get(key)
    if constant is None:
        dtype = array.dtype if array.dtype.kind in "fc" else None
        constant = Tensor._wrap(backend.namespace_of(array).asarray(x, dtype=dtype))
        if len(_constants) < 1024:
            _constants[key] = constant
    return constant


def operands(operation: str, a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Two operands as tensors of one dtype on one device, or a clear error."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            if type(a.data) is type(b.data) and a.data.dtype is b.data.dtype:
                return a, b  # the common case, checked cheaply
        elif type(b) is float or type(b) is int:
            return a, _number(b, a)
    elif isinstance(b, Tensor) and (type(a) is float or type(a) is int):
        return _number(a, b), b
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise TypeError(f"{operation}: expected at least one Tensor, got {type(a).__name__} and {type(b).__name__}")
        a = as_tensor(a, b, operation)
    elif not isinstance(b, Tensor):
        b = as_tensor(b, a, operation)
    check_same_device(operation, a, b)
    return promote(a, b)


def promote(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors converted to the dtype NumPy would compute them in (float32 and float64 give float64).

    The conversion is a differentiable ``astype``, whose VJP converts the
    gradient back: so a float32 tensor that meets a float64 operand still
    gets a float32 gradient, as in PyTorch.
    """
    dtypes = {t.data.dtype for t in tensors}
    if len(dtypes) == 1:
        return tensors
    from .elementwise import astype

    common = backend.namespace_of(tensors[0].data).result_type(*(t.data for t in tensors))
    return tuple(astype(t, common) for t in tensors)


Axis = int | Sequence[int] | None


def normalize_axis(axis: Axis, ndim: int, operation: str) -> tuple[int, ...]:
    """Axes as a sorted tuple of non-negative ints (all axes for None); an axis named twice is an error."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    bound = ndim or 1  # a 0-d tensor accepts axis 0 and -1, as in NumPy
    for a in axes:
        if not -bound <= a < bound:
            raise ValueError(f"{operation}: axis {a} is out of range for a tensor with {ndim} dimension(s)")
    normalized = [a % bound for a in axes]
    for j, a in enumerate(normalized):
        if a in normalized[:j]:  # NumPy refuses a repeated axis too
            first = axes[normalized.index(a)]
            same = f"axis {first} is repeated" if first == axes[j] else f"axes {first} and {axes[j]} are the same axis"
            raise ValueError(f"{operation}: {same} in axis={axis} (a tensor with {ndim} dimension(s))")
    return tuple(sorted(normalized)) if ndim else ()


def check_in_place_write(operation: str, x: Tensor, recorded: bool) -> None:
    """Refuse an in-place write to ``x`` that would give wrong values or gradients, naming the operation.

    * The memory must be writable, each element its own: a broadcast view
      is read-only (its elements are one number seen many times).
    * While gradients are recorded (``recorded``), a leaf that requires grad
      may not change: its gradient is defined at its current value.
    * A recorded write must not go through memory that another tensor
      shares (a view, or ``detach()``): the write becomes a node of ``x``'s
      graph only, and the other tensor's graph would not know its values changed.
    """
    array = x.data
    overlapping = any(step == 0 and n > 1 for step, n in zip(array.strides, array.shape))
    if overlapping or not getattr(array.flags, "writeable", True):
        raise RuntimeError(
            f"{operation}: cannot write in place into a tensor of shape {x.shape} whose memory is "
            "read-only or shared by its elements (a broadcast_to view, say); use the out-of-place "
            "form, or write into a copy"
        )
    if not recorded:
        return
    if x.grad_fn is None and x.requires_grad:
        raise RuntimeError(
            f"{operation}: a tensor of shape {x.shape} is a leaf that requires grad; changing it in "
            "place would destroy the value its gradient is defined at. Use the out-of-place form, "
            "or change it inside no_grad() (as an optimizer step does)."
        )
    if x._version_counter is not None and x._version_counter.shared:
        raise RuntimeError(
            f"{operation}: a tensor of shape {x.shape} shares its memory with another tensor (a view "
            "such as reshape, slicing, .T or broadcast_to, or detach()); a recorded in-place write "
            "would leave the other one's graph unaware of the new values. Use the out-of-place form, "
            "or write inside no_grad()."
        )


def check_same_device(operation: str, *tensors: Tensor) -> None:
    devices = {t.device for t in tensors}
    if len(devices) > 1:
        raise RuntimeError(f"{operation}: tensors are on different devices: {' and '.join(sorted(devices))}")


def broadcast_error(operation: str, *shapes: tuple[int, ...]) -> ValueError:
    listed = " and ".join(str(tuple(s)) for s in shapes)
    return ValueError(f"{operation}: shapes {listed} cannot be broadcast together")


def broadcast_shape(operation: str, *tensors: Tensor) -> tuple[int, ...]:
    """The shape the operands broadcast to (NumPy's rules), or an error naming ``operation``."""
    shapes = [t.shape for t in tensors]
    try:
        return numpy.broadcast_shapes(*shapes)
    except ValueError:
        raise broadcast_error(operation, *shapes) from None


def broadcast_explicitly(operation: str, *tensors: Tensor) -> tuple[Tensor, ...]:
    """The operands, each that needs a derivative brought to the common shape by a ``broadcast_to`` node.

    Broadcasting is then an operation of its own, whose VJP sums the gradient
    back to the operand's shape, and no elementwise rule has to. Constants
    (nothing to differentiate) are left to NumPy's implicit broadcasting.
    """
    shape = broadcast_shape(operation, *tensors)
    from .shape import broadcast_to

    return tuple(broadcast_to(t, shape) if t.shape != shape and _differentiable(t) else t for t in tensors)


def _differentiable(t: Tensor) -> bool:
    return bool(t._tangents) or (t.requires_grad and grad_mode.state.grad_enabled)


def is_plain_number(t: Tensor) -> bool:
    """A 0-d constant: it broadcasts against anything, and needs no gradient, so no ``broadcast_to`` node."""
    return t.data.ndim == 0 and not t.requires_grad and not t._tangents


def sum_to(g: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Undo broadcasting in a VJP: sum ``g`` down to ``shape``."""
    if g.shape == shape:
        return g
    from .shape import SumToShape

    return SumToShape.of(g, shape)


def tangent_or_zero(t: Tensor | None, shape: tuple[int, ...]) -> Tensor | None:
    """A tangent broadcast to ``shape`` (``None`` stays ``None``: it means zero)."""
    if t is None or t.shape == shape:
        return t
    from .shape import broadcast_to

    return broadcast_to(t, shape)


def add_tangents(*terms: Tensor | None) -> Tensor:
    """Sum the non-zero tangent terms (``None`` means zero)."""
    total = None
    for term in terms:
        if term is not None:
            total = term if total is None else total + term
    assert total is not None, "jvp called with no tangents"
    return total


def constant(array: Any) -> Tensor:
    """A tensor that is never differentiated (masks, signs, indices)."""
    return Tensor._wrap(array)


def array_of(x: Any) -> Any:
    """The array behind a tensor, or the array itself.

    Derivative rules run on tensors (when the backward pass is recorded, for
    higher derivatives) and directly on arrays (when it is not, which is
    faster); rules that need the raw numbers use this to serve both.
    """
    return x.data if isinstance(x, Tensor) else x
