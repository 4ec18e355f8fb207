"""The same engine on every device: every feature runs unchanged on the GPU, and nothing leaves it.

The ``device`` fixture (``conftest.py``) gives "cpu", "cuda" where CuPy sees a GPU (skipped with the
reason elsewhere) and, without a GPU, "cuda" on the emulated GPU (``emulated_gpu.py``), which refuses
every mix of host and device arrays as CuPy does. Each test compares a device's values and gradients
with central differences or with the same computation on the CPU.
"""

from __future__ import annotations

import numpy as np
import pytest

import minitorch
import minitorch.nn.functional as F
from minitorch import nn, numerical, optim

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((4, 5))
V = rng.standard_normal(4)

PROGRAMS = {
    "elementwise": lambda a, b, v: (
        ((a.sin() * a.exp() + a.tanh()) / (1 + a * a)).sigmoid().sum() + v.sqrt().sum() + (b * b).mean()
    ),
    "matmul_softmax": lambda a, b, v: (
        (a @ b).log_softmax(axis=-1).sum() + (a @ b).softmax(axis=0).max() + (v @ b).sum()
    ),
    "broadcast_reduce": lambda a, b, v: ((a + v) * v).mean(axis=0).sum() + minitorch.maximum(a, 0.1).sum() + b.min(),
    "indexing": lambda a, b, v: (a[[0, 2, 2]] * 2.0).sum() + a[:, 1:3].abs().sum() + b[b.detach() > 0].sum() + v[1],
    "shapes": lambda a, b, v: (
        minitorch.concatenate([a.reshape(12), v], 0).sum()
        + minitorch.stack([a, a * 2.0]).transpose((2, 1, 0)).logsumexp(axis=(0, 1)).sum()
        + b.T.reshape(-1)[::3].sum()
    ),
}
INPUTS = (A, B, np.abs(V) + 0.5)


def central_difference_gradients(f):
    """The CPU, float64 oracle: one central difference per input element."""
    grads = numerical.vjp(f, [minitorch.tensor(x) for x in INPUTS], minitorch.tensor(1.0))
    return [g.numpy() for g in grads]


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


def test_constructors_and_device_attribute(device):
    for t in (
        minitorch.tensor([1.0, 2.0], device=device),
        minitorch.zeros(2, device=device),
        minitorch.ones(2, device=device),
        minitorch.randn(2, device=device),
    ):
        assert t.device == device
    moved = minitorch.tensor([1.0, 2.0]).to(device)
    assert moved.device == device
    assert moved.cpu().device == "cpu"
    assert isinstance(moved.numpy(), np.ndarray)


def test_higher_order_and_forward_mode(device):
    x = minitorch.tensor(2.0, device=device)
    third = minitorch.grad(minitorch.grad(minitorch.grad(lambda t: t**4)))(x)
    assert third.device == device and third.item() == pytest.approx(48.0)
    _, tangent = minitorch.jvp(lambda t: t.sin(), [x], [minitorch.ones_like(x)])
    assert tangent.item() == pytest.approx(np.cos(2.0))


def test_gradient_flows_back_across_a_device_copy(device):
    x = minitorch.tensor([1.0, -2.0], requires_grad=True)
    (x.to(device) * 3.0).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_unknown_device_is_named_in_the_error():
    with pytest.raises(ValueError, match="'tpu'"):
        minitorch.zeros(2, device="tpu")


def test_mixing_devices_names_both(gpu):
    with pytest.raises(RuntimeError, match="cpu and cuda"):
        minitorch.ones(2) + minitorch.ones(2, device=gpu)
    with pytest.raises(RuntimeError, match="matmul.*cpu and cuda|cpu and cuda"):
        minitorch.ones(2, 2, device=gpu) @ minitorch.ones(2, 2)


def test_cuda_device_without_cupy_or_gpu_explains_itself():
    if minitorch.cuda.is_available():  # only where a GPU is present (never in CI)
        pytest.skip("a GPU is present: the error cannot be provoked")
    with pytest.raises(RuntimeError, match="CuPy|CUDA"):
        minitorch.zeros(2, device="cuda")


# --- every feature on the device, against the same computation on the CPU --------------------
def _on(device, array):
    return minitorch.tensor(array, device=device)


def _train(device: str, make_optimizer, steps: int = 3, move: bool = False) -> list[np.ndarray]:
    """An MLP's parameters after a few steps on ``device`` (float64, seeded)."""
    minitorch.manual_seed(0)
    layers = [
        nn.Linear(4, 8, device="cpu" if move else device),
        nn.ReLU(),
        nn.Linear(8, 3, device="cpu" if move else device),
    ]
    model = nn.Sequential(*layers)
    if move:
        assert model.to(device) is model
    assert all(p.device == device for p in model.parameters())
    optimizer = make_optimizer(model.parameters())
    data = np.random.default_rng(1)
    x, y = _on(device, data.standard_normal((16, 4))), data.integers(0, 3, 16)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y) + 0.1 * F.mse_loss(model(x), _on(device, np.zeros((16, 3))))
        loss.backward()
        assert all(p.grad.device == device for p in model.parameters())
        optimizer.step()
    return [p.detach().numpy() for p in model.parameters()]


