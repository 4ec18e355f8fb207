"""Run a submission's code in a sandboxed process.

The data-only sandbox: :mod:`.isolation` (the isolation levels and their detection), :mod:`.view` (the file
system the process sees: bubblewrap, or unshare and chroot) and :mod:`.process` (one process per submission:
limits per submission with a cgroup, requests and replies as plain JSON with size limits and deadlines, and
everything it started killed at the end). The process itself runs :mod:`grading.probes.child`;
:func:`grading.grade.grade_notebook` drives it.

The other modules (:mod:`.base`, :mod:`.names`, :mod:`.mirrors`, :mod:`.encoder`, :mod:`.decoder`,
:mod:`.ambient`, :mod:`.connection`, :mod:`.cells`, :mod:`.child`, :mod:`.launch`) are the old object
protocol, which the classroom runner still uses for the exercises without probes (ex04-ex07); they go when
those are converted.
"""

from .ambient import ambient_read, ambient_write
from .base import ProtocolError, SandboxError, StaleReference
from .connection import Connection
from .launch import ISOLATION_LEVELS, Isolation, Limits, Sandbox, course_paths, describe_isolation, detect_isolation
from .names import share

__all__ = ["ISOLATION_LEVELS", "Connection", "Isolation", "Limits", "ProtocolError", "Sandbox", "SandboxError",
           "StaleReference", "ambient_read", "ambient_write", "course_paths", "describe_isolation",
           "detect_isolation", "share"]
