"""Exercise 9: a network trained on Fisher's iris flowers, and gradient-flow diagnostics.

Graded on behaviour, never on one particular sequence of random numbers: a split is checked as a partition
that keeps each label with its row and does not take the first or last rows; a training loop is checked by
recording the batches it feeds to ``train_step`` (every example once per epoch, a fresh order each epoch) and by
the held-out accuracy it reaches, for several seeds, against a threshold below the one the text states; the
vanishing-gradient ratio is compared with the reference's within a factor of 10 (another way of building the
same network draws other weights), and the qualitative result is checked on the student's own numbers.

The student's functions run in :mod:`grading.probes.ex09` on arrays sent as data; the training loop and the
ratio run with public stand-ins for ``train_step`` and ``layer_grad_norms``, so a mistake costs points only in
its own part.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from minitorch.data import load_iris

from ..arrays import compare, returned, show_array, show_input
from ..core import Case, ExerciseSpec, StudentFailure, Tester, Verdict

EXERCISE = ExerciseSpec("ex09", "ex09_training", "Training a network, and its gradient flow")

#: Gradients come from back-propagation: finite differences are the grader's tool, not the student's.
NO_FINITE_DIFFERENCES = ("minitorch.numerical", "minitorch.gradcheck")
#: The training run of the text, and the held-out accuracy the checks accept (the text states 90%).
EPOCHS, BATCH, LR, N_TEST = 40, 20, 0.2, 50
ACCURACY = 0.86
#: Seconds for a check that trains (a fraction of a second on a quiet machine; slow shared machines vary).
TRAINING_TIMEOUT = 15.0
#: Returned numbers must be Python floats (NumPy's float64 is one).
FLOAT_TYPES = ("float", "float64")


def _rng(t: Tester) -> np.random.Generator:
    return np.random.default_rng(t.rng.getrandbits(64))


def _items(reply: Any, what: str, count: int) -> tuple[list | None, str | None]:
    """The returned arrays of a probe's reply (:func:`grading.probes.ex09.arrays_returned`), or why not."""
    if isinstance(reply, dict) and "items" in reply:
        return [returned(item["value"]) for item in reply["items"]], None
    kind = reply.get("kind", "?") if isinstance(reply, dict) else "?"
    return None, f"{what} must return a tuple of {count} arrays; it returned {kind}: {reply.get('repr', '')}"


def _memo(fetch: Callable[[], Any]) -> Callable[[], Any]:
    """``fetch()`` once (several checks judge one run of the student's code); a failure is raised each time."""
    cache: dict[str, Any] = {}

    def get() -> Any:
        if "reply" not in cache:
            try:
                cache["reply"] = fetch()
            except (StudentFailure, Exception) as failure:
                cache["failure"] = failure
                cache["reply"] = None
        if "failure" in cache:
            raise cache["failure"]
        return cache["reply"]

    return get


# --------------------------------------------------------------------------- part 1: train_test_split


def _pairs(X: np.ndarray, y: np.ndarray) -> Counter:
    """The multiset of (row, label) pairs: a split must keep it, whatever the order (rows may repeat)."""
    return Counter((row.tobytes(), label) for row, label in zip(np.asarray(X, dtype=np.float64), np.asarray(y)))


