"""Custom primitives: subclassing :class:`minitorch.Function`."""

from __future__ import annotations

import numpy as np
import pytest

import minitorch
from minitorch import Context, Function


class Cube(Function):
    r""":math:`x^3`, with :math:`\bar x = 3x^2 \bar y` and :math:`\dot y = 3x^2 \dot x`."""

    @staticmethod
    def forward(ctx: Context, x: minitorch.Tensor) -> np.ndarray:
        ctx.save_for_backward(x)
        return x.data**3

    @staticmethod
    def backward(ctx: Context, g: minitorch.Tensor) -> minitorch.Tensor:
        (x,) = ctx.saved_tensors
        return g * 3.0 * x * x  # tensor operations, so it can be differentiated again

    @staticmethod
    def jvp(ctx: Context, t: minitorch.Tensor) -> minitorch.Tensor:
        (x,) = ctx.inputs
        return 3.0 * x * x * t


class ScaledDifference(Function):
    r"""Two inputs and a non-tensor argument: :math:`s (a - b)`."""

    @staticmethod
    def forward(ctx: Context, a: minitorch.Tensor, b: minitorch.Tensor, s: float) -> np.ndarray:
        ctx.scale = s
        return s * (a.data - b.data)

    @staticmethod
    def backward(ctx: Context, g: minitorch.Tensor) -> tuple:
        return (
            g * ctx.scale if ctx.needs_input_grad[0] else None,
            -g * ctx.scale if ctx.needs_input_grad[1] else None,
            None,
        )

    @staticmethod
    def jvp(ctx: Context, ta: minitorch.Tensor | None, tb: minitorch.Tensor | None, _: None) -> minitorch.Tensor:
        zero = minitorch.zeros_like(ctx.output)  # None means a zero tangent
        return ((zero if ta is None else ta) - (zero if tb is None else tb)) * ctx.scale


class NoTangentRule(Function):
    @staticmethod
    def forward(ctx: Context, x: minitorch.Tensor) -> np.ndarray:
        return 2.0 * x.data

    @staticmethod
    def backward(ctx: Context, g: minitorch.Tensor) -> minitorch.Tensor:
        return 2.0 * g


class WrongShape(Function):
    @staticmethod
    def forward(ctx: Context, x: minitorch.Tensor) -> np.ndarray:
        return x.data * 2.0

    @staticmethod
    def backward(ctx: Context, g: minitorch.Tensor) -> minitorch.Tensor:
        return g.sum(axis=0)  # drops an axis


class TooManyGradients(Function):
    @staticmethod
    def forward(ctx: Context, x: minitorch.Tensor) -> np.ndarray:
        return x.data

    @staticmethod
    def backward(ctx: Context, g: minitorch.Tensor) -> tuple:
        return g, g


def test_apply_values_grad_fn_and_saved_tensors(oracle):
    x0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]])
    x = minitorch.tensor(x0, requires_grad=True)
    y = Cube.apply(x)
    assert isinstance(y, minitorch.Tensor)
    np.testing.assert_allclose(y.detach().numpy(), x0**3, rtol=1e-15)
    assert y.grad_fn.name() == "CubeBackward"
    assert y.grad_fn.saved_tensors[0] is x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * x0**2, rtol=1e-15)
    oracle.check(Cube.apply, [x0], expected=lambda x: x**3)


def test_composes_with_the_rest(oracle):
    rng = np.random.default_rng(0)

    def f(x, w):
        h = x @ w
        return Cube.apply(h).tanh() + ScaledDifference.apply(h.sin(), Cube.apply(h * 0.5), 0.5)

    def reference(x, w):
        h = x @ w
        return np.tanh(h**3) + 0.5 * (np.sin(h) - (h * 0.5) ** 3)

    oracle.check(f, [rng.standard_normal((4, 3)), rng.standard_normal((3, 2))], expected=reference)


