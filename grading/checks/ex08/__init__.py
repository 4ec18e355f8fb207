"""Exercise 8: non-smooth functions (subdifferentials, VJPs at kinks, gradient checks, the subgradient method).

Where the text fixes one answer (a subdifferential, a VJP under a stated convention, a gradient check's
verdicts), the student's reply is compared with the reference's, structurally: the same kind of result (a
tuple, a list, a NumPy array of ``x``'s dtype), the same shape, the same entries (to ``1e-12`` relative, or
``1e-6`` in float32), or the same ``ValueError``. Where the text allows any answer (any element of the
lasso's subdifferential), membership is checked. The subgradient method is judged by the objective it
reaches, against the minimum (found here by many proximal-gradient steps) and against how close the
prescribed method gets on the same problem. Every probe also reports arguments changed in place, which fails
the check.

Inputs are seeded and include exact kinks (``0.0`` and ``-0.0``), points within a finite-difference step of a
kink, ties in a maximum, and float32 arrays. The student's functions run in :mod:`grading.probes.ex08`.
"""

from __future__ import annotations

from . import gradient_check, kinks, lasso
from .common import EXERCISE

#: The parts in the notebook's order (the modules above register them in import order).
NOTEBOOK_ORDER = (
    "subdifferential",
    "relu_vjp",
    "abs_vjp",
    "max_vjp",
    "check_gradient",
    "lasso_subgradient",
    "subgradient_method",
)
EXERCISE.parts = {name: EXERCISE.parts[name] for name in NOTEBOOK_ORDER}

__all__ = ["EXERCISE"]
