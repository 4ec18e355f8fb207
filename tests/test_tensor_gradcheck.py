"""``minitorch.gradcheck``: True on correct primitives, a precise error on a wrong one."""

from __future__ import annotations

import re

import numpy as np
import pytest

import minitorch
from minitorch import Context, Function
from minitorch.gradcheck import GradcheckError


def leaf(array) -> minitorch.Tensor:
    return minitorch.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


RNG = np.random.default_rng(0)
A, B = RNG.standard_normal((2, 3)), RNG.standard_normal((3,))
POSITIVE = 0.5 + np.abs(RNG.standard_normal((2, 3)))
CORRECT = {
    "add": (lambda a, b: a + b, [A, B]),
    "sub": (lambda a, b: a - b, [A, B]),
    "mul": (lambda a, b: a * b, [A, B]),
    "div": (lambda a, b: a / b, [A, POSITIVE]),
    "pow": (lambda a, b: a**b, [POSITIVE, B]),
    "neg exp log sqrt": (lambda a: -(a.exp() + a.log() + a.sqrt()), [POSITIVE]),
    "sin cos tanh sigmoid": (lambda a: a.sin() * a.cos() + a.tanh() - a.sigmoid(), [A]),
    "relu abs (off the kink)": (lambda a: a.relu() + a.abs(), [A]),
    "maximum minimum": (lambda a, b: minitorch.maximum(a, b) - minitorch.minimum(a, b * 2.0), [A, B + 0.123]),
    "where": (lambda a, b: minitorch.where(np.array([True, False, True]), a, b), [A, B]),
    "matmul": (lambda a, b: a @ b, [A, B]),
    "reductions": (lambda a: a.sum(0) + a.mean(-1, keepdims=True) + a.max(0) - a.min((0, 1)), [A]),
    "softmax family": (lambda a: a.softmax(0) + a.log_softmax() + a.logsumexp(1, keepdims=True), [A]),
    "shape": (
        lambda a: minitorch.concatenate([a.T.reshape(-1), a[[0, 0], 1:].reshape(-1)]) + minitorch.stack([a, a]).sum(),
        [A],
    ),
    "broadcast_to": (lambda b: b.broadcast_to((2, 3)) * 2.0, [B]),
}


@pytest.mark.parametrize("name", CORRECT)
def test_true_on_correct_primitives(name):
    f, arrays = CORRECT[name]
    assert minitorch.gradcheck(f, [leaf(a) for a in arrays]) is True


def test_inputs_that_do_not_require_grad_are_held_fixed():
    assert minitorch.gradcheck(lambda a, b: a * b.exp(), [leaf(A), minitorch.tensor(B)]) is True


class SquareWithAWrongRule(Function):
    r""":math:`x^2`, whose backward is :math:`2x` plus an error that is largest at element (1, 2)."""

    ERROR = np.array([[0.0, 0.01, 0.0], [0.5, 0.0, 3.0]])

    @staticmethod
    def forward(ctx: Context, x: minitorch.Tensor) -> np.ndarray:
        ctx.save_for_backward(x)
        return x.data**2

    @staticmethod
    def backward(ctx: Context, g: minitorch.Tensor) -> minitorch.Tensor:
        (x,) = ctx.saved_tensors
        return g * (2.0 * x + minitorch.tensor(SquareWithAWrongRule.ERROR))


def test_raises_an_assertion_error_naming_the_worst_element():
    x0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    with pytest.raises(AssertionError) as info:
        minitorch.gradcheck(SquareWithAWrongRule.apply, [leaf(x0)])
    assert isinstance(info.value, GradcheckError)
    message = str(info.value)
    # The worst element is input 0 at [1, 2]: analytic 2x + 3, numeric 2x.
    assert "input 0[1, 2]" in message
    numbers = re.search(r"analytic (\S+) vs numeric (\S+)", message)
    assert numbers is not None, message
    analytic, numeric = float(numbers.group(1)), float(numbers.group(2))
    assert analytic == pytest.approx(2 * x0[1, 2] + 3.0, rel=1e-6)
    assert numeric == pytest.approx(2 * x0[1, 2], rel=1e-6)


def test_names_the_input_among_several():
    def f(a, b):
        return a.sin() + SquareWithAWrongRule.apply(b)

    with pytest.raises(GradcheckError, match=r"input 1\[1, 2\]"):
        minitorch.gradcheck(f, [leaf(A), leaf(A + 1.0)])


def test_catches_a_small_error_in_one_element():
    class Sin(Function):
        @staticmethod
        def forward(ctx: Context, x: minitorch.Tensor) -> np.ndarray:
            ctx.save_for_backward(x)
            return np.sin(x.data)

        @staticmethod
        def backward(ctx: Context, g: minitorch.Tensor) -> minitorch.Tensor:
            (x,) = ctx.saved_tensors
            wrong = np.zeros(x.shape)
            wrong[2] = 1e-2  # a 1% slip in one element
            return g * (x.cos() + minitorch.tensor(wrong))

    with pytest.raises(GradcheckError, match=r"input 0\[2\]"):
        minitorch.gradcheck(Sin.apply, [leaf([0.1, 0.2, 0.3, 0.4])])


def test_refuses_a_check_that_cannot_be_meaningful():
    with pytest.raises(ValueError, match="float64"):
        minitorch.gradcheck(lambda a: a * a, [minitorch.tensor(np.ones(2, dtype=np.float32), requires_grad=True)])
    with pytest.raises(ValueError, match="requires grad"):
        minitorch.gradcheck(lambda a: a * a, [minitorch.tensor(np.ones(2))])


def test_an_input_the_output_does_not_use_has_zero_gradient():
    assert minitorch.gradcheck(lambda a, b: a * 2.0, [leaf(A), leaf(B)]) is True


def test_evaluates_fn_twice_per_input_element_not_per_jacobian_entry():
    calls = []

    def f(a, b):
        calls.append(1)
        return (a @ b).tanh()

    a, b = leaf(RNG.standard_normal((4, 3))), leaf(RNG.standard_normal((3, 5)))
    assert minitorch.gradcheck(f, [a, b]) is True
    # One forward pass, then a central difference per input element: 1 + 2 * (12 + 15).
    assert len(calls) == 1 + 2 * (a.size + b.size)


def test_at_a_kink_it_warns_instead_of_blaming_the_rule():
    from minitorch.gradcheck import GradcheckWarning

    with pytest.warns(GradcheckWarning, match="kink"):
        assert minitorch.gradcheck(lambda a: a.relu(), [leaf([0.0, 1.0])]) is False
