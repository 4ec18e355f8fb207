"""Exercise 8, parts 6-7: a subgradient of the lasso objective, and the subgradient method that minimizes it."""

from __future__ import annotations

import numpy as np

from ...core import Case, Tester, Verdict
from .common import EXERCISE, FORBIDDEN, _number, _rng, reply_problem, show, values

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
    exact: bool = False,
) -> Case:
    """``(w_best, f_best)`` must be consistent, and f_best within ``target`` (or within 3 times the prescribed
    method's distance to the minimum). ``exact``: f_best must be the prescribed method's own (a few steps from
    w = 0 are fully determined, so a step too few or a wrong step size shows)."""
    c = 1.0 / float(np.linalg.eigvalsh(X.T @ X / len(y)).max())
    args = {"X": X, "y": y, "lam": lam, "steps": steps, "c": c}

    def run() -> Verdict:
        reply = t.probe("method", **args)
        expected = t.expect("method", **args)
        best = expected["result"]["items"][1]["number"]
        minimum = lasso_minimum(X, y, lam)
        bound = target if target is not None else minimum + 3 * (best - minimum) + 1e-12 * abs(minimum)
        expected_text = f"(w_best, f_best) with f_best = lasso_objective(w_best) <= {bound!r} (minimum {minimum!r})"
        if exact:
            bound = best + 1e-9 * abs(best) + 1e-12
            expected_text = f"(w_best, f_best) with f_best = lasso_objective(w_best) = {best!r}"
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
                elif exact and not abs(f_best - best) <= bound - best:
                    problem = (
                        f"f_best = {f_best!r}, not {best!r}: after {steps} step(s) from w = 0 the result is fixed; "
                        "count the steps (k = 1, ..., steps) and the step sizes c / sqrt(k)"
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
        yield method_case(t, X, y, 0.5, 0, "steps = 0: w = 0", group="edge cases", exact=True)
        yield method_case(t, X, y, 0.5, 1, "one step", group="edge cases", exact=True)
        yield method_case(t, X, y, 0.5, 3, "three steps", group="edge cases", exact=True)
        return
    for i in range(4):
        n, d = [(40, 5), (80, 15), (60, 8), (100, 12)][i]
        X, y = lasso_problem(rng, n, d)
        lam = [0.5, 0.3, 1.0, 0.5][i]
        yield method_case(t, X, y, lam, [1000, 1500, 800, 2000][i], f"random problem #{i + 1} ({n} x {d})")
    X, y = lasso_problem(rng, 30, 4)
    yield method_case(t, X, y, 50.0, 200, "a lam so large that w = 0 is the minimum", group="edge cases")
