r"""Arithmetic with two operands (and ``where``), each rule written once for VJP and JVP.

The operands broadcast like NumPy. Each input's share of the gradient is the
local partial derivative times the output's gradient, summed back down to the
input's own shape (:func:`~minitorch.ops.common.sum_to`), since an input that
was broadcast took part in many output elements:
:math:`\bar a = \operatorname{sum\_to}(\bar y \odot \partial y/\partial a,\ \text{shape}(a))`.
"""

from __future__ import annotations

from typing import Any

from .. import backend, subgradients
from ..function import ArrayFunction, Context, Function
from ..tensor import Tensor
from .common import add_tangents, array_of, broadcast_error, constant, operands, sum_to, tangent_or_zero
from .elementwise import log

def _binary(function: type[Function], a: Any, b: Any) -> Tensor:
    name = function.__name__.lower()
    a, b = operands(name, a, b)
    try:
        return function.apply(a, b)
    except ValueError:
        xp = backend.namespace_of(a.data)
        try:
            xp.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise broadcast_error(name, a.shape, b.shape) from None
        raise


class Add(ArrayFunction):
    """:math:`a + b`; both partials are 1."""

    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Any:
        return a.data + b.data

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        shape_a, shape_b = ctx.input_shapes
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g, shape_a) if need_a else None), (sum_to(g, shape_b) if need_b else None)

    @staticmethod
    def jvp(ctx: Context, ta: Tensor | None, tb: Tensor | None) -> Tensor:
        return tangent_or_zero(add_tangents(ta, tb), ctx.output.shape)


class Sub(ArrayFunction):
    """:math:`a - b`; partials 1 and -1."""

    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Any:
        return a.data - b.data

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        shape_a, shape_b = ctx.input_shapes
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g, shape_a) if need_a else None), (sum_to(-g, shape_b) if need_b else None)

    @staticmethod
    def jvp(ctx: Context, ta: Tensor | None, tb: Tensor | None) -> Tensor:
        return tangent_or_zero(add_tangents(ta, None if tb is None else -tb), ctx.output.shape)


class Mul(ArrayFunction):
    """:math:`a b`; partials :math:`b` and :math:`a`."""

    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Any:
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b if ctx.needs_input_grad[0] else None)
        return a.data * b.data

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        shape_a, shape_b = ctx.input_shapes
        return (sum_to(g * b, shape_a) if ctx.needs_input_grad[0] else None,
                sum_to(g * a, shape_b) if ctx.needs_input_grad[1] else None)

    @staticmethod
    def jvp(ctx: Context, ta: Tensor | None, tb: Tensor | None) -> Tensor:
        a, b = ctx.inputs
        return tangent_or_zero(add_tangents(None if ta is None else ta * b, None if tb is None else a * tb),
                               ctx.output.shape)


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
        shape_a, shape_b = ctx.input_shapes
        g_over_b = g / b
        return (sum_to(g_over_b, shape_a) if ctx.needs_input_grad[0] else None,
                sum_to(-g_over_b * out, shape_b) if ctx.needs_input_grad[1] else None)

    @staticmethod
    def jvp(ctx: Context, ta: Tensor | None, tb: Tensor | None) -> Tensor:
        _, b = ctx.inputs
        numerator = add_tangents(ta, None if tb is None else -ctx.output * tb)
        return tangent_or_zero(numerator / b, ctx.output.shape)


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
        safe_a = where(singular, 1.0, a)
        return where(singular, 0.0, b * safe_a ** (b - 1))

    @staticmethod
    def _partials(ctx: Context, a: Tensor, b: Tensor, out: Tensor, need_a: bool, need_b: bool) -> tuple:
        d_a = Pow._base_partial(a, b) if need_a else None
        if need_b:
            positive = array_of(a) > 0
            safe_a = where(positive, a, 1.0)  # ln a only where it is defined
            d_b = where(positive, out * log(safe_a), 0.0)
        else:
            d_b = None
        return d_a, d_b

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        a, b, out = ctx.saved_tensors
        d_a, d_b = Pow._partials(ctx, a, b, out, *ctx.needs_input_grad)
        shape_a, shape_b = ctx.input_shapes
        return (None if d_a is None else sum_to(g * d_a, shape_a),
                None if d_b is None else sum_to(g * d_b, shape_b))

    @staticmethod
    def jvp(ctx: Context, ta: Tensor | None, tb: Tensor | None) -> Tensor:
        a, b = ctx.inputs
        d_a, d_b = Pow._partials(ctx, a, b, ctx.output, ta is not None, tb is not None)
        return tangent_or_zero(add_tangents(None if ta is None else d_a * ta, None if tb is None else d_b * tb),
                               ctx.output.shape)


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
        shape_a, shape_b = ctx.input_shapes
        return (sum_to(g * ctx.a_wins, shape_a) if ctx.needs_input_grad[0] else None,
                sum_to(g * (1.0 - ctx.a_wins), shape_b) if ctx.needs_input_grad[1] else None)

    @staticmethod
    def jvp(ctx: Context, ta: Tensor | None, tb: Tensor | None) -> Tensor:
        return tangent_or_zero(add_tangents(None if ta is None else ta * ctx.a_wins,
                                            None if tb is None else tb * (1.0 - ctx.a_wins)), ctx.output.shape)


