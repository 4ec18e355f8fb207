"""The student-side half of the checks: probes, and the sandboxed process that runs them.

This package is what the sandbox sees of the grader (bound read-only at ``/sandbox/probes`` and imported
as ``probes``; in the grading process it is ``grading.probes``). It imports NumPy, minitorch and itself,
nothing else: the checks, their hidden inputs' expected results and the reference solutions stay
outside. :mod:`.base` has what probes share, :mod:`.wire` the message format, :mod:`.cells` runs a
notebook's cells, :mod:`.audit` is the tripwire and :mod:`.child` the sandboxed process;
``exNN.py`` hold the probes of one exercise.
"""

from __future__ import annotations

import importlib
import re
from typing import Any


def run(exercise: str, name: str, namespace: dict, args: dict) -> Any:
    """Run a probe in this process on ``namespace``, with its arguments and its result passed through the wire
    format (so a check sees exactly what a sandboxed run gives it), in the interpreter state the checks expect
    (:func:`.state.known_state`). Student errors propagate."""
    from . import wire
    from .state import known_state

    if not re.fullmatch(r"ex\d\d", exercise):
        raise ValueError(f"no exercise {exercise!r}")
    function = getattr(importlib.import_module(f"{__name__}.{exercise}"), name, None)
    if not getattr(function, "is_probe", False):
        raise ValueError(f"no probe {exercise}.{name}")
    args = wire.loads(wire.dumps(args))
    with known_state():
        result = function(namespace, **args)
    return wire.loads(wire.dumps(result))
