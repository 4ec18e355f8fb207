"""Switches that say which derivatives are being recorded right now.

* Reverse mode records a graph only while grad mode is enabled
  (:func:`no_grad` turns it off, as in PyTorch).
* Nested transformations are told apart by **levels**, one mechanism for
  both modes (as in JAX's autodidax): every ``grad``/``vjp`` (kind
  ``"reverse"``) and every ``jvp`` (kind ``"forward"``) evaluates its
  function inside a new level of its own (:func:`level`). Forward mode keeps
  a tangent per level, so nested ``jvp`` calls never confuse one
  perturbation with another; a ``grad`` that finds a reverse level already
  open knows an outer transformation may differentiate its result again, and
  records its backward pass.

What a level does *not* need here is JAX's boxing of every value in a
tracer of its level: a minitorch tensor already carries its reverse-mode
graph (``grad_fn``) and its tangents per level. A transformation gives each
argument a fresh node as it enters (``transforms._Alias``) and cuts the
graph off its results as they leave (``Tensor._without_graph``).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Iterator


class _State(threading.local):
    """The switches of the running thread (as in PyTorch, grad mode is per thread):
    the class attributes are every thread's starting values."""

    grad_enabled = True
    levels: tuple[tuple[str, int], ...] = ()  # (kind, number) of every transformation running now, outermost first
    forward_levels: tuple[int, ...] = ()  # the numbers of the "forward" ones (read by every primitive call)


_level_numbers = itertools.count()  # shared by all threads, so a number names one level only


state = _State()


class _GradMode(contextlib.ContextDecorator):
    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __enter__(self) -> None:
        self.previous = state.grad_enabled
        state.grad_enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        state.grad_enabled = self.previous


def no_grad() -> _GradMode:
    """Context manager (or decorator) in which operations record no graph.

    Use it for parameter updates and evaluation: results have no ``grad_fn``
    and nothing is saved for a backward pass.
    """
    return _GradMode(False)


def enable_grad() -> _GradMode:
    """Context manager (or decorator) that turns graph recording back on."""
    return _GradMode(True)


def set_grad_enabled(enabled: bool) -> _GradMode:
    """Context manager that sets grad mode to ``enabled``."""
    return _GradMode(bool(enabled))


def is_grad_enabled() -> bool:
    """Whether operations currently record a graph."""
    return state.grad_enabled


@contextlib.contextmanager
def level(kind: str) -> Iterator[int]:
    """Open a new level of ``kind`` (``"reverse"`` or ``"forward"``) for the block; yields its number."""
    if kind not in ("reverse", "forward"):
        raise ValueError(f"level: kind must be 'reverse' or 'forward', got {kind!r}")
    number = next(_level_numbers)
    previous = state.levels, state.forward_levels
    state.levels += ((kind, number),)
    if kind == "forward":
        state.forward_levels += (number,)
    try:
        yield number
    finally:
        state.levels, state.forward_levels = previous


@contextlib.contextmanager
def forward_level() -> Iterator[int]:
    """``level("forward")``: what :func:`minitorch.jvp` opens (the graders open one by hand too)."""
    with level("forward") as number:
        yield number


def inside(kind: str) -> bool:
    """Whether a transformation of ``kind`` is evaluating its function right now."""
    return any(k == kind for k, _ in state.levels)


@contextlib.contextmanager
def levels_below(level: int) -> Iterator[None]:
    """Only levels older than ``level`` stay active: a tangent rule for
    ``level`` must not push tangents of its own level into its result."""
    previous = state.forward_levels
    state.forward_levels = tuple(lv for lv in previous if lv < level)
    try:
        yield
    finally:
        state.forward_levels = previous