class Where(ArrayFunction):
    r"""``where(condition, a, b)``: the gradient goes to ``a`` where the condition holds, else to ``b``."""

    @staticmethod
    def forward(ctx: Context, condition: Tensor, a: Tensor, b: Tensor) -> Any:
        xp = backend.namespace_of(a.data)
        ctx.condition = condition.data
        return xp.where(condition.data, a.data, b.data)

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        _, shape_a, shape_b = ctx.input_shapes
        return (None,
                sum_to(where(ctx.condition, g, 0.0), shape_a) if ctx.needs_input_grad[1] else None,
                sum_to(where(ctx.condition, 0.0, g), shape_b) if ctx.needs_input_grad[2] else None)

    @staticmethod
    def jvp(ctx: Context, tc: Tensor | None, ta: Tensor | None, tb: Tensor | None) -> Tensor:
        selected = where(ctx.condition, 0.0 if ta is None else ta, 0.0 if tb is None else tb)
        return tangent_or_zero(selected, ctx.output.shape)


# --- the functions users call -----------------------------------------------
def add(a: Any, b: Any) -> Tensor:
    """Elementwise :math:`a + b` with broadcasting."""
    return _binary(Add, a, b)


def sub(a: Any, b: Any) -> Tensor:
    """Elementwise :math:`a - b` with broadcasting."""
    return _binary(Sub, a, b)


def mul(a: Any, b: Any) -> Tensor:
    """Elementwise :math:`a b` with broadcasting."""
    return _binary(Mul, a, b)


def div(a: Any, b: Any) -> Tensor:
    """Elementwise :math:`a / b` with broadcasting."""
    return _binary(Div, a, b)


def pow(a: Any, b: Any) -> Tensor:  # noqa: A001 (mirrors NumPy's name)
    """Elementwise :math:`a^b`; the exponent may be a number or a tensor."""
    return _binary(Pow, a, b)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise :math:`\\max(a, b)` with broadcasting."""
    return _binary(Maximum, a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise :math:`\\min(a, b) = -\\max(-a, -b)`."""
    a, b = operands("minimum", a, b)
    try:
        return -maximum(-a, -b)
    except ValueError:
        # Name the function the user called, not the maximum it is built from.
        try:
            backend.namespace_of(a.data).broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise broadcast_error("minimum", a.shape, b.shape) from None
        raise


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``condition`` is true, else ``b`` (broadcast together)."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        xp = backend.namespace_of(array_of(condition))
        return xp.where(array_of(condition), a, b)  # arrays: a derivative rule running on arrays
    a, b = operands("where", a, b)
    condition = condition if isinstance(condition, Tensor) else constant(backend.namespace_of(a.data).asarray(condition))
    try:
        return Where.apply(condition, a, b)
    except ValueError:
        raise broadcast_error("where", condition.shape, a.shape, b.shape) from None


def compare(name: str, a: Any, b: Any) -> Tensor:
    """A comparison (``less``, ``equal``, ...): a constant boolean tensor."""
    a, b = operands(name, a, b)
    xp = backend.namespace_of(a.data)
    try:
        return constant(getattr(xp, name)(a.data, b.data))
    except ValueError:
        raise broadcast_error(name, a.shape, b.shape) from None
