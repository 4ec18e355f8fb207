"""Exercise 9: a network trained on Fisher's iris flowers, and gradient-flow diagnostics.

Graded on behaviour, never on one particular sequence of random numbers: a split is checked as a partition
that keeps each label with its row and does not take the first or last rows; a training loop is checked by
recording the batches it feeds to ``train_step`` (every example once per epoch, a fresh order each epoch) and by
the held-out accuracy it reaches, for several seeds, against a threshold below the one the text states; the
vanishing-gradient ratio is compared with the reference's within a factor of 10 (another way of building the
same network draws other weights), and the qualitative result is checked on the student's own numbers.

The student's functions run in :mod:`grading.probes.ex09` on arrays sent as data; the training loop and the
ratio run with public stand-ins for ``train_step`` and ``layer_grad_norms``, so a mistake costs points only in
its own part.
"""

from __future__ import annotations

from . import data, diagnostics, training
from .common import EXERCISE

#: The parts in the notebook's order (the modules above register them in import order).
NOTEBOOK_ORDER = ("split", "standardize", "train_step", "train", "grad_norms", "vanishing")
EXERCISE.parts = {name: EXERCISE.parts[name] for name in NOTEBOOK_ORDER}

__all__ = ["EXERCISE"]
