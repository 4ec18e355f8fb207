"""The interpreter state a submission can change and the checks depend on: saved, set to known defaults for the
checks, and restored afterwards.

A notebook may call ``sys.setrecursionlimit(50)``, ``random.seed(1)``, ``np.seterr(all="raise")`` or
``warnings.simplefilter("error")`` (in a cell, or inside one of its functions while a check runs). Checks run
under :func:`known_state`, so that such a call neither breaks the grader (the reference solution, executed in
the same kernel in a notebook's own test cell) nor makes one submission's checks behave differently from
another's; the student's state is put back when the checks are done, so the notebook goes on as it was.

:func:`recursion_guard` runs a call under a *low* recursion limit and notices an attempt to raise it: the
check of a rule "iterative, no recursion".
"""

from __future__ import annotations

import contextlib
import random
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Python's own default, which the checks run under whatever the notebook set.
RECURSION_LIMIT = 1000
#: The seed of ``random`` and of NumPy's global generator while checks run.
SEED = 0
#: How many nested calls a function checked with :func:`recursion_guard` may make (helpers, a lambda in a sort
#: key ...): far fewer than a recursion over a deep graph needs.
RECURSION_MARGIN = 100


def stack_depth() -> int:
    """How many frames are on the stack now (what the recursion limit counts)."""
    depth, frame = 0, sys._getframe(1)
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    return depth


def restore_recursion_limit(setter: Callable[[int], None], limit: int) -> None:
    """``setter(limit)``, or as close to it as the stack allows (Python refuses a limit below the current depth:
    a notebook's ``sys.setrecursionlimit(50)`` is put back as far as it can be)."""
    try:
        setter(limit)
    except RecursionError:
        setter(stack_depth() + 5)


@contextlib.contextmanager
def known_state() -> Iterator[None]:
    """Run the block with the recursion limit at :data:`RECURSION_LIMIT` (or just above the stack's depth), the
    global generators of ``random`` and NumPy seeded with :data:`SEED`, NumPy's default floating-point error
    handling and warnings ignored (never errors: what the checks print is their own); restore all of them
    afterwards."""
    limit = sys.getrecursionlimit()
    python_random = random.getstate()
    numpy_random = np.random.get_state()
    numpy_errors = np.geterr()
    with warnings.catch_warnings():
        warnings.resetwarnings()
        warnings.simplefilter("ignore")
        try:
            sys.setrecursionlimit(max(RECURSION_LIMIT, stack_depth() + RECURSION_MARGIN))
            random.seed(SEED)
            np.random.seed(SEED)
            np.seterr(all="warn", under="ignore")  # NumPy's defaults
            yield
        finally:
            restore_recursion_limit(sys.setrecursionlimit, limit)
            random.setstate(python_random)
            np.random.set_state(numpy_random)
            np.seterr(**numpy_errors)


@dataclass
class RecursionWatch:
    """What :func:`recursion_guard` saw: the limit it set, and the limits the code tried to set."""

    limit: int
    attempts: list[int]

    @property
    def changed(self) -> int | None:
        """The first limit the code tried to set (or did set, by another way), or None."""
        return self.attempts[0] if self.attempts else None


@contextlib.contextmanager
def recursion_guard(margin: int = RECURSION_MARGIN) -> Iterator[RecursionWatch]:
    """Run the block with a recursion limit only ``margin`` frames above the current depth, with
    ``sys.setrecursionlimit`` replaced by a recorder (a call changes nothing, and is reported); restore both."""
    limit = sys.getrecursionlimit()
    setter = sys.setrecursionlimit
    watch = RecursionWatch(stack_depth() + margin, [])

    def record(new_limit: int) -> None:
        watch.attempts.append(int(new_limit))

    setter(watch.limit)
    sys.setrecursionlimit = record
    try:
        yield watch
    finally:
        sys.setrecursionlimit = setter
        # a limit changed by another way than the module attribute (a reference taken before the block)
        if not watch.attempts and sys.getrecursionlimit() != watch.limit:
            watch.attempts.append(sys.getrecursionlimit())
        restore_recursion_limit(setter, limit)


@contextlib.contextmanager
def muted(*streams: Any) -> Iterator[None]:
    """Drop what is written to these stream objects in the block, also through references a notebook took
    earlier (``out = sys.stdout`` in a cell, then ``out.write(...)`` in a checked function): such text would
    otherwise land in the middle of a test cell's output, gluing a check's first line to a line it did not end.
    A stream whose ``write`` cannot be replaced (a C-level file object) is left as it is."""
    replaced = []
    for stream in streams:
        try:
            stream.write = _discard
        except (AttributeError, TypeError):
            continue
        replaced.append(stream)
    try:
        yield
    finally:
        for stream in replaced:
            with contextlib.suppress(AttributeError):
                del stream.write


def _discard(text: str) -> int:
    return len(text)
