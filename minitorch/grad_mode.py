"""Switches that say which derivatives are being recorded right now.

* Reverse mode records a graph only while grad mode is enabled
  (:func:`no_grad` turns it off, as in PyTorch).
* Forward mode pushes tangents for every *active level*. Each call of
  :func:`minitorch.jvp` opens a new level, so nested ``jvp`` calls keep their
  tangents apart instead of confusing one perturbation with another.
"""

from __future__ import annotations

import contextlib
from typing import Iterator



class _State:
    grad_enabled = True
    forward_levels: tuple[int, ...] = ()
    next_level = 0
    reverse_depth = 0  # how many grad/vjp transformations are evaluating their function right now


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
def inside_reverse_transform() -> Iterator[bool]:
    """Mark the evaluation of a grad/vjp's function; yields whether another one encloses it.

    A gradient taken inside another transformation's function may be
    differentiated again by it (even through a variable the inner function
    merely closes over), so its backward pass must be recorded.
    """
    enclosed = state.reverse_depth > 0
    state.reverse_depth += 1
    try:
        yield enclosed
    finally:
        state.reverse_depth -= 1


@contextlib.contextmanager
def forward_level() -> Iterator[int]:
    """Open a new forward-mode level for the duration of the block."""
    level = state.next_level
    state.next_level += 1
    previous = state.forward_levels
    state.forward_levels = previous + (level,)
    try:
        yield level
    finally:
        state.forward_levels = previous


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
