"""Starting a sandboxed process (the parent's side): limits, isolation levels, the process itself."""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable

from .base import PACKAGE_DIR, ProtocolError, SandboxError
from .names import SHARED_MODULES
from .connection import Connection
from .isolation import ENV as _ENV
from .isolation import ISOLATION_LEVELS, PYTHON, Isolation, course_paths, describe_isolation, detect_isolation, \
    view
from .view import View

__all__ = ["ISOLATION_LEVELS", "Isolation", "Limits", "Sandbox", "course_paths", "describe_isolation",
           "detect_isolation"]


class Limits:
    """Resource limits of a sandboxed process (set with setrlimit before it starts)."""

    def __init__(self, memory_mb: int = 4096, cpu_seconds: int = 900, file_mb: int = 64, open_files: int = 256,
                 tmp_mb: int = 256):
        self.memory_mb, self.cpu_seconds, self.file_mb = memory_mb, cpu_seconds, file_mb
        self.open_files, self.tmp_mb = open_files, tmp_mb

    def apply(self) -> None:
        import resource

        def limit(which: int, soft: int, hard: int) -> None:
            try:
                _, cur_hard = resource.getrlimit(which)
                if cur_hard != resource.RLIM_INFINITY:
                    hard = min(hard, cur_hard)
                    soft = min(soft, hard)
                resource.setrlimit(which, (soft, hard))
            except (ValueError, OSError):
                pass

        limit(resource.RLIMIT_AS, self.memory_mb << 20, self.memory_mb << 20)
        limit(resource.RLIMIT_CPU, self.cpu_seconds, self.cpu_seconds + 5)  # SIGXCPU, then SIGKILL
        limit(resource.RLIMIT_FSIZE, self.file_mb << 20, self.file_mb << 20)
        limit(resource.RLIMIT_NOFILE, self.open_files, self.open_files)
        limit(resource.RLIMIT_CORE, 0, 0)


def _preexec(limits: Limits, user: int | None) -> Callable[[], None]:
    def setup() -> None:
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        limits.apply()
        if user is not None:
            os.setgroups([])
            os.setgid(user)
            os.setuid(user)
    return setup


def _sandbox_env() -> dict[str, str]:
    """The environment inside a new root: its own /tmp is home and working directory."""
    return dict(_ENV, PATH="/usr/bin:/bin", HOME="/tmp", SANDBOX_WORKDIR="/tmp",
                SANDBOX_SHARED=_shared_spec(inside=True))


def _shared_path_in_sandbox(name: str) -> str:
    return f"/sandbox/shared/{name}.py"


def _shared_spec(inside: bool) -> str:
    """``SANDBOX_SHARED`` for the child: where it finds each shared module (inside a new root: a copy bound
    under /sandbox/shared)."""
    return os.pathsep.join(f"{name}={_shared_path_in_sandbox(name) if inside else path}"
                           for name, path in SHARED_MODULES.items())


def _child_program(package_parent: str) -> list[str]:
    """The child's command line: this package imported as ``sandbox`` from ``package_parent``."""
    boot = (f"import sys; sys.path.insert(0, {package_parent!r}); from sandbox.child import child_main; "
            "sys.exit(child_main())")
    return [PYTHON, "-I", "-c", boot]


def _command(isolation: Isolation, limits: Limits) -> list[str]:
    if not isolation.new_root:
        return isolation.program(View(), _child_program(os.path.dirname(PACKAGE_DIR.rstrip(os.sep))))
    binds = [(PACKAGE_DIR.rstrip(os.sep), "/sandbox/sandbox")]
    binds += [(path, _shared_path_in_sandbox(name)) for name, path in SHARED_MODULES.items()]
    return isolation.program(view(binds, limits.tmp_mb), _child_program("/sandbox"))


