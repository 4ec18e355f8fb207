"""The edges a demanding user finds: empty tensors, repeated axes, non-differentiable casts, clear errors.

Each test here failed before the fix it came with (issue 17, "Correctness at
the edges"); shapes are compared with what NumPy gives for the same call.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import minitorch
from minitorch import nn


# --- shapes at the edges follow NumPy -------------------------------------------------------------------------
def _numpy_logsumexp(x: np.ndarray, axis: int | None) -> np.ndarray:
    with np.errstate(divide="ignore"):  # the log of an empty sum is -inf
        return np.log(np.exp(x).sum(axis=axis))


REDUCTIONS = {
    "sum": np.sum,
    "max": np.max,
    "min": np.min,
    "logsumexp": _numpy_logsumexp,
}
EMPTY_SHAPES = [(0,), (0, 3), (3, 0), (2, 0, 3)]


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("shape", EMPTY_SHAPES)
def test_reductions_of_empty_tensors_follow_numpy(name, shape):
    x = np.zeros(shape)
    for axis in [None, *range(len(shape))]:
        try:
            expected = np.asarray(REDUCTIONS[name](x, axis=axis))
        except ValueError:  # NumPy: a maximum over no elements has no value
            with pytest.raises(ValueError, match=f"^{name}: cannot reduce over axis"):
                getattr(minitorch.tensor(x), name)(axis=axis)
            continue
        got = getattr(minitorch.tensor(x), name)(axis=axis)
        assert got.shape == expected.shape, (name, shape, axis)
        np.testing.assert_array_equal(got.numpy(), expected)


def test_a_max_over_the_non_empty_axis_of_an_empty_tensor_is_empty_and_differentiable():
    x = minitorch.zeros(0, 3, requires_grad=True)
    y = x.max(axis=1)
    assert y.shape == (0,)
    y.backward(minitorch.zeros(0))
    assert x.grad.shape == (0, 3)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape, axis", [((3, 0), -1), ((0, 3), 0), ((0, 3), 1)])
def test_softmax_of_an_empty_tensor_is_empty(name, shape, axis):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "divide by zero" either
        y = getattr(minitorch.zeros(*shape), name)(axis)
    assert y.shape == shape


@pytest.mark.parametrize(
    "axis, repeated",
    [
        ((1, -1), "axes 1 and -1 are the same axis"),
        ((0, 0), "axis 0 is repeated"),
        ((-2, 1, 0), "axes -2 and 0 are the same axis"),
    ],
)
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp"])
def test_a_repeated_axis_is_an_error_naming_it(name, axis, repeated):
    with pytest.raises(ValueError):  # as NumPy
        np.zeros((2, 3)).sum(axis=axis)
    with pytest.raises(ValueError, match=f"^{name}: {repeated} in axis="):
        getattr(minitorch.zeros(2, 3), name)(axis=axis)


def test_iterating_a_0d_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(minitorch.tensor(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(minitorch.tensor(1.0, requires_grad=True) * 2)


def test_iterating_a_tensor_gives_its_rows():
    x = minitorch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    rows = list(x)
    assert [r.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    (rows[0] * 1.0 + rows[2] * 3.0).sum().backward()  # each row is a differentiable view
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 1.0], [0.0, 0.0], [3.0, 3.0]])


# --- casts to integers or booleans are not differentiable -----------------------------------------------------
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, bool])
def test_a_cast_to_an_integer_or_bool_dtype_is_a_constant(dtype):
    x = minitorch.tensor([1.5, -2.5, 0.0], requires_grad=True)
    y = x.astype(dtype)
    assert y.dtype == np.dtype(dtype)
    assert not y.requires_grad and y.grad_fn is None
    np.testing.assert_array_equal(y.numpy(), np.array([1.5, -2.5, 0.0]).astype(dtype))
    # Forward mode agrees: the cast carries no tangent, so (x + cast) has x's tangent only.
    _, tangent = minitorch.jvp(lambda t: t + t.astype(dtype), (x.detach(),), (minitorch.ones(3),))
    np.testing.assert_array_equal(tangent.numpy(), np.ones(3))


def test_a_cast_between_floating_types_stays_differentiable():
    x = minitorch.tensor([1.5, -2.5], requires_grad=True)
    y = x.astype(np.float32)
    assert y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), [3.0, -5.0])


# --- clear errors --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["auto", "forward", "reverse"])
def test_jacobian_of_a_function_returning_a_number_says_so(mode):
    with pytest.raises(TypeError, match="^jacobian: f must return a Tensor, got float"):
        minitorch.jacobian(lambda x: 3.0, mode=mode)(minitorch.tensor([1.0, 2.0]))


@pytest.mark.parametrize("transform", [minitorch.grad, minitorch.value_and_grad, minitorch.hessian])
def test_grad_of_a_function_returning_a_number_says_so(transform):
    with pytest.raises(TypeError, match="^grad: f must return a single-element Tensor, got float"):
        transform(lambda x: 3.0)(minitorch.tensor(1.0))


def test_exp_overflow_gives_inf_in_every_engine():
    with np.errstate(over="ignore"):
        tensor_value = minitorch.tensor(1000.0).exp().item()
    assert tensor_value == math.inf
    x = minitorch.Scalar(1000.0)
    y = x.exp()
    y.backward()
    assert y.data == math.inf and x.grad == math.inf
    assert minitorch.Dual(1000.0, 1.0).exp().tangent == math.inf
    assert minitorch.derivative(lambda d: d.exp(), 1000.0) == math.inf


@pytest.mark.parametrize("base, exponent", [(10.0, 1000.0), (-10.0, 1001.0), (-10.0, 1000.0), (0.5, -2000.0)])
def test_pow_overflow_gives_a_signed_inf_in_every_engine(base, exponent):
    with np.errstate(over="ignore"):
        expected = float(np.float64(base) ** np.float64(exponent))
    assert math.isinf(expected)
    assert (minitorch.Scalar(base) ** exponent).data == expected
    assert (minitorch.Dual(base) ** exponent).primal == expected
    # The derivative b a^(b-1) overflows too (for a > 0 and exponents above 1): inf, not an error.
    if base > 0 and exponent > 1:
        assert minitorch.derivative(lambda d: d**exponent, base) == math.inf


class _Foreign:
    """An array of another library: not NumPy's, but NumPy can convert it (``__array__``)."""

    def __init__(self, values: list):
        self._values = np.asarray(values)
        self.shape = self._values.shape

    def __array__(self, dtype=None, copy=None):
        return self._values if dtype is None else self._values.astype(dtype)


