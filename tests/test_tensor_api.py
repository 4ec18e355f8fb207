"""The PyTorch-style object API of :class:`minitorch.Tensor`: leaves, ``.grad``, ``grad_fn``,
accumulation, ``detach``, ``no_grad``, ``retain_graph``, dtypes and constructors."""

from __future__ import annotations

import numpy as np
import pytest

import minitorch
from minitorch import Tensor


# --- requires_grad, grad, grad_fn, is_leaf ---------------------------------------------------
def test_leaves_and_results():
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    c = minitorch.tensor([3.0, 4.0])
    assert x.requires_grad and x.is_leaf and x.grad is None and x.grad_fn is None
    assert not c.requires_grad and c.is_leaf
    y = x * c
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    z = c * c  # nothing requires grad: a constant, and a leaf by PyTorch's definition
    assert not z.requires_grad and z.is_leaf and z.grad_fn is None


@pytest.mark.parametrize(
    "expression, name",
    [
        (lambda x, y: x * y, "MulBackward"),
        (lambda x, y: x + y, "AddBackward"),
        (lambda x, y: x - y, "SubBackward"),
        (lambda x, y: x / y, "DivBackward"),
        (lambda x, y: x**y, "PowBackward"),
        (lambda x, y: x @ y, "MatMulBackward"),
        (lambda x, y: -x, "NegBackward"),
        (lambda x, y: x.exp(), "ExpBackward"),
        (lambda x, y: x.sum(), "SumBackward"),
        (lambda x, y: x.max(), "MaxBackward"),
        (lambda x, y: x.reshape(1, 2), "ReshapeBackward"),
        (lambda x, y: x[0], "GetItemBackward"),
        (lambda x, y: x.softmax(), "SoftmaxBackward"),
    ],
)
def test_grad_fn_names(expression, name):
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    y = minitorch.tensor([3.0, 4.0])
    out = expression(x, y)
    assert out.grad_fn.name() == name
    assert name in repr(out.grad_fn) and name in repr(out)


def test_gradient_reaches_only_leaves_that_require_it():
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    c = minitorch.tensor([3.0, 4.0])
    y = (x * c).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])
    assert c.grad is None
    assert y.grad is None  # intermediate results do not keep a .grad


def test_gradients_accumulate_into_leaves_across_backward_calls():
    x = minitorch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    (x * x).sum().backward()
    first = x.grad.numpy().copy()
    np.testing.assert_array_equal(first, [2.0, -4.0, 1.0])
    (3.0 * x).sum().backward()  # a second, separate graph
    np.testing.assert_array_equal(x.grad.numpy(), first + 3.0)
    x.zero_grad_()
    assert x.grad is None
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0])


def test_fan_out_within_one_graph_adds_the_paths():
    x = minitorch.tensor(1.5, requires_grad=True)
    y = x * x + x.sin() * x + 2.0 * x
    y.backward()
    assert x.grad.item() == pytest.approx(2 * 1.5 + np.cos(1.5) * 1.5 + np.sin(1.5) + 2.0, rel=1e-14)


# --- detach and no_grad ------------------------------------------------------------------------
def test_detach_cuts_the_graph_and_shares_values():
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    np.testing.assert_array_equal(d.numpy(), [3.0, 6.0])
    # The gradient does not flow through the detached factor: d/dx (x * stop(x)) = stop(x).
    z = (x * x.detach()).sum()
    z.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0])


def test_no_grad_records_nothing():
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    with minitorch.no_grad():
        assert not minitorch.is_grad_enabled()
        y = (x * x).exp().sum()
        with minitorch.enable_grad():
            inner = x * 2.0
    assert minitorch.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad
    assert inner.grad_fn is not None
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()
    assert x.grad is None


def test_no_grad_as_decorator_and_set_grad_enabled():
    x = minitorch.tensor([1.0], requires_grad=True)

    @minitorch.no_grad()
    def update(t):
        return t * 2.0

    assert update(x).grad_fn is None
    assert minitorch.is_grad_enabled()
    with minitorch.set_grad_enabled(False):
        assert (x + 1.0).grad_fn is None
    with minitorch.set_grad_enabled(True):
        assert (x + 1.0).grad_fn is not None


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with minitorch.no_grad():
            raise ZeroDivisionError
    assert minitorch.is_grad_enabled()


