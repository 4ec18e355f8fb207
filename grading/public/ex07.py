"""Exercise 7's public reference: minitorch's ``hvp``, ``hessian`` and ``grad`` (nested), and forward mode
(``minitorch.jvp``) through the unrolled descent, behind the notebook's functions."""

from __future__ import annotations

from typing import Any

import numpy as np

import minitorch

from ..probes.ex07 import hvp_standin


def newton_step(f: Any, x: minitorch.Tensor) -> minitorch.Tensor:
    """x - H^{-1} grad f(x), with minitorch's Hessian and gradient."""
    point = x.detach()
    step = np.linalg.solve(minitorch.hessian(f)(point).numpy(), minitorch.grad(f)(point).numpy())
    return minitorch.tensor(point.numpy() - step)


def define(namespace: dict) -> dict[str, Any]:
    def hypergradient_unrolled(X, y, X_val, y_val, lam: float, steps: int, lr: float) -> float:
        """d val_loss(w_K) / d lam by forward mode over the K descent steps (each gradient by minitorch.grad)."""
        X, y, X_val, y_val = map(minitorch.tensor, (X, y, X_val, y_val))
        train_gradient = minitorch.grad(namespace["train_loss"])

        def validation_after_descent(lam: minitorch.Tensor) -> minitorch.Tensor:
            w = minitorch.zeros(X.shape[1])
            for _ in range(steps):
                w = w - lr * train_gradient(w, lam, X, y)
            return namespace["val_loss"](w, X_val, y_val)

        _, tangent = minitorch.jvp(validation_after_descent, [minitorch.tensor(float(lam))], [minitorch.tensor(1.0)])
        return float(tangent.item())

    def hypergradient_implicit(X, y, X_val, y_val, lam: float) -> float:
        """d val_loss(w*(lam)) / d lam = -grad_w val^T H^{-1} d(grad_w train)/d lam, each term by minitorch."""
        w_star = minitorch.tensor(namespace["ridge_solution"](X, y, lam))
        Xt, yt, lam_t = minitorch.tensor(X), minitorch.tensor(y), minitorch.tensor(float(lam))
        train_loss = namespace["train_loss"]
        hessian = minitorch.hessian(lambda w: train_loss(w, lam_t, Xt, yt))(w_star).numpy()
        mixed = minitorch.jacobian(lambda weight: minitorch.grad(train_loss)(w_star, weight, Xt, yt))(lam_t).numpy()
        validation = minitorch.grad(namespace["val_loss"])(w_star, minitorch.tensor(X_val), minitorch.tensor(y_val))
        return float(-validation.numpy() @ np.linalg.solve(hessian, mixed))

    return {
        "hvp": hvp_standin,
        "hvp_reverse": hvp_standin,
        "newton_step": newton_step,
        "hypergradient_unrolled": hypergradient_unrolled,
        "hypergradient_implicit": hypergradient_implicit,
    }
