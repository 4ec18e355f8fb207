"""Running a notebook's code outside IPython: compiling a cell, and a wall-clock limit on a block.

Both the sandboxed child and the in-process grader (:mod:`grading.notebooks`, :mod:`grading.core`) use them.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import types
from typing import Iterator


def compile_cell(text: str, filename: str) -> types.CodeType:
    """Compile a code cell. IPython syntax (``%magics``, ``!shell``) is translated when IPython is
    installed; the translated cell then fails when it runs (there is no IPython shell here)."""
    try:
        return compile(text, filename, "exec")
    except SyntaxError:
        try:
            from IPython.core.inputtransformer2 import TransformerManager
        except ImportError:
            raise
        translated = TransformerManager().transform_cell(text)
        if translated == text:
            raise
        return compile(translated, filename, "exec")


@contextlib.contextmanager
def alarm(seconds: float | None, exception: type[BaseException]) -> Iterator[None]:
    """Raise ``exception`` in the block after ``seconds`` of wall-clock time (POSIX, main thread only;
    elsewhere, and for ``None``, there is no limit). ``exception`` should be a ``BaseException`` that is not
    an ``Exception``, so that the code running in the block cannot catch it with ``except Exception``."""
    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def fire(signum: int, frame: object) -> None:
        raise exception()

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
