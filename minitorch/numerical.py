"""Numerical differentiation, the oracle every derivative rule is checked against."""

from __future__ import annotations

from typing import Callable


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
    return (float(f(*up)) - float(f(*down))) / (2.0 * epsilon)
