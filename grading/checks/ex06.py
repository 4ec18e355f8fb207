"""Exercise 6: gradient checkpointing, measured.

Every check runs a small *program* over a chain of blocks three times, each time on fresh blocks with the same
parameters and a fresh input: with the student's function, with the reference's, and plainly (no checkpoint at
all). Each run is measured with ``minitorch.profile_memory`` and back-propagates ones from the output. Then

* the value, the input's gradient and every parameter's ``.grad`` must be those of the plain run (to rounding:
  checkpointing repeats the same arithmetic, but parameter gradients may be summed in another order);
* each block must run as often, and in the same grad mode, as with the reference (a checkpointed block runs
  twice: without recording in the forward pass, recording in the backward pass);
* the bytes held after the forward pass, the peak and the forward operations must be the reference's.

Parts are checked on their own: ``checkpointed_sequential`` and ``checkpoint_blocks`` run with minitorch's
``Checkpoint`` primitive as ``checkpoint_segment``, and ``measure`` with ``minitorch.checkpoint_sequential`` as
``checkpointed_sequential`` too (the reference then runs with the same stand-ins).

The runs happen in :mod:`grading.probes.ex06` (the student's in the sandbox, the reference's and the plain one
here); this module compares what they report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import Case, ExerciseSpec, Tester, Verdict
from ..probes import ex06 as P

EXERCISE = ExerciseSpec("ex06", "ex06_checkpointing", "Gradient checkpointing: memory for computation")

FORBIDDEN = ("minitorch.checkpoint",)
RTOL = 1e-9

# --------------------------------------------------------------------------- blocks and chains

#: Block kinds (see grading.probes.ex06.Block); tanh_affine and scaled_sin have parameters.
KINDS = ("sine3", "sin", "tanh_affine", "scaled_sin", "log1p_square")


@dataclass
class Chain:
    """A chain of block kinds with fixed parameter values; the probe builds fresh blocks and parameters from
    :meth:`data`."""

    kinds: list[str]
    shape: tuple[int, ...]
    seed: int = 0
    x_requires_grad: bool = True

    def data(self) -> dict:
        return {
            "kinds": list(self.kinds),
            "shape": list(self.shape),
            "seed": self.seed,
            "x_requires_grad": self.x_requires_grad,
        }

    def x0(self) -> np.ndarray:
        return P.initial_x(self.data())

    def unit(self) -> int:
        """Bytes of one activation (one float64 array of the input's shape)."""
        return 8 * int(np.prod(self.shape))

    def text(self) -> str:
        names = ", ".join(self.kinds)
        extra = "" if self.x_requires_grad else " (x does not require a gradient; the blocks' parameters do)"
        return f"blocks = [{names}], x of shape {self.shape}{extra}"


def random_chain(rng, length: int, *, params: bool = True) -> Chain:
    kinds = [rng.choice(KINDS if params else ("sine3", "sin", "log1p_square")) for _ in range(length)]
    shape = (rng.randint(3, 12),) if rng.random() < 0.6 else (rng.randint(3, 8), rng.randint(2, 4))
    return Chain(kinds, shape, seed=rng.randint(0, 10_000))


@dataclass
class Run:
    """What :func:`grading.probes.ex06.execute` reports of one run."""

    value: Any = None
    x_grad: Any = None
    param_grads: list = field(default_factory=list)
    calls: list = field(default_factory=list)
    held: int = 0
    peak: int = 0
    ops: int = 0
    requires_grad: bool = True


# --------------------------------------------------------------------------- comparing runs


def _close(actual: Any, expected: np.ndarray) -> bool:
    actual = np.asarray(actual, dtype=float)
    if actual.shape != expected.shape:
        return False
    scale = float(np.abs(expected).max(initial=0.0))
    return bool(np.all(np.abs(actual - expected) <= RTOL * (np.abs(expected) + scale) + 1e-300))


def _array_problem(name: str, actual: Any, expected: Any) -> str | None:
    if expected is None:
        return None if actual is None else f"{name} should get no gradient, got one"
    if actual is None:
        return f"{name} got no gradient (its .grad is None); the plain pass gives it one"
    actual = np.asarray(actual, dtype=float)
    if actual.shape != expected.shape:
        return f"{name} has shape {actual.shape}, expected {expected.shape}"
    if _close(actual, expected):
        return None
    i = np.unravel_index(int(np.argmax(np.abs(actual - expected))), expected.shape)
    return (
        f"{name} differs from the plain pass: at index {tuple(int(k) for k in i)} expected {expected[i]:.12g}, "
        f"got {actual[i]:.12g}"
    )


def _runs(calls: list) -> str:
    return "[" + " ".join(str(len(c)) for c in calls) + "]"


def _modes(calls: list) -> str:
    return "[" + ", ".join("+".join("on" if m else "off" for m in c) or "-" for c in calls) + "]"


def _bytes(n: int, unit: int) -> str:
    return f"{n:,} bytes ({n / unit:g} activation{'' if n == unit else 's'})"


def summary(run: Run, unit: int) -> str:
    return (
        f"runs per block {_runs(run.calls)}; held after the forward pass {_bytes(run.held, unit)}; "
        f"peak {_bytes(run.peak, unit)}; {run.ops} forward ops"
    )


def compare(actual: Run, reference: Run, plain: Run, unit: int, *, peak_slack: int = 0) -> str | None:
    """The first way ``actual`` differs from what it should be (None if it does not)."""
    if actual.value.shape != plain.value.shape or not _close(actual.value, plain.value):
        return _array_problem("the output", actual.value, plain.value) or "the output differs from the plain pass"
    for name, a, e in [("x.grad", actual.x_grad, plain.x_grad)] + [
        (f"the .grad of parameter #{i + 1}", a, e)
        for i, (a, e) in enumerate(zip(actual.param_grads, plain.param_grads))
    ]:
        problem = _array_problem(name, a, e)
        if problem:
            return problem
    for i, (a, e) in enumerate(zip(actual.calls, reference.calls)):
        if a != e:
            return (
                f"block #{i + 1} ran {len(a)} time(s) ({'+'.join('on' if m else 'off' for m in a) or '-'}), "
                f"expected {len(e)} ({'+'.join('on' if m else 'off' for m in e)}); on/off: grad mode in that run"
            )
    if actual.held != reference.held:
        return (
            f"after the forward pass {_bytes(actual.held, unit)} are kept for backward, expected "
            f"{_bytes(reference.held, unit)}"
        )
    if not reference.peak <= actual.peak <= reference.peak + peak_slack:
        return f"the peak is {_bytes(actual.peak, unit)}, expected {_bytes(reference.peak, unit)}"
    if actual.ops != reference.ops:
        return f"profile_memory counted {actual.ops} forward ops, expected {reference.ops}"
    return None


def run_case(
    t: Tester,
    what: str,
    chain: Chain,
    program: dict,
    *,
    allow: tuple[str, ...] = (),
    peak_slack: Callable[[Chain], int] | None = None,
    text: str | None = None,
) -> Case:
    """A case comparing the program ``program`` (data, see :func:`grading.probes.ex06.program`) run with the
    student's functions, with the reference's and with no checkpointing at all (the plain pass). ``allow``: the
    labels of the stand-ins the probe swaps in."""

    def run() -> Verdict:
        actual = Run(**t.probe("run", chain=chain.data(), spec=program, allow=allow))
        reference = Run(**t.expect("run", chain=chain.data(), spec=program))
        plain = Run(**t.expect("run", chain=chain.data(), spec=program, plain=True))
        unit = chain.unit()
        slack = peak_slack(chain) if peak_slack else 0
        problem = compare(actual, reference, plain, unit, peak_slack=slack)
        expected = "the plain pass's output and gradients; " + summary(reference, unit)
        return Verdict(problem is None, expected, summary(actual, unit), detail=problem)

    return Case(what, run, input=text or chain.text())


# --------------------------------------------------------------------------- part 1: CheckpointSegment

SEGMENT_HINT = (
    "forward: ctx.fn = fn; ctx.save_for_backward(x); return fn(x) (apply already turned grad mode "
    "off). backward: (x,) = ctx.saved_tensors; start = x.detach().requires_grad_(); with "
    "minitorch.enable_grad(), memory.resume_counting(): out = ctx.fn(start); then "
    "out.backward(grad_output) and return None, start.grad."
)


def segment_case(t: Tester, what: str, chain: Chain, before: int, inside: int, after: int) -> Case:
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
    return run_case(t, what, chain, program, text=text, peak_slack=lambda c: c.unit())


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
        "under minitorch.no_grad(): checkpoint_segment(fn, x) is fn(x), nothing recorded", run, input=chain.text()
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
    )


