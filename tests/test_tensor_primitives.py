"""Every tensor primitive, checked by the finite-difference oracle (see ``conftest.py``).

For each primitive: values match NumPy; the VJP (``minitorch.vjp`` and
``.backward(gradient=...)``) matches central differences of
:math:`\\sum ū \\odot f(x)`; the JVP (``minitorch.jvp``) matches central
differences along a random tangent; and :math:`ū\\cdot(Jv) = (ūᵀJ)\\cdot v`.
Shapes are drawn by hypothesis, including broadcasting and size-1 axes.
Inputs of functions with kinks (relu, abs, max, ...) are kept well away from
the kinks, where finite differences say nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minitorch

FEW = settings(max_examples=40, deadline=None)
seeds = st.integers(0, 2**32 - 1)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)
two_shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3)
three_shapes = hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, min_side=1, max_side=3)


# --- points to differentiate at ---------------------------------------------------------------
def anywhere(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.standard_normal(shape)


def positive(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return 0.5 + np.abs(rng.standard_normal(shape))


def nonzero(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """At least 0.5 away from 0 (denominators)."""
    z = rng.standard_normal(shape)
    return np.where(z >= 0, 1.0, -1.0) * (0.5 + np.abs(z))


def off_kink(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """At least 0.1 away from 0 (relu and abs)."""
    z = rng.standard_normal(shape)
    return np.where(z >= 0, 1.0, -1.0) * (0.1 + np.abs(z))


def distinct(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """All elements at least 0.3 apart, so no perturbation changes which one is largest."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.5 - n / 4 + rng.uniform(-0.1, 0.1, n)).reshape(shape)


