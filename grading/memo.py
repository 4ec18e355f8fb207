"""Answers of the grader's own deterministic computations, kept for the next submission.

Every submission of an exercise is checked on the same inputs (the cases come from fixed seeds), so the
reference's replies to the probes and the checks' central differences are the same for each of them. A grading
process keeps them, in their wire form (:mod:`grading.probes.wire`: plain data), up to a size limit, the least
recently used leaving first; every use decodes a fresh copy, so a check that changes what it got cannot change
what the next one gets. Nothing the student's code returns is ever kept here.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from .probes import wire

#: Bytes of answers a grading process keeps.
LIMIT = 128 << 20


class Memo:
    """Answers by key: :meth:`get` computes one the first time (``compute()``), and decodes the kept one after."""

    def __init__(self, limit: int = LIMIT):
        self.limit, self.size = limit, 0
        self.kept: OrderedDict[bytes, bytes] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    @staticmethod
    def key(*parts: Any) -> bytes:
        """A digest of plain data (arrays included: their dtype, shape and bytes)."""
        return hashlib.sha256(wire.dumps(list(parts))).digest()

    def get(self, key: bytes, compute: Callable[[], Any]) -> Any:
        with self.lock:
            blob = self.kept.get(key)
            if blob is not None:
                self.kept.move_to_end(key)
                self.hits += 1
        if blob is not None:
            return wire.loads(blob)
        value = compute()  # outside the lock: it may take long, and raise (then nothing is kept)
        blob = wire.dumps(value)
        with self.lock:
            self.misses += 1
            if key not in self.kept and len(blob) <= self.limit:
                self.kept[key] = blob
                self.size += len(blob)
                while self.size > self.limit:
                    self.size -= len(self.kept.popitem(last=False)[1])
        return wire.loads(blob)


#: The grading process's answers (shared by its threads).
ANSWERS = Memo()
