"""Exercise 6, part 1: CheckpointSegment, one checkpointed segment."""

from __future__ import annotations

import numpy as np

from ...core import Case, Tester, Verdict
from .common import EXERCISE, FORBIDDEN, Chain, _array_problem, _close, random_chain, run_case

# --------------------------------------------------------------------------- part 1: CheckpointSegment

SEGMENT_HINT = (
    "What does the node keep for backward (only the segment's input), and in which grad mode must backward "
    "run the segment again so that there is a graph to back-propagate through?"
)
SEGMENT_MORE = (
    "forward keeps fn as an attribute of ctx (per call: two segments in one graph each need their own, never "
    "the class) and saves only x. backward makes a fresh leaf from the saved x, recomputes fn on it with grad "
    "mode on and memory counting resumed, back-propagates grad_output through the recomputation, and returns "
    "None for fn and the leaf's gradient for x."
)


def segment_case(
    t: Tester, what: str, chain: Chain, before: int, inside: int, after: int, *, group: str = "behaviour"
) -> Case:
    """Blocks [0, before) plain, [before, before + inside) as one checkpointed segment, the rest plain."""

    def span(first: int, last: int) -> str:
        return f"block {first}" if first == last else f"blocks {first}-{last}"

    steps = [f"{span(1, before)} plain"] if before else []
    inner = ", ".join(chain.kinds[before : before + inside])
    argument = "h" if before else "x"
    steps.append(f"checkpoint_segment(<{span(before + 1, before + inside)} in order: {inner}>, {argument})")
    if after:
        steps.append(f"{span(before + inside + 1, before + inside + after)} plain")
    text = f"{chain.text()}\nprogram: " + ", then ".join(steps) + "; out.backward(ones)"
    # A correct backward may copy the saved input (minitorch.tensor(x, requires_grad=True)) instead of
    # sharing it (x.detach()): one more array held while the segment is recomputed.
    program = {"kind": "segment", "before": before, "inside": inside, "after": after}
    return run_case(t, what, chain, program, text=text, peak_slack=lambda c: c.unit(), group=group)


def segment_value_case(t: Tester) -> Case:
    chain = Chain(["sine3"], (1000,), seed=1)

    def run() -> Verdict:
        reply = t.probe("segment_value", chain=chain.data())
        expected = np.sin(np.sin(np.sin(chain.x0())))
        if "value" not in reply:
            return Verdict(False, "a Tensor equal to sine_block(x), requiring grad", reply["kind"])
        value = reply["value"]
        ok_value = value.shape == expected.shape and _close(value, expected)
        actual = f"{'equal to' if ok_value else 'different from'} sine_block(x); requires_grad={reply['requires_grad']}"
        problem = None
        if not ok_value:
            problem = _array_problem("the output", value, expected)
        elif not reply["recorded"]:
            problem = "the output must be recorded (requires_grad and a grad_fn): return fn(x) from forward"
        return Verdict(problem is None, "equal to sine_block(x); requires_grad=True", actual, detail=problem)

    return Case(
        "checkpoint_segment(sine_block, x): the value of sine_block(x), recorded as one node",
        run,
        input="x = 1000 numbers in [-1, 1], requires_grad=True",
    )


def segment_no_grad_case(t: Tester) -> Case:
    chain = Chain(["sine3", "tanh_affine"], (6,), seed=7)

    def run() -> Verdict:
        reply = t.probe("segment_no_grad", chain=chain.data())
        expected = t.expect("segment_no_grad", chain=chain.data(), plain=True)["value"]
        runs = reply["runs"]
        problem = _array_problem("the output", reply["value"], expected)
        if problem is None and reply["requires_grad"]:
            problem = "under no_grad() the output must not require a gradient"
        if problem is None and runs != [1, 1]:
            problem = f"the blocks ran {runs} times; under no_grad() fn runs once"
        return Verdict(
            problem is None,
            "fn(x), not recorded, fn run once",
            f"requires_grad={reply['requires_grad']}, runs per block {runs}",
            detail=problem,
        )

    return Case(
        "under minitorch.no_grad(): checkpoint_segment(fn, x) is fn(x), nothing recorded",
        run,
        input=chain.text(),
        group="edge cases",
    )


def segment_functional_case(t: Tester) -> Case:
    chain = Chain(["sine3", "log1p_square"], (5,), seed=11)

    def run() -> Verdict:
        reply = t.probe("segment_functional", chain=chain.data())
        expected = t.expect("segment_functional", chain=chain.data(), plain=True)["array"]
        if "array" not in reply:
            return Verdict(
                False,
                np.array2string(expected, precision=10),
                reply["repr"],
                detail=f"minitorch.grad returned a {reply['kind']}",
            )
        value = reply["array"]
        problem = _array_problem("minitorch.grad", value, expected)
        return Verdict(
            problem is None,
            np.array2string(expected, precision=10),
            np.array2string(np.asarray(value), precision=10),
            detail=problem,
        )

    return Case(
        "minitorch.grad(lambda x: (checkpoint_segment(fn, x) * c).sum())(x): the plain gradient",
        run,
        input=chain.text(),
        group="edge cases",
    )


def two_segments_case(t: Tester) -> Case:
    """Two CheckpointSegment nodes in one graph: each backward must recompute its own fn (kept on its ctx)."""
    chain = Chain(["sine3", "scaled_sin", "log1p_square", "tanh_affine"], (6,), seed=22)
    return run_case(
        t,
        "two segments in a row, then out * x: each node recomputes its own blocks (state on ctx, per call)",
        chain,
        {"kind": "two_segments"},
        text=chain.text() + "\nprogram: h = cs(blocks 1-2, x); h = cs(blocks 3-4, h); out = h * x",
        peak_slack=lambda c: 2 * c.unit(),
        group="edge cases",
    )


@EXERCISE.part(
    "segment",
    points=3,
    title="CheckpointSegment: keep the input, recompute in backward",
    needs=("checkpoint_segment",),
    forbidden=FORBIDDEN,
    hint=SEGMENT_HINT,
    more=SEGMENT_MORE,
)
def segment(t: Tester):
    if not t.hidden:
        yield segment_value_case(t)
        yield segment_case(
            t,
            "sin, checkpointed sine_block, sin: x.grad, the blocks' runs, memory and work",
            Chain(["sin", "sine3", "sin"], (1000,), seed=2),
            1,
            1,
            1,
        )
        yield segment_case(
            t,
            "a segment of two blocks with parameters, x not requiring grad: parameter .grad",
            Chain(["tanh_affine", "scaled_sin"], (8,), seed=3, x_requires_grad=False),
            0,
            2,
            0,
            group="edge cases",
        )
        yield segment_case(
            t,
            "the whole chain is one segment: it runs twice, only x is kept",
            Chain(["sine3", "sine3"], (1000,), seed=4),
            0,
            2,
            0,
        )
        yield two_segments_case(t)
        return
    for i in range(4):
        length = t.rng.randint(2, 6)
        chain = random_chain(t.rng, length)
        before = t.rng.randint(0, length - 1)
        inside = t.rng.randint(1, length - before)
        yield segment_case(
            t, f"random chain #{i + 1}, one segment inside it", chain, before, inside, length - before - inside
        )
    yield segment_no_grad_case(t)
    yield segment_functional_case(t)
    chain = Chain(["tanh_affine", "sine3", "scaled_sin"], (4, 3), seed=21)
    yield segment_case(t, "matrices, parameters in the segment and after it", chain, 0, 2, 1, group="edge cases")
