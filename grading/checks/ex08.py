"""Exercise 8: non-smooth functions (subdifferentials, VJPs at kinks, gradient checks, the subgradient method).

Where the text fixes one answer (a subdifferential, a VJP under a stated convention, a gradient check's
verdicts), the student's reply is compared with the reference's, structurally: the same kind of result (a
tuple, a list, a NumPy array of ``x``'s dtype), the same shape, the same entries (to ``1e-12`` relative, or
``1e-6`` in float32), or the same ``ValueError``. Where the text allows any answer (any element of the
lasso's subdifferential), membership is checked. The subgradient method is judged by the objective it
reaches, against the minimum (found here by many proximal-gradient steps) and against how close the
prescribed method gets on the same problem. Every probe also reports arguments changed in place, which fails
the check.

Inputs are seeded and include exact kinks (``0.0`` and ``-0.0``), points within a finite-difference step of a
kink, ties in a maximum, and float32 arrays. The student's functions run in :mod:`grading.probes.ex08`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..arrays import compare, show_array, show_input
from ..core import Case, ExerciseSpec, Tester, Verdict
from ..tripwire import AUTODIFF, TENSOR_OPS

EXERCISE = ExerciseSpec("ex08", "ex08_nonsmooth", "Non-smooth functions: subgradients, kinks and gradient checks")

#: Everything here is NumPy: minitorch's derivatives, tensor operations and gradient checks compute the parts.
FORBIDDEN = AUTODIFF + TENSOR_OPS
RTOL = {np.dtype(np.float32): 1e-6, np.dtype(np.float64): 1e-12}


def values(name: str, a: Any) -> str:
    """``name = [...]`` with every entry as Python prints it (kinks and tiny offsets stay readable), or a
    summary for a large array; with the dtype."""
    a = np.asarray(a)
    text = f"{name} = {a.tolist()!r}" if a.size <= 12 else show_input(name, a)
    return f"{text} (dtype {a.dtype})"


def _rng(t: Tester) -> np.random.Generator:
    return np.random.default_rng(t.rng.getrandbits(64))


def _with_kinks(rng: np.random.Generator, shape: tuple, zeros: float = 0.3) -> np.ndarray:
    """Entries with |x| in [0.1, 3], about a fraction ``zeros`` of them exact zeros (some -0.0)."""
    x = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 3.0, size=shape)
    at_kink = rng.uniform(size=shape) < zeros
    return np.where(at_kink, np.where(rng.uniform(size=shape) < 0.5, 0.0, -0.0), x)


# --------------------------------------------------------------------------- comparing replies


def show(value: Any) -> str:
    """A probe's reply (or a part of one) as text."""
    if isinstance(value, np.ndarray):
        return f"{show_array(value, digits=12)} (dtype {value.dtype})"
    if not isinstance(value, dict):
        return repr(value)
    if "raised" in value:
        return f"ValueError: {value['message']}"
    if "result" in value:
        return show(value["result"])
    if "items" in value:
        inner = ", ".join(show(item) for item in value["items"])
        return f"({inner})" if value["type"] == "tuple" else f"{value['type']} [{inner}]"
    if "str" in value:
        return repr(value["str"])
    if "number" in value:
        return repr(value["number"])
    return f"{value['kind']}: {value['repr']}"


def _number(value: Any) -> float | None:
    if isinstance(value, dict) and "number" in value:
        return value["number"]
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return float(value)
    return None


def difference(actual: Any, expected: Any) -> str | None:
    """None if the result ``actual`` is the result ``expected`` (as :func:`grading.probes.ex08.data` encodes
    them); else what differs."""
    if isinstance(expected, np.ndarray):
        if not isinstance(actual, np.ndarray):
            return f"expected a NumPy array of shape {expected.shape} and dtype {expected.dtype}, got {show(actual)}"
        if actual.dtype != expected.dtype:
            return f"dtype {actual.dtype}, but it must be {expected.dtype} (the dtype of x)"
        return compare(actual, expected, rtol=RTOL.get(expected.dtype, 1e-12))
    if "items" in expected:
        if not isinstance(actual, dict) or "items" not in actual:
            return f"expected a {expected['type']}, got {show(actual)}"
        if actual["type"] != expected["type"]:
            return f"expected a {expected['type']}, got a {actual['type']}"
        if len(actual["items"]) != len(expected["items"]):
            return f"expected {len(expected['items'])} items, got {len(actual['items'])}"
        for i, (a, e) in enumerate(zip(actual["items"], expected["items"])):
            problem = difference(a, e)
            if problem:
                return f"entry {i}: {problem}"
        return None
    if "number" in expected:
        number = _number(actual)
        if number is None:
            return f"expected a number, got {show(actual)}"
        return None if number == expected["number"] else f"expected {expected['number']!r}, got {number!r}"
    return None if actual == expected else f"expected {show(expected)}, got {show(actual)}"


