"""Exercise 7, parts 4-5: hypergradients of ridge regression, unrolled and by the implicit-function theorem."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from minitorch import numerical

from ...core import Case, Tester, Verdict
from .functions import (
    EXERCISE,
)

# --------------------------------------------------------------------------- parts 4 and 5: hypergradients


@dataclass
class Ridge:
    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    text: str

    def solution(self, lam: float) -> np.ndarray:
        d = self.X.shape[1]
        return np.linalg.solve(self.X.T @ self.X + lam * np.eye(d), self.X.T @ self.y)

    def val(self, w: np.ndarray) -> float:
        return float(np.sum((self.X_val @ w - self.y_val) ** 2))

    def unrolled(self, lam: float, steps: int, lr: float) -> np.ndarray:
        w = np.zeros(self.X.shape[1])
        for _ in range(steps):
            w = w - lr * (2 * self.X.T @ (self.X @ w - self.y) + 2 * lam * w)
        return w

    def lr(self, lam: float, fraction: float = 0.5) -> float:
        d = self.X.shape[1]
        return fraction / float(np.linalg.eigvalsh(self.X.T @ self.X + lam * np.eye(d)).max())

    def args(self) -> list:
        return [self.X, self.y, self.X_val, self.y_val]


def ridge(seed: int, n: int, d: int, noise: float = 0.5) -> Ridge:
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(d)
    X, X_val = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    return Ridge(
        X,
        X @ w + noise * rng.standard_normal(n),
        X_val,
        X_val @ w + noise * rng.standard_normal(n),
        f"ridge data: X and X_val {n}x{d} (seed {seed})",
    )


def _hypergradient_verdict(
    actual: dict, expected: float, scale: float, central: float, exact_note: str, rtol: float
) -> Verdict:
    """``actual``: the student's result as :func:`grading.probes.ex07.as_float` read it."""
    if "float" not in actual:
        return Verdict(False, f"{expected:.12g}", actual["repr"], detail="return a float (the hypergradient)")
    value = actual["float"]
    passed = abs(value - expected) <= rtol * (abs(expected) + scale) + 1e-300
    warning = None
    if abs(central - expected) > 1e-5 * (abs(expected) + scale + 1e-6):
        warning = f"reference {expected!r} but central differences give {central!r}"
    return Verdict(
        passed, f"{expected:.12g}", f"{value:.12g}", note=f"{exact_note}: {central:.12g}", grader_warning=warning
    )


def unrolled_case(
    t: Tester, what: str, data: Ridge, lam: float, steps: int, lr: float | None = None, *, group: str = "behaviour"
) -> Case:
    lr = data.lr(lam) if lr is None else lr

    def run() -> Verdict:
        arguments = {"name": "hypergradient_unrolled", "arrays": data.args(), "numbers": [lam, steps, lr]}
        actual = t.probe("hypergradient", **arguments)
        expected = t.expect("hypergradient", **arguments)["float"]
        central = numerical.central_difference(
            lambda hyper: data.val(data.unrolled(hyper, steps, lr)), lam, epsilon=1e-5 * max(1.0, lam)
        )
        # Rounding grows with the number of steps; the terms are of the size of the validation loss's slope.
        scale = 1e-3 * abs(central) + 1e-12 * data.val(data.unrolled(lam, steps, lr))
        return _hypergradient_verdict(
            actual, expected, scale, central, "central difference of the unrolled validation loss", rtol=1e-8
        )

    return Case(what, run, input=f"{data.text}\nlam = {lam:g}, steps = {steps}, lr = {lr:.6g}", group=group)


def implicit_case(t: Tester, what: str, data: Ridge, lam: float, *, group: str = "behaviour") -> Case:
    def run() -> Verdict:
        arguments = {"name": "hypergradient_implicit", "arrays": data.args(), "numbers": [lam]}
        actual = t.probe("hypergradient", **arguments)
        expected = t.expect("hypergradient", **arguments)["float"]
        d = data.X.shape[1]
        w = data.solution(lam)
        dw = -np.linalg.solve(data.X.T @ data.X + lam * np.eye(d), w)
        gval = 2 * data.X_val.T @ (data.X_val @ w - data.y_val)
        A = data.X.T @ data.X + lam * np.eye(d)
        scale = float(np.abs(gval) @ np.abs(dw)) * np.linalg.cond(A)
        central = numerical.central_difference(
            lambda hyper: data.val(data.solution(hyper)), lam, epsilon=1e-5 * max(1.0, lam)
        )
        return _hypergradient_verdict(
            actual,
            expected,
            scale,
            central,
            "central difference of the closed-form solution's validation loss",
            rtol=1e-10,
        )

    return Case(what, run, input=f"{data.text}\nlam = {lam:g}", group=group)


