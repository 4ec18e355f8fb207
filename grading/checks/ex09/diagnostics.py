"""Exercise 9, parts 5-6: per-layer gradient norms, and the vanishing-gradient ratio."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...arrays import compare, returned, show_array
from ...core import Case, Tester, Verdict
from .common import EXERCISE, NO_FINITE_DIFFERENCES, _rng
from .training import _number, float_case

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
