"""Shared oracles for the tensor-engine tests.

The correctness oracle for every derivative rule is the central difference in
float64, never the implementation itself. :class:`DerivativeOracle` (the
``oracle`` fixture) checks a function of several tensors in every way at once:

* **values** against a NumPy reference;
* **reverse mode**: the VJP ``ū ↦ ūᵀJ`` from :func:`minitorch.vjp`, and the
  same product from ``.backward(gradient=ū)``, against central differences of
  the scalar :math:`\\phi(x) = \\sum ū \\odot f(x)`, element by element;
* **forward mode**: the JVP :math:`J v` from :func:`minitorch.jvp` against
  :math:`(f(x + hv) - f(x - hv)) / 2h` along a random tangent;
* **consistency**: :math:`ū \\cdot (J v) = (ūᵀ J) \\cdot v`, which ties the two
  modes together far more tightly than finite differences can;
* **second order**: the backward rules recorded with ``create_graph=True``
  give the same VJP and are themselves differentiable (reverse-over-reverse
  and forward-over-reverse against central differences).

:meth:`DerivativeOracle.check_reverse_over_forward` differentiates the
tangent rules in reverse mode.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import emulated_gpu
import numpy as np
import pytest

import minitorch
from minitorch import numerical

# A central difference with step h has truncation error O(h²·f''') and
# round-off error O(u·|f|/h) with u ≈ 1e-16: h = 1e-6 keeps both near 1e-10,
# far below the tolerances, while a wrong rule is off by O(1).
STEP = 1e-6
RTOL = 1e-5
ATOL = 1e-6


def numeric_jvp(
    f: Callable[..., minitorch.Tensor],
    arrays: Sequence[np.ndarray],
    tangents: Sequence[np.ndarray],
    step: float = STEP,
    device: str = "cpu",
) -> np.ndarray:
    """:math:`(f(x + hv) - f(x - hv)) / 2h` (:func:`minitorch.numerical.jvp`), evaluated on ``device``."""
    return numerical.jvp(f, on_device(arrays, device), on_device(tangents, device), step).numpy()


def numeric_vjp(
    f: Callable[..., minitorch.Tensor],
    arrays: Sequence[np.ndarray],
    cotangent: np.ndarray,
    step: float = STEP,
    device: str = "cpu",
) -> list[np.ndarray]:
    r"""The gradient of :math:`\phi(x) = \sum ū \odot f(x)` by central differences (:func:`minitorch.numerical.vjp`)."""
    grads = numerical.vjp(f, on_device(arrays, device), minitorch.tensor(cotangent, device=device), step)
    return [g.numpy() for g in grads]


def numeric_jacobian(
    f: Callable[[minitorch.Tensor], minitorch.Tensor], x: np.ndarray, device: str = "cpu"
) -> np.ndarray:
    """The Jacobian of ``f`` at ``x`` by central differences, shaped ``out.shape + x.shape``."""
    return numerical.jacobian(f, on_device([x], device), epsilon=STEP).numpy()


def on_device(arrays: Sequence[np.ndarray], device: str) -> list[minitorch.Tensor]:
    return [minitorch.tensor(a, device=device) for a in arrays]


class DerivativeOracle:
    """Checks values, VJPs, JVPs and their consistency for any function of several tensors.

    Everything runs on one ``device`` (``"cpu"`` or ``"cuda"``): the function, the derivatives and the central
    differences (in float64 there too); the results are compared on the host. A function under test makes
    its constants with :meth:`tensor` (or leaves them as NumPy arrays and numbers).
    """

    def __init__(self, device: str = "cpu"):
        self.device = device

    def tensor(self, array: Any, requires_grad: bool = False) -> minitorch.Tensor:
        """``array`` as a tensor on the device under test."""
        return minitorch.tensor(array, requires_grad=requires_grad, device=self.device)

    def numeric_jvp(
        self,
        f: Callable[..., minitorch.Tensor],
        arrays: Sequence[np.ndarray],
        tangents: Sequence[np.ndarray],
        step: float = STEP,
    ) -> np.ndarray:
        return numeric_jvp(f, arrays, tangents, step, self.device)

    def numeric_vjp(
        self,
        f: Callable[..., minitorch.Tensor],
        arrays: Sequence[np.ndarray],
        cotangent: np.ndarray,
        step: float = STEP,
    ) -> list[np.ndarray]:
        return numeric_vjp(f, arrays, cotangent, step, self.device)

    def numeric_jacobian(self, f: Callable[[minitorch.Tensor], minitorch.Tensor], x: np.ndarray) -> np.ndarray:
        return numeric_jacobian(f, x, self.device)

    def check(
        self,
        f: Callable[..., minitorch.Tensor],
        arrays: Sequence[Any],
        expected: Any = None,
        seed: int = 0,
        rtol: float = RTOL,
        atol: float = ATOL,
        second_order: bool = True,
    ) -> None:
        """Run every check on ``f`` at the float64 point ``arrays``.

        ``expected`` is a NumPy reference for the values (a function of the
        arrays). The cotangent and tangents are random with ``seed``.
        ``second_order`` adds :meth:`check_second_order`.
        """
        arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
        rng = np.random.default_rng(seed)

        # Values.
        with minitorch.no_grad():
            value = f(*[self.tensor(a) for a in arrays])
        assert isinstance(value, minitorch.Tensor)
        assert value.dtype == np.float64 and value.device == self.device
        if expected is not None:
            reference = np.asarray(expected(*arrays))
            assert value.shape == reference.shape, f"shape {value.shape}, NumPy gives {reference.shape}"
            np.testing.assert_allclose(value.numpy(), reference, rtol=1e-12, atol=1e-12)

        # Reverse mode, through the functional API ...
        cotangent = rng.standard_normal(value.shape)
        out, pullback = minitorch.vjp(f, *[self.tensor(a) for a in arrays])
        np.testing.assert_allclose(out.numpy(), value.numpy(), rtol=1e-12, atol=1e-12)
        grads = pullback(self.tensor(cotangent))
        assert len(grads) == len(arrays)
        assert all(g.device == self.device for g in grads), "a VJP left the device"
        grads = [g.detach().numpy() for g in grads]
        expected_grads = self.numeric_vjp(f, arrays, cotangent)
        for i, (g, a, n) in enumerate(zip(grads, arrays, expected_grads)):
            assert g.shape == a.shape, f"VJP {i}: shape {g.shape} for an input of shape {a.shape}"
            assert g.dtype == np.float64
            np.testing.assert_allclose(g, n, rtol=rtol, atol=atol, err_msg=f"VJP with respect to input {i}")

        # ... and through the object API: .backward(gradient=ū) must agree.
        leaves = [self.tensor(a, requires_grad=True) for a in arrays]
        result = f(*leaves)
        if result.requires_grad:
            result.backward(gradient=self.tensor(cotangent))
        for i, (leaf, g) in enumerate(zip(leaves, grads)):
            if leaf.grad is None:  # an input the output does not depend on
                np.testing.assert_array_equal(g, 0.0, err_msg=f"input {i} got no .grad but a non-zero VJP")
            else:
                assert leaf.grad.shape == leaf.shape
                assert leaf.grad.grad_fn is None and not leaf.grad.requires_grad
                np.testing.assert_allclose(
                    leaf.grad.numpy(), g, rtol=1e-12, atol=1e-12, err_msg=f".backward() and vjp disagree on input {i}"
                )

        # Forward mode along random tangents.
        tangents = [rng.standard_normal(a.shape) for a in arrays]
        primal_out, tangent_out = minitorch.jvp(f, [self.tensor(a) for a in arrays], [self.tensor(v) for v in tangents])
        assert tangent_out.device == self.device, "a JVP left the device"
        np.testing.assert_allclose(primal_out.detach().numpy(), value.numpy(), rtol=1e-12, atol=1e-12)
        assert tangent_out.shape == value.shape, f"JVP has shape {tangent_out.shape}, the output {value.shape}"
        assert tangent_out.dtype == np.float64
        np.testing.assert_allclose(
            tangent_out.detach().numpy(),
            self.numeric_jvp(f, arrays, tangents),
            rtol=rtol,
            atol=atol,
            err_msg="JVP against central differences",
        )

        # The two modes are the same linear map seen from either side.
        forward = float(np.sum(cotangent * tangent_out.detach().numpy()))
        reverse = float(sum(np.sum(g * v) for g, v in zip(grads, tangents)))
        scale = 1.0 + sum(np.abs(g).sum() * np.abs(v).max(initial=0.0) for g, v in zip(grads, tangents))
        assert abs(forward - reverse) <= 1e-10 * scale, f"u·(Jv) = {forward} but (uᵀJ)·v = {reverse}"

        if second_order:
            self.check_second_order(f, arrays, cotangent, grads, rng, rtol, atol)

    def check_second_order(
        self,
        f: Callable[..., minitorch.Tensor],
        arrays: list[np.ndarray],
        cotangent: np.ndarray,
        grads: list[np.ndarray],
        rng: np.random.Generator,
        rtol: float,
        atol: float,
    ) -> None:
        r"""The backward rules as recorded graphs (``create_graph=True``), which higher derivatives use.

        Without ``create_graph`` the engine may run the rules on plain arrays;
        recorded, they run on tensors. Both must give the same VJP, and the
        recorded one must itself be differentiable: for
        :math:`g(x) = \sum_i \langle \mathrm{VJP}_i(x), w_i\rangle` the directional
        derivative along :math:`v` by reverse-over-reverse (``grad``) and by
        forward-over-reverse (``jvp``) must match central differences of g.
        """
        leaves = [self.tensor(a, requires_grad=True) for a in arrays]
        result = f(*leaves)
        if result.requires_grad:
            recorded = minitorch.autograd_grad(
                result, leaves, self.tensor(cotangent), create_graph=True, allow_unused=True
            )
            for i, (r, g) in enumerate(zip(recorded, grads)):
                r = np.zeros_like(g) if r is None else r.detach().numpy()
                np.testing.assert_allclose(
                    r, g, rtol=1e-10, atol=1e-12, err_msg=f"recorded (create_graph) VJP differs for input {i}"
                )

        weights = [self.tensor(rng.standard_normal(a.shape)) for a in arrays]
        direction = [rng.standard_normal(a.shape) for a in arrays]
        u = self.tensor(cotangent)

        def g(*xs: minitorch.Tensor) -> minitorch.Tensor:
            pulled = minitorch.vjp(f, *xs)[1](u)
            return sum(((p * w).sum() for p, w in zip(pulled, weights)), start=self.tensor(0.0))

        numeric = float(self.numeric_jvp(g, arrays, direction, step=1e-5))
        gradient = minitorch.grad(g, argnums=tuple(range(len(arrays))))(*[self.tensor(a) for a in arrays])
        over_reverse = float(sum(np.sum(h.detach().numpy() * v) for h, v in zip(gradient, direction)))
        _, over_forward = minitorch.jvp(g, [self.tensor(a) for a in arrays], [self.tensor(v) for v in direction])
        bound = 1e-4 * (1.0 + abs(numeric))
        assert abs(over_reverse - numeric) <= bound, (
            f"reverse-over-reverse {over_reverse} vs central difference {numeric}"
        )
        assert abs(over_forward.item() - numeric) <= bound, (
            f"forward-over-reverse {over_forward.item()} vs central difference {numeric}"
        )

    def check_reverse_over_forward(
        self, f: Callable[..., minitorch.Tensor], arrays: Sequence[Any], seed: int = 0
    ) -> None:
        r"""Reverse mode through the tangent rules: for :math:`h(x) = \langle ū, J(x) v\rangle`,
        ``grad(h)`` must match central differences of h along a random direction."""
        arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
        rng = np.random.default_rng(seed)
        with minitorch.no_grad():
            shape = f(*[self.tensor(a) for a in arrays]).shape
        u = self.tensor(rng.standard_normal(shape))
        tangents = [self.tensor(rng.standard_normal(a.shape)) for a in arrays]
        direction = [rng.standard_normal(a.shape) for a in arrays]

        def h(*xs: minitorch.Tensor) -> minitorch.Tensor:
            return (minitorch.jvp(f, xs, tangents)[1] * u).sum()

        numeric = float(self.numeric_jvp(h, arrays, direction, step=1e-5))
        gradient = minitorch.grad(h, argnums=tuple(range(len(arrays))))(*[self.tensor(a) for a in arrays])
        over_forward = float(sum(np.sum(g.detach().numpy() * v) for g, v in zip(gradient, direction)))
        assert abs(over_forward - numeric) <= 1e-4 * (1.0 + abs(numeric)), (
            f"reverse-over-forward {over_forward} vs central difference {numeric}"
        )


#: The devices the oracle-based tests (and those asking for ``device``) run on. Without a GPU the real
#: "cuda" cases skip with the reason and the emulated GPU (:mod:`emulated_gpu`: CuPy's rules, NumPy's
#: numbers) runs them instead, so that an operation that leaves the device, or mixes host and device
#: arrays, fails on every machine.
EMULATED = "cuda-emulated"
DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=pytest.mark.skipif(not minitorch.cuda.is_available(), reason="no CUDA GPU (or CuPy) on this machine"),
    ),
]
if not minitorch.cuda.is_available():
    DEVICES.append(EMULATED)


def _device_name(param: str) -> str:
    return "cuda" if param == EMULATED else param


@pytest.fixture(scope="session", params=DEVICES)
def oracle(request: pytest.FixtureRequest) -> DerivativeOracle:
    """The finite-difference oracle on each device (session-scoped, so hypothesis tests may use it)."""
    return DerivativeOracle(_device_name(request.param))


@pytest.fixture(params=DEVICES)
def device(request: pytest.FixtureRequest) -> str:
    """Each device name in turn, for a test that puts its own tensors there."""
    return _device_name(request.param)


@pytest.fixture(params=[d for d in DEVICES if d != "cpu"])
def gpu(request: pytest.FixtureRequest) -> str:
    """Each GPU device in turn (the real one, or the emulated one where there is none)."""
    return _device_name(request.param)


@pytest.fixture(autouse=True)
def _emulated_gpu_installed(request: pytest.FixtureRequest) -> Iterator[None]:
    """``import cupy`` gives the emulated GPU for the whole of a test run on it, and only there."""
    params = getattr(getattr(request.node, "callspec", None), "params", {})
    if EMULATED in (params.get("oracle"), params.get("device"), params.get("gpu")):
        with emulated_gpu.installed():
            yield
    else:
        yield


@pytest.fixture(autouse=True)
def _no_leaked_tensor_state(request: pytest.FixtureRequest):
    """After each tensor test: grad mode is back on, no forward level is open, default subgradients.

    A transform or context manager that forgets to restore global state on
    the way out (even through an exception) fails the test that used it.
    """
    from minitorch import grad_mode, subgradients

    yield
    if not request.module.__name__.rpartition(".")[2].startswith("test_tensor_"):
        return
    assert grad_mode.state.grad_enabled, "a test left grad mode off"
    assert grad_mode.state.forward_levels == (), "a test left a forward-mode level open"
    assert subgradients.current() == subgradients.SubgradientPolicy(), "a test left a subgradient policy set"
