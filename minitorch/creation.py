"""Functions that make tensors: ``tensor``, ``zeros``, ``ones``, ``randn``, ``arange``."""

from __future__ import annotations

import numbers
from typing import Any

import numpy

from . import backend
from .tensor import Tensor

DEFAULT_DTYPE = numpy.float64
_generator = numpy.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Reset the random generator used by :func:`randn` and :func:`rand`."""
    global _generator
    _generator = numpy.random.default_rng(seed)


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, device: str | None = None) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (numbers, nested lists, arrays or a Tensor).

    Python floats become float64 (the default dtype); integers and booleans
    keep an integer or boolean dtype; arrays keep their dtype unless ``dtype``
    is given.
    """
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
        raise TypeError("tensor: a list of Tensors is ambiguous; use minitorch.stack(list_of_tensors)")
    on_gpu = hasattr(data, "__cuda_array_interface__")
    if device is None:
        device = "cuda" if on_gpu else "cpu"
    xp = backend.array_module(device)
    if on_gpu and device == "cpu":
        data = backend.to_device(data, "cpu")
    try:
        array = xp.array(data, dtype=dtype, copy=True)
    except (TypeError, ValueError) as error:
        raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__}: {error}") from None
    if dtype is None and array.dtype.kind == "f" and not hasattr(data, "dtype"):
        array = array.astype(DEFAULT_DTYPE, copy=False)
    if array.dtype.kind not in "biufc":
        raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__} data (dtype {array.dtype})")
    return Tensor(array, requires_grad=requires_grad)


def _shape(shape: tuple, function: str) -> tuple[int, ...]:
    """``(2, 3)`` from ``f(2, 3)`` or ``f((2, 3))``; every size a non-negative integer."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 0:
            raise ValueError(f"{function}: a shape holds non-negative integers, got {shape}")
    return tuple(int(n) for n in shape)


def zeros(*shape: Any, dtype: Any = DEFAULT_DTYPE, requires_grad: bool = False, device: str = "cpu") -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return Tensor(backend.array_module(device).zeros(_shape(shape, "zeros"), dtype=dtype), requires_grad=requires_grad)


def ones(*shape: Any, dtype: Any = DEFAULT_DTYPE, requires_grad: bool = False, device: str = "cpu") -> Tensor:
    """A tensor of ones."""
    return Tensor(backend.array_module(device).ones(_shape(shape, "ones"), dtype=dtype), requires_grad=requires_grad)


def zeros_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    """Zeros of ``t``'s shape, dtype and device."""
    return Tensor(backend.namespace_of(t.data).zeros_like(t.data), requires_grad=requires_grad)


def ones_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    """Ones of ``t``'s shape, dtype and device."""
    return Tensor(backend.namespace_of(t.data).ones_like(t.data), requires_grad=requires_grad)


def randn(*shape: Any, dtype: Any = DEFAULT_DTYPE, requires_grad: bool = False, device: str = "cpu") -> Tensor:
    """Standard normal samples from minitorch's generator (see :func:`manual_seed`)."""
    array = _generator.standard_normal(_shape(shape, "randn")).astype(dtype)
    return Tensor(backend.to_device(array, device), requires_grad=requires_grad)


def rand(*shape: Any, dtype: Any = DEFAULT_DTYPE, requires_grad: bool = False, device: str = "cpu") -> Tensor:
    """Uniform samples in [0, 1)."""
    array = _generator.random(_shape(shape, "rand")).astype(dtype)
    return Tensor(backend.to_device(array, device), requires_grad=requires_grad)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None, device: str = "cpu") -> Tensor:
    """Evenly spaced values in [start, stop), like ``numpy.arange``."""
    xp = backend.array_module(device)
    array = xp.arange(start, stop, step) if stop is not None else xp.arange(start)
    return Tensor(array.astype(dtype) if dtype is not None else array)


def eye(n: int, dtype: Any = DEFAULT_DTYPE, device: str = "cpu") -> Tensor:
    """The n-by-n identity matrix."""
    return Tensor(backend.array_module(device).eye(n, dtype=dtype))
