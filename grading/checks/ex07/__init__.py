"""Exercise 7: higher-order derivatives (Hessian-vector products, Newton, implicit differentiation).

Functions of a 1-D tensor are built from a small family of terms whose Hessians are known in closed form
(quadratic forms, sums of sin/exp/tanh of linear maps, log-sum-exp, Rosenbrock). Every result is compared with
the reference solution, with a tolerance relative to the size of the terms that make it up (``|H| |v|`` for a
Hessian-vector product), and the reference with central differences (a disagreement is a grader bug and is
reported as a warning). How an HVP is computed is checked by watching ``f``: forward-over-reverse evaluates it
while a forward-mode level is open (inside ``minitorch.jvp``), reverse-over-reverse does not.

Parts are checked on their own: ``newton_step`` runs with ``minitorch.hvp`` standing in for ``hvp`` (the reference
then runs with it too). The student's functions run in :mod:`grading.probes.ex07` on functions given as data (their
terms); this module judges what comes back.
"""

from __future__ import annotations

from . import hvp, hypergradients
from .functions import EXERCISE

__all__ = ["EXERCISE"]