def split_problem(reply: dict, X: np.ndarray, y: np.ndarray, n_test: int, *, shuffled: bool) -> str | None:
    """None if the four arrays are a partition of the rows of (X, y) with n_test test rows, each label with its
    row (and, if ``shuffled``, the test rows neither the first nor the last n_test); else what is wrong."""
    items, problem = _items(reply, "train_test_split", 4)
    if problem:
        return problem
    try:
        X_train, X_test, y_train, y_test = (np.asarray(a) for a in items)
    except Exception:
        return "train_test_split must return four arrays: X_train, X_test, y_train, y_test"
    n, d = X.shape
    shapes = {"X_train": (n - n_test, d), "X_test": (n_test, d), "y_train": (n - n_test,), "y_test": (n_test,)}
    for name, a in zip(shapes, (X_train, X_test, y_train, y_test)):
        if a.shape != shapes[name]:
            return f"{name} has shape {a.shape}; it must be {shapes[name]} (n = {n} rows, n_test = {n_test})"
    rows = Counter(row.tobytes() for row in X)
    got = Counter(row.tobytes() for row in np.concatenate([X_train, X_test]).astype(np.float64))
    if got != rows:
        return "the rows of X_train and X_test together are not the rows of X, each exactly once"
    if _pairs(X_train, y_train) + _pairs(X_test, y_test) != _pairs(X, y):
        return "a label is no longer with its row: y_train[i] must be the label of X_train[i] (likewise for test)"
    if shuffled:
        test = Counter(row.tobytes() for row in X_test)
        for where, block in (("first", X[:n_test]), ("last", X[n - n_test :])):
            if test == Counter(row.tobytes() for row in block):
                return f"the test set is the {where} {n_test} rows of X: choose them at random"
    return None


def split_case(
    t: Tester, what: str, X: np.ndarray, y: np.ndarray, n_test: int, seed: int, *, group: str = "behaviour"
) -> Case:
    def run() -> Verdict:
        reply = t.probe("split", X=X, y=y, n_test=n_test, seed=seed)
        problem = split_problem(reply, X, y, n_test, shuffled=n_test >= 5 and len(X) - n_test >= 5)
        return Verdict(
            problem is None,
            f"a random partition of the {len(X)} rows: {n_test} test rows, the other {len(X) - n_test} for training",
            lambda: _show_items(reply),
            detail=problem,
        )

    return Case(what, run, input=lambda: _split_input(X, y, n_test, seed), group=group)


def _split_input(X: np.ndarray, y: np.ndarray, n_test: int, seed: int) -> str:
    return f"{show_input('X', X)}\n{show_input('y', y)}\nn_test = {n_test}, seed = {seed}"


def _show_items(reply: Any) -> str:
    items, problem = _items(reply, "the function", 0)
    return problem if items is None else "\n".join(show_array(a, digits=6) for a in items)