UNROLLED_HINT = (
    "To differentiate through K gradient steps, every step's gradient must itself be recorded: which option "
    "of autograd_grad does that, and which variable must require a gradient?"
)
UNROLLED_MORE = (
    "Make lam a tensor that requires grad and w a zero tensor that requires grad; in each step take the "
    "gradient of train_loss with respect to w with create_graph=True and step w; at the end differentiate "
    "val_loss with respect to lam. Return a Python float, not a tensor."
)
IMPLICIT_HINT = (
    "At the solution the training gradient is zero for every lambda: differentiate that identity with respect "
    "to lambda. Which linear system gives dw*/dlambda?"
)
IMPLICIT_MORE = (
    "Get w* from ridge_solution; solve (X^T X + lam I) u = w* with np.linalg.solve, so dw*/dlam = -u; the "
    "hypergradient is the validation loss's gradient at w* dotted with it, returned as a Python float."
)


@EXERCISE.part(
    "unrolled",
    points=2,
    title="hypergradient_unrolled: differentiating through K steps",
    needs=("hypergradient_unrolled",),
    hint=UNROLLED_HINT,
    more=UNROLLED_MORE,
)
def unrolled(t: Tester):
    if not t.hidden:
        yield unrolled_case(t, "5 steps on a 30x4 problem, lam = 2", ridge(0, 30, 4), 2.0, 5)
        yield unrolled_case(t, "20 steps, lam = 0.5", ridge(1, 20, 3), 0.5, 20)
        yield unrolled_case(
            t, "one step from w = 0: lam does not matter yet (0.0)", ridge(2, 10, 3), 1.0, 1, group="edge cases"
        )
        return
    for i in range(3):
        n, d = t.rng.randint(5, 30), t.rng.randint(1, 5)
        lam = t.rng.choice([0.1, 1.0, 3.0, 10.0])
        steps = t.rng.randint(2, 15)
        yield unrolled_case(
            t,
            f"random problem #{i + 1}: {n}x{d}, lam = {lam:g}, {steps} steps",
            ridge(t.rng.randint(0, 10_000), n, d),
            lam,
            steps,
        )
    yield unrolled_case(t, "lam = 0", ridge(3, 15, 3), 0.0, 8, group="edge cases")
    yield unrolled_case(t, "more features than examples (8x12), lam = 5", ridge(4, 8, 12), 5.0, 10, group="edge cases")
    yield unrolled_case(t, "20 steps on a 30x4 problem", ridge(5, 30, 4), 2.0, 20)


@EXERCISE.part(
    "implicit",
    points=2,
    title="hypergradient_implicit: the implicit-function theorem",
    needs=("hypergradient_implicit",),
    hint=IMPLICIT_HINT,
    more=IMPLICIT_MORE,
)
def implicit(t: Tester):
    if not t.hidden:
        yield implicit_case(t, "a 30x4 problem, lam = 2", ridge(0, 30, 4), 2.0)
        yield implicit_case(t, "lam = 0 (X^T X is invertible)", ridge(1, 20, 3), 0.0, group="edge cases")
        yield implicit_case(t, "more features than examples (6x10), lam = 1", ridge(2, 6, 10), 1.0, group="edge cases")
        return
    for i in range(4):
        n, d = t.rng.randint(3, 40), t.rng.randint(1, 8)
        lam = t.rng.choice([0.01, 0.5, 2.0, 10.0])
        data = ridge(t.rng.randint(0, 10_000), n, d)
        yield implicit_case(t, f"random problem #{i + 1}: {n}x{d}, lam = {lam:g}", data, lam)
    yield implicit_case(t, "strong regularisation, lam = 1000", ridge(6, 20, 5), 1000.0, group="robustness")
    yield implicit_case(t, "one feature", ridge(7, 12, 1), 0.3, group="edge cases")
    yield implicit_case(t, "noise-free data", ridge(8, 25, 4, noise=0.0), 0.7, group="edge cases")
