"""Exercise 3: reverse mode, back-propagation of adjoints over a scalar graph.

Graphs are built with the notebook's given ``Var`` class from small programs
(``v1 = x1 * x2; y = v1.exp()``). The student's ``backward`` must return the
adjoint of *every* node; each is compared with the reference's, with a tolerance
relative to the sum of the absolute values of the terms that make it up (so any
summation order passes), and the inputs' adjoints with central differences.

Graphs are built here with the reference's ``Var`` and rebuilt in the sandbox with the notebook's
(:mod:`grading.probes.ex03`). Parts are checked on their own: ``backward`` runs with minitorch's
``topological_sort``, and ``grad`` with a backward pass by minitorch's ``Scalar``.
"""

from __future__ import annotations

from . import backward, grad, toposort
from .common import EXERCISE

#: The parts in the notebook's order (the modules above register them in import order).
NOTEBOOK_ORDER = ("toposort", "backward_chain", "backward_fanout", "backward_deep", "grad")
EXERCISE.parts = {name: EXERCISE.parts[name] for name in NOTEBOOK_ORDER}

__all__ = ["EXERCISE"]
