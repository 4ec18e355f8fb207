"""In-place writes, with PyTorch's semantics: one version counter per block of memory.

Tensors that share memory (a reshape, a basic slice, ``.T``, ``detach()``,
``broadcast_to``) share one version counter, so an in-place write through any
of them makes a later backward that needs the old values raise, naming the
operation, instead of returning a gradient computed from the new values.
"""

from __future__ import annotations

import gc
import operator
import re

import numpy as np
import pytest

import minitorch
from minitorch import nn, optim

# Each alias of a (2, 3) tensor that shares its memory, as (name, make the alias).
ALIASES = {
    "reshape": lambda t: t.reshape(6),
    "slice": lambda t: t[1:, ::2],
    "T": lambda t: t.T,
    "detach": lambda t: t.detach(),
    "broadcast_to": lambda t: t.broadcast_to((4, 2, 3)),
    "unsqueeze": lambda t: minitorch.unsqueeze(t, 0),
    "iteration": lambda t: next(iter(t)),
}
WRITABLE = sorted(name for name in ALIASES if name != "broadcast_to")


def _leaf() -> minitorch.Tensor:
    return minitorch.tensor([[-1.0, 2.0, -3.0], [4.0, -5.0, 6.0]], requires_grad=True)


def _write_in_place(t: minitorch.Tensor, how: str) -> None:
    """Overwrite ``t`` in place without recording: in-place ReLU, or in-place arithmetic, inside no_grad."""
    with minitorch.no_grad():
        if how == "relu":
            minitorch.relu(t, inplace=True)
        else:
            t *= 2.0


@pytest.mark.parametrize("how", ["relu", "*="])
@pytest.mark.parametrize("alias", WRITABLE)
def test_a_write_through_an_alias_is_seen_by_a_graph_that_saved_the_original(alias, how):
    x = _leaf()
    y = x.exp()  # Exp saves its output y for backward
    _write_in_place(ALIASES[alias](y), how)
    with pytest.raises(
        RuntimeError,
        match="^ExpBackward: a tensor of shape \\(2, 3\\) saved for backward was modified by an in-place operation",
    ):
        y.sum().backward()


@pytest.mark.parametrize("how", ["relu", "*="])
@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_a_write_to_the_original_is_seen_by_a_graph_that_saved_an_alias(alias, how):
    x = _leaf()
    base = x * 1.0  # Mul does not save its output; the alias below is what gets saved
    view = ALIASES[alias](base)
    weight = minitorch.ones(view.shape, requires_grad=True)
    out = (view * weight).sum()  # Mul saves the alias, which weight's gradient needs
    _write_in_place(base, how)
    with pytest.raises(RuntimeError, match="^MulBackward: .* modified by an in-place operation"):
        out.backward()


def test_a_write_through_a_view_is_seen_after_the_saved_tensor_itself_is_gone():
    x = _leaf()
    y = x.exp()
    view = y.reshape(6)
    out = y.sum()
    del y
    gc.collect()
    _write_in_place(view, "relu")
    with pytest.raises(RuntimeError, match="^ExpBackward: .* modified by an in-place operation"):
        out.backward()


@pytest.mark.parametrize("alias", ["advanced index", "reshape of a transpose"])
def test_a_copy_is_not_an_alias(alias):
    """Advanced indexing and a reshape NumPy cannot do as a view give copies: writing them changes nothing else."""
    make = {"advanced index": lambda t: t[[0, 1], [2, 0]], "reshape of a transpose": lambda t: t.T.reshape(6)}[alias]
    x = _leaf()
    y = x.exp()
    copy = make(y)
    _write_in_place(copy, "relu")
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(x.detach().numpy()))


@pytest.mark.parametrize("alias", sorted(set(WRITABLE) - {"detach"}))
def test_a_recorded_write_through_a_view_is_refused(alias):
    """The write would become a node of the view's graph only; the original's graph would not see it."""
    x = _leaf()
    y = x * 1.0
    with pytest.raises(RuntimeError, match="^relu\\(inplace=True\\): .* shares its memory with another tensor"):
        minitorch.relu(ALIASES[alias](y), inplace=True)


def test_in_place_relu_on_a_broadcast_names_relu_and_the_shape():
    x = minitorch.tensor([-1.0, 2.0, -3.0])
    view = x.broadcast_to((2, 3))
    with pytest.raises(
        RuntimeError,
        match="^relu\\(inplace=True\\): cannot write in place into a tensor of shape "
        "\\(2, 3\\) whose memory is read-only",
    ):
        minitorch.relu(view, inplace=True)
    np.testing.assert_array_equal(x.numpy(), [-1.0, 2.0, -3.0])


def test_in_place_relu_keeps_working_on_a_tensor_of_its_own():
    x = _leaf()
    h = x * 2.0
    out = minitorch.relu(h, inplace=True)
    assert out is h
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 2.0, 0.0], [2.0, 0.0, 2.0]])


def test_every_in_place_write_bumps_the_shared_version():
    x = minitorch.zeros(2, 3)
    views = [make(x) for make in ALIASES.values()]
    versions = [x._version] + [v._version for v in views]
    x += 1.0
    with minitorch.no_grad():
        minitorch.relu(x, inplace=True)
    views[0] -= 1.0
    assert x._version == versions[0] + 3
    assert all(v._version == x._version for v in views)


