"""Exercise 6, parts 2-4: a chain cut into segments, measured, and the textbook's four blocks."""

from __future__ import annotations

from ...core import Case, Tester, Verdict
from ...probes import ex06 as P
from .common import EXERCISE, FORBIDDEN, Chain, _close, random_chain, run_case

# --------------------------------------------------------------------------- part 2: checkpointed_sequential

SEQUENTIAL_HINT = (
    "How many blocks go into each segment when L is not a multiple of `segments`, and which segment gains "
    "nothing from checkpointing because backward starts right after it?"
)
SEQUENTIAL_MORE = (
    "Round the segment size up (a ceiling division); slice the blocks; wrap each segment but the last as one "
    "function applying its blocks in order and pass it to checkpoint_segment; run the last one plainly. Bind "
    "each segment's blocks when you create its function (late binding in loops gives every function the last "
    "segment)."
)


def sequential_case(t: Tester, what: str, chain: Chain, segments: int, *, group: str = "behaviour") -> Case:
    text = f"{chain.text()}\nout = checkpointed_sequential(blocks, {segments}, x); out.backward(ones)"
    program = {"kind": "sequential", "segments": segments}
    return run_case(t, what, chain, program, text=text, allow=P.SEGMENT_STANDIN, group=group)


@EXERCISE.part(
    "sequential",
    points=3,
    title="checkpointed_sequential: the chain cut into segments",
    needs=("checkpointed_sequential",),
    forbidden=FORBIDDEN,
    hint=SEQUENTIAL_HINT,
    more=SEQUENTIAL_MORE,
)
def sequential(t: Tester):
    if not t.hidden:
        yield sequential_case(
            t,
            "16 sin blocks in 4 segments: 2*sqrt(16) - 1 = 7 activations at the peak",
            Chain(["sin"] * 16, (1000,), seed=30),
            4,
        )
        yield sequential_case(t, "10 blocks in 3 segments (sizes 4, 4, 2)", Chain(["sine3"] * 10, (100,), seed=31), 3)
        yield sequential_case(
            t, "segments=1: nothing is checkpointed", Chain(["sine3"] * 5, (100,), seed=32), 1, group="edge cases"
        )
        yield sequential_case(
            t,
            "segments=L: every block but the last is its own segment",
            Chain(["sin", "sine3", "sin", "log1p_square"], (100,), seed=33),
            4,
            group="edge cases",
        )
        yield sequential_case(
            t,
            "blocks with parameters, x not requiring grad: parameter .grad",
            Chain(
                ["tanh_affine", "scaled_sin", "tanh_affine", "sin", "tanh_affine"], (6,), seed=34, x_requires_grad=False
            ),
            2,
            group="edge cases",
        )
        return
    for i in range(5):
        length = t.rng.randint(2, 24)
        segments = t.rng.randint(1, length)
        yield sequential_case(
            t, f"random chain #{i + 1}: {length} blocks, {segments} segments", random_chain(t.rng, length), segments
        )
    for what, chain, segments in (
        ("10 blocks in 4 segments (sizes 3, 3, 3, 1)", Chain(["sin"] * 10, (50,), seed=35), 4),
        ("10 blocks in 6 segments (five segments of 2)", Chain(["sin"] * 10, (50,), seed=36), 6),
        ("one block, one segment", Chain(["tanh_affine"], (5,), seed=37), 1),
    ):
        yield sequential_case(t, what, chain, segments, group="edge cases")
    yield sequential_case(
        t,
        "64 sin blocks in 8 segments: 15 activations at the peak",
        Chain(["sin"] * 64, (64,), seed=38),
        8,
        group="scale",
    )


# --------------------------------------------------------------------------- part 3: measure

MEASURE_HINT = (
    "The peak is reached between the forward and the backward pass, and recomputations happen during "
    "backward: what must one profiling block contain to see both?"
)
MEASURE_MORE = (
    "Put both passes inside one profile_memory block: the plain chain when segments is None, else your "
    "checkpointed_sequential; seed backward with ones of the output's shape; return the report's peak saved "
    "bytes and forward operations as a pair of integers."
)


def measure_case(t: Tester, what: str, chain: Chain, segments: int | None, *, group: str = "behaviour") -> Case:
    def run() -> Verdict:
        reply = t.probe("measure", chain=chain.data(), segments=segments, allow=P.SEQUENTIAL_STANDIN)
        reference = t.expect("measure", chain=chain.data(), segments=segments)
        expected = reference["pair"]
        unit = chain.unit()
        expected_text = f"({expected[0]}, {expected[1]}): peak {expected[0] / unit:g} activations, {expected[1]} ops"
        if "pair" not in reply:
            return Verdict(
                False,
                expected_text,
                reply["repr"],
                detail="measure must return a tuple of two integers: (peak_saved_bytes, forward_ops)",
            )
        peak, ops = reply["pair"]
        actual_text = f"({peak}, {ops}): peak {peak / unit:g} activations, {ops} ops"
        problem = None
        if (peak, ops) != tuple(expected):
            problem = []
            if peak != expected[0]:
                problem.append(f"the peak is {peak:,} bytes, expected {expected[0]:,}")
            if ops != expected[1]:
                problem.append(f"{ops} forward ops counted, expected {expected[1]}")
            problem = "; ".join(problem) + " (are both passes inside one profile_memory block, seeded with ones?)"
        elif reply["x_grad"] is None or reference["x_grad"] is None or not _close(reply["x_grad"], reference["x_grad"]):
            problem = "x.grad is not the gradient of the chain: did measure run out.backward(ones_like(out))?"
        return Verdict(problem is None, expected_text, actual_text, detail=problem)

    seg = "None (plain)" if segments is None else str(segments)
    return Case(what, run, input=f"{chain.text()}\nmeasure(blocks, {seg}, x)", group=group)


