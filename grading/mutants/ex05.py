"""Plausible submissions for exercise 5 (custom primitives)."""

from . import Edit, alternative, bug, cheat

E = "ex05"
SOFTPLUS, ROUND, CLIPPED = "ex05_softplus", "ex05_round_ste", "ex05_clipped_ste"
FORWARD = "        return np.maximum(a, 0) + np.log1p(np.exp(-np.abs(a)))"
BACKWARD = "        return g * x.sigmoid()"
JVP = "        return x.sigmoid() * t"

MUTANTS = [
    bug(
        "softplus_naive_formula",
        E,
        "forward = log(1 + exp(x)): inf beyond 88.7 (float32) / 709.8 (float64), 0 at -40",
        {"softplus_value"},
        Edit(SOFTPLUS, FORWARD, "        return np.log(1.0 + np.exp(a))"),
    ),
    bug(
        "softplus_log_instead_of_log1p",
        E,
        "the stable form with np.log(1 + u): loses every digit for x << 0",
        {"softplus_value"},
        Edit(SOFTPLUS, FORWARD, "        return np.maximum(a, 0) + np.log(1.0 + np.exp(-np.abs(a)))"),
    ),
    bug(
        "softplus_vjp_unstable_sigmoid",
        E,
        "backward = g * exp(x) / (1 + exp(x)): nan at x = 1000",
        {"softplus_vjp"},
        Edit(SOFTPLUS, BACKWARD, "        e = np.exp(x.data)\n        return g.data * e / (1.0 + e)"),
    ),
    bug(
        "softplus_forgets_save_for_backward",
        E,
        "forward never calls ctx.save_for_backward; backward unpacks ()",
        {"softplus_vjp"},
        Edit(SOFTPLUS, "        ctx.save_for_backward(x)\n", ""),
    ),
    bug(
        "softplus_backward_wrong_shape",
        E,
        "backward returns the sum of the VJP: a gradient of the wrong shape",
        {"softplus_vjp"},
        Edit(SOFTPLUS, BACKWARD, "        return (g * x.sigmoid()).sum()"),
    ),
    bug(
        "softplus_jvp_forgets_tangent",
        E,
        "jvp returns sigmoid(x), not sigmoid(x) * t",
        {"softplus_jvp"},
        Edit(SOFTPLUS, JVP, "        return x.sigmoid()"),
    ),
    bug(
        "ste_zero_gradient",
        E,
        "RoundSTE.backward returns the true derivative of rounding, 0",
        {"ste_round"},
        Edit(ROUND, "        return g\n", "        return g * 0.0\n"),
    ),
    bug(
        "ste_wrong_sign",
        E,
        "RoundSTE.backward returns -g",
        {"ste_round"},
        Edit(ROUND, "        return g\n", "        return -g\n"),
    ),
    bug(
        "clipped_ste_without_mask",
        E,
        "ClippedRoundSTE passes the gradient everywhere, clipped entries too",
        {"ste_clipped"},
        Edit(CLIPPED, "return g * ctx.inside, None, None", "return g, None, None"),
    ),
    bug(
        "clipped_ste_one_gradient",
        E,
        "ClippedRoundSTE.backward returns one gradient for three arguments",
        {"ste_clipped"},
        Edit(CLIPPED, "return g * ctx.inside, None, None", "return g * ctx.inside"),
    ),
    bug(
        "softplus_backward_writes_into_g",
        E,
        "backward multiplies the incoming gradient in place (g.data *= sigmoid) and returns it",
        {"softplus_vjp"},
        Edit(
            SOFTPLUS,
            BACKWARD,
            "        out = g.data\n        out *= np.exp(-np.logaddexp(0.0, -x.data))\n        return out",
        ),
    ),
    bug(
        "softplus_input_on_the_class",
        E,
        "forward keeps x as an attribute of the class, not on ctx: two applications before one backward share it",
        {"softplus_vjp"},
        Edit(SOFTPLUS, "        ctx.save_for_backward(x)\n", "        Softplus.saved_input = x\n"),
        Edit(
            SOFTPLUS, "        (x,) = ctx.saved_tensors\n" + BACKWARD, "        x = Softplus.saved_input\n" + BACKWARD
        ),
    ),
    bug(
        "softplus_jvp_writes_into_tangent",
        E,
        "jvp multiplies the tangent in place and returns it",
        {"softplus_jvp"},
        Edit(SOFTPLUS, JVP, "        t.data *= x.sigmoid().data\n        return t"),
    ),
    bug(
        "round_ste_rounds_its_input_in_place",
        E,
        "RoundSTE.forward rounds x.data in place (np.round(x.data, out=x.data))",
        {"ste_round"},
        Edit(ROUND, "        return np.round(x.data)\n", "        return np.round(x.data, out=x.data)\n"),
    ),
    bug(
        "clipped_ste_mask_on_the_class",
        E,
        "ClippedRoundSTE keeps its mask on the class: the last call's mask serves every node",
        {"ste_clipped"},
        Edit(CLIPPED, "        ctx.inside = (x.data", "        ClippedRoundSTE.inside = (x.data"),
        Edit(CLIPPED, "return g * ctx.inside, None, None", "return g * ClippedRoundSTE.inside, None, None"),
    ),
    bug(
        "softplus_always_float32",
        E,
        "forward returns float32 whatever the input's dtype (a float64 input loses its digits, and so does the "
        "gradient, which takes the output's dtype)",
        {"softplus_value", "softplus_vjp"},
        Edit(SOFTPLUS, FORWARD, "        return np.logaddexp(0.0, a).astype(np.float32)"),
    ),
    bug(
        "clipped_ste_forgets_to_round",
        E,
        "ClippedRoundSTE's forward clips but does not round",
        {"ste_clipped"},
        Edit(CLIPPED, "return np.round(np.clip(x.data, low, high))", "return np.clip(x.data, low, high)"),
    ),
    alternative(
        "softplus_float64_forward",
        E,
        "forward computes in float64 whatever the input's dtype (a float32 input gives the exact, float64 value)",
        Edit(SOFTPLUS, FORWARD, "        return np.logaddexp(0.0, a.astype(np.float64))"),
    ),
    alternative(
        "softplus_mask_rules_with_tensors",
        E,
        "STE rules returning new tensors (g * 1.0); the clipped mask as a tensor saved with save_for_backward",
        Edit(ROUND, "        return g\n", "        return g * 1.0\n"),
        Edit(
            CLIPPED,
            "        ctx.inside = (x.data >= low) & (x.data <= high)\n",
            "        ctx.save_for_backward(minitorch.tensor(((x.data >= low) & (x.data <= high)).astype(float)))\n",
        ),
        Edit(CLIPPED, "return g * ctx.inside, None, None", "return g * ctx.saved_tensors[0], None, None"),
    ),
    alternative(
        "softplus_logaddexp_numpy_rules",
        E,
        "np.logaddexp forward; NumPy rules on .data, returning arrays",
        Edit(SOFTPLUS, FORWARD, "        return np.logaddexp(0.0, a)"),
        Edit(SOFTPLUS, BACKWARD, "        return g.data * np.exp(-np.logaddexp(0.0, -x.data))"),
        Edit(SOFTPLUS, JVP, "        return t * minitorch.tensor(np.exp(-np.logaddexp(0.0, -x.data)))"),
    ),
    alternative(
        "softplus_branches_and_mask_stes",
        E,
        "softplus as np.where of two branches, sigmoid from the saved output; STEs returning copies and float masks",
        Edit(
            SOFTPLUS,
            "        ctx.save_for_backward(x)\n        a = x.data\n" + FORWARD,
            "        a = x.data\n"
            "        with np.errstate(over='ignore'):\n"
            "            out = np.where(a > 0, a + np.log1p(np.exp(-a)), np.log1p(np.exp(a)))\n"
            "        ctx.save_for_backward(minitorch.tensor(out))\n"
            "        return out",
        ),
        Edit(
            SOFTPLUS,
            "        (x,) = ctx.saved_tensors\n" + BACKWARD,
            "        (out,) = ctx.saved_tensors\n"
            "        return g * (1.0 - (-out).exp())  # sigmoid(x) = 1 - exp(-softplus(x))",
        ),
        Edit(ROUND, "        return g\n", "        return minitorch.tensor(g.data.copy())\n"),
        Edit(
            CLIPPED,
            "        ctx.inside = (x.data >= low) & (x.data <= high)\n",
            "        ctx.inside = np.where(np.clip(x.data, low, high) == x.data, 1.0, 0.0)\n",
        ),
    ),
    cheat(
        "softplus_rules_by_autodiff",
        E,
        "backward and jvp differentiate the naive formula with minitorch.vjp and minitorch.jvp",
        {"softplus_vjp", "softplus_jvp"},
        Edit(
            SOFTPLUS,
            BACKWARD,
            "        _, pullback = minitorch.vjp(lambda t: (1.0 + t.exp()).log(), x)\n        return pullback(g)[0]",
        ),
        Edit(SOFTPLUS, JVP, "        return minitorch.jvp(lambda u: (1.0 + u.exp()).log(), [x], [t])[1]"),
    ),
]
