"""Notice when a submission calls minitorch's own implementation of what it is graded on.

A part lists *forbidden* groups (keys of :data:`GROUPS`). While a light check
runs, a profile hook (``sys.setprofile``) looks at the code object of every
Python function that starts; if it belongs to a forbidden group, the check is
marked ``forbidden`` and the part earns no points, unless a grader's stand-in
(:mod:`grading.probes.standins`) made the call. Switching the profile hook off
while a check runs is noticed by an audit hook and costs the part too. Looking at code objects
rather than names catches every way of reaching the function (``import ... as``,
a subclass, a bound method, ``functools.partial``). Heavy checks (100,000-node
graphs) run without the hook: it would slow them down, and each part has light
checks that run first.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import sys
import types
from collections.abc import Iterator
from typing import Any

from .probes.audit import INSTRUMENTED
from .probes.cells import NOT_INTERRUPTED


def _collect(obj: object, prefix: str, into: dict, module: str) -> None:
    """Every code object of the functions (and their nested functions) in ``obj``."""
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        for f in (obj.fget, obj.fset, obj.fdel):
            if f is not None:
                _collect(f, prefix, into, module)
        return
    if isinstance(obj, types.FunctionType):
        if obj.__module__ != module:
            return
        stack = [obj.__code__]
        while stack:
            code = stack.pop()
            into.setdefault(code, prefix)
            stack += [c for c in code.co_consts if isinstance(c, types.CodeType)]
        return
    if isinstance(obj, type) and obj.__module__ == module:
        for name, member in vars(obj).items():
            _collect(member, f"{prefix}.{name}", into, module)


def _module_codes(module_name: str, public: str) -> dict:
    module = importlib.import_module(module_name)
    into: dict = {}
    for name, obj in vars(module).items():
        _collect(obj, f"{public}.{name}", into, module_name)
    return into


def _primitive_partials() -> dict:
    from minitorch import scalar_primitives as P

    into: dict = {}
    for name, prim in vars(P).items():
        if isinstance(prim, P.Primitive) and isinstance(prim.partials, types.FunctionType):
            _collect(prim.partials, f"minitorch.scalar_primitives.{name}.partials", into, P.__name__)
    return into


def _graphlib() -> dict:
    return _module_codes("graphlib", "graphlib")


def _function_codes(module_name: str, name: str) -> dict:
    """One public function of minitorch (and the functions nested in it), e.g. ``minitorch.hvp``."""
    module = importlib.import_module(module_name)
    into: dict = {}
    _collect(getattr(module, name), f"minitorch.{name}", into, module_name)
    return into


#: Forbidden groups: a name used in the parts' ``forbidden`` lists -> its code objects.
GROUPS = {
    "minitorch.dual": lambda: _module_codes("minitorch.dual", "minitorch.dual"),
    "minitorch.numerical": lambda: _module_codes("minitorch.numerical", "minitorch.numerical"),
    "minitorch.scalar_primitives.partials": _primitive_partials,
    "minitorch.scalar": lambda: _module_codes("minitorch.scalar", "minitorch.scalar"),
    "minitorch.graph": lambda: _module_codes("minitorch.graph", "minitorch.graph"),
    "minitorch.backprop": lambda: _module_codes("minitorch.backprop", "minitorch.backprop"),
    "minitorch.transforms": lambda: _module_codes("minitorch.transforms", "minitorch.transforms"),
    "minitorch.gradcheck": lambda: _module_codes("minitorch.gradcheck", "minitorch.gradcheck"),
    "graphlib": _graphlib,
    "minitorch.checkpoint": lambda: _module_codes("minitorch.checkpoint", "minitorch.checkpoint"),
    "minitorch.hvp": lambda: _function_codes("minitorch.transforms", "hvp"),
    "minitorch.hessian": lambda: _function_codes("minitorch.transforms", "hessian"),
    "minitorch.jacobian": lambda: _function_codes("minitorch.transforms", "jacobian"),
}

# The tensor engine's operations, one group per module (forbidden where VJPs are written in NumPy).
for _module in ("arithmetic", "elementwise", "linalg", "reduce", "shape", "common"):
    GROUPS[f"minitorch.ops.{_module}"] = functools.partial(
        _module_codes, f"minitorch.ops.{_module}", f"minitorch.ops.{_module}"
    )
GROUPS["minitorch.nn.functional"] = functools.partial(
    _module_codes, "minitorch.nn.functional", "minitorch.nn.functional"
)

#: Every operation of the tensor engine.
TENSOR_OPS = (
    "minitorch.ops.arithmetic",
    "minitorch.ops.elementwise",
    "minitorch.ops.linalg",
    "minitorch.ops.reduce",
    "minitorch.ops.shape",
    "minitorch.ops.common",
    "minitorch.nn.functional",
)

#: The engines that compute derivatives for you, forbidden wherever derivatives are graded.
AUTODIFF = (
    "minitorch.dual",
    "minitorch.scalar",
    "minitorch.backprop",
    "minitorch.transforms",
    "minitorch.gradcheck",
    "minitorch.numerical",
    "minitorch.scalar_primitives.partials",
)


@functools.cache
def _group(name: str) -> dict:
    try:
        return GROUPS[name]()
    except ImportError:  # a module that cannot be imported cannot be called either
        return {}


@functools.cache
def module_of(filename: str) -> str | None:
    """The minitorch or graphlib module whose file ``filename`` is; None for any other file. Cached: resolving
    paths is slow, and the sandboxed grader asks for every forbidden function's file in every check."""
    real = os.path.realpath(filename)
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in INSTRUMENTED and os.path.realpath(getattr(module, "__file__", None) or "") == real:
            return name
    return None


