"""The sandboxed process: runs the notebook's cells and serves the parent's requests on its objects."""

from __future__ import annotations

import builtins
import contextlib
import io
import linecache
import os
import pickle
import sys
import tempfile
import types
import warnings
from typing import Any, Callable

from .base import ProtocolError, _MISSING
from .names import SHARED_MODULES
from .encoder import _Encoder, _location
from .connection import Connection
from .cells import alarm, compile_cell

class _Sink(io.TextIOBase):
    """Swallows what the submission prints."""

    def write(self, text: str) -> int:
        return len(text)

    def writable(self) -> bool:
        return True


class _CellTimeout(BaseException):
    pass


class _Watch:
    """The child's half of the tripwire: notice calls to the code objects the parent names
    (by file, first line and name: minitorch's files are the same on both sides)."""

    def __init__(self) -> None:
        self.sets: dict[Any, dict] = {}
        self.active: dict | None = None
        self.cache: dict = {}
        self.seen: list[str] = []
        # calls that a shared module's ``tripwire_exempt(frame)`` says the grader made
        self.exemptions = [m.tripwire_exempt for name in SHARED_MODULES
                           if callable(getattr(m := sys.modules.get(name), "tripwire_exempt", None))]

    def profile(self, frame: Any, event: str, arg: Any) -> None:  # noqa: ARG002
        if event != "call":
            return
        code = frame.f_code
        label = self.cache.get(code, _MISSING)
        if label is _MISSING:
            label = self.active.get((code.co_filename, code.co_firstlineno, code.co_name)) if self.active else None
            self.cache[code] = label
        if label is not None and label not in self.seen and not any(exempt(frame) for exempt in self.exemptions):
            self.seen.append(label)


class Child:
    """The child process's services: run the notebook's cells, expose its namespace, watch calls."""

    def __init__(self, conn: _ChildConnection):
        self.conn = conn
        module = types.ModuleType("__main__")
        module.__dict__["__builtins__"] = builtins
        module.__dict__["display"] = lambda *args, **kwargs: None
        sys.modules["__main__"] = module
        self.namespace = module.__dict__
        self.watch = _Watch()
        conn.handler = self.handle
        conn.on_meta = self.meta

    def meta(self, meta: dict) -> None:
        definition = meta.get("watchdef")
        if definition:
            key, entries = definition
            self.watch.sets[key] = {(f, line, n): label for f, line, n, label in entries}
        if "watch" in meta:
            active = self.watch.sets.get(meta["watch"]) if meta["watch"] is not None else None
            if active is not self.watch.active:
                self.watch.active, self.watch.cache = active, {}
            self.conn.profile = self.watch.profile if active else None

    def handle(self, name: str, args: tuple) -> Any:
        namespace = self.namespace
        if name == "exec_cells":
            return self.exec_cells(*args)
        if name == "ns_get":
            return namespace[args[0]]
        if name == "ns_set":
            namespace[args[0]] = args[1]
            return None
        if name == "ns_del":
            del namespace[args[0]]
            return None
        if name == "ns_swap":
            assign, remove = args
            previous = {k: namespace[k] for k in [*assign, *remove] if k in namespace}
            namespace.update(assign)
            for k in remove:
                namespace.pop(k, None)
            return previous
        if name == "ns_has":
            return args[0] in namespace
        if name == "ns_keys":
            return [k for k in namespace if type(k) is str]
        if name == "ping":
            return "pong"
        raise ProtocolError(f"unknown request {name!r}")

    def exec_cells(self, cells: list, timeout: float) -> list:
        errors = []
        for index, text in cells:
            filename = f"<notebook cell {index}>"
            linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
            try:
                code = compile_cell(text, filename)
                with alarm(timeout, _CellTimeout):
                    exec(code, self.namespace)
            except _CellTimeout:
                errors.append((index, f"took longer than {timeout:g} s; stopped"))
            except KeyboardInterrupt:
                errors.append((index, "KeyboardInterrupt"))
            except (Exception, SystemExit) as exc:  # noqa: BLE001
                errors.append((index, _describe(exc)))
        return errors


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        text = "RecursionError: maximum recursion depth exceeded"
    else:
        text = f"{type(exc).__name__}: {exc}".rstrip(": ")
    return text + _location(exc)


class _ChildConnection(Connection):
    """The child's end: the submission's output is swallowed, the tripwire runs while it serves a
    watched request, and what it saw goes back with the next message."""

    child: Child
    profile: Callable | None = None

    def _serve(self, request: tuple) -> None:
        sink = _Sink()
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            profile = self.profile
            if profile is not None and request[0] != "exec_cells":
                sys.setprofile(profile)
            try:
                super()._serve(request)
            finally:
                if profile is not None:
                    sys.setprofile(None)

    def _send(self, kind: str, payload_fn: Callable) -> _Encoder:
        watch = self.child.watch
        if watch.seen:
            self.meta_out["seen"] = watch.seen
            watch.seen = []
        profile = sys.getprofile()
        if not callable(profile):
            profile = None
        if profile is not None:
            sys.setprofile(None)
        try:
            return super()._send(kind, payload_fn)
        finally:
            if profile is not None:
                sys.setprofile(profile)

    def _wait(self) -> Any:
        profile = sys.getprofile()
        if not callable(profile):
            profile = None
        try:
            return super()._wait()
        finally:
            if profile is not None:
                sys.setprofile(profile)


def _load_shared_modules(spec: str) -> None:
    """Load the grader's shared modules (``name=path`` entries, separated by ``os.pathsep``) under the
    names the parent gives them, so that their objects cross by name."""
    import importlib.util

    for entry in filter(None, spec.split(os.pathsep)):
        name, _, path = entry.partition("=")
        module_spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        try:
            module_spec.loader.exec_module(module)
        except Exception:  # noqa: BLE001 - e.g. minitorch missing: the module's objects then become mirrors
            del sys.modules[name]
            continue
        SHARED_MODULES[name] = path


def child_main() -> int:
    """Entry point inside the sandbox. The protocol runs on the pipes given as stdin and stdout,
    which are moved to other descriptors first, so that what the submission prints (even with
    ``os.write(1, ...)``) cannot corrupt it."""
    rfd, wfd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    import numpy  # noqa: F401 - what notebooks import anyway, loaded before any submission code runs
    with contextlib.suppress(ImportError):
        import minitorch  # noqa: F401
    _load_shared_modules(os.environ.get("SANDBOX_SHARED", ""))
    with contextlib.suppress(OSError):
        os.chdir(os.environ.get("SANDBOX_WORKDIR") or tempfile.gettempdir())
    conn = _ChildConnection(rfd, wfd, trusted_peer=True)
    conn.child = Child(conn)
    conn.write_frame(pickle.dumps("ready"))
    profile_path = os.environ.get("SANDBOX_PROFILE")  # a developer's switch (isolation none only)
    if profile_path:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    with contextlib.suppress(EOFError, BrokenPipeError):
        conn.serve_forever()
    if profile_path:
        profiler.disable()
        profiler.dump_stats(profile_path)
    return 0
