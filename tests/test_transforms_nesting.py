"""Transformations nested inside each other see each other's variables."""

from __future__ import annotations

import numpy as np
import pytest

import minitorch


def test_outer_grad_through_an_inner_grads_extra_argument():
    # d/dlam of d/dw sum(w^2 lam) at w = 1 is 2w = 2
    def outer(lam):
        return minitorch.grad(lambda w, scale: (w * w * scale).sum())(minitorch.tensor([1.0]), lam).sum()

    assert minitorch.grad(outer)(minitorch.tensor(2.0)).item() == pytest.approx(2.0)


def test_outer_grad_through_a_variable_the_inner_function_closes_over():
    def outer(lam):
        inner = minitorch.grad(lambda w: (w * w * lam).sum())
        return (inner(minitorch.tensor([1.0, 3.0])) ** 2).sum()  # (2 w lam)^2 summed

    lam0 = 0.7
    expected = 2 * lam0 * (2.0**2 + 6.0**2)  # d/dlam of lam^2 (4 + 36)
    assert minitorch.grad(outer)(minitorch.tensor(lam0)).item() == pytest.approx(expected)

    # the same with vjp inside grad
    def outer_vjp(lam):
        _, pullback = minitorch.vjp(lambda w: w * w * lam, minitorch.tensor([1.0, 3.0]))
        return pullback(minitorch.ones(2))[0].sum()  # 2 w lam summed = 8 lam

    assert minitorch.grad(outer_vjp)(minitorch.tensor(lam0)).item() == pytest.approx(8.0)


def test_top_level_gradients_are_not_recorded():
    g = minitorch.grad(lambda w: (w * w).sum())(minitorch.tensor([1.0, 2.0]))
    assert g.grad_fn is None and not g.requires_grad


def test_arguments_that_are_not_differentiated_pass_through():
    def f(x, steps, scale):
        for _ in range(steps):
            x = x * scale
        return x.sum()

    g = minitorch.grad(f)(minitorch.tensor([1.0, 2.0]), 3, 2.0)
    np.testing.assert_allclose(g.numpy(), [8.0, 8.0])


def test_a_dropped_graph_frees_outputs_saved_for_backward():
    x = minitorch.tensor(np.ones(1000), requires_grad=True)
    with minitorch.profile_memory() as report:
        y = x.exp().tanh().sigmoid()  # each keeps its own output
        assert report.saved_bytes == 3 * 8000
        del y  # no garbage collection needed: there is no reference cycle
        assert report.saved_bytes == 0


def test_saved_output_still_detects_in_place_modification():
    x = minitorch.tensor([-1.0, 2.0], requires_grad=True)
    e = x.exp()
    minitorch.relu(e - 2.0, inplace=True)  # modifies a different tensor: fine
    e.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([-1.0, 2.0]))
    x.grad = None
    e = x.exp()
    minitorch.relu(e, inplace=True)
    with pytest.raises(RuntimeError, match="in-place"):
        e.sum().backward()


def test_a_gradient_with_respect_to_an_intermediate_stops_there():
    """Nothing behind the input is visited, so unrolled loops cost linear, not quadratic, time."""
    x = minitorch.tensor([0.5], requires_grad=True)
    h1 = x.sin()
    h2 = (h1 * 3.0).exp()
    (g,) = minitorch.autograd_grad(h2.sum(), h1)  # frees only the part between h1 and h2
    np.testing.assert_allclose(g.numpy(), 3 * np.exp(3 * np.sin([0.5])))
    h1.sum().backward()  # the graph behind h1 was neither visited nor freed
    np.testing.assert_allclose(x.grad.numpy(), np.cos([0.5]))
