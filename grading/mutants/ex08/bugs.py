"""Plausible wrong submissions for exercise 8 (non-smooth functions): each must lose points."""

from .. import Edit, ReplaceSolution, bug
from .cells import ABS, CHECK, LASSO, MAX, METHOD, RELU, SUBDIFFERENTIAL, E

BUGS = [
    bug(
        "relu_subdifferential_a_point_at_0",
        E,
        "subdifferential('relu', 0) is (0, 0): the kink taken as part of the flat piece",
        {"subdifferential"},
        Edit(
            SUBDIFFERENTIAL,
            "return (0.0, 1.0) if x == 0 else ((1.0, 1.0) if x > 0 else (0.0, 0.0))",
            "return (1.0, 1.0) if x > 0 else (0.0, 0.0)",
        ),
    ),
    bug(
        "subdifferential_unknown_kind_returns_none",
        E,
        "an unknown kind returns None instead of raising ValueError",
        {"subdifferential"},
        Edit(SUBDIFFERENTIAL, '    raise ValueError(f"subdifferential: kind must be', '    return None  # (f"'),
    ),
    bug(
        "subdifferential_returns_a_list",
        E,
        "subdifferential returns a list [low, high], not the tuple the text asks for",
        {"subdifferential"},
        Edit(
            SUBDIFFERENTIAL,
            "    x = float(x)\n",
            "    x = float(x)\n    return list(_interval(kind, x))\n\n\ndef _interval(kind, x):\n",
        ),
    ),
    bug(
        "relu_vjp_slope_one_at_the_kink",
        E,
        "relu_vjp uses x >= 0 for the slope: 1 at the kink whatever at_kink says",
        {"relu_vjp"},
        Edit(RELU, "np.where(x > 0, 1.0, np.where(x < 0, 0.0, at_kink))", "np.where(x >= 0, 1.0, 0.0)"),
    ),
    bug(
        "relu_vjp_accepts_any_at_kink",
        E,
        "relu_vjp does not check that at_kink lies in [0, 1]",
        {"relu_vjp"},
        Edit(RELU, "    if not low <= at_kink <= high:\n", "    if False:\n"),
    ),
    bug(
        "relu_vjp_float64_result",
        E,
        "relu_vjp returns float64 for float32 inputs (the slope array's dtype wins)",
        {"relu_vjp"},
        Edit(RELU, "return (g * slope).astype(x.dtype)", "return g * slope"),
    ),
    bug(
        "relu_vjp_scales_g_in_place",
        E,
        "relu_vjp multiplies g in place and returns it",
        {"relu_vjp"},
        Edit(RELU, "return (g * slope).astype(x.dtype)", "g *= slope.astype(g.dtype)\n    return g"),
    ),
    bug(
        "abs_vjp_jax_rule_always",
        E,
        "abs_vjp uses JAX's rule (+1 at 0) whatever at_kink says",
        {"abs_vjp"},
        Edit(ABS, "np.where(x > 0, 1.0, np.where(x < 0, -1.0, at_kink))", "np.where(x >= 0, 1.0, -1.0)"),
    ),
    bug(
        "abs_vjp_sign_ignores_at_kink",
        E,
        "abs_vjp uses np.sign(x): the default 0 at the kink, but at_kink is ignored",
        {"abs_vjp"},
        Edit(ABS, "np.where(x > 0, 1.0, np.where(x < 0, -1.0, at_kink))", "np.sign(x)"),
    ),
    bug(
        "abs_vjp_relu_interval",
        E,
        "abs_vjp validates at_kink against [0, 1] (the ReLU's subdifferential)",
        {"abs_vjp"},
        Edit(ABS, 'low, high = subdifferential("abs", 0.0)', 'low, high = subdifferential("relu", 0.0)'),
    ),
    bug(
        "max_split_gives_every_tie_all_of_g",
        E,
        "ties='split' sends all of g to every tied maximum (the shares sum to k, not 1)",
        {"max_vjp"},
        Edit(MAX, "share = is_max / np.sum(is_max, axis=axis, keepdims=True)", "share = is_max"),
    ),
    bug(
        "max_first_is_the_last",
        E,
        "ties='first' keeps the last tied maximum",
        {"max_vjp"},
        Edit(
            MAX,
            "share = is_max & (seen.reshape(x.shape) == 1)",
            "share = is_max & (seen.reshape(x.shape) == np.sum(is_max, axis=axis, keepdims=True))",
        ),
    ),
    bug(
        "max_split_counts_ties_over_all_axes",
        E,
        "ties='split' divides by the number of maxima in the whole array, not in each slice",
        {"max_vjp"},
        Edit(MAX, "share = is_max / np.sum(is_max, axis=axis, keepdims=True)", "share = is_max / np.sum(is_max)"),
    ),
    bug(
        "check_gradient_flags_kinks",
        E,
        "check_gradient compares with the central difference only: a correct rule at a kink is 'wrong'",
        {"check_gradient"},
        ReplaceSolution(
            CHECK,
            """
            x = np.array(x, dtype=np.float64)
            claimed = np.asarray(gradient, dtype=np.float64).reshape(-1)
            verdicts = []
            for j in range(x.size):
                step = np.zeros(x.size)
                step[j] = eps
                step = step.reshape(x.shape)
                central = (float(f(x + step)) - float(f(x - step))) / (2 * eps)
                ok = abs(claimed[j] - central) <= atol + rtol * abs(central)
                verdicts.append("ok" if ok else "wrong")
            return verdicts
            """,
        ),
    ),
    bug(
        "check_gradient_steps_in_float32",
        E,
        "check_gradient perturbs a copy of x in x's own dtype: in float32 the steps and f's values round",
        {"check_gradient"},
        Edit(CHECK, "    x = np.array(x, dtype=np.float64)\n", "    x = np.array(x)\n"),
        Edit(CHECK, "        step = np.zeros(x.size)\n", "        step = np.zeros(x.size, dtype=x.dtype)\n"),
    ),
    bug(
        "check_gradient_perturbs_x_in_place",
        E,
        "check_gradient adds and subtracts eps in x itself: x comes back changed by round-off",
        {"check_gradient"},
        ReplaceSolution(
            CHECK,
            """
            claimed = np.asarray(gradient, dtype=np.float64).reshape(-1)
            flat = x.reshape(-1)
            at_x = float(f(x))
            verdicts = []
            for j in range(x.size):
                flat[j] += eps
                up = float(f(x))
                flat[j] -= 2 * eps
                down = float(f(x))
                flat[j] += eps
                right, left = (up - at_x) / eps, (at_x - down) / eps
                tol = atol + rtol * max(abs(left), abs(right))
                if abs(right - left) <= tol:
                    verdicts.append("ok" if abs(claimed[j] - (left + right) / 2) <= tol else "wrong")
                else:
                    inside = min(left, right) - tol <= claimed[j] <= max(left, right) + tol
                    verdicts.append("kink" if inside else "wrong")
            return verdicts
            """,
        ),
    ),
    bug(
        "check_gradient_returns_an_array",
        E,
        "check_gradient returns np.array(verdicts), not the list the text asks for",
        {"check_gradient"},
        Edit(CHECK, "    return verdicts", "    return np.array(verdicts)"),
    ),
    bug(
        "lasso_subgradient_without_1_over_n",
        E,
        "the least-squares gradient without the 1/n",
        {"lasso_subgradient"},
        Edit(LASSO, "X.T @ (X @ w - y) / len(y)", "X.T @ (X @ w - y)"),
    ),
    bug(
        "lasso_subgradient_of_the_ridge_penalty",
        E,
        "lam * w (the gradient of a squared penalty) instead of lam * sign(w)",
        {"lasso_subgradient"},
        Edit(LASSO, "lam * np.sign(w)", "lam * w"),
    ),
    bug(
        "subgradient_method_constant_step",
        E,
        "a constant step c: the iterates keep jumping across the kinks and f stalls above its minimum",
        {"subgradient_method"},
        Edit(METHOD, "w = w - c / np.sqrt(k) * lasso_subgradient", "w = w - c * lasso_subgradient"),
    ),
    bug(
        "subgradient_method_best_aliases_w",
        E,
        "w updated in place and the best point kept without a copy: w_best ends as the last iterate",
        {"subgradient_method"},
        Edit(METHOD, "w = w - c / np.sqrt(k) * lasso_subgradient", "w -= c / np.sqrt(k) * lasso_subgradient"),
        Edit(METHOD, "best_w, best_f = w.copy(), value", "best_w, best_f = w, value"),
    ),
    bug(
        "subgradient_method_last_iterate",
        E,
        "returns the last iterate and its value, not the best point seen",
        {"subgradient_method"},
        Edit(METHOD, "    return best_w, best_f", "    return w, lasso_objective(w, X, y, lam)"),
    ),
    bug(
        "subdifferential_kink_by_isclose",
        E,
        "subdifferential finds the kink with np.isclose(x, 0): 1e-300 counts as a kink",
        {"subdifferential"},
        Edit(SUBDIFFERENTIAL, "    x = float(x)\n", "    x = 0.0 if np.isclose(x, 0) else float(x)\n"),
    ),
    bug(
        "relu_vjp_kink_by_isclose",
        E,
        "relu_vjp finds the kinks with np.isclose(x, 0): subnormal numbers get at_kink",
        {"relu_vjp"},
        Edit(RELU, "np.where(x > 0, 1.0, np.where(x < 0, 0.0, at_kink))", "np.where(np.isclose(x, 0), at_kink, x > 0)"),
    ),
    bug(
        "abs_vjp_item_assignment",
        E,
        "abs_vjp sets the kinks by item assignment into np.sign(x): fails for 0-d arrays (a NumPy scalar)",
        {"abs_vjp"},
        ReplaceSolution(
            ABS,
            """
            if not -1.0 <= at_kink <= 1.0:
                raise ValueError("at_kink must lie in [-1, 1]")
            slope = np.sign(x)
            slope[x == 0] = at_kink
            return (g * slope).astype(x.dtype)
            """,
        ),
    ),
    bug(
        "max_keepdims_shape_by_slicing",
        E,
        "the keepdims shape built as x.shape[:axis] + (1,) + x.shape[axis + 1:]: wrong for negative axes",
        {"max_vjp"},
        Edit(
            MAX,
            "    return (share * np.reshape(g, largest.shape)).astype(x.dtype)",
            "    shape = largest.shape if axis is None else x.shape[:axis] + (1,) + x.shape[axis + 1 :]\n"
            "    return (share * np.reshape(g, shape)).astype(x.dtype)",
        ),
    ),
    bug(
        "max_float64_result",
        E,
        "max_vjp returns float64 for float32 inputs (the shares' dtype wins)",
        {"max_vjp"},
        Edit(
            MAX,
            "    return (share * np.reshape(g, largest.shape)).astype(x.dtype)",
            "    return share * np.reshape(g, largest.shape)",
        ),
    ),
    bug(
        "max_ties_by_isclose",
        E,
        "ties found with np.isclose: entries one rounding step apart share the gradient",
        {"max_vjp"},
        Edit(MAX, "is_max = x == largest", "is_max = np.isclose(x, largest)"),
    ),
    bug(
        "check_gradient_nan_is_ok",
        E,
        "the smooth case asks 'is the difference above tol?': a NaN claim is never above, so it is 'ok'",
        {"check_gradient"},
        Edit(
            CHECK,
            'verdicts.append("ok" if abs(claimed[j] - (left + right) / 2) <= tol else "wrong")',
            'verdicts.append("wrong" if abs(claimed[j] - (left + right) / 2) > tol else "ok")',
        ),
    ),
    bug(
        "check_gradient_ignores_eps",
        E,
        "check_gradient steps by 1e-6 whatever eps says",
        {"check_gradient"},
        Edit(CHECK, "        step[j] = eps\n", "        step[j] = 1e-6\n"),
        Edit(CHECK, "right = (float(f(x + step)) - at_x) / eps", "right = (float(f(x + step)) - at_x) / 1e-6"),
        Edit(CHECK, "left = (at_x - float(f(x - step))) / eps", "left = (at_x - float(f(x - step))) / 1e-6"),
    ),
    bug(
        "check_gradient_rows_not_entries",
        E,
        "check_gradient loops over len(x) and steps x[j]: a row at a time for a 2-D x",
        {"check_gradient"},
        Edit(CHECK, "    for j in range(x.size):\n", "    for j in range(len(x)):\n"),
        Edit(
            CHECK,
            "        step = np.zeros(x.size)\n        step[j] = eps\n        step = step.reshape(x.shape)\n",
            "        step = np.zeros_like(x)\n        step[j] = eps\n",
        ),
    ),
    bug(
        "lasso_sign_as_w_over_abs_w",
        E,
        "sign(w) written as w / |w|: NaN at the kinks w_j = 0",
        {"lasso_subgradient"},
        Edit(LASSO, "lam * np.sign(w)", "lam * w / np.abs(w)"),
    ),
    bug(
        "subgradient_method_skips_the_start",
        E,
        "the best point is taken among the steps only: w_1 = 0 is never a candidate (and steps = 0 returns None)",
        {"subgradient_method"},
        Edit(METHOD, "best_w, best_f = w.copy(), lasso_objective(w, X, y, lam)", "best_w, best_f = None, np.inf"),
    ),
    bug(
        "abs_vjp_any_at_kink",
        E,
        "abs_vjp accepts any at_kink, also one outside [-1, 1], which is no subgradient of |x| at 0",
        {"abs_vjp"},
        Edit(ABS, "if not low <= at_kink <= high:", "if False:"),
    ),
    bug(
        "max_vjp_any_other_ties_first",
        E,
        "max_vjp takes any ties other than 'split' as 'first' instead of raising ValueError",
        {"max_vjp"},
        Edit(MAX, 'if ties not in ("split", "first"):', "if False:"),
    ),
    bug(
        "subgradient_method_one_step_short",
        E,
        "subgradient_method takes steps - 1 steps (range(1, steps))",
        {"subgradient_method"},
        Edit(METHOD, "for k in range(1, steps + 1):", "for k in range(1, steps):"),
    ),
    bug(
        "max_vjp_like_sum",
        E,
        "max_vjp sends g to every entry of each slice, as the VJP of a sum would, not only to the maxima",
        {"max_vjp"},
        Edit(
            MAX,
            "    return (share * np.reshape(g, largest.shape)).astype(x.dtype)",
            "    return np.broadcast_to(np.reshape(g, largest.shape), x.shape).astype(x.dtype)",
        ),
    ),
    bug(
        "abs_vjp_vectorized_scalar_rule",
        E,
        "abs_vjp applies a scalar slope rule with np.vectorize, which fails on empty arrays",
        {"abs_vjp"},
        ReplaceSolution(
            ABS,
            """
            low, high = subdifferential("abs", 0.0)
            if not low <= at_kink <= high:
                raise ValueError(f"at_kink = {at_kink} is not in [{low}, {high}]")

            def slope(v):
                return 1.0 if v > 0 else (-1.0 if v < 0 else at_kink)

            return (g * np.vectorize(slope)(x)).astype(x.dtype)
            """,
        ),
    ),
    bug(
        "max_none_returns_the_flat_gradient",
        E,
        "for axis=None, max_vjp flattens x and returns the gradient flat, not in x's shape",
        {"max_vjp"},
        Edit(
            MAX,
            "    largest = np.max(x, axis=axis, keepdims=True)",
            "    if axis is None:\n        x, axis = x.reshape(-1), 0\n"
            "    largest = np.max(x, axis=axis, keepdims=True)",
        ),
    ),
    bug(
        "max_first_counts_over_the_whole_array",
        E,
        "ties='first' counts maxima along the flattened array for every axis: only the first slice's maximum gets g",
        {"max_vjp"},
        Edit(
            MAX,
            "seen = np.cumsum(is_max.reshape(-1) if flat else is_max, axis=0 if flat else axis)",
            "seen = np.cumsum(is_max.reshape(-1), axis=0)",
        ),
    ),
]
