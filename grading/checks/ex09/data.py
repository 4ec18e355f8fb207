"""Exercise 9, parts 1-2: a train/test split and standardized features."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from minitorch.data import load_iris

from ...arrays import compare, returned, show_array, show_input
from ...core import Case, Tester, Verdict
from .common import EXERCISE, _items, _rng

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
