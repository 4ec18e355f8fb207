"""Exercise 8, parts 1-4: the subdifferential at a kink, and the VJPs of relu, abs and max there."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import Case, Tester
from .common import EXERCISE, FORBIDDEN, _rng, _with_kinks, same_case, values

# --------------------------------------------------------------------------- part 1: subdifferential


def interval_case(t: Tester, kind: str, x: float, as_type: str = "float", *, group: str = "behaviour") -> Case:
    """At the kink, and for an unknown kind (a ValueError the text asks for), a check weighs 3: they are what
    the part is about."""
    shown = f"{as_type}({x!r})" if as_type != "float" else repr(x)
    return same_case(
        t,
        "interval",
        {"kind": kind, "x": x, "as_type": as_type},
        f"subdifferential({kind!r}, {shown})",
        f"kind = {kind!r}, x = {shown}",
        group=group,
        weight=3.0 if x == 0 or kind not in ("relu", "abs") else 1.0,
    )


@EXERCISE.part(
    "subdifferential",
    points=1,
    title="subdifferential",
    forbidden=FORBIDDEN,
    needs=("subdifferential",),
    hint="Which slopes do the pieces of the function have on either side of 0, and which lines through the "
    "kink stay below the graph?",
    more="Return a tuple (low, high) of floats: one point where x != 0; at x == 0 (true for -0.0 too) the "
    "interval between the two pieces' slopes. An unknown kind raises ValueError.",
)
def subdifferential_cases(t: Tester):
    if not t.hidden:
        for kind in ("relu", "abs"):
            for x in (2.0, -3.0, 0.0):
                yield interval_case(t, kind, x)
        yield interval_case(t, "sigmoid", 0.0, group="edge cases")
        return
    for kind in ("relu", "abs"):
        yield interval_case(t, kind, 0.25)
        yield interval_case(t, kind, -1e5)
        yield interval_case(t, kind, -0.0, group="edge cases")
        yield interval_case(t, kind, 0, "int", group="edge cases")
        yield interval_case(t, kind, 0.0, "float32", group="edge cases")
        yield interval_case(t, kind, -2.5, "float64", group="edge cases")
        yield interval_case(t, kind, 5e-324, group="robustness")
        yield interval_case(t, kind, -1e-300, group="robustness")
    yield interval_case(t, "ReLU", 1.0, group="edge cases")


# --------------------------------------------------------------------------- parts 2 and 3: relu_vjp, abs_vjp


def slopes_case(
    t: Tester,
    name: str,
    x: np.ndarray,
    g: np.ndarray,
    at_kink: float | None,
    what: str,
    *,
    group: str = "behaviour",
    weight: float = 1.0,
) -> Case:
    def text() -> str:
        kink = "" if at_kink is None else f"\nat_kink = {at_kink!r}"
        return f"{values('x', x)}\n{values('g', g)}{kink}"

    call = f"{name}(x, g{'' if at_kink is None else f', at_kink={at_kink!r}'})"
    args = {"name": name, "x": x, "g": g, "at_kink": at_kink}
    return same_case(t, "slopes", args, f"{call}: {what}", text, group=group, weight=weight)


def _slopes_cases(t: Tester, name: str, valid: tuple[float, ...], invalid: tuple[float, ...]):
    rng = _rng(t)
    if not t.hidden:
        x = np.array([-1.5, 0.0, 2.0, -0.0, 0.5])
        g = np.array([2.0, 3.0, -1.0, 0.5, 4.0])
        yield slopes_case(t, name, x, g, None, "the default at_kink = 0")
        for at_kink in valid:
            yield slopes_case(t, name, x, g, at_kink, "the slope at_kink at the zeros of x")
        yield slopes_case(t, name, _with_kinks(rng, (3, 4)), rng.standard_normal((3, 4)), None, "a 3 x 4 array")
        for at_kink in invalid:
            yield slopes_case(
                t, name, x, g, at_kink, "not a subgradient at 0: ValueError", group="edge cases", weight=3.0
            )
        return
    for i, at_kink in enumerate((None, *valid)):
        shape = [(7,), (2, 3, 4), (5, 1)][i % 3]
        yield slopes_case(t, name, _with_kinks(rng, shape), rng.standard_normal(shape), at_kink, f"random #{i + 1}")
    yield slopes_case(t, name, np.array(0.0), np.array(1.5), valid[0], "0-d arrays at the kink", group="edge cases")
    yield slopes_case(t, name, np.array(-2.0), np.array(1.5), None, "0-d arrays", group="edge cases")
    yield slopes_case(
        t,
        name,
        np.array([-0.0, -0.0, 1.0]),
        np.array([1.0, -2.0, 3.0]),
        valid[-1],
        "-0.0 is a kink too",
        group="edge cases",
    )
    yield slopes_case(t, name, np.zeros((0, 3)), np.zeros((0, 3)), None, "empty arrays", group="edge cases")
    yield slopes_case(
        t, name, np.array([0.0, 1.0]), np.array([1.0, 1.0]), invalid[-1], "ValueError", group="edge cases"
    )
    x32 = _with_kinks(rng, (4, 5)).astype(np.float32)
    g32 = rng.standard_normal((4, 5)).astype(np.float32)
    yield slopes_case(t, name, x32, g32, None, "float32 in, float32 out", group="robustness")
    yield slopes_case(t, name, x32, g32, valid[1], "float32 with at_kink", group="robustness")
    tiny = np.array([5e-324, -5e-324, 1e-300, -0.0, 0.0])
    yield slopes_case(t, name, tiny, np.full(5, 2.0), None, "subnormal numbers are not kinks", group="robustness")


SLOPE_HINT = (
    "Three cases per entry: x > 0, x < 0, and x exactly 0. Which slope belongs to each, and which numbers "
    "are subgradients at 0?"
)
SLOPE_MORE = (
    "Build the slope array with np.where (a comparison with 0 treats -0.0 as 0), multiply by g and return "
    "a new array with .astype(x.dtype); check at_kink against subdifferential(kind, 0.0) first."
)


@EXERCISE.part(
    "relu_vjp",
    points=1,
    title="relu_vjp",
    forbidden=FORBIDDEN,
    needs=("relu_vjp",),
    hint=SLOPE_HINT,
    more=SLOPE_MORE,
)
def relu_vjp_cases(t: Tester):
    yield from _slopes_cases(t, "relu_vjp", (0.5, 1.0), (1.5, -0.1))


@EXERCISE.part(
    "abs_vjp", points=1, title="abs_vjp", forbidden=FORBIDDEN, needs=("abs_vjp",), hint=SLOPE_HINT, more=SLOPE_MORE
)
def abs_vjp_cases(t: Tester):
    yield from _slopes_cases(t, "abs_vjp", (1.0, -0.25, -1.0), (-1.5, 2.0))


# --------------------------------------------------------------------------- part 4: max_vjp


def max_case(
    t: Tester,
    x: np.ndarray,
    g: Any,
    axis: int | None,
    ties: str | None,
    what: str,
    *,
    group: str = "behaviour",
    weight: float = 1.0,
) -> Case:
    g = np.asarray(g, dtype=x.dtype)

    def text() -> str:
        return f"{values('x', x)}\n{values('g', g)}\naxis = {axis!r}, ties = {ties!r}"

    call = f"max_vjp(x of shape {x.shape}, g, axis={axis!r}{'' if ties is None else f', ties={ties!r}'})"
    args = {"x": x, "g": g, "axis": axis, "ties": ties}
    return same_case(t, "max_vjp", args, f"{call}: {what}", text, group=group, weight=weight)


def _tied(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Small integers as floats: many ties."""
    return rng.integers(-2, 3, size=shape).astype(np.float64)


