r"""Layers: :class:`Linear`, the activations, and the :class:`Sequential` container."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from typing import Any

import numpy

from .. import backend, creation
from ..tensor import Tensor
from . import functional as F
from .module import Module
from .parameter import Parameter


def _uniform(shape: tuple[int, ...], bound: float, dtype: Any, device: str = "cpu") -> Parameter:
    r"""A parameter with entries drawn from :math:`U(-\text{bound}, \text{bound})`.

    The draws come from minitorch's generator (:func:`minitorch.rand`), so
    :func:`minitorch.manual_seed` makes every model's initialization
    reproducible. They are drawn in float64 and then rounded, so the same seed
    gives the same weights (up to rounding) in every dtype.
    """
    u = creation.rand(*shape, dtype=numpy.float64).data
    return Parameter(backend.to_device(((2.0 * u - 1.0) * bound).astype(dtype), device))


class Linear(Module):
    r"""The affine layer :math:`y = x W^\top + b`, with ``weight`` :math:`W` of shape ``(out, in)``.

    Initialization is PyTorch's default, Kaiming-uniform with :math:`a = \sqrt 5`:
    :math:`W_{ij}, b_i \sim U(-1/\sqrt{n_\text{in}}, 1/\sqrt{n_\text{in}})`, so that
    :math:`\operatorname{Var} W_{ij} = 1/(3 n_\text{in})` and each output starts with a
    variance independent of the layer's width. The weights are drawn on the host (so a seed gives the same
    model everywhere) and placed on ``device``.
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, dtype: Any = numpy.float64, device: str = "cpu"
    ):
        super().__init__()
        for size in (in_features, out_features):
            if not isinstance(size, numbers.Integral) or isinstance(size, bool) or size < 1:
                raise ValueError(
                    f"Linear: in_features and out_features must be positive integers, got "
                    f"{in_features!r} and {out_features!r}"
                )
        self.in_features = in_features
        self.out_features = out_features
        bound = 1.0 / math.sqrt(in_features)
        backend.array_module(device)  # validates the name before drawing
        self.weight = _uniform((out_features, in_features), bound, dtype, device)
        self.bias = _uniform((out_features,), bound, dtype, device) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class ReLU(Module):
    r""":math:`\max(x, 0)` elementwise.

    ``inplace=True`` overwrites the input with the output (PyTorch's option):
    one activation-sized array less per layer, for inputs nothing else needs.
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    r""":math:`\sigma(x) = 1/(1 + e^{-x})` elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    r""":math:`\tanh x` elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class Sequential(Module):
    r"""Modules applied one after the other: :math:`f_n \circ \dots \circ f_1`.

    The modules are registered under the names ``"0"``, ``"1"``, ... (so the
    parameters are named ``"0.weight"``, ...); ``model[i]``, ``len(model)`` and
    iteration work as on a list.
    """

    def __init__(self, *modules: Module):
        super().__init__()
        for i, module in enumerate(modules):
            self.add_module(str(i), module)

    def __getitem__(self, index: int) -> Module:
        layers = list(self._modules.values())
        return layers[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x