@pytest.mark.parametrize(
    "convert", [_Foreign, memoryview, lambda a: a.tolist()], ids=["__array__", "memoryview", "list"]
)
def test_load_state_dict_takes_anything_numpy_can_convert(convert):
    model = nn.Linear(2, 3)
    weight, bias = np.arange(6.0).reshape(3, 2), np.array([0.5, -0.5, 1.0])
    model.load_state_dict({"weight": convert(weight), "bias": convert(bias)})
    np.testing.assert_array_equal(model.weight.detach().numpy(), weight)
    np.testing.assert_array_equal(model.bias.detach().numpy(), bias)


def test_load_state_dict_names_the_key_of_a_value_that_is_not_numeric():
    model = nn.Linear(2, 1)
    with pytest.raises(TypeError, match="^load_state_dict: the value for 'weight' \\(list\\) is not numeric"):
        model.load_state_dict({"weight": [["a", "b"]], "bias": [0.0]})


# --- gradients have their tensor's dtype ---------------------------------------------------------------------
F64 = np.float64
# f(x32, other): a float32 leaf meets a float64 operand (or an int one) in every way a program can mix them.
MIXED = {
    "numpy float64 target": lambda x, w: ((x - np.array([0.5, -1.0, 2.0])) ** 2).sum(),
    "mse_loss with a numpy target": lambda x, w: nn.functional.mse_loss(x, np.array([0.5, -1.0, 2.0])),
    "0-d float64 constant": lambda x, w: (x * minitorch.tensor(2.0)).sum(),
    "float64 tensor operand": lambda x, w: (x * w / (w + 3.0)).sum(),
    "where": lambda x, w: minitorch.where(x > 0, x, w).sum(),
    "matmul": lambda x, w: (x @ minitorch.reshape(w, (3, 1))).sum(),
    "linear": lambda x, w: nn.functional.linear(minitorch.reshape(x, (1, 3)), minitorch.reshape(w, (1, 3))).sum(),
    "maximum": lambda x, w: minitorch.maximum(x, w).sum(),
    "pow with a float64 exponent": lambda x, w: (x ** minitorch.tensor(2.0)).sum(),
    "int operand": lambda x, w: (x * np.array([1, 2, 3])).sum(),
}


