"""What the parts of exercise 9 share: the exercise, the training run's constants and the probes' helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...arrays import returned
from ...core import ExerciseSpec, StudentFailure, Tester

EXERCISE = ExerciseSpec("ex09", "ex09_training", "Training a network, and its gradient flow")

#: Gradients come from back-propagation: finite differences are the grader's tool, not the student's.
NO_FINITE_DIFFERENCES = ("minitorch.numerical", "minitorch.gradcheck")
#: The training run of the text, and the held-out accuracy the checks accept (the text states 90%).
EPOCHS, BATCH, LR, N_TEST = 40, 20, 0.2, 50
ACCURACY = 0.86
#: Seconds for a check that trains (a fraction of a second on a quiet machine; slow shared machines vary).
TRAINING_TIMEOUT = 15.0
#: Returned numbers must be Python floats (NumPy's float64 is one).
FLOAT_TYPES = ("float", "float64")


def _rng(t: Tester) -> np.random.Generator:
    return np.random.default_rng(t.rng.getrandbits(64))


def _items(reply: Any, what: str, count: int) -> tuple[list | None, str | None]:
    """The returned arrays of a probe's reply (:func:`grading.probes.ex09.arrays_returned`), or why not."""
    if isinstance(reply, dict) and "items" in reply:
        return [returned(item["value"]) for item in reply["items"]], None
    kind = reply.get("kind", "?") if isinstance(reply, dict) else "?"
    return None, f"{what} must return a tuple of {count} arrays; it returned {kind}: {reply.get('repr', '')}"


def _memo(fetch: Callable[[], Any]) -> Callable[[], Any]:
    """``fetch()`` once (several checks judge one run of the student's code); a failure is raised each time."""
    cache: dict[str, Any] = {}

    def get() -> Any:
        if "reply" not in cache:
            try:
                cache["reply"] = fetch()
            except (StudentFailure, Exception) as failure:
                cache["failure"] = failure
                cache["reply"] = None
        if "failure" in cache:
            raise cache["failure"]
        return cache["reply"]

    return get
