"""Memory accounting, checkpointing, in-place ReLU and subgradient policies."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch
from minitorch.gradcheck import GradcheckWarning


def sine_block(x):
    # One primitive that keeps exactly its input: one activation per block.
    return x.sin()


def run_chain(length, segments, width=16, create_graph=False, seed=0):
    rng = np.random.default_rng(seed)
    x = minitorch.tensor(rng.standard_normal(width), requires_grad=True)
    blocks = [sine_block] * length
    with minitorch.profile_memory() as report:
        if segments is None:
            h = x
            for block in blocks:
                h = block(h)
        else:
            h = minitorch.checkpoint_sequential(blocks, segments, x)
        forward_ops = report.forward_ops
        (h * h).sum().backward(create_graph=create_graph)
    return report, forward_ops, x


# --- memory accounting ------------------------------------------------------
def test_saved_bytes_count_each_array_once_and_are_released_by_backward():
    x = minitorch.tensor(np.ones(100), requires_grad=True)
    with minitorch.profile_memory() as report:
        y = x.sin()  # keeps x
        z = y.exp()  # keeps its output z
        w = z * y  # keeps z (already counted) and y
        assert report.saved_bytes == 3 * 800
        assert report.forward_ops == 3
        w.sum().backward()
        assert report.saved_bytes == 0
    assert report.peak_saved_bytes == 3 * 800
    assert report.forward_ops == 4  # backward's own operations are not forward work


def test_retain_graph_keeps_saved_arrays():
    x = minitorch.tensor(np.ones(10), requires_grad=True)
    with minitorch.profile_memory() as report:
        y = x.sin().sum()
        y.backward(retain_graph=True)
        assert report.saved_bytes == 80
        y.backward()
        assert report.saved_bytes == 0
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(np.ones(10)))


def test_dropping_a_graph_releases_its_memory():
    x = minitorch.tensor(np.ones(10), requires_grad=True)
    with minitorch.profile_memory() as report:
        y = x.sin()
        assert report.saved_bytes == 80
        del y
        assert report.saved_bytes == 0


# --- checkpointing ------------------------------------------------------------
@settings(max_examples=15, deadline=None)
@given(st.integers(2, 24), st.integers(0, 10**6), st.data())
def test_checkpointed_gradients_equal_plain_gradients(length, seed, data):
    segments = data.draw(st.integers(1, length))
    _, _, plain = run_chain(length, None, seed=seed)
    _, _, checkpointed = run_chain(length, segments, seed=seed)
    np.testing.assert_allclose(checkpointed.grad.numpy(), plain.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_sqrt_l_checkpointing_memory_and_compute():
    length, width = 64, 16
    activation = width * 8
    plain, plain_ops, _ = run_chain(length, None, width)
    report, forward_ops, _ = run_chain(length, int(math.sqrt(length)), width)
    assert plain.peak_saved_bytes >= length * activation
    # About 2 sqrt(L) activations: the segment inputs plus one segment's internals.
    assert report.peak_saved_bytes <= (2 * math.sqrt(length) + 2) * activation
    # At most one extra forward pass.
    assert plain_ops < report.forward_ops <= 2 * plain_ops


def test_seed_four_block_example_costs_one_and_a_quarter():
    """Checkpoints after blocks 1, 2 and 4: only block 3 runs again, so 5/4 of the forward work."""

    def block(x):
        return (x * 0.5).tanh().sin()

    x0 = np.linspace(-1, 1, 8)
    with minitorch.profile_memory() as plain:
        x = minitorch.tensor(x0, requires_grad=True)
        h = block(block(block(block(x))))
        h.backward(gradient=np.ones(8))  # no loss operation: count the blocks only
    with minitorch.profile_memory() as checkpointed:
        y = minitorch.tensor(x0, requires_grad=True)
        h = block(block(y))
        h = minitorch.checkpoint(block, h)
        h = block(h)
        h.backward(gradient=np.ones(8))
    assert plain.forward_ops == 4 * 3
    assert checkpointed.forward_ops / plain.forward_ops == 1.25
    np.testing.assert_allclose(y.grad.numpy(), x.grad.numpy())


def test_checkpoint_passes_gradients_to_parameters_inside():
    rng = np.random.default_rng(1)
    w_plain = minitorch.tensor(rng.standard_normal((4, 4)), requires_grad=True)
    w_ckpt = minitorch.tensor(w_plain.data.copy(), requires_grad=True)
    x = minitorch.tensor(rng.standard_normal((3, 4)))  # data: needs no gradient
    (x @ w_plain).tanh().sum().backward()
    minitorch.checkpoint(lambda h: (h @ w_ckpt).tanh(), x).sum().backward()
    np.testing.assert_allclose(w_ckpt.grad.numpy(), w_plain.grad.numpy())


def test_checkpoint_supports_create_graph():
    def f(x):
        return (x * x * x).sin()

    x = minitorch.tensor([0.3, -0.7], requires_grad=True)
    (g,) = minitorch.autograd_grad(f(x).sum(), x, create_graph=True)
    (h,) = minitorch.autograd_grad(g.sum(), x)
    xc = minitorch.tensor([0.3, -0.7], requires_grad=True)
    (gc,) = minitorch.autograd_grad(minitorch.checkpoint(f, xc).sum(), xc, create_graph=True)
    (hc,) = minitorch.autograd_grad(gc.sum(), xc)
    np.testing.assert_allclose(gc.detach().numpy(), g.detach().numpy())
    np.testing.assert_allclose(hc.numpy(), h.numpy())


def test_checkpoint_sequential_rejects_bad_segment_counts():
    with pytest.raises(ValueError, match="segments"):
        minitorch.checkpoint_sequential([sine_block] * 3, 5, minitorch.ones(2))
    with pytest.raises(ValueError, match="at least one"):
        minitorch.checkpoint_sequential([], None, minitorch.ones(2))


# --- in-place ReLU ----------------------------------------------------------------
def mlp_layer_stack(inplace, x0, weights):
    x = minitorch.tensor(x0)
    for w in weights:
        x = minitorch.relu(x @ w, inplace=inplace)
    return x.sum()


def test_inplace_relu_same_gradients_and_less_saved_memory():
    rng = np.random.default_rng(2)
    x0 = rng.standard_normal((32, 16))
    initial = [rng.standard_normal((16, 16)) * 0.5 for _ in range(3)]
    grads, peaks = [], []
    for inplace in (False, True):
        weights = [minitorch.tensor(w, requires_grad=True) for w in initial]
        with minitorch.profile_memory() as report:
            mlp_layer_stack(inplace, x0, weights).backward()
        grads.append([w.grad.numpy() for w in weights])
        peaks.append(report.peak_saved_bytes)
    for plain, inplace in zip(*grads):
        np.testing.assert_allclose(inplace, plain)
    # The plain ReLU keeps its input while the next layer keeps its output; in
    # place they are one array. That saves one 32 x 16 float64 array for each
    # layer whose output the next layer keeps (all but the last).
    assert peaks[0] - peaks[1] == 2 * 32 * 16 * 8


def test_inplace_relu_returns_its_input_overwritten():
    x = minitorch.tensor([-1.0, 2.0], requires_grad=True)
    h = x * 1.0
    out = minitorch.relu(h, inplace=True)
    assert out is h
    np.testing.assert_array_equal(h.detach().numpy(), [0.0, 2.0])


def test_inplace_relu_on_a_leaf_that_requires_grad_is_an_error():
    x = minitorch.tensor([-1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        minitorch.relu(x, inplace=True)


def test_inplace_relu_on_a_tensor_saved_for_backward_is_caught():
    x = minitorch.tensor([-1.0, 2.0], requires_grad=True)
    e = x.exp()  # Exp keeps its output for backward
    minitorch.relu(e, inplace=True)
    with pytest.raises(RuntimeError, match="in-place"):
        e.sum().backward()


def test_nn_relu_inplace():
    layer = minitorch.nn.ReLU(inplace=True)
    x = minitorch.tensor([-1.0, 3.0], requires_grad=True)
    h = x * 2.0
    assert layer(h) is h


# --- subgradient policy -------------------------------------------------------------
def relu1(s):
    return minitorch.relu(s)


def relu2(s):
    return minitorch.relu(-s) + s


def relu3(s):
    return 0.5 * (relu1(s) + relu2(s))


@pytest.mark.parametrize("f, expected", [(relu1, 0.0), (relu2, 1.0), (relu3, 0.5)])
def test_seed_three_equivalent_relus_at_zero(f, expected):
    s = minitorch.tensor(0.0, requires_grad=True)
    f(s).backward()
    assert s.grad.item() == expected
    for value in (-1.5, 2.0):  # equal functions away from the kink
        assert f(minitorch.tensor(value)).item() == relu1(minitorch.tensor(value)).item()


@pytest.mark.parametrize("value", [0.0, 0.25, 1.0])
def test_relu_policy_value_at_zero_and_restored_after(value):
    s = minitorch.tensor([0.0, 1.0, -1.0], requires_grad=True)
    with minitorch.subgradient_policy(relu=value):
        minitorch.relu(s).sum().backward()
    np.testing.assert_array_equal(s.grad.numpy(), [value, 1.0, 0.0])
    s.grad = None
    minitorch.relu(s).sum().backward()
    np.testing.assert_array_equal(s.grad.numpy(), [0.0, 1.0, 0.0])
    # the in-place version reads its mask from the output but keeps the same policy
    h = s * 1.0
    with minitorch.subgradient_policy(relu=value):
        out = minitorch.relu(h, inplace=True)
    s.grad = None
    out.sum().backward()
    np.testing.assert_array_equal(s.grad.numpy(), [value, 1.0, 0.0])


def test_abs_and_max_policies():
    x = minitorch.tensor([0.0, -2.0], requires_grad=True)
    with minitorch.subgradient_policy(abs=0.5):
        x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, -1.0])
    x.grad = None
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, -1.0])

    t = minitorch.tensor([3.0, 1.0, 3.0, 3.0], requires_grad=True)
    t.max().backward()
    np.testing.assert_allclose(t.grad.numpy(), [1 / 3, 0, 1 / 3, 1 / 3])
    t.grad = None
    with minitorch.subgradient_policy(max="first"):
        t.max().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [1.0, 0.0, 0.0, 0.0])
    a = minitorch.tensor([1.0, 2.0], requires_grad=True)
    b = minitorch.tensor([1.0, 0.0], requires_grad=True)
    minitorch.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 0.0])


def test_policy_values_outside_the_subdifferential_are_rejected():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        with minitorch.subgradient_policy(relu=1.5):
            pass
    with pytest.raises(ValueError, match="max"):
        minitorch.set_default_subgradient_policy(max="random")


def test_global_default_policy():
    previous = minitorch.set_default_subgradient_policy(relu=1.0)
    try:
        s = minitorch.tensor(0.0, requires_grad=True)
        minitorch.relu(s).backward()
        assert s.grad.item() == 1.0
    finally:
        minitorch.set_default_subgradient_policy(relu=0.0)
    assert previous.relu == 1.0


def test_gradcheck_warns_at_a_kink_instead_of_failing():
    at_kink = minitorch.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(GradcheckWarning, match="Relu"):
        assert minitorch.gradcheck(lambda x: minitorch.relu(x).sum(), [at_kink]) is False
    away = minitorch.tensor([0.5, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert minitorch.gradcheck(lambda x: minitorch.relu(x).sum(), [away]) is True
