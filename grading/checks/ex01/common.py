"""What the parts of exercise 1 share: the exercise and the groups its edge cases are reported under."""

from __future__ import annotations

from ...core import ExerciseSpec

EXERCISE = ExerciseSpec("ex01", "ex01_forward_mode", "Forward mode with dual numbers")

EDGE, ROBUST = "edge cases", "robustness"
