"""The scalar engines: every rule against central differences, in both modes."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch
from minitorch import Dual, Scalar, central_difference, derivative

finite = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False)
positive = st.floats(min_value=0.1, max_value=4.0)

# name -> (function written once for floats, Scalars and Duals, strategy for its inputs)
UNARY = {
    "neg": (lambda x: -x, finite),
    "exp": (lambda x: x.exp() if hasattr(x, "exp") else math.exp(x), finite),
    "log": (lambda x: x.log() if hasattr(x, "log") else math.log(x), positive),
    "sin": (lambda x: x.sin() if hasattr(x, "sin") else math.sin(x), finite),
    "cos": (lambda x: x.cos() if hasattr(x, "cos") else math.cos(x), finite),
    "tanh": (lambda x: x.tanh() if hasattr(x, "tanh") else math.tanh(x), finite),
    "sigmoid": (lambda x: x.sigmoid() if hasattr(x, "sigmoid") else 1 / (1 + math.exp(-x)), finite),
    # Keep away from the kink at 0, where finite differences are meaningless.
    "relu": (lambda x: x.relu() if hasattr(x, "relu") else max(x, 0.0), finite.filter(lambda v: abs(v) > 1e-3)),
    "square": (lambda x: x**2, finite),
    "cube_root_of_positive": (lambda x: x ** (1 / 3), positive),
}
BINARY = {
    "add": (lambda x, y: x + y, finite, finite),
    "sub": (lambda x, y: x - y, finite, finite),
    "mul": (lambda x, y: x * y, finite, finite),
    "div": (lambda x, y: x / y, finite, finite.filter(lambda v: abs(v) > 0.1)),
    "pow": (lambda x, y: x**y, positive, finite),
}


def reverse_gradient(f, *values):
    leaves = [Scalar(v) for v in values]
    f(*leaves).backward()
    return [leaf.grad for leaf in leaves]


def forward_gradient(f, *values):
    """One forward pass per input, seeding that input's tangent with 1."""
    grads = []
    for i in range(len(values)):
        duals = [Dual(v, 1.0 if j == i else 0.0) for j, v in enumerate(values)]
        grads.append(f(*duals).tangent)
    return grads


def numeric_gradient(f, *values):
    return [central_difference(f, *values, arg=i) for i in range(len(values))]


def assert_close(actual, expected, tol=1e-6):
    for a, e in zip(actual, expected):
        assert a == pytest.approx(e, rel=tol, abs=tol)


@pytest.mark.parametrize("name", UNARY)
def test_unary_rule_matches_central_difference(name):
    f, inputs = UNARY[name]

    @settings(max_examples=40, deadline=None)
    @given(inputs)
    def check(x):
        expected = numeric_gradient(f, x)
        assert f(Scalar(x)).data == pytest.approx(f(x))
        assert f(Dual(x)).primal == pytest.approx(f(x))
        assert_close(reverse_gradient(f, x), expected)
        assert_close(forward_gradient(f, x), expected)

    check()


@pytest.mark.parametrize("name", BINARY)
def test_binary_rule_matches_central_difference(name):
    f, left, right = BINARY[name]

    @settings(max_examples=40, deadline=None)
    @given(left, right)
    def check(x, y):
        expected = numeric_gradient(f, x, y)
        assert_close(reverse_gradient(f, x, y), expected)
        assert_close(forward_gradient(f, x, y), expected)

    check()


@pytest.mark.parametrize("name", BINARY)
def test_plain_numbers_on_either_side_are_constants(name):
    f, _, _ = BINARY[name]
    x, c = 1.7, 0.6
    left, right = Scalar(x), Scalar(x)
    f(left, c).backward()
    f(c, right).backward()
    assert left.grad == pytest.approx(central_difference(lambda v: f(v, c), x))
    assert right.grad == pytest.approx(central_difference(lambda v: f(c, v), x))
    assert derivative(lambda d: f(d, c), x) == pytest.approx(left.grad)
    assert derivative(lambda d: f(c, d), x) == pytest.approx(right.grad)


# Random compositions: a tiny expression language so hypothesis can draw programs.
OPS = [
    lambda a, b: a + b,
    lambda a, b: a * b,
    lambda a, b: a - b.sin(),
    lambda a, b: a * b.tanh(),
    lambda a, b: (a * 0.3).exp() + b.cos(),
    lambda a, b: (a * a + 1.0).log() - b,
    lambda a, b: a / (b * b + 1.0),
    lambda a, b: a.sigmoid() * b,
]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(OPS) - 1), st.integers(0, 100), st.integers(0, 100)), min_size=1, max_size=12
    ),
    finite,
    finite,
)
def test_random_programs_forward_and_reverse_agree(program, x, y):
    def run(a, b):
        values = [a, b]
        for op, i, j in program:
            values.append(OPS[op](values[i % len(values)], values[j % len(values)]))
        return values[-1]

    def run_float(a, b):
        return run(Dual(a), Dual(b)).primal

    reverse = reverse_gradient(run, x, y)
    forward = forward_gradient(run, x, y)
    assert_close(reverse, forward, tol=1e-9)
    assert_close(reverse, numeric_gradient(run_float, x, y), tol=1e-4)