# --- retain_graph ------------------------------------------------------------------------------
def test_second_backward_needs_retain_graph():
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).exp().sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_retain_graph_lets_gradients_double():
    x0 = np.array([0.3, -0.4])
    x = minitorch.tensor(x0, requires_grad=True)
    y = (x * x).exp().sum()
    y.backward(retain_graph=True)
    once = x.grad.numpy().copy()
    np.testing.assert_allclose(once, 2 * x0 * np.exp(x0 * x0), rtol=1e-14)
    y.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), 2 * once, rtol=1e-14)
    y.backward()  # the last one may free the graph
    np.testing.assert_allclose(x.grad.numpy(), 3 * once, rtol=1e-14)
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_backward_with_gradient_is_a_vjp():
    x0 = np.array([[1.0, 2.0], [3.0, 4.0]])
    u = np.array([[0.5, -1.0], [2.0, 0.25]])
    x = minitorch.tensor(x0, requires_grad=True)
    (x * x).backward(gradient=minitorch.tensor(u))
    np.testing.assert_array_equal(x.grad.numpy(), 2 * x0 * u)
    x.grad = None
    (x * x).backward(gradient=u)  # an array is accepted too
    np.testing.assert_array_equal(x.grad.numpy(), 2 * x0 * u)


# --- dtypes ----------------------------------------------------------------------------------
def test_default_dtype_is_float64():
    assert minitorch.tensor([1.0, 2.0]).dtype == np.float64
    assert minitorch.tensor(1.5).dtype == np.float64
    assert minitorch.zeros(2).dtype == np.float64
    assert minitorch.ones(2, 2).dtype == np.float64
    assert minitorch.randn(3).dtype == np.float64
    assert minitorch.rand(3).dtype == np.float64
    assert minitorch.eye(2).dtype == np.float64
    assert minitorch.tensor([1, 2]).dtype.kind == "i"
    assert minitorch.tensor([True, False]).dtype == np.bool_


FLOAT32_EXPRESSIONS = {
    "arithmetic with Python floats": lambda x, w: ((x * 2.0 + 1.0) / 3.0 - 0.5) ** 2.0,
    "reversed Python floats": lambda x, w: 1.0 - 2.0 / (x * x + 1.0) + 2.0**x,
    "Python ints": lambda x, w: x * 2 + 1 - x**2,
    "NumPy float64 scalar": lambda x, w: x * np.float64(0.5),
    "transcendental": lambda x, w: x.exp() + (x * x + 1.0).log() + (x * x + 1.0).sqrt() + x.sin() * x.cos(),
    "activations": lambda x, w: x.tanh() + x.sigmoid() + x.relu() + x.abs(),
    "tensor exponent": lambda x, w: (x * x + 1.0) ** x,
    "maximum / minimum / where": lambda x, w: (
        minitorch.maximum(x, 0.15) + minitorch.minimum(0.25, x) + minitorch.where(x > 0, x, 0.5)
    ),
    "matmul": lambda x, w: x @ w,
    "reductions": lambda x, w: x.sum(0) + x.mean(0) + x.max(0) + x.min(0) + x.logsumexp(0),
    "softmax family": lambda x, w: x.softmax() + x.log_softmax(0),
    "shape": lambda x, w: (
        minitorch.concatenate([x, x[:, ::-1]], 1).reshape(-1)[[0, 0, 3]]
        + minitorch.stack([x, x]).T.sum()
        + x.broadcast_to((2, 2, 3)).sum()
    ),
}


@pytest.mark.parametrize("name", FLOAT32_EXPRESSIONS)
def test_float32_end_to_end(name):
    """Outputs, gradients and tangents stay float32, whatever Python numbers are mixed in."""
    f = FLOAT32_EXPRESSIONS[name]
    x0 = np.array([[0.5, -1.2, 2.0], [0.3, 0.1, -0.4]], dtype=np.float32)
    w0 = np.ones((3, 2), dtype=np.float32)
    x = minitorch.tensor(x0, requires_grad=True)
    w = minitorch.tensor(w0, requires_grad=True)
    y = f(x, w)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    assert w.grad is None or w.grad.dtype == np.float32
    _, tangent = minitorch.jvp(lambda t: f(t, minitorch.tensor(w0)), [x0], [np.ones_like(x0)])
    assert tangent.dtype == np.float32
    # float32 results agree with float64 ones to float32 precision.
    x64 = minitorch.tensor(x0.astype(np.float64), requires_grad=True)
    f(x64, minitorch.tensor(w0.astype(np.float64))).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x64.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_float32_with_a_non_default_subgradient_policy():
    x = minitorch.tensor(np.array([0.0, 1.0, -1.0], dtype=np.float32), requires_grad=True)
    with minitorch.subgradient_policy(relu=0.5, abs=1.0, max="first"):
        y = (x.relu() + x.abs() + x.max()).sum()
    y.backward()
    assert x.grad.dtype == np.float32
    # relu' = [0.5, 1, 0], |x|' = [1, 1, -1], and the maximum (added to all 3 elements) gives 3 to x[1].
    np.testing.assert_array_equal(x.grad.numpy(), [1.5, 5.0, -1.0])


