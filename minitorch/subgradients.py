r"""Which subgradient to use where a primitive has a kink.

At a point where a function is not differentiable (ReLU and ``abs`` at 0,
``max`` where two inputs tie) any element of the subdifferential is a valid
choice, and frameworks simply pick one. minitorch makes the pick explicit:

* ``relu``: the value of ReLU'(0), any number in [0, 1]; default 0 (PyTorch and JAX use 0).
* ``abs``: the value of \|x\|'(0), any number in [-1, 1]; default 0, as PyTorch's sign(0) = 0
  (JAX's rule for ``abs`` passes the gradient through for x >= 0, so it uses +1).
* ``max``: how tied maxima (and minima) share the gradient: ``"split"`` (evenly,
  the default, as JAX and PyTorch's ``amax`` do) or ``"first"`` (all to the
  first maximal element, as an argmax would).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class SubgradientPolicy:
    relu: float = 0.0
    abs: float = 0.0
    max: str = "split"

    def __post_init__(self) -> None:
        if not 0.0 <= self.relu <= 1.0:
            raise ValueError(f"subgradient_policy: relu'(0) must lie in [0, 1] (the subdifferential), got {self.relu}")
        if not -1.0 <= self.abs <= 1.0:
            raise ValueError(f"subgradient_policy: |x|'(0) must lie in [-1, 1] (the subdifferential), got {self.abs}")
        if self.max not in ("split", "first"):
            raise ValueError(f"subgradient_policy: max must be 'split' or 'first', got {self.max!r}")


_current = SubgradientPolicy()


def current() -> SubgradientPolicy:
    """The policy in force now."""
    return _current


def set_default_subgradient_policy(**choices: object) -> SubgradientPolicy:
    """Change the global policy (for example ``relu=0.5``); returns the new policy."""
    global _current
    _current = replace(_current, **choices)  # type: ignore[arg-type]
    return _current


@contextlib.contextmanager
def subgradient_policy(**choices: object) -> Iterator[SubgradientPolicy]:
    """Use other subgradients inside a ``with`` block; the previous policy returns afterwards.

    The policy is read when an operation runs forward, so a graph recorded
    inside the block keeps its choice even if ``backward`` runs later.
    """
    global _current
    previous = _current
    _current = replace(previous, **choices)  # type: ignore[arg-type]
    try:
        yield _current
    finally:
        _current = previous
