r"""Forward-mode automatic differentiation with dual numbers.

A dual number :math:`a + b\varepsilon` with :math:`\varepsilon^2 = 0` carries a
value (the *primal*) and a directional derivative (the *tangent*). Taylor's
theorem gives :math:`f(a + b\varepsilon) = f(a) + f'(a)\,b\,\varepsilon`, so
evaluating a program on duals computes its derivative alongside its value in
one pass. Each primitive's partials come from :mod:`minitorch.scalar_primitives`,
the same rules the reverse-mode :class:`minitorch.Scalar` uses.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

from . import scalar_primitives as P


def _split(x: object, operation: str) -> tuple[float, float]:
    """(primal, tangent) of an operand; plain numbers are constants (tangent 0)."""
    if isinstance(x, Dual):
        return x.primal, x.tangent
    if isinstance(x, numbers.Real):
        return float(x), 0.0
    raise TypeError(f"Dual {operation}: expected a Dual or a real number, got {type(x).__name__}")


class Dual:
    r"""A dual number :math:`\text{primal} + \text{tangent}\,\varepsilon`."""

    __slots__ = ("primal", "tangent")

    def __init__(self, primal: float, tangent: float = 0.0):
        self.primal = _split(primal, "constructor")[0]
        self.tangent = _split(tangent, "constructor")[0]

    def __repr__(self) -> str:
        return f"Dual({self.primal!r}, {self.tangent!r})"

    def _apply(self, prim: P.Primitive, *operands: object) -> Dual:
        r""":math:`\phi(u) + \big(\sum_i \partial_i\phi(u)\,\dot u_i\big)\varepsilon`."""
        primals, tangents = zip(*(_split(x, prim.name) for x in operands))
        out = prim.value(*primals)
        partials = prim.partials(out, *primals)
        # Skip zero tangents so that a constant exponent's partial (ln of a
        # negative base, say) never multiplies anything.
        tangent = sum(d * t for d, t in zip(partials, tangents) if t != 0.0)
        return Dual(out, tangent)

    def __add__(self, other: object) -> Dual:
        return self._apply(P.ADD, self, other)

    def __radd__(self, other: object) -> Dual:
        return self._apply(P.ADD, other, self)

    def __sub__(self, other: object) -> Dual:
        return self._apply(P.SUB, self, other)

    def __rsub__(self, other: object) -> Dual:
        return self._apply(P.SUB, other, self)

    def __mul__(self, other: object) -> Dual:
        return self._apply(P.MUL, self, other)

    def __rmul__(self, other: object) -> Dual:
        return self._apply(P.MUL, other, self)

    def __truediv__(self, other: object) -> Dual:
        return self._apply(P.DIV, self, other)

    def __rtruediv__(self, other: object) -> Dual:
        return self._apply(P.DIV, other, self)

    def __pow__(self, other: object) -> Dual:
        return self._apply(P.POW, self, other)

    def __rpow__(self, other: object) -> Dual:
        return self._apply(P.POW, other, self)

    def __neg__(self) -> Dual:
        return self._apply(P.NEG, self)

    def exp(self) -> Dual:
        r""":math:`e^x`; tangent :math:`e^x \dot x`."""
        return self._apply(P.EXP, self)

    def log(self) -> Dual:
        r""":math:`\ln x`; tangent :math:`\dot x / x`."""
        return self._apply(P.LOG, self)

    def sin(self) -> Dual:
        r""":math:`\sin x`; tangent :math:`\cos(x)\,\dot x`."""
        return self._apply(P.SIN, self)

    def cos(self) -> Dual:
        r""":math:`\cos x`; tangent :math:`-\sin(x)\,\dot x`."""
        return self._apply(P.COS, self)

    def tanh(self) -> Dual:
        r""":math:`\tanh x`; tangent :math:`(1 - \tanh^2 x)\,\dot x`."""
        return self._apply(P.TANH, self)

    def sigmoid(self) -> Dual:
        r""":math:`\sigma(x)`; tangent :math:`\sigma(1-\sigma)\,\dot x`."""
        return self._apply(P.SIGMOID, self)

    def relu(self) -> Dual:
        r""":math:`\max(x, 0)`; tangent :math:`\dot x` for :math:`x > 0`, else 0."""
        return self._apply(P.RELU, self)


def derivative(f: Callable[[Dual], object], x: float) -> float:
    r""":math:`f'(x)` from one forward pass: seed :math:`\dot x = 1` and read the output tangent.

    ``f`` must be written with operators and Dual methods (``x.sin()``, ...).
    A result that does not depend on ``x`` (a plain number) has derivative 0.
    """
    result = f(Dual(x, 1.0))
    if isinstance(result, Dual):
        return result.tangent
    _split(result, "derivative")  # a plain number is fine; anything else is an error
    return 0.0
