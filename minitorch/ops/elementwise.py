r"""Elementwise primitives, each with its VJP (``backward``) and JVP written once.

For an elementwise :math:`y = \phi(x)` the Jacobian is diagonal, so both
products are a multiplication by :math:`\phi'(x)`: the VJP is
:math:`\bar x = \bar y \odot \phi'(x)` and the JVP is :math:`\dot y = \phi'(x) \odot \dot x`.
Binary operations broadcast like NumPy; their VJPs sum the gradient back
down to each input's shape (:func:`~minitorch.ops.common.sum_to`).
"""

from __future__ import annotations

from typing import Any

from .. import backend, grad_mode, subgradients
from ..function import ArrayFunction, Context, Function
from ..tensor import Tensor
from .common import add_tangents, array_of, broadcast_error, constant, operands, sum_to, tangent_or_zero


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
    r""":math:`a^b`; partials :math:`b a^{b-1}` and :math:`a^b \ln a` (taken as 0 where :math:`a \le 0`)."""

    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Any:
        out = Tensor._wrap(a.data**b.data)
        ctx.save_for_backward(a, b, out if ctx.needs_input_grad[1] else None)
        return out

    @staticmethod
    def _partials(ctx: Context, a: Tensor, b: Tensor, out: Tensor, need_a: bool, need_b: bool) -> tuple:
        d_a = b * a ** (b - 1) if need_a else None
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


class Unary(ArrayFunction):
    r"""An elementwise :math:`y = \phi(x)`: subclasses give ``compute`` and ``derivative``.

    ``derivative(x, out)`` returns :math:`\phi'(x)` as a tensor, written with
    differentiable operations; it serves both the VJP and the JVP.
    """

    uses_output = False  # does derivative() need out (True) or x (False)?

    @staticmethod
    def compute(xp: Any, x: Any) -> Any:
        raise TypeError("a Unary primitive must define compute(xp, x)")

    @staticmethod
    def derivative(x: Tensor | None, out: Tensor | None) -> Tensor:
        raise TypeError("a Unary primitive must define derivative(x, out)")

    @classmethod
    def forward(cls, ctx: Context, x: Tensor) -> Any:
        out = Tensor._wrap(cls.compute(backend.namespace_of(x.data), x.data))
        ctx.save_for_backward(out if cls.uses_output else x)
        return out

    @classmethod
    def backward(cls, ctx: Context, g: Tensor) -> Tensor:
        (saved,) = ctx.saved_tensors
        return g * (cls.derivative(None, saved) if cls.uses_output else cls.derivative(saved, None))

    @classmethod
    def jvp(cls, ctx: Context, t: Tensor) -> Tensor:
        return cls.derivative(ctx.inputs[0], ctx.output) * t


class Neg(ArrayFunction):
    """:math:`-x`."""

    @staticmethod
    def forward(ctx: Context, x: Tensor) -> Any:
        return -x.data

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> Tensor:
        return -g

    @staticmethod
    def jvp(ctx: Context, t: Tensor) -> Tensor:
        return -t


class Exp(Unary):
    r""":math:`e^x`, whose derivative is itself."""

    uses_output = True
    compute = staticmethod(lambda xp, x: xp.exp(x))
    derivative = staticmethod(lambda x, out: out)


class Log(Unary):
    r""":math:`\ln x`, derivative :math:`1/x`."""

    compute = staticmethod(lambda xp, x: xp.log(x))
    derivative = staticmethod(lambda x, out: 1.0 / x)


class Sqrt(Unary):
    r""":math:`\sqrt x`, derivative :math:`1/(2\sqrt x)`."""

    uses_output = True
    compute = staticmethod(lambda xp, x: xp.sqrt(x))
    derivative = staticmethod(lambda x, out: 0.5 / out)


class Sin(Unary):
    r""":math:`\sin x`, derivative :math:`\cos x`."""

    compute = staticmethod(lambda xp, x: xp.sin(x))
    derivative = staticmethod(lambda x, out: cos(x))


class Cos(Unary):
    r""":math:`\cos x`, derivative :math:`-\sin x`."""

    compute = staticmethod(lambda xp, x: xp.cos(x))
    derivative = staticmethod(lambda x, out: -sin(x))


class Tanh(Unary):
    r""":math:`\tanh x`, derivative :math:`1 - \tanh^2 x`."""

    uses_output = True
    compute = staticmethod(lambda xp, x: xp.tanh(x))
    derivative = staticmethod(lambda x, out: 1.0 - out * out)


def _stable_sigmoid(xp: Any, x: Any) -> Any:
    # exp of a non-positive number never overflows: use exp(-|x|) on both sides.
    z = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z)).astype(x.dtype, copy=False)


class Sigmoid(Unary):
    r""":math:`\sigma(x) = 1/(1 + e^{-x})`, derivative :math:`\sigma(1 - \sigma) \le 1/4`."""

    uses_output = True
    compute = staticmethod(_stable_sigmoid)
    derivative = staticmethod(lambda x, out: out * (1.0 - out))


