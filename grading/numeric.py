"""Comparing floats with tolerances that every correct implementation meets, and showing them."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

#: Relative tolerance against the reference. Correct implementations differ from the
#: reference only by rounding (another formula, another summation order): ~1e-15 of
#: the magnitude of the terms involved, far below this.
RTOL = 1e-9


def is_real(x: object) -> bool:
    # A float first: the checks of a 100,000-node graph ask 100,000 times, and the ABC check is slow.
    return type(x) is float or (isinstance(x, numbers.Real) and not isinstance(x, bool))


def close(actual: object, expected: float, scale: float = 0.0) -> bool:
    """``actual`` is a real number within ``RTOL * (|expected| + scale)`` of ``expected``.

    ``scale`` is the magnitude of the terms that were added to get ``expected``
    (for example ``|a'b| + |ab'|`` for the product rule): when they nearly cancel,
    rounding errors are relative to them, not to the small result.
    """
    if not is_real(actual):
        return False
    a, e = float(actual), float(expected)  # type: ignore[arg-type]
    if math.isnan(e):
        return math.isnan(a)
    if math.isinf(e):
        return a == e
    return abs(a - e) <= RTOL * (abs(e) + abs(scale)) + 1e-300


def show(x: object) -> str:
    """A float with 12 significant digits (enough to see any difference that fails a check)."""
    if is_real(x):
        value = float(x)  # type: ignore[arg-type]
        if value == int(value) and abs(value) < 1e15:
            return f"{value:.1f}"
        return f"{value:.12g}"
    text = repr(x)
    return text if len(text) <= 200 else text[:197] + "..."


def central(g: Callable[[float], float], x: float, h: float) -> float:
    """Central difference of g at x with step h.

    The same quotient as :func:`minitorch.numerical.central_difference`, kept here because exercises 1 and 3
    forbid minitorch.numerical to the student and estimate inside a check, where the notebook's tripwire would
    hold the grader's call against the student (the tensor exercises use minitorch.numerical, outside the
    checks' runs: :func:`grading.arrays.numeric_vjp`)."""
    return (g(x + h) - g(x - h)) / (2.0 * h)


def fd_agrees(estimate: float, exact: float, scale: float = 0.0, rtol: float = 1e-5) -> bool:
    """Loose agreement between a finite-difference estimate and an exact derivative."""
    return abs(estimate - exact) <= rtol * (abs(exact) + abs(scale) + 1e-3)
