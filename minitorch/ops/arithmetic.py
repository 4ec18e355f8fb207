r"""Arithmetic with two operands (and ``where``), each rule written once for VJP and JVP.

The operands broadcast like NumPy, but the rules never see it: an operand
that needs a derivative and is smaller than the result is first broadcast by
an explicit :func:`~minitorch.ops.shape.broadcast_to` node (as tinygrad
does), whose VJP sums the gradient back down to the operand's shape. So each
rule is just the local partial derivative times the output's gradient,
:math:`\bar a = \bar y \odot \partial y/\partial a`.
"""

from __future__ import annotations

from typing import Any

from .. import backend, subgradients
from ..function import ArrayFunction, Context, Function
from ..tensor import Tensor
from .common import (
    add_tangents,
    array_of,
    broadcast_explicitly,
    broadcast_shape,
    constant,
    is_plain_number,
    operands,
    to_tensor,
)
from .elementwise import Log


def _binary(function: type[Function], name: str, a: Any, b: Any) -> Tensor:
    a, b = operands(name, a, b)
    if a.data.shape != b.data.shape and not (is_plain_number(b) or is_plain_number(a)):
        a, b = broadcast_explicitly(name, a, b)
    return function.apply(a, b)


class Add(ArrayFunction):
    """:math:`a + b`; both partials are 1."""

    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Any:
        return a.data + b.data

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        return g, g

    @staticmethod
    def jvp(ctx: Context, ta: Tensor | None, tb: Tensor | None) -> Tensor:
        return add_tangents(ta, tb)


class Sub(ArrayFunction):
    """:math:`a - b`; partials 1 and -1."""

    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Any:
        return a.data - b.data

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        return g, (-g if ctx.needs_input_grad[1] else None)

    @staticmethod
    def jvp(ctx: Context, ta: Tensor | None, tb: Tensor | None) -> Tensor:
        return add_tangents(ta, None if tb is None else -tb)


class Mul(ArrayFunction):
    """:math:`a b`; partials :math:`b` and :math:`a`."""

    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Any:
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b if ctx.needs_input_grad[0] else None)
        return a.data * b.data

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        return (g * b if ctx.needs_input_grad[0] else None), (g * a if ctx.needs_input_grad[1] else None)

    @staticmethod
    def jvp(ctx: Context, ta: Tensor | None, tb: Tensor | None) -> Tensor:
        a, b = ctx.inputs
        return add_tangents(None if ta is None else ta * b, None if tb is None else a * tb)


class Div(ArrayFunction):
    r""":math:`a / b`; partials :math:`1/b` and :math:`-a/b^2 = -\text{out}/b`."""

    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Any:
        out = Tensor._wrap(a.data / b.data)
        ctx.save_for_backward(b, out if ctx.needs_input_grad[1] else None)
        return out

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        b, out = ctx.saved_tensors
        g_over_b = g / b
        return g_over_b, (-g_over_b * out if ctx.needs_input_grad[1] else None)

    @staticmethod
    def jvp(ctx: Context, ta: Tensor | None, tb: Tensor | None) -> Tensor:
        _, b = ctx.inputs
        return add_tangents(ta, None if tb is None else -ctx.output * tb) / b


class Pow(ArrayFunction):
    r""":math:`a^b`; partials :math:`b a^{b-1}` and :math:`a^b \ln a` (taken as 0 where :math:`a \le 0`).

    Where :math:`b = 0` the first partial is 0 even at :math:`a = 0`
    (:math:`a^0 = 1` is constant), although the formula there reads
    :math:`0 \cdot 0^{-1} = 0 \cdot \infty`. Every derivative of an integer
    power reaches that case at 0: the third derivative of :math:`x^2` is
    :math:`2 \cdot 1 \cdot 0 \cdot x^{-1}`, which is 0, not NaN.
    """

    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Any:
        out = Tensor._wrap(a.data**b.data)
        ctx.save_for_backward(a, b, out if ctx.needs_input_grad[1] else None)
        return out

    @staticmethod
    def _base_partial(a: Tensor, b: Tensor) -> Tensor:
        r""":math:`b a^{b-1}`, and 0 where :math:`a = b = 0` (the limit, not :math:`0 \cdot \infty`)."""
        singular = (array_of(b) == 0) & (array_of(a) == 0)
        if not singular.any():
            return b * a ** (b - 1)
        # Both branches of where are evaluated and differentiated: give the unused one a harmless base.
        safe_a = Where.of(singular, 1.0, a)
        return Where.of(singular, 0.0, b * safe_a ** (b - 1))

    @staticmethod
    def _partials(ctx: Context, a: Tensor, b: Tensor, out: Tensor, need_a: bool, need_b: bool) -> tuple:
        d_a = Pow._base_partial(a, b) if need_a else None
        if need_b:
            positive = array_of(a) > 0
            safe_a = Where.of(positive, a, 1.0)  # ln a only where it is defined
            d_b = Where.of(positive, out * Log.of(safe_a), 0.0)
        else:
            d_b = None
        return d_a, d_b

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        a, b, out = ctx.saved_tensors
        d_a, d_b = Pow._partials(ctx, a, b, out, *ctx.needs_input_grad)
        return (None if d_a is None else g * d_a), (None if d_b is None else g * d_b)

    @staticmethod
    def jvp(ctx: Context, ta: Tensor | None, tb: Tensor | None) -> Tensor:
        a, b = ctx.inputs
        d_a, d_b = Pow._partials(ctx, a, b, ctx.output, ta is not None, tb is not None)
        return add_tangents(None if ta is None else d_a * ta, None if tb is None else d_b * tb)


