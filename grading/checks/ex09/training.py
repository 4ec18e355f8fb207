"""Exercise 9, parts 3-4: one training step, and the training loop on Fisher's iris flowers."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from minitorch.data import load_iris

from ...arrays import compare, returned, show_array
from ...core import Case, Tester, Verdict
from .common import ACCURACY, BATCH, EPOCHS, EXERCISE, FLOAT_TYPES, LR, N_TEST, TRAINING_TIMEOUT, _memo, _rng

# --------------------------------------------------------------------------- part 3: train_step


def _batches(rng: np.random.Generator, sizes: list, count: int, rows: int) -> list:
    return [[rng.normal(size=(rows, sizes[0])), rng.integers(0, sizes[-1], size=rows)] for _ in range(count)]


def _number(item: dict) -> float | None:
    value = np.asarray(returned(item["value"])) if not isinstance(item["value"], dict) else None
    if value is None or value.size != 1 or value.dtype.kind not in "fiu":
        return None
    return float(value.reshape(()))


def step_case(
    t: Tester,
    what: str,
    *,
    seed: int,
    sizes: list,
    optimizer: str,
    lr: float,
    batches: list,
    stale: bool = False,
    group: str = "behaviour",
) -> Case:
    args = {"seed": seed, "sizes": sizes, "optimizer": optimizer, "lr": lr, "batches": batches, "stale": stale}

    def run() -> Verdict:
        expected = t.expect("step", **args)
        reply = t.probe("step", **args)
        for i, (want, got) in enumerate(zip(expected["returned"], reply["returned"])):
            loss, want_loss = _number(got), _number(want)
            if loss is None or not math.isclose(loss, want_loss, rel_tol=1e-9, abs_tol=1e-12):
                return Verdict(
                    False,
                    f"step {i + 1} returns the batch's loss before the update, {want_loss!r}",
                    show_array(returned(got["value"])),
                    detail=f"train_step's return value at step {i + 1} is not the loss of the batch before the step",
                )
            for j, (a, e) in enumerate(zip(reply["parameters"][i], expected["parameters"][i])):
                problem = compare(a, e, np.abs(e) + 1.0)
                if problem:
                    return Verdict(
                        False,
                        f"parameter {j} after step {i + 1}: {show_array(e, digits=8)}",
                        show_array(a, digits=8),
                        detail=f"after step {i + 1}, parameter {j} (in model.parameters() order): {problem}",
                    )
        return Verdict(True)

    def text() -> str:
        where = "; every parameter holds a stale gradient of 3s first" if stale else ""
        return (
            f"a fresh network of Linear layers {sizes} (ReLU between, seed {seed}), "
            f"minitorch.optim.{'SGD' if optimizer == 'sgd' else 'Adam'}(lr={lr}), {len(batches)} steps on batches "
            f"of {len(batches[0][1])} rows{where}"
        )

    return Case(what, run, input=text, group=group)


def float_case(t: Tester, what: str, probe: str, args: dict, pick: Callable[[Any], list], function: str) -> Case:
    def run() -> Verdict:
        types = [item["type"] for item in pick(t.probe(probe, **args))]
        ok = bool(types) and all(kind in FLOAT_TYPES for kind in types)
        return Verdict(
            ok,
            "Python floats",
            ", ".join(types) or "nothing",
            detail=None if ok else f"{function} must return plain numbers (float), not tensors or arrays",
        )

    return Case(what, run, group="edge cases")


#: The train_step checks: (what, seed, layer sizes, optimizer, lr, steps, rows per batch, stale gradients, group).
VISIBLE_STEPS = [
    ("two SGD steps on a 4-8-3 network", 0, [4, 8, 3], "sgd", 0.5, 2, 6, False, "behaviour"),
    ("gradients left from before the step must not count", 1, [4, 8, 3], "sgd", 0.5, 1, 6, True, "edge cases"),
]
HIDDEN_STEPS = [
    ("three SGD steps on a 5-3-2 network", 3, [5, 3, 2], "sgd", 0.3, 3, 5, False, "behaviour"),
    ("three SGD steps on a 2-9-4 network", 4, [2, 9, 4], "sgd", 0.3, 3, 5, False, "behaviour"),
    ("three Adam steps on a 3-6-6-4 network", 5, [3, 6, 6, 4], "adam", 0.01, 3, 8, False, "behaviour"),
    ("stale gradients, then two Adam steps", 6, [3, 6, 6, 4], "adam", 0.01, 2, 8, True, "edge cases"),
    ("a batch of one row", 7, [4, 5, 3], "sgd", 0.2, 2, 1, False, "edge cases"),
]


def _step_cases(t: Tester, rng: np.random.Generator, rows: list) -> Iterator[Case]:
    for what, seed, sizes, optimizer, lr, steps, count, stale, group in rows:
        batches = _batches(rng, sizes, steps, count)
        yield step_case(
            t, what, seed=seed, sizes=sizes, optimizer=optimizer, lr=lr, batches=batches, stale=stale, group=group
        )


@EXERCISE.part(
    "train_step",
    points=2,
    title="train_step(model, optimizer, X, y)",
    needs=("train_step",),
    hint="backward adds into .grad: what must the gradients hold just before this batch's backward, whatever "
    "happened before the call? And which loss does the caller want: before or after the update?",
    more="Check the order of the four calls: the reset comes before backward, and the number you return is read "
    "(with .item()) from the loss tensor computed before the optimizer's update.",
)
def train_step(t: Tester):
    rng = _rng(t)
    if not t.hidden:
        yield from _step_cases(t, rng, VISIBLE_STEPS)
        args = {"seed": 2, "sizes": [4, 8, 3], "optimizer": "sgd", "lr": 0.1, "batches": _batches(rng, [4, 8, 3], 1, 4)}
        yield float_case(t, "returns a Python float", "step", args, lambda r: r["returned"], "train_step")
        return
    yield from _step_cases(t, rng, HIDDEN_STEPS)


# --------------------------------------------------------------------------- part 4: train


def iris_task(seed: int, n_test: int = N_TEST) -> dict:
    """The standardized iris split of ``seed``, made here (the student's own split and scaling are not used)."""
    X, y = load_iris()
    order = np.random.default_rng(seed).permutation(len(X))
    test, train = order[:n_test], order[n_test:]
    mean, std = X[train].mean(axis=0), X[train].std(axis=0)
    return {"X": (X[train] - mean) / std, "y": y[train], "X_test": (X[test] - mean) / std, "y_test": y[test]}


def visit_problem(batches: list, n: int, epochs: int, batch_size: int, rows: list) -> str | None:
    """None if the recorded batches are ``epochs`` passes over the training rows, each row once per pass, in
    batches of ``batch_size`` (the last one of a pass smaller); else what is wrong."""
    per_epoch = math.ceil(n / batch_size)
    if len(batches) != epochs * per_epoch:
        return (
            f"train_step was called {len(batches)} times; {epochs} epochs of {n} examples in batches of "
            f"{batch_size} make {epochs * per_epoch} calls ({per_epoch} per epoch)"
        )
    sizes = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    everyone = Counter(rows)
    for epoch in range(epochs):
        chunk = batches[epoch * per_epoch : (epoch + 1) * per_epoch]
        if [len(b) for b in chunk] != sizes:
            return f"epoch {epoch + 1} has batches of {[len(b) for b in chunk]} rows; expected {sizes}"
        if Counter(i for b in chunk for i in b) != everyone:
            return f"epoch {epoch + 1} does not visit every training example exactly once"
    return None


def order_problem(batches: list, n: int, epochs: int, batch_size: int) -> str | None:
    """None if the first epoch is not the stored order and no two epochs visit the examples in the same order."""
    per_epoch = math.ceil(n / batch_size)
    orders = [tuple(i for b in batches[e * per_epoch : (e + 1) * per_epoch] for i in b) for e in range(epochs)]
    if orders and orders[0] == tuple(sorted(orders[0])):
        return "the first epoch visits the examples in their stored order: shuffle them"
    if len(set(orders)) < len(orders):
        return "two epochs visit the examples in the same order: draw a fresh permutation every epoch"
    return None


def train_cases(
    t: Tester,
    seed: int,
    *,
    epochs: int = EPOCHS,
    batch_size: int = BATCH,
    lr: float = LR,
    check_optimizer: bool = True,
    accuracy: bool = True,
    group: str = "behaviour",
) -> list[Case]:
    task = iris_task(seed)
    n = len(task["y"])
    args = {
        "seed": seed,
        "X": task["X"],
        "y": task["y"],
        "X_test": task["X_test"],
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
    }
    reply = _memo(lambda: t.probe("train", **args))
    first: dict[bytes, int] = {}  # a repeated flower counts as its first occurrence, as the probe's recorder does
    for i, row in enumerate(task["X"]):
        first.setdefault(row.tobytes(), i)
    rows = [first[row.tobytes()] for row in task["X"]]
    setting = f"epochs={epochs}, batch_size={batch_size}, lr={lr}, seed={seed}"
    label = f"train on the iris split of seed {seed} ({n} rows; {setting})"

    def text() -> str:
        return (
            f"make_model({seed}) (4-16-3, ReLU), the standardized iris training set of the split of seed {seed} "
            f"({n} rows), {setting}"
        )

    def seen(batches: list) -> str:
        """What train fed to train_step, shortly: the calls, and the first two epochs' first rows."""
        per_epoch = math.ceil(n / batch_size)
        starts = [[i for b in batches[e * per_epoch : (e + 1) * per_epoch] for i in b][:8] for e in (0, 1)]
        return (
            f"{len(batches)} calls of train_step, batches of {sorted({len(b) for b in batches})} rows; "
            f"the first two epochs start with training rows {starts[0]} and {starts[1]}"
        )

    def visits() -> Verdict:
        batches = reply()["batches"]
        problem = visit_problem(batches, n, epochs, batch_size, rows)
        return Verdict(
            problem is None, "every example once per epoch, through train_step", lambda: seen(batches), detail=problem
        )

    def shuffled() -> Verdict:
        r = reply()
        problem = visit_problem(r["batches"], n, epochs, batch_size, rows) or order_problem(
            r["batches"], n, epochs, batch_size
        )
        return Verdict(problem is None, "a fresh random order every epoch", lambda: seen(r["batches"]), detail=problem)

    def optimizer() -> Verdict:
        r = reply()
        opt, count = r["optimizer"], r["optimizers"]
        problem = None
        if opt is None:
            problem = "train never called train_step"
        elif count != 1:
            problem = f"train_step got {count} different optimizers: make one for the whole run"
        elif opt["type"] != "SGD" or not math.isclose(opt["lr"], lr) or not opt["model"]:
            problem = (
                f"the optimizer is {opt['type']}(lr={opt['lr']!r}) over "
                f"{'the' if opt['model'] else 'not exactly the'} model's parameters"
            )
        actual = "no optimizer" if opt is None else f"{count} optimizer(s); the first: {opt['type']}(lr={opt['lr']!r})"
        return Verdict(problem is None, f"one minitorch.optim.SGD(model.parameters(), lr={lr})", actual, detail=problem)

    def losses() -> Verdict:
        r = reply()
        result = r["returned"]
        items = result.get("items") if isinstance(result, dict) else None
        if items is None:
            return Verdict(
                False,
                f"a list of {epochs} floats",
                str(result.get("type", result.get("kind"))),
                detail="train must return the list of the epoch losses",
            )
        values = [_number(item) for item in items]
        per_epoch = math.ceil(n / batch_size)
        steps, sizes = r["step_losses"], [len(b) for b in r["batches"]]
        if len(steps) != epochs * per_epoch:
            return Verdict(
                False,
                f"{epochs} epochs of {per_epoch} steps",
                f"{len(steps)} steps",
                detail="the epoch losses are means of the steps' losses: the steps are not as expected",
            )
        want = [
            sum(
                s * k
                for s, k in zip(steps[e * per_epoch : (e + 1) * per_epoch], sizes[e * per_epoch : (e + 1) * per_epoch])
            )
            / n
            for e in range(epochs)
        ]
        ok = len(values) == epochs and all(
            v is not None and math.isclose(v, w, rel_tol=1e-9, abs_tol=1e-12) for v, w in zip(values, want)
        )
        return Verdict(
            ok,
            lambda: f"{epochs} epoch losses, each the mean over the epoch's examples: {show_array(np.array(want), 6)}",
            lambda: show_array(np.array([np.nan if v is None else v for v in values]), 6),
            detail=None if ok else "an epoch's loss is sum(batch loss * batch size) / n, one per epoch, in a list",
        )

    def held_out() -> Verdict:
        predictions = np.asarray(reply()["predictions"])
        score = float((predictions == task["y_test"]).mean()) if predictions.shape == task["y_test"].shape else 0.0
        return Verdict(
            score >= ACCURACY,
            f"at least {ACCURACY:.0%} of the {len(task['y_test'])} held-out flowers (the text says 90%)",
            f"{score:.0%}",
            detail=None if score >= ACCURACY else "the trained network classifies too few held-out flowers",
        )

    checks = [(f"every example once per epoch, in batches of {batch_size}", visits)]
    checks.append(("a fresh random order every epoch", shuffled))
    checks += [(f"one SGD optimizer with lr={lr}", optimizer)] if check_optimizer else []
    checks.append((f"returns the {epochs} epoch losses", losses))
    checks += [("held-out accuracy", held_out)] if accuracy else []
    # One training run (the first check's) serves them all; it is the one that may take a while.
    optimizer_hint = (
        "An optimizer may keep state between steps (momentum, Adam's moments): how many should one run have?"
    )
    return [
        Case(
            f"{label}: {what}",
            run,
            input=text,
            group=group,
            timeout=TRAINING_TIMEOUT,
            hint=optimizer_hint if run is optimizer else None,
        )
        for what, run in checks
    ]


@EXERCISE.part(
    "train",
    points=3,
    title="train(model, X, y, *, epochs, batch_size, lr, seed)",
    needs=("train",),
    hint="An epoch is one pass over every training example: in which order, and how often does each example "
    "appear? What happens to a model that sees the flowers sorted by species, or the same order every time?",
    more="The optimizer and the generator are made once, outside both loops; a fresh permutation of the row "
    "numbers (the generator's permutation method) is drawn inside the epoch loop and sliced with "
    "range(0, n, batch_size); each returned loss counts len(batch) "
    "times before the division by n.",
)
def train(t: Tester):
    if not t.hidden:
        yield from train_cases(t, 0)
        return
    for seed in (1, 2):
        yield from train_cases(t, seed, check_optimizer=False)
    yield from train_cases(t, 3, epochs=3, batch_size=30, check_optimizer=False, accuracy=False, group="edge cases")
    yield from train_cases(t, 4, epochs=3, batch_size=128, check_optimizer=False, accuracy=False, group="edge cases")
