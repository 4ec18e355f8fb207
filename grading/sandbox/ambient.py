"""minitorch's process-wide state, which follows the thread of control between the two processes."""

from __future__ import annotations

import contextlib
import sys
from typing import Any

from .base import _MISSING
from .names import _BYNAME_PACKAGES
from .mirrors import _replace_contents

#: minitorch's process-wide state: it follows the thread of control between the two processes, so that a
#: check's ``with minitorch.no_grad():``, ``minitorch.jvp`` levels or ``profile_memory()`` report apply to the
#: submission's code as they would in one process. (module, holder attribute or "", names, accepted types)
_AMBIENT = (
    ("minitorch.grad_mode", "state", (("grad_enabled", (bool,)), ("forward_levels", (tuple,)),
                                      ("next_level", (int,)), ("kink_watch", (list, type(None))),
                                      ("reverse_depth", (int,)))),
    ("minitorch.memory", "_Tracking", (("reports", (list,)), ("paused", (int,)))),
    ("minitorch.subgradients", "", (("_current", None),)),
)


def _ambient_holders() -> list:
    holders = []
    for module_name, holder, names in _AMBIENT:
        module = sys.modules.get(module_name)
        if module is None:
            continue
        target = getattr(module, holder, None) if holder else module
        if target is not None:
            holders.append((target, names))
    return holders


def ambient_read() -> list:
    """The current values of minitorch's process-wide state (see ``_AMBIENT``)."""
    return [[getattr(target, name, None) for name, _ in names] for target, names in _ambient_holders()]


def ambient_write(values: Any, trusted: bool = True) -> None:
    """Install values read by :func:`ambient_read` (on this side or the other); containers in place."""
    holders = _ambient_holders()
    if type(values) is not list or len(values) != len(holders):
        return
    for (target, names), row in zip(holders, values):
        if type(row) is not list or len(row) != len(names):
            continue
        for (name, kinds), value in zip(names, row):
            if not trusted:
                if kinds is not None and not isinstance(value, kinds):
                    continue
                if kinds is None and type(value).__module__.split(".")[0] not in _BYNAME_PACKAGES:
                    continue
            current = getattr(target, name, _MISSING)
            if current is value or (current is not _MISSING and _replace_contents(current, value)):
                continue
            with contextlib.suppress(AttributeError, TypeError):
                setattr(target, name, value)
