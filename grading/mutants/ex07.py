"""Plausible submissions for exercise 7 (higher-order derivatives)."""

from . import Edit, ReplaceSolution, alternative, bug, cheat

E = "ex07"
HVP, HVP_REVERSE, NEWTON = "ex07_hvp", "ex07_hvp_reverse", "ex07_newton"
UNROLLED, IMPLICIT = "ex07_unrolled", "ex07_implicit"

MUTANTS = [
    bug(
        "hvp_reverse_marks_the_callers_x",
        E,
        "hvp_reverse calls x.requires_grad_() on the caller's tensor instead of on a detached copy",
        {"hvp_reverse"},
        Edit(HVP_REVERSE, "x = x.detach().requires_grad_()", "x = x.requires_grad_()"),
    ),
    bug(
        "newton_subtracts_in_place",
        E,
        "newton_step subtracts the step from x.detach().numpy() in place: the caller's x moves too",
        {"newton"},
        Edit(
            NEWTON,
            "    return minitorch.tensor(x.detach().numpy() - np.linalg.solve(hessian, gradient))",
            "    point = x.detach().numpy()\n    point -= np.linalg.solve(hessian, gradient)\n"
            "    return minitorch.tensor(point)",
        ),
    ),
    bug(
        "newton_returns_an_array",
        E,
        "newton_step returns a NumPy array where the text asks for a Tensor (the next cell's x.numpy() fails)",
        {"newton"},
        Edit(
            NEWTON,
            "    return minitorch.tensor(x.detach().numpy() - np.linalg.solve(hessian, gradient))",
            "    return x.detach().numpy() - np.linalg.solve(hessian, gradient)",
        ),
    ),
    bug(
        "unrolled_returns_a_tensor",
        E,
        "hypergradient_unrolled returns the 0-d tensor, not a Python float",
        {"unrolled"},
        Edit(UNROLLED, "    return float(hypergradient.item())", "    return hypergradient"),
    ),
    bug(
        "hvp_returns_the_gradient",
        E,
        "hvp returns the primal output of jvp (the gradient) instead of its tangent",
        {"hvp"},
        ReplaceSolution(HVP, "gradient, _ = minitorch.jvp(minitorch.grad(f), [x], [v])\nreturn gradient"),
    ),
    bug(
        "hvp_by_reverse_over_reverse",
        E,
        "hvp computed by reverse-over-reverse (right numbers, not the method the part asks for)",
        {"hvp"},
        ReplaceSolution(HVP, "return minitorch.grad(lambda z: (minitorch.grad(f)(z) * v).sum())(x)"),
    ),
    bug(
        "hvp_reverse_without_create_graph",
        E,
        "hvp_reverse: the first gradient without create_graph=True, so grad . v is a constant (an error, or zeros)",
        {"hvp_reverse"},
        Edit(HVP_REVERSE, "minitorch.autograd_grad(f(x), x, create_graph=True)", "minitorch.autograd_grad(f(x), x)"),
    ),
    bug(
        "hvp_reverse_linear_case_crashes",
        E,
        "hvp_reverse differentiates grad . v even when it does not depend on "
        "x (a linear f): RuntimeError instead of zeros",
        {"hvp_reverse"},
        Edit(
            HVP_REVERSE,
            "    if not s.requires_grad:\n        return minitorch.zeros_like(x)  # f is linear in x: "
            "its Hessian is zero\n",
            "",
        ),
    ),
    bug(
        "newton_gradient_sign",
        E,
        "newton_step moves along +H^-1 grad f (uphill for a convex f)",
        {"newton"},
        Edit(NEWTON, "x.detach().numpy() - np.linalg.solve", "x.detach().numpy() + np.linalg.solve"),
    ),
    bug(
        "newton_multiplies_by_the_hessian",
        E,
        "newton_step takes x - H grad f(x) instead of solving H d = -grad f",
        {"newton"},
        Edit(NEWTON, "np.linalg.solve(hessian, gradient)", "hessian @ gradient"),
    ),
    bug(
        "unrolled_without_create_graph",
        E,
        "unrolled steps without create_graph: the inner gradients do not depend on lam",
        {"unrolled"},
        Edit(
            UNROLLED,
            "minitorch.autograd_grad(train_loss(w, lam, X, y), w, create_graph=True)",
            "minitorch.autograd_grad(train_loss(w, lam, X, y), w)",
        ),
    ),
    bug(
        "unrolled_one_step_short",
        E,
        "the unrolled loop runs steps - 1 gradient steps",
        {"unrolled"},
        Edit(UNROLLED, "for _ in range(steps):", "for _ in range(steps - 1):"),
    ),
    bug(
        "implicit_wrong_sign",
        E,
        "dw*/dlam = +(X^T X + lam I)^-1 w* (the minus sign of the implicit-function theorem dropped)",
        {"implicit"},
        Edit(IMPLICIT, "dw_dlam = -np.linalg.solve", "dw_dlam = np.linalg.solve"),
    ),
    bug(
        "implicit_hessian_without_lambda",
        E,
        "the Hessian of the training loss taken as X^T X (lam I missing)",
        {"implicit"},
        Edit(
            IMPLICIT, "np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), w_star)", "np.linalg.solve(X.T @ X, w_star)"
        ),
    ),
    bug(
        "implicit_mixed_partial_halved",
        E,
        "uses the Hessian 2(X^T X + lam I) but w* for d(grad_w L)/dlam (which is 2 w*): half the hypergradient",
        {"implicit"},
        Edit(
            IMPLICIT,
            "np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), w_star)",
            "np.linalg.solve(2.0 * (X.T @ X + lam * np.eye(X.shape[1])), w_star)",
        ),
    ),
    alternative(
        "newton_on_a_copy_and_item",
        E,
        "newton_step subtracts in place from a copy of x's array; hypergradient_unrolled returns .item()",
        Edit(
            NEWTON,
            "    return minitorch.tensor(x.detach().numpy() - np.linalg.solve(hessian, gradient))",
            "    point = x.detach().numpy().copy()\n    point -= np.linalg.solve(hessian, gradient)\n"
            "    return minitorch.tensor(point)",
        ),
        Edit(UNROLLED, "    return float(hypergradient.item())", "    return hypergradient.item()"),
    ),
    alternative(
        "functional_and_forward_variants",
        E,
        "hvp_reverse with nested minitorch.grad; the Hessian's rows "
        "from HVPs; unrolling in forward mode (jvp around the loop); the implicit gradient from "
        "minitorch.hessian and minitorch.jacobian of the training loss, as in the chapter",
        ReplaceSolution(
            HVP_REVERSE,
            """
                    def directional(z):
                        return (minitorch.grad(f)(z) * v).sum()

                    return minitorch.grad(directional)(x)
                """,
        ),
        ReplaceSolution(
            NEWTON,
            """
                    n = x.shape[0]
                    identity = np.eye(n)
                    rows = np.array([hvp(f, x, minitorch.tensor(identity[i])).detach().numpy() for i in range(n)])
                    g = minitorch.grad(f)(x).detach().numpy()
                    step = np.linalg.solve(rows.T, -g)
                    return minitorch.tensor(x.detach().numpy() + step)
                """,
        ),
        ReplaceSolution(
            UNROLLED,
            """
                    Xt, yt, Xv, yv = (minitorch.tensor(a) for a in (X, y, X_val, y_val))

                    def validation_after_steps(lam_t):
                        w = minitorch.zeros(Xt.shape[1])
                        for _ in range(steps):
                            w = w - lr * minitorch.grad(train_loss)(w, lam_t, Xt, yt)
                        return val_loss(w, Xv, yv)

                    _, tangent = minitorch.jvp(validation_after_steps, [minitorch.tensor(float(lam))],
                                               [minitorch.tensor(1.0)])
                    return tangent.item()
                """,
        ),
        ReplaceSolution(
            IMPLICIT,
            """
                    Xt, yt, Xv, yv = (minitorch.tensor(a) for a in (X, y, X_val, y_val))
                    w_star = minitorch.tensor(ridge_solution(X, y, lam))
                    lam_t = minitorch.tensor(float(lam))
                    H = minitorch.hessian(lambda w: train_loss(w, lam_t, Xt, yt))(w_star).numpy()
                    mixed = minitorch.jacobian(lambda l: minitorch.grad(train_loss)(w_star, l, Xt, yt))(lam_t).numpy()
                    dw_dlam = -np.linalg.solve(H, mixed)
                    return float(minitorch.grad(lambda w: val_loss(w, Xv, yv))(w_star).numpy() @ dw_dlam)
                """,
        ),
    ),
    cheat(
        "hvp_is_minitorchs",
        E,
        "hvp = minitorch.hvp",
        {"hvp"},
        ReplaceSolution(HVP, "return minitorch.hvp(f, [x], [v])[1]"),
    ),
    cheat(
        "newton_uses_minitorch_hessian",
        E,
        "newton_step builds the Hessian with minitorch.hessian",
        {"newton"},
        ReplaceSolution(
            NEWTON,
            """
              hessian = minitorch.hessian(f)(x).numpy()
              gradient = minitorch.grad(f)(x).numpy()
              return minitorch.tensor(x.numpy() - np.linalg.solve(hessian, gradient))
          """,
        ),
    ),
]