class Maximum(ArrayFunction):
    r""":math:`\max(a, b)` elementwise; where they tie the gradient is shared
    as the subgradient policy says (evenly by default)."""

    @staticmethod
    def kink_distance(a: Tensor, b: Tensor) -> float:
        return backend.namespace_of(a.data).abs(a.data - b.data).min(initial=float("inf"))

    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Any:
        xp = backend.namespace_of(a.data)
        tie_share = 0.5 if subgradients.current().max == "split" else 1.0
        dtype = xp.result_type(a.data, b.data)
        ctx.a_wins = ((a.data > b.data) + tie_share * (a.data == b.data)).astype(dtype)
        return xp.maximum(a.data, b.data)

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        return (
            g * ctx.a_wins if ctx.needs_input_grad[0] else None,
            g * (1.0 - ctx.a_wins) if ctx.needs_input_grad[1] else None,
        )

    @staticmethod
    def jvp(ctx: Context, ta: Tensor | None, tb: Tensor | None) -> Tensor:
        return add_tangents(None if ta is None else ta * ctx.a_wins, None if tb is None else tb * (1.0 - ctx.a_wins))


class Where(ArrayFunction):
    r"""``where(condition, a, b)``: the gradient goes to ``a`` where the condition holds, else to ``b``."""

    @staticmethod
    def forward(ctx: Context, condition: Tensor, a: Tensor, b: Tensor) -> Any:
        xp = backend.namespace_of(a.data)
        ctx.condition = condition.data
        return xp.where(condition.data, a.data, b.data)

    @classmethod
    def of(cls, condition: Any, a: Any, b: Any) -> Any:
        """``where`` on tensors (recorded) or, in a rule running on arrays, on arrays and numbers."""
        if isinstance(a, Tensor) or isinstance(b, Tensor):
            return where(condition, a, b)
        return backend.namespace_of(array_of(condition)).where(array_of(condition), a, b)

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        return (
            None,
            Where.of(ctx.condition, g, 0.0) if ctx.needs_input_grad[1] else None,
            Where.of(ctx.condition, 0.0, g) if ctx.needs_input_grad[2] else None,
        )

    @staticmethod
    def jvp(ctx: Context, tc: Tensor | None, ta: Tensor | None, tb: Tensor | None) -> Tensor:
        return where(ctx.condition, 0.0 if ta is None else ta, 0.0 if tb is None else tb)


# --- the functions users call -----------------------------------------------
def add(a: Any, b: Any) -> Tensor:
    """Elementwise :math:`a + b` with broadcasting."""
    return _binary(Add, "add", a, b)


def sub(a: Any, b: Any) -> Tensor:
    """Elementwise :math:`a - b` with broadcasting."""
    return _binary(Sub, "sub", a, b)


def mul(a: Any, b: Any) -> Tensor:
    """Elementwise :math:`a b` with broadcasting."""
    return _binary(Mul, "mul", a, b)


def div(a: Any, b: Any) -> Tensor:
    """Elementwise :math:`a / b` with broadcasting."""
    return _binary(Div, "div", a, b)


def pow(a: Any, b: Any) -> Tensor:
    """Elementwise :math:`a^b`; the exponent may be a number or a tensor."""
    return _binary(Pow, "pow", a, b)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise :math:`\\max(a, b)` with broadcasting."""
    return _binary(Maximum, "maximum", a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise :math:`\\min(a, b) = -\\max(-a, -b)`."""
    a, b = operands("minimum", a, b)
    if a.shape != b.shape:
        a, b = broadcast_explicitly("minimum", a, b)  # an error names minimum, not the maximum it is built from
    return -maximum(-a, -b)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``condition`` is true, else ``b`` (broadcast together)."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = to_tensor(a, "where")
    a, b = operands("where", a, b)
    condition = (
        condition if isinstance(condition, Tensor) else constant(backend.namespace_of(a.data).asarray(condition))
    )
    condition, a, b = broadcast_explicitly("where", condition, a, b)
    return Where.apply(condition, a, b)


def compare(name: str, a: Any, b: Any) -> Tensor:
    """A comparison (``less``, ``equal``, ...): a constant boolean tensor."""
    a, b = operands(name, a, b)
    xp = backend.namespace_of(a.data)
    if a.shape != b.shape:
        broadcast_shape(name, a, b)  # raises, naming the operation, if the shapes do not fit
    return constant(getattr(xp, name)(a.data, b.data))
