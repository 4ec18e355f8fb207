"""Exercise 7: higher-order derivatives (Hessian-vector products, Newton, implicit differentiation).

Functions of a 1-D tensor are built from a small family of terms whose Hessians are known in closed form
(quadratic forms, sums of sin/exp/tanh of linear maps, log-sum-exp, Rosenbrock). Every result is compared with
the reference solution, with a tolerance relative to the size of the terms that make it up (``|H| |v|`` for a
Hessian-vector product), and the reference with central differences (a disagreement is a grader bug and is
reported as a warning). How an HVP is computed is checked by watching ``f``: forward-over-reverse evaluates it
while a forward-mode level is open (inside ``minitorch.jvp``), reverse-over-reverse does not.

Parts are checked on their own: ``newton_step`` runs with ``minitorch.hvp`` standing in for ``hvp`` (the reference
then runs with it too). The student's functions run in :mod:`grading.probes.ex07` on functions given as data (their
terms); this module judges what comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import Case, ExerciseSpec, Tester, Verdict
from ..probes import ex07 as P

EXERCISE = ExerciseSpec("ex07", "ex07_higher_order", "Higher-order derivatives: HVPs, Newton, implicit differentiation")

#: What computes the parts 1-3 for the student.
FORBIDDEN = ("minitorch.hvp", "minitorch.hessian", "minitorch.jacobian")
RTOL = 1e-9


# --------------------------------------------------------------------------- test functions


@dataclass
class Fn:
    """A scalar function of a 1-D tensor: its text, its terms as data (:mod:`grading.probes.ex07` builds it from
    them) and its exact gradient and Hessian (NumPy)."""

    text: str
    terms: list[dict]
    grad: Callable[[np.ndarray], np.ndarray]
    hess: Callable[[np.ndarray], np.ndarray]


def quadratic_form(A: np.ndarray) -> Fn:
    return Fn(
        f"x @ (A @ x), A = {np.array2string(A, precision=3, separator=', ')}",
        [{"kind": "quadratic_form", "A": A}],
        lambda x: (A + A.T) @ x,
        lambda x: A + A.T,
    )


def newton_quadratic(A: np.ndarray, b: np.ndarray) -> Fn:
    return Fn(
        f"0.5 * x @ (A @ x) - b @ x, A symmetric positive definite {A.shape}",
        [{"kind": "newton_quadratic", "A": A, "b": b}],
        lambda x: A @ x - b,
        lambda x: A,
    )


def sum_sin(B: np.ndarray) -> Fn:
    return Fn(
        f"(B @ x).sin().sum(), B {B.shape}",
        [{"kind": "sum_sin", "B": B}],
        lambda x: B.T @ np.cos(B @ x),
        lambda x: -B.T @ np.diag(np.sin(B @ x)) @ B,
    )


def sum_tanh_squared(B: np.ndarray) -> Fn:
    def hess(x: np.ndarray) -> np.ndarray:
        t = np.tanh(B @ x)
        # d2/dz2 tanh(z)^2 = 2 (1 - t^2)(1 - 3 t^2)
        return B.T @ np.diag(2 * (1 - t * t) * (1 - 3 * t * t)) @ B

    return Fn(
        f"((B @ x).tanh() ** 2).sum(), B {B.shape}",
        [{"kind": "sum_tanh_squared", "B": B}],
        lambda x: B.T @ (2 * np.tanh(B @ x) * (1 - np.tanh(B @ x) ** 2)),
        hess,
    )


def sum_exp(c: np.ndarray, scale: float = 1.0) -> Fn:
    return Fn(
        f"{scale:g} * (c * x).exp().sum(), c = {np.array2string(c, precision=3, separator=', ')}",
        [{"kind": "sum_exp", "c": c, "scale": scale}],
        lambda x: scale * c * np.exp(c * x),
        lambda x: np.diag(scale * c * c * np.exp(c * x)),
    )


def logsumexp_fn(n: int) -> Fn:
    def softmax(x: np.ndarray) -> np.ndarray:
        e = np.exp(x - x.max())
        return e / e.sum()

    return Fn(
        "x.logsumexp()",
        [{"kind": "logsumexp"}],
        softmax,
        lambda x: np.diag(softmax(x)) - np.outer(softmax(x), softmax(x)),
    )


def cubic(scale: float = 1.0) -> Fn:
    return Fn(
        f"{scale:g} * (x * x * x).sum()",
        [{"kind": "cubic", "scale": scale}],
        lambda x: 3 * scale * x * x,
        lambda x: np.diag(6 * scale * x),
    )


def linear(c: np.ndarray) -> Fn:
    return Fn(
        f"(c * x).sum() (linear: the Hessian is zero), c = {np.array2string(c, precision=3, separator=', ')}",
        [{"kind": "linear", "c": c}],
        lambda x: c.copy(),
        lambda x: np.zeros((c.size, c.size)),
    )


def rosenbrock_fn() -> Fn:
    def grad(x: np.ndarray) -> np.ndarray:
        return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])

    def hess(x: np.ndarray) -> np.ndarray:
        return np.array([[2 - 400 * (x[1] - x[0] ** 2) + 800 * x[0] ** 2, -400 * x[0]], [-400 * x[0], 200.0]])

    return Fn("rosenbrock(x) = (1 - x[0])**2 + 100 * (x[1] - x[0]**2)**2", [{"kind": "rosenbrock"}], grad, hess)


def plus(*fns: Fn) -> Fn:
    return Fn(
        " + ".join(fn.text for fn in fns),
        [term for fn in fns for term in fn.terms],
        lambda x: sum(fn.grad(x) for fn in fns),
        lambda x: sum(fn.hess(x) for fn in fns),
    )


def random_fn(rng, n: int) -> Fn:
    """A sum of two or three random terms of the family."""
    makers = [
        lambda: quadratic_form(np.array([[rng.uniform(-2, 2) for _ in range(n)] for _ in range(n)])),
        lambda: sum_sin(np.array([[rng.gauss(0, 1) for _ in range(n)] for _ in range(rng.randint(1, n + 2))])),
        lambda: sum_tanh_squared(np.array([[rng.gauss(0, 1) for _ in range(n)] for _ in range(rng.randint(1, n + 2))])),
        lambda: sum_exp(np.array([rng.uniform(-1, 1) for _ in range(n)]), rng.choice([0.5, 1.0, 3.0])),
        lambda: logsumexp_fn(n),
        lambda: cubic(rng.choice([0.1, 1.0])),
    ]
    return plus(*[rng.choice(makers)() for _ in range(rng.randint(2, 3))])


def _vec(rng, n: int, scale: float = 1.0) -> np.ndarray:
    return np.array([scale * rng.uniform(-1, 1) for _ in range(n)])


def _show(a: Any) -> str:
    return np.array2string(np.asarray(a, dtype=float), precision=10, separator=", ", max_line_width=200)


def _as_array(reply: dict, shape: tuple) -> tuple[np.ndarray | None, str | None]:
    """The student's result (as :func:`grading.probes.ex07.as_array` read it) as a float array of ``shape``, or
    why it cannot be one."""
    if "array" not in reply:
        return None, f"expected a tensor of shape {shape}, got {reply['kind']}"
    array = reply["array"]
    if array.shape != shape:
        return None, f"expected a tensor of shape {shape}, got shape {array.shape}"
    return array, None


def _first_difference(actual: np.ndarray, expected: np.ndarray, scale: np.ndarray, rtol: float = RTOL) -> str | None:
    bad = np.abs(actual - expected) > rtol * (np.abs(expected) + scale) + 1e-300
    if not (bad.any() or np.isnan(actual).any()):
        return None
    i = int(np.argmax(bad | np.isnan(actual)))
    return f"entry {i}: expected {expected[i]:.12g}, got {actual[i]:.12g}"


# --------------------------------------------------------------------------- parts 1 and 2: HVPs


def hvp_case(
    t: Tester,
    name: str,
    fn: Fn,
    x: np.ndarray,
    v: np.ndarray,
    *,
    what: str | None = None,
    mode: bool = False,
    weight: float = 1.0,
) -> Case:
    """``name`` (hvp or hvp_reverse) against the reference's, the exact Hessian and central differences.
    With ``mode``, the check is about how f is evaluated (forward mode for hvp, not for hvp_reverse)."""

    def run() -> Verdict:
        reply = t.probe("hvp", name=name, terms=fn.terms, x=x, v=v)
        modes = reply["modes"]
        n = x.size
        expected = t.expect("hvp", name=name, terms=fn.terms, x=x, v=v)["result"]["array"]
        H = fn.hess(x)
        scale = np.abs(H) @ np.abs(v)
        expected_text = _show(expected)
        actual, problem = _as_array(reply["result"], (n,))
        actual_text = problem or _show(actual)
        if actual is not None:
            problem = _first_difference(actual, expected, scale)
        if problem is None and mode:
            forward = any(modes)
            if name == "hvp" and not forward:
                problem = (
                    "f was never evaluated inside forward mode: compute the HVP as "
                    "minitorch.jvp(minitorch.grad(f), [x], [v])"
                )
            if name == "hvp_reverse" and (forward or not modes):
                problem = (
                    "f was evaluated inside forward mode (minitorch.jvp): this part asks for two reverse passes"
                    if forward
                    else "f was never called"
                )
            expected_text += "  (forward mode: yes)" if name == "hvp" else "  (forward mode: no)"
            actual_text += f"  (forward mode: {'yes' if forward else 'no'})"
        exact = H @ v
        h = 1e-6 * max(1.0, float(np.abs(x).max()))
        above, below = t.expect("gradients", terms=fn.terms, points=[x + h * v, x - h * v])
        central = (above - below) / (2 * h)
        warning = None
        if _first_difference(expected, exact, scale, rtol=1e-8):
            warning = f"reference {name} {_show(expected)} but the exact H v is {_show(exact)}"
        elif np.any(np.abs(central - exact) > 1e-4 * (np.abs(exact) + scale + 1e-3)):
            warning = f"exact H v {_show(exact)} but central differences of the gradient give {_show(central)}"
        note = f"exact H v: {_show(exact)}; central differences of the gradient along v: {_show(central)}"
        return Verdict(problem is None, expected_text, actual_text, detail=problem, note=note, grader_warning=warning)

    label = what or f"{name}(f, x, v) for f = {fn.text}"
    return Case(label, run, input=f"f(x) = {fn.text}\nx = {_show(x)}\nv = {_show(v)}", weight=weight)


HVP_HINT = "return minitorch.jvp(minitorch.grad(f), [x], [v])[1]: the tangent of the gradient along v, not its value."
HVP_REVERSE_HINT = (
    "x = x.detach().requires_grad_(); (g,) = minitorch.autograd_grad(f(x), x, create_graph=True); "
    "s = (g * v).sum(); if s does not require grad, return zeros; else "
    "(hv,) = minitorch.autograd_grad(s, x) and return hv."
)


def _hvp_cases(t: Tester, name: str):
    if not t.hidden:
        A = np.array([[2.0, 1.0, 0.0, -1.0], [-1.0, 3.0, 0.5, 0.0], [0.0, 2.0, 1.0, 1.0], [0.5, 0.0, -2.0, 1.0]])
        yield hvp_case(
            t,
            name,
            quadratic_form(A),
            np.array([0.5, -1.0, 2.0, 0.3]),
            np.array([1.0, 0.0, -1.0, 2.0]),
            what=f"{name}(x @ (A @ x), x, v) with a non-symmetric A: (A + A^T) v",
        )
        yield hvp_case(t, name, rosenbrock_fn(), np.array([-1.2, 1.0]), np.array([1.0, 0.0]))
        yield hvp_case(t, name, rosenbrock_fn(), np.array([-1.2, 1.0]), np.array([0.3, -0.7]))
        B = np.array([[0.5, -1.0, 0.3], [1.2, 0.4, -0.8], [-0.3, 0.9, 1.1], [0.7, 0.2, 0.6]])
        yield hvp_case(t, name, sum_tanh_squared(B), np.array([0.2, -0.5, 0.9]), np.array([1.0, 2.0, -1.0]))
        if name == "hvp_reverse":
            yield hvp_case(
                t,
                name,
                linear(np.array([1.0, -2.0, 3.0])),
                np.array([0.1, 0.2, 0.3]),
                np.array([1.0, 1.0, 1.0]),
                what="hvp_reverse of a linear function: zeros",
            )
        mode = "forward mode" if name == "hvp" else "two reverse passes, no forward mode"
        yield hvp_case(
            t,
            name,
            sum_sin(B),
            np.array([0.4, 0.1, -0.7]),
            np.array([0.5, -1.0, 0.25]),
            mode=True,
            weight=2.0,
            what=f"{name} is computed by {mode}",
        )
        return
    for i in range(5):
        n = t.rng.randint(2, 7)
        fn = random_fn(t.rng, n)
        yield hvp_case(t, name, fn, _vec(t.rng, n), _vec(t.rng, n, 2.0), what=f"random function #{i + 1}: {fn.text}")
    n = 3
    if name == "hvp":
        yield hvp_case(
            t,
            name,
            linear(np.array([0.5, -1.0, 2.0])),
            _vec(t.rng, n),
            _vec(t.rng, n),
            what="hvp of a linear function: zeros",
        )
    yield hvp_case(t, name, logsumexp_fn(5), _vec(t.rng, 5, 3.0), _vec(t.rng, 5), what=f"{name}(x.logsumexp(), x, v)")
    yield hvp_case(
        t,
        name,
        sum_exp(np.array([1.0, 2.0, -1.5]), 1e4),
        np.array([2.0, 1.5, -3.0]),
        np.array([1.0, -1.0, 0.5]),
        what="large values: 1e4 * (c * x).exp().sum()",
    )
    yield hvp_case(
        t,
        name,
        plus(cubic(), sum_sin(np.array([[1.0, -1.0], [0.5, 2.0]]))),
        np.array([0.3, -0.2]),
        np.array([0.0, 0.0]),
        what=f"{name} along v = 0: zeros",
    )
    yield hvp_case(
        t,
        name,
        random_fn(t.rng, 4),
        _vec(t.rng, 4),
        _vec(t.rng, 4),
        mode=True,
        what=f"{name}: how it is computed, on a random function",
    )


@EXERCISE.part("hvp", points=2, title="hvp: forward-over-reverse", needs=("hvp",), forbidden=FORBIDDEN, hint=HVP_HINT)
def hvp(t: Tester):
    yield from _hvp_cases(t, "hvp")


@EXERCISE.part(
    "hvp_reverse",
    points=2,
    title="hvp_reverse: reverse-over-reverse",
    needs=("hvp_reverse",),
    forbidden=FORBIDDEN,
    hint=HVP_REVERSE_HINT,
)
def hvp_reverse(t: Tester):
    yield from _hvp_cases(t, "hvp_reverse")


# --------------------------------------------------------------------------- part 3: newton_step

NEWTON_HINT = (
    "Column j of the Hessian is hvp(f, x, e_j) (e_j = minitorch.tensor(np.eye(n)[j])); stack the columns, "
    "take g = minitorch.grad(f)(x), solve H d = -g with np.linalg.solve and return "
    "minitorch.tensor(x + d)."
)


def newton_case(t: Tester, what: str, fn: Fn, x: np.ndarray, *, iterations: int = 1) -> Case:
    def run() -> Verdict:
        actual, problem = _as_array(
            t.probe("newton", terms=fn.terms, x=x, iterations=iterations, allow=P.HVP_STANDIN), x.shape
        )
        if problem:
            return Verdict(False, f"a tensor of shape {x.shape}", problem, detail=problem)
        expected = t.expect("newton", terms=fn.terms, x=x, iterations=iterations)["array"]
        # The exact step, and the size of its terms: |x| + |H^{-1}| |g| (times the condition number of H).
        exact, z = x.copy(), x.copy()
        scale = np.zeros_like(x)
        for _ in range(iterations):
            H, g = fn.hess(z), fn.grad(z)
            d = np.linalg.solve(H, g)
            scale = np.maximum(scale, np.abs(z) + np.abs(d) * np.linalg.cond(H))
            z = z - d
        exact = z
        problem = _first_difference(actual, expected, scale, rtol=1e-10)
        warning = None
        if _first_difference(expected, exact, scale, rtol=1e-8):
            warning = f"reference step {_show(expected)} but the exact Newton step gives {_show(exact)}"
        return Verdict(
            problem is None,
            _show(expected),
            _show(actual),
            detail=problem,
            note=f"exact x - H^(-1) grad f(x): {_show(exact)}",
            grader_warning=warning,
        )

    label = what if iterations == 1 else f"{what} ({iterations} steps)"
    return Case(label, run, input=f"f(x) = {fn.text}\nx = {_show(x)}")


def _spd(rng, n: int) -> np.ndarray:
    M = np.array([[rng.gauss(0, 1) for _ in range(n)] for _ in range(n)])
    return M @ M.T + n * np.eye(n)


@EXERCISE.part(
    "newton",
    points=2,
    title="newton_step: a Newton step from n HVPs",
    needs=("newton_step",),
    forbidden=FORBIDDEN,
    hint=NEWTON_HINT,
)
def newton(t: Tester):
    if not t.hidden:
        A = np.array([[4.0, 1.0, 0.5, 0.0], [1.0, 3.0, 0.0, 0.2], [0.5, 0.0, 2.0, -0.3], [0.0, 0.2, -0.3, 1.5]])
        b = np.array([1.0, -2.0, 0.5, 3.0])
        yield newton_case(
            t,
            "a quadratic: one step lands on the minimum A^-1 b",
            newton_quadratic(A, b),
            np.array([10.0, -3.0, 2.0, 0.5]),
        )
        yield newton_case(t, "rosenbrock from (-1.2, 1)", rosenbrock_fn(), np.array([-1.2, 1.0]))
        B = np.array([[0.8, -0.4], [0.3, 1.1], [-0.6, 0.5]])
        yield newton_case(
            t,
            "a strictly convex function",
            plus(sum_exp(np.array([0.7, -0.4])), logsumexp_fn(2)),
            np.array([0.5, -1.0]),
        )
        yield newton_case(
            t,
            "(B @ x).tanh()**2 summed, plus a quadratic",
            plus(sum_tanh_squared(B), newton_quadratic(np.diag([2.0, 3.0]), np.array([0.5, 0.1]))),
            np.array([0.3, 0.2]),
        )
        return
    for i in range(3):
        n = t.rng.randint(2, 6)
        A = _spd(t.rng, n)
        fn = plus(newton_quadratic(A, _vec(t.rng, n)), sum_exp(_vec(t.rng, n), 0.5))
        yield newton_case(t, f"random strictly convex function #{i + 1} (n = {n})", fn, _vec(t.rng, n, 2.0))
    yield newton_case(t, "rosenbrock from (-1.2, 1)", rosenbrock_fn(), np.array([-1.2, 1.0]), iterations=6)
    yield newton_case(t, "rosenbrock from (2, 2)", rosenbrock_fn(), np.array([2.0, 2.0]))
    n = 5
    A = _spd(t.rng, n)
    yield newton_case(
        t, "a quadratic in 5 dimensions, from far away", newton_quadratic(A, _vec(t.rng, n)), _vec(t.rng, n, 1e3)
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


def unrolled_case(t: Tester, what: str, data: Ridge, lam: float, steps: int, lr: float | None = None) -> Case:
    lr = data.lr(lam) if lr is None else lr

    def run() -> Verdict:
        arguments = {"name": "hypergradient_unrolled", "arrays": data.args(), "numbers": [lam, steps, lr]}
        actual = t.probe("hypergradient", **arguments)
        expected = t.expect("hypergradient", **arguments)["float"]
        h = 1e-5 * max(1.0, lam)
        central = (data.val(data.unrolled(lam + h, steps, lr)) - data.val(data.unrolled(lam - h, steps, lr))) / (2 * h)
        # Rounding grows with the number of steps; the terms are of the size of the validation loss's slope.
        scale = 1e-3 * abs(central) + 1e-12 * data.val(data.unrolled(lam, steps, lr))
        return _hypergradient_verdict(
            actual, expected, scale, central, "central difference of the unrolled validation loss", rtol=1e-8
        )

    return Case(what, run, input=f"{data.text}\nlam = {lam:g}, steps = {steps}, lr = {lr:.6g}")


def implicit_case(t: Tester, what: str, data: Ridge, lam: float) -> Case:
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
        h = 1e-5 * max(1.0, lam)
        central = (data.val(data.solution(lam + h)) - data.val(data.solution(lam - h))) / (2 * h)
        return _hypergradient_verdict(
            actual,
            expected,
            scale,
            central,
            "central difference of the closed-form solution's validation loss",
            rtol=1e-10,
        )

    return Case(what, run, input=f"{data.text}\nlam = {lam:g}")


UNROLLED_HINT = (
    "lam = minitorch.tensor(lam, requires_grad=True); w = minitorch.zeros(d, requires_grad=True); each "
    "step: (g,) = minitorch.autograd_grad(train_loss(w, lam, X, y), w, create_graph=True); "
    "w = w - lr * g; then the gradient of val_loss(w, X_val, y_val) with respect to lam, as a float."
)
IMPLICIT_HINT = (
    "w = ridge_solution(X, y, lam); dw/dlam = -np.linalg.solve(X.T @ X + lam * I, w); return "
    "float((2 * X_val.T @ (X_val @ w - y_val)) @ dw/dlam)."
)


@EXERCISE.part(
    "unrolled",
    points=2,
    title="hypergradient_unrolled: differentiating through K steps",
    needs=("hypergradient_unrolled",),
    hint=UNROLLED_HINT,
)
def unrolled(t: Tester):
    if not t.hidden:
        yield unrolled_case(t, "5 steps on a 30x4 problem, lam = 2", ridge(0, 30, 4), 2.0, 5)
        yield unrolled_case(t, "20 steps, lam = 0.5", ridge(1, 20, 3), 0.5, 20)
        yield unrolled_case(t, "one step from w = 0: lam does not matter yet (0.0)", ridge(2, 10, 3), 1.0, 1)
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
    yield unrolled_case(t, "lam = 0", ridge(3, 15, 3), 0.0, 8)
    yield unrolled_case(t, "more features than examples (8x12), lam = 5", ridge(4, 8, 12), 5.0, 10)
    yield unrolled_case(t, "20 steps on a 30x4 problem", ridge(5, 30, 4), 2.0, 20)


@EXERCISE.part(
    "implicit",
    points=2,
    title="hypergradient_implicit: the implicit-function theorem",
    needs=("hypergradient_implicit",),
    hint=IMPLICIT_HINT,
)
def implicit(t: Tester):
    if not t.hidden:
        yield implicit_case(t, "a 30x4 problem, lam = 2", ridge(0, 30, 4), 2.0)
        yield implicit_case(t, "lam = 0 (X^T X is invertible)", ridge(1, 20, 3), 0.0)
        yield implicit_case(t, "more features than examples (6x10), lam = 1", ridge(2, 6, 10), 1.0)
        return
    for i in range(4):
        n, d = t.rng.randint(3, 40), t.rng.randint(1, 8)
        lam = t.rng.choice([0.01, 0.5, 2.0, 10.0])
        data = ridge(t.rng.randint(0, 10_000), n, d)
        yield implicit_case(t, f"random problem #{i + 1}: {n}x{d}, lam = {lam:g}", data, lam)
    yield implicit_case(t, "strong regularisation, lam = 1000", ridge(6, 20, 5), 1000.0)
    yield implicit_case(t, "one feature", ridge(7, 12, 1), 0.3)
    yield implicit_case(t, "noise-free data", ridge(8, 25, 4, noise=0.0), 0.7)
