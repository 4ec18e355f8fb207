"""What the parts of exercise 7 share: the exercise, the test functions (with exact gradients and Hessians) and
how results are read and compared."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...core import ExerciseSpec

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
    if reply["kind"] != "Tensor":
        return None, f"expected a minitorch Tensor of shape {shape}, got a {reply['kind']} (wrap it: minitorch.tensor)"
    if array.shape != shape:
        return None, f"expected a tensor of shape {shape}, got shape {array.shape}"
    return array, None


def _inplace(reply: dict, name: str) -> str | None:
    """Why the student's call changed its arguments (None if it did not)."""
    if not reply.get("modified"):
        return None
    return (
        f"{name} changed {' and '.join(reply['modified'])} in place (its values, or requires_grad): work on a "
        "copy or a detached tensor (x.detach()), never on the caller's tensor"
    )


def _first_difference(actual: np.ndarray, expected: np.ndarray, scale: np.ndarray, rtol: float = RTOL) -> str | None:
    bad = np.abs(actual - expected) > rtol * (np.abs(expected) + scale) + 1e-300
    if not (bad.any() or np.isnan(actual).any()):
        return None
    i = int(np.argmax(bad | np.isnan(actual)))
    return f"entry {i}: expected {expected[i]:.12g}, got {actual[i]:.12g}"
