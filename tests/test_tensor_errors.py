"""Errors that teach: each names the operation and the shapes (or types) that do not fit."""

from __future__ import annotations

import numpy as np
import pytest

import minitorch


def shapes_in(message: str, *shapes: tuple) -> bool:
    return all(str(tuple(s)) in message for s in shapes)


@pytest.mark.parametrize(
    "name, op",
    [
        ("add", lambda a, b: a + b),
        ("sub", lambda a, b: a - b),
        ("mul", lambda a, b: a * b),
        ("div", lambda a, b: a / b),
        ("pow", lambda a, b: a**b),
        ("maximum", minitorch.maximum),
        ("minimum", minitorch.minimum),
    ],
)
def test_elementwise_shape_mismatch(name, op):
    a, b = minitorch.ones(2, 3, requires_grad=True), minitorch.ones(4, 1, 2)
    with pytest.raises(ValueError) as info:
        op(a, b)
    message = str(info.value)
    assert name in message and shapes_in(message, (2, 3), (4, 1, 2)), message


@pytest.mark.parametrize("a_shape, b_shape", [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (2,)), ((5, 2, 3), (4, 3, 2))])
def test_matmul_shape_mismatch(a_shape, b_shape):
    with pytest.raises(ValueError) as info:
        minitorch.ones(a_shape) @ minitorch.ones(b_shape)
    message = str(info.value)
    assert "matmul" in message and shapes_in(message, a_shape, b_shape), message


def test_matmul_of_a_scalar():
    with pytest.raises(ValueError, match="matmul.*dimension"):
        minitorch.matmul(minitorch.tensor(2.0), minitorch.ones(3))


def test_concatenate_and_stack_shape_mismatch():
    with pytest.raises(ValueError) as info:
        minitorch.concatenate([minitorch.ones(2, 3), minitorch.ones(3, 2)], axis=0)
    assert "concatenate" in str(info.value) and shapes_in(str(info.value), (2, 3), (3, 2))
    with pytest.raises(ValueError) as info:
        minitorch.stack([minitorch.ones(2, 3), minitorch.ones(2, 2)])
    assert "stack" in str(info.value) and shapes_in(str(info.value), (2, 3), (2, 2))
    with pytest.raises(ValueError, match="at least one"):
        minitorch.concatenate([])


def test_reshape_and_broadcast_to_mismatch():
    with pytest.raises(ValueError) as info:
        minitorch.ones(2, 3).reshape(4, 2)
    assert "reshape" in str(info.value) and shapes_in(str(info.value), (2, 3), (4, 2))
    with pytest.raises(ValueError) as info:
        minitorch.broadcast_to(minitorch.ones(2, 3), (3, 3))
    assert "broadcast_to" in str(info.value) and shapes_in(str(info.value), (2, 3), (3, 3))


def test_where_shape_mismatch():
    with pytest.raises(ValueError, match="where"):
        minitorch.where(np.array([True, False, True]), minitorch.ones(2), minitorch.ones(2))


def test_axis_out_of_range_names_the_reduction():
    for name in ("sum", "mean", "max", "min", "logsumexp", "softmax"):
        with pytest.raises(ValueError, match=f"{name}: axis 2"):
            getattr(minitorch, name)(minitorch.ones(2, 3), 2)


def test_transpose_with_a_bad_permutation():
    with pytest.raises(ValueError, match="transpose"):
        minitorch.ones(2, 3).permute(0, 0)


def test_getitem_out_of_range_names_the_shape():
    with pytest.raises(IndexError, match=r"\(2, 3\)"):
        minitorch.ones(2, 3)[5]


def test_backward_of_a_non_scalar_needs_a_gradient():
    x = minitorch.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        (x * 2.0).backward()
    message = str(info.value)
    assert "(2, 3)" in message and "gradient" in message and "single-element" in message
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\).*\(2, 3\)"):
        (x * 2.0).backward(gradient=minitorch.ones(3))


def test_backward_of_something_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (minitorch.ones(2) * 2.0).sum().backward()