def quarter_lattice(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Near integers + 1/4; ``three_quarter_lattice`` values are then at least 0.3 away."""
    return rng.integers(-2, 3, shape) + 0.25 + rng.uniform(-0.1, 0.1, shape)


def three_quarter_lattice(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.integers(-2, 3, shape) + 0.75 + rng.uniform(-0.1, 0.1, shape)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logsumexp(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


# --- unary primitives (and binary ones with a number on one side) ---------------------------
UNARY = {
    "neg": (lambda x: -x, np.negative, anywhere),
    "neg function": (minitorch.ops.neg, np.negative, anywhere),
    "exp": (minitorch.exp, np.exp, anywhere),
    "exp method": (lambda x: x.exp(), np.exp, anywhere),
    "log": (minitorch.log, np.log, positive),
    "sqrt": (minitorch.sqrt, np.sqrt, positive),
    "sin": (minitorch.sin, np.sin, anywhere),
    "cos": (minitorch.cos, np.cos, anywhere),
    "tanh": (minitorch.tanh, np.tanh, anywhere),
    "sigmoid": (minitorch.sigmoid, _sigmoid, anywhere),
    "relu": (minitorch.relu, lambda x: np.maximum(x, 0.0), off_kink),
    "abs": (minitorch.abs, np.abs, off_kink),
    "abs builtin": (abs, np.abs, off_kink),
    "x ** 2": (lambda x: x**2, np.square, anywhere),
    "x ** 3": (lambda x: x**3, lambda x: x**3, anywhere),
    "x ** 1": (lambda x: x**1, lambda x: x, anywhere),
    "x ** 0": (lambda x: x**0, np.ones_like, nonzero),
    "x ** 0.5": (lambda x: x**0.5, np.sqrt, positive),
    "x ** -1.5": (lambda x: x**-1.5, lambda x: x**-1.5, positive),
    "2.0 ** x": (lambda x: 2.0**x, lambda x: 2.0**x, anywhere),
    "x + 2.5": (lambda x: x + 2.5, lambda x: x + 2.5, anywhere),
    "2.5 - x": (lambda x: 2.5 - x, lambda x: 2.5 - x, anywhere),
    "x * -1.5": (lambda x: x * -1.5, lambda x: x * -1.5, anywhere),
    "3.0 / x": (lambda x: 3.0 / x, lambda x: 3.0 / x, nonzero),
    "x / 4.0": (lambda x: x / 4.0, lambda x: x / 4.0, anywhere),
    "maximum(x, 0.25)": (lambda x: minitorch.maximum(x, 0.25), lambda x: np.maximum(x, 0.25), three_quarter_lattice),
    "minimum(0.75, x)": (lambda x: minitorch.minimum(0.75, x), lambda x: np.minimum(0.75, x), quarter_lattice),
}


@pytest.mark.parametrize("name", UNARY)
@FEW
@given(shape=shapes, seed=seeds)
def test_unary(oracle, name, shape, seed):
    f, reference, domain = UNARY[name]
    x = domain(np.random.default_rng(seed), shape)
    oracle.check(f, [x], expected=reference, seed=seed)


# --- binary primitives with broadcasting -----------------------------------------------------
BINARY = {
    "add": (lambda a, b: a + b, np.add, anywhere, anywhere),
    "sub": (lambda a, b: a - b, np.subtract, anywhere, anywhere),
    "mul": (lambda a, b: a * b, np.multiply, anywhere, anywhere),
    "div": (lambda a, b: a / b, np.divide, anywhere, nonzero),
    "pow (tensor exponent)": (lambda a, b: a**b, np.power, positive, anywhere),
    "pow function": (minitorch.ops.pow, np.power, positive, anywhere),
    "maximum": (minitorch.maximum, np.maximum, quarter_lattice, three_quarter_lattice),
    "minimum": (minitorch.minimum, np.minimum, quarter_lattice, three_quarter_lattice),
    "same operand twice": (lambda a, b: a * a + b * a, lambda a, b: a * a + b * a, anywhere, anywhere),
}


@pytest.mark.parametrize("name", BINARY)
@FEW
@given(shapes=two_shapes, seed=seeds)
def test_binary_broadcasting(oracle, name, shapes, seed):
    f, reference, domain_a, domain_b = BINARY[name]
    rng = np.random.default_rng(seed)
    a_shape, b_shape = shapes.input_shapes
    oracle.check(f, [domain_a(rng, a_shape), domain_b(rng, b_shape)], expected=reference, seed=seed)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow (tensor exponent)", "maximum", "minimum"])
@pytest.mark.parametrize("a_shape, b_shape", [((2, 1, 3), (4, 1)), ((1,), (2, 3)), ((), (2, 2)), ((3, 1), (1, 3))])
def test_binary_broadcasting_fixed_cases(oracle, name, a_shape, b_shape):
    """Cases that must always be present: size-1 axes stretched on both sides, a scalar tensor."""
    f, reference, domain_a, domain_b = BINARY[name]
    rng = np.random.default_rng(len(a_shape) + 7 * len(b_shape))
    oracle.check(f, [domain_a(rng, a_shape), domain_b(rng, b_shape)], expected=reference)
    oracle.check(
        lambda b, a: f(a, b), [domain_b(rng, b_shape), domain_a(rng, a_shape)], expected=lambda b, a: reference(a, b)
    )


@FEW
@given(shapes=three_shapes, seed=seeds, condition_is_tensor=st.booleans())
def test_where(oracle, shapes, seed, condition_is_tensor):
    rng = np.random.default_rng(seed)
    c_shape, a_shape, b_shape = shapes.input_shapes
    condition = rng.random(c_shape) < 0.5
    c = oracle.tensor(condition) if condition_is_tensor else condition
    oracle.check(
        lambda a, b: minitorch.where(c, a, b),
        [anywhere(rng, a_shape), anywhere(rng, b_shape)],
        expected=lambda a, b: np.where(condition, a, b),
        seed=seed,
    )


def test_where_with_a_number_and_a_comparison(oracle):
    rng = np.random.default_rng(3)
    x0 = off_kink(rng, (3, 4))
    mask = oracle.tensor(x0) > 0  # a constant boolean tensor, fixed at the base point
    oracle.check(lambda x: minitorch.where(mask, x * x, 0.5), [x0], expected=lambda x: np.where(x0 > 0, x * x, 0.5))
    oracle.check(
        lambda x: minitorch.where(mask, -1.0, x.exp()), [x0], expected=lambda x: np.where(x0 > 0, -1.0, np.exp(x))
    )


# --- matmul ---------------------------------------------------------------------------------
MATMUL_CASES = {
    "vector . vector": ((3,), (3,)),
    "matrix . vector": ((2, 3), (3,)),
    "vector . matrix": ((3,), (3, 4)),
    "matrix . matrix": ((2, 3), (3, 4)),
    "batch . matrix": ((5, 2, 3), (3, 4)),
    "matrix . batch": ((2, 3), (5, 3, 4)),
    "batch . vector": ((5, 2, 3), (3,)),
    "vector . batch": ((3,), (5, 3, 4)),
    "broadcast batches": ((2, 1, 2, 3), (4, 3, 2)),
    "size-1 everything": ((1, 1, 1), (1, 1)),
}


@pytest.mark.parametrize("name", MATMUL_CASES)
def test_matmul_cases(oracle, name):
    a_shape, b_shape = MATMUL_CASES[name]
    rng = np.random.default_rng(len(name))
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    oracle.check(minitorch.matmul, [a, b], expected=np.matmul)
    oracle.check(lambda a, b: a @ b, [a, b], expected=np.matmul)


@st.composite
def matmul_shapes(draw: Any) -> tuple[tuple, tuple]:
    m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
    a_vector, b_vector = draw(st.booleans()), draw(st.booleans())
    batch_a, batch_b = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, min_side=1, max_side=3)
    ).input_shapes
    a_shape = (k,) if a_vector else batch_a + (m, k)
    b_shape = (k,) if b_vector else batch_b + (k, n)
    return a_shape, b_shape


@FEW
@given(shapes=matmul_shapes(), seed=seeds)
def test_matmul_random_shapes(oracle, shapes, seed):
    rng = np.random.default_rng(seed)
    a_shape, b_shape = shapes
    oracle.check(
        minitorch.matmul, [rng.standard_normal(a_shape), rng.standard_normal(b_shape)], expected=np.matmul, seed=seed
    )


def test_matmul_with_a_constant_operand(oracle):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((3, 2))
    oracle.check(lambda x: x @ w, [rng.standard_normal((4, 3))], expected=lambda x: x @ w)
    oracle.check(lambda x: oracle.tensor(w).T @ x, [rng.standard_normal((3, 5))], expected=lambda x: w.T @ x)


# --- reductions -------------------------------------------------------------------------------
@st.composite
def shape_and_axis(draw: Any, min_dims: int = 0) -> tuple[tuple, Any, bool]:
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=3))
    ndim = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"] if ndim else ["none", "tuple"]))
    if kind == "none":
        axis = None
    elif kind == "int":
        axis = draw(st.integers(-ndim, ndim - 1))
    else:
        axes = draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim)) if ndim else []
        axis = tuple(a - ndim if draw(st.booleans()) else a for a in axes)
    return shape, axis, draw(st.booleans())


REDUCTIONS = {
    "sum": (minitorch.sum, np.sum, anywhere),
    "sum method": (lambda x, axis, keepdims: x.sum(axis, keepdims), np.sum, anywhere),
    "mean": (minitorch.mean, np.mean, anywhere),
    "mean method": (lambda x, axis, keepdims: x.mean(axis=axis, keepdims=keepdims), np.mean, anywhere),
    "max": (minitorch.max, np.max, distinct),
    "max method": (lambda x, axis, keepdims: x.max(axis, keepdims=keepdims), np.max, distinct),
    "min": (minitorch.min, np.min, distinct),
    "min method": (lambda x, axis, keepdims: x.min(axis, keepdims=keepdims), np.min, distinct),
    "logsumexp": (minitorch.logsumexp, _logsumexp, anywhere),
    "logsumexp method": (lambda x, axis, keepdims: x.logsumexp(axis, keepdims), _logsumexp, anywhere),
}


@pytest.mark.parametrize("name", REDUCTIONS)
@FEW
@given(case=shape_and_axis(), seed=seeds)
def test_reduction(oracle, name, case, seed):
    f, reference, domain = REDUCTIONS[name]
    shape, axis, keepdims = case
    oracle.check(
        lambda x: f(x, axis, keepdims),
        [domain(np.random.default_rng(seed), shape)],
        expected=lambda x: reference(x, axis=axis, keepdims=keepdims),
        seed=seed,
    )


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, -3, (0, 2), (-1, 0), (0, 1, 2), ()])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_every_axis_form(oracle, name, axis, keepdims):
    f, reference, domain = REDUCTIONS[name]
    x = domain(np.random.default_rng(1), (2, 3, 2))
    oracle.check(lambda x: f(x, axis, keepdims), [x], expected=lambda x: reference(x, axis=axis, keepdims=keepdims))


@FEW
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), seed=seeds, data=st.data())
def test_softmax_and_log_softmax(oracle, shape, seed, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = 2.0 * anywhere(np.random.default_rng(seed), shape)
    oracle.check(lambda x: minitorch.softmax(x, axis), [x], expected=lambda x: _softmax(x, axis), seed=seed)
    oracle.check(lambda x: x.softmax(axis), [x], expected=lambda x: _softmax(x, axis), seed=seed)
    oracle.check(lambda x: minitorch.log_softmax(x, axis), [x], expected=lambda x: np.log(_softmax(x, axis)), seed=seed)
    oracle.check(lambda x: x.log_softmax(axis=axis), [x], expected=lambda x: np.log(_softmax(x, axis)), seed=seed)


def test_softmax_default_axis_is_last(oracle):
    x = anywhere(np.random.default_rng(2), (2, 3, 4))
    oracle.check(minitorch.softmax, [x], expected=lambda x: _softmax(x, -1))
    oracle.check(minitorch.log_softmax, [x], expected=lambda x: np.log(_softmax(x, -1)))


# --- shape primitives ------------------------------------------------------------------------
@FEW
@given(shape=shapes, seed=seeds, data=st.data())
def test_reshape(oracle, shape, seed, data):
    size = int(np.prod(shape))
    factors = [p for p in (2, 3) for _ in range(20) if size % p ** (_ + 1) == 0]
    factors = data.draw(st.permutations(factors + [1] * data.draw(st.integers(0, 2))))
    cut = sorted(data.draw(st.lists(st.integers(0, len(factors)), max_size=3)))
    groups = [factors[i:j] for i, j in zip([0] + cut, cut + [len(factors)])]
    new_shape = tuple(int(np.prod(g)) for g in groups if g) or ()
    if new_shape and data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(new_shape) - 1))
        new_shape = new_shape[:i] + (-1,) + new_shape[i + 1 :]
    x = anywhere(np.random.default_rng(seed), shape)
    oracle.check(lambda x: minitorch.reshape(x, new_shape), [x], expected=lambda x: x.reshape(new_shape), seed=seed)
    oracle.check(lambda x: x.reshape(*new_shape), [x], expected=lambda x: x.reshape(new_shape), seed=seed)


@FEW
@given(shape=shapes, seed=seeds, data=st.data())
def test_flatten_squeeze_unsqueeze(oracle, shape, seed, data):
    """Three reshapes with names: values against NumPy, derivatives by the oracle."""
    ndim = len(shape)
    x = anywhere(np.random.default_rng(seed), shape)
    axis = data.draw(st.integers(-ndim - 1, ndim))
    oracle.check(lambda x: x.unsqueeze(axis), [x], expected=lambda x: np.expand_dims(x, axis), seed=seed)
    oracle.check(lambda x: minitorch.squeeze(x.unsqueeze(axis), axis), [x], expected=lambda x: x, seed=seed)
    oracle.check(lambda x: x.unsqueeze(axis).squeeze(), [x], expected=np.squeeze, seed=seed)
    oracle.check(minitorch.flatten, [x], expected=lambda x: x.reshape(-1), seed=seed)
    if ndim:
        start = data.draw(st.integers(0, ndim - 1))
        end = data.draw(st.integers(start, ndim - 1)) - ndim * data.draw(st.integers(0, 1))  # also as negative
        merged = shape[:start] + (int(np.prod(shape[start : end % ndim + 1])),) + shape[end % ndim + 1 :]
        oracle.check(lambda x: x.flatten(start, end), [x], expected=lambda x: x.reshape(merged), seed=seed)


def test_flatten_squeeze_unsqueeze_errors_name_the_function_and_the_shape():
    x = minitorch.zeros(2, 1, 3)
    with pytest.raises(ValueError, match=r"^squeeze: axis 0 of a tensor of shape \(2, 1, 3\) has size 2, not 1$"):
        x.squeeze(0)
    with pytest.raises(ValueError, match=r"^squeeze: a tensor of shape \(\) has no axis to drop$"):
        minitorch.tensor(1.0).squeeze(0)
    with pytest.raises(
        ValueError,
        match=r"^unsqueeze: axis 4 is out of range for a tensor of shape \(2, 1, 3\) "
        r"\(the new axis goes at a position from -4 to 3\)$",
    ):
        x.unsqueeze(4)
    with pytest.raises(ValueError, match=r"^flatten: start_axis 2 comes after end_axis 1 for shape \(2, 1, 3\)$"):
        x.flatten(2, 1)
    with pytest.raises(ValueError, match=r"^flatten: axis 3 is out of range"):
        x.flatten(3)
    assert x.squeeze().shape == (2, 3) and minitorch.tensor(5.0).flatten().shape == (1,)


@FEW
@given(shape=shapes, seed=seeds, data=st.data())
def test_transpose_and_permute(oracle, shape, seed, data):
    ndim = len(shape)
    axes = data.draw(st.permutations(range(ndim)))
    axes = tuple(a - ndim if data.draw(st.booleans()) else a for a in axes)
    x = anywhere(np.random.default_rng(seed), shape)
    oracle.check(lambda x: minitorch.permute(x, axes), [x], expected=lambda x: x.transpose(axes), seed=seed)
    oracle.check(lambda x: x.permute(*axes), [x], expected=lambda x: x.transpose(axes), seed=seed)
    oracle.check(lambda x: minitorch.transpose(x, axes), [x], expected=lambda x: x.transpose(axes), seed=seed)
    oracle.check(lambda x: minitorch.transpose(x), [x], expected=np.transpose, seed=seed)
    oracle.check(lambda x: x.T, [x], expected=lambda x: x.T, seed=seed)
    oracle.check(lambda x: x.transpose(), [x], expected=np.transpose, seed=seed)


@FEW
@given(target=shapes, seed=seeds, data=st.data())
def test_broadcast_to(oracle, target, seed, data):
    kept = data.draw(st.integers(0, len(target)))
    shape = tuple(1 if data.draw(st.booleans()) else n for n in target[len(target) - kept :])
    x = anywhere(np.random.default_rng(seed), shape)
    oracle.check(
        lambda x: minitorch.broadcast_to(x, target), [x], expected=lambda x: np.broadcast_to(x, target), seed=seed
    )
    oracle.check(lambda x: x.broadcast_to(list(target)), [x], expected=lambda x: np.broadcast_to(x, target), seed=seed)


MASK_1D = np.array([True, False, True, True])
MASK_2D = np.random.default_rng(5).random((4, 3)) < 0.5
MASK_3D = np.random.default_rng(6).random((4, 3, 2)) < 0.5
INDICES = {
    "int": 1,
    "negative int": -1,
    "slice": slice(1, 3),
    "reversed slice": slice(None, None, -1),
    "strided slice": slice(None, None, 2),
    "slice and int": (slice(None), 0),
    "ellipsis and int": (Ellipsis, 1),
    "None and ellipsis": (None, Ellipsis),
    "int, None, slice, int": (0, None, slice(None), -1),
    "ints": (3, 2, 1),
    "int array with repeats": [0, 0, 3, 1, 0],
    "negative int array": np.array([-1, -1, 0]),
    "2-d int array": np.array([[0, 1], [1, 1]]),
    "paired int arrays with repeats": ([0, 0, 2], [1, 1, 2]),
    "slice then int array": (slice(None), [2, 0, 2]),
    "int array, slice, int array": ([1, 1], slice(0, 2), [0, 0]),
    "1-d mask": MASK_1D,
    "list mask": [True, False, False, True],
    "2-d mask": MASK_2D,
    "full mask": MASK_3D,
    "mask then int": (MASK_1D, 0),
    "ellipsis then mask": (Ellipsis, np.array([False, True])),
    "tensor of indices": minitorch.tensor([2, 2, 0]),
    "tensor mask": minitorch.tensor(MASK_1D),
}


def _numpy_index(index: Any) -> Any:
    if isinstance(index, minitorch.Tensor):
        return index.numpy()
    return index


@pytest.mark.parametrize("name", INDICES)
def test_getitem(oracle, name):
    index = INDICES[name]
    x = anywhere(np.random.default_rng(len(name)), (4, 3, 2))
    oracle.check(lambda x: x[index], [x], expected=lambda x: x[_numpy_index(index)])
    oracle.check(lambda x: minitorch.ops.getitem(x * x, index), [x], expected=lambda x: (x * x)[_numpy_index(index)])


@FEW
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), seed=seeds, data=st.data())
def test_concatenate(oracle, shape, seed, data):
    ndim = len(shape)
    axis = data.draw(st.integers(-ndim, ndim - 1))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    rng = np.random.default_rng(seed)
    arrays = [anywhere(rng, shape[: axis % ndim] + (n,) + shape[axis % ndim + 1 :]) for n in sizes]
    oracle.check(
        lambda *xs: minitorch.concatenate(list(xs), axis),
        arrays,
        expected=lambda *xs: np.concatenate(xs, axis),
        seed=seed,
    )


def test_concatenate_with_a_constant_and_a_repeated_input(oracle):
    rng = np.random.default_rng(4)
    c = rng.standard_normal((2, 2))
    constant = oracle.tensor(c)
    oracle.check(
        lambda a, b: minitorch.concatenate([a, constant, b, a], axis=-1),
        [rng.standard_normal((2, 3)), rng.standard_normal((2, 1))],
        expected=lambda a, b: np.concatenate([a, c, b, a], axis=-1),
    )


@FEW
@given(shape=shapes, seed=seeds, data=st.data())
def test_stack(oracle, shape, seed, data):
    ndim = len(shape) + 1
    axis = data.draw(st.integers(-ndim, ndim - 1))
    count = data.draw(st.integers(1, 3))
    rng = np.random.default_rng(seed)
    oracle.check(
        lambda *xs: minitorch.stack(list(xs), axis=axis),
        [anywhere(rng, shape) for _ in range(count)],
        expected=lambda *xs: np.stack(xs, axis=axis),
        seed=seed,
    )


# --- compositions: fan-out, broadcasting and reductions together ----------------------------
def test_two_layer_network_with_cross_entropy(oracle):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((5, 3))
    onehot = np.eye(4)[rng.integers(0, 4, 5)]

    def loss(w1, b1, w2):
        hidden = minitorch.tanh(x @ w1 + b1)
        return -(minitorch.log_softmax(hidden @ w2, axis=-1) * onehot).sum(axis=-1).mean()

    def reference(w1, b1, w2):
        logits = np.tanh(x @ w1 + b1) @ w2
        return -(np.log(_softmax(logits, -1)) * onehot).sum(-1).mean()

    oracle.check(
        loss, [rng.standard_normal((3, 6)), rng.standard_normal(6), rng.standard_normal((6, 4))], expected=reference
    )


def test_fan_out_and_reuse(oracle):
    rng = np.random.default_rng(9)

    def f(x, y):
        s = x.sigmoid()
        return (s * x + (s / (1.0 + y * y)).sum(axis=0, keepdims=True) - minitorch.maximum(x, y).max()) ** 2

    def reference(x, y):
        s = _sigmoid(x)
        return (s * x + (s / (1.0 + y * y)).sum(axis=0, keepdims=True) - np.maximum(x, y).max()) ** 2

    oracle.check(f, [quarter_lattice(rng, (3, 2)) * 2, three_quarter_lattice(rng, (2,)) * 2], expected=reference)


# --- closed forms: derivatives known by hand, independent of finite differences -------------
CLOSED_FORMS = {
    "exp": (minitorch.exp, np.exp, anywhere),
    "log": (minitorch.log, lambda x: 1 / x, positive),
    "sqrt": (minitorch.sqrt, lambda x: 0.5 / np.sqrt(x), positive),
    "sin": (minitorch.sin, np.cos, anywhere),
    "cos": (minitorch.cos, lambda x: -np.sin(x), anywhere),
    "tanh": (minitorch.tanh, lambda x: 1 / np.cosh(x) ** 2, anywhere),
    "sigmoid": (minitorch.sigmoid, lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2, anywhere),
    "relu": (minitorch.relu, lambda x: (x > 0).astype(float), off_kink),
    "abs": (minitorch.abs, np.sign, off_kink),
    "neg": (lambda x: -x, lambda x: -np.ones_like(x), anywhere),
    "x ** 3": (lambda x: x**3, lambda x: 3 * x**2, anywhere),
    "x ** -0.5": (lambda x: x**-0.5, lambda x: -0.5 * x**-1.5, positive),
    "3 ** x": (lambda x: 3.0**x, lambda x: np.log(3.0) * 3.0**x, anywhere),
}


@pytest.mark.parametrize("name", CLOSED_FORMS)
def test_elementwise_derivative_closed_form(name):
    f, derivative, domain = CLOSED_FORMS[name]
    x0 = domain(np.random.default_rng(11), (3, 4))
    x = minitorch.tensor(x0, requires_grad=True)
    f(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), derivative(x0), rtol=1e-12, atol=1e-14)
    _, tangent = minitorch.jvp(f, [minitorch.tensor(x0)], [minitorch.ones(3, 4)])
    np.testing.assert_allclose(tangent.numpy(), derivative(x0), rtol=1e-12, atol=1e-14)


def test_binary_partials_closed_form():
    rng = np.random.default_rng(12)
    a0, b0 = positive(rng, (2, 3)), anywhere(rng, (3,))
    for f, da, db in [
        (lambda a, b: a * b, lambda a, b: np.broadcast_to(b, a.shape), lambda a, b: a.sum(0)),
        (lambda a, b: a / b, lambda a, b: np.broadcast_to(1 / b, a.shape), lambda a, b: (-a / b**2).sum(0)),
        (lambda a, b: a**b, lambda a, b: b * a ** (b - 1), lambda a, b: (a**b * np.log(a)).sum(0)),
        (lambda a, b: a - b, lambda a, b: np.ones_like(a), lambda a, b: np.full(b.shape, -a.shape[0])),
    ]:
        a, b = minitorch.tensor(a0, requires_grad=True), minitorch.tensor(b0, requires_grad=True)
        f(a, b).sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), da(a0, b0), rtol=1e-12)
        np.testing.assert_allclose(b.grad.numpy(), db(a0, b0), rtol=1e-12)


def test_matmul_vjp_closed_form():
    r"""For :math:`C = AB`: :math:`\bar A = \bar C B^\top` and :math:`\bar B = A^\top \bar C`."""
    rng = np.random.default_rng(13)
    a0, b0, g0 = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    _, pullback = minitorch.vjp(minitorch.matmul, a0, b0)
    grad_a, grad_b = pullback(g0)
    np.testing.assert_allclose(grad_a.numpy(), g0 @ b0.T, rtol=1e-12)
    np.testing.assert_allclose(grad_b.numpy(), a0.T @ g0, rtol=1e-12)
    # Batched, with b's batch axis broadcast: its gradient sums over the batch.
    a0, g0 = rng.standard_normal((5, 2, 3)), rng.standard_normal((5, 2, 4))
    _, pullback = minitorch.vjp(minitorch.matmul, a0, b0)
    grad_a, grad_b = pullback(g0)
    np.testing.assert_allclose(grad_a.numpy(), g0 @ b0.T, rtol=1e-12)
    np.testing.assert_allclose(grad_b.numpy(), np.einsum("bik,bij->kj", a0, g0), rtol=1e-12)


def test_softmax_family_closed_forms():
    r"""softmax: :math:`J = \operatorname{diag}(s) - s s^\top`; logsumexp: :math:`\nabla = s`;
    log_softmax: :math:`ūᵀJ = ū - s \sum ū`."""
    rng = np.random.default_rng(14)
    x0, u = rng.standard_normal(5), rng.standard_normal(5)
    s = _softmax(x0, -1)
    jacobian = np.diag(s) - np.outer(s, s)
    _, pullback = minitorch.vjp(minitorch.softmax, x0)
    np.testing.assert_allclose(pullback(u)[0].numpy(), u @ jacobian, rtol=1e-12, atol=1e-15)
    _, tangent = minitorch.jvp(minitorch.softmax, [x0], [u])
    np.testing.assert_allclose(tangent.numpy(), jacobian @ u, rtol=1e-12, atol=1e-15)
    x = minitorch.tensor(x0, requires_grad=True)
    minitorch.logsumexp(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), s, rtol=1e-12)
    _, pullback = minitorch.vjp(minitorch.log_softmax, x0)
    np.testing.assert_allclose(pullback(u)[0].numpy(), u - s * u.sum(), rtol=1e-12, atol=1e-15)


def test_reduction_gradients_closed_form():
    x0 = np.array([[1.0, 5.0, 2.0], [7.0, -1.0, 3.0]])
    x = minitorch.tensor(x0, requires_grad=True)
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))
    x.grad = None
    x.mean(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 3), 1 / 3), rtol=1e-15)
    x.grad = None
    x.max(axis=1).sum().backward()  # one-hot at each row's argmax
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])
    x.grad = None
    x.min().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 0], [0, 1, 0]])


def test_repeated_indices_add_up():
    x = minitorch.tensor(np.arange(5.0), requires_grad=True)
    x[[0, 0, 0, 4, 2, 4]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 0, 1, 0, 2])
    x.grad = None
    x[np.array([[1, 1], [1, 3]])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 3, 0, 1, 0])


def test_kinks_follow_the_subgradient_policy():
    """At the kinks the default is the convention of PyTorch and JAX; the policy changes it."""
    x = minitorch.tensor([0.0, 2.0, -2.0], requires_grad=True)
    (x.relu() + x.abs()).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0, -1.0])
    x.grad = None
    with minitorch.subgradient_policy(relu=0.5, abs=-1.0):
        y = (x.relu() + x.abs()).sum()
    y.backward()  # the policy was read when the graph was recorded
    np.testing.assert_array_equal(x.grad.numpy(), [-0.5, 2.0, -1.0])
    # Ties share the gradient evenly by default, or all go to the first maximum.
    t = minitorch.tensor([1.0, 3.0, 3.0], requires_grad=True)
    t.max().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [0.0, 0.5, 0.5])
    t.grad = None
    with minitorch.subgradient_policy(max="first"):
        t.max().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [0.0, 1.0, 0.0])
    t.grad = None
    minitorch.maximum(t, 3.0).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [0.0, 0.5, 0.5])


# --- reverse mode through the tangent rules (reverse-over-forward) ----------------------------
def _other_primitives() -> dict:
    condition = np.array([True, False, True])
    return {
        "matmul": (minitorch.matmul, [anywhere, anywhere], [(2, 3), (3, 2)]),
        "where": (lambda a, b: minitorch.where(condition, a * a, b.sin()), [anywhere, anywhere], [(2, 3), (3,)]),
        "sum": (lambda x: (x * x).sum(1), [anywhere], [(2, 3)]),
        "mean": (lambda x: (x * x).mean((0, 1), keepdims=True), [anywhere], [(2, 3)]),
        "max": (lambda x: (x * x.sin()).max(-1), [distinct], [(2, 3)]),
        "min": (lambda x: (x * x.sin()).min(0), [distinct], [(2, 3)]),
        "logsumexp": (lambda x: minitorch.logsumexp(x, 1), [anywhere], [(2, 3)]),
        "softmax": (lambda x: minitorch.softmax(x, 0), [anywhere], [(2, 3)]),
        "log_softmax": (lambda x: minitorch.log_softmax(x, -1), [anywhere], [(2, 3)]),
        "reshape": (lambda x: (x * x).reshape(3, 2).sin(), [anywhere], [(2, 3)]),
        "permute": (lambda x: (x * x).permute(1, 0).sin(), [anywhere], [(2, 3)]),
        "flatten, unsqueeze, squeeze": (
            lambda x: (x * x).flatten().unsqueeze(0).sin().squeeze(0),
            [anywhere],
            [(2, 3)],
        ),
        "broadcast_to": (lambda x: (x * x).broadcast_to((2, 2, 3)).sin(), [anywhere], [(2, 3)]),
        "getitem": (lambda x: (x * x)[[0, 0, 1], 1:].sin(), [anywhere], [(2, 3)]),
        "concatenate": (
            lambda a, b: minitorch.concatenate([a * b, b.sin()], 0),
            [anywhere, anywhere],
            [(2, 3), (2, 3)],
        ),
        "stack": (lambda a, b: minitorch.stack([a * b, b.sin()], -1), [anywhere, anywhere], [(2, 3), (2, 3)]),
    }


REVERSE_OVER_FORWARD = {name: (f, [domain], [(2, 3)]) for name, (f, _, domain) in UNARY.items()}
REVERSE_OVER_FORWARD.update({name: (f, [da, db], [(2, 3), (3,)]) for name, (f, _, da, db) in BINARY.items()})
REVERSE_OVER_FORWARD.update(_other_primitives())


@pytest.mark.parametrize("name", REVERSE_OVER_FORWARD)
def test_reverse_over_forward(oracle, name):
    r"""``grad`` of :math:`\langle ū, J(x) v\rangle` computed by ``jvp``: the tangent rules must
    record a differentiable graph, including their use of the primal output."""
    f, domains, arg_shapes = REVERSE_OVER_FORWARD[name]
    rng = np.random.default_rng(len(name))
    oracle.check_reverse_over_forward(f, [d(rng, s) for d, s in zip(domains, arg_shapes)], seed=len(name))
