"""Exercise 1's public reference: minitorch's ``Dual`` behind the notebook's ``Dual`` API, and minitorch's
central difference."""

from __future__ import annotations

from typing import Any

import minitorch
from minitorch.numerical import central_difference as _central_difference

from . import trusted_class

#: The notebook's Dual methods, each one of minitorch.Dual's.
_METHODS = (
    "__add__",
    "__radd__",
    "__sub__",
    "__rsub__",
    "__mul__",
    "__rmul__",
    "__truediv__",
    "__rtruediv__",
    "__pow__",
    "__rpow__",
    "__neg__",
    "exp",
    "log",
    "sin",
    "cos",
)


def _engine(x: Any) -> Any:
    """A notebook Dual as minitorch's (anything else as it is)."""
    return minitorch.Dual(x.primal, x.tangent) if isinstance(x, Dual) else x


def _adapter(name: str) -> Any:
    rule = getattr(minitorch.Dual, name)

    def method(self: Dual, *operands: Any) -> Dual:
        out = rule(_engine(self), *map(_engine, operands))
        return out if out is NotImplemented else Dual(out.primal, out.tangent)

    method.__name__ = method.__qualname__ = name
    return method


class Dual:
    """The notebook's ``Dual(primal, tangent=0.0)``: float attributes, ``lift``, and every rule minitorch's."""

    def __init__(self, primal: Any, tangent: Any = 0.0):
        self.primal = float(primal)
        self.tangent = float(tangent)

    def __repr__(self) -> str:
        return f"Dual({self.primal!r}, {self.tangent!r})"

    @staticmethod
    def lift(x: Any) -> Dual:
        """A Dual stays itself; a plain number c becomes the constant Dual(c, 0.0)."""
        return x if isinstance(x, Dual) else Dual(x, 0.0)


for _name in _METHODS:
    setattr(Dual, _name, _adapter(_name))
trusted_class(Dual)


def define(namespace: dict) -> dict[str, Any]:
    def derivative(f: Any, x: float) -> float:
        """f'(x) from one evaluation of f on the namespace's Dual (a probe may swap in minitorch's)."""
        out = f(namespace["Dual"](x, 1.0))
        return float(out.tangent) if isinstance(out, (Dual, minitorch.Dual)) else 0.0

    def central_difference(f: Any, x: float, h: float = 1e-6) -> float:
        """minitorch's central difference of step h."""
        return _central_difference(f, x, epsilon=h)

    return {"Dual": Dual, "derivative": derivative, "central_difference": central_difference}
