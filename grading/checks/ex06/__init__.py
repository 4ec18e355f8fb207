"""Exercise 6: gradient checkpointing, measured.

Every check runs a small *program* over a chain of blocks three times, each time on fresh blocks with the same
parameters and a fresh input: with the student's function, with the reference's, and plainly (no checkpoint at
all). Each run is measured with ``minitorch.profile_memory`` and back-propagates ones from the output. Then

* the value, the input's gradient and every parameter's ``.grad`` must be those of the plain run (to rounding:
  checkpointing repeats the same arithmetic, but parameter gradients may be summed in another order);
* each block must run as often, and in the same grad mode, as with the reference (a checkpointed block runs
  twice: without recording in the forward pass, recording in the backward pass);
* the bytes held after the forward pass, the peak and the forward operations must be the reference's.

Parts are checked on their own: ``checkpointed_sequential`` and ``checkpoint_blocks`` run with minitorch's
``Checkpoint`` primitive as ``checkpoint_segment``, and ``measure`` with ``minitorch.checkpoint_sequential`` as
``checkpointed_sequential`` too (the reference then runs with the same stand-ins).

The runs happen in :mod:`grading.probes.ex06` (the student's in the sandbox, the reference's and the plain one
here); this module compares what they report.
"""

from __future__ import annotations

from . import segment, segments
from .common import EXERCISE

__all__ = ["EXERCISE"]
