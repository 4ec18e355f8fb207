"""The sandboxed process's tripwire: every call of minitorch's code is announced, and cannot be hidden.

Before any submission code runs, :func:`instrument` imports minitorch (every module) and ``graphlib``
from source, with one statement added at the top of every function of the modules the grader watches
(those that hold a forbidden group, :mod:`grading.tripwire`): ``sys.audit("grading.call",
"<module>:<first line>:<name>")``, where ``sys.audit`` is a constant of the function's code (bound when the
code is loaded), not a name looked up when it runs: replacing ``sys.audit`` or ``builtins.__import__``
does not silence it. The other modules are not instrumented: announcing their calls (most of the calls
of a training loop) would only slow the sandbox down. :func:`install` then adds an audit hook (``sys.addaudithook``:
Python offers no way to remove one) that writes each name, the first time it is called in a probe,
to a pipe of its own. The grading process reads that pipe beside the replies and decides which names
a part forbids (:mod:`grading.tripwire` has the groups), so the decision is never made in here.

What a submission cannot do from inside its process without being noticed:

* switch the hook off (``sys.setprofile(None)`` defeated the old tripwire; an audit hook stays);
* reach the hook's state: it lives only in the hook's closure, and the garbage collector's object
  lists (``gc.get_objects``, ``get_referrers``, ``get_referents``) are refused;
* silence the pipe: the hook checks that its descriptor is still the pipe it was given and ends the
  process (exit code :data:`TAMPERED`) if it is not;
* take an uninstrumented copy: creating code objects (``code.replace``, ``CodeType``) is refused, reading
  ``__code__`` of minitorch's functions is refused, and opening minitorch's files (to load its source
  again) is reported as a call of everything in that file.

Residual risks (documented in grading/README.md): ``ctypes`` can rewrite the interpreter's memory; a
submission may copy minitorch's source text into a cell by hand (then it is its own code, as a copy
from the book would be).
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib
import importlib.abc
import importlib.machinery
import marshal
import os
import pkgutil
import sys
import warnings
from types import CodeType
from typing import Any

EVENT = "grading.call"
EPOCH = "grading.epoch"
#: Exit code of a process whose tripwire channel was tampered with.
TAMPERED = 87
INSTRUMENTED = ("minitorch", "graphlib")


#: Stands for ``sys.audit`` in compiled code (which cannot hold a function) until :func:`_bind` puts it there.
_AUDIT_PLACEHOLDER = "\0grading: sys.audit\0"
#: Changes whenever the form of instrumented code changes (old cached code is then not used).
_FORMAT = b"audit-constant-1"


def _audit_call(label: str) -> ast.Expr:
    call = ast.Call(ast.Constant(_AUDIT_PLACEHOLDER), [ast.Constant(EVENT), ast.Constant(label)], [])
    return ast.Expr(call)


class _Announce(ast.NodeTransformer):
    """Adds the audit call to every function and lambda of a module (keyed as the code object will be)."""

    def __init__(self, module: str):
        self.module = module

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Any:
        self.generic_visit(node)
        first = min([d.lineno for d in node.decorator_list] + [node.lineno])
        docstring = (
            node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
            and isinstance(node.body[0].value.value, str)
        )
        node.body.insert(1 if docstring else 0, _audit_call(f"{self.module}:{first}:{node.name}"))
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        self.generic_visit(node)
        label = f"{self.module}:{node.lineno}:<lambda>"
        pair = ast.Tuple([_audit_call(label).value, node.body], ast.Load())
        node.body = ast.Subscript(pair, ast.Constant(1), ast.Load())
        return node


def instrumented(fullname: str, path: str, source: bytes, announce: bool = True) -> CodeType:
    """The code of a module, with every function announcing its calls if ``announce`` (to be bound with
    :func:`_bind` where it runs)."""
    tree = ast.parse(source, path)
    if announce:
        tree = ast.fix_missing_locations(_Announce(fullname).visit(tree))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # "'str' object is not callable": the placeholder
        return compile(tree, path, "exec", dont_inherit=True)


def cache_file(cache: str, fullname: str, source: bytes, announce: bool) -> str:
    """Where :func:`instrumented` code is kept (compiling it is most of a sandbox's start-up)."""
    key = hashlib.sha256(_FORMAT + (b"+" if announce else b"-") + source).hexdigest()[:20]
    return os.path.join(cache, f"{fullname}-{key}.code")


def _bind(code: CodeType) -> CodeType:
    """``code`` (and the code nested in it) with the placeholder constant replaced by ``sys.audit`` itself."""
    consts = tuple(
        _AUDIT if type(c) is str and c == _AUDIT_PLACEHOLDER else _bind(c) if isinstance(c, CodeType) else c
        for c in code.co_consts
    )
    changed = any(new is not old for new, old in zip(consts, code.co_consts))
    return code.replace(co_consts=consts) if changed else code


_AUDIT = sys.audit  # taken when this module is imported, before any submission code runs


class _Loader(importlib.machinery.SourceFileLoader):
    cache: str | None = None
    announced: frozenset[str] | None = None  # None: every module

    def get_code(self, fullname: str) -> Any:
        path = self.get_filename(fullname)
        source = self.get_data(path)
        announce = self.announced is None or fullname in self.announced
        if self.cache:
            with (
                contextlib.suppress(OSError, ValueError, EOFError),
                open(cache_file(self.cache, fullname, source, announce), "rb") as f,
            ):
                return _bind(marshal.load(f))
        return _bind(instrumented(fullname, path, source, announce))


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname.split(".")[0] not in INSTRUMENTED:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            spec.loader = _Loader(fullname, spec.origin)
        return spec


def instrument(cache: str | None = None, announced: frozenset[str] | None = None) -> str:
    """Import minitorch (all of it) and graphlib with every function of the ``announced`` modules (None: all)
    announcing its calls; the folder of minitorch's files. Call before anything imports them. ``cache``: a
    folder of code the grader compiled (:func:`cache_file`), read-only here."""
    _Loader.cache, _Loader.announced = cache, announced
    finder = _Finder()
    sys.meta_path.insert(0, finder)
    try:
        import graphlib  # noqa: F401 - imported to be instrumented

        import minitorch

        for info in pkgutil.walk_packages(minitorch.__path__, "minitorch."):
            try:
                importlib.import_module(info.name)
            except ImportError:  # an optional backend (CuPy) that is not installed
                pass
    finally:
        sys.meta_path.remove(finder)
    return os.path.dirname(os.path.realpath(minitorch.__file__)) + os.sep


def install(fd: int, minitorch_dir: str) -> None:
    """Add the audit hook that writes announced calls to ``fd`` (a pipe)."""
    inode = os.fstat(fd).st_ino
    reported: set = set()
    write, fstat, exit_now, realpath = os.write, os.fstat, os._exit, os.path.realpath
    function_type = type(install)

    def report(label: str) -> None:
        try:
            if fstat(fd).st_ino != inode:
                exit_now(TAMPERED)
            write(fd, label.encode("utf-8", "replace")[:300] + b"\n")
        except OSError:
            exit_now(TAMPERED)

    def hook(event: str, args: tuple) -> None:
        if event == EVENT:
            if args[0] not in reported:
                reported.add(args[0])
                report(args[0])
        elif event == EPOCH:
            reported.clear()
        elif event.startswith("gc.get_"):
            raise RuntimeError(f"{event} is not available while grading")
        elif event == "code.__new__":
            raise RuntimeError("creating code objects is not available while grading")
        elif event == "object.__getattr__" and args[1] == "__code__" and type(args[0]) is function_type:
            module = args[0].__module__
            if type(module) is str and module.split(".")[0] in INSTRUMENTED:
                raise RuntimeError("reading the code of minitorch's functions is not available while grading")
        elif event == "open" and type(args[0]) is str and realpath(args[0]).startswith(minitorch_dir):
            report("file:" + realpath(args[0]))

    sys.addaudithook(hook)
