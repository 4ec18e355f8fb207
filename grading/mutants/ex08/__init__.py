"""Plausible submissions for exercise 8 (non-smooth functions): bugs, correct alternatives and cheats."""

from .bugs import BUGS
from .others import OTHERS

MUTANTS = BUGS + OTHERS
