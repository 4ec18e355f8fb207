"""Exercise 5: custom primitives (a stable softplus with its VJP and JVP; straight-through rounding).

Each check runs the student's ``minitorch.Function`` and the reference's on the same seeded input (float64 and
float32, 0-dimensional to 2-D, arguments of +-1000 and beyond) and compares the forward values, the VJP
(``x.grad`` after ``backward`` with a random cotangent) or the JVP (forward mode with a random tangent).
Softplus's rules are also compared with central differences (grader warnings) and checked with
``minitorch.gradcheck``; the straight-through rules are not derivatives, and are checked against their
definition (the identity, or the mask of the unclipped entries).

The primitives run in :mod:`grading.probes.ex05` (the student's in the sandbox, the reference's here), on arrays
sent as data; the arrays they give back are judged here.
"""

from __future__ import annotations

from . import rounding, softplus
from .common import EXERCISE

#: The parts in the notebook's order (the modules above register them in import order).
EXERCISE.parts = {
    name: EXERCISE.parts[name]
    for name in ("softplus_value", "softplus_vjp", "softplus_jvp", "ste_round", "ste_clipped")
}

__all__ = ["EXERCISE"]
