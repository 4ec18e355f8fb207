"""The engine's contract, and only the contract.

* ``Function.apply`` and ``Context`` record inputs, save what backward needs and
  check versions; tools (the memory profiler, gradcheck's kink watch) watch
  through :mod:`minitorch.hooks`, and the engine imports neither.
* Public operations take and return tensors; the array fast path of backward
  is the engine's business, not a mode of ``saved_tensors``.
* Broadcasting is an operation of its own, so binary rules do not sum back.
* :mod:`minitorch.numerical` is the one finite-difference oracle.
"""

from __future__ import annotations

import ast
import pathlib
import threading

import numpy as np
import pytest

import minitorch
from minitorch import hooks, numerical

PACKAGE = pathlib.Path(minitorch.__file__).parent
RNG = np.random.default_rng(17)


# --- the engine imports no tool ------------------------------------------------------------
def imported_modules(path: pathlib.Path) -> set[str]:
    """Every module a file imports, relative imports written as in the file (``.memory``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names.add(base)
            names.update(f"{base}.{alias.name}" if node.module else f"{base}{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("engine_file", ["function.py", "backprop.py"])
def test_the_engine_imports_neither_the_profiler_nor_gradcheck(engine_file):
    imports = imported_modules(PACKAGE / engine_file)
    tools = {name for name in imports if name.split(".")[-1] in ("memory", "gradcheck")}
    assert not tools, f"{engine_file} imports {sorted(tools)}"


def test_the_engine_modules_load_without_the_tools():
    """Loading the engine (tensor, ops, function, backprop) must not load memory or gradcheck, not even indirectly."""
    import subprocess
    import sys

    code = (
        "import importlib; importlib.import_module('minitorch.tensor'); importlib.import_module('minitorch.backprop'); "
        "print(sorted(m for m in sys.modules if m in ('minitorch.memory', 'minitorch.gradcheck')))"
    )
    # The package __init__ imports everything; load the engine modules through a bare package instead.
    bare = (
        "import sys, types, importlib.util, pathlib; root = pathlib.Path(%r); "
        "pkg = types.ModuleType('minitorch'); pkg.__path__ = [str(root)]; sys.modules['minitorch'] = pkg; "
        % str(PACKAGE)
    )
    result = subprocess.run([sys.executable, "-c", bare + code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


# --- observers ----------------------------------------------------------------------------
class EventLog(hooks.Observer):
    def __init__(self):
        self.events = []

    def call(self, function, inputs):
        self.events.append(("call", function.__name__))

    def record(self, node):
        self.events.append(("record", node.name()))

    def release(self, node):
        self.events.append(("release", node.name()))

    def phase(self, name, entering):
        self.events.append(("phase", name, entering))


def test_an_observer_sees_calls_records_releases_and_the_backward_phase():
    x = minitorch.tensor([0.5, 1.5], requires_grad=True)
    with hooks.observing(EventLog()) as log:
        y = x.sin()
        y.sum().backward()
    events = log.events
    assert events[:2] == [("call", "Sin"), ("record", "SinBackward")]
    start, end = events.index(("phase", "backward", True)), events.index(("phase", "backward", False))
    assert ("release", "SinBackward") in events[start:end]
    assert ("release", "SumBackward") in events[start:end]
    assert hooks.observers() == []  # the block removed it
    x.grad = None
    (x * 2.0).sum().backward()
    assert len(log.events) == len(events)  # no longer active: it hears nothing more


def test_the_memory_profiler_and_the_kink_watch_are_observers():
    from minitorch.gradcheck import KinkWatch

    assert issubclass(minitorch.MemoryReport, hooks.Observer)
    assert issubclass(KinkWatch, hooks.Observer)
    with hooks.observing(KinkWatch()) as watch:
        minitorch.relu(minitorch.tensor([-0.25, 2.0]))
        minitorch.tensor([1.0]).exp()  # no kink: not watched
    assert watch.distances == [("Relu", 0.25)]


def _in_another_thread(block):
    """Run ``block(entered, resume)`` in a thread: the caller acts between ``entered`` and ``resume``."""
    entered, resume, errors = threading.Event(), threading.Event(), []

    def target():
        try:
            block(entered, resume)
        except BaseException as error:  # reported in the calling thread
            errors.append(error)
            entered.set()

    thread = threading.Thread(target=target)
    thread.start()
    assert entered.wait(10)
    return thread, resume, errors


def test_an_observer_hears_only_its_own_thread():
    def profile(entered, resume):
        with hooks.observing(EventLog()) as log:
            entered.set()
            assert resume.wait(10)
        profile.events = log.events

    thread, resume, errors = _in_another_thread(profile)
    x = minitorch.tensor([0.5, 1.5], requires_grad=True)
    x.sin().sum().backward()  # while the other thread's observer is active
    assert hooks.observers() == []
    resume.set()
    thread.join()
    assert not errors and profile.events == []


def test_grad_mode_is_per_thread():
    def without_grad(entered, resume):
        with minitorch.no_grad():
            entered.set()
            assert resume.wait(10)
            without_grad.still_off = not minitorch.is_grad_enabled()

    thread, resume, errors = _in_another_thread(without_grad)
    x = minitorch.tensor([0.5, 1.5], requires_grad=True)
    assert minitorch.is_grad_enabled() and x.sin().grad_fn is not None
    with minitorch.no_grad():  # and this one does not switch the other thread's back on when it ends
        pass
    resume.set()
    thread.join()
    assert not errors and without_grad.still_off


def test_the_engine_state_has_no_tool_fields():
    assert not hasattr(type(minitorch.grad_mode.state), "kink_watch")
    assert "as_arrays" not in minitorch.Context.__slots__


# --- tensors in, tensors out ----------------------------------------------------------------
PUBLIC_ON_ARRAYS = {
    "exp": lambda a: minitorch.exp(a),
    "log": lambda a: minitorch.log(a),
    "sin": lambda a: minitorch.sin(a),
    "cos": lambda a: minitorch.cos(a),
    "tanh": lambda a: minitorch.tanh(a),
    "sigmoid": lambda a: minitorch.sigmoid(a),
    "sqrt": lambda a: minitorch.sqrt(a),
    "relu": lambda a: minitorch.relu(a),
    "abs": lambda a: minitorch.abs(a),
    "sum": lambda a: minitorch.sum(a, axis=0),
    "max": lambda a: minitorch.max(a),
    "reshape": lambda a: minitorch.reshape(a, (6,)),
    "transpose": lambda a: minitorch.transpose(a),
    "broadcast_to": lambda a: minitorch.broadcast_to(a, (4, 2, 3)),
    "where": lambda a: minitorch.where(a > 1.0, a, 0.0),
    "ops.neg": lambda a: minitorch.ops.neg(a),
    "ops.getitem": lambda a: minitorch.ops.getitem(a, (0, slice(1, 3))),
    "ops.astype": lambda a: minitorch.ops.astype(a, np.float32),
    "ops.sum_to_shape": lambda a: minitorch.ops.sum_to_shape(a, (1, 3)),
}


@pytest.mark.parametrize("name", sorted(PUBLIC_ON_ARRAYS))
def test_public_operations_given_arrays_return_tensors(name):
    a = RNG.uniform(0.5, 2.0, (2, 3))
    result = PUBLIC_ON_ARRAYS[name](a)
    assert isinstance(result, minitorch.Tensor), f"{name} returned {type(result).__name__}"
    assert not result.requires_grad


def test_exp_of_a_numpy_array_is_a_tensor():
    result = minitorch.exp(np.ones(2))
    assert isinstance(result, minitorch.Tensor)
    np.testing.assert_allclose(result.numpy(), np.e * np.ones(2))


def test_public_operations_name_themselves_when_given_something_else():
    with pytest.raises(TypeError, match="exp: expected a Tensor"):
        minitorch.exp("two")
    with pytest.raises(TypeError, match="reshape: expected a Tensor"):
        minitorch.reshape({"a": 1}, (1,))


def test_saved_tensors_are_tensors_even_while_backward_runs_unrecorded():
    """The fast path converts in the engine: a node's saved_tensors never turns into arrays."""
    seen = []

    class Peek(minitorch.Function):
        @staticmethod
        def forward(ctx, x):
            return x.data.copy()

        @staticmethod
        def backward(ctx, g):
            seen.append([type(t) for t in node.saved_tensors])  # a built-in node, mid-backward
            return g

    x = minitorch.tensor([0.5, 2.0], requires_grad=True)
    y = x.exp()
    node = y.grad_fn
    Peek.apply(y).sum().backward()
    assert seen == [[minitorch.Tensor]]
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, 2.0]))


