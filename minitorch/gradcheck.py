"""Gradient checking: compare reverse mode with central differences, element by element."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from . import backend, grad_mode, numerical
from .backprop import grad as autograd_grad
from .hooks import Observer, observing
from .tensor import Tensor


class GradcheckError(AssertionError):
    """Analytic and numerical derivatives disagree."""


class GradcheckWarning(UserWarning):
    """The check was inconclusive: an input lies at or near a kink."""


class KinkWatch(Observer):
    """Notes, for every call of a primitive that has kinks, how close its inputs came to one."""

    def __init__(self) -> None:
        self.distances: list[tuple[str, float]] = []

    def call(self, function: type, inputs: tuple) -> None:
        if function.kink_distance is not None:
            self.distances.append((function.__name__, float(function.kink_distance(*inputs))))


def _closest_kink(fn: Callable[..., Tensor], inputs: list) -> tuple[str, float] | None:
    """Run ``fn`` once and return the primitive that came closest to one of its kinks."""
    with observing(KinkWatch()) as watch, grad_mode.no_grad():
        fn(*inputs)
    return min(watch.distances, key=lambda item: item[1]) if watch.distances else None


def gradcheck(
    fn: Callable[..., Tensor], inputs: Sequence[Any], eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3
) -> bool:
    r"""Check every VJP of ``fn`` against central differences; True or :class:`GradcheckError`.

    For each input that requires grad and each output element :math:`i`, the
    reverse-mode row :math:`\partial y_i / \partial x` is compared with
    :math:`(f(x + \epsilon e_j) - f(x - \epsilon e_j)) / 2\epsilon`; they must agree
    to ``atol + rtol * |numeric|``. Use float64 inputs: in float32 the
    round-off error of the difference quotient swamps a small ``eps``.
    The error names the input, the element, and both values.

    Near a kink (ReLU or ``abs`` at 0, a tie in ``max``) finite differences
    straddle two pieces of the function and disagree with *any* subgradient.
    So when the check fails and some primitive's input lay within
    ``10 * eps`` of its kink, gradcheck warns (:class:`GradcheckWarning`)
    and returns False instead of raising.
    """
    inputs = list(inputs)
    targets = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not targets:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    for i in targets:
        if inputs[i].dtype.kind != "f" or inputs[i].dtype.itemsize < 8:
            raise ValueError(f"gradcheck: input {i} has dtype {inputs[i].dtype}; use float64 for a meaningful check")
    out = fn(*inputs)
    xp = backend.namespace_of(out.data)
    flat_out = out.data.size

    # The analytic Jacobian a row at a time (one VJP per output element) ...
    rows = []
    for k in range(flat_out):
        seed = xp.zeros(flat_out, dtype=out.dtype)
        seed[k] = 1
        analytic = autograd_grad(
            out,
            [inputs[i] for i in targets],
            Tensor._wrap(seed.reshape(out.shape)),
            retain_graph=True,
            allow_unused=True,
        )
        rows.append([xp.zeros(inputs[i].shape) if row is None else row.data for i, row in zip(targets, analytic)])
    # ... and the numeric one a column at a time: two evaluations of fn per input
    # element, not two per (input element, output element) pair.
    worst = (0.0, None)
    for n, i in enumerate(targets):
        numeric_jacobian = numerical.jacobian(fn, inputs, i, eps).data.reshape(flat_out, -1)
        for j in range(inputs[i].data.size):
            for k in range(flat_out):
                numeric = float(numeric_jacobian[k, j])
                value = float(rows[k][n].reshape(-1)[j])
                excess = abs(value - numeric) - (atol + rtol * abs(numeric))
                if excess > worst[0]:
                    worst = (excess, (i, j, k, value, numeric))
    if worst[1] is not None:
        i, j, k, value, numeric = worst[1]
        index = tuple(int(n) for n in backend.numpy.unravel_index(j, inputs[i].shape))
        message = (
            f"gradcheck: d output[{k}] / d input {i}{list(index)}: analytic {value:.8g} vs numeric "
            f"{numeric:.8g} (difference {abs(value - numeric):.3g}, allowed {atol + rtol * abs(numeric):.3g})"
        )
        kink = _closest_kink(fn, inputs)
        if kink is not None and kink[1] <= 10 * eps:
            warnings.warn(
                f"{message}; inconclusive: an input of {kink[0]} lies {kink[1]:.3g} from its kink, "
                "where finite differences are not a valid reference",
                GradcheckWarning,
                stacklevel=2,
            )
            return False
        raise GradcheckError(message)
    return True
