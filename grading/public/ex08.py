"""Exercise 8's public reference: minitorch's ReLU, ``abs`` and ``max`` under its subgradient policy
(``minitorch.subgradient_policy``) for the VJPs at kinks, the grader's stand-ins for the subdifferential and the
lasso's subgradient (:mod:`grading.probes.ex08`). minitorch has no one-sided gradient check nor subgradient
method: those two follow the procedures the notebook states, formula by formula (so the student edition
holds a working version of those two parts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import minitorch

from ..probes.ex08 import STANDINS


def subdifferential(kind: str, x: float) -> tuple[float, float]:
    if kind not in ("relu", "abs"):
        raise ValueError(f"subdifferential: no function {kind!r} (relu and abs have kinks here)")
    return STANDINS["subdifferential"](kind, float(x))


def _vjp(operation: Callable, x: np.ndarray, g: Any, policy: dict, **kwargs: Any) -> np.ndarray:
    """The gradient that minitorch's ``operation`` sends to x from g, under the subgradient ``policy``."""
    with minitorch.subgradient_policy(**policy):
        leaf = minitorch.tensor(np.array(x, dtype=np.float64), requires_grad=True)
        operation(leaf, **kwargs).backward(minitorch.tensor(np.array(g, dtype=np.float64)))
    return leaf.grad.numpy().astype(np.asarray(x).dtype)


def relu_vjp(x: np.ndarray, g: np.ndarray, at_kink: float = 0.0) -> np.ndarray:
    return _vjp(minitorch.relu, x, g, {"relu": at_kink})


def abs_vjp(x: np.ndarray, g: np.ndarray, at_kink: float = 0.0) -> np.ndarray:
    return _vjp(minitorch.abs, x, g, {"abs": at_kink})


def max_vjp(x: np.ndarray, g: np.ndarray, axis: int | None = None, ties: str = "split") -> np.ndarray:
    return _vjp(minitorch.max, x, g, {"max": ties}, axis=axis)


def check_gradient(
    f: Callable, x: np.ndarray, gradient: np.ndarray, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3
) -> list[str]:
    """The notebook's rule: one-sided differences agree (within tol) -> compare with their mean; else the
    gradient must lie between them (within tol)."""
    point = np.array(x, dtype=np.float64)
    claims = np.asarray(gradient, dtype=np.float64).ravel()
    value = float(f(point))
    verdicts = []
    for j, claim in enumerate(claims):
        unit = np.zeros(point.size)
        unit[j] = eps
        slopes = ((float(f(point + unit.reshape(point.shape))) - value) / eps,)
        slopes += ((value - float(f(point - unit.reshape(point.shape)))) / eps,)
        tol = atol + rtol * max(map(abs, slopes))
        if abs(slopes[0] - slopes[1]) <= tol:
            verdicts.append("ok" if abs(claim - sum(slopes) / 2) <= tol else "wrong")
        else:
            verdicts.append("kink" if min(slopes) - tol <= claim <= max(slopes) + tol else "wrong")
    return verdicts


def define(namespace: dict) -> dict[str, Any]:
    def subgradient_method(X: np.ndarray, y: np.ndarray, lam: float, steps: int, c: float) -> tuple:
        """w_{k+1} = w_k - c / sqrt(k) z_k from w_1 = 0; the best of w_1 ... w_{K+1} and its objective."""
        objective, subgradient = namespace["lasso_objective"], namespace["lasso_subgradient"]
        w = np.zeros(X.shape[1])
        best = (w, objective(w, X, y, lam))
        for step in range(steps):
            w = w - c / np.sqrt(step + 1) * subgradient(w, X, y, lam)
            if objective(w, X, y, lam) < best[1]:
                best = (w, objective(w, X, y, lam))
        return best

    return {
        "subdifferential": subdifferential,
        "relu_vjp": relu_vjp,
        "abs_vjp": abs_vjp,
        "max_vjp": max_vjp,
        "check_gradient": check_gradient,
        "lasso_subgradient": STANDINS["lasso_subgradient"],
        "subgradient_method": subgradient_method,
    }
