r"""Counting what reverse mode costs: memory kept for backward, and forward work.

Inside ``with minitorch.profile_memory() as report:`` every recorded
primitive reports the arrays it keeps for its backward pass, and releases
them when backward frees it (or when the graph is dropped). The report has

* ``saved_bytes``: bytes held for backward right now;
* ``peak_saved_bytes``: the most ever held at once, the number that
  checkpointing lowers;
* ``forward_ops``: primitive forward evaluations, recomputations included
  (the derivative rules' own operations during backward are not counted).

An array kept by several nodes (an activation saved by the layer that made
it and the layer that reads it) is counted once. The report is an
:class:`~minitorch.hooks.Observer`: the engine announces calls, recorded
nodes and released nodes, and the report counts them.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .function import held_arrays
from .hooks import Observer, observing, phase


@dataclass
class MemoryReport(Observer):
    saved_bytes: int = 0
    peak_saved_bytes: int = 0
    forward_ops: int = 0
    _arrays: dict = field(default_factory=dict, repr=False)  # id(array) -> [nbytes, holders]
    _holdings: dict = field(default_factory=dict, repr=False)  # id(node) -> (ids of its arrays, weakref to it)
    _phases: list = field(default_factory=list, repr=False)  # "backward" / "recompute", innermost last

    # --- the events this observer counts ---------------------------------
    def call(self, function: type, inputs: tuple) -> None:
        # A derivative rule's operations are backward work, unless a checkpoint is recomputing its segment.
        in_backward = bool(self._phases) and self._phases[-1] == "backward"
        if not function.is_wrapper and not in_backward:
            self.forward_ops += 1

    def record(self, node: Any) -> None:
        arrays = held_arrays(node)
        if not arrays:
            return
        self._hold(arrays)
        key = id(node)
        self._holdings[key] = ([id(a) for a in arrays], weakref.ref(node, lambda _: self._drop(key)))

    def release(self, node: Any) -> None:
        self._drop(id(node))

    def phase(self, name: str, entering: bool) -> None:
        if entering:
            self._phases.append(name)
        elif self._phases:
            self._phases.pop()

    # --- bookkeeping ------------------------------------------------------
    def _hold(self, arrays: list) -> None:
        for array in arrays:
            entry = self._arrays.get(id(array))
            if entry is None:
                self._arrays[id(array)] = [array.nbytes, 1]
                self.saved_bytes += array.nbytes
            else:
                entry[1] += 1
        self.peak_saved_bytes = max(self.peak_saved_bytes, self.saved_bytes)

    def _drop(self, key: int) -> None:
        holding = self._holdings.pop(key, None)
        if holding is None:
            return
        for array_id in holding[0]:
            entry = self._arrays.get(array_id)
            if entry is None:
                continue
            entry[1] -= 1
            if entry[1] == 0:
                del self._arrays[array_id]
                self.saved_bytes -= entry[0]


@contextlib.contextmanager
def resume_counting() -> Iterator[None]:
    """Operations inside are forward work again: a checkpoint's recomputation during backward."""
    with phase("recompute"):
        yield


@contextlib.contextmanager
def profile_memory() -> Iterator[MemoryReport]:
    """Measure saved-for-backward memory and forward work inside a ``with`` block."""
    with observing(MemoryReport()) as report:
        yield report
