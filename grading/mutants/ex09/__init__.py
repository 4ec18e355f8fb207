"""Plausible submissions for exercise 9 (training a network, gradient-flow diagnostics): bugs, correct
alternatives and cheats."""

from .bugs import BUGS
from .others import OTHERS

MUTANTS = BUGS + OTHERS
