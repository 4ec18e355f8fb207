"""Exercise 1: forward mode with dual numbers.

Every Dual check builds the same expression twice (probes/ex01.py), once with the
student's ``Dual`` class in the sandbox and once with the reference's here, and compares
primal and tangent;
the tangent is also compared (in the message, and by the grader's own tests)
with a central difference of the same expression evaluated on floats.
"""

from __future__ import annotations

from . import derivatives, operations
from .common import EXERCISE

#: The parts in the notebook's order (the modules above register them in import order).
NOTEBOOK_ORDER = ("add_sub", "mul", "div", "pow", "exp_log", "sin_cos", "derivative", "central_difference")
EXERCISE.parts = {name: EXERCISE.parts[name] for name in NOTEBOOK_ORDER}

__all__ = ["EXERCISE"]
