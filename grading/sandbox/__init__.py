"""Run a submission's code in a sandboxed process.

The data-only sandbox: :mod:`.isolation` (the isolation levels and their detection), :mod:`.view` (the file
system the process sees: bubblewrap, or unshare and chroot), :mod:`.limits` (memory, time, files and processes;
per submission with a cgroup) and :mod:`.process` (one process per submission: requests and replies as plain
JSON with size limits and deadlines, and everything it started killed at the end). The process itself runs
:mod:`grading.probes.child`; :func:`grading.grade.grade_notebook` drives it.
"""

from .isolation import Isolation, detect_isolation
from .limits import Limits
from .process import Sandbox, SandboxDied

__all__ = ["Isolation", "Limits", "Sandbox", "SandboxDied", "detect_isolation"]