# --- broadcasting is an operation --------------------------------------------------------------
def test_a_broadcast_operand_that_needs_a_gradient_gets_an_explicit_broadcast_node():
    x = minitorch.tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    bias = minitorch.tensor(RNG.standard_normal(3), requires_grad=True)
    y = x * bias
    assert [p.name() if isinstance(p, minitorch.Context) else "leaf" for p in y.grad_fn.parents] == [
        "leaf",
        "BroadcastToBackward",
    ]
    y.sum().backward()
    np.testing.assert_allclose(bias.grad.numpy(), x.detach().numpy().sum(axis=0))
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(bias.detach().numpy(), (4, 3)))


def test_numbers_and_constants_broadcast_without_a_node():
    x = minitorch.tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    assert (x * 2.0).grad_fn.parents == (x,)
    assert (x + minitorch.tensor(np.ones(3))).grad_fn.parents == (x,)


def test_broadcasting_keeps_first_and_second_derivatives():
    x = RNG.uniform(0.5, 2.0, (3, 2))
    b = RNG.uniform(0.5, 2.0, (2,))

    def f(x, b):
        return ((x * b) / (x + b) - minitorch.maximum(x, b) ** b).sum()

    minitorch.gradcheck(f, [minitorch.tensor(x, requires_grad=True), minitorch.tensor(b, requires_grad=True)])
    second = minitorch.grad(lambda b: minitorch.grad(f, argnums=1)(minitorch.tensor(x), b).sum())(minitorch.tensor(b))
    expected = numerical.jacobian(
        lambda b: minitorch.grad(f, argnums=1)(minitorch.tensor(x), b).sum(), [minitorch.tensor(b)]
    )
    np.testing.assert_allclose(second.numpy(), expected.numpy(), rtol=1e-5, atol=1e-7)


