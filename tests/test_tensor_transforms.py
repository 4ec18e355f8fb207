"""The functional transforms checked against each other, against finite differences and closed forms.

``jacobian`` in every mode must equal the stacked VJPs and the stacked JVPs;
``hessian`` and ``hvp`` (forward-over-reverse) must agree with each other and
with known Hessians; nested ``grad`` must give higher derivatives; and every
way of nesting the two modes (reverse-over-reverse, forward-over-forward,
forward-over-reverse, reverse-over-forward) must give the same second
derivatives.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch

SOME = settings(max_examples=20, deadline=None)
seeds = st.integers(0, 2**32 - 1)


def vector_function(x: minitorch.Tensor) -> minitorch.Tensor:
    """R^(2x3) -> R^(2x2), using rules whose tangents read the primal output (exp, tanh, div, softmax)."""
    w = minitorch.tensor(np.linspace(-1.0, 1.0, 6).reshape(3, 2), device=x.device)
    h = minitorch.tanh(x @ w) + x.exp()[:, :2] / (1.0 + x[:, 1:] ** 2)
    return minitorch.softmax(h, axis=0) * h.sum()


def scalar_function(x: minitorch.Tensor) -> minitorch.Tensor:
    """R^n -> R with a dense, non-trivial Hessian: uses exp, tanh, sigmoid, div, sqrt, logsumexp."""
    return minitorch.logsumexp(x * x[::-1]) + (x.sigmoid() * x.tanh()).sum() + (x.exp() / (x * x + 1.0).sqrt()).sum()


def numeric_hessian(oracle, f, x0: np.ndarray) -> np.ndarray:
    """The Hessian as central differences of the (reverse-mode) gradient."""
    return oracle.numeric_jacobian(minitorch.grad(f), x0)


# --- jacobian ----------------------------------------------------------------------------------
def stacked_vjps(f, x: minitorch.Tensor) -> np.ndarray:
    """The Jacobian a row at a time: one VJP per output element, with basis cotangents."""
    out, pullback = minitorch.vjp(f, x)
    rows = []
    for i in range(out.size):
        basis = np.zeros(out.size)
        basis[i] = 1.0
        rows.append(pullback(minitorch.tensor(basis.reshape(out.shape), device=x.device))[0].numpy().reshape(-1))
    return np.stack(rows).reshape(out.shape + x.shape)


def stacked_jvps(f, x: minitorch.Tensor) -> np.ndarray:
    """The Jacobian a column at a time: one JVP per input element, with basis tangents."""
    columns, out_shape = [], None
    for j in range(x.size):
        basis = np.zeros(x.size)
        basis[j] = 1.0
        out, tangent = minitorch.jvp(f, [x], [minitorch.tensor(basis.reshape(x.shape), device=x.device)])
        out_shape = out.shape
        columns.append(tangent.numpy().reshape(-1))
    return np.stack(columns, axis=-1).reshape(out_shape + x.shape)


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
@pytest.mark.parametrize("x_shape", [(2, 3), (4, 3)])
def test_jacobian_modes_equal_stacked_vjps_and_jvps(oracle, mode, x_shape):
    rng = np.random.default_rng(0)
    x0 = 0.5 * rng.standard_normal(x_shape)
    f = vector_function
    expected = oracle.numeric_jacobian(f, x0)
    rows, columns = stacked_vjps(f, oracle.tensor(x0)), stacked_jvps(f, oracle.tensor(x0))
    np.testing.assert_allclose(rows, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(rows, columns, rtol=1e-10, atol=1e-12)
    j = minitorch.jacobian(f, mode=mode)(oracle.tensor(x0))
    assert j.device == oracle.device
    assert j.shape == (x_shape[0], 2) + x_shape
    np.testing.assert_allclose(j.numpy(), rows, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
def test_jacobian_shapes_and_argnums(oracle, mode):
    rng = np.random.default_rng(1)
    a0, b0 = rng.standard_normal((3, 2)), rng.standard_normal(2)
    a, b = oracle.tensor(a0), oracle.tensor(b0)

    def f(a, b):
        return (a * b).sin() @ b

    # Scalar output, vector input, and the other way round, and a 0-d input.
    j_b = minitorch.jacobian(f, argnums=1, mode=mode)(a, b)
    assert j_b.shape == (3, 2) and j_b.device == oracle.device
    np.testing.assert_allclose(j_b.numpy(), oracle.numeric_jacobian(lambda b: f(a, b), b0), rtol=1e-6, atol=1e-8)
    j_a = minitorch.jacobian(f, argnums=-2, mode=mode)(a, b)
    assert j_a.shape == (3, 3, 2)
    np.testing.assert_allclose(j_a.numpy(), oracle.numeric_jacobian(lambda a: f(a, b), a0), rtol=1e-6, atol=1e-8)
    g = minitorch.jacobian(lambda x: (x * x).sum(), mode=mode)(b)
    assert g.shape == (2,)
    np.testing.assert_allclose(g.numpy(), 2 * b0, rtol=1e-12)
    d = minitorch.jacobian(lambda t: minitorch.stack([t.sin(), t * t]), mode=mode)(oracle.tensor(0.7))
    assert d.shape == (2,)
    np.testing.assert_allclose(d.numpy(), [np.cos(0.7), 1.4], rtol=1e-12)


def test_jacobian_of_a_linear_map_is_its_matrix():
    a = np.random.default_rng(2).standard_normal((3, 4))
    for mode in ("forward", "reverse", "auto"):
        j = minitorch.jacobian(lambda x: minitorch.tensor(a) @ x, mode=mode)(np.ones(4))
        np.testing.assert_allclose(j.numpy(), a, rtol=1e-15)


# --- hessian and hvp -------------------------------------------------------------------------
@SOME
@given(n=st.integers(1, 5), seed=seeds)
def test_hessian_of_a_quadratic_form(n, seed):
    r""":math:`\nabla^2 (x^\top A x) = A + A^\top` for any square :math:`A`, symmetric or not."""
    rng = np.random.default_rng(seed)
    a, x0 = rng.standard_normal((n, n)), rng.standard_normal(n)
    h = minitorch.hessian(lambda x: x @ (minitorch.tensor(a) @ x))(minitorch.tensor(x0))
    assert h.shape == (n, n)
    np.testing.assert_allclose(h.numpy(), a + a.T, rtol=1e-12, atol=1e-12)


@SOME
@given(n=st.integers(1, 5), seed=seeds)
def test_hvp_equals_hessian_times_vector(oracle, n, seed):
    rng = np.random.default_rng(seed)
    x0, v0 = 0.7 * rng.standard_normal(n), rng.standard_normal(n)
    h = minitorch.hessian(scalar_function)(oracle.tensor(x0)).numpy()
    np.testing.assert_allclose(h, h.T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h, numeric_hessian(oracle, scalar_function, x0), rtol=1e-5, atol=1e-7)
    gradient, product = minitorch.hvp(scalar_function, [oracle.tensor(x0)], [oracle.tensor(v0)])
    np.testing.assert_allclose(gradient.numpy(), minitorch.grad(scalar_function)(oracle.tensor(x0)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(product.numpy(), h @ v0, rtol=1e-10, atol=1e-12)


def test_hessian_closed_form_elementwise():
    r"""For :math:`f = \sum \sin x_i`, :math:`\nabla^2 f = \operatorname{diag}(-\sin x)`."""
    x0 = np.array([0.3, -1.2, 2.0])
    h = minitorch.hessian(lambda x: x.sin().sum())(x0)
    np.testing.assert_allclose(h.numpy(), np.diag(-np.sin(x0)), rtol=1e-12, atol=1e-15)


def test_hessian_argnums():
    r""":math:`f(a, b) = a^2 b^3`: :math:`\partial^2 f/\partial b^2 = 6 a^2 b`."""
    h = minitorch.hessian(lambda a, b: (a * a * b**3).sum(), argnums=1)(np.array([2.0]), np.array([3.0]))
    np.testing.assert_allclose(h.numpy(), [[6 * 4 * 3]], rtol=1e-12)


# --- nested grad -------------------------------------------------------------------------------
def test_derivatives_of_x_to_the_fourth():
    r""":math:`x^4` at 2: :math:`4x^3 = 32`, :math:`12x^2 = 48`, :math:`24x = 48`, :math:`24`, then 0.

    (A reference text prints 24 for the third derivative; that is the fourth.)
    """
    f = lambda x: x**4
    derivatives = [minitorch.grad(f)]
    for _ in range(4):
        derivatives.append(minitorch.grad(derivatives[-1]))
    values = [d(minitorch.tensor(2.0)).item() for d in derivatives]
    assert values == [32.0, 48.0, 48.0, 24.0, 0.0]


def test_nested_grad_of_a_product_of_functions(oracle):
    r""":math:`f = e^{x}\sin x`: :math:`f'' = 2 e^x \cos x`, :math:`f''' = 2e^x(\cos x - \sin x)`."""
    f = lambda x: x.exp() * x.sin()
    x0 = 0.8
    second = minitorch.grad(minitorch.grad(f))(oracle.tensor(x0)).item()
    third = minitorch.grad(minitorch.grad(minitorch.grad(f)))(oracle.tensor(x0)).item()
    assert second == pytest.approx(2 * np.exp(x0) * np.cos(x0), rel=1e-12)
    assert third == pytest.approx(2 * np.exp(x0) * (np.cos(x0) - np.sin(x0)), rel=1e-12)


def test_value_and_grad(oracle):
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal((2, 3))
    value, gradient = minitorch.value_and_grad(lambda x: (x.tanh() ** 2).sum())(oracle.tensor(x0))
    assert value.device == gradient.device == oracle.device
    assert value.shape == () and value.grad_fn is None
    assert value.item() == pytest.approx(np.sum(np.tanh(x0) ** 2), rel=1e-14)
    np.testing.assert_allclose(gradient.numpy(), 2 * np.tanh(x0) / np.cosh(x0) ** 2, rtol=1e-12)


def test_grad_with_argnums_tuple(oracle):
    rng = np.random.default_rng(4)
    x0, y0, z0 = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(3)
    x, y, z = oracle.tensor(x0), oracle.tensor(y0), oracle.tensor(z0)

    def f(x, y, z):
        return (x * y.exp() + z.sin() * x).sum()

    gx, gz = minitorch.grad(f, argnums=(0, 2))(x, y, z)
    np.testing.assert_allclose(gx.numpy(), np.exp(y0) + np.sin(z0), rtol=1e-12)
    np.testing.assert_allclose(gz.numpy(), np.cos(z0) * x0, rtol=1e-12)
    (gy,) = minitorch.grad(f, argnums=(1,))(x, y, z)
    np.testing.assert_allclose(gy.numpy(), x0 * np.exp(y0), rtol=1e-12)
    gz_only = minitorch.grad(f, argnums=-1)(x, y, z)
    np.testing.assert_allclose(gz_only.numpy(), gz.numpy(), rtol=1e-15)
    value, (gy, gx) = minitorch.value_and_grad(f, argnums=(1, 0))(x, y, z)
    assert value.item() == pytest.approx(np.sum(x0 * np.exp(y0) + np.sin(z0) * x0), rel=1e-14)
    np.testing.assert_allclose(gx.numpy(), np.exp(y0) + np.sin(z0), rtol=1e-12)


def test_grad_of_an_unused_argument_is_zero():
    g = minitorch.grad(lambda x, y: (x * 2.0).sum(), argnums=(0, 1))(np.ones(2), np.ones(3))
    np.testing.assert_array_equal(g[0].numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(g[1].numpy(), np.zeros(3))


def test_transforms_leave_their_arguments_alone():
    x = minitorch.tensor([1.0, 2.0])
    minitorch.grad(lambda t: (t * t).sum())(x)
    minitorch.jvp(lambda t: t * t, [x], [x])
    minitorch.vjp(lambda t: t * t, x)[1](x)
    assert not x.requires_grad and x.grad is None and x.grad_fn is None


# --- nesting the two modes -------------------------------------------------------------------
def test_forward_over_forward_matches_the_hessian(oracle):
    r"""``jvp(x ↦ jvp(f, x, v), x, w)`` is :math:`w^\top \nabla^2 f\, v` for a scalar f."""
    rng = np.random.default_rng(5)
    x0, v0, w0 = 0.7 * rng.standard_normal(4), rng.standard_normal(4), rng.standard_normal(4)

    def directional(x):
        return minitorch.jvp(scalar_function, [x], [minitorch.tensor(v0, device=x.device)])[1]

    value, second = minitorch.jvp(directional, [oracle.tensor(x0)], [oracle.tensor(w0)])
    h = numeric_hessian(oracle, scalar_function, x0)
    assert value.item() == pytest.approx(minitorch.grad(scalar_function)(oracle.tensor(x0)).numpy() @ v0, rel=1e-12)
    assert second.item() == pytest.approx(w0 @ h @ v0, rel=1e-5, abs=1e-7)


def test_forward_over_forward_of_a_vector_function(oracle):
    """The mixed second directional derivative, against a second central difference."""
    rng = np.random.default_rng(6)
    x0, v0, w0 = 0.5 * rng.standard_normal((2, 3)), rng.standard_normal((2, 3)), rng.standard_normal((2, 3))

    def directional(x):
        return minitorch.jvp(vector_function, [x], [minitorch.tensor(v0, device=x.device)])[1]

    _, second = minitorch.jvp(directional, [oracle.tensor(x0)], [oracle.tensor(w0)])
    numeric = oracle.numeric_jvp(directional, [x0], [w0], step=1e-5)
    np.testing.assert_allclose(second.numpy(), numeric, rtol=1e-5, atol=1e-7)


def test_forward_over_forward_of_x_to_the_fourth():
    f = lambda x: x**4
    one = minitorch.tensor(1.0)

    def d(g):
        return lambda x: minitorch.jvp(g, [x], [one])[1]

    x = minitorch.tensor(2.0)
    assert [d(f)(x).item(), d(d(f))(x).item(), d(d(d(f)))(x).item(), d(d(d(d(f))))(x).item()] == [32, 48, 48, 24]


def test_reverse_over_forward_matches_the_hessian(oracle):
    r"""``grad(x ↦ jvp(f, x, v))`` is :math:`\nabla^2 f\, v`: reverse mode through the tangent rules."""
    rng = np.random.default_rng(7)
    x0, v0 = 0.7 * rng.standard_normal(4), rng.standard_normal(4)

    def directional(x):
        return minitorch.jvp(scalar_function, [x], [minitorch.tensor(v0, device=x.device)])[1]

    product = minitorch.grad(directional)(oracle.tensor(x0))
    np.testing.assert_allclose(product.numpy(), numeric_hessian(oracle, scalar_function, x0) @ v0, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "name, f, second",
    [
        ("sin", minitorch.sin, lambda x: -np.sin(x)),
        ("exp", minitorch.exp, np.exp),
        ("tanh", minitorch.tanh, lambda x: -2 * np.tanh(x) / np.cosh(x) ** 2),
        ("sigmoid", minitorch.sigmoid, lambda x: np.exp(-x) * (np.exp(-x) - 1) / (1 + np.exp(-x)) ** 3),
        ("sqrt", minitorch.sqrt, lambda x: -0.25 * x**-1.5),
        ("reciprocal", lambda x: 1.0 / x, lambda x: 2 / x**3),
        ("2 ** x", lambda x: 2.0**x, lambda x: np.log(2.0) ** 2 * 2.0**x),
    ],
)
def test_reverse_over_forward_closed_form(name, f, second):
    r"""For elementwise f: ``grad(x ↦ Σ jvp(f, x, 1))`` is :math:`f''(x)`, as ``grad(grad)`` is."""
    x0 = np.array([0.4, 1.3, 2.1])
    ones = minitorch.ones(3)
    over_forward = minitorch.grad(lambda x: minitorch.jvp(f, [x], [ones])[1].sum())(x0)
    over_reverse = minitorch.grad(lambda x: minitorch.grad(lambda y: f(y).sum())(x).sum())(x0)
    np.testing.assert_allclose(over_reverse.numpy(), second(x0), rtol=1e-12)
    np.testing.assert_allclose(over_forward.numpy(), second(x0), rtol=1e-12)


def test_vjp_of_jvp_and_jvp_of_vjp_agree(oracle):
    r"""Both compute :math:`u^\top (\partial J v / \partial x)`; checked against a central difference."""
    rng = np.random.default_rng(8)
    x0, v0 = 0.5 * rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    u0 = rng.standard_normal((2, 2))

    def directional(x):
        return minitorch.jvp(vector_function, [x], [minitorch.tensor(v0, device=x.device)])[1]

    def pulled_back(x):
        return minitorch.vjp(vector_function, x)[1](minitorch.tensor(u0, device=x.device))[0]

    reverse_over_forward = minitorch.vjp(directional, oracle.tensor(x0))[1](oracle.tensor(u0))[0].numpy()
    forward_over_reverse = minitorch.jvp(pulled_back, [oracle.tensor(x0)], [oracle.tensor(v0)])[1].numpy()
    expected = oracle.numeric_vjp(directional, [x0], u0, step=1e-5)[0]
    np.testing.assert_allclose(forward_over_reverse, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(reverse_over_forward, expected, rtol=1e-5, atol=1e-7)


# --- create_graph ------------------------------------------------------------------------------
def test_backward_with_create_graph_then_differentiate_the_gradient():
    x0 = np.array([0.5, -1.0, 2.0])
    x = minitorch.tensor(x0, requires_grad=True)
    (x**3 + x.sin()).sum().backward(create_graph=True)
    first = x.grad
    np.testing.assert_allclose(first.detach().numpy(), 3 * x0**2 + np.cos(x0), rtol=1e-14)
    assert first.requires_grad and first.grad_fn is not None
    # Through the autograd function (keeping the gradient's graph for the next step) ...
    (second,) = minitorch.autograd_grad(first.sum(), x, retain_graph=True)
    np.testing.assert_allclose(second.numpy(), 6 * x0 - np.sin(x0), rtol=1e-14)
    # ... and through backward again, which accumulates into x.grad.
    x.grad = None
    first.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x0 - np.sin(x0), rtol=1e-14)


def test_gradient_penalty_style_double_backward():
    r""":math:`\partial/\partial w \,\|\nabla_x (w \cdot x)^2\|^2 = \partial/\partial w\, 4 (w\cdot x)^2 \|w\|^2`."""
    rng = np.random.default_rng(9)
    w0, x0 = rng.standard_normal(3), rng.standard_normal(3)
    w, x = minitorch.tensor(w0, requires_grad=True), minitorch.tensor(x0, requires_grad=True)
    (gx,) = minitorch.autograd_grad(((w * x).sum()) ** 2, x, create_graph=True)
    (gx * gx).sum().backward()
    s, n = w0 @ x0, w0 @ w0
    np.testing.assert_allclose(w.grad.numpy(), 8 * s * n * x0 + 8 * s * s * w0, rtol=1e-12)
