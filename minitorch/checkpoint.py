r"""Gradient checkpointing: trade computation for memory.

Reverse mode keeps every intermediate a derivative rule needs until the
backward pass reaches it. :func:`checkpoint` runs a function *without*
keeping its internals, remembering only its inputs; when backward reaches
it, it runs the function again, this time recording, and back-propagates
through that fresh copy. Memory for the segment's internals is needed only
while that segment's backward runs.

For a chain of :math:`L` equal blocks split into :math:`s` checkpointed
segments, the forward pass keeps :math:`s` segment inputs and backward
holds one segment's internals (:math:`L/s` blocks) at a time, so peak memory
is about :math:`s + L/s` activations, smallest at :math:`s = \sqrt L`
(:math:`2\sqrt L`), for the price of one more forward pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from . import grad_mode, memory
from .backprop import accumulate_into_leaves, backpropagate
from .function import Context, Function
from .tensor import Tensor


class Checkpoint(Function):
    """A segment run without recording, and recomputed during backward.

    It is recorded whenever grad mode is on, even if no argument requires a
    gradient: the parameters inside the segment may.
    """

    is_wrapper = True

    @staticmethod
    def forward(ctx: Context, fn: Callable[..., Tensor], *inputs: Any) -> Any:
        ctx.fn = fn
        ctx.save_for_backward(*inputs)
        out = fn(*inputs)  # Function.apply runs forward with grad mode off: nothing inside is kept
        if not isinstance(out, Tensor):
            raise TypeError(f"checkpoint: the function must return one Tensor, got {type(out).__name__}")
        return out.data

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> tuple:
        create_graph = grad_mode.is_grad_enabled()  # the engine turns it on for create_graph=True
        inputs = ctx.saved_tensors
        wanted = ctx.needs_input_grad[1:]
        with grad_mode.enable_grad(), memory.resume_counting():
            # Each input gets a fresh node where the recomputed pass stops. For
            # create_graph it stays connected to the outer graph (an alias);
            # otherwise a detached leaf is enough.
            starts = [_start(x, create_graph) if needed else x for x, needed in zip(inputs, wanted)]
            out = ctx.fn(*starts)
        if not out.requires_grad:
            return (None,) * (len(inputs) + 1)
        nodes = {s.grad_fn or s for s, needed in zip(starts, wanted) if needed}
        adjoints = backpropagate(
            [out], [g], retain_graph=create_graph, create_graph=create_graph, keep=nodes, stop_at=nodes
        )
        # Parameters used inside the segment are leaves of the recomputed graph.
        accumulate_into_leaves({node: grad for node, grad in adjoints.items() if node not in nodes}, create_graph)
        grads = [adjoints.get(s.grad_fn or s) if needed else None for s, needed in zip(starts, wanted)]
        return (None, *[None if grad is None else _tensor(grad) for grad in grads])


def checkpoint(fn: Callable[..., Tensor], *args: Any) -> Tensor:
    """``fn(*args)``, but its internals are recomputed during backward instead of stored.

    Gradients are those of the plain call. Parameters that ``fn`` uses
    without taking them as arguments receive their ``.grad`` when the
    segment is recomputed (as with PyTorch's ``checkpoint``), so use
    ``backward()`` with them; gradients of arguments work everywhere,
    ``minitorch.grad`` included. ``create_graph=True`` works too: the
    recomputation is then recorded.
    """
    return Checkpoint.apply(fn, *args)


def checkpoint_sequential(
    functions: Sequence[Callable[[Tensor], Tensor]], segments: int | None, input: Tensor
) -> Tensor:
    r"""Run ``functions`` in order, split into ``segments`` checkpointed segments.

    By default :math:`\text{segments} = \lceil\sqrt L\,\rceil` for :math:`L` functions,
    which keeps about :math:`2\sqrt L` activations and recomputes each
    function at most once. The last segment is not checkpointed: backward
    would recompute it immediately.
    """
    functions = list(functions)
    if not functions:
        raise ValueError("checkpoint_sequential: need at least one function")
    if segments is None:
        segments = math.ceil(math.sqrt(len(functions)))
    if not 1 <= segments <= len(functions):
        raise ValueError(f"checkpoint_sequential: segments must be between 1 and {len(functions)}, got {segments}")
    size = math.ceil(len(functions) / segments)
    starts = list(range(0, len(functions), size))
    x = input
    for start in starts[:-1]:
        x = checkpoint(_run_all(functions[start : start + size]), x)
    # The last segment's internals would be recomputed at once, as soon as
    # backward starts: keep them instead (as PyTorch does).
    return _run_all(functions[starts[-1] :])(x)


def _start(x: Tensor, connected: bool) -> Tensor:
    if connected:
        from .transforms import _Alias

        return _Alias.apply(x)
    return x.detach().requires_grad_()


def _tensor(g: Any) -> Tensor:
    return g if isinstance(g, Tensor) else Tensor._wrap(g)


def _run_all(chunk: list) -> Callable[[Tensor], Tensor]:
    def run(x: Tensor) -> Tensor:
        for f in chunk:
            x = f(x)
        return x

    return run