@pytest.mark.parametrize("name", sorted(MIXED))
def test_a_float32_leaf_gets_a_float32_gradient(name):
    f = MIXED[name]
    x_values, w_values = np.array([0.3, -1.2, 2.5]), np.array([1.5, 0.5, -2.0])
    x = minitorch.tensor(x_values.astype(np.float32), requires_grad=True)
    w = minitorch.tensor(w_values, requires_grad=True)
    f(x, w).backward()
    assert x.grad.dtype == np.float32, f"{name}: x.grad is {x.grad.dtype}"
    if w.grad is not None:
        assert w.grad.dtype == F64
    # The same numbers as the all-float64 program (up to float32 rounding of x itself).
    x64 = minitorch.tensor(x.detach().numpy().astype(F64), requires_grad=True)
    f(x64, minitorch.tensor(w_values)).backward()
    np.testing.assert_allclose(x.grad.numpy(), x64.grad.numpy(), rtol=1e-6)
    # Every transform agrees: grad and vjp in x's dtype, jvp in the output's, second derivatives in x's.
    w_constant = minitorch.tensor(w_values)
    x32 = x.detach()
    assert minitorch.grad(f)(x32, w_constant).dtype == np.float32
    out, pullback = minitorch.vjp(lambda t: f(t, w_constant), x32)
    assert pullback(minitorch.ones_like(out))[0].dtype == np.float32
    value, tangent = minitorch.jvp(lambda t: f(t, w_constant), (x32,), (minitorch.ones_like(x32),))
    assert tangent.dtype == value.dtype
    if name not in ("where", "maximum"):  # piecewise linear: no second derivative to speak of
        assert minitorch.hessian(f)(x32, w_constant).dtype == np.float32


def test_a_float64_leaf_next_to_a_float32_one_keeps_float64():
    a = minitorch.tensor([1.0, 2.0], requires_grad=True)
    b = minitorch.tensor(np.array([3.0, 4.0], np.float32), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == F64 and b.grad.dtype == np.float32
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 2.0])


# --- derivatives at special points follow the limit where it exists ----------------------------------------------
def _append(x: minitorch.Tensor, *values: float) -> minitorch.Tensor:
    """``[x, *values]``: x joined to constants, so a rule can be evaluated next to -inf and the like."""
    return minitorch.concatenate([minitorch.reshape(x, (1,)), minitorch.tensor(list(values))])