# --- in-place arithmetic -----------------------------------------------------------------------------------
def test_the_hand_written_sgd_step_updates_w_in_place_and_keeps_it_a_leaf():
    w = minitorch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    array, lr = w.data, 0.1
    (w * w).sum().backward()
    with minitorch.no_grad():
        w -= lr * w.grad
    assert w.data is array  # the same memory: every alias sees the step
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    np.testing.assert_allclose(w.detach().numpy(), [0.8, -1.6, 2.4])
    # It can be trained further: the next backward reaches it.
    w.grad = None
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [1.6, -3.2, 4.8])


IN_PLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv}


@pytest.mark.parametrize("op", sorted(IN_PLACE))
def test_in_place_arithmetic_on_a_leaf_that_requires_grad_is_refused_outside_no_grad(op):
    w = minitorch.tensor([1.0, 2.0], requires_grad=True)
    leaf_message = f"^{re.escape(op)}: a tensor of shape \\(2,\\) is a leaf that requires grad"
    with pytest.raises(RuntimeError, match=leaf_message):
        IN_PLACE[op](w, 2.0)
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, 2.0])


@pytest.mark.parametrize(
    "op, expected", [("+=", [3.0, 6.0]), ("-=", [-1.0, -2.0]), ("*=", [2.0, 8.0]), ("/=", [0.5, 0.5])]
)
def test_in_place_arithmetic_writes_into_the_same_memory(op, expected):
    x = minitorch.tensor([1.0, 2.0])
    alias = x.reshape(1, 2)
    before = x._version
    assert IN_PLACE[op](x, minitorch.tensor([2.0, 4.0])) is x
    np.testing.assert_array_equal(x.numpy(), expected)
    np.testing.assert_array_equal(alias.numpy(), [expected])
    assert x._version == alias._version == before + 1


def test_recorded_in_place_arithmetic_becomes_part_of_the_graph():
    """On a tensor computed from a leaf, ``h += a`` is recorded, as in PyTorch: h's grad_fn is the addition."""
    a = minitorch.tensor([1.0, 2.0], requires_grad=True)
    b = minitorch.tensor([3.0, 5.0], requires_grad=True)
    h = a * 3.0
    h += b * b
    assert h.grad_fn is not None and h.grad_fn.name() == "AddBackward"
    h.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])
    np.testing.assert_array_equal(b.grad.numpy(), [6.0, 10.0])


def test_in_place_arithmetic_on_a_constant_with_a_variable_records_it():
    w = minitorch.tensor([1.0, 2.0], requires_grad=True)
    total = minitorch.zeros(2)
    total += w * w
    assert total.requires_grad
    total.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])


def test_in_place_arithmetic_carries_forward_mode_tangents():
    def f(x):
        h = x * 1.0
        h *= x  # x**2
        h += 3.0 * x
        return h

    value, tangent = minitorch.jvp(f, (minitorch.tensor([1.0, 2.0]),), (minitorch.tensor([1.0, 1.0]),))
    np.testing.assert_array_equal(value.numpy(), [4.0, 10.0])
    np.testing.assert_array_equal(tangent.numpy(), [5.0, 7.0])


def test_in_place_multiplication_of_a_tensor_a_rule_saved_is_refused_at_backward():
    """``h *= w`` needs the old h for w's gradient; the write overwrote it, so backward says so."""
    a = minitorch.tensor([1.0, 2.0], requires_grad=True)
    w = minitorch.tensor([3.0, 4.0], requires_grad=True)
    h = a * 2.0
    h *= w
    with pytest.raises(RuntimeError, match="^MulBackward: .* modified by an in-place operation"):
        h.sum().backward()


def test_in_place_arithmetic_keeps_the_dtype_and_gradient_dtypes():
    x = minitorch.tensor(np.array([1.0, 2.0], np.float32))
    w = minitorch.tensor([0.5, 0.25], requires_grad=True)  # float64
    x += w
    assert x.dtype == np.float32
    x.sum().backward()
    assert w.grad.dtype == np.float64


def test_in_place_arithmetic_that_does_not_fit_is_an_error_and_changes_nothing():
    x = minitorch.tensor([1.0, 2.0])
    with pytest.raises(
        ValueError,
        match="^\\+=: the result has shape \\(3, 2\\), which does not fit in place into a tensor of shape \\(2,\\)",
    ):
        x += minitorch.ones(3, 2)
    counts = minitorch.tensor([1, 2])
    with pytest.raises(
        TypeError, match="^\\*=: the result has dtype float64, which cannot be written into a tensor of dtype int64"
    ):
        counts *= 0.5
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(counts.numpy(), [1, 2])


def test_a_graph_that_saved_a_parameter_view_refuses_backward_after_an_optimizer_step():
    layer = nn.Linear(3, 2)
    opt = optim.SGD(layer.parameters(), lr=0.1)
    weight_t = layer.weight.T
    loss = (weight_t * weight_t).sum() + (layer(minitorch.ones(1, 3)) ** 2).sum()
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


def test_a_parameter_made_from_a_tensor_shares_its_version_counter():
    t = minitorch.tensor([1.0, -2.0])
    p = nn.Parameter(t)
    assert np.shares_memory(p.data, t.data)
    with minitorch.no_grad():
        t *= 2.0
    assert p._version == t._version == 1
    np.testing.assert_array_equal(p.detach().numpy(), [2.0, -4.0])


def test_the_state_dict_shares_version_counters_with_the_parameters():
    layer = nn.Linear(2, 1)
    state = layer.state_dict()
    layer.load_state_dict({"weight": np.ones((1, 2)), "bias": np.zeros(1)})
    assert state["weight"]._version == layer.weight._version == 1
