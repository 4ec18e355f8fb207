"""Exercise 6's public reference: minitorch's own checkpointing (its ``Checkpoint`` primitive and
``checkpoint_sequential``), measured with ``minitorch.profile_memory`` as the notebook's docstrings say."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import minitorch
from minitorch.checkpoint import Checkpoint

from . import trusted_class


@trusted_class
class CheckpointSegment(Checkpoint):
    """minitorch's ``Checkpoint`` for one tensor, recomputing from a fresh leaf that requires a gradient even when
    x does not (as the notebook's ``backward`` does: so the recomputed graph, and the peak, are the same)."""

    @staticmethod
    def backward(ctx: Any, g: minitorch.Tensor) -> tuple:
        ctx.needs_input_grad = (False, True)
        return Checkpoint.backward(ctx, g)


def checkpoint_segment(fn: Callable, x: minitorch.Tensor) -> minitorch.Tensor:
    """fn(x), checkpointed: the node keeps only x, and backward runs fn again."""
    return CheckpointSegment.apply(fn, x)


def define(namespace: dict) -> dict[str, Any]:
    def measure(blocks: list, segments: int | None, x: minitorch.Tensor) -> tuple[int, int]:
        """(peak_saved_bytes, forward_ops) of the blocks on x and backward from ones, in one profile_memory."""
        run = (
            namespace["run_plain"]
            if segments is None
            else lambda blocks, x: namespace["checkpointed_sequential"](blocks, segments, x)
        )
        with minitorch.profile_memory() as report:
            y = run(blocks, x)
            y.backward(minitorch.ones_like(y))
        return (report.peak_saved_bytes, report.forward_ops)

    def checkpoint_blocks(blocks: Iterable[Callable], which: set, x: minitorch.Tensor) -> minitorch.Tensor:
        """The blocks in order; those at the positions in ``which`` each checkpointed on its own."""
        segment = namespace["checkpoint_segment"]
        for position, block in enumerate(blocks):
            x = segment(block, x) if position in which else block(x)
        return x

    return {
        "CheckpointSegment": CheckpointSegment,
        "checkpoint_segment": checkpoint_segment,
        "checkpointed_sequential": minitorch.checkpoint_sequential,
        "measure": measure,
        "checkpoint_blocks": checkpoint_blocks,
    }
