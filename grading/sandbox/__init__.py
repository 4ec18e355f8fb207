"""Run a submission's code in a sandboxed process.

The data-only sandbox: :mod:`.isolation` (the isolation levels and their detection), :mod:`.view` (the file
system the process sees: bubblewrap, or unshare and chroot) and :mod:`.process` (one process per submission:
limits per submission with a cgroup, requests and replies as plain JSON with size limits and deadlines, and
everything it started killed at the end). The process itself runs :mod:`grading.probes.child`;
:func:`grading.grade.grade_notebook` drives it.
"""

from .isolation import Isolation, detect_isolation
from .process import Limits, Sandbox, SandboxDied

__all__ = ["Isolation", "Limits", "Sandbox", "SandboxDied", "detect_isolation"]