def reply_problem(reply: dict, expected: dict | None = None) -> str | None:
    """What is wrong with the student's reply to a probe, given the reference's; None if nothing. Without
    ``expected``, only a ValueError and arguments changed in place are problems."""
    raises = expected is not None and "raised" in expected
    if raises and "raised" not in reply:
        return f"must raise ValueError ({expected['message']})"
    if "raised" in reply and not raises:
        return f"raised ValueError: {reply['message']}"
    if reply["changed"]:
        return f"modified {' and '.join(reply['changed'])} in place: work on new arrays"
    if raises or expected is None:
        return None
    return difference(reply["result"], expected["result"])


def same_case(
    t: Tester,
    probe_name: str,
    args: dict,
    what: str,
    input_text: Callable[[], str] | str,
    *,
    group: str = "behaviour",
    hint: str | None = None,
    more: str | None = None,
    weight: float = 1.0,
) -> Case:
    """The student's reply to the probe must be the reference's (:func:`reply_problem`)."""

    def run() -> Verdict:
        expected = t.expect(probe_name, **args)
        reply = t.probe(probe_name, **args)
        problem = reply_problem(reply, expected)
        return Verdict(problem is None, lambda: show(expected), lambda: show(reply), detail=problem)

    return Case(what, run, input=input_text, group=group, hint=hint, more=more, weight=weight)


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


# --------------------------------------------------------------------------- part 5: check_gradient


def _terms_text(terms: list[dict]) -> str:
    names = {
        "relu": "sum(c * relu(x - a))",
        "abs": "sum(c * |x - a|)",
        "max": "max(A @ x + b)",
        "sin": "sum(sin(B @ x + b))",
        "quadratic": "x @ Q @ x / 2",
        "zero": "sum(relu(x) - relu(-x) - x)",
    }
    lines = [" + ".join(names[term["kind"]] for term in terms)]
    for term in terms:
        for key, value in term.items():
            if key != "kind":
                lines.append(values(f"  {key}", value))
    return "\n".join(lines)


def check_case(
    t: Tester,
    terms: list[dict],
    x: np.ndarray,
    gradient: np.ndarray,
    what: str,
    *,
    options: dict | None = None,
    group: str = "behaviour",
) -> Case:
    options = options or {}
    gradient = np.asarray(gradient, dtype=np.float64)

    def text() -> str:
        extra = "".join(f", {k}={v!r}" for k, v in options.items())
        return f"f(x) = {_terms_text(terms)}\n{values('x', x)}\n{values('gradient', gradient)}{extra}"

    args = {"terms": terms, "x": x, "gradient": gradient, "options": options}
    return same_case(t, "check", args, f"check_gradient: {what}", text, group=group)


def relu_term(c: Any, a: Any = 0.0) -> dict:
    return {"kind": "relu", "c": np.asarray(c, dtype=float), "a": np.asarray(a, dtype=float)}


def abs_term(c: Any, a: Any = 0.0) -> dict:
    return {"kind": "abs", "c": np.asarray(c, dtype=float), "a": np.asarray(a, dtype=float)}