# --- one finite-difference oracle ---------------------------------------------------------------
def test_numerical_jvp_vjp_and_jacobian_match_closed_forms():
    x = RNG.standard_normal(3)
    w = RNG.standard_normal((2, 3))

    def f(x):
        return minitorch.tensor(w) @ x.sin()

    jacobian = w * np.cos(x)  # d(W sin x)/dx = W diag(cos x)
    v, u = RNG.standard_normal(3), RNG.standard_normal(2)
    t = minitorch.tensor(x)
    np.testing.assert_allclose(numerical.jacobian(f, [t]).numpy(), jacobian, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(numerical.jvp(f, [t], [minitorch.tensor(v)]).numpy(), jacobian @ v, rtol=1e-7, atol=1e-9)
    (vjp,) = numerical.vjp(f, [t], minitorch.tensor(u))
    np.testing.assert_allclose(vjp.numpy(), u @ jacobian, rtol=1e-7, atol=1e-9)


def test_numerical_differences_leave_non_tensor_arguments_alone():
    def f(x, power, scale):
        return (x**power) * scale

    x = minitorch.tensor([1.5, 2.0])
    grads = numerical.vjp(f, [x, 3, 2.0], minitorch.tensor([1.0, 1.0]))
    assert grads[1] is None and grads[2] is None
    np.testing.assert_allclose(grads[0].numpy(), 2.0 * 3 * np.array([1.5, 2.0]) ** 2, rtol=1e-7)


def test_numerical_checks_its_arguments():
    x = minitorch.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="numerical.jvp: a tangent of shape"):
        numerical.jvp(lambda t: t, [x], [minitorch.tensor([1.0])])
    with pytest.raises(ValueError, match="1 primal"):
        numerical.jvp(lambda t: t, [x], [])
    with pytest.raises(TypeError, match="must return a Tensor"):
        numerical.jvp(lambda t: 3.0, [x], [x])


def test_gradcheck_uses_the_numerical_module():
    calls = []
    original = numerical.jacobian

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    numerical.jacobian = counting
    try:
        x = minitorch.tensor(RNG.standard_normal(3), requires_grad=True)
        assert minitorch.gradcheck(lambda t: t.tanh() * t, [x])
    finally:
        numerical.jacobian = original
    assert calls == [1]  # one Jacobian per input that requires grad


# --- nesting: one mechanism, levels ----------------------------------------------------------
def test_every_transformation_opens_a_level_of_its_kind():
    seen = []

    def f(x):
        seen.append(minitorch.grad_mode.state.levels)
        return (x * x).sum()

    x = minitorch.tensor([1.0, 2.0])
    minitorch.jvp(minitorch.grad(f), [x], [minitorch.tensor([1.0, 0.0])])
    (levels,) = seen
    assert [kind for kind, _ in levels] == ["forward", "reverse"]
    assert levels[0][1] < levels[1][1]  # numbered in the order they opened
    assert minitorch.grad_mode.state.levels == () and minitorch.grad_mode.state.forward_levels == ()


def test_levels_replace_the_older_nesting_switches():
    import inspect

    assert not hasattr(type(minitorch.grad_mode.state), "reverse_depth")
    assert not hasattr(minitorch.grad_mode, "inside_reverse_transform")
    assert "_independent_inputs" not in inspect.signature(minitorch.autograd_grad).parameters
    with pytest.raises(ValueError, match="kind must be"):
        with minitorch.grad_mode.level("sideways"):
            pass


def test_a_grad_inside_another_reverse_level_records_its_backward_pass():
    """The inner gradient closes over y; the outer grad differentiates it through y (d/dy of 2y*x at x=3)."""

    def outer(y):
        inner = minitorch.grad(lambda x: (x * x * y).sum())
        return inner(minitorch.tensor([3.0])).sum()

    np.testing.assert_allclose(minitorch.grad(outer)(minitorch.tensor(5.0)).numpy(), 6.0)