@EXERCISE.part(
    "segment",
    points=3,
    title="CheckpointSegment: keep the input, recompute in backward",
    needs=("checkpoint_segment",),
    forbidden=FORBIDDEN,
    hint=SEGMENT_HINT,
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
        )
        yield segment_case(
            t,
            "the whole chain is one segment: it runs twice, only x is kept",
            Chain(["sine3", "sine3"], (1000,), seed=4),
            0,
            2,
            0,
        )
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
    yield segment_case(t, "matrices, parameters in the segment and after it", chain, 0, 2, 1)

    chain = Chain(["sine3", "scaled_sin", "log1p_square", "tanh_affine"], (6,), seed=22)
    yield run_case(
        t,
        "two segments in a row, then out * x (x used twice)",
        chain,
        {"kind": "two_segments"},
        text=chain.text() + "\nprogram: h = cs(blocks 1-2, x); h = cs(blocks 3-4, h); out = h * x",
        peak_slack=lambda c: 2 * c.unit(),
    )


# --------------------------------------------------------------------------- part 2: checkpointed_sequential

SEQUENTIAL_HINT = (
    "size = math.ceil(L / segments); segments blocks[0:size], blocks[size:2*size], ...; each segment "
    "but the last goes through checkpoint_segment as one function applying its blocks in order; the "
    "last runs plainly. Close over each segment's blocks (beware of late binding in loops)."
)