@EXERCISE.part(
    "check_gradient",
    points=2,
    title="check_gradient",
    forbidden=FORBIDDEN,
    needs=("check_gradient",),
    hint="At a kink the central difference is not a valid reference: what do the two one-sided slopes tell "
    "you there, and which claimed values are defensible?",
    more="Work on a float64 copy of x; for entry j build a step array that is eps at j (flat index) and 0 "
    "elsewhere, evaluate f at x plus and minus it (new arrays), test |right - left| <= tol before anything "
    "else, and append one string per entry to a list.",
)
def check_gradient_cases(t: Tester):
    rng = _rng(t)
    if not t.hidden:
        x = np.array([-1.0, 0.0, 1e-7, 0.8])
        relu = [relu_term(1.0)]
        for at_kink in (0.0, 0.5, 1.0):
            slopes = np.where(x > 0, 1.0, np.where(x < 0, 0.0, at_kink))
            yield check_case(t, relu, x, slopes, f"ReLU with ReLU'(0) = {at_kink}: kinks, not errors")
        yield check_case(t, relu, x, np.array([0.0, 2.0, -1.0, 1.0]), "values outside the one-sided slopes")
        B, b = rng.standard_normal((3, 4)), rng.standard_normal(3)
        sin = [{"kind": "sin", "B": B, "b": b}]
        point = rng.standard_normal(4)
        exact = B.T @ np.cos(B @ point + b)
        yield check_case(t, sin, point, exact, "a smooth function, the exact gradient")
        yield check_case(t, sin, point, exact + np.array([0.0, 0.01, 0.0, 0.0]), "one entry off by 0.01")
        yield check_case(t, [{"kind": "zero"}], x, np.where(x == 0, -1.0, 0.0), "AD's -1 for a zero function")
        return
    # kinks away from 0, several per function, some exactly hit, some within a step
    a = rng.uniform(-2, 2, 6)
    x = a + np.array([0.0, 0.0, 3e-7, -4e-7, 0.4, -0.7])
    c = rng.uniform(0.5, 2.0, 6)
    slopes = c * np.where(x > a, 1.0, -1.0)
    slopes[0] = 0.0
    yield check_case(t, [abs_term(c, a)], x, slopes, "|x - a| at and near its kinks")
    yield check_case(t, [abs_term(c, a)], x, 1.5 * slopes, "slopes scaled by 1.5")
    A = np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    point = np.array([1.0, 1.0, -0.5])
    yield check_case(t, [{"kind": "max", "A": A, "b": np.zeros(3)}], point, [1.5, 1.5, 0.0], "a tie in a max")
    yield check_case(t, [{"kind": "max", "A": A, "b": np.zeros(3)}], point, [3.0, 3.0, 0.0], "a tie, wrong shares")
    Q = rng.standard_normal((5, 5))
    Q = Q @ Q.T / 5
    point = rng.standard_normal(5)
    smooth_and_kinked = [{"kind": "quadratic", "Q": Q}, relu_term(np.full(5, 1.5))]
    point[1] = 0.0
    claimed = Q @ point + 1.5 * (point > 0)
    yield check_case(t, smooth_and_kinked, point, claimed, "a quadratic plus ReLUs")
    claimed_wrong = claimed.copy()
    claimed_wrong[3] += 0.05
    yield check_case(t, smooth_and_kinked, point, claimed_wrong, "a quadratic plus ReLUs, one entry off")
    grid = np.array([[0.0, 1.0], [-0.5, 0.0]])
    yield check_case(t, [relu_term(1.0)], grid, (grid > 0).astype(float), "a 2-D x", group="edge cases")
    yield check_case(t, [relu_term(1.0)], np.array([0.5, -0.5]), [np.nan, 0.0], "a NaN claim", group="edge cases")
    loose = {"eps": 1e-4, "atol": 1e-3, "rtol": 1e-2}
    yield check_case(
        t,
        [relu_term(1.0)],
        np.array([5e-5, 0.3]),
        [1.0, 1.0],
        "other eps and tolerances",
        options=loose,
        group="edge cases",
    )
    big = np.array([20.0, -30.0, 0.0, 45.5, 70.25], dtype=np.float32)
    c32 = np.array([1.0, 2.0, 0.5, 1.5, 3.0])
    slopes32 = c32 * np.sign(big.astype(np.float64))
    yield check_case(t, [abs_term(c32)], big, slopes32, "a float32 x: compute in float64", group="robustness")
    B, b = rng.standard_normal((2, 5)), rng.standard_normal(2)
    yield check_case(
        t,
        [{"kind": "sin", "B": B, "b": b}, abs_term(c32)],
        big,
        B.T @ np.cos(B @ big.astype(np.float64) + b) + slopes32,
        "float32, smooth + kinks",
        group="robustness",
    )


# --------------------------------------------------------------------------- part 6: lasso_subgradient


def lasso_objective(w: np.ndarray, X: np.ndarray, y: np.ndarray, lam: float) -> float:
    """The objective of parts 6 and 7 (as the notebook gives it)."""
    residual = X @ w - y
    return float(residual @ residual / (2 * len(y)) + lam * np.abs(w).sum())


