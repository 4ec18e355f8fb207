"""Observers: tools that watch the engine without being part of it.

The engine (:mod:`minitorch.function`, :mod:`minitorch.backprop`) knows
nothing about profiling or gradient checking. It only announces what happens,
to whatever observers are active:

* ``call(function, inputs)``: a primitive is about to run its forward pass
  (recorded or not);
* ``record(node)``: a call was recorded as a node of the graph, keeping what
  it saved for backward;
* ``release(node)``: a node freed what it kept (backward without
  ``retain_graph`` does this);
* ``phase(name, entering)``: a ``"backward"`` pass starts or ends running
  derivative rules, or a ``"recompute"`` (a checkpointed segment run again
  inside backward) starts or ends.

An observer subclasses :class:`Observer`, overrides the events it needs, and
is active inside ``with observing(observer):``, for the thread that opened
the block (a profile in one thread does not count another thread's work). The memory profiler
(:func:`minitorch.profile_memory`) and gradcheck's watch for kinks are two
such observers. With none active, the engine pays one truth test per call.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any


class Observer:
    """Base class of observers; every event does nothing unless overridden."""

    def call(self, function: type, inputs: tuple) -> None:
        """A primitive's forward pass is about to run on ``inputs``."""

    def record(self, node: Any) -> None:
        """``node`` (a :class:`~minitorch.Context`) was recorded with what it saved for backward."""

    def release(self, node: Any) -> None:
        """``node`` freed what it kept for backward."""

    def phase(self, name: str, entering: bool) -> None:
        """A ``"backward"`` or ``"recompute"`` phase starts (``entering``) or ends."""


class _Active(threading.local):
    def __init__(self) -> None:
        self.observers: list[Observer] = []  # the engine tests this list before announcing anything


active = _Active()  # the running thread's observers


def observers() -> list[Observer]:
    """The observers active in the running thread, innermost last (a copy)."""
    return list(active.observers)


@contextlib.contextmanager
def observing(observer: Observer) -> Iterator[Observer]:
    """Make ``observer`` active for the duration of the block."""
    active.observers.append(observer)
    try:
        yield observer
    finally:
        active.observers.remove(observer)


def announce(event: str, *args: Any) -> None:
    """Tell every active observer about ``event`` (``call``, ``record``, ``release`` or ``phase``)."""
    for observer in list(active.observers):
        getattr(observer, event)(*args)


@contextlib.contextmanager
def phase(name: str) -> Iterator[None]:
    """Announce the start and the end of a phase (``"backward"`` or ``"recompute"``)."""
    if not active.observers:
        yield
        return
    announce("phase", name, True)
    try:
        yield
    finally:
        announce("phase", name, False)