@pytest.mark.parametrize("bad", ["a", None, {}, object()])
def test_bad_operand_types(bad):
    x = minitorch.ones(2)
    for op in (
        lambda: x + bad,
        lambda: bad * x,
        lambda: x - bad,
        lambda: x / bad,
        lambda: x**bad,
        lambda: x @ bad,
        lambda: minitorch.maximum(x, bad),
    ):
        with pytest.raises(TypeError) as info:
            op()
        assert type(bad).__name__ in str(info.value)


def test_requires_grad_needs_a_floating_point_tensor():
    with pytest.raises(TypeError, match="floating-point"):
        minitorch.tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(TypeError, match="int"):
        minitorch.arange(3).requires_grad_()
    with pytest.raises(TypeError, match="bool"):
        minitorch.tensor([True, False], requires_grad=True)
    with pytest.raises(TypeError):
        minitorch.zeros(2, dtype=np.int64, requires_grad=True)


def test_only_leaves_can_stop_requiring_grad():
    y = minitorch.ones(2, requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad_(False)


def test_transform_argument_errors():
    x = minitorch.ones(3)
    with pytest.raises(TypeError, match="single-element"):
        minitorch.grad(lambda t: t * 2.0)(x)
    with pytest.raises(ValueError, match=r"jvp: a tangent of shape \(2,\).*\(3,\)"):
        minitorch.jvp(lambda t: t, [x], [minitorch.ones(2)])
    with pytest.raises(ValueError, match="primal"):
        minitorch.jvp(lambda t: t, [x], [x, x])
    _, pullback = minitorch.vjp(lambda t: t * 2.0, x)
    with pytest.raises(ValueError, match=r"cotangent has shape \(2,\).*\(3,\)"):
        pullback(minitorch.ones(2))
    with pytest.raises(ValueError, match="mode"):
        minitorch.jacobian(lambda t: t, mode="sideways")
    with pytest.raises(ValueError, match="argnums 2"):
        minitorch.grad(lambda t: t.sum(), argnums=2)(x)
    with pytest.raises(TypeError, match="floating-point"):
        minitorch.grad(lambda t: t.sum())(minitorch.arange(3))
    with pytest.raises(TypeError, match="str"):
        minitorch.grad(lambda t: t.sum())("x")


@pytest.mark.parametrize("transform", [minitorch.jvp, minitorch.hvp])
def test_jvp_and_hvp_want_one_primal_and_tangent_per_argument(transform):
    """A bare tensor is refused: iterating it would pass its rows as separate arguments."""
    x, v = minitorch.ones(2), minitorch.ones(2)
    name = transform.__name__
    with pytest.raises(
        TypeError,
        match=rf"^{name}: primals must be a tuple or list .* got Tensor; .* "
        rf"{name}\(f, \(x,\), \(v,\)\)$",
    ):
        transform(lambda t: (t * t).sum(), x, (v,))
    with pytest.raises(TypeError, match=rf"^{name}: tangents must be a tuple or list"):
        transform(lambda t: (t * t).sum(), (x,), v)
    _, tangent = transform(lambda t: (t * t).sum(), (x,), (v,))  # the same call, written as asked
    expected = 4.0 if name == "jvp" else [2.0, 2.0]  # 2 x . v, and the Hessian 2I times v
    np.testing.assert_allclose(tangent.numpy(), expected)


def test_autograd_grad_of_an_unused_input():
    x, y = minitorch.ones(2, requires_grad=True), minitorch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        minitorch.autograd_grad((x * 2.0).sum(), [x, y])
    gx, gy = minitorch.autograd_grad((x * 2.0).sum(), [x, y], allow_unused=True)
    assert gy is None
    np.testing.assert_array_equal(gx.numpy(), [2.0, 2.0])


def test_numpy_of_a_tensor_that_requires_grad():
    with pytest.raises(RuntimeError, match="detach"):
        minitorch.ones(2, requires_grad=True).numpy()