def lasso_problem(rng: np.random.Generator, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """A sparse regression problem like the notebook's ``lasso_data``."""
    X = rng.standard_normal((n, d))
    w_true = np.zeros(d)
    w_true[:3] = rng.choice([-1.0, 1.0], 3) * rng.uniform(1.0, 3.0, 3)
    return X, X @ w_true + 0.5 * rng.standard_normal(n)


def subgradient_case(
    t: Tester, w: np.ndarray, X: np.ndarray, y: np.ndarray, lam: float, what: str, *, group: str = "behaviour"
) -> Case:
    """The reply must lie in the subdifferential: exact where w_j != 0, within lam of the smooth part where
    w_j == 0."""

    def run() -> Verdict:
        reply = t.probe("lasso", w=w, X=X, y=y, lam=lam)
        smooth = X.T @ (X @ w.astype(np.float64) - y) / len(y)
        size = np.abs(X).T @ (np.abs(X) @ np.abs(w) + np.abs(y)) / len(y) + lam
        low = np.where(w == 0, smooth - lam, smooth + lam * np.sign(w))
        high = np.where(w == 0, smooth + lam, low)
        expected = (
            f"an array of shape {w.shape} in the subdifferential: entry j equal to "
            f"X^T (X w - y) / n + lam sign(w_j) where w_j != 0, and in [smooth_j - lam, smooth_j + lam] where w_j == 0"
        )
        problem = reply_problem(reply)
        result = reply.get("result")
        if problem is None:
            if not isinstance(result, np.ndarray):
                problem = f"expected a NumPy array of shape {w.shape}, got {show(result)}"
            elif result.shape != w.shape:
                problem = f"shape {result.shape}, but it must be {w.shape}"
            else:
                tol = 1e-9 * size
                bad = ~((result >= low - tol) & (result <= high + tol))
                if bad.any():
                    j = int(np.argmax(bad))
                    where = "w_j == 0: allowed" if w[j] == 0 else "w_j != 0: exactly"
                    interval = f"[{low[j]!r}, {high[j]!r}]" if w[j] == 0 else repr(low[j])
                    problem = f"entry {j} ({where} {interval}) is {result[j]!r}"
        return Verdict(problem is None, expected, lambda: show(reply), detail=problem)

    def text() -> str:
        return f"{values('w', w)}\nX: shape {X.shape}\n{values('y', y)}\nlam = {lam!r}"

    return Case(f"lasso_subgradient: {what}", run, input=text, group=group)


@EXERCISE.part(
    "lasso_subgradient",
    points=1,
    title="lasso_subgradient",
    forbidden=FORBIDDEN,
    needs=("lasso_subgradient",),
    hint="The objective is a smooth term plus lam |w_j| for each j: what is the derivative of the smooth "
    "term, and which values may the |w_j| term contribute at w_j = 0?",
    more="Differentiate the squared residual by the chain rule (X.T appears, and 1/(2n) becomes 1/n); for "
    "the penalty, which NumPy function gives +1, -1, and a number in [-1, 1] at 0?",
)
def lasso_subgradient_cases(t: Tester):
    rng = _rng(t)
    if not t.hidden:
        X, y = lasso_problem(rng, 30, 5)
        yield subgradient_case(t, rng.standard_normal(5), X, y, 0.5, "no entry at a kink")
        yield subgradient_case(t, np.zeros(5), X, y, 0.5, "w = 0: every entry at a kink")
        yield subgradient_case(t, np.array([1.0, 0.0, -2.0, 0.0, 0.5]), X, y, 0.3, "some entries at a kink")
        yield subgradient_case(t, rng.standard_normal(5), X, y, 0.0, "lam = 0: the least-squares gradient")
        return
    for i in range(4):
        n, d = int(rng.integers(20, 80)), int(rng.integers(3, 12))
        X, y = lasso_problem(rng, n, d)
        w = np.where(rng.uniform(size=d) < 0.4, 0.0, rng.standard_normal(d))
        yield subgradient_case(t, w, X, y, float(rng.uniform(0.05, 2.0)), f"random problem #{i + 1}")
    X, y = lasso_problem(rng, 40, 6)
    yield subgradient_case(
        t, np.array([-0.0, 0.0, 1.0, -0.0, 2.0, -1.0]), X, y, 1.0, "-0.0 entries", group="edge cases"
    )
    yield subgradient_case(t, np.zeros(6), X, y, 100.0, "w = 0, a large lam", group="edge cases")
    w32 = np.array([0.0, 0.5, -1.0, 0.0, 0.25, 2.0], dtype=np.float32)
    yield subgradient_case(t, w32, X, y, 0.5, "a float32 w", group="robustness")


# --------------------------------------------------------------------------- part 7: subgradient_method


def lasso_minimum(X: np.ndarray, y: np.ndarray, lam: float) -> float:
    """The lasso's minimum, by proximal gradient (ISTA) steps 1/L until they stop changing w."""
    L = float(np.linalg.eigvalsh(X.T @ X / len(y)).max())
    w = np.zeros(X.shape[1])
    for _ in range(100_000):
        v = w - X.T @ (X @ w - y) / len(y) / L
        new = np.sign(v) * np.maximum(np.abs(v) - lam / L, 0.0)
        if np.array_equal(new, w):
            break
        w = new
    return lasso_objective(w, X, y, lam)


def method_case(
    t: Tester,
    X: np.ndarray,
    y: np.ndarray,
    lam: float,
    steps: int,
    what: str,
    *,
    target: float | None = None,
    group: str = "behaviour",
) -> Case:
    """``(w_best, f_best)`` must be consistent, and f_best within ``target`` (or within 3 times the prescribed
    method's distance to the minimum)."""
    c = 1.0 / float(np.linalg.eigvalsh(X.T @ X / len(y)).max())
    args = {"X": X, "y": y, "lam": lam, "steps": steps, "c": c}

    def run() -> Verdict:
        reply = t.probe("method", **args)
        expected = t.expect("method", **args)
        best = expected["result"]["items"][1]["number"]
        minimum = lasso_minimum(X, y, lam)
        bound = target if target is not None else minimum + 3 * (best - minimum) + 1e-12 * abs(minimum)
        expected_text = f"(w_best, f_best) with f_best = lasso_objective(w_best) <= {bound!r} (minimum {minimum!r})"
        problem = reply_problem(reply)
        result = reply.get("result")
        if problem is None:
            if not (isinstance(result, dict) and result.get("type") == "tuple" and len(result["items"]) == 2):
                problem = f"expected a tuple (w_best, f_best), got {show(result)}"
            else:
                w_best, f_best = result["items"]
                f_best = _number(f_best)
                if not isinstance(w_best, np.ndarray) or w_best.shape != (X.shape[1],):
                    problem = f"w_best must be a NumPy array of shape {(X.shape[1],)}, got {show(w_best)}"
                elif f_best is None:
                    problem = f"f_best must be a number, got {show(result['items'][1])}"
                elif not abs(lasso_objective(w_best, X, y, lam) - f_best) <= 1e-9 * abs(f_best) + 1e-12:
                    problem = (
                        f"f_best = {f_best!r}, but lasso_objective(w_best, X, y, lam) = "
                        f"{lasso_objective(w_best, X, y, lam)!r}: return the best point and its value"
                    )
                elif not f_best <= bound:
                    problem = f"f_best = {f_best!r} is above {bound!r}: the method has not converged"
        warning = None if best <= bound else f"the reference reaches only {best!r}"
        return Verdict(problem is None, expected_text, lambda: show(reply), detail=problem, grader_warning=warning)

    def text() -> str:
        return f"X: shape {X.shape}\n{values('y', y)}\nlam = {lam!r}, steps = {steps}, c = 1/L = {c!r}"

    return Case(f"subgradient_method: {what}", run, input=text, group=group)


@EXERCISE.part(
    "subgradient_method",
    points=2,
    title="subgradient_method",
    forbidden=FORBIDDEN,
    needs=("subgradient_method",),
    hint="The subgradient method does not decrease f at every step: how must the step size behave for it to "
    "converge, and which point do you report?",
    more="Step k (from 1) moves by c / np.sqrt(k) times lasso_subgradient(w, ...); after each step compare "
    "lasso_objective with the best so far and keep a copy of that w (w_1 = 0 counts).",
)
def subgradient_method_cases(t: Tester):
    rng = _rng(t)
    if not t.hidden:
        notebook = np.random.default_rng(0)  # the notebook's lasso_data(): the same problem as its text
        X, y = lasso_problem(notebook, 60, 10)
        yield method_case(t, X, y, 0.5, 1000, "the notebook's problem, 1000 steps: f_best < 2.90", target=2.90)
        yield method_case(t, X, y, 0.5, 0, "steps = 0: w = 0", group="edge cases")
        yield method_case(t, X, y, 0.5, 1, "one step", group="edge cases")
        return
    for i in range(4):
        n, d = [(40, 5), (80, 15), (60, 8), (100, 12)][i]
        X, y = lasso_problem(rng, n, d)
        lam = [0.5, 0.3, 1.0, 0.5][i]
        yield method_case(t, X, y, lam, [1000, 1500, 800, 2000][i], f"random problem #{i + 1} ({n} x {d})")
    X, y = lasso_problem(rng, 30, 4)
    yield method_case(t, X, y, 50.0, 200, "a lam so large that w = 0 is the minimum", group="edge cases")
