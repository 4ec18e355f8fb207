"""Exercise 6's probes: programs over a chain of blocks, run and measured with the student's checkpointing.

A chain travels as ``{"kinds": [...], "shape": [...], "seed": s, "x_requires_grad": bool}``; the probe
builds fresh blocks (which count their calls and the grad mode of each), their parameters and the
input from it, runs a *program* inside ``minitorch.profile_memory``, back-propagates ones and returns
what happened as data (:func:`execute`). A program travels as ``{"kind": ..., ...}`` (:func:`program`).

Where a part needs an earlier one, minitorch's own checkpointing stands in for it: ``checkpoint_segment``
is minitorch's ``Checkpoint`` primitive (labels :data:`SEGMENT_STANDIN`), ``checkpointed_sequential``
is ``minitorch.checkpoint_sequential`` (labels :data:`SEQUENTIAL_STANDIN`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

import minitorch
from minitorch.checkpoint import Checkpoint

from .base import patched, probe, short_repr, student

#: What the checkpoint_segment stand-in runs: not held against the student in probes that swap it in.
SEGMENT_STANDIN = ("minitorch.checkpoint.Checkpoint.", "minitorch.checkpoint._start", "minitorch.checkpoint._tensor")
#: The same for checkpointed_sequential's stand-in (all of minitorch's checkpointing).
SEQUENTIAL_STANDIN = ("minitorch.checkpoint.",)


def checkpoint_segment_standin(fn: Callable, x: minitorch.Tensor) -> minitorch.Tensor:
    """``checkpoint_segment`` as the exercise defines it, by minitorch's Checkpoint primitive."""
    return Checkpoint.apply(fn, x)


class Block:
    """A block of a chain: a function of one tensor that counts its calls (and the grad mode of each)."""

    def __init__(self, kind: str, params: list):
        self.kind, self.params = kind, params
        self.calls: list[bool] = []

    def __call__(self, h: Any) -> Any:
        self.calls.append(minitorch.is_grad_enabled())
        if self.kind == "sine3":
            return h.sin().sin().sin()
        if self.kind == "sin":
            return h.sin()
        if self.kind == "tanh_affine":
            W, b = self.params
            return (W @ h + b).tanh()
        if self.kind == "scaled_sin":
            (s,) = self.params
            return (h * s).sin()
        if self.kind == "log1p_square":
            return (h * h + 1.0).log() - h * 0.5
        raise ValueError(self.kind)

    def __repr__(self) -> str:
        return f"<block {self.kind}>"


def initial_x(chain: dict) -> np.ndarray:
    """The chain's input values (uniform in [-1, 1], seeded)."""
    return np.random.default_rng(chain["seed"] + 1000).uniform(-1.0, 1.0, tuple(chain["shape"]))


def build(chain: dict) -> tuple[list[Block], list]:
    """Fresh blocks and their parameters (fixed values: seeded)."""
    rng = np.random.default_rng(chain["seed"])
    n = chain["shape"][0]
    column = (n,) if len(chain["shape"]) == 1 else (n, 1)
    blocks, params = [], []
    for kind in chain["kinds"]:
        if kind == "tanh_affine":
            ps = [
                minitorch.tensor(rng.standard_normal((n, n)) / math.sqrt(n), requires_grad=True),
                minitorch.tensor(0.1 * rng.standard_normal(column), requires_grad=True),
            ]
        elif kind == "scaled_sin":
            ps = [minitorch.tensor(1.0 + 0.2 * rng.standard_normal(column), requires_grad=True)]
        else:
            ps = []
        params += ps
        blocks.append(Block(kind, ps))
    return blocks, params


def runner(blocks: list) -> Callable:
    """The blocks applied in order, as one function."""

    def run(h: Any) -> Any:
        for block in blocks:
            h = block(h)
        return h

    return run


def plain_checkpoint(fn: Callable, x: Any) -> Any:
    return fn(x)


def segment_function(namespace: dict, plain: bool) -> Callable:
    """The namespace's checkpoint_segment, or (``plain``) a call of the function without checkpointing."""
    return plain_checkpoint if plain else student(namespace, "checkpoint_segment")


def program(namespace: dict, spec: dict, plain: bool) -> Callable[[list, Any], Any]:
    """``(blocks, x) -> output`` for a program ``spec``, with the namespace's functions (``plain``: none of them,
    no checkpointing at all)."""
    kind = spec["kind"]
    if kind in ("segment", "two_segments"):
        cs = segment_function(namespace, plain)
        if kind == "two_segments":

            def two(blocks: list, x: Any) -> Any:
                h = cs(runner(blocks[:2]), x)
                h = cs(runner(blocks[2:]), h)
                return h * x  # x is used again after the segments (fan-out)

            return two
        before, inside, after = spec["before"], spec["inside"], spec["after"]

        def one(blocks: list, x: Any) -> Any:
            h = runner(blocks[:before])(x)
            h = cs(runner(blocks[before : before + inside]), h)
            return runner(blocks[before + inside : before + inside + after])(h)

        return one
    if plain:
        return lambda blocks, x: runner(blocks)(x)
    if kind == "sequential":
        fn = student(namespace, "checkpointed_sequential")
        return lambda blocks, x: fn(blocks, spec["segments"], x)
    if kind == "blocks":
        fn = student(namespace, "checkpoint_blocks")
        return lambda blocks, x: fn(blocks, set(spec["which"]), x)
    raise ValueError(f"no program {kind!r}")


def array_or_none(t: Any) -> np.ndarray | None:
    return None if t is None else t.numpy().copy()


