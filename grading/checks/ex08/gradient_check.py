"""Exercise 8, part 5: a finite-difference gradient check that recognises kinks."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import Case, Tester
from .common import EXERCISE, FORBIDDEN, _rng, same_case, values

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
