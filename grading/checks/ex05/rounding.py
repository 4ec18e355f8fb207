"""Exercise 5, parts 4-5: straight-through rounding, plain and clipped."""

from __future__ import annotations

import numpy as np

from ...core import Case, Tester
from .common import (
    EXERCISE,
    IN_RULES,
    _rng,
    chain_case,
    value_case,
    vjp_case,
)
from .softplus import twice_case

# --------------------------------------------------------------------------- straight-through rounding


def _no_halves(x: np.ndarray) -> np.ndarray:
    """Move entries away from k + 0.5 (where rounding conventions differ)."""
    frac = x - np.floor(x)
    return np.where(np.abs(frac - 0.5) < 0.02, x + 0.1, x)


def _quadratic_grads(a: dict) -> dict:
    target = np.array([2.0, -1.0, 0.0, 3.0, 1.0])
    r = 2.0 * (np.round(a["w"] * a["x"]) - target)
    return {"w": np.array([np.sum(r * a["x"])]), "x": r * a["w"]}


STE_HINT = (
    "A straight-through estimator pretends in backward that the forward function was the identity: what is "
    "the VJP of the identity?"
)
STE_MORE = (
    "forward rounds the input's array with np.round; backward hands the incoming adjoint on as it is (not "
    "multiplied by 0, the true derivative of rounding, and not negated)."
)


@EXERCISE.part(
    "ste_round",
    points=2,
    title="RoundSTE: round forward, identity backward",
    needs=("RoundSTE",),
    forbidden=IN_RULES,
    hint=STE_HINT,
    more=STE_MORE,
)
def ste_round(t: Tester):
    rng = _rng(t)
    identity = lambda x: np.ones_like(x)
    fit = {"w": np.array([0.8]), "x": np.array([2.3, -1.2, 0.4, 3.1, 1.7])}
    if not t.hidden:
        x = np.array([-1.7, -0.2, 0.4, 1.6, 2.2])
        yield value_case(t, "RoundSTE", x, independent=np.round)
        yield vjp_case(t, "RoundSTE", x, derivative=identity)
        yield chain_case(
            t,
            "RoundSTE",
            "w.grad and x.grad after ((RoundSTE.apply(w * x) - target) ** 2).sum().backward()",
            "quadratic",
            fit,
            _quadratic_grads,
        )
        return
    x = _no_halves(5.0 * rng.standard_normal((3, 4)))
    yield value_case(t, "RoundSTE", x, independent=np.round)
    yield vjp_case(t, "RoundSTE", x, derivative=identity)
    for x in (
        np.array(-2.3),
        _no_halves(1e6 * rng.standard_normal(4)),
        _no_halves(3.0 * rng.standard_normal(5)).astype(np.float32),
    ):
        yield value_case(t, "RoundSTE", x, independent=np.round)
        yield vjp_case(t, "RoundSTE", x, derivative=identity)
    yield chain_case(
        t,
        "RoundSTE",
        "w.grad and x.grad after ((RoundSTE.apply(w * x) - target) ** 2).sum().backward()",
        "quadratic",
        {"w": np.array([-1.3]), "x": _no_halves(rng.uniform(-3, 3, 5))},
        _quadratic_grads,
    )


def _clipped_inputs(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """No entry on low or high, nor on a half."""
    x = _no_halves(x)
    return np.where(np.isclose(x, low) | np.isclose(x, high), x + 0.3, x)


def clipped_cases(t: Tester, x: np.ndarray, low: int, high: int) -> list[Case]:
    x = _clipped_inputs(x, low, high)
    inside = lambda a: ((a >= low) & (a <= high)).astype(a.dtype)
    return [
        value_case(t, "ClippedRoundSTE", x, (low, high), independent=lambda a: np.round(np.clip(a, low, high))),
        vjp_case(t, "ClippedRoundSTE", x, (low, high), derivative=inside),
    ]


@EXERCISE.part(
    "ste_clipped",
    points=2,
    title="ClippedRoundSTE: round(clip(x)) forward, masked gradient backward",
    needs=("ClippedRoundSTE",),
    forbidden=IN_RULES,
    hint="Where the input was clipped, does the output move when the input moves? And what must backward "
    "return for the arguments that are plain numbers?",
    more="In forward, keep a mask of the entries inside [low, high] as an attribute of ctx (per call, never on "
    "the class: a primitive may be applied twice before one backward); backward returns a tuple with one entry "
    "per argument of forward: the masked adjoint, then None for low and for high.",
)
def ste_clipped(t: Tester):
    rng = _rng(t)
    if not t.hidden:
        yield from clipped_cases(t, np.array([-3.7, -1.2, 0.4, 1.6, 2.8]), -2, 2)
        yield twice_case(
            t,
            "ClippedRoundSTE",
            "clipped_twice",
            np.array([-3.7, -1.2, 0.4, 1.6, 2.8]),
            np.array([-0.6, 1.3, 2.2, 3.4, 4.1]),
        )
        return
    yield from clipped_cases(t, rng.uniform(-5.0, 20.0, size=8), 0, 15)
    yield from clipped_cases(t, 2.0 * rng.standard_normal((3, 4)), -1, 1)
    yield from clipped_cases(t, np.array(7.2), 0, 3)
    yield from clipped_cases(t, (3.0 * rng.standard_normal(6)).astype(np.float32), -2, 2)
    x = _clipped_inputs(rng.uniform(-4.0, 4.0, 5), -2, 2)
    yield chain_case(
        t,
        "ClippedRoundSTE",
        "x.grad after (ClippedRoundSTE.apply(x, -2, 2) * c).sum().backward()",
        "clipped",
        {"x": x},
        lambda a: {"x": np.arange(1.0, 6.0) * ((a["x"] >= -2) & (a["x"] <= 2))},
    )