# Worked examples from the reference texts (shared/seeds/README.md).
def test_seed_example_sum_times_sine():
    x1, x2 = Scalar(1.0), Scalar(2.0)
    f = (x1 + x2) * x1.sin()
    f.backward()
    assert round(f.data, 4) == 2.5244
    assert round(x1.grad, 4) == 2.4624  # the seed text prints 2.463, a rounding slip
    assert x1.grad == pytest.approx(math.sin(1) + 3 * math.cos(1), abs=1e-12)
    assert x2.grad == pytest.approx(math.sin(1), abs=1e-12)


def test_seed_example_sin_of_square_plus_exp():
    for x in (-1.3, 0.0, 0.4, 2.0):
        expected = 2 * x * math.cos(x * x) + math.exp(x)
        assert derivative(lambda v: (v * v).sin() + v.exp(), x) == pytest.approx(expected)
        s = Scalar(x)
        ((s * s).sin() + s.exp()).backward()
        assert s.grad == pytest.approx(expected)


def test_seed_example_cube_plus_log_forward_mode():
    out = (lambda v: v**3 + v.log())(Dual(2.0, 1.0))
    assert round(out.primal, 4) == 8.6931
    assert out.tangent == pytest.approx(12.5, abs=1e-12)


def test_seed_example_x_sin_y_reverse_mode():
    x, y = Scalar(3.0), Scalar(math.pi / 6)
    (x * y.sin()).backward()
    assert round(x.grad, 4) == 0.5
    assert round(y.grad, 3) == 2.598
    assert y.grad == pytest.approx(3 * math.cos(math.pi / 6))


def test_seed_example_sqrt_of_square_plus_one():
    assert round(derivative(lambda v: (v * v + 1) ** 0.5, 3.0), 4) == 0.9487
    x = Scalar(3.0)
    ((x * x + 1) ** 0.5).backward()
    assert x.grad == pytest.approx(3 / math.sqrt(10))


def test_seed_example_log_plus_product_minus_sine():
    x1, x2 = Scalar(2.0), Scalar(5.0)
    y = x1.log() + x1 * x2 - x2.sin()
    y.backward()
    assert round(y.data, 3) == 11.652
    assert x1.grad == pytest.approx(5.5)
    assert x2.grad == pytest.approx(2 - math.cos(5))
    assert round(x2.grad, 3) == 1.716


# Graph shapes.
def test_fan_out_accumulates():
    a = Scalar(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0
    assert b.grad == 2.0


def test_diamond_and_shared_subexpression():
    x = Scalar(0.7)
    shared = x.sin()
    left, right = shared * 2.0, shared.exp()
    out = left * right
    out.backward()
    expected = derivative(lambda v: (v.sin() * 2.0) * v.sin().exp(), 0.7)
    assert x.grad == pytest.approx(expected)


def test_gradients_accumulate_across_backward_calls_until_reset():
    x = Scalar(2.0)
    y = x * x
    y.backward()
    y.backward()
    assert x.grad == pytest.approx(8.0)
    x.grad = 0.0
    (x * x * x).backward()
    assert x.grad == pytest.approx(12.0)


def test_constants_get_no_node():
    x = Scalar(1.5)
    y = 2.0 * x + 1.0
    assert y.parents[0].parents == (x,)
    y.backward()
    assert x.grad == 2.0


def test_unused_leaf_has_zero_gradient():
    x, unused = Scalar(1.0), Scalar(2.0)
    (x * 3.0).backward()
    assert unused.grad == 0.0


def test_deep_chain_of_100000_operations():
    x = Scalar(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    y.backward()
    assert x.grad == pytest.approx(1.00001**100_000)
    assert len(minitorch.topological_sort(y)) == 100_001


# Errors.
@pytest.mark.parametrize("bad", ["1.0", None, [1.0], 1 + 2j])
def test_wrong_operand_types_name_the_operation_and_type(bad):
    with pytest.raises(TypeError, match=r"Scalar mul: .*" + type(bad).__name__):
        Scalar(1.0) * bad
    with pytest.raises(TypeError, match=r"Dual add: .*" + type(bad).__name__):
        Dual(1.0) + bad
    with pytest.raises(TypeError, match=type(bad).__name__):
        Scalar(bad)


def test_domain_errors_name_the_operation():
    with pytest.raises(ValueError, match="log"):
        Scalar(-1.0).log()
    with pytest.raises(ZeroDivisionError, match="div"):
        Scalar(1.0) / 0.0


def test_central_difference_validates_arguments():
    with pytest.raises(IndexError, match="arg=2"):
        central_difference(lambda a, b: a * b, 1.0, 2.0, arg=2)
    assert central_difference(lambda a, b: a * b, 3.0, 2.0, arg=1) == pytest.approx(3.0)


def test_derivative_of_a_constant_function_is_zero():
    assert derivative(lambda x: 5.0, 1.0) == 0.0