def test_gradcheck_and_higher_derivatives_of_a_custom_primitive():
    x = minitorch.tensor(np.array([0.7, -1.3]), requires_grad=True)
    assert minitorch.gradcheck(Cube.apply, [x])
    second = minitorch.grad(lambda t: minitorch.grad(lambda s: Cube.apply(s).sum())(t).sum())(np.array([0.7, -1.3]))
    np.testing.assert_allclose(second.numpy(), [6 * 0.7, -6 * 1.3], rtol=1e-14)


def test_needs_input_grad_and_non_tensor_arguments():
    a = minitorch.tensor([1.0, 2.0], requires_grad=True)
    b = minitorch.tensor([5.0, 7.0])
    y = ScaledDifference.apply(a, b, 3.0)
    assert y.grad_fn.needs_input_grad == (True, False, False)
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])
    assert b.grad is None


def test_no_graph_is_recorded_without_grad():
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    with minitorch.no_grad():
        y = Cube.apply(x)
    assert y.grad_fn is None and not y.requires_grad
    assert Cube.apply(minitorch.tensor([1.0])).grad_fn is None


def test_forward_mode_through_a_primitive_without_a_tangent_rule():
    np.testing.assert_array_equal(minitorch.grad(lambda x: NoTangentRule.apply(x).sum())(np.ones(2)).numpy(), [2, 2])
    with pytest.raises(TypeError, match="jvp"):
        minitorch.jvp(NoTangentRule.apply, [np.ones(2)], [np.ones(2)])


def test_a_gradient_of_the_wrong_shape_is_an_error_that_names_the_op_and_shapes():
    x = minitorch.tensor(np.ones((2, 3)), requires_grad=True)
    y = WrongShape.apply(x).sum()
    with pytest.raises(RuntimeError) as info:
        y.backward()
    message = str(info.value)
    assert "WrongShapeBackward" in message and "(3,)" in message and "(2, 3)" in message
    assert x.grad is None
    with pytest.raises(RuntimeError, match="WrongShapeBackward"):
        minitorch.grad(lambda t: WrongShape.apply(t).sum())(np.ones((2, 3)))


def test_the_wrong_number_of_gradients_is_an_error():
    x = minitorch.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"TooManyGradientsBackward.*2.*1"):
        TooManyGradients.apply(x).sum().backward()


def test_saved_tensors_modified_in_place_are_detected():
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x)
    x._version += 1  # what an in-place operation on x would do
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()


class ShapeAware(Function):
    """A forward that reads the documented context attributes (``input_shapes``, ``needs_input_grad``)."""

    @staticmethod
    def forward(ctx: Context, x: minitorch.Tensor) -> np.ndarray:
        (shape,) = ctx.input_shapes
        ctx.scale = 1.0 / max(1, int(np.prod(shape)))
        ctx.save_for_backward(x if ctx.needs_input_grad[0] else None)
        return x.data * ctx.scale

    @staticmethod
    def backward(ctx: Context, g: minitorch.Tensor) -> minitorch.Tensor:
        return g * ctx.scale

    @staticmethod
    def jvp(ctx: Context, t: minitorch.Tensor) -> minitorch.Tensor:
        return t * ctx.scale


def test_forward_gets_the_same_context_whether_or_not_the_call_is_recorded():
    """A primitive must compute the same thing on constants, under no_grad, and when recorded."""
    x0 = np.array([[1.0, 2.0], [3.0, 4.0]])
    recorded = ShapeAware.apply(minitorch.tensor(x0, requires_grad=True))
    assert recorded.grad_fn is not None
    constant = ShapeAware.apply(minitorch.tensor(x0))
    with minitorch.no_grad():
        unrecorded = ShapeAware.apply(minitorch.tensor(x0, requires_grad=True))
    for y in (recorded, constant, unrecorded):
        np.testing.assert_array_equal(y.detach().numpy(), x0 / 4)
