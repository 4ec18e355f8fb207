r"""Elementwise functions of one tensor, each with its VJP (``backward``) and JVP written once.

For an elementwise :math:`y = \phi(x)` the Jacobian is diagonal, so both
products are a multiplication by :math:`\phi'(x)`: the VJP is
:math:`\bar x = \bar y \odot \phi'(x)` and the JVP is :math:`\dot y = \phi'(x) \odot \dot x`.
"""

from __future__ import annotations

from typing import Any

import numpy

from .. import backend, grad_mode, subgradients
from ..function import ArrayFunction, Context
from ..tensor import Tensor
from .common import array_of, check_in_place_write, to_tensor


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
    def of(cls, x: Any) -> Any:
        r""":math:`\phi(x)` of a tensor (recorded) or, in a rule running on arrays, of an array."""
        if isinstance(x, Tensor):
            return cls.apply(x)
        return cls.compute(backend.namespace_of(x), x)

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
    derivative = staticmethod(lambda x, out: Cos.of(x))


class Cos(Unary):
    r""":math:`\cos x`, derivative :math:`-\sin x`."""

    compute = staticmethod(lambda xp, x: xp.cos(x))
    derivative = staticmethod(lambda x, out: -Sin.of(x))


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
        x._modified_in_place()
        ctx.save_for_backward(x)
        return x

    @staticmethod
    def slope(ctx: Context, saved: Any) -> Any:
        saved = array_of(saved)
        if ctx.kink_value == 0.0:
            return saved > 0  # a boolean mask: multiplying by it casts on the fly, with no float copy
        zeros = ctx.zeros if ctx.from_output else saved == 0
        # Cast: a Python float times a boolean array is float64, which would promote float32 gradients.
        return (saved > 0).astype(saved.dtype) + (ctx.kink_value * zeros).astype(saved.dtype)

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


class AsType(ArrayFunction):
    """A dtype conversion; the gradient is converted back."""

    @staticmethod
    def forward(ctx: Context, x: Tensor, dtype: Any) -> Any:
        ctx.source_dtype = x.data.dtype
        return x.data.astype(dtype)

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        return g.astype(ctx.source_dtype), None

    @staticmethod
    def jvp(ctx: Context, t: Tensor, _: None) -> Tensor:
        return t.astype(ctx.output.dtype)


class ToDevice(ArrayFunction):
    """A copy to another device; the gradient is copied back."""

    @staticmethod
    def forward(ctx: Context, x: Tensor, device: str) -> Any:
        ctx.source_device = x.device
        return backend.to_device(x.data, device)

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        return ToDevice.of(g, ctx.source_device), None

    @staticmethod
    def jvp(ctx: Context, t: Tensor, _: None) -> Tensor:
        return to_device(t, ctx.output.device)


# --- the functions users call: tensors in, tensors out -----------------------------
def neg(x: Tensor) -> Tensor:
    """:math:`-x`."""
    return Neg.apply(to_tensor(x, "neg"))


def exp(x: Tensor) -> Tensor:
    """:math:`e^x`, elementwise."""
    return Exp.apply(to_tensor(x, "exp"))


def log(x: Tensor) -> Tensor:
    r""":math:`\ln x`, elementwise."""
    return Log.apply(to_tensor(x, "log"))


def sqrt(x: Tensor) -> Tensor:
    r""":math:`\sqrt x`, elementwise."""
    return Sqrt.apply(to_tensor(x, "sqrt"))


def sin(x: Tensor) -> Tensor:
    r""":math:`\sin x`, elementwise."""
    return Sin.apply(to_tensor(x, "sin"))


def cos(x: Tensor) -> Tensor:
    r""":math:`\cos x`, elementwise."""
    return Cos.apply(to_tensor(x, "cos"))


def tanh(x: Tensor) -> Tensor:
    r""":math:`\tanh x`, elementwise."""
    return Tanh.apply(to_tensor(x, "tanh"))


def sigmoid(x: Tensor) -> Tensor:
    r""":math:`\sigma(x) = 1/(1 + e^{-x})`, elementwise."""
    return Sigmoid.apply(to_tensor(x, "sigmoid"))


def relu(x: Tensor, inplace: bool = False) -> Tensor:
    """:math:`\\max(x, 0)`; with ``inplace=True`` the result overwrites ``x`` (and is ``x``)."""
    x = to_tensor(x, "relu")
    if inplace:
        check_in_place_write("relu(inplace=True)", x, recorded=x.requires_grad and grad_mode.is_grad_enabled())
    return Relu.apply(x, bool(inplace))


def abs(x: Tensor) -> Tensor:
    """:math:`|x|`, elementwise."""
    return Abs.apply(to_tensor(x, "abs"))


def astype(x: Tensor, dtype: Any) -> Tensor:
    """``x`` converted to ``dtype``; differentiable between floating types only.

    A cast to an integer or boolean dtype is a step function: its result is a
    constant, with no graph and no tangent (as in PyTorch).
    """
    x = to_tensor(x, "astype")
    if x.dtype == dtype:
        return x
    if numpy.dtype(dtype).kind not in "fc":
        return Tensor._wrap(x.data.astype(dtype))
    return AsType.apply(x, dtype)


def to_device(x: Tensor, device: str) -> Tensor:
    """``x`` on ``device``; the gradient is copied back."""
    return ToDevice.apply(to_tensor(x, "to_device"), device)