def test_float32_functional_transforms():
    x0 = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    f = lambda x: (x * x * 0.5).sum()
    assert minitorch.grad(f)(x0).dtype == np.float32
    assert minitorch.hessian(f)(x0).dtype == np.float32
    assert minitorch.jacobian(lambda x: x * 2.0, mode="reverse")(x0).dtype == np.float32
    assert minitorch.jacobian(lambda x: x * 2.0, mode="forward")(x0).dtype == np.float32


def test_astype_is_differentiable_and_casts_the_gradient_back():
    x = minitorch.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = x.astype(np.float64)
    assert y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


# --- constructors and properties -------------------------------------------------------------
def test_constructors():
    assert minitorch.zeros(2, 3).shape == (2, 3) and minitorch.zeros((2, 3)).shape == (2, 3)
    np.testing.assert_array_equal(minitorch.zeros(2, 3).numpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(minitorch.ones((3,)).numpy(), np.ones(3))
    assert minitorch.ones(2, dtype=np.float32).dtype == np.float32
    assert minitorch.zeros(2, requires_grad=True).requires_grad
    np.testing.assert_array_equal(minitorch.arange(5).numpy(), np.arange(5))
    np.testing.assert_allclose(minitorch.arange(1.0, 2.0, 0.25).numpy(), [1.0, 1.25, 1.5, 1.75])
    assert minitorch.arange(3, dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(minitorch.eye(3).numpy(), np.eye(3))
    np.testing.assert_array_equal(minitorch.zeros_like(minitorch.ones(2, 2)).numpy(), np.zeros((2, 2)))
    np.testing.assert_array_equal(minitorch.ones_like(minitorch.zeros(2)).numpy(), np.ones(2))


@pytest.mark.parametrize("make", ["zeros", "ones", "randn", "rand"])
@pytest.mark.parametrize("bad", [(-1,), (2, 2.5), ((2, True),), (("3",),)])
def test_constructors_name_themselves_for_a_bad_shape(make, bad):
    with pytest.raises(ValueError, match=f"^{make}: a shape holds non-negative integers"):
        getattr(minitorch, make)(*bad)


def test_constructor_sizes_may_be_numpy_integers_or_zero():
    assert minitorch.zeros(np.int64(2), 3).shape == (2, 3)
    assert minitorch.rand((0, 4)).shape == (0, 4)


def test_len_is_the_first_dimension_and_a_0d_tensor_has_none():
    assert len(minitorch.zeros(4, 2)) == 4 and len(minitorch.zeros(0)) == 0
    with pytest.raises(TypeError, match=r"len\(\) of a 0-d tensor"):
        len(minitorch.tensor(1.0))


def test_randn_shape_statistics_and_seed():
    minitorch.manual_seed(123)
    a = minitorch.randn(4000)
    minitorch.manual_seed(123)
    b = minitorch.randn(4000)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert abs(a.numpy().mean()) < 0.1 and abs(a.numpy().std() - 1.0) < 0.1
    assert minitorch.randn(2, 3).shape == (2, 3) and minitorch.randn((2, 3)).shape == (2, 3)
    assert minitorch.randn(2, requires_grad=True).requires_grad
    u = minitorch.rand(1000).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0


def test_tensor_copies_its_data():
    source = np.array([1.0, 2.0])
    t = minitorch.tensor(source)
    source[0] = 100.0
    assert t.numpy()[0] == 1.0
    u = minitorch.tensor(t)
    assert u is not t and u.data is not t.data
    np.testing.assert_array_equal(u.numpy(), t.numpy())
    assert minitorch.tensor(np.array([1, 2], dtype=np.float32)).dtype == np.float32
    assert minitorch.tensor([1, 2], dtype=np.float32).dtype == np.float32


def test_properties():
    x0 = np.arange(6.0).reshape(2, 3)
    x = minitorch.tensor(x0, requires_grad=True)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and len(x) == 2
    assert x.dtype == np.float64 and x.device == "cpu"
    assert x.T.shape == (3, 2)
    np.testing.assert_array_equal(x.T.detach().numpy(), x0.T)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()  # like PyTorch: numbers of a tensor that requires grad go through detach()
    assert isinstance(x.detach().numpy(), np.ndarray)
    s = (x * x).sum()
    assert s.item() == pytest.approx(np.sum(x0 * x0)) and isinstance(s.item(), float)
    assert float(s) == s.item()
    with pytest.raises(ValueError, match="one-element"):
        x.item()
    assert x.tolist() == x0.tolist()
    assert minitorch.tensor([[2.5]]).item() == 2.5


def test_comparisons_give_constant_boolean_tensors():
    x = minitorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result, expected in [
        (x > 2.0, [False, False, True]),
        (x <= 2.0, [True, True, False]),
        (x == 2.0, [False, True, False]),
        (x != 2.0, [True, False, True]),
        (x < x * 0.0 + 2.5, [True, True, False]),
        (x >= 1.0, [True, True, True]),
    ]:
        assert result.dtype == np.bool_ and not result.requires_grad and result.grad_fn is None
        np.testing.assert_array_equal(result.numpy(), expected)


def test_methods_and_functions_agree():
    x0 = np.random.default_rng(0).standard_normal((2, 3))
    x = minitorch.tensor(x0)
    for method, function in [
        ("exp", minitorch.exp),
        ("sin", minitorch.sin),
        ("cos", minitorch.cos),
        ("tanh", minitorch.tanh),
        ("sigmoid", minitorch.sigmoid),
        ("relu", minitorch.relu),
        ("abs", minitorch.abs),
    ]:
        np.testing.assert_array_equal(getattr(x, method)().numpy(), function(x).numpy())
    np.testing.assert_array_equal(x.transpose(1, 0).numpy(), x0.T)
    np.testing.assert_array_equal(x.permute((1, 0)).numpy(), x0.T)
    np.testing.assert_array_equal(x.reshape((3, 2)).numpy(), x0.reshape(3, 2))
    np.testing.assert_array_equal((x0 * x).numpy(), x0 * x0)  # NumPy array on the left defers to Tensor
    assert isinstance(x0 * x, Tensor) and isinstance(x0 @ x.T, Tensor)


def test_tensor_rejects_a_tensor_and_a_list_of_tensors():
    t = minitorch.tensor([1.0])
    with pytest.raises(TypeError):
        Tensor(t)
    with pytest.raises(TypeError, match="stack"):
        minitorch.tensor([t, t])


def test_a_float64_cotangent_does_not_promote_float32_gradients():
    """Like PyTorch, a leaf's ``.grad`` always has the leaf's dtype (jvp casts tangents the same way)."""
    x0 = np.array([1.0, 2.0], dtype=np.float32)
    _, pullback = minitorch.vjp(lambda t: t * t, x0)
    assert pullback(np.ones(2))[0].dtype == np.float32
    assert pullback(minitorch.ones(2))[0].dtype == np.float32
    x = minitorch.tensor(x0, requires_grad=True)
    (x * x).backward(gradient=np.ones(2))
    assert x.grad.dtype == np.float32
    x.grad = None
    (x * x).backward(gradient=minitorch.ones(2))  # a float64 Tensor
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_leaf_gradients_are_writable_arrays_of_their_own():
    """``.grad`` shares memory with nothing: not another leaf's ``.grad``, not a broadcast, not the seed."""
    a, b = minitorch.tensor([1.0, 2.0], requires_grad=True), minitorch.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # Add hands the same gradient to both, and sum's VJP is a broadcast
    a.grad.data[0] = 100.0
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    u = minitorch.tensor([5.0, 6.0])
    (x + 1.0).backward(gradient=u)  # the VJP of add is the seed itself
    u.data[0] = -1.0  # the caller reuses its buffer
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 6.0])
