r"""Numerical differentiation, the oracle every derivative rule is checked against.

Everything here is one formula, the central difference along a direction
:math:`v`:

.. math:: \partial_v f(x) \approx \frac{f(x + \varepsilon v) - f(x - \varepsilon v)}{2\varepsilon}.

Its truncation error is :math:`O(\varepsilon^2)` and its round-off error
:math:`O(u/\varepsilon)` for machine precision :math:`u`, so
:math:`\varepsilon \approx u^{1/3} \approx 10^{-5}`–:math:`10^{-6}` balances them
in float64 (in float32 no step is small enough and large enough at once).
:func:`central_difference` applies it to a function of numbers; :func:`jvp`,
:func:`vjp` and :func:`jacobian` to functions of tensors, with the signatures
of :func:`minitorch.jvp`, :func:`minitorch.vjp` and :func:`minitorch.jacobian`,
which they check. :func:`minitorch.gradcheck` and the tests use them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import backend, grad_mode
from .tensor import Tensor


def _difference_quotient(f: Callable[..., Any], up: Sequence[Any], down: Sequence[Any], epsilon: float) -> Any:
    return (f(*up) - f(*down)) / (2.0 * epsilon)


def central_difference(f: Callable[..., float], *args: float, arg: int = 0, epsilon: float = 1e-6) -> float:
    r"""Estimate :math:`\partial f / \partial x_{\text{arg}}` by a central difference.

    .. math:: \frac{f(\dots, x + \varepsilon, \dots) - f(\dots, x - \varepsilon, \dots)}{2\varepsilon}

    The truncation error is :math:`O(\varepsilon^2)` and the round-off error
    :math:`O(u/\varepsilon)` for machine precision :math:`u`, so
    :math:`\varepsilon \approx u^{1/3} \approx 10^{-5}`–:math:`10^{-6}` balances
    them in float64.
    """
    if not 0 <= arg < len(args):
        raise IndexError(f"central_difference: arg={arg} but f was given {len(args)} argument(s)")
    if epsilon <= 0:
        raise ValueError(f"central_difference: epsilon must be positive, got {epsilon}")
    up = list(args)
    down = list(args)
    up[arg] = args[arg] + epsilon
    down[arg] = args[arg] - epsilon
    return _difference_quotient(lambda *x: float(f(*x)), up, down, epsilon)


def jvp(
    f: Callable[..., Tensor], primals: Sequence[Any], tangents: Sequence[Tensor | None], epsilon: float = 1e-6
) -> Tensor:
    r"""The directional derivative :math:`J_f(x)\,v` by one central difference.

    ``primals`` are ``f``'s arguments; ``tangents`` gives a direction for each
    (``None``, or any entry for an argument that is not a tensor, keeps it
    fixed). ``f`` runs twice, without recording, in the primals' dtype (give
    float64 primals for a meaningful estimate); the quotient is float64.
    """
    if len(primals) != len(tangents):
        raise ValueError(f"numerical.jvp: got {len(primals)} primal(s) but {len(tangents)} tangent(s)")
    up, down = [], []
    for x, v in zip(primals, tangents):
        if not isinstance(x, Tensor) or v is None:
            up.append(x)
            down.append(x)
            continue
        v = v.data if isinstance(v, Tensor) else v
        if v.shape != x.shape:
            raise ValueError(f"numerical.jvp: a tangent of shape {v.shape} was given for a primal of shape {x.shape}")
        up.append(Tensor._wrap(x.data + epsilon * v))
        down.append(Tensor._wrap(x.data - epsilon * v))

    def value(*args: Any) -> Any:
        out = f(*args)
        if not isinstance(out, Tensor):
            raise TypeError(f"numerical: f must return a Tensor, got {type(out).__name__}")
        return out.data.astype(backend.namespace_of(out.data).float64)

    with grad_mode.no_grad():
        return Tensor._wrap(_difference_quotient(value, up, down, epsilon))


def _basis(x: Tensor, j: int) -> Any:
    """The j-th unit vector in the space of ``x`` (same shape, device and dtype)."""
    e = backend.namespace_of(x.data).zeros(x.data.size, dtype=x.dtype)
    e[j] = 1
    return e.reshape(x.shape)


def jacobian(f: Callable[..., Tensor], primals: Sequence[Any], argnum: int = 0, epsilon: float = 1e-6) -> Tensor:
    """The Jacobian of ``f`` with respect to argument ``argnum``, shaped ``out.shape + x.shape``.

    One :func:`jvp` per element of that argument: a column at a time.
    """
    primals = list(primals)
    x = primals[argnum]
    xp = backend.namespace_of(x.data)
    if x.data.size == 0:
        with grad_mode.no_grad():
            return Tensor._wrap(xp.zeros(f(*primals).shape + x.shape))
    tangents: list[Any] = [None] * len(primals)
    columns = []
    for j in range(x.data.size):
        tangents[argnum] = _basis(x, j)
        columns.append(jvp(f, primals, tangents, epsilon).data)
    return Tensor._wrap(xp.stack(columns, axis=-1).reshape(columns[0].shape + x.shape))


def vjp(f: Callable[..., Tensor], primals: Sequence[Any], cotangent: Any, epsilon: float = 1e-6) -> tuple:
    r"""The gradient of :math:`\phi(x) = \sum \bar y \odot f(x)` with respect to every tensor argument.

    Element by element (one :func:`jvp` per input element); ``None`` for
    arguments that are not tensors.
    """
    primals = list(primals)
    cotangent = cotangent.data if isinstance(cotangent, Tensor) else cotangent
    grads = []
    for i, x in enumerate(primals):
        if not isinstance(x, Tensor):
            grads.append(None)
            continue
        xp = backend.namespace_of(x.data)
        g = xp.zeros(x.data.size, dtype=xp.float64)
        tangents: list[Any] = [None] * len(primals)
        for j in range(x.data.size):
            tangents[i] = _basis(x, j)
            g[j] = (cotangent * jvp(f, primals, tangents, epsilon).data).sum()
        grads.append(Tensor._wrap(g.reshape(x.shape)))
    return tuple(grads)