def execute(run: Callable[[list, Any], Any], chain: dict) -> dict:
    """Run a program on fresh blocks and a fresh x, inside profile_memory; back-propagate ones. The output's value,
    x's and the parameters' gradients, each block's grad mode per run, and the memory report."""
    blocks, params = build(chain)
    x = minitorch.tensor(initial_x(chain), requires_grad=chain["x_requires_grad"])
    with minitorch.profile_memory() as report:
        out = run(blocks, x)
        if not isinstance(out, minitorch.Tensor):
            raise TypeError(f"expected a minitorch Tensor as the output, got {type(out).__name__}")
        held, requires_grad = report.saved_bytes, out.requires_grad
        value = out.detach().numpy().copy()
        out.backward(minitorch.ones_like(out))
    return {
        "value": value,
        "x_grad": array_or_none(x.grad),
        "param_grads": [array_or_none(p.grad) for p in params],
        "calls": [list(b.calls) for b in blocks],
        "held": int(held),
        "peak": int(report.peak_saved_bytes),
        "ops": int(report.forward_ops),
        "requires_grad": bool(requires_grad),
    }


@probe
def run(namespace: dict, chain: dict, spec: dict, plain: bool = False) -> dict:
    """:func:`execute` of the program ``spec`` (checkpointed_sequential and checkpoint_blocks with the
    checkpoint_segment stand-in)."""
    if spec["kind"] in ("sequential", "blocks") and not plain:
        with patched(namespace, checkpoint_segment=checkpoint_segment_standin):
            return execute(program(namespace, spec, plain), chain)
    return execute(program(namespace, spec, plain), chain)


def describe_array(value: Any) -> dict:
    """A tensor's (or array-like's) values as ``{"array": ...}``; anything else as ``{"kind", "repr"}``."""
    if isinstance(value, minitorch.Tensor):
        return {"array": value.detach().numpy().copy()}
    try:
        return {"array": np.asarray(value, dtype=float)}
    except (TypeError, ValueError):
        return {"kind": type(value).__name__, "repr": short_repr(value)}


@probe
def segment_value(namespace: dict, chain: dict) -> dict:
    """``checkpoint_segment(block 1, x)``: whether it is a Tensor, its value, whether it is recorded."""
    blocks, _ = build(chain)
    x = minitorch.tensor(initial_x(chain), requires_grad=True)
    out = student(namespace, "checkpoint_segment")(blocks[0], x)
    if not isinstance(out, minitorch.Tensor):
        return {"kind": type(out).__name__}
    return {
        "value": out.detach().numpy().copy(),
        "requires_grad": bool(out.requires_grad),
        "recorded": bool(out.requires_grad and out.grad_fn is not None),
    }


@probe
def segment_no_grad(namespace: dict, chain: dict, plain: bool = False) -> dict:
    """``checkpoint_segment(all blocks, x)`` under ``no_grad()``: the value, requires_grad, runs per block
    (``plain``: without checkpointing)."""
    blocks, _ = build(chain)
    x = minitorch.tensor(initial_x(chain), requires_grad=True)
    with minitorch.no_grad():
        out = segment_function(namespace, plain)(runner(blocks), x)
    value = out.detach().numpy() if isinstance(out, minitorch.Tensor) else np.asarray(out, dtype=float)
    return {"value": value, "requires_grad": bool(out.requires_grad), "runs": [len(b.calls) for b in blocks]}


def weighted_loss(cs: Callable, chain: dict) -> Callable:
    """``x -> (cs(all blocks, x) * c).sum()`` on fresh blocks, ``c`` evenly spaced in [0.5, 1.5]."""
    c = minitorch.tensor(np.linspace(0.5, 1.5, chain["shape"][0]))
    blocks, _ = build(chain)
    return lambda x: (cs(runner(blocks), x) * c).sum()


@probe
def segment_functional(namespace: dict, chain: dict, plain: bool = False) -> dict:
    """``minitorch.grad`` of :func:`weighted_loss` with the namespace's checkpoint_segment (``plain``: none)."""
    loss = weighted_loss(segment_function(namespace, plain), chain)
    return describe_array(minitorch.grad(loss)(minitorch.tensor(initial_x(chain))))


@probe
def measure(namespace: dict, chain: dict, segments: int | None) -> dict:
    """``measure(blocks, segments, x)`` with the stand-ins for the earlier parts: what it returned (as two
    integers if it can be read so) and x's gradient afterwards."""
    blocks, _ = build(chain)
    x = minitorch.tensor(initial_x(chain), requires_grad=True)
    with patched(
        namespace,
        checkpoint_segment=checkpoint_segment_standin,
        checkpointed_sequential=minitorch.checkpoint_sequential,
    ):
        result = student(namespace, "measure")(blocks, segments, x)
    try:
        peak, ops = result
        answer: dict = {"pair": [int(peak), int(ops)]}
    except (TypeError, ValueError):
        answer = {"repr": short_repr(result)}
    return {**answer, "x_grad": array_or_none(x.grad)}


@probe
def textbook(namespace: dict, chain: dict) -> list:
    """The textbook's example: ``[forward ops, peak saved bytes]`` of checkpoint_blocks with which = set() and
    which = {2}, each in one profile_memory block around both passes."""
    numbers = []
    for which in (set(), {2}):
        blocks, _ = build(chain)
        x = minitorch.tensor(initial_x(chain), requires_grad=True)
        with patched(namespace, checkpoint_segment=checkpoint_segment_standin):
            with minitorch.profile_memory() as report:
                out = student(namespace, "checkpoint_blocks")(blocks, which, x)
                out.backward(minitorch.ones_like(out))
        numbers.append([int(report.forward_ops), int(report.peak_saved_bytes)])
    return numbers
