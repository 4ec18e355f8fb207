"""Exercise 7, parts 1-3: Hessian-vector products (forward-over-reverse, reverse-over-reverse) and a Newton step."""

from __future__ import annotations

import numpy as np

from ...core import Case, Tester, Verdict
from ...probes import ex07 as P
from .functions import (
    EXERCISE,
    FORBIDDEN,
    Fn,
    _as_array,
    _first_difference,
    _inplace,
    _show,
    _vec,
    cubic,
    linear,
    logsumexp_fn,
    newton_quadratic,
    plus,
    quadratic_form,
    random_fn,
    rosenbrock_fn,
    sum_exp,
    sum_sin,
    sum_tanh_squared,
)

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
    group: str = "behaviour",
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
            problem = _inplace(reply, name) or _first_difference(actual, expected, scale)
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
        central = t.expect("numeric_hvp", terms=fn.terms, x=x, v=v, epsilon=1e-6 * max(1.0, float(np.abs(x).max())))
        warning = None
        if _first_difference(expected, exact, scale, rtol=1e-8):
            warning = f"reference {name} {_show(expected)} but the exact H v is {_show(exact)}"
        elif np.any(np.abs(central - exact) > 1e-4 * (np.abs(exact) + scale + 1e-3)):
            warning = f"exact H v {_show(exact)} but central differences of the gradient give {_show(central)}"
        note = f"exact H v: {_show(exact)}; central differences of the gradient along v: {_show(central)}"
        return Verdict(problem is None, expected_text, actual_text, detail=problem, note=note, grader_warning=warning)

    label = what or f"{name}(f, x, v) for f = {fn.text}"
    # How the HVP is computed is a rule about the method (its cost), checked apart from the numbers.
    group = "scale" if mode else group
    return Case(label, run, input=f"f(x) = {fn.text}\nx = {_show(x)}\nv = {_show(v)}", weight=weight, group=group)


HVP_HINT = (
    "A Hessian-vector product is the directional derivative of the gradient along v: which transform gives a "
    "directional derivative, applied to which function? Which of its results is the derivative?"
)
HVP_MORE = (
    "Apply minitorch.jvp to the gradient function minitorch.grad(f), at x along v; it returns a pair (the value, "
    "the tangent): the HVP is the tangent. Return it as a Tensor and leave x and v as they were."
)
HVP_REVERSE_HINT = (
    "H v is the gradient of the scalar grad f(x) . v with v held fixed: what must the first gradient record to "
    "be differentiated again? And what is H v when f is linear?"
)
HVP_REVERSE_MORE = (
    "Differentiate with respect to a fresh leaf (a detached copy of x that requires grad: never mark the "
    "caller's x); take the first gradient with autograd_grad and create_graph=True; sum its product with v; if "
    "that sum does not require grad (f linear), return zeros of x's shape, else differentiate it once more."
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
        yield hvp_case(
            t,
            name,
            linear(np.array([1.0, -2.0, 3.0])),
            np.array([0.1, 0.2, 0.3]),
            np.array([1.0, 1.0, 1.0]),
            what=f"{name} of a linear function (a constant gradient): zeros",
            group="edge cases",
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
            group="edge cases",
        )
    yield hvp_case(t, name, logsumexp_fn(5), _vec(t.rng, 5, 3.0), _vec(t.rng, 5), what=f"{name}(x.logsumexp(), x, v)")
    yield hvp_case(
        t,
        name,
        sum_exp(np.array([1.0, 2.0, -1.5]), 1e4),
        np.array([2.0, 1.5, -3.0]),
        np.array([1.0, -1.0, 0.5]),
        what="large values: 1e4 * (c * x).exp().sum()",
        group="robustness",
    )
    yield hvp_case(
        t,
        name,
        plus(cubic(), sum_sin(np.array([[1.0, -1.0], [0.5, 2.0]]))),
        np.array([0.3, -0.2]),
        np.array([0.0, 0.0]),
        what=f"{name} along v = 0: zeros",
        group="edge cases",
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


@EXERCISE.part(
    "hvp",
    points=2,
    title="hvp: forward-over-reverse",
    needs=("hvp",),
    forbidden=FORBIDDEN,
    hint=HVP_HINT,
    more=HVP_MORE,
)
def hvp(t: Tester):
    yield from _hvp_cases(t, "hvp")


@EXERCISE.part(
    "hvp_reverse",
    points=2,
    title="hvp_reverse: reverse-over-reverse",
    needs=("hvp_reverse",),
    forbidden=FORBIDDEN,
    hint=HVP_REVERSE_HINT,
    more=HVP_REVERSE_MORE,
)
def hvp_reverse(t: Tester):
    yield from _hvp_cases(t, "hvp_reverse")


# --------------------------------------------------------------------------- part 3: newton_step

NEWTON_HINT = (
    "Column j of the Hessian is H e_j: how many HVPs build the whole matrix, and which linear system gives the "
    "Newton step?"
)
NEWTON_MORE = (
    "Build column j with your hvp along the unit vector e_j (a row of np.eye(n), as a tensor), stack the columns, "
    "take the gradient with minitorch.grad(f), solve H d = -g with np.linalg.solve and return x + d as a new "
    "minitorch Tensor (x.detach().numpy() shares x's memory: subtracting in place changes the caller's x)."
)


def newton_case(t: Tester, what: str, fn: Fn, x: np.ndarray, *, iterations: int = 1, group: str = "behaviour") -> Case:
    def run() -> Verdict:
        reply = t.probe("newton", terms=fn.terms, x=x, iterations=iterations, allow=P.HVP_STANDIN)
        actual, problem = _as_array(reply, x.shape)
        problem = problem or _inplace(reply, "newton_step")
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
    return Case(label, run, input=f"f(x) = {fn.text}\nx = {_show(x)}", group=group)


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
    more=NEWTON_MORE,
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
    yield newton_case(
        t, "rosenbrock from (-1.2, 1)", rosenbrock_fn(), np.array([-1.2, 1.0]), iterations=6, group="robustness"
    )
    yield newton_case(t, "rosenbrock from (2, 2)", rosenbrock_fn(), np.array([2.0, 2.0]))
    n = 5
    A = _spd(t.rng, n)
    yield newton_case(
        t,
        "a quadratic in 5 dimensions, from far away",
        newton_quadratic(A, _vec(t.rng, n)),
        _vec(t.rng, n, 1e3),
        group="robustness",
    )
