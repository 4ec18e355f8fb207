"""Exercise 4, parts 9-10: the VJPs as minitorch primitives, and a network trained with them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...arrays import as_array, compare, fd_problem, numeric_vjp, returned, show_array, show_input
from ...core import Case, Tester, Verdict
from ...probes import standins
from .common import (
    EXERCISE,
    OWN_PRIMITIVES,
    VJPS,
    _away_from_zero,
    _normal,
    _returned,
    _rng,
)
from .nonlinear import _cross_entropy

# --------------------------------------------------------------------------- part 9: the primitives


def function_case(
    t: Tester,
    what: str,
    build: str,
    arrays: dict[str, np.ndarray],
    requires: set[str],
    *,
    cotangent: np.ndarray | None = None,
    targets: np.ndarray | None = None,
    loss: Callable[..., float] | None = None,
    group: str = "behaviour",
) -> Case:
    """Build a graph (``build``: its name in :data:`grading.probes.ex04.GRAPHS`) from the student's primitives and
    from the reference's, back-propagate the same cotangent (``None``: the output is a scalar loss) and compare
    the output and every leaf's gradient. The student's primitives run with the VJP stand-ins."""
    request = {
        "build": build,
        "arrays": arrays,
        "requires": sorted(requires),
        "cotangent": cotangent,
        "targets": targets,
    }

    names = [n for n in arrays if n in requires]
    # Made with the case, not in it: central differences are minitorch.numerical, which the tripwire watches for.
    numeric = (
        numeric_vjp(
            lambda *xs: loss(**{**arrays, **dict(zip(names, xs))}),
            [arrays[n] for n in names],
            np.array(1.0),
            same_f_as=[build, targets, arrays, names],
        )
        if loss is not None
        else None
    )

    def run() -> Verdict:
        reference = t.expect("graph", **request, patch=False)
        ref_out, ref_grads = reference["output"], reference["grads"]
        student = t.probe("graph", **request, patch=True, allow=standins.labels(VJPS))
        out, grads = student["output"], {n: returned(g) for n, g in student["grads"].items()}
        expected = [("output", ref_out)] + [(f"{n}.grad", ref_grads[n]) for n in arrays if n in requires]
        expected_text = "\n".join(f"{n} = {show_array(v)}" for n, v in expected)
        shown = [("output", out)] + [(f"{n}.grad", grads[n]) for n in arrays if n in requires]
        actual_text = "\n".join(f"{n} = {'None' if v is None else show_array(v)}" for n, v in shown)
        note = warning = None
        if numeric is not None:
            estimates, level = numeric
            note = "central differences: " + "; ".join(
                f"{n}.grad ~ {show_array(e, digits=6)}" for n, e in zip(names, estimates)
            )
            for n, est in zip(names, estimates):
                problem = fd_problem(est, ref_grads[n], np.abs(ref_grads[n]).max(), level)
                if problem:
                    warning = f"reference {n}.grad disagrees with central differences {problem}"
        if student["modified"]:
            return Verdict(
                False,
                expected_text,
                actual_text,
                detail=f"the values of {', '.join(student['modified'])} changed: forward or backward wrote into "
                "an input's .data in place",
                note=note,
                grader_warning=warning,
            )
        for (n, e), (_, a) in zip(expected, shown):
            if a is None:
                return Verdict(
                    False,
                    expected_text,
                    actual_text,
                    detail=f"{n} is None: no gradient reached it",
                    note=note,
                    grader_warning=warning,
                )
            problem = compare(a, e, np.abs(e).max(initial=0.0))
            if problem:
                return Verdict(
                    False, expected_text, actual_text, detail=f"{n}: {problem}", note=note, grader_warning=warning
                )
        for n in arrays:
            if n not in requires and grads[n] is not None:
                return Verdict(
                    False,
                    expected_text,
                    actual_text,
                    detail=f"{n} does not require grad but got a .grad",
                    note=note,
                    grader_warning=warning,
                )
        return Verdict(True, expected_text, actual_text, note=note, grader_warning=warning)

    text = "\n".join(
        show_input(n, a) + ("" if n in requires else "  (does not require grad)") for n, a in arrays.items()
    )
    if cotangent is not None:
        text += "\n" + show_input("cotangent", cotangent)
    return Case(what, run, input=text, group=group)


def _mlp_loss(targets: np.ndarray) -> Callable[..., float]:
    def loss(X: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray) -> float:
        return _cross_entropy(np.maximum(X @ W1 + b1, 0.0) @ W2 + b2, targets)

    return loss


def linear_fn_case(t: Tester, x_shape: tuple, d_out: int, requires: set[str]) -> Case:
    rng = _rng(t)
    arrays = {"x": _normal(rng, x_shape), "W": _normal(rng, (x_shape[-1], d_out)), "b": _normal(rng, (d_out,))}
    return function_case(
        t,
        f"LinearFn.apply(x {x_shape}, W {arrays['W'].shape}, b {(d_out,)}), then backward(cotangent)",
        "linear",
        arrays,
        requires,
        cotangent=_normal(rng, x_shape[:-1] + (d_out,)),
    )


def relu_fn_case(t: Tester, x: np.ndarray) -> Case:
    rng = _rng(t)
    return function_case(
        t,
        f"ReluFn.apply(x {x.shape}), then backward(cotangent)",
        "relu",
        {"x": x},
        {"x"},
        cotangent=_normal(rng, x.shape),
        group="robustness" if np.abs(x).max() > 100 else "behaviour",
    )


def ce_fn_case(t: Tester, logits: np.ndarray, gradient: float | None = None) -> Case:
    rng = _rng(t)
    targets = rng.integers(0, logits.shape[1], size=logits.shape[0])
    how = "backward()" if gradient is None else f"backward({gradient})"
    return function_case(
        t,
        f"CrossEntropyFn.apply(logits {logits.shape}, targets), then {how}",
        "cross_entropy",
        {"logits": logits},
        {"logits"},
        targets=targets,
        cotangent=None if gradient is None else np.array(gradient),
        loss=None
        if gradient is not None or np.abs(logits).max() > 100
        else (lambda logits: _cross_entropy(logits, targets)),
        group="robustness" if np.abs(logits).max() > 100 else "behaviour",
    )


def twice_case(t: Tester) -> Case:
    """Every primitive applied twice before one backward (two batches through the same layer)."""
    rng = _rng(t)
    arrays = {"X": _normal(rng, (4, 3)), "Z": _normal(rng, (4, 3)), "W": _normal(rng, (3, 4)), "b": _normal(rng, (4,))}
    targets = rng.integers(0, 4, size=(2, 4))

    def loss(X: np.ndarray, Z: np.ndarray, W: np.ndarray, b: np.ndarray) -> float:
        return _cross_entropy(np.maximum(X @ W + b, 0.0), targets[0]) + 2.0 * _cross_entropy(
            np.maximum(Z @ W + b, 0.0), targets[1]
        )

    return function_case(
        t,
        "two nodes of each primitive before one backward: CE(relu(Linear(X))) + 2 CE(relu(Linear(Z))) "
        "(state on ctx, per call)",
        "twice",
        arrays,
        {"X", "Z", "W", "b"},
        targets=targets,
        loss=loss,
        group="edge cases",
    )


def mlp_case(t: Tester, n: int, d: int, hidden: int, c: int, requires: set[str]) -> Case:
    rng = _rng(t)
    arrays = {
        "X": _normal(rng, (n, d)),
        "W1": _normal(rng, (d, hidden)),
        "b1": _normal(rng, (hidden,)),
        "W2": _normal(rng, (hidden, c)),
        "b2": _normal(rng, (c,)),
    }
    targets = rng.integers(0, c, size=n)
    return function_case(
        t,
        f"CrossEntropyFn(LinearFn(ReluFn(LinearFn(X, W1, b1)), W2, b2), y): a network of "
        f"{d}-{hidden}-{c} units on {n} examples, then backward()",
        "mlp",
        arrays,
        requires,
        targets=targets,
        loss=_mlp_loss(targets),
    )


@EXERCISE.part(
    "functions",
    points=2,
    title="LinearFn, ReluFn, CrossEntropyFn (minitorch primitives)",
    needs=("LinearFn", "ReluFn", "CrossEntropyFn"),
    forbidden=OWN_PRIMITIVES,
    hint="What does each backward need from its forward, and where must it keep it so that two calls of the "
    "same primitive (two nodes) never mix their values?",
    more="forward keeps its tensors with ctx.save_for_backward (anything else as an attribute of ctx, never of "
    "the class) and returns a NumPy array computed from the .data arrays; backward returns one array per "
    "argument of forward from your VJP, None for the targets.",
)
def functions(t: Tester):
    rng = _rng(t)
    params = {"W1", "b1", "W2", "b2"}
    if not t.hidden:
        yield linear_fn_case(t, (4, 3), 2, {"x", "W", "b"})
        yield relu_fn_case(t, _away_from_zero(rng, (3, 4)))
        yield ce_fn_case(t, _normal(rng, (5, 3), 2.0))
        yield mlp_case(t, 6, 2, 5, 3, params)
        yield twice_case(t)
        return
    yield linear_fn_case(t, (3,), 2, {"x", "W", "b"})
    yield linear_fn_case(t, (5, 4), 3, {"W", "b"})
    yield relu_fn_case(t, np.array([-1000.0, -2.5, 0.5, 1000.0]))
    yield ce_fn_case(t, np.array([[1000.0, -1000.0, 0.0], [3.0, 1000.0, 1000.0]]), gradient=2.5)
    yield ce_fn_case(t, _normal(rng, (7, 4), 2.0))
    yield mlp_case(t, 8, 3, 6, 4, params | {"X"})


# --------------------------------------------------------------------------- part 10: training


def _parameters(result: Any) -> list | None:
    params = [as_array(p) for p in result] if isinstance(result, (tuple, list)) else None
    return params if params is not None and len(params) == 4 and all(p is not None for p in params) else None


def _call_train_mlp(t: Tester, X: np.ndarray, y: np.ndarray, *kwargs: dict, numeric: bool = False) -> list:
    """``train_mlp(X, y, **kw)`` for each ``kw`` of ``kwargs``, with correct primitives swapped in: by minitorch's
    reverse mode, or (``numeric``) by central differences, for a check that runs with the tripwire: those call
    none of the operations a student's train_mlp must not use, so every such call is the student's."""
    results = t.probe("train", X=X, y=y, runs=list(kwargs), numeric=numeric)
    return [(_returned(result), result.get("kinds", [])) for result in results]


def _shapes_problem(params: list | None, shapes: list, result: Any, kinds: list[str]) -> tuple[str, str] | None:
    """(actual, detail) when ``params`` are not four NumPy arrays (``kinds``: the returned objects' types) of the
    given shapes."""
    if params is None:
        return show_array(result), "train_mlp must return (W1, b1, W2, b2), four NumPy arrays"
    if any(kind != "ndarray" for kind in kinds):
        return (
            f"a tuple of {', '.join(kinds)}",
            "train_mlp must return NumPy arrays, not tensors: take each parameter's array (detached)",
        )
    got = [p.shape for p in params]
    if got != shapes:
        return f"shapes {', '.join(map(str, got))}", "the parameters have the wrong shapes"
    return None


def short_run_case(t: Tester, steps: int) -> Case:
    """A few steps only: the loop runs, returns arrays of the right shapes and moves the parameters. This
    light check runs with the tripwire (the full trainings below are heavy: it would double their time)."""

    def run() -> Verdict:
        # Few points: the central-difference primitives cost one forward pass per entry of every input.
        X, y = t.reference("make_rings")(20, classes=2, seed=6)
        shapes = [(2, 16), (16,), (16, 2), (2,)]
        expected = f"W1, b1, W2, b2 of shapes {', '.join(map(str, shapes))}, changed by the {steps} steps"
        (start, _), (result, kinds) = _call_train_mlp(t, X, y, {"steps": 0}, {"steps": steps}, numeric=True)
        params = _parameters(result)
        problem = _shapes_problem(params, shapes, result, kinds)
        if problem:
            return Verdict(False, expected, problem[0], detail=problem[1])
        before = _parameters(start)
        moved = before is None or any(b.shape != p.shape or not np.allclose(b, p) for b, p in zip(before, params))
        actual = f"shapes {', '.join(str(p.shape) for p in params)}, " + ("changed" if moved else "unchanged")
        return Verdict(
            moved,
            expected,
            actual,
            detail=None
            if moved
            else "the parameters after the steps equal those of steps=0: does every step call optimizer.step()?",
        )

    # Central-difference primitives are slow: on a loaded machine the few steps took over the light 5 s.
    return Case(
        f"train_mlp(X, y, steps={steps}) and train_mlp(X, y, steps=0) on 2 rings (20 points)", run, timeout=15.0
    )


def train_case(
    t: Tester, classes: int, seeds: tuple[int, int], kwargs: dict, *, threshold: float = 0.95, weight: float = 1.0
) -> Case:
    def run() -> Verdict:
        make_rings, predict = t.reference("make_rings"), t.reference("predict")
        X, y = make_rings(400, classes=classes, seed=seeds[0])
        X_test, y_test = make_rings(400, classes=classes, seed=seeds[1])
        hidden = kwargs.get("hidden", 16)
        shapes = [(2, hidden), (hidden,), (hidden, classes), (classes,)]
        expected = f"W1, b1, W2, b2 of shapes {', '.join(map(str, shapes))}; test accuracy >= {threshold:.0%}"
        ((result, kinds),) = _call_train_mlp(t, X, y, kwargs)
        params = _parameters(result)
        problem = _shapes_problem(params, shapes, result, kinds)
        if problem:
            return Verdict(False, expected, problem[0], detail=problem[1])
        accuracy = float(np.mean(predict(params, X_test) == y_test))
        actual = f"test accuracy {accuracy:.1%} (training accuracy {np.mean(predict(params, X) == y):.1%})"
        return Verdict(
            accuracy >= threshold,
            expected,
            actual,
            detail=None
            if accuracy >= threshold
            else "the network does not separate the rings: is there "
            "a ReLU between the two layers, and do the steps go downhill?",
        )

    args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    return Case(
        f"train_mlp(X, y{', ' + args if args else ''}) on {classes} rings (400 points), tested on 400 others",
        run,
        weight=weight,
        timeout=15.0,
        heavy=True,
    )


@EXERCISE.part(
    "train",
    points=2,
    title="train_mlp: a network trained with your primitives",
    needs=("train_mlp",),
    forbidden=OWN_PRIMITIVES,
    hint="One training step: reset the gradients, compute the loss with your three primitives, back-propagate, "
    "update. What must a parameter be for the optimizer to update it?",
    more="Parameters are leaf tensors that require grad; each step zeroes the optimizer's gradients, builds the "
    "loss from LinearFn, ReluFn, LinearFn and CrossEntropyFn, calls backward on it and steps the optimizer. "
    "Return the parameters' arrays (detached).",
)
def train(t: Tester):
    if not t.hidden:
        yield short_run_case(t, 5)
        yield train_case(t, 2, (0, 1), {}, weight=2.0)
        return
    # One training for three things (it is most of the exercise's grading time): more than two classes, the
    # hidden width and the seed passed on.
    yield train_case(t, 3, (2, 3), {"hidden": 32, "seed": 1}, weight=2.0)
