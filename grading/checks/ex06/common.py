"""What the parts of exercise 6 share: chains of blocks, runs of a program and how two runs are compared."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...core import Case, ExerciseSpec, Tester, Verdict
from ...probes import ex06 as P

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
    group: str = "behaviour",
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

    return Case(what, run, input=text or chain.text(), group=group)