@EXERCISE.part(
    "max_vjp",
    points=2,
    title="max_vjp",
    forbidden=FORBIDDEN,
    needs=("max_vjp",),
    hint="Which entries attained the maximum, how many tie in each slice, and how must their shares of g add up?",
    more="Mark the maxima by comparing x with its maximum along the axis, kept broadcastable (keepdims); for "
    "'split' divide by the count of maxima per slice, for 'first' keep the first (a cumulative sum along the axis "
    "helps); give g the same broadcastable shape.",
)
def max_vjp_cases(t: Tester):
    rng = _rng(t)
    if not t.hidden:
        x = np.array([[3.0, 1.0, 3.0, 3.0], [0.5, 2.0, -1.0, 0.0]])
        yield max_case(t, np.array([0.3, -1.0, 2.5, 1.0]), 2.0, None, None, "one maximum")
        yield max_case(t, x, [1.0, 2.0], 1, None, "three tied maxima share g evenly")
        yield max_case(t, x, [1.0, 2.0], 1, "first", "the first tied maximum gets all of g")
        yield max_case(t, x, rng.standard_normal(4), 0, "split", "over axis 0")
        yield max_case(t, x, 1.0, None, "first", "axis=None: the first maximum in x.reshape(-1)")
        yield max_case(t, x, [1.0, 2.0], 1, "mean", "an unknown convention: ValueError", group="edge cases", weight=3.0)
        return
    for i, ties in enumerate(("split", "first", None, "first")):
        shape, axis = [((5, 6), 1), ((4, 3, 2), 0), ((6,), 0), ((3, 4, 5), 2)][i]
        x = _tied(rng, shape)
        g = rng.standard_normal(np.max(x, axis=axis).shape)
        yield max_case(t, x, g, axis, ties, f"random small integers (ties), #{i + 1}")
    x = _tied(rng, (3, 4, 5))
    for axis in (-1, -2):
        g = rng.standard_normal(np.max(x, axis=axis).shape)
        for ties in ("split", "first"):
            yield max_case(t, x, g, axis, ties, "a negative axis", group="edge cases")
    yield max_case(t, np.full((2, 3), 7.0), [1.0, 3.0], 1, "split", "all entries tie", group="edge cases")
    yield max_case(t, np.full((2, 3), 7.0), 1.0, None, "first", "all entries tie, axis=None", group="edge cases")
    yield max_case(t, np.array([-0.0, -1.0, 0.0]), 3.0, None, "split", "-0.0 and 0.0 tie", group="edge cases")
    yield max_case(t, np.array(1.5), 2.0, None, "split", "a 0-d x", group="edge cases")
    yield max_case(t, np.array([[4.0], [-1.0]]), [1.0, 2.0], 1, "first", "slices of one entry", group="edge cases")
    yield max_case(t, np.array([1.0, 1.0]), 1.0, None, "last", "ValueError", group="edge cases")
    x32 = _tied(rng, (4, 6)).astype(np.float32)
    g32 = rng.standard_normal(4)
    yield max_case(t, x32, g32, 1, "split", "float32 with ties", group="robustness")
    yield max_case(t, x32, g32, 1, "first", "float32 with ties", group="robustness")
    close = np.array([1.0, 1.0 + 2**-52, 1.0, -3.0])
    yield max_case(t, close, 1.0, None, "split", "nearly tied is not tied", group="robustness")
