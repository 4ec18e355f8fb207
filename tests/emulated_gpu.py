"""An emulated GPU for machines without one: CuPy's rules, computed by NumPy.

A CuPy array lives in device memory, and CuPy keeps the two memories apart: NumPy cannot convert a
device array implicitly (``numpy.asarray(x)`` raises; ``x.get()`` copies to the host), and a CuPy
function or operator refuses a NumPy array as an operand. A full reduction gives a 0-d device array,
not a host scalar. Those rules are what make a silent fall-back to the host an error on a real GPU.

This module is a stand-in ``cupy`` that enforces exactly those rules, so the device-parametrized
tests can run the ``"cuda"`` device on every machine (:func:`installed` puts it in ``sys.modules``).
The numbers are NumPy's; what it checks is that minitorch keeps every array of a ``"cuda"`` tensor
on the device and never mixes the two kinds. It is not a model of CuPy's API coverage or speed:
the real GPU runs (``tests/test_devices.py`` and ``bench/bench_gpu.py`` on a machine with CuPy) are.
"""

from __future__ import annotations

import contextlib
import sys
import types
from collections.abc import Iterator
from typing import Any

import numpy
from numpy.lib.mixins import NDArrayOperatorsMixin


class HostArrayError(TypeError):
    """A NumPy (host) array met a device array."""


def _to_numpy(value: Any) -> Any:
    """The NumPy view of a device value, refusing host arrays (containers are searched)."""
    if isinstance(value, ndarray):
        return value._array
    if isinstance(value, numpy.ndarray):
        raise HostArrayError(
            f"a NumPy array of shape {value.shape} was given where a device array is needed "
            "(emulated CuPy: copy it with cupy.asarray first)"
        )
    if isinstance(value, (list, tuple)):
        return type(value)(_to_numpy(v) for v in value)
    if isinstance(value, dict):
        return {k: _to_numpy(v) for k, v in value.items()}
    return value


def _to_device(value: Any) -> Any:
    """Results back on the device: arrays and NumPy scalars become device arrays (as CuPy's are)."""
    if isinstance(value, numpy.ndarray):
        return ndarray(value)
    if isinstance(value, numpy.generic) and not isinstance(value, (numpy.str_, numpy.bytes_)):
        return ndarray(numpy.asarray(value))
    if isinstance(value, tuple):
        return tuple(_to_device(v) for v in value)
    if isinstance(value, list):
        return [_to_device(v) for v in value]
    return value


def _on_device(function: Any) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        return _to_device(function(*_to_numpy(args), **_to_numpy(kwargs)))

    call.__name__ = getattr(function, "__name__", "function")
    return call


class ndarray(NDArrayOperatorsMixin):
    """A device array: a NumPy array that NumPy may not see into."""

    __slots__ = ("_array",)

    def __init__(self, array: numpy.ndarray):
        self._array = array

    def __array__(self, *args: Any, **kwargs: Any) -> numpy.ndarray:
        raise HostArrayError("Implicit conversion to a NumPy array is not allowed (emulated CuPy): use .get()")

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return _to_device(getattr(ufunc, method)(*_to_numpy(inputs), **_to_numpy(kwargs)))

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return _to_device(func(*_to_numpy(args), **_to_numpy(kwargs)))

    def get(self) -> numpy.ndarray:
        """A host copy."""
        return self._array.copy()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_array":  # copy and pickle probe before _array is set
            raise AttributeError(name)
        value = getattr(self._array, name)
        return _on_device(value) if callable(value) else _to_device(value)

    def __getitem__(self, index: Any) -> Any:
        return _to_device(self._array[_index(index)])

    def __setitem__(self, index: Any, value: Any) -> None:
        self._array[_index(index)] = _to_numpy(value)

    def __len__(self) -> int:
        return len(self._array)

    def __iter__(self) -> Iterator[Any]:
        return (_to_device(v) for v in self._array)

    def __repr__(self) -> str:
        return repr(self._array).replace("array(", "device_array(", 1)

    def __float__(self) -> float:
        return float(self._array)

    def __int__(self) -> int:
        return int(self._array)

    def __index__(self) -> int:
        return self._array.__index__()

    def __bool__(self) -> bool:
        return bool(self._array)

    def __complex__(self) -> complex:
        return complex(self._array)

    @property
    def T(self) -> ndarray:
        return ndarray(self._array.T)


def _index(index: Any) -> Any:
    """An index may hold device arrays and host integer arrays (CuPy copies those), as NumPy's would."""
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    return index._array if isinstance(index, ndarray) else index


class _Ufunc:
    def __init__(self, ufunc: numpy.ufunc):
        self._ufunc = ufunc

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _to_device(self._ufunc(*_to_numpy(args), **_to_numpy(kwargs)))

    def at(self, target: ndarray, indices: Any, values: Any = None) -> None:
        if not isinstance(target, ndarray):
            raise HostArrayError("ufunc.at needs a device array to update")
        extra = () if values is None else (_to_numpy(values),)
        self._ufunc.at(target._array, _index(indices), *extra)

    def __getattr__(self, name: str) -> Any:
        return _on_device(getattr(self._ufunc, name))


def asarray(value: Any, dtype: Any = None) -> ndarray:
    """Host or device data to a device array (a host array is copied to the device)."""
    if isinstance(value, ndarray):
        return value if dtype is None or value.dtype == dtype else ndarray(value._array.astype(dtype))
    return ndarray(numpy.array(_from_host(value), dtype=dtype))


def array(value: Any, dtype: Any = None, copy: bool = True) -> ndarray:
    data = value._array if isinstance(value, ndarray) else _from_host(value)
    return ndarray(numpy.array(data, dtype=dtype, copy=copy))


def _from_host(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_from_host(v) for v in value]
    return value._array if isinstance(value, ndarray) else value


def _module() -> types.ModuleType:
    module = types.ModuleType("cupy", __doc__)
    module.__version__ = f"emulated (NumPy {numpy.__version__})"
    module.ndarray = ndarray
    module.asarray = asarray
    module.array = array
    module.get_array_module = lambda *arrays: module
    module.cuda = types.SimpleNamespace(
        runtime=types.SimpleNamespace(
            getDeviceCount=lambda: 1,
            runtimeGetVersion=lambda: 0,  # 0: no CUDA
            getDeviceProperties=lambda i: {"name": b"emulated GPU (NumPy)"},
        ),
        Device=lambda i=0: types.SimpleNamespace(id=0, synchronize=lambda: None),
    )

    def attribute(name: str) -> Any:
        value = getattr(numpy, name)
        if isinstance(value, numpy.ufunc):
            return _Ufunc(value)
        if isinstance(value, (type, types.ModuleType)) or not callable(value):
            return value  # dtypes, constants, numpy.random (host)
        return _on_device(value)

    module.__getattr__ = attribute
    return module


@contextlib.contextmanager
def installed() -> Iterator[types.ModuleType]:
    """``import cupy`` gives the emulated GPU inside the block (never where the real CuPy is installed)."""
    previous = sys.modules.get("cupy")
    module = _module()
    sys.modules["cupy"] = module
    try:
        yield module
    finally:
        if previous is None:
            sys.modules.pop("cupy", None)
        else:
            sys.modules["cupy"] = previous
