"""The checks of every exercise: one module per exercise, ``exNN.py``, each defining ``EXERCISE``.

A new exercise slots in by adding ``checks/exNN.py`` (found automatically) and
its notebook ``solutions/<notebook>/<notebook>.ipynb``.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from ..core import ExerciseSpec, PartSpec


def _discover() -> dict[str, ExerciseSpec]:
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if re.fullmatch(r"ex\d\d", info.name):
            module = importlib.import_module(f"{__name__}.{info.name}")
            exercise: ExerciseSpec = module.EXERCISE
            if exercise.id != info.name:
                raise ValueError(f"checks/{info.name}.py defines exercise {exercise.id!r}")
            found[exercise.id] = exercise
    return found


EXERCISES: dict[str, ExerciseSpec] = _discover()


def exercise(exercise_id: str) -> ExerciseSpec:
    try:
        return EXERCISES[exercise_id]
    except KeyError:
        raise KeyError(f"unknown exercise {exercise_id!r}; known: {', '.join(EXERCISES)}") from None


def part(exercise_id: str, name: str) -> PartSpec:
    spec = exercise(exercise_id)
    try:
        return spec.parts[name]
    except KeyError:
        raise KeyError(f"{exercise_id} has no part {name!r}; its parts: {', '.join(spec.parts)}") from None


def exercise_of_notebook(filename: str) -> ExerciseSpec | None:
    """The exercise a notebook file belongs to, from its name (``ex01_forward_mode*.ipynb``)."""
    match = re.match(r"(ex\d\d)", filename)
    return EXERCISES.get(match.group(1)) if match else None
