"""The :class:`Parameter`: a tensor that a :class:`~minitorch.nn.Module` owns and an optimizer updates."""

from __future__ import annotations

from typing import Any

from ..creation import tensor
from ..tensor import Tensor


class Parameter(Tensor):
    r"""A leaf tensor that requires grad and that modules register automatically.

    A parameter is an ordinary :class:`~minitorch.Tensor` in every computation;
    the subclass only marks it, so that assigning one as a module attribute
    (``self.weight = Parameter(...)``) adds it to ``module.parameters()``.
    It is always a *leaf* (:math:`\theta` itself, not something computed from it),
    so ``backward`` accumulates :math:`\partial L/\partial\theta` into ``.grad`` and an
    optimizer may overwrite ``.data`` in place.

    ``Parameter(t)`` for a tensor ``t`` (or an array) shares its memory, like
    PyTorch, but not its graph; nested lists are copied as by :func:`minitorch.tensor`.
    """

    # Tensor uses __slots__; an empty __slots__ keeps parameters just as small.
    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True):
        source = data if isinstance(data, Tensor) else None
        if source is not None:
            data = data.data  # the array only: a parameter is never part of an existing graph
        elif not hasattr(data, "dtype"):
            data = tensor(data).data  # numbers and nested lists: float64, as minitorch.tensor makes them
        super().__init__(data, requires_grad=requires_grad)
        if source is not None:
            self._alias_of(source)  # the same memory, so the same version counter

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
