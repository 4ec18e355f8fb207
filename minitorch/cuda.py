"""GPU support: whether a CUDA device can be used, and how to wait for it.

Tensors move to the GPU with ``t.to("cuda")`` or ``device="cuda"`` on any
constructor; their arrays are then CuPy arrays and every primitive runs
there unchanged (see :mod:`minitorch.backend`).
"""

from __future__ import annotations

from . import backend


def is_available() -> bool:
    """True when CuPy is installed and sees a CUDA device."""
    return backend.cuda_available()


def synchronize() -> None:
    """Wait until every queued GPU kernel has finished (needed around timings)."""
    if is_available():
        backend.array_module("cuda").cuda.Device().synchronize()


def device_name() -> str:
    """The GPU's name, or "none" when no GPU is available."""
    if not is_available():
        return "none"
    cupy = backend.array_module("cuda")
    return cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"].decode()