def watched_modules() -> frozenset[str]:
    """The modules that hold a function of some forbidden group: the sandbox announces calls of these only."""
    return frozenset(module_of(code.co_filename) for group in GROUPS for code in _group(group)) - {None}


@functools.cache
def codes(groups: tuple[str, ...]) -> dict | None:
    """The code objects of the given groups (None when there are none); one dict per ``groups``, not to be
    changed."""
    if not groups:
        return None
    merged: dict = {}
    for group in groups:
        merged.update(_group(group))
    return merged


class Watcher:
    """Records the names of forbidden functions called while it is started (a profile hook on this thread).

    Switching the hook off from inside a check (``sys.setprofile(None)``, or ``sys.settrace``) is noticed by an
    audit hook (:func:`_guard`; Python cannot remove one) and recorded as :data:`SWITCHED_OFF`; so is an audit
    hook of the submission's that keeps the grader's from being installed (:data:`GUARD_REFUSED`)."""

    def __init__(self, forbidden: dict | None):
        self.forbidden = forbidden or {}
        self.seen: list[str] = []
        self._previous: Any = None
        self.active = False

    def _profile(self, frame: types.FrameType, event: str, arg: object) -> None:
        if event == "call":
            name = self.forbidden.get(frame.f_code)
            if name is not None and name not in self.seen:
                from .probes.standins import tripwire_exempt

                if not tripwire_exempt(frame):
                    self.seen.append(name)

    def start(self) -> None:
        if self.forbidden and not self.active:
            if not _guard():
                self.seen.append(GUARD_REFUSED)
            self._previous = sys.getprofile()
            sys.setprofile(self._profile)
            self.active = True

    def stop(self) -> None:
        if self.active:
            sys.setprofile(self._previous)
            self.active = False


#: What a check that switches the profile hook off is charged with (the part then scores zero).
SWITCHED_OFF = "sys.setprofile/sys.settrace while a check runs (switching the tripwire off)"
#: ... and one run where the grader's audit hook could not be installed.
GUARD_REFUSED = "an audit hook that refuses the grader's (the tripwire cannot be trusted)"
_PING = "grading.tripwire.ping"
_guarded: bool | None = None


def _at_recursion_limit(frame: types.FrameType | None) -> bool:
    """Is the stack at Python's recursion limit? There calling the profile hook itself fails, and Python
    switches the hook off (a student's deep recursion, not tampering)."""
    depth, limit = 0, sys.getrecursionlimit() - 10
    while frame is not None and depth < limit:
        frame, depth = frame.f_back, depth + 1
    return depth >= limit


def _guard() -> bool:
    """Install, once per process, the audit hook that notices ``sys.setprofile`` and ``sys.settrace`` while a
    :class:`Watcher` is this thread's profile hook (calls from :meth:`Watcher.start` and :meth:`Watcher.stop`
    aside), and marks that watcher's check; True if the hook is in place. A submission's own audit hook can
    refuse ``sys.addaudithook`` silently, so the hook must answer a ping to count as installed."""
    global _guarded
    if _guarded is None:
        own_code = {Watcher.start.__code__, Watcher.stop.__code__}
        token, answered = object(), []
        getprofile, getframe = sys.getprofile, sys._getframe

        def hook(event: str, args: tuple) -> None:
            if event == "sys.setprofile" or event == "sys.settrace":
                watcher = getattr(getprofile(), "__self__", None)
                if (
                    type(watcher) is Watcher
                    and getframe(1).f_code not in own_code
                    and SWITCHED_OFF not in watcher.seen
                    and not _at_recursion_limit(getframe(1))
                ):
                    watcher.seen.append(SWITCHED_OFF)
            elif event == _PING and args[0] is token:
                answered.append(True)

        NOT_INTERRUPTED.add(Watcher._profile.__code__)
        with contextlib.suppress(Exception):
            sys.addaudithook(hook)
            sys.audit(_PING, token)
        _guarded = bool(answered)
    return _guarded


@contextlib.contextmanager
def watch(forbidden: dict | None) -> Iterator[list[str]]:
    """Yield a list that fills with the names of forbidden functions called in the block."""
    watcher = Watcher(forbidden)
    watcher.start()
    try:
        yield watcher.seen
    finally:
        watcher.stop()


__all__ = [
    "AUTODIFF",
    "GROUPS",
    "GUARD_REFUSED",
    "SWITCHED_OFF",
    "TENSOR_OPS",
    "Watcher",
    "codes",
    "module_of",
    "watch",
    "watched_modules",
]
