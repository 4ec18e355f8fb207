"""What every part of the sandbox protocol shares: size limits, sentinels and errors."""

from __future__ import annotations

import os
import struct


#: Where this package's files are (in the sandbox: a read-only copy); their frames are not the submission's.
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
#: Largest message either side accepts (bytes).
MAX_MESSAGE = 1 << 30
#: Containers nested deeper than this are not sent (the call fails with a message).
MAX_DEPTH = 200

_HEADER = struct.Struct("<Q")
_ATOMS = frozenset({type(None), bool, int, float, str, bytes})
_MISSING = object()
_RESERVED = "_sbx_"


class SandboxError(Exception):
    """The sandboxed process died, hung, broke the protocol or could not be started.

    ``kind`` is ``"crash"`` (the process died or misbehaved), ``"timeout"`` (a wall-clock limit of
    the part or the submission) or ``"killed"`` (stopped by the grader, after a check timed out)."""

    def __init__(self, reason: str, kind: str = "crash"):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind

    def __str__(self) -> str:
        return self.reason


class ProtocolError(Exception):
    """A message that does not follow the protocol."""


class StaleReference(Exception):
    """An object exchanged during an earlier check, used after that check ended."""