def sequential_case(t: Tester, what: str, chain: Chain, segments: int) -> Case:
    text = f"{chain.text()}\nout = checkpointed_sequential(blocks, {segments}, x); out.backward(ones)"
    return run_case(t, what, chain, {"kind": "sequential", "segments": segments}, text=text, allow=P.SEGMENT_STANDIN)


@EXERCISE.part(
    "sequential",
    points=3,
    title="checkpointed_sequential: the chain cut into segments",
    needs=("checkpointed_sequential",),
    forbidden=FORBIDDEN,
    hint=SEQUENTIAL_HINT,
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
        yield sequential_case(t, "segments=1: nothing is checkpointed", Chain(["sine3"] * 5, (100,), seed=32), 1)
        yield sequential_case(
            t,
            "segments=L: every block but the last is its own segment",
            Chain(["sin", "sine3", "sin", "log1p_square"], (100,), seed=33),
            4,
        )
        yield sequential_case(
            t,
            "blocks with parameters, x not requiring grad: parameter .grad",
            Chain(
                ["tanh_affine", "scaled_sin", "tanh_affine", "sin", "tanh_affine"], (6,), seed=34, x_requires_grad=False
            ),
            2,
        )
        return
    for i in range(5):
        length = t.rng.randint(2, 24)
        segments = t.rng.randint(1, length)
        yield sequential_case(
            t, f"random chain #{i + 1}: {length} blocks, {segments} segments", random_chain(t.rng, length), segments
        )
    yield sequential_case(t, "10 blocks in 4 segments (sizes 3, 3, 3, 1)", Chain(["sin"] * 10, (50,), seed=35), 4)
    yield sequential_case(t, "10 blocks in 6 segments (five segments of 2)", Chain(["sin"] * 10, (50,), seed=36), 6)
    yield sequential_case(t, "one block, one segment", Chain(["tanh_affine"], (5,), seed=37), 1)
    yield sequential_case(
        t, "64 sin blocks in 8 segments: 15 activations at the peak", Chain(["sin"] * 64, (64,), seed=38), 8
    )


# --------------------------------------------------------------------------- part 3: measure

MEASURE_HINT = (
    "One `with minitorch.profile_memory() as report:` around both passes: out = run_plain(blocks, x) if "
    "segments is None else checkpointed_sequential(blocks, segments, x); "
    "out.backward(minitorch.ones_like(out)); return (report.peak_saved_bytes, report.forward_ops)."
)


def measure_case(t: Tester, what: str, chain: Chain, segments: int | None) -> Case:
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
    return Case(what, run, input=f"{chain.text()}\nmeasure(blocks, {seg}, x)")


@EXERCISE.part(
    "measure",
    points=2,
    title="measure: peak saved memory and forward work",
    needs=("measure",),
    forbidden=FORBIDDEN,
    hint=MEASURE_HINT,
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
    yield measure_case(t, "100 sin blocks in 10 segments: 19 activations", Chain(["sin"] * 100, (32,), seed=42), 10)


# --------------------------------------------------------------------------- part 4: checkpoint_blocks

BLOCKS_HINT = (
    "for i, block in enumerate(blocks): x = checkpoint_segment(block, x) if i in which else block(x). "
    "Positions count from 0: the textbook's block 3 is which={2}."
)


def blocks_case(t: Tester, what: str, chain: Chain, which: set[int]) -> Case:
    shown = "{" + ", ".join(map(str, sorted(which))) + "}" if which else "set()"
    text = f"{chain.text()}\nout = checkpoint_blocks(blocks, {shown}, x); out.backward(ones)"
    return run_case(t, what, chain, {"kind": "blocks", "which": sorted(which)}, text=text, allow=P.SEGMENT_STANDIN)


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
)
def blocks(t: Tester):
    if not t.hidden:
        yield textbook_case(t)
        yield blocks_case(
            t, "4 sine blocks, which={2}: x.grad, runs, memory", Chain(["sine3"] * 4, (100,), seed=51), {2}
        )
        yield blocks_case(t, "which=set(): the plain pass", Chain(["sin", "sine3", "sin"], (100,), seed=52), set())
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
    )
