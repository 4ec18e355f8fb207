"""Correct alternatives for exercise 8 (each must keep full marks) and cheats (each must be caught)."""

from .. import ReplaceSolution, alternative, cheat
from .cells import ABS, CHECK, LASSO, MAX, METHOD, RELU, SUBDIFFERENTIAL, E

OTHERS = [
    alternative(
        "other_conventions_and_formulas",
        E,
        "a table for the subdifferential; np.heaviside and masks for the slopes; 'first' by argmax; the central "
        "difference computed directly; +1 at the lasso's kinks; a 0-based loop with c / sqrt(k + 1)",
        ReplaceSolution(
            SUBDIFFERENTIAL,
            """
            slopes = {"relu": (0.0, 1.0), "abs": (-1.0, 1.0)}
            if kind not in slopes:
                raise ValueError(f"unknown kind {kind!r}")
            left, right = slopes[kind]
            if x > 0:
                return (right, right)
            if x < 0:
                return (left, left)
            return (left, right)
            """,
        ),
        ReplaceSolution(
            RELU,
            """
            if not 0.0 <= at_kink <= 1.0:
                raise ValueError("at_kink must lie in [0, 1]")
            return (g * np.heaviside(x, at_kink)).astype(x.dtype)
            """,
        ),
        ReplaceSolution(
            ABS,
            """
            if abs(at_kink) > 1:
                raise ValueError("at_kink must lie in [-1, 1]")
            slope = np.where(x == 0, at_kink, np.sign(x))
            return (g * slope).astype(x.dtype)
            """,
        ),
        ReplaceSolution(
            MAX,
            """
            if ties == "split":
                m = x.max(axis=axis, keepdims=True)
                mask = (x == m).astype(x.dtype)
                return mask / mask.sum(axis=axis, keepdims=True) * g.reshape(m.shape)
            if ties != "first":
                raise ValueError(f"unknown ties {ties!r}")
            out = np.zeros_like(x)
            if axis is None:
                out.reshape(-1)[np.argmax(x)] = g
                return out
            index = np.expand_dims(np.argmax(x, axis=axis), axis)
            np.put_along_axis(out, index, np.expand_dims(g, axis), axis=axis)
            return out
            """,
        ),
        ReplaceSolution(
            CHECK,
            """
            x64 = x.astype(np.float64)
            claimed = np.asarray(gradient, dtype=np.float64).ravel()
            center = f(x64)
            verdicts = []
            for j, c in enumerate(claimed):
                e = np.zeros_like(x64)
                e.flat[j] = eps
                up, down = f(x64 + e), f(x64 - e)
                right, left = (up - center) / eps, (center - down) / eps
                tol = atol + rtol * max(abs(left), abs(right))
                if abs(right - left) <= tol:
                    verdicts.append("ok" if abs(c - (up - down) / (2 * eps)) <= tol else "wrong")
                elif min(left, right) - tol <= c <= max(left, right) + tol:
                    verdicts.append("kink")
                else:
                    verdicts.append("wrong")
            return verdicts
            """,
        ),
        ReplaceSolution(LASSO, "return X.T @ (X @ w - y) / len(y) + lam * np.where(w >= 0, 1.0, -1.0)"),
        ReplaceSolution(
            METHOD,
            """
            w = np.zeros(X.shape[1])
            values = [lasso_objective(w, X, y, lam)]
            points = [w]
            for k in range(steps):
                w = w - c / np.sqrt(k + 1) * lasso_subgradient(w, X, y, lam)
                points.append(w)
                values.append(lasso_objective(w, X, y, lam))
            best = int(np.argmin(values))
            return points[best], values[best]
            """,
        ),
    ),
    alternative(
        "minimal_norm_lasso_subgradient",
        E,
        "at w_j = 0 the lasso subgradient of smallest size: the smooth part clipped to [-lam, lam] and cancelled",
        ReplaceSolution(
            LASSO,
            """
            smooth = X.T @ (X @ w - y) / len(y)
            return smooth + np.where(w != 0, lam * np.sign(w), np.clip(-smooth, -lam, lam))
            """,
        ),
    ),
    cheat(
        "relu_vjp_by_minitorch_grad",
        E,
        "relu_vjp by minitorch.grad of relu under subgradient_policy",
        {"relu_vjp"},
        ReplaceSolution(
            RELU,
            """
            import minitorch

            with minitorch.subgradient_policy(relu=at_kink):
                slope = minitorch.grad(lambda v: minitorch.relu(v).sum())(minitorch.tensor(x)).numpy()
            return (g * slope).astype(x.dtype)
            """,
        ),
    ),
    cheat(
        "lasso_subgradient_by_minitorch_grad",
        E,
        "lasso_subgradient by minitorch.grad of the objective (abs gives sign(0) = 0)",
        {"lasso_subgradient"},
        ReplaceSolution(
            LASSO,
            """
            import minitorch

            Xt, yt = minitorch.tensor(X), minitorch.tensor(y)

            def objective(v):
                r = Xt @ v - yt
                return (r * r).sum() / (2 * len(y)) + lam * v.abs().sum()

            return minitorch.grad(objective)(minitorch.tensor(np.asarray(w, dtype=np.float64))).numpy()
            """,
        ),
    ),
]
