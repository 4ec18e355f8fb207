"""Exercise 4: vector-Jacobian products as NumPy functions, then as minitorch primitives that train a network.

A VJP check calls the student's function and the reference's on copies of the same seeded inputs (broadcast
shapes, size-1 axes, 0-dimensional arrays, large magnitudes) and compares every returned array: its shape
exactly, its entries to ``RTOL`` relative to the size of the terms summed into them (so any summation order
or equivalent formula passes). Central differences of ``sum(g * f(inputs))`` check the reference (a grader
warning if they disagree) and are shown when a check fails. Parts that use earlier functions run with public
stand-ins swapped in (:mod:`grading.probes.standins`: minitorch's array helpers and reverse mode; for the short
training run, which the tripwire watches, central differences), so a mistake costs points only in its own part.

The student's functions run in :mod:`grading.probes.ex04` on arrays sent as data (the reference's through the
same probes, here); what comes back is judged here.
"""

from __future__ import annotations

from . import nonlinear, primitives, products
from .common import EXERCISE, OWN_PRIMITIVES

#: The parts in the notebook's order (the modules above register them in import order).
NOTEBOOK_ORDER = (
    "unbroadcast",
    "broadcast_ops",
    "matmul",
    "linear",
    "elementwise",
    "reductions",
    "softmax",
    "cross_entropy",
    "functions",
    "train",
)
EXERCISE.parts = {name: EXERCISE.parts[name] for name in NOTEBOOK_ORDER}

__all__ = ["EXERCISE", "OWN_PRIMITIVES"]
