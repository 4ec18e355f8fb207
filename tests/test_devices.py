"""The same engine on every available device.

Each check runs on the CPU and, where CuPy sees a GPU, on the GPU too, and
compares the GPU's values and gradients with the CPU's. Without a GPU the
"cuda" cases are skipped with the reason.
"""

from __future__ import annotations

import numpy as np
import pytest

import minitorch

DEVICES = [
    "cpu",
    pytest.param("cuda", marks=pytest.mark.skipif(not minitorch.cuda.is_available(),
                                                  reason="no CUDA GPU (or CuPy) on this machine")),
]

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((4, 5))
V = rng.standard_normal(4)

PROGRAMS = {
    "elementwise": lambda a, b, v: ((a.sin() * a.exp() + a.tanh()) / (1 + a * a)).sigmoid().sum() + v.sqrt().sum() + (b * b).mean(),
    "matmul_softmax": lambda a, b, v: (a @ b).log_softmax(axis=-1).sum() + (a @ b).softmax(axis=0).max() + (v @ b).sum(),
    "broadcast_reduce": lambda a, b, v: ((a + v) * v).mean(axis=0).sum() + minitorch.maximum(a, 0.1).sum() + b.min(),
    "indexing": lambda a, b, v: (a[[0, 2, 2]] * 2.0).sum() + a[:, 1:3].abs().sum() + b[b.detach() > 0].sum() + v[1],
    "shapes": lambda a, b, v: minitorch.concatenate([a.reshape(12), v], 0).sum()
    + minitorch.stack([a, a * 2.0]).transpose((2, 1, 0)).logsumexp(axis=(0, 1)).sum() + b.T.reshape(-1)[::3].sum(),
}
INPUTS = (A, B, np.abs(V) + 0.5)


def central_difference_gradients(f, step=1e-6):
    """The CPU, float64 oracle: one central difference per input element."""
    grads = []
    for i, x in enumerate(INPUTS):
        g = np.zeros_like(x)
        for j in range(x.size):
            values = []
            for sign in (1, -1):
                shifted = [y.copy() for y in INPUTS]
                shifted[i].reshape(-1)[j] += sign * step
                with minitorch.no_grad():
                    values.append(f(*[minitorch.tensor(y) for y in shifted]).item())
            g.reshape(-1)[j] = (values[0] - values[1]) / (2 * step)
        grads.append(g)
    return grads


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_gradients_on_each_device_match_central_differences(name, device):
    f = PROGRAMS[name]
    inputs = [minitorch.tensor(x, requires_grad=True, device=device) for x in INPUTS]
    out = f(*inputs)
    assert out.device == device
    out.backward()
    for x, expected in zip(inputs, central_difference_gradients(f)):
        assert x.grad.device == device
        np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("device", DEVICES)
def test_constructors_and_device_attribute(device):
    for t in (minitorch.tensor([1.0, 2.0], device=device), minitorch.zeros(2, device=device),
              minitorch.ones(2, device=device), minitorch.randn(2, device=device)):
        assert t.device == device
    moved = minitorch.tensor([1.0, 2.0]).to(device)
    assert moved.device == device
    assert moved.cpu().device == "cpu"
    assert isinstance(moved.numpy(), np.ndarray)


@pytest.mark.parametrize("device", DEVICES)
def test_higher_order_and_forward_mode(device):
    x = minitorch.tensor(2.0, device=device)
    third = minitorch.grad(minitorch.grad(minitorch.grad(lambda t: t**4)))(x)
    assert third.device == device and third.item() == pytest.approx(48.0)
    _, tangent = minitorch.jvp(lambda t: t.sin(), [x], [minitorch.ones_like(x)])
    assert tangent.item() == pytest.approx(np.cos(2.0))


@pytest.mark.parametrize("device", DEVICES)
def test_gradient_flows_back_across_a_device_copy(device):
    x = minitorch.tensor([1.0, -2.0], requires_grad=True)
    (x.to(device) * 3.0).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_unknown_device_is_named_in_the_error():
    with pytest.raises(ValueError, match="'tpu'"):
        minitorch.zeros(2, device="tpu")


@pytest.mark.skipif(not minitorch.cuda.is_available(), reason="no CUDA GPU (or CuPy) on this machine")
def test_mixing_devices_names_both():
    with pytest.raises(RuntimeError, match="cpu and cuda"):
        minitorch.ones(2) + minitorch.ones(2, device="cuda")


def test_cuda_device_without_cupy_or_gpu_explains_itself():
    if minitorch.cuda.is_available():
        pytest.skip("a GPU is present: the error cannot be provoked")
    with pytest.raises(RuntimeError, match="CuPy|CUDA"):
        minitorch.zeros(2, device="cuda")
