"""Comparing arrays (the tensor exercises): the shape first, then every entry, with tolerances relative to the
size of the terms involved, and central-difference estimates of vector-Jacobian products."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .memo import ANSWERS
from .notebooks import REFERENCE_LOCK
from .numeric import RTOL

EPS = float(np.finfo(np.float64).eps)


def as_array(x: object) -> np.ndarray | None:
    """``x`` as a NumPy array of numbers (a minitorch tensor gives its data), or None if it is not one."""
    if type(x).__name__ in ("Tensor", "Parameter") and hasattr(x, "data"):
        x = x.data
    try:
        a = np.asarray(x)
    except Exception:
        return None
    return a if a.dtype.kind in "biuf" else None


def returned(x: object) -> object:
    """What a probe sent back for a student's result, ready for :func:`show_array` and :func:`compare`: an array
    or None as it is; ``{"kind": type name, "repr": text}`` (anything else) as a stand-in object of that type
    name whose repr is the text (so messages read as if the object itself were here)."""
    if isinstance(x, dict) and set(x) == {"kind", "repr"}:
        return type(str(x["kind"]), (), {"__repr__": lambda self: str(x["repr"])})()
    return x


def show_array(x: object, digits: int = 10) -> str:
    """An array with its shape, compact enough for a failure message."""
    a = as_array(x)
    if a is None:
        text = repr(x)
        return f"{type(x).__name__}: {text if len(text) <= 200 else text[:197] + '...'}"
    if a.ndim == 0:
        return f"{a.item()!r}"
    body = np.array2string(a, precision=digits, separator=", ", threshold=24, edgeitems=2, max_line_width=100)
    return f"shape {a.shape}: {body}"


def show_input(name: str, x: object) -> str:
    """``name = values`` for small arrays, ``name: shape ..., entries in [lo, hi]`` for larger ones."""
    a = np.asarray(x)
    if a.size <= 12:
        return f"{name} = {show_array(a, digits=6)}"
    return f"{name}: shape {a.shape}, entries in [{a.min():.6g}, {a.max():.6g}]"


def compare(actual: object, expected: object, scale: object = 0.0, rtol: float = RTOL, atol: float = 0.0) -> str | None:
    """None if ``actual`` has ``expected``'s shape and every entry lies within ``rtol * (|expected| + scale) +
    atol`` of it (nan where expected is nan, the same infinity where it is infinite); else what is wrong.
    ``atol``: the spacing of the numbers near zero in the result's precision (float32's subnormals are 1.4e-45
    apart: there a correctly rounded value is off by percents)."""
    e = np.asarray(expected, dtype=np.float64)
    a = as_array(actual)
    if a is None:
        return f"expected an array of numbers, got {type(actual).__name__}"
    if a.shape != e.shape:
        return f"shape {a.shape}, but it must be {e.shape}"
    a = a.astype(np.float64)
    s = np.broadcast_to(np.abs(np.asarray(scale, dtype=np.float64)), e.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        ok = np.abs(a - e) <= rtol * (np.abs(e) + s) + max(atol, 1e-300)
        ok |= np.isnan(e) & np.isnan(a)
        ok |= np.isinf(e) & (a == e)
    if ok.all():
        return None
    bad = ~ok
    index = tuple(int(i) for i in np.argwhere(bad)[0]) if e.ndim else ()
    where = f" at index {index}" if e.ndim else ""
    text = (
        f"{int(bad.sum())} of {e.size} entries differ; the first{where}: expected {float(e[index])!r}, "
        f"got {float(a[index])!r}"
    )
    if not np.isfinite(a).all() and np.isfinite(e).all():
        text += " (the result contains nan or inf: an overflow?)"
    return text


def numeric_vjp(
    f: Callable[..., Any],
    inputs: Sequence[np.ndarray],
    g: np.ndarray,
    wrt: Sequence[int] | None = None,
    *,
    same_f_as: Any = None,
) -> tuple[list[np.ndarray], float]:
    """Central differences of ``sum(g * f(*inputs))`` (``f``: NumPy arrays in, an array out) with respect to the
    inputs ``wrt`` (all by default), by the framework's rule, :func:`minitorch.numerical.vjp`, with the step
    ``1e-6 * max(1, max |x_i|)`` for input i; also the round-off level of the estimates.

    The checks call it while making their cases, never while one runs: minitorch.numerical is forbidden to the
    students of the derivative exercises, and a notebook's tripwire watches whatever runs inside a check. It
    holds the reference's lock, as every run of the grader's own minitorch code does.

    ``same_f_as``: plain data that determines ``f`` (every check that passes the same one means the same
    function); the estimates are then kept for the next submission (:mod:`grading.memo`)."""
    inputs = [np.array(x, dtype=np.float64) for x in inputs]
    g = np.asarray(g, dtype=np.float64)
    wrt = list(range(len(inputs)) if wrt is None else wrt)
    if same_f_as is None:
        return _numeric_vjp(f, inputs, g, wrt)
    key = ANSWERS.key("numeric_vjp", same_f_as, inputs, g, wrt)
    estimates, level = ANSWERS.get(key, lambda: _numeric_vjp(f, inputs, g, wrt))
    return estimates, level


def _numeric_vjp(
    f: Callable[..., Any], inputs: list[np.ndarray], g: np.ndarray, wrt: list[int]
) -> tuple[list[np.ndarray], float]:
    from minitorch import Tensor, numerical, tensor

    level = float(np.sum(np.abs(g * np.asarray(f(*inputs), dtype=np.float64))))

    def on_tensors(*args: Any) -> Tensor:
        return tensor(np.asarray(f(*[a.data if isinstance(a, Tensor) else a for a in args]), dtype=np.float64))

    estimates = []
    with REFERENCE_LOCK:
        for i in wrt:
            # Only input i is a tensor: numerical.vjp keeps the others fixed.
            primals = [tensor(x) if j == i else x for j, x in enumerate(inputs)]
            step = 1e-6 * max(1.0, float(np.abs(inputs[i]).max(initial=0.0)))
            estimate = numerical.vjp(on_tensors, primals, g, epsilon=step)[i]
            estimates.append(np.asarray(estimate.data, dtype=np.float64).reshape(inputs[i].shape))
    return estimates, level


def fd_problem(
    estimate: np.ndarray, exact: object, scale: object = 0.0, level: float = 0.0, rtol: float = 1e-5
) -> str | None:
    """Loose agreement of a central-difference estimate with an exact VJP: None, or the first disagreement.
    ``level`` is the size of the function whose differences were taken (its round-off is ~eps * level / h)."""
    e = np.asarray(exact, dtype=np.float64)
    if e.shape != estimate.shape:
        return f"shape {e.shape} but the estimate has shape {estimate.shape}"
    s = np.broadcast_to(np.abs(np.asarray(scale, dtype=np.float64)), e.shape)
    bound = rtol * (np.abs(e) + s) + 100 * EPS * level / 1e-6 + 1e-12
    bad = ~(np.abs(estimate - e) <= bound)
    if not bad.any():
        return None
    index = tuple(int(i) for i in np.argwhere(bad)[0]) if e.ndim else ()
    return f"at index {index}: exact {float(e[index])!r}, central difference {float(estimate[index])!r}"


__all__ = ["as_array", "compare", "fd_problem", "numeric_vjp", "returned", "show_array", "show_input"]
