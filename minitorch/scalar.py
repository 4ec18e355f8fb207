r"""Reverse-mode automatic differentiation on scalars.

Every arithmetic operation on :class:`Scalar` records a node of a
computational graph: its value, its parents, and the local partial
derivatives of the primitive with respect to each parent (taken from
:mod:`minitorch.scalar_primitives`, where each rule is written once).
:meth:`Scalar.backward` then visits the graph in reverse topological order
and applies the chain rule,

.. math:: \bar u \mathrel{+}= \bar v \, \frac{\partial v}{\partial u}
          \quad\text{for every edge } u \to v,

starting from :math:`\bar y = 1` at the output.
"""

from __future__ import annotations

import numbers

from . import scalar_primitives as P
from .graph import topological_sort

Number = int | float


def _value_of(x: object, operation: str) -> float:
    """The float value of an operand, or a TypeError that names the operation."""
    if type(x) is float:  # the common case, before the slower checks
        return x
    if isinstance(x, Scalar):
        return x.data
    if isinstance(x, numbers.Real):
        return float(x)
    raise TypeError(f"Scalar {operation}: expected a Scalar or a real number, got {type(x).__name__}")


class Scalar:
    """A real number that remembers how it was computed.

    Attributes:
        data: the value, a Python float.
        grad: :math:`\\partial y / \\partial \\text{self}` after ``y.backward()``.
            Gradients *accumulate* across calls to ``backward`` (as in PyTorch);
            reset them with ``x.grad = 0.0`` before a new backward pass.
        parents: the Scalars this one was computed from (empty for leaves).
        partials: :math:`\\partial\\,\\text{self} / \\partial\\,\\text{parent}` for
            each parent, evaluated when the node was created.
        op: the name of the primitive that made this node ("" for leaves).
    """

    __slots__ = ("data", "grad", "parents", "partials", "op", "_adjoint", "__weakref__")

    def __init__(self, value: Number, *, _parents: tuple = (), _partials: tuple = (), _op: str = ""):
        self.data = _value_of(value, "constructor")
        self.grad = 0.0
        self.parents: tuple[Scalar, ...] = _parents
        self.partials: tuple[float, ...] = _partials
        self.op = _op
        self._adjoint = 0.0

    def __repr__(self) -> str:
        return f"Scalar({self.data!r}, grad={self.grad!r})"

    # Recording primitives. Plain numbers become constants: they take part
    # in the value but get no node, so no gradient flows to them.
    @staticmethod
    def _node(value: float, parents: tuple, partials: tuple, op: str) -> Scalar:
        """A new graph node; the value is already a float, so skip the constructor's checks."""
        node = object.__new__(Scalar)
        node.data = value
        node.grad = 0.0
        node.parents = parents
        node.partials = partials
        node.op = op
        node._adjoint = 0.0
        return node

    def _unary(self, prim: P.Primitive) -> Scalar:
        out = float(prim.value(self.data))
        return Scalar._node(out, (self,), prim.partials(out, self.data), prim.name)

    def _binary(self, prim: P.Primitive, left: object, right: object) -> Scalar:
        a = _value_of(left, prim.name)
        b = _value_of(right, prim.name)
        out = float(prim.value(a, b))
        d_left, d_right = prim.partials(out, a, b)
        if not isinstance(right, Scalar):
            return Scalar._node(out, (left,), (d_left,), prim.name)
        if not isinstance(left, Scalar):
            return Scalar._node(out, (right,), (d_right,), prim.name)
        return Scalar._node(out, (left, right), (d_left, d_right), prim.name)

    def __add__(self, other: object) -> Scalar:
        return self._binary(P.ADD, self, other)

    def __radd__(self, other: object) -> Scalar:
        return self._binary(P.ADD, other, self)

    def __sub__(self, other: object) -> Scalar:
        return self._binary(P.SUB, self, other)

    def __rsub__(self, other: object) -> Scalar:
        return self._binary(P.SUB, other, self)

    def __mul__(self, other: object) -> Scalar:
        return self._binary(P.MUL, self, other)

    def __rmul__(self, other: object) -> Scalar:
        return self._binary(P.MUL, other, self)

    def __truediv__(self, other: object) -> Scalar:
        return self._binary(P.DIV, self, other)

    def __rtruediv__(self, other: object) -> Scalar:
        return self._binary(P.DIV, other, self)

    def __pow__(self, other: object) -> Scalar:
        return self._binary(P.POW, self, other)

    def __rpow__(self, other: object) -> Scalar:
        return self._binary(P.POW, other, self)

    def __neg__(self) -> Scalar:
        return self._unary(P.NEG)

    def exp(self) -> Scalar:
        r""":math:`e^x`, with :math:`\frac{d}{dx} e^x = e^x`."""
        return self._unary(P.EXP)

    def log(self) -> Scalar:
        r""":math:`\ln x` for :math:`x > 0`, with derivative :math:`1/x`."""
        return self._unary(P.LOG)

    def sin(self) -> Scalar:
        r""":math:`\sin x`, with derivative :math:`\cos x`."""
        return self._unary(P.SIN)

    def cos(self) -> Scalar:
        r""":math:`\cos x`, with derivative :math:`-\sin x`."""
        return self._unary(P.COS)

    def tanh(self) -> Scalar:
        r""":math:`\tanh x`, with derivative :math:`1 - \tanh^2 x`."""
        return self._unary(P.TANH)

    def sigmoid(self) -> Scalar:
        r""":math:`\sigma(x) = 1/(1+e^{-x})`, with derivative :math:`\sigma(1-\sigma)`."""
        return self._unary(P.SIGMOID)

    def relu(self) -> Scalar:
        r""":math:`\max(x, 0)`; its derivative is 1 for :math:`x > 0` and 0 otherwise (0 at the kink)."""
        return self._unary(P.RELU)

    def backward(self) -> None:
        r"""Accumulate :math:`\partial\,\text{self}/\partial v` into ``v.grad`` for every node v.

        Adjoints start at :math:`\bar y = 1` for this node and 0 elsewhere. In
        reverse topological order each node's adjoint is complete before it
        is used (all of its consumers come later in the forward order), so
        it is added to ``.grad`` and pushed to the parents through the local
        partials. Adding (``+=``) rather than assigning is what makes fan-out
        correct: a node used twice receives a contribution along each path.
        """
        order = topological_sort(self)
        for node in order:
            node._adjoint = 0.0
        self._adjoint = 1.0
        for node in reversed(order):
            adjoint = node._adjoint
            node.grad += adjoint
            partials = node.partials
            for i, parent in enumerate(node.parents):
                parent._adjoint += adjoint * partials[i]
