r"""Optimizers: turn each parameter's gradient into an update of the parameter.

An optimizer holds a list of leaf tensors :math:`\theta` (usually
``model.parameters()``); after ``loss.backward()`` has filled every
``θ.grad``, ``step()`` moves each :math:`\theta` downhill. The semantics are
PyTorch's (weight decay is the L2 term :math:`\lambda\theta` added to the
gradient, parameters whose ``.grad`` is None are skipped).

Updates overwrite ``θ.data`` in place: no graph is recorded, and every
tensor that shares the array (a module's attribute, the optimizer's list)
sees the new values. Each update bumps ``θ._version``, so a graph that saved
:math:`\theta` *before* the step refuses to backpropagate with the new
values (see :meth:`minitorch.Context.saved_tensors`). Gradients are only
read, never modified: the engine may hand one gradient array to several
tensors.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import backend
from .grad_mode import no_grad
from .tensor import Tensor


class Optimizer:
    """Base class: keeps the parameters and per-parameter ``state``; subclasses define ``step``."""

    def __init__(self, params: Iterable[Tensor]):
        expected = (
            f"{type(self).__name__}: params must be an iterable of Tensors, such as model.parameters() or [w, b]; got"
        )
        if isinstance(params, Tensor) or not hasattr(params, "__iter__"):
            # Iterating a tensor would give its rows: refuse it rather than optimize them.
            raise TypeError(f"{expected} {type(params).__name__}")
        self.params: list[Tensor] = []
        seen: set[int] = set()  # by identity: == on tensors is elementwise
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{expected} one holding {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(
                    f"{type(self).__name__}: can only optimize leaf tensors; a tensor of shape "
                    f"{p.shape} was computed by {p.grad_fn!r}"
                )
            if id(p) not in seen:
                seen.add(id(p))
                self.params.append(p)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        # Per-parameter buffers (momentum, moments), keyed by the tensor itself (hashed by identity).
        self.state: dict[Tensor, dict[str, Any]] = {}

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to None (backward adds into ``.grad``, so do this each step)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        raise NotImplementedError(f"{type(self).__name__} must define step()")


def _check(name: str, value: float, low: float = 0.0, high: float | None = None, closed: bool = True) -> None:
    ok = value >= low and (high is None or (value <= high if closed else value < high))
    if not ok:
        bounds = f">= {low}" if high is None else f"in [{low}, {high}{']' if closed else ')'}"
        raise ValueError(f"invalid {name}: {value} (must be {bounds})")


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional momentum and weight decay (PyTorch's rule).

    With :math:`g_t = \nabla_\theta L + \lambda\theta_{t-1}` (weight decay :math:`\lambda`):

    .. math::
        b_1 = g_1, \qquad b_t = \mu\, b_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\, b_t

    and without momentum (:math:`\mu = 0`) simply :math:`\theta_t = \theta_{t-1} - \eta\, g_t`.
    """

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        _check("learning rate", lr)
        _check("momentum", momentum)
        _check("weight_decay", weight_decay)
        super().__init__(params)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay

    @no_grad()
    def step(self) -> None:
        for p in self.params:
            if p.grad is None:
                continue
            g = p.grad.data
            if self.weight_decay:
                g = g + self.weight_decay * p.data  # a new array: p.grad itself is left alone
            if self.momentum:
                state = self.state.setdefault(p, {})
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = g.copy()  # b_1 = g_1 (copy: g may be p.grad's array)
                else:
                    buf *= self.momentum
                    buf += g
                g = buf
            p.data -= self.lr * g
            p._modified_in_place()


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015) with PyTorch's defaults and L2 weight decay.

    With :math:`g_t = \nabla_\theta L + \lambda\theta_{t-1}` and :math:`t` counting this
    parameter's steps:

    .. math::
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2, \\
        \hat m_t &= \frac{m_t}{1 - \beta_1^t}, \qquad \hat v_t = \frac{v_t}{1 - \beta_2^t}, \qquad
        \theta_t = \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.

    The bias corrections undo the pull of :math:`m_0 = v_0 = 0` toward zero in the first steps.
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        _check("learning rate", lr)
        _check("beta1", betas[0], 0.0, 1.0, closed=False)
        _check("beta2", betas[1], 0.0, 1.0, closed=False)
        _check("eps", eps)
        _check("weight_decay", weight_decay)
        super().__init__(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, tuple(betas), eps, weight_decay

    @no_grad()
    def step(self) -> None:
        beta1, beta2 = self.betas
        for p in self.params:
            if p.grad is None:
                continue
            g = p.grad.data
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            state = self.state.setdefault(p, {})
            if not state:
                xp = backend.namespace_of(p.data)
                state.update(step=0, exp_avg=xp.zeros_like(p.data), exp_avg_sq=xp.zeros_like(p.data))
            state["step"] += 1
            t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
            m *= beta1
            m += (1.0 - beta1) * g
            v *= beta2
            v += (1.0 - beta2) * (g * g)
            # theta -= lr * m_hat / (sqrt(v_hat) + eps), with the corrections folded into scalars.
            xp = backend.namespace_of(v)
            denominator = xp.sqrt(v / (1.0 - beta2**t))
            denominator += self.eps
            p.data -= (self.lr / (1.0 - beta1**t)) * m / denominator
            p._modified_in_place()
