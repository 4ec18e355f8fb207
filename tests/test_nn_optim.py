"""``minitorch.nn`` and ``minitorch.optim``: module bookkeeping, layers, losses, optimizers,
and an MLP that learns scikit-learn's handwritten digits.

Derivatives are checked against central differences in float64 (directly, or
through the ``oracle`` fixture of ``conftest.py``); optimizer steps against
the update formulas written out in the test; the fused primitives
(``Affine``, ``CrossEntropy``) against the same math built from existing
primitives, up to second derivatives.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pytest

import minitorch
import minitorch.nn.functional as F
from minitorch import nn, numerical, optim


# --- helpers ------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same generator state: layer initializations do not depend on test order."""
    minitorch.manual_seed(0)


def logsumexp_rows(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=1)
    return m + np.log(np.exp(z - m[:, None]).sum(axis=1))


def cross_entropy_reference(z: np.ndarray, y: np.ndarray) -> float:
    """NumPy: mean over rows of logsumexp(z_i) - z_{i, y_i}."""
    return float(np.mean(logsumexp_rows(z) - z[np.arange(len(y)), y]))


def cross_entropy_gradient_reference(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """NumPy: (softmax(z) - onehot(y)) / N."""
    p = np.exp(z - logsumexp_rows(z)[:, None])
    p[np.arange(len(y)), y] -= 1
    return p / len(y)


class TwoLayer(nn.Module):
    """A small model with every kind of attribute a module can have."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.array([2.0]))
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(4, 2)
        self.offset = minitorch.tensor([1.0, 1.0], requires_grad=True)  # a plain tensor: not registered
        self.width = 4

    def forward(self, x: minitorch.Tensor) -> minitorch.Tensor:
        return self.fc2(self.act(self.fc1(x))) * self.scale


# --- Parameter ----------------------------------------------------------------------------
def test_parameter_is_a_leaf_tensor_that_requires_grad():
    p = nn.Parameter(np.ones((2, 3)))
    assert isinstance(p, minitorch.Tensor)
    assert p.requires_grad and p.is_leaf and p.grad is None
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert nn.Parameter([1.0, 2.0]).dtype == np.float64


def test_parameter_of_a_tensor_shares_its_memory_but_not_its_graph():
    t = minitorch.tensor([1.0, 2.0], requires_grad=True) * 2.0
    p = nn.Parameter(t)
    assert p.is_leaf and p.grad_fn is None
    assert np.shares_memory(p.data, t.data)


def test_parameter_must_be_floating_point():
    with pytest.raises(TypeError, match="floating-point"):
        nn.Parameter(np.arange(3))


# --- Module: registration and traversal ---------------------------------------------------
def test_parameters_are_registered_in_assignment_order_with_dotted_names():
    model = TwoLayer()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [id(p) for p in model.parameters()] == [id(p) for _, p in model.named_parameters()]
    assert list(model.children()) == [model.fc1, model.act, model.fc2]
    assert [name for name, _ in model.named_modules()] == ["", "fc1", "act", "fc2"]


def test_plain_tensors_and_other_values_are_not_registered():
    model = TwoLayer()
    assert all(p is not model.offset for p in model.parameters())
    assert model.width == 4 and model.offset.shape == (2,)


def test_shared_parameters_and_modules_are_listed_once():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Linear(3, 3)
            self.decoder = nn.Linear(3, 3)
            self.decoder.weight = self.encoder.weight  # tied weights
            self.again = self.encoder  # the same module under a second name

    model = Tied()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["encoder.weight", "encoder.bias", "decoder.bias"]
    assert len(list(model.modules())) == 3


def test_reassigning_or_deleting_an_attribute_updates_the_registry():
    model = TwoLayer()
    model.fc1 = nn.Linear(3, 5, bias=False)
    assert [name for name, _ in model.named_parameters()] == ["scale", "fc1.weight", "fc2.weight", "fc2.bias"]
    model.scale = 3.0  # a plain number under a parameter's name: no longer a parameter
    assert model.scale == 3.0
    assert "scale" not in dict(model.named_parameters())
    del model.fc2
    assert not hasattr(model, "fc2")
    assert [name for name, _ in model.named_parameters()] == ["fc1.weight"]
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        _ = model.missing


def test_assigning_a_parameter_before_module_init_is_a_clear_error():
    class Forgetful(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(2))

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Forgetful()


def test_register_parameter_and_add_module_check_their_arguments():
    model = nn.Module()
    model.register_parameter("w", nn.Parameter(np.zeros(2)))
    model.add_module("layer", nn.ReLU())
    assert [name for name, _ in model.named_parameters()] == ["w"]
    with pytest.raises(TypeError, match="expected a Parameter"):
        model.register_parameter("v", minitorch.zeros(2))
    with pytest.raises(TypeError, match="expected a Module"):
        model.add_module("f", lambda x: x)


def test_zero_grad_sets_every_gradient_to_none():
    model = TwoLayer()
    model(minitorch.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_train_and_eval_set_the_mode_of_the_whole_tree():
    model = TwoLayer()
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def _mlp(dtype=np.float64, device="cpu"):
    return nn.Sequential(
        nn.Linear(3, 4, dtype=dtype, device=device), nn.ReLU(), nn.Linear(4, 2, dtype=dtype, device=device)
    )


def test_state_dict_names_every_parameter_and_shares_its_array():
    model = _mlp()
    state = model.state_dict()
    assert list(state) == [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for (_, p), value in zip(model.named_parameters(), state.values()):
        assert not value.requires_grad and value.grad_fn is None and value.shape == p.shape
        assert np.shares_memory(value.data, p.data)


def test_load_state_dict_restores_a_model_in_place(device):
    minitorch.manual_seed(1)
    source = _mlp(device=device)
    x = minitorch.randn(5, 3, device=device)
    saved = {name: value.numpy().copy() for name, value in source.state_dict().items()}  # as from np.load
    minitorch.manual_seed(2)
    target = _mlp(dtype=np.float32, device=device)
    before = list(target.parameters())
    opt = optim.SGD(target.parameters(), lr=0.1)  # made before loading: it must still see the parameters
    assert target.load_state_dict(saved) == ([], [])
    assert all(p is q for p, q in zip(before, target.parameters()))
    for p, value in zip(target.parameters(), saved.values()):
        assert p.dtype == np.float32 and p.device == device and p.requires_grad
        np.testing.assert_allclose(p.detach().numpy(), value, rtol=1e-6)
    np.testing.assert_allclose(
        target(x.astype(np.float32)).detach().numpy(), source(x).detach().numpy(), rtol=1e-5, atol=1e-6
    )
    F.mse_loss(target(x.astype(np.float32)), np.zeros((5, 2), np.float32)).backward()
    opt.step()
    assert not np.allclose(target[0].weight.detach().numpy(), saved["0.weight"], rtol=1e-6)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: s.pop("2.bias"), r"missing key\(s\) 2\.bias"),
        (lambda s: s.update(extra=np.zeros(1)), r"unexpected key\(s\) extra"),
        (
            lambda s: s.update({"0.weight": np.zeros((3, 4))}),
            r"size mismatch for 0\.weight: the state has shape \(3, 4\), the parameter has shape \(4, 3\)",
        ),
    ],
)
def test_a_bad_state_names_the_key_and_changes_nothing(change, message):
    model = _mlp()
    state = {name: np.full(value.shape, 7.0) for name, value in model.state_dict().items()}
    change(state)
    before = [p.detach().numpy().copy() for p in model.parameters()]
    with pytest.raises(RuntimeError, match=f"^load_state_dict for Sequential: {message}"):
        model.load_state_dict(state)
    for p, old in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.detach().numpy(), old)


def test_load_state_dict_not_strict_loads_what_matches_and_reports_the_rest():
    model = _mlp()
    missing, unexpected = model.load_state_dict(
        {"0.bias": [1.0, 2.0, 3.0, 4.0], "head.weight": np.zeros(2)}, strict=False
    )
    assert missing == ["0.weight", "2.weight", "2.bias"] and unexpected == ["head.weight"]
    np.testing.assert_array_equal(model[0].bias.detach().numpy(), [1.0, 2.0, 3.0, 4.0])
    with pytest.raises(RuntimeError, match="size mismatch for 0.bias"):
        model.load_state_dict({"0.bias": np.zeros(3)}, strict=False)  # a wrong shape is never loaded


def test_a_graph_that_saved_a_parameter_refuses_backward_after_a_load():
    model = _mlp()
    loss = model(minitorch.randn(2, 3)).sum()
    model.load_state_dict(model.state_dict())
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


def test_calling_a_module_runs_forward():
    model = TwoLayer()
    x = minitorch.randn(5, 3)
    np.testing.assert_array_equal(model(x).detach().numpy(), model.forward(x).detach().numpy())
    with pytest.raises(NotImplementedError, match="must define forward"):
        nn.Module()(x)


def test_repr_shows_the_tree():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(inplace=True), nn.Linear(3, 1, bias=False))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): ReLU(inplace=True)\n"
        "  (2): Linear(in_features=3, out_features=1, bias=False)\n"
        ")"
    )


# --- Sequential and activations -------------------------------------------------------------
def test_sequential_is_a_list_of_modules_applied_in_order():
    first, second = nn.Linear(4, 3), nn.Linear(3, 2)
    model = nn.Sequential(first, nn.Sigmoid(), second)
    assert len(model) == 3 and model[0] is first and model[-1] is second
    assert list(model) == [first, model[1], second]
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    x = minitorch.randn(6, 4)
    np.testing.assert_allclose(model(x).detach().numpy(), second(first(x).sigmoid()).detach().numpy())


@pytest.mark.parametrize(
    "module, reference",
    [
        (nn.ReLU(), lambda x: np.maximum(x, 0)),
        (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
        (nn.Tanh(), np.tanh),
    ],
)
def test_activation_modules_match_numpy(module, reference):
    x = np.linspace(-4, 4, 12).reshape(3, 4)
    np.testing.assert_allclose(module(minitorch.tensor(x)).numpy(), reference(x), rtol=1e-12)


def test_functional_reexports_minitorch_activations():
    assert F.relu is minitorch.relu and F.sigmoid is minitorch.sigmoid and F.tanh is minitorch.tanh
    assert F.softmax is minitorch.softmax and F.log_softmax is minitorch.log_softmax


def test_inplace_relu_gives_the_same_gradients():
    results = []
    for inplace in (False, True):
        minitorch.manual_seed(3)
        model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(inplace=inplace), nn.Linear(5, 2))
        model(minitorch.randn(7, 4)).sum().backward()
        results.append([p.grad.numpy() for p in model.parameters()])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


# --- Linear -------------------------------------------------------------------------------
def test_linear_shapes_dtypes_and_init_bounds():
    layer = nn.Linear(5, 3)
    assert layer.weight.shape == (3, 5) and layer.bias.shape == (3,)
    assert layer.weight.dtype == np.float64
    bound = 1 / np.sqrt(5)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    big = nn.Linear(400, 300, dtype=np.float32)
    assert big.weight.dtype == np.float32 and big.bias.dtype == np.float32
    # U(-b, b) has variance b^2 / 3 = 1 / (3 n_in): the scale that keeps outputs O(1).
    assert abs(big.weight.data.var() * 3 * 400 - 1) < 0.02
    no_bias = nn.Linear(5, 3, bias=False)
    assert no_bias.bias is None and [name for name, _ in no_bias.named_parameters()] == ["weight"]
    for sizes in [(0, 3), (3, -1), (2.5, 3), (True, 3)]:
        with pytest.raises(ValueError, match="^Linear: in_features and out_features must be positive integers"):
            nn.Linear(*sizes)
    assert nn.Linear(np.int64(5), 3).weight.shape == (3, 5)


def test_linear_init_is_controlled_by_manual_seed():
    minitorch.manual_seed(123)
    a = nn.Linear(4, 3)
    minitorch.manual_seed(123)
    b = nn.Linear(4, 3)
    c = nn.Linear(4, 3)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    assert not np.array_equal(b.weight.data, c.weight.data)


@pytest.mark.parametrize("batch", [(), (6,), (2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_forward_matches_numpy(batch, bias):
    layer = nn.Linear(4, 3, bias=bias)
    x = np.random.default_rng(0).standard_normal(batch + (4,))
    expected = x @ layer.weight.data.T + (layer.bias.data if bias else 0)
    out = layer(minitorch.tensor(x))
    assert out.shape == batch + (3,)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-12)


def test_linear_gradients_match_central_differences():
    rng = np.random.default_rng(1)
    layer = nn.Linear(4, 3)
    x = minitorch.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    target = rng.standard_normal((5, 3))

    def loss() -> minitorch.Tensor:  # a nonlinear scalar, so every gradient entry matters
        return ((layer(x).tanh() - target) ** 2).sum()

    def loss_of(weight: minitorch.Tensor, bias: minitorch.Tensor, inputs: minitorch.Tensor) -> minitorch.Tensor:
        return ((F.linear(inputs, weight, bias).tanh() - target) ** 2).sum()

    loss().backward()
    parameters = (layer.weight, layer.bias, x)
    numeric = numerical.vjp(loss_of, [t.detach() for t in parameters], minitorch.tensor(1.0))
    for tensor, expected in zip(parameters, numeric):
        np.testing.assert_allclose(tensor.grad.numpy(), expected.numpy(), rtol=1e-6, atol=1e-8)
    # The fused primitive returns dL/dW in W's own row-major layout (what makes SGD's update fast).
    assert layer.weight.grad.data.flags.c_contiguous


@pytest.mark.parametrize("x_shape", [(5, 4), (2, 3, 4), (4,)])
def test_linear_function_passes_the_oracle(oracle, x_shape):
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal((3, 4)), rng.standard_normal(3)]
    # Values, VJP and JVP against central differences, recorded VJP and both second-order compositions ...
    oracle.check(F.linear, arrays, expected=lambda x, w, b: x @ w.T + b)
    oracle.check(lambda x, w: F.linear(x, w), arrays[:2], expected=lambda x, w: x @ w.T)
    # ... and reverse mode through the tangent rule.
    oracle.check_reverse_over_forward(F.linear, arrays)


def test_fused_linear_matches_the_composite_to_second_order():
    rng = np.random.default_rng(3)
    x, b = minitorch.tensor(rng.standard_normal((5, 4))), minitorch.tensor(rng.standard_normal(3))
    w0, v = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))

    def fused(w):
        return F.linear(x, w, b).tanh().sum()

    def composite(w):
        return (x @ w.T + b).tanh().sum()

    # Forward over reverse: the JVP of the gradient, which differentiates Affine's VJP.
    grad_a, hv_a = minitorch.hvp(fused, [w0], [v])
    grad_b, hv_b = minitorch.hvp(composite, [w0], [v])
    np.testing.assert_allclose(grad_a.detach().numpy(), grad_b.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(hv_a.detach().numpy(), hv_b.detach().numpy(), rtol=1e-10, atol=1e-12)
    # create_graph: the gradient of the gradient (reverse over reverse) agrees too.
    w = minitorch.tensor(w0, requires_grad=True)
    (g,) = minitorch.autograd_grad(fused(w), [w], create_graph=True)
    (gv,) = minitorch.autograd_grad((g * minitorch.tensor(v)).sum(), [w])
    np.testing.assert_allclose(gv.numpy(), hv_b.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_linear_rejects_inputs_of_the_wrong_width():
    layer = nn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"in_features=3.*shape \(4, 5\)"):
        layer(minitorch.zeros(4, 5))
    with pytest.raises(ValueError, match="bias must have shape"):
        F.linear(minitorch.zeros(4, 3), layer.weight, minitorch.zeros(3))


# --- cross_entropy ----------------------------------------------------------------------------
def test_cross_entropy_value_matches_numpy():
    rng = np.random.default_rng(4)
    z, y = rng.standard_normal((8, 5)) * 3, rng.integers(0, 5, size=8)
    loss = F.cross_entropy(minitorch.tensor(z), y)
    assert loss.shape == ()
    assert loss.item() == pytest.approx(cross_entropy_reference(z, y), rel=1e-13)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cross_entropy_passes_the_oracle(oracle, seed):
    rng = np.random.default_rng(seed)
    z, y = rng.standard_normal((6, 4)) * 2, rng.integers(0, 4, size=6)
    oracle.check(
        lambda logits: F.cross_entropy(logits, y),
        [z],
        expected=lambda logits: cross_entropy_reference(logits, y),
        seed=seed,
    )
    oracle.check_reverse_over_forward(lambda logits: F.cross_entropy(logits, y), [z], seed=seed)


def test_cross_entropy_gradient_matches_central_differences():
    rng = np.random.default_rng(5)
    z, y = rng.standard_normal((6, 4)), rng.integers(0, 4, size=6)
    logits = minitorch.tensor(z, requires_grad=True)
    F.cross_entropy(logits, y).backward()
    (numeric,) = numerical.vjp(
        lambda t: minitorch.tensor(cross_entropy_reference(t.numpy(), y)), [minitorch.tensor(z)], minitorch.tensor(1.0)
    )
    np.testing.assert_allclose(logits.grad.numpy(), numeric.numpy(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(logits.grad.numpy(), cross_entropy_gradient_reference(z, y), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_is_stable_at_logits_of_a_thousand(dtype):
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0], [-1000.0, -1000.0, -1000.0]], dtype=dtype)
    y = np.array([0, 2, 1])
    logits = minitorch.tensor(z, requires_grad=True)
    loss = F.cross_entropy(logits, y)
    # Row 0 is certain and right (loss 0), row 1 splits 1000/1000 (log 2), row 2 is uniform (log 3).
    # In float32, 1000 + log 2 is rounded to a spacing of 6e-5 before 1000 is subtracted again.
    tolerance = 1e-12 if dtype == np.float64 else 1e-4
    assert loss.dtype == dtype
    assert loss.item() == pytest.approx((0 + np.log(2) + np.log(3)) / 3, abs=tolerance)
    loss.backward()
    expected = np.array([[0, 0, 0], [0, 0.5, -0.5], [1 / 3, -2 / 3, 1 / 3]]) / 3
    assert logits.grad.dtype == dtype and np.isfinite(logits.grad.numpy()).all()
    np.testing.assert_allclose(logits.grad.numpy(), expected, atol=1e-7)
    composite = F.cross_entropy_composite(minitorch.tensor(z), y)
    assert composite.item() == pytest.approx(loss.item(), abs=tolerance)


def test_fused_cross_entropy_matches_the_composite_in_every_derivative():
    rng = np.random.default_rng(6)
    z, v = rng.standard_normal((5, 4)) * 2, rng.standard_normal((5, 4))
    y = rng.integers(0, 4, size=5)
    results = {}
    for name, loss in [("fused", F.cross_entropy), ("composite", F.cross_entropy_composite)]:

        def f(logits, loss=loss):
            return loss(logits, y)

        value, grad = minitorch.value_and_grad(f)(z)
        _, tangent = minitorch.jvp(f, [z], [v])
        _, hessian_v = minitorch.hvp(f, [z], [v])
        results[name] = [value.item(), grad.numpy(), tangent.item(), hessian_v.detach().numpy()]
    for a, b in zip(results["fused"], results["composite"]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    # And the Hessian itself against central differences of the gradient.
    hessian = minitorch.hessian(lambda logits: F.cross_entropy(logits, y))(minitorch.tensor(z)).numpy()
    numeric = numerical.jacobian(
        lambda t: minitorch.tensor(cross_entropy_gradient_reference(t.numpy(), y)), [minitorch.tensor(z)]
    )
    np.testing.assert_allclose(hessian, numeric.numpy(), rtol=1e-5, atol=1e-8)


def test_cross_entropy_accepts_lists_int_arrays_and_tensors_of_targets():
    z = minitorch.tensor([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]])
    expected = cross_entropy_reference(z.numpy(), np.array([1, 2]))
    for targets in (
        [1, 2],
        np.array([1, 2], dtype=np.int32),
        np.array([1, 2], dtype=np.uint8),
        minitorch.tensor([1, 2]),
    ):
        assert F.cross_entropy(z, targets).item() == pytest.approx(expected, rel=1e-14)
    with minitorch.no_grad():
        assert F.cross_entropy(z, [1, 2]).item() == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize(
    "logits_shape, targets, error, message",
    [
        ((5,), [0, 1, 2, 3, 4], ValueError, r"cross_entropy: logits must have shape \(N, C\), got shape \(5,\)"),
        ((2, 3, 4), [0, 1], ValueError, r"cross_entropy: logits must have shape \(N, C\)"),
        (
            (4, 3),
            [0, 1, 2],
            ValueError,
            r"targets must have shape \(4,\) to match logits of shape \(4, 3\), got "
            r"shape \(3,\)",
        ),
        ((2, 3), [[0], [1]], ValueError, r"targets must have shape \(2,\)"),
        ((2, 3), [0.0, 1.0], TypeError, r"cross_entropy: targets must be integer class indices, got dtype float64"),
        (
            (2, 3),
            [0, 3],
            ValueError,
            r"targets must lie in \[0, 3\) for logits of shape \(2, 3\), got values from "
            r"0 to 3",
        ),
        ((2, 3), [-1, 0], ValueError, r"got values from -1 to 0"),
        ((0, 3), np.zeros(0, dtype=int), ValueError, "the batch is empty"),
    ],
)
def test_cross_entropy_errors_name_the_function_and_the_shapes(logits_shape, targets, error, message):
    with pytest.raises(error, match=message):
        F.cross_entropy(minitorch.zeros(*logits_shape), targets)


# --- mse_loss -------------------------------------------------------------------------------
def test_mse_loss_value_gradient_and_shape_check(oracle):
    rng = np.random.default_rng(7)
    pred, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    assert F.mse_loss(oracle.tensor(pred), target).item() == pytest.approx(np.mean((pred - target) ** 2))
    oracle.check(lambda p: F.mse_loss(p, oracle.tensor(target)), [pred], expected=lambda p: np.mean((p - target) ** 2))
    with pytest.raises(ValueError, match=r"mse_loss: pred has shape \(4, 1\) but target has shape \(4,\)"):
        F.mse_loss(minitorch.zeros(4, 1), np.zeros(4))


# --- SGD ------------------------------------------------------------------------------------
GRADIENTS = [
    np.array([[0.5, -1.0], [2.0, 0.25]]),
    np.array([[-0.3, 0.8], [1.5, -2.0]]),
    np.array([[0.1, 0.1], [-0.7, 0.4]]),
]
THETA0 = np.array([[1.0, -2.0], [0.5, 3.0]])


def run_optimizer(make: Callable[[list], optim.Optimizer], gradients: list[np.ndarray]) -> list[np.ndarray]:
    """Feed the optimizer the given gradients one step at a time; return the parameter after each step."""
    p = nn.Parameter(THETA0.copy())
    opt = make([p])
    history = []
    for g in gradients:
        opt.zero_grad()
        p.grad = minitorch.tensor(g)
        opt.step()
        history.append(p.data.copy())
    return history


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_sgd_matches_the_update_formula(momentum, weight_decay):
    lr = 0.1
    history = run_optimizer(lambda ps: optim.SGD(ps, lr=lr, momentum=momentum, weight_decay=weight_decay), GRADIENTS)
    # Reference (PyTorch's rule): d = g + wd*theta; b_1 = d, b_t = mu*b_{t-1} + d; theta -= lr*b.
    theta, buf = THETA0.copy(), None
    for g, got in zip(GRADIENTS, history):
        d = g + weight_decay * theta
        if momentum:
            buf = d if buf is None else momentum * buf + d
            d = buf
        theta = theta - lr * d
        np.testing.assert_allclose(got, theta, rtol=1e-14, atol=1e-15)


def test_sgd_by_hand_on_a_real_backward():
    # L = sum(theta^2)/2 has gradient theta: one plain step scales theta by (1 - lr).
    p = nn.Parameter(THETA0.copy())
    opt = optim.SGD([p], lr=0.25)
    ((p * p).sum() * 0.5).backward()
    opt.step()
    np.testing.assert_allclose(p.data, 0.75 * THETA0)


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_adam_matches_the_update_formula(weight_decay):
    lr, (beta1, beta2), eps = 0.01, (0.9, 0.999), 1e-8
    history = run_optimizer(
        lambda ps: optim.Adam(ps, lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay), GRADIENTS
    )
    # Reference (Kingma & Ba, PyTorch's L2 weight decay):
    # d = g + wd*theta; m = b1*m + (1-b1)*d; v = b2*v + (1-b2)*d^2;
    # theta -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps).
    theta, m, v = THETA0.copy(), np.zeros_like(THETA0), np.zeros_like(THETA0)
    for t, (g, got) in enumerate(zip(GRADIENTS, history), start=1):
        d = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * d
        v = beta2 * v + (1 - beta2) * d * d
        theta = theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        np.testing.assert_allclose(got, theta, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_adams_first_step_has_size_lr_in_every_coordinate(scale):
    # Bias correction: m_hat / sqrt(v_hat) = g / |g| at t = 1, whatever the gradient's scale (eps = 0 here).
    history = run_optimizer(lambda ps: optim.Adam(ps, lr=0.5, eps=0.0), [scale * GRADIENTS[0]])
    np.testing.assert_allclose(history[0], THETA0 - 0.5 * np.sign(GRADIENTS[0]), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
        lambda ps: optim.Adam(ps, lr=0.1, weight_decay=0.1),
    ],
)
def test_optimizers_update_in_place_skip_missing_grads_and_leave_grads_alone(make):
    a, b = nn.Parameter(THETA0.copy()), nn.Parameter(THETA0.copy())
    array_a, version_a = a.data, a._version
    opt = make([a, b, a])  # a duplicate is optimized once
    assert len(opt.params) == 2
    a.grad = minitorch.tensor(GRADIENTS[0])
    grad_before = a.grad.data.copy()
    opt.step()
    assert a.data is array_a and a._version == version_a + 1  # same array, new version
    assert not np.array_equal(a.data, THETA0)
    np.testing.assert_array_equal(b.data, THETA0)  # no grad: untouched, no state
    assert b not in opt.state
    np.testing.assert_array_equal(a.grad.data, grad_before)
    opt.zero_grad()
    assert a.grad is None and b.grad is None


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: optim.Adam(ps, lr=0.1)])
def test_optimizers_accept_read_only_broadcast_gradients(make):
    # The gradient of p.sum() is ones broadcast to p's shape: a read-only view. Steps only read it.
    p = nn.Parameter(THETA0.copy())
    opt = make([p])
    for _ in range(2):
        opt.zero_grad()
        p.sum().backward()
        opt.step()
    assert np.all(p.data < THETA0)


def test_float32_parameters_stay_float32():
    for make in (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.5), lambda ps: optim.Adam(ps)):
        p = nn.Parameter(np.ones(3, dtype=np.float32))
        opt = make([p])
        for _ in range(2):
            p.grad = minitorch.tensor(np.full(3, 0.5, dtype=np.float32))
            opt.step()
        assert p.dtype == np.float32


def test_a_graph_that_saved_a_parameter_refuses_backward_after_a_step():
    p = nn.Parameter(np.array([1.0, 2.0]))
    opt = optim.SGD([p], lr=0.1)
    loss = (p * p).sum()  # Mul saved p
    p.grad = minitorch.tensor([1.0, 1.0])
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda ps: optim.SGD(ps, lr=-1.0), "invalid learning rate"),
        (lambda ps: optim.SGD(ps, lr=0.1, momentum=-0.5), "invalid momentum"),
        (lambda ps: optim.SGD(ps, lr=0.1, weight_decay=-1), "invalid weight_decay"),
        (lambda ps: optim.Adam(ps, betas=(1.0, 0.999)), "invalid beta1"),
        (lambda ps: optim.Adam(ps, betas=(0.9, -0.1)), "invalid beta2"),
        (lambda ps: optim.Adam(ps, eps=-1e-8), "invalid eps"),
        (lambda ps: optim.SGD([], lr=0.1), "empty parameter list"),
        (lambda ps: optim.SGD([ps[0] * 2], lr=0.1), "only optimize leaf tensors"),
    ],
)
def test_optimizer_arguments_are_checked(make, message):
    with pytest.raises(ValueError, match=message):
        make([nn.Parameter(np.zeros(2))])
    with pytest.raises(TypeError, match="got one holding ndarray"):
        optim.SGD([np.zeros(2)], lr=0.1)


@pytest.mark.parametrize(
    "params, given",
    [
        (lambda: nn.Linear(2, 2), "Linear"),  # the model instead of model.parameters()
        (lambda: nn.Sequential(nn.Linear(2, 2)), "one holding Linear"),  # iterable, but of modules
        (lambda: nn.Parameter(np.zeros((3, 2))), "Parameter"),  # iterating would give its rows
    ],
)
def test_an_optimizer_given_a_model_or_a_tensor_says_what_to_pass(params, given):
    with pytest.raises(
        TypeError,
        match=rf"^SGD: params must be an iterable of Tensors, such as "
        rf"model\.parameters\(\) or \[w, b\]; got {given}$",
    ):
        optim.SGD(params(), lr=0.1)


# --- training on real data --------------------------------------------------------------------
def test_an_mlp_learns_handwritten_digits():
    """A 64-64-10 ReLU network trained with Adam reaches >= 94% accuracy on 450 held-out digits.

    15 epochs of mini-batches of about 64 take well under a second. With this seed the accuracy is
    0.969 (seeds 0-9 give 0.951-0.980), so the bound leaves room for round-off changes in the engine.
    """
    datasets = pytest.importorskip("sklearn.datasets")
    model_selection = pytest.importorskip("sklearn.model_selection")
    digits = datasets.load_digits()  # 1797 8x8 images, shipped inside scikit-learn
    x_train, x_test, y_train, y_test = model_selection.train_test_split(
        digits.data / 16.0, digits.target, test_size=0.25, random_state=0, stratify=digits.target
    )

    minitorch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = optim.Adam(model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    x_train_t = minitorch.tensor(x_train)
    start = time.perf_counter()
    first_loss = None
    for _ in range(15):
        order = rng.permutation(len(x_train))
        for batch in np.array_split(order, len(order) // 64):
            opt.zero_grad()
            loss = F.cross_entropy(model(x_train_t[batch]), y_train[batch])
            loss.backward()
            opt.step()
            first_loss = loss.item() if first_loss is None else first_loss
    elapsed = time.perf_counter() - start

    model.eval()
    with minitorch.no_grad():
        predictions = model(minitorch.tensor(x_test)).numpy().argmax(axis=1)
        final_loss = F.cross_entropy(model(x_train_t), y_train).item()
    accuracy = float(np.mean(predictions == y_test))
    print(f"digits: test accuracy {accuracy:.4f}, train loss {first_loss:.3f} -> {final_loss:.4f}, {elapsed:.2f} s")
    assert accuracy >= 0.94, f"test accuracy {accuracy:.3f}"
    assert final_loss < 0.05 * first_loss
    assert elapsed < 30, f"training took {elapsed:.1f} s"
