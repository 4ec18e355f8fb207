"""The array-backend layer: the only place that chooses an array library.

A tensor's numbers live in an array of NumPy (device ``"cpu"``) or CuPy
(device ``"cuda"``). Both libraries share one API, so every primitive asks
this module for the right namespace (``xp``) and writes its math once.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import numpy

DEVICES = ("cpu", "cuda")


def _cupy() -> ModuleType:
    try:
        return importlib.import_module("cupy")
    except ImportError as error:
        raise RuntimeError(
            "device 'cuda' needs CuPy: install the GPU extra (pip install -e '.[gpu]') on a machine with a CUDA GPU"
        ) from error


def array_module(device: str) -> ModuleType:
    """The array namespace (``numpy`` or ``cupy``) for a device name."""
    if device == "cpu":
        return numpy
    if device == "cuda":
        return _cupy()
    raise ValueError(f"unknown device {device!r}; expected one of {DEVICES}")


def device_of(array: Any) -> str:
    """The device an array lives on."""
    return "cpu" if isinstance(array, (numpy.ndarray, numpy.generic)) else "cuda"


def namespace_of(array: Any) -> ModuleType:
    """The array namespace an array belongs to."""
    return numpy if isinstance(array, (numpy.ndarray, numpy.generic)) else _cupy()


def to_device(array: Any, device: str) -> Any:
    """Copy an array to a device (no copy when it is already there)."""
    if device_of(array) == device:
        return array
    if device == "cpu":
        return array.get()
    return array_module(device).asarray(array)


def cuda_available() -> bool:
    """True when CuPy imports and sees at least one CUDA device."""
    try:
        cupy = importlib.import_module("cupy")
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no CuPy, no driver, or no device: all mean "not available"
        return False
