"""What crosses between the processes by name: each side then uses its own copy of the object."""

from __future__ import annotations

import os
import sys
import types
from typing import Any

from .base import ProtocolError, _ATOMS, _MISSING, _RESERVED

#: Modules whose globals cross by name: the receiver uses its own copy of the object.
_BYNAME_MODULES = ("builtins", "math", "cmath", "operator", "functools", "itertools", "collections", "numpy",
                   "numpy.linalg", "numpy.random", "graphlib")
_BYNAME_PACKAGES = ("minitorch",)
#: Grader modules that run on both sides (public code, such as grading/standins.py): they cross by name too,
#: and a module's ``tripwire_exempt(frame)`` may exempt calls from the tripwire. Module name -> file; the
#: parent registers them with :func:`share`, the child learns them from ``SANDBOX_SHARED``.
SHARED_MODULES: dict[str, str] = {}
#: The builtin classes the parent accepts by name from the child.
_SAFE_BUILTIN_TYPES = frozenset({"object", "int", "float", "complex", "bool", "str", "bytes", "tuple", "list", "dict",
                                 "set", "frozenset", "range", "slice"})
_UNSENDABLE = (types.ModuleType, types.CodeType, types.FrameType, types.TracebackType, types.CellType)
#: Attribute names the parent never reads or writes for the child (on top of every ``__dunder__``).
_DENIED = frozenset({"gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code", "cr_await", "ag_frame", "ag_code",
                     "ag_await", "f_globals", "f_locals", "f_back", "f_builtins", "f_code", "tb_frame", "tb_next",
                     "co_code", "co_consts", "func_globals", "func_code", "im_func", "im_self", "cell_contents",
                     "mro"})


def share(module: types.ModuleType) -> None:
    """Load ``module`` (a file that imports only NumPy and minitorch) in every sandboxed process started
    from now on, under the same name, so that its objects cross by name."""
    SHARED_MODULES[module.__name__] = os.path.abspath(module.__file__)


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _public_name(name: Any) -> bool:
    """A name the child may read or write on the parent's objects (``_private`` ones included)."""
    return (type(name) is str and name.isidentifier() and not name.startswith("__") and name not in _DENIED
            and not name.startswith(_RESERVED))


def _byname_module(module_name: str) -> bool:
    return (module_name in _BYNAME_MODULES or module_name.split(".")[0] in _BYNAME_PACKAGES
            or module_name in SHARED_MODULES)


def _strict_ok(obj: Any) -> bool:
    """May the parent use its own copy of ``obj`` when the child names it? Only for objects through
    which no code of the parent's choosing can be run: a few builtin and NumPy classes, and
    minitorch's classes and objects (never functions)."""
    if isinstance(obj, type):
        module = getattr(obj, "__module__", "")
        if module == "builtins":
            return obj.__name__ in _SAFE_BUILTIN_TYPES or issubclass(obj, BaseException)
        if module.split(".")[0] in _BYNAME_PACKAGES or module in SHARED_MODULES:
            return True
        np = sys.modules.get("numpy")
        return np is not None and (obj is np.ndarray or obj is np.dtype or issubclass(obj, np.generic))
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.ModuleType,
                        types.BuiltinMethodType, type(len))):
        return False
    return type(obj).__module__.split(".")[0] in _BYNAME_PACKAGES


class _Registry:
    """id(object) -> (module, name) for the globals of the by-name modules (refreshed as modules load)."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.names: dict[int, tuple[str, str]] = {}
        self.keep: list = []
        self.loaded = -1

    def refresh(self) -> None:
        if len(sys.modules) == self.loaded:
            return
        self.loaded = len(sys.modules)
        modules = [m for m in _BYNAME_MODULES if m in sys.modules]
        modules += sorted(m for m in list(sys.modules) if m.split(".")[0] in _BYNAME_PACKAGES)
        modules += [m for m in SHARED_MODULES if m in sys.modules]
        names: dict[int, tuple[str, str]] = {}
        keep = []
        for module_name in modules:
            module = sys.modules.get(module_name)
            try:
                items = list(vars(module).items())
            except TypeError:
                continue
            for name, obj in items:
                if name.startswith("__") or type(obj) in _ATOMS or isinstance(obj, types.ModuleType):
                    continue
                if type(obj) in (list, dict, set, tuple, frozenset):
                    continue
                if self.strict and not _strict_ok(obj):
                    continue
                if id(obj) not in names:
                    names[id(obj)] = (module_name, name)
                    keep.append(obj)
        self.names, self.keep = names, keep


def _resolve(module_name: str, name: str, strict: bool) -> Any:
    """The receiver's own copy of a by-name global (never a module, never a private name)."""
    if type(module_name) is not str or type(name) is not str or not _byname_module(module_name):
        raise ProtocolError(f"{module_name!r} is not a by-name module")
    if name.startswith("__") or not name.isidentifier():
        raise ProtocolError(f"bad global name {name!r}")
    module = sys.modules.get(module_name)
    if module is None:
        import importlib

        module = importlib.import_module(module_name)
    obj = vars(module).get(name, _MISSING)
    if obj is _MISSING or isinstance(obj, types.ModuleType) or (strict and not _strict_ok(obj)):
        raise ProtocolError(f"{module_name}.{name} cannot be passed by name")
    return obj