# (name, f, x0, f'(x0), f''(x0)): each rule at a point where its formula multiplies 0 by inf, or where an
# exponential saturates; the expected values are the limits (inf where the slope really is unbounded).
SPECIAL_POINTS = [
    ("x**0 at 0", lambda x: x**0, 0.0, 0.0, 0.0),
    ("x**1 at 0", lambda x: x**1, 0.0, 1.0, 0.0),
    ("x**2 at 0", lambda x: x**2, 0.0, 0.0, 2.0),
    ("x**3 at 0", lambda x: x**3, 0.0, 0.0, 0.0),
    ("x**0 at -2", lambda x: x**0, -2.0, 0.0, 0.0),
    ("2**x at 0", lambda x: 2.0**x, 0.0, math.log(2.0), math.log(2.0) ** 2),
    ("0**x at 1", lambda x: minitorch.tensor(0.0) ** x, 1.0, 0.0, 0.0),
    ("sqrt at 0", lambda x: x.sqrt(), 0.0, math.inf, None),
    ("sigmoid at 800", lambda x: x.sigmoid(), 800.0, 0.0, 0.0),
    ("sigmoid at -800", lambda x: x.sigmoid(), -800.0, 0.0, 0.0),
    ("tanh at 800", lambda x: x.tanh(), 800.0, 0.0, 0.0),
    ("tanh at -800", lambda x: x.tanh(), -800.0, 0.0, 0.0),
    ("exp at -800", lambda x: x.exp(), -800.0, 0.0, 0.0),
    ("relu at 0", lambda x: x.relu(), 0.0, 0.0, 0.0),
    ("abs at 0", lambda x: abs(x), 0.0, 0.0, 0.0),
    ("logsumexp next to -inf", lambda x: _append(x, -math.inf).logsumexp(), 0.5, 1.0, 0.0),
    ("softmax next to -inf", lambda x: _append(x, -math.inf).softmax()[0], 0.5, 0.0, 0.0),
    ("log_softmax next to -inf", lambda x: _append(x, -math.inf).log_softmax()[0], 0.5, 0.0, 0.0),
    ("softmax of -inf", lambda x: _append(x, 0.0, -math.inf).softmax()[2], 0.5, 0.0, 0.0),
    ("max next to -inf", lambda x: _append(x, -math.inf).max(), 0.5, 1.0, 0.0),
]


def _forward_derivative(f, x0: float) -> float:
    return minitorch.jvp(f, (minitorch.tensor(x0),), (minitorch.tensor(1.0),))[1].item()


@pytest.mark.parametrize("name, f, x0, first, second", SPECIAL_POINTS, ids=[p[0] for p in SPECIAL_POINTS])
def test_derivatives_at_special_points_are_the_limits(name, f, x0, first, second):
    x = minitorch.tensor(x0)
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        derivatives = {
            "reverse": minitorch.grad(f)(x).item(),
            "forward": _forward_derivative(f, x0),
        }
        if second is not None:
            derivatives.update(
                {
                    "reverse-over-reverse": minitorch.grad(minitorch.grad(f))(x).item(),
                    "forward-over-reverse": minitorch.hvp(f, (x,), (minitorch.tensor(1.0),))[1].item(),
                    "forward-over-forward": _forward_derivative(
                        lambda t: minitorch.jvp(f, (t,), (minitorch.ones_like(t),))[1], x0
                    ),
                }
            )
    expected = {mode: (first if mode in ("reverse", "forward") else second) for mode in derivatives}
    for mode, value in derivatives.items():
        assert value == pytest.approx(expected[mode], abs=1e-12), f"{name}: {mode} gives {value}"


def test_pow_derivatives_away_from_the_singular_point_keep_their_values():
    """The limit at a = b = 0 must not leak into neighbours: d²(a^b)/da db = 1/a at b = 0."""
    h = minitorch.hessian(lambda v: v[0] ** v[1])(minitorch.tensor([2.0, 0.0]))
    np.testing.assert_allclose(h.numpy(), [[0.0, 0.5], [0.5, math.log(2.0) ** 2]], rtol=1e-12)


def test_pow_with_an_exponent_tensor_holding_zeros():
    a = minitorch.tensor([0.0, 0.0, 3.0, 0.0], requires_grad=True)
    b = minitorch.tensor([0.0, 1.0, 0.0, 2.0], requires_grad=True)
    (a**b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 1.0, 0.0, 0.0])
    np.testing.assert_allclose(b.grad.numpy(), [0.0, 0.0, math.log(3.0), 0.0])


@pytest.mark.parametrize("exponent, expected", [(0.0, 0.0), (1.0, 1.0), (2.0, 0.0)])
def test_the_scalar_engines_agree_at_zero(exponent, expected):
    x = minitorch.Scalar(0.0)
    (x**exponent).backward()
    assert x.grad == expected
    assert minitorch.derivative(lambda d: d**exponent, 0.0) == expected