class Sandbox:
    """One sandboxed child process, started with the notebook's interpreter, and the connection to it."""

    def __init__(self, isolation: Isolation | str = "auto", limits: Limits | None = None,
                 startup_timeout: float = 60.0):
        self.isolation = isolation if isinstance(isolation, Isolation) else detect_isolation(isolation)
        self.limits = limits or Limits()
        self.proc: subprocess.Popen | None = None
        self.workdir = tempfile.mkdtemp(prefix="sandbox-")
        os.chmod(self.workdir, 0o777 if self.isolation.preexec_user is not None else 0o700)
        self.stderr_path = os.path.join(tempfile.mkdtemp(prefix="sandbox-log-"), "stderr")
        env = _sandbox_env() if self.isolation.new_root else dict(
            _ENV, PATH="/usr/bin:/bin", HOME=self.workdir, SANDBOX_WORKDIR=self.workdir,
            SANDBOX_SHARED=_shared_spec(inside=False))
        if os.environ.get("SANDBOX_PROFILE") and self.isolation.level == "none":
            env["SANDBOX_PROFILE"] = os.environ["SANDBOX_PROFILE"]
        started = time.monotonic()
        r_parent, w_child = os.pipe()
        r_child, w_parent = os.pipe()
        with contextlib.suppress(OSError, ImportError):
            import fcntl

            for fd in (r_parent, w_parent):
                fcntl.fcntl(fd, 1031, 1 << 20)  # F_SETPIPE_SZ: fewer wake-ups for big messages
        with open(self.stderr_path, "wb") as stderr:
            try:
                self.proc = subprocess.Popen(_command(self.isolation, self.limits), stdin=r_child, stdout=w_child,
                                             stderr=stderr, cwd=self.workdir, env=env, start_new_session=True,
                                             preexec_fn=_preexec(self.limits, self.isolation.preexec_user),
                                             close_fds=True)
            except OSError as exc:
                for fd in (r_parent, w_parent, r_child, w_child):
                    os.close(fd)
                raise SandboxError(f"the sandbox could not be started: {exc}") from None
            finally:
                for fd in (r_child, w_child):
                    with contextlib.suppress(OSError):
                        os.close(fd)
        self.conn = Connection(r_parent, w_parent, trusted_peer=False)
        self.conn.on_dead = self._on_dead
        self.conn.deadline = started + startup_timeout
        try:
            hello = self.conn.read_frame(limit=1024)
        except (EOFError, OSError, TimeoutError, ProtocolError, pickle.UnpicklingError, struct.error) as exc:
            reason = self.exit_reason(wait=2.0) or f"{type(exc).__name__}"
            self.close()
            raise SandboxError(f"the sandbox did not start: {reason}") from None
        if hello != "ready":
            self.close()
            raise SandboxError("the sandbox did not start (unexpected greeting)")
        self.conn.deadline = None
        self.startup_seconds = time.monotonic() - started

    @property
    def level(self) -> str:
        return self.isolation.level

    def _on_dead(self, error: SandboxError) -> None:
        if error.kind == "crash":
            reason = self.exit_reason(wait=2.0)
            if reason:
                error.reason = reason
        self.kill()

    def exit_reason(self, wait: float = 0.0) -> str | None:
        """How the process ended (None while it runs)."""
        if self.proc is None:
            return None
        try:
            code = self.proc.wait(timeout=wait) if wait else self.proc.poll()
        except subprocess.TimeoutExpired:
            return None
        if code is None:
            return None
        if self.isolation.new_root and code > 128:
            code = -(code - 128)  # bubblewrap and the shell report a signal as 128 + its number
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            why = {"SIGSEGV": " (a crash: a segmentation fault, or very deep recursion)",
                   "SIGKILL": " (killed: out of memory, or over a limit)", "SIGXCPU": " (over the CPU-time limit)",
                   "SIGXFSZ": " (wrote a file over the size limit)", "SIGABRT": " (aborted)",
                   "SIGBUS": " (a crash)", "SIGFPE": " (a crash)", "SIGILL": " (a crash)"}
            return f"the submission's process died with {name}{why.get(name, '')}"
        tail = ""
        with contextlib.suppress(OSError):
            with open(self.stderr_path, "rb") as f:
                f.seek(0, 2)
                f.seek(max(0, f.tell() - 2000))
                lines = f.read().decode("utf-8", "replace").strip().splitlines()
                tail = lines[-1][:200] if lines else ""
        return f"the submission's process exited with code {code}" + (f": {tail}" if tail else "")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)

    def close(self) -> None:
        conn = getattr(self, "conn", None)
        if conn is not None and conn.dead is None and self.proc is not None and self.proc.poll() is None:
            # a graceful end: the child sees the pipe close and exits
            with contextlib.suppress(OSError):
                os.close(conn.wfd)
            conn.wfd = -1
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=2.0 if os.environ.get("SANDBOX_PROFILE") else 0.2)
        self.kill()
        if conn is not None:
            if conn.dead is None:
                conn.dead = SandboxError("the sandbox was closed", "killed")
            for fd in (conn.rfd, conn.wfd):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self.conn = None  # type: ignore[assignment]
        shutil.rmtree(self.workdir, ignore_errors=True)
        if os.environ.get("SANDBOX_DEBUG"):
            with contextlib.suppress(OSError), open(self.stderr_path, "rb") as f:
                sys.stderr.write(f.read().decode("utf-8", "replace")[-20000:])
        shutil.rmtree(os.path.dirname(self.stderr_path), ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
