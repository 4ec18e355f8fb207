"""Run a submission's code in a sandboxed process, and use its objects from the grading process.

The classroom autograder (:mod:`grading.classroom`) never runs student code in the process that
holds the reference solutions and the hidden checks:

* the **parent** (a grading worker) loads the reference solution and runs the checks of
  ``checks/exNN.py`` unchanged, but the student namespace it gives them is a proxy;
* the **child** (:mod:`.child`, this package imported on its own inside the sandbox) executes the
  notebook's code cells and nothing else. In a new root (:mod:`.view`: bubblewrap, or unshare and
  chroot) it cannot even see ``solutions/`` or ``tests/``: this package imports nothing from :mod:`grading`;
* the two talk over a pair of pipes. A value crosses **by value** (numbers, strings, tuples, lists,
  dicts, sets, NumPy arrays) or **by reference**: the other side gets a *mirror*, a local object
  that carries a snapshot of the original's public data attributes (kept in sync at every message,
  in both directions) and forwards method calls and operators to the owner. So ``D(1.5, 2.0) * 3``
  in a check runs the student's ``Dual.__mul__`` in the child, and a student's
  ``for parent in node.parents`` runs at native speed on mirrors of the check's graph. Calls nest
  both ways (a student's ``derivative(f, x)`` calls the check's ``f``, which runs in the parent).

Only inputs, outputs and data snapshots cross. The parent serves the child only for objects it
handed over, never for ``__dunder__`` names, frames, code or modules (no ``f.__globals__``), and
decodes the child's messages with an unpickler that cannot load any class; classes and objects
named by the child are only accepted for a short list of harmless types. A mirror's identity is
stable (one mirror per object), so mirrors work as dict keys and with ``is``.

The modules, in the order they build on each other: :mod:`.base` (limits and errors), :mod:`.names`
(what crosses by name), :mod:`.mirrors` (mirror classes, snapshots), :mod:`.encoder` and
:mod:`.decoder` (messages), :mod:`.ambient` (minitorch's process-wide state), :mod:`.connection`
(the protocol), :mod:`.cells` (running notebook code), :mod:`.child` (the sandboxed process), :mod:`.view`
(the file system it sees) and :mod:`.launch` (starting it).
"""

from .ambient import ambient_read, ambient_write
from .base import ProtocolError, SandboxError, StaleReference
from .connection import Connection
from .launch import ISOLATION_LEVELS, Isolation, Limits, Sandbox, course_paths, describe_isolation, detect_isolation
from .names import share

__all__ = ["ISOLATION_LEVELS", "Connection", "Isolation", "Limits", "ProtocolError", "Sandbox", "SandboxError",
           "StaleReference", "ambient_read", "ambient_write", "course_paths", "describe_isolation",
           "detect_isolation", "share"]