OPTIMIZERS = {
    "sgd with momentum": lambda params: optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=0.01),
    "adam": lambda params: optim.Adam(params, lr=0.01, weight_decay=0.01),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("move", [False, True], ids=["device=", "module.to"])
def test_training_steps_match_the_cpu(device, name, move):
    expected = _train("cpu", OPTIMIZERS[name])
    for got, want in zip(_train(device, OPTIMIZERS[name], move=move), expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_float32_stays_float32_on_the_device(device):
    minitorch.manual_seed(0)
    layer = nn.Linear(3, 2, dtype=np.float32, device=device)
    x = minitorch.tensor(np.ones((4, 3), dtype=np.float32), device=device)
    loss = F.cross_entropy(layer(x), [0, 1, 1, 0])
    loss.backward()
    assert loss.dtype == np.float32 and layer.weight.grad.dtype == np.float32
    assert layer.weight.grad.device == device


def _blocks():
    rng = np.random.default_rng(2)
    weights = [rng.standard_normal((5, 5)) / 3 for _ in range(6)]
    return weights, lambda w_tensors: [lambda h, w=w: (h @ w).tanh() for w in w_tensors]


def test_checkpointing_gives_the_plain_gradients_and_keeps_less(device):
    weights, blocks = _blocks()
    x0 = np.random.default_rng(3).standard_normal((4, 5))
    grads, peaks = {}, {}
    for how in ("plain", "checkpointed"):
        ws = [minitorch.tensor(w, requires_grad=True, device=device) for w in weights]
        x = minitorch.tensor(x0, requires_grad=True, device=device)
        with minitorch.profile_memory() as report:
            if how == "plain":
                h = x
                for f in blocks(ws):
                    h = f(h)
            else:
                h = minitorch.checkpoint_sequential(blocks(ws), 3, x)
            (h * h).sum().backward()
        peaks[how] = report.peak_saved_bytes
        assert x.grad.device == device and all(w.grad.device == device for w in ws)
        grads[how] = [x.grad.numpy()] + [w.grad.numpy() for w in ws]
    for a, b in zip(grads["plain"], grads["checkpointed"]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert peaks["checkpointed"] < peaks["plain"]


def test_second_derivatives_through_a_checkpoint(device):
    x = minitorch.tensor(np.array([0.3, -0.7, 1.1]), requires_grad=True, device=device)
    y = minitorch.checkpoint(lambda t: (t.sin() * t).sum(), x)
    (g,) = minitorch.autograd_grad(y, [x], create_graph=True)
    (h,) = minitorch.autograd_grad(g.sum(), [x])
    x0 = np.array([0.3, -0.7, 1.1])
    assert h.device == device
    np.testing.assert_allclose(h.numpy(), 2 * np.cos(x0) - x0 * np.sin(x0), rtol=1e-12)


def test_transforms_on_the_device_match_closed_forms(device):
    x0 = np.array([0.5, -1.0, 2.0])
    f = lambda x: (x**3).sum() + (x[0] * x[1]).exp()
    x = _on(device, x0)
    hessian = minitorch.hessian(f)(x)
    expected = np.diag(6 * x0)
    e = np.exp(x0[0] * x0[1])
    expected[0, 0] += x0[1] ** 2 * e
    expected[1, 1] += x0[0] ** 2 * e
    expected[0, 1] = expected[1, 0] = e * (1 + x0[0] * x0[1])
    assert hessian.device == device
    np.testing.assert_allclose(hessian.numpy(), expected, rtol=1e-12)
    v = _on(device, np.array([1.0, 2.0, -1.0]))
    _, hv = minitorch.hvp(f, (x,), (v,))
    np.testing.assert_allclose(hv.numpy(), expected @ v.numpy(), rtol=1e-12)
    jacobian = minitorch.jacobian(lambda t: t.sin() * t)(x)
    np.testing.assert_allclose(jacobian.numpy(), np.diag(np.sin(x0) + x0 * np.cos(x0)), rtol=1e-12)


def test_inplace_relu_and_subgradient_policies_on_the_device(device):
    x0 = np.array([-1.0, 0.0, 2.0])
    for inplace in (False, True):
        x = minitorch.tensor(x0, requires_grad=True, device=device)
        minitorch.relu(x * 1.0, inplace=inplace).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])
    with minitorch.subgradient_policy(relu=1.0, abs=0.5):
        x = minitorch.tensor(x0, requires_grad=True, device=device)
        (minitorch.relu(x) + minitorch.abs(x)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, 1.5, 2.0])


def test_a_custom_function_runs_on_the_device(device):
    class Cube(minitorch.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3.0 * x * x * g

    x = minitorch.tensor([1.0, -2.0], requires_grad=True, device=device)
    Cube.apply(x).sum().backward()
    assert x.grad.device == device
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 12.0])