class Relu(ArrayFunction):
    r""":math:`\max(x, 0)`, with derivative :math:`[x > 0]` plus the policy's value of
    ReLU'(0) at exact zeros (see :mod:`minitorch.subgradients`).

    The plain version keeps its input for backward. The in-place version
    (``inplace=True``) overwrites its input with the output and reads the mask
    from the output instead: :math:`\max(x, 0) > 0` exactly where :math:`x > 0`,
    so nothing is lost and one array fewer is kept alive. Only where ReLU'(0)
    is not 0 does it also keep a boolean mask of the exact zeros, since the
    output cannot tell :math:`x = 0` from :math:`x < 0`.
    """

    @staticmethod
    def kink_distance(x: Tensor, inplace: bool = False) -> float:
        return backend.namespace_of(x.data).abs(x.data).min(initial=float("inf"))

    @staticmethod
    def forward(ctx: Context, x: Tensor, inplace: bool = False) -> Any:
        xp = backend.namespace_of(x.data)
        ctx.kink_value = subgradients.current().relu
        ctx.from_output = inplace
        if not inplace:
            ctx.save_for_backward(x)
            return xp.maximum(x.data, 0)
        ctx.zeros = (x.data == 0) if ctx.kink_value != 0.0 else None
        xp.maximum(x.data, 0, out=x.data)
        x._version += 1
        ctx.save_for_backward(x)
        return x

    @staticmethod
    def slope(ctx: Context, saved: Any) -> Any:
        saved = array_of(saved)
        slope = (saved > 0).astype(saved.dtype)
        if ctx.kink_value != 0.0:
            zeros = ctx.zeros if ctx.from_output else saved == 0
            # Cast: a Python float times a boolean array is float64, which would promote float32 gradients.
            slope += (ctx.kink_value * zeros).astype(saved.dtype)
        return slope

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        (saved,) = ctx.saved_tensors
        return g * Relu.slope(ctx, saved), None

    @staticmethod
    def jvp(ctx: Context, t: Tensor, _: None) -> Tensor:
        return t * Relu.slope(ctx, ctx.output if ctx.from_output else ctx.inputs[0])


class Abs(ArrayFunction):
    r""":math:`|x|`, derivative :math:`\operatorname{sign} x`, and the policy's value at 0."""

    kink_distance = Relu.kink_distance

    @staticmethod
    def forward(ctx: Context, x: Tensor) -> Any:
        xp = backend.namespace_of(x.data)
        sign = xp.sign(x.data)
        at_kink = subgradients.current().abs
        if at_kink != 0.0:
            sign = xp.where(x.data == 0, at_kink, sign).astype(x.data.dtype)
        ctx.sign = sign
        return xp.abs(x.data)

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> Tensor:
        return g * ctx.sign

    @staticmethod
    def jvp(ctx: Context, t: Tensor) -> Tensor:
        return t * ctx.sign


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


class AsType(ArrayFunction):
    """A dtype conversion; the gradient is converted back."""

    @staticmethod
    def forward(ctx: Context, x: Tensor, dtype: Any) -> Any:
        ctx.source_dtype = x.data.dtype
        return x.data.astype(dtype)

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        return astype(g, ctx.source_dtype), None

    @staticmethod
    def jvp(ctx: Context, t: Tensor, _: None) -> Tensor:
        return astype(t, ctx.output.dtype)


class ToDevice(ArrayFunction):
    """A copy to another device; the gradient is copied back."""

    @staticmethod
    def forward(ctx: Context, x: Tensor, device: str) -> Any:
        ctx.source_device = x.device
        return backend.to_device(x.data, device)

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        return to_device(g, ctx.source_device), None

    @staticmethod
    def jvp(ctx: Context, t: Tensor, _: None) -> Tensor:
        return to_device(t, ctx.output.device)


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


def _unary(function: type[Unary], x: Any) -> Any:
    """Apply an elementwise primitive to a tensor, or just compute it on an array."""
    if isinstance(x, Tensor):
        return function.apply(x)
    return function.compute(backend.namespace_of(x), x)


def neg(x: Tensor) -> Tensor:
    return Neg.apply(x) if isinstance(x, Tensor) else -x


def exp(x: Tensor) -> Tensor:
    return _unary(Exp, x)


def log(x: Tensor) -> Tensor:
    return _unary(Log, x)


def sqrt(x: Tensor) -> Tensor:
    return _unary(Sqrt, x)


def sin(x: Tensor) -> Tensor:
    return _unary(Sin, x)


def cos(x: Tensor) -> Tensor:
    return _unary(Cos, x)


def tanh(x: Tensor) -> Tensor:
    return _unary(Tanh, x)


def sigmoid(x: Tensor) -> Tensor:
    return _unary(Sigmoid, x)


def relu(x: Tensor, inplace: bool = False) -> Tensor:
    """:math:`\\max(x, 0)`; with ``inplace=True`` the result overwrites ``x`` (and is ``x``)."""
    if inplace and x.requires_grad and x.grad_fn is None and grad_mode.is_grad_enabled():
        raise RuntimeError(
            f"relu(inplace=True): x (shape {x.shape}) is a leaf that requires grad; overwriting it would "
            "destroy the value its gradient is defined at. Use relu(x), or modify it inside no_grad()."
        )
    return Relu.apply(x, bool(inplace))


def abs(x: Tensor) -> Tensor:  # noqa: A001
    return Abs.apply(x)


def astype(x: Tensor, dtype: Any) -> Tensor:
    if array_of(x).dtype == dtype:
        return x
    return AsType.apply(x, dtype) if isinstance(x, Tensor) else x.astype(dtype)


def to_device(x: Tensor, device: str) -> Tensor:
    return ToDevice.apply(x, device) if isinstance(x, Tensor) else backend.to_device(x, device)


def compare(name: str, a: Any, b: Any) -> Tensor:
    """A comparison (``less``, ``equal``, ...): a constant boolean tensor."""
    a, b = operands(name, a, b)
    xp = backend.namespace_of(a.data)
    try:
        return constant(getattr(xp, name)(a.data, b.data))
    except ValueError:
        raise broadcast_error(name, a.shape, b.shape) from None
