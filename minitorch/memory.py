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
it and the layer that reads it) is counted once.
"""

from __future__ import annotations

import contextlib
import weakref
from dataclasses import dataclass, field
from typing import Any, Iterator


@dataclass
class MemoryReport:
    saved_bytes: int = 0
    peak_saved_bytes: int = 0
    forward_ops: int = 0
    _arrays: dict = field(default_factory=dict, repr=False)  # id -> [nbytes, holders]

    def _hold(self, arrays: list) -> None:
        for array in arrays:
            entry = self._arrays.get(id(array))
            if entry is None:
                self._arrays[id(array)] = [array.nbytes, 1]
                self.saved_bytes += array.nbytes
            else:
                entry[1] += 1
        self.peak_saved_bytes = max(self.peak_saved_bytes, self.saved_bytes)

    def _drop(self, ids: list) -> None:
        for key in ids:
            entry = self._arrays.get(key)
            if entry is None:
                continue
            entry[1] -= 1
            if entry[1] == 0:
                del self._arrays[key]
                self.saved_bytes -= entry[0]


class _Tracking:
    reports: list[MemoryReport] = []
    paused = 0  # > 0 while derivative rules run: their operations are not forward work
    holdings: dict = {}  # id(ctx) -> (ids of arrays, weakref to ctx)


def active() -> bool:
    return bool(_Tracking.reports)


def count_forward() -> None:
    if _Tracking.paused:
        return
    for report in _Tracking.reports:
        report.forward_ops += 1


def on_record(ctx: Any) -> None:
    """A node was recorded: the arrays it keeps now count as saved."""
    arrays = ctx._held_arrays()
    if not arrays:
        return
    for report in _Tracking.reports:
        report._hold(arrays)
    key = id(ctx)
    _Tracking.holdings[key] = ([id(a) for a in arrays], weakref.ref(ctx, lambda _: on_release_key(key)),
                               list(_Tracking.reports))


def on_release(ctx: Any) -> None:
    on_release_key(id(ctx))


def on_release_key(key: int) -> None:
    holding = _Tracking.holdings.pop(key, None)
    if holding is not None:
        ids, _, reports = holding
        for report in reports:
            report._drop(ids)


@contextlib.contextmanager
def pause_counting() -> Iterator[None]:
    """Operations inside are derivative-rule work, not forward work."""
    _Tracking.paused += 1
    try:
        yield
    finally:
        _Tracking.paused -= 1


@contextlib.contextmanager
def resume_counting() -> Iterator[None]:
    """Operations inside are forward work again (a recomputation during backward)."""
    paused, _Tracking.paused = _Tracking.paused, 0
    try:
        yield
    finally:
        _Tracking.paused = paused


@contextlib.contextmanager
def profile_memory() -> Iterator[MemoryReport]:
    """Measure saved-for-backward memory and forward work inside a ``with`` block."""
    report = MemoryReport()
    _Tracking.reports.append(report)
    try:
        yield report
    finally:
        _Tracking.reports.remove(report)