@EXERCISE.part(
    "measure",
    points=2,
    title="measure: peak saved memory and forward work",
    needs=("measure",),
    forbidden=FORBIDDEN,
    hint=MEASURE_HINT,
    more=MEASURE_MORE,
)
def measure(t: Tester):
    if not t.hidden:
        yield measure_case(
            t, "16 sin blocks, plain: 16 activations at the peak", Chain(["sin"] * 16, (1000,), seed=40), None
        )
        yield measure_case(
            t,
            "16 sin blocks, 4 segments: 7 activations, 1.75 times the forward work",
            Chain(["sin"] * 16, (1000,), seed=40),
            4,
        )
        yield measure_case(t, "4 sine blocks, 2 segments", Chain(["sine3"] * 4, (200,), seed=41), 2)
        return
    for i in range(4):
        length = t.rng.randint(2, 20)
        segments = None if i == 0 else t.rng.randint(1, length)
        chain = random_chain(t.rng, length, params=False)
        yield measure_case(t, f"random chain #{i + 1}: {length} blocks, segments={segments}", chain, segments)
    yield measure_case(
        t, "100 sin blocks in 10 segments: 19 activations", Chain(["sin"] * 100, (32,), seed=42), 10, group="scale"
    )


# --------------------------------------------------------------------------- part 4: checkpoint_blocks

BLOCKS_HINT = "Which positions does `which` name: counted from 0, or from 1 as the textbook numbers its blocks?"
BLOCKS_MORE = (
    "Loop over the blocks with their positions; a block whose position is in `which` goes through "
    "checkpoint_segment on its own, the others run plainly. The textbook's block 3 is position 2."
)


def blocks_case(t: Tester, what: str, chain: Chain, which: set[int], *, group: str = "behaviour") -> Case:
    shown = "{" + ", ".join(map(str, sorted(which))) + "}" if which else "set()"
    text = f"{chain.text()}\nout = checkpoint_blocks(blocks, {shown}, x); out.backward(ones)"
    program = {"kind": "blocks", "which": sorted(which)}
    return run_case(t, what, chain, program, text=text, allow=P.SEGMENT_STANDIN, group=group)


def textbook_case(t: Tester) -> Case:
    """The book's numbers: 12 and 15 forward ops (1.25), 12 and 10 activations at the peak."""

    def run() -> Verdict:
        chain = Chain(["sine3"] * 4, (1000,), seed=50)
        numbers = [
            (ops, peak // chain.unit())
            for ops, peak in t.probe("textbook", chain=chain.data(), allow=P.SEGMENT_STANDIN)
        ]
        (plain_ops, plain_peak), (ops, peak) = numbers
        actual = f"forward ops {ops} / {plain_ops}, peak {peak} / {plain_peak} activations"
        ok = (plain_ops, ops, plain_peak, peak) == (12, 15, 12, 10)
        return Verdict(
            ok,
            "forward ops 15 / 12 = 1.25, peak 10 / 12 activations",
            actual,
            detail=None if ok else "the textbook's example: only block 3 (position 2) is recomputed",
        )

    return Case(
        "the textbook's example: 4 sine blocks, block 3 checkpointed (which={2}): 1.25 times the work",
        run,
        input="blocks = [sine_block] * 4, x = 1000 numbers; which = set() and which = {2}",
    )


@EXERCISE.part(
    "blocks",
    points=2,
    title="checkpoint_blocks: the textbook's four blocks",
    needs=("checkpoint_blocks",),
    forbidden=FORBIDDEN,
    hint=BLOCKS_HINT,
    more=BLOCKS_MORE,
)
def blocks(t: Tester):
    if not t.hidden:
        yield textbook_case(t)
        yield blocks_case(
            t, "4 sine blocks, which={2}: x.grad, runs, memory", Chain(["sine3"] * 4, (100,), seed=51), {2}
        )
        yield blocks_case(
            t, "which=set(): the plain pass", Chain(["sin", "sine3", "sin"], (100,), seed=52), set(), group="edge cases"
        )
        return
    for i in range(4):
        length = t.rng.randint(1, 8)
        which = {k for k in range(length) if t.rng.random() < 0.5}
        yield blocks_case(
            t, f"random chain #{i + 1}: {length} blocks, which={sorted(which)}", random_chain(t.rng, length), which
        )
    yield blocks_case(
        t,
        "every block checkpointed, parameters",
        Chain(["tanh_affine", "scaled_sin", "sine3"], (5,), seed=53, x_requires_grad=False),
        {0, 1, 2},
        group="edge cases",
    )