def _labelled_rows(rng: np.random.Generator, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(size=(n, d)).round(3), rng.integers(0, 4, size=n)


def seeds_case(t: Tester, X: np.ndarray, y: np.ndarray, n_test: int) -> Case:
    def run() -> Verdict:
        first, again, other = (t.probe("split", X=X, y=y, n_test=n_test, seed=seed) for seed in (7, 7, 8))
        for reply in (first, again, other):
            problem = split_problem(reply, X, y, n_test, shuffled=False)
            if problem:
                return Verdict(False, "a valid split for each seed", _show_items(reply), detail=problem)
        test = [np.asarray(returned(r["items"][1]["value"])) for r in (first, again, other)]
        if not np.array_equal(test[0], test[1]):
            problem = "the same seed gave two different splits: draw from np.random.default_rng(seed)"
        elif np.array_equal(test[0], test[2]):
            problem = "seeds 7 and 8 gave the same split: the split must depend on the seed"
        return Verdict(problem is None, "seed 7 twice: the same split; seed 8: another one", "", detail=problem)

    return Case(
        "the split depends on the seed only: the same seed gives the same split, another seed another one",
        run,
        input=lambda: _split_input(X, y, n_test, 7) + " (twice), then seed = 8",
    )


def inputs_kept_case(t: Tester, probe: str, what: str, args: dict, names: tuple[str, ...]) -> Case:
    def run() -> Verdict:
        reply = t.probe(probe, **args)
        modified = bool(reply.get("modified"))
        return Verdict(
            not modified,
            f"{', '.join(names)} unchanged",
            "an input was modified in place" if modified else "unchanged",
            detail="make new arrays: shuffle or scale copies (indexing with row numbers copies), never the inputs"
            if modified
            else None,
        )

    return Case(what, run, group="edge cases", input=lambda: "\n".join(show_input(n, args[n]) for n in names))


def types_case(t: Tester, probe: str, what: str, args: dict, count: int, function: str) -> Case:
    def run() -> Verdict:
        reply = t.probe(probe, **args)
        if "items" not in reply:
            return Verdict(False, f"a tuple of {count} NumPy arrays", _show_items(reply))
        types = [item["type"] for item in reply["items"]]
        ok = all(kind == "ndarray" for kind in types)
        return Verdict(
            ok,
            f"{count} NumPy arrays (ndarray)",
            ", ".join(types),
            detail=None if ok else f"{function} must return NumPy arrays (the later cells index and slice them)",
        )

    return Case(what, run, group="edge cases")


@EXERCISE.part(
    "split",
    points=1,
    title="train_test_split(X, y, n_test, seed)",
    needs=("train_test_split",),
    hint="A held-out set is a random subset of the rows that the model never trains on: which rows are in it, "
    "which are not, and does each label travel with its row?",
    more="One permutation of the row numbers, drawn from a NumPy generator seeded with `seed` "
    "(np.random.default_rng), decides everything: slice "
    "it into test and training row numbers, and index X and y with the same row numbers (indexing makes copies).",
)
def split(t: Tester):
    rng = _rng(t)
    X_iris, y_iris = load_iris()
    if not t.hidden:
        yield split_case(t, "the iris data (150 rows, sorted by species), n_test = 50, seed = 0", X_iris, y_iris, 50, 0)
        X, y = _labelled_rows(rng, 20, 3)
        yield split_case(t, "20 rows of 3 features, n_test = 5, seed = 1", X, y, 5, 1)
        yield seeds_case(t, X, y, 5)
        yield inputs_kept_case(
            t, "split", "X and y are not modified", {"X": X, "y": y, "n_test": 5, "seed": 3}, ("X", "y")
        )
        return
    for seed in (11, 12, 13):
        n, d = int(rng.integers(30, 80)), int(rng.integers(1, 6))
        X, y = _labelled_rows(rng, n, d)
        n_test = int(rng.integers(5, n // 2))
        yield split_case(t, f"{n} rows of {d} features, n_test = {n_test}, seed = {seed}", X, y, n_test, seed)
    X, y = _labelled_rows(rng, 12, 2)
    yield split_case(t, "one test row (n_test = 1)", X, y, 1, 4, group="edge cases")
    yield split_case(t, "one training row (n_test = n - 1)", X, y, 11, 5, group="edge cases")
    yield inputs_kept_case(
        t, "split", "the iris arrays are not modified", {"X": X_iris, "y": y_iris, "n_test": 30, "seed": 2}, ("X", "y")
    )
    yield types_case(
        t, "split", "returns NumPy arrays", {"X": X, "y": y, "n_test": 4, "seed": 6}, 4, "train_test_split"
    )


# --------------------------------------------------------------------------- part 2: standardize


def _scaled(X_train: np.ndarray, X_test: np.ndarray, ddof: int) -> list[np.ndarray]:
    std = X_train.std(axis=0, ddof=ddof) if len(X_train) > ddof else np.zeros(X_train.shape[1])
    std = np.where(std > 0, std, 1.0)
    mean = X_train.mean(axis=0)
    return [(X_train - mean) / std, (X_test - mean) / std]


def standardize_case(
    t: Tester, what: str, X_train: np.ndarray, X_test: np.ndarray, *, group: str = "behaviour"
) -> Case:
    args = {"X_train": X_train, "X_test": X_test}

    def run() -> Verdict:
        expected, problem = _items(t.expect("standardize", **args), "the reference standardize", 2)
        assert problem is None, problem
        items, problem = _items(t.probe("standardize", **args), "standardize", 2)
        if problem:
            return Verdict(False, lambda: _show(expected), "", detail=problem)
        # 1e-6 of each entry (a tiny epsilon added to the deviation passes on ordinary data), plus rounding in
        # x - mean, which is relative to |x| and |mean| and then divided by the deviation.
        std = np.where(X_train.std(axis=0) > 0, X_train.std(axis=0), 1.0)
        mean = np.abs(X_train.mean(axis=0))
        scales = [1e-6 * (np.abs(X) + mean) / std for X in (X_train, X_test)]
        problems = []
        for want in (expected, _scaled(X_train, X_test, 1)):  # ddof=0 (the reference) or ddof=1
            found = [compare(a, e, s, rtol=1e-6) for a, e, s in zip(items, want, scales)]
            if not any(found):
                return Verdict(True)
            problems.append(next(f"{n}: {p}" for n, p in zip(("Z_train", "Z_test"), found) if p))
        return Verdict(False, lambda: _show(expected), lambda: _show(items), detail=problems[0])

    def text() -> str:
        return f"{show_input('X_train', X_train)}\n{show_input('X_test', X_test)}"

    return Case(what, run, input=text, group=group)


def _show(arrays: list) -> str:
    return "\n".join(f"{n} = {show_array(a, digits=8)}" for n, a in zip(("Z_train", "Z_test"), arrays))


def _features(rng: np.random.Generator, n: int, d: int, offset: float = 10.0) -> np.ndarray:
    """Columns with different centres and spreads."""
    return rng.uniform(-offset, offset, size=d) + rng.uniform(0.1, 5.0, size=d) * rng.normal(size=(n, d))


@EXERCISE.part(
    "standardize",
    points=2,
    title="standardize(X_train, X_test)",
    needs=("standardize",),
    hint="Which data may the scaling learn from, when the test set stands for data that arrive after training? "
    "And what should a column with no spread at all become?",
    more="The column statistics come from X_train alone (axis=0); np.where can put 1 where a deviation is 0; "
    "return arrays computed from the inputs, never -= or /= on the inputs themselves.",
)
def standardize(t: Tester):
    rng = _rng(t)
    X_iris, _ = load_iris()
    if not t.hidden:
        yield standardize_case(t, "the iris features: 100 training rows, 50 test rows", X_iris[:100], X_iris[100:])
        yield standardize_case(
            t, "20 training rows, 5 test rows, 3 features", _features(rng, 20, 3), _features(rng, 5, 3)
        )
        constant = _features(rng, 10, 3)
        constant[:, 1] = 2.5
        yield standardize_case(
            t,
            "a feature that is constant in the training set (2.5)",
            constant,
            _features(rng, 4, 3),
            group="edge cases",
        )
        args = {"X_train": _features(rng, 8, 2), "X_test": _features(rng, 3, 2)}
        yield inputs_kept_case(t, "standardize", "X_train and X_test are not modified", args, ("X_train", "X_test"))
        return
    for _ in range(3):
        d = int(rng.integers(1, 7))
        yield standardize_case(
            t, f"random features ({d} columns)", _features(rng, int(rng.integers(5, 60)), d), _features(rng, 7, d)
        )
    yield standardize_case(t, "one test row", _features(rng, 9, 4), _features(rng, 1, 4), group="edge cases")
    X = _features(rng, 12, 3)
    X[:, 0] = -1.0
    X[:, 2] = 0.0
    yield standardize_case(t, "two constant columns (-1 and 0)", X, _features(rng, 3, 3), group="edge cases")
    args = {"X_train": X_iris[:40], "X_test": X_iris[40:50]}
    yield types_case(t, "standardize", "returns NumPy arrays", args, 2, "standardize")
    big = 1e8 + _features(rng, 50, 3, offset=2.0)
    yield standardize_case(
        t, "features near 1e8 with a spread of about 1", big, 1e8 + _features(rng, 5, 3, offset=2.0), group="robustness"
    )
    tiny = 1e-9 * _features(rng, 30, 2)
    yield standardize_case(t, "features of size 1e-9", tiny, 1e-9 * _features(rng, 5, 2), group="robustness")


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
STEP_CHECKS = {
    "visible": [
        ("two SGD steps on a 4-8-3 network", 0, [4, 8, 3], "sgd", 0.5, 2, 6, False, "behaviour"),
        ("gradients left from before the step must not count", 1, [4, 8, 3], "sgd", 0.5, 1, 6, True, "edge cases"),
    ],
    "hidden": [
        ("three SGD steps on a 5-3-2 network", 3, [5, 3, 2], "sgd", 0.3, 3, 5, False, "behaviour"),
        ("three SGD steps on a 2-9-4 network", 4, [2, 9, 4], "sgd", 0.3, 3, 5, False, "behaviour"),
        ("three Adam steps on a 3-6-6-4 network", 5, [3, 6, 6, 4], "adam", 0.01, 3, 8, False, "behaviour"),
        ("stale gradients, then two Adam steps", 6, [3, 6, 6, 4], "adam", 0.01, 2, 8, True, "edge cases"),
        ("a batch of one row", 7, [4, 5, 3], "sgd", 0.2, 2, 1, False, "edge cases"),
    ],
}


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
    for what, seed, sizes, optimizer, lr, steps, rows, stale, group in STEP_CHECKS["hidden" if t.hidden else "visible"]:
        batches = _batches(rng, sizes, steps, rows)
        yield step_case(
            t, what, seed=seed, sizes=sizes, optimizer=optimizer, lr=lr, batches=batches, stale=stale, group=group
        )
    if not t.hidden:
        args = {"seed": 2, "sizes": [4, 8, 3], "optimizer": "sgd", "lr": 0.1, "batches": _batches(rng, [4, 8, 3], 1, 4)}
        yield float_case(t, "returns a Python float", "step", args, lambda r: r["returned"], "train_step")


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
    "numbers (the generator's permutation method) is drawn inside the epoch loop and sliced with range(0, n, batch_size); each returned loss counts len(batch) "
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


# --------------------------------------------------------------------------- part 5: layer_grad_norms


def norms_case(
    t: Tester,
    what: str,
    *,
    seed: int,
    sizes: list,
    shape: str = "plain",
    rows: int = 8,
    stale: bool = False,
    group: str = "behaviour",
) -> Case:
    rng = _rng(t)
    X, y = rng.normal(size=(rows, sizes[0])), rng.integers(0, sizes[-1], size=rows)
    args = {"seed": seed, "sizes": sizes, "shape": shape, "X": X, "y": y, "stale": stale}

    def run() -> Verdict:
        want = [float(returned(item["value"])) for item in t.expect("grad_norms", **args)["items"]]
        reply = t.probe("grad_norms", **args)
        if "items" not in reply:
            return Verdict(
                False,
                f"a list of {len(want)} floats",
                show_array(returned(reply.get("value"))),
                detail="layer_grad_norms must return a list, one norm per nn.Linear layer",
            )
        got = [_number(item) for item in reply["items"]]
        if len(got) != len(want):
            problem = f"{len(got)} norms for {len(want)} nn.Linear layers: one per layer, nested ones included"
        elif any(g is None for g in got):
            problem = "every norm must be a number"
        else:
            problem = compare(np.array(got), np.array(want))
        return Verdict(
            problem is None,
            lambda: show_array(np.array(want)),
            lambda: show_array(np.array([np.nan if g is None else g for g in got])),
            detail=problem,
        )

    model = {"plain": "a Sequential", "nested": "Sequentials inside a Sequential", "custom": "a Module of its own"}

    def text() -> str:
        where = "; a backward pass of another loss has filled every .grad first" if stale else ""
        return f"{model[shape]} of Linear layers {sizes} (seed {seed}), the cross-entropy on {rows} random rows{where}"

    return Case(what, run, input=text, group=group)


@EXERCISE.part(
    "grad_norms",
    points=2,
    title="layer_grad_norms(model, loss)",
    needs=("layer_grad_norms",),
    forbidden=NO_FINITE_DIFFERENCES,
    hint="Which gradient belongs to a layer's weight after this loss's backward pass, and only this one? And "
    "where in a model of nested modules can a Linear layer hide?",
    more="Clear the gradients before back-propagating the loss; model.modules() reaches nested layers and "
    "isinstance picks the nn.Linear ones; np.linalg.norm of the whole gradient array is the root of the sum of all "
    "squared entries; return floats.",
)
def grad_norms(t: Tester):
    if not t.hidden:
        yield norms_case(t, "a 4-8-3 network", seed=0, sizes=[4, 8, 3])
        yield norms_case(t, "a 5-6-6-2 network", seed=1, sizes=[5, 6, 6, 2])
        yield norms_case(
            t,
            "gradients left by an earlier backward pass must not count",
            seed=2,
            sizes=[3, 4, 2],
            stale=True,
            group="edge cases",
        )
        args = {
            "seed": 3,
            "sizes": [3, 4, 2],
            "shape": "plain",
            "X": np.ones((2, 3)),
            "y": np.array([0, 1]),
            "stale": False,
        }
        yield float_case(
            t,
            "returns a list of Python floats",
            "grad_norms",
            args,
            lambda r: r.get("items", []) if r.get("type") == "list" else [],
            "layer_grad_norms",
        )
        return
    rng = _rng(t)
    for seed in (4, 5):
        sizes = [int(n) for n in rng.integers(2, 9, size=int(rng.integers(3, 6)))]
        yield norms_case(t, f"a {'-'.join(map(str, sizes))} network", seed=seed, sizes=sizes)
    yield norms_case(t, "a 10-layer network of width 6 (small gradients near the input)", seed=6, sizes=[6] * 11)
    yield norms_case(t, "Sequentials inside a Sequential", seed=7, sizes=[4, 5, 3], shape="nested", group="edge cases")
    yield norms_case(
        t,
        "a Module of its own, layers as attributes, one without bias",
        seed=8,
        sizes=[3, 5, 4, 2],
        shape="custom",
        group="edge cases",
    )
    yield norms_case(t, "a single row", seed=9, sizes=[4, 3], rows=1, group="edge cases")


# --------------------------------------------------------------------------- part 6: gradient_ratio


def _wide(seed: int, width: int, rows: int = 64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((rows, width)), rng.integers(0, width, size=rows)


def _ratio(reply: Any) -> float | None:
    return _number(reply) if isinstance(reply, dict) and "value" in reply else None


def ratio_case(t: Tester, activation: str, depth: int, width: int, seeds: tuple[int, ...]) -> Case:
    data = [(_wide(100 + seed, width), seed) for seed in seeds]

    def run() -> Verdict:
        got, want = [], []
        for (X, y), seed in data:
            args = {"activation": activation, "depth": depth, "X": X, "y": y, "seed": seed}
            want.append(_ratio(t.expect("ratio", **args)))
            got.append(_ratio(t.probe("ratio", **args)))
        if any(g is None or not g > 0 or not math.isfinite(g) for g in got):
            return Verdict(False, "positive finite ratios", str(got), detail="gradient_ratio must return a number > 0")
        gap = abs(sum(math.log10(g) - math.log10(w) for g, w in zip(got, want)) / len(seeds))
        return Verdict(
            gap <= 1.0,
            lambda: "within a factor of 10 of " + ", ".join(f"{w:.2e}" for w in want) + " (geometric mean)",
            ", ".join(f"{g:.2e}" for g in got),
            detail=None if gap <= 1.0 else f"the ratios are {10**gap:.3g} times off (geometric mean over the seeds)",
        )

    return Case(
        f"gradient_ratio({activation!r}, depth={depth}) on {width} features, seeds {', '.join(map(str, seeds))}",
        run,
        input=f"X: 64 standard normal rows of {width} features, y: 64 labels in range({width}); "
        f"minitorch.manual_seed(seed) before each call",
    )


def contrast_case(t: Tester) -> Case:
    (X, y), seed = _wide(200, 16), 0

    def run() -> Verdict:
        sigmoid, relu = (
            _ratio(t.probe("ratio", activation=a, depth=10, X=X, y=y, seed=seed)) for a in ("sigmoid", "relu")
        )
        ok = sigmoid is not None and relu is not None and 0 < 1000 * sigmoid < relu
        return Verdict(
            ok,
            "the sigmoid network's ratio at least 1000 times smaller than the ReLU network's",
            f"sigmoid {sigmoid!r}, ReLU {relu!r}",
            detail=None
            if ok
            else "at depth 10 the sigmoid's derivative (at most 1/4 per layer) should starve "
            "the first layer far more than the ReLU does",
        )

    return Case("depth 10: sigmoid vanishes much faster than ReLU", run, input="X: 64 rows of 16 features, seed 0")


def depth_one_case(t: Tester) -> Case:
    (X, y), seed = _wide(300, 5), 1

    def run() -> Verdict:
        ratio = _ratio(t.probe("ratio", activation="sigmoid", depth=1, X=X, y=y, seed=seed))
        ok = ratio is not None and math.isclose(ratio, 1.0, rel_tol=1e-12)
        return Verdict(ok, "1.0 (the first layer is the last)", repr(ratio))

    return Case("depth 1: one layer, ratio 1", run, group="edge cases", input="X: 64 rows of 5 features")


def unknown_case(t: Tester) -> Case:
    (X, y), seed = _wide(400, 4), 2

    def run() -> Verdict:
        reply = t.probe("ratio", activation="softplus", depth=3, X=X, y=y, seed=seed)
        ok = reply.get("raised") == "ValueError" and "softplus" in reply.get("message", "")
        return Verdict(
            ok,
            "ValueError naming 'softplus'",
            f"ValueError: {reply['message']}" if "raised" in reply else f"returned {_ratio(reply)!r}",
            detail=None if ok else "an unknown activation name must raise a ValueError whose message names it",
        )

    return Case("an unknown activation ('softplus') raises ValueError", run, group="edge cases")


@EXERCISE.part(
    "vanishing",
    points=2,
    title="gradient_ratio(activation, depth, X, y)",
    needs=("gradient_ratio",),
    forbidden=NO_FINITE_DIFFERENCES,
    hint="Each layer of the backward pass multiplies by its weights and its activation's derivative: what does "
    "a product of ten factors below 1/4 do, and which layer comes first, which last?",
    more="A list alternating nn.Linear(width, width) and activation modules (none after the last Linear) makes "
    "the nn.Sequential; a dict from names to module classes makes the ValueError easy; divide the first of "
    "layer_grad_norms' numbers by the last.",
)
def vanishing(t: Tester):
    if not t.hidden:
        for activation in ("sigmoid", "relu"):
            yield ratio_case(t, activation, 10, 16, (0,))
        yield ratio_case(t, "tanh", 4, 16, (0,))
        yield contrast_case(t)
        yield depth_one_case(t)
        yield unknown_case(t)
        return
    for activation, depth, width in (("sigmoid", 6, 8), ("relu", 8, 12), ("tanh", 10, 16), ("sigmoid", 2, 4)):
        yield ratio_case(t, activation, depth, width, (1, 2, 3))
    (X, y), seed = _wide(500, 6), 3
    yield float_case(
        t,
        "returns a Python float",
        "ratio",
        {"activation": "relu", "depth": 3, "X": X, "y": y, "seed": seed},
        lambda r: [r] if "type" in r else [],
        "gradient_ratio",
    )
