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
from .view import NOBODY, View

ISOLATION_LEVELS = ("bwrap", "namespaces", "unshare", "none")
#: The interpreter, by a path without ``..`` (a new root has only some of the folders it could pass through).
PYTHON = os.path.abspath(sys.executable)
_ENV = {"PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "PYTHONIOENCODING": "utf-8", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}


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


def course_paths() -> dict[str, str]:
    """What the sandbox hides (the grading package, the solutions) and where minitorch lives."""
    here = os.path.dirname(PACKAGE_DIR.rstrip(os.sep))
    repo = os.path.dirname(here)
    paths = {"grading": here, "repo": repo,
             "solutions": os.path.abspath(os.environ.get("MINITORCH_SOLUTIONS", os.path.join(repo, "solutions")))}
    with contextlib.suppress(ImportError):
        import minitorch

        paths["minitorch"] = os.path.dirname(os.path.abspath(minitorch.__file__))
    return paths


def _runtime_binds() -> list[str]:
    """Read-only paths the child needs: the interpreter, the virtual environment, minitorch."""
    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                  os.path.dirname(os.path.realpath(sys.executable))]
    paths = course_paths()
    if "minitorch" in paths:
        candidates.append(paths["minitorch"])
    binds: list[str] = []
    for path in sorted({os.path.realpath(p) for p in candidates if p}, key=len):
        if path in ("/", "/usr") or path.startswith("/usr/") or not os.path.isdir(path):
            continue
        if not any(path == b or path.startswith(b + os.sep) for b in binds):
            binds.append(path)
    return binds


def _view(binds: list[tuple[str, str]], tmp_mb: int = 256) -> View:
    """The file system a sandboxed process sees (see :mod:`.view`), with ``binds`` (outside, inside) added."""
    paths = course_paths()
    # a copy of the course inside the virtual environment is hidden too
    hidden = [paths["grading"], paths["solutions"], os.path.join(paths["repo"], "tests")]
    return View.of_runtime(_runtime_binds(), hidden, binds, tmp_mb)


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


_CHROOT = shutil.which("chroot", path="/usr/sbin:/usr/bin:/sbin:/bin") or "chroot"


class Isolation:
    """How sandboxed processes are started on this machine.

    ``level`` is one of :data:`ISOLATION_LEVELS`; ``share_user``: bubblewrap without a user namespace of its
    own, or ``unshare`` that maps the caller to root; ``user``: the uid the submission runs as, where the
    grader is root."""

    def __init__(self, level: str, share_user: bool = False, user: int | None = None):
        self.level, self.share_user, self.user = level, share_user, user

    @property
    def new_root(self) -> bool:
        """Does the process see only :func:`_view` (and so not the course)?"""
        return self.level in ("bwrap", "namespaces")

    def program(self, view: View, program: list[str]) -> list[str]:
        """The command line that runs ``program`` at this level, in ``view`` where there is a new root."""
        if self.level == "bwrap":
            return view.bwrap(_sandbox_env(), program, new_user=not self.share_user)
        if self.level == "namespaces":
            return view.unshare(program, as_root=not self.share_user, chroot=_CHROOT)
        prefix = {"unshare": ["unshare", "--net"], "unshare-user": ["unshare", "--map-root-user", "--net"]}
        return prefix.get(self.level if not self.share_user else "unshare-user", []) + program

    def command(self, limits: Limits) -> list[str]:
        if not self.new_root:
            return self.program(View(), _child_program(os.path.dirname(PACKAGE_DIR.rstrip(os.sep))))
        binds = [(PACKAGE_DIR.rstrip(os.sep), "/sandbox/sandbox")]
        binds += [(path, _shared_path_in_sandbox(name)) for name, path in SHARED_MODULES.items()]
        return self.program(_view(binds, limits.tmp_mb), _child_program("/sandbox"))

    @property
    def preexec_user(self) -> int | None:
        """The uid to switch to before the command starts (a new root switches itself, after mounting)."""
        return None if self.level == "namespaces" else self.user

    def describe(self) -> str:
        return describe_isolation(self.level, self.user)


_NEW_ROOT = ("the submission sees only the system's /usr, the Python runtime, the virtual environment, "
             "minitorch and a private /tmp (not solutions/, tests/ or other submissions); no network")


def describe_isolation(level: str, user: int | None = None) -> str:
    text = {
        "bwrap": "bubblewrap: own user, mount, network, PID and IPC namespaces; " + _NEW_ROOT,
        "namespaces": "unshare and chroot: own mount, network, PID and IPC namespaces and a new root; " + _NEW_ROOT,
        "unshare": "unshare: own network namespace (no network); the file system is visible (install bubblewrap, "
                   "or grade as root, to hide solutions/ and tests/)",
        "none": "no namespaces: network and file system are NOT isolated (install bubblewrap)",
    }[level]
    if user is not None:
        text += f"; runs as uid {user}"
    return text + "; memory (RLIMIT_AS), CPU-time, file-size and open-file limits; a private working directory"


_isolation_cache: dict[str, Isolation] = {}


def _probe(cmd: list[str], preexec: Callable | None = None, cwd: str | None = None) -> bool:
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=60, stdin=subprocess.DEVNULL, preexec_fn=preexec,
                              cwd=cwd)
    except (OSError, subprocess.TimeoutExpired, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and b"ok" in proc.stdout


def detect_isolation(requested: str = "auto") -> Isolation:
    """The strongest isolation this machine allows, or the one requested (an error if unavailable)."""
    if requested in _isolation_cache:
        return _isolation_cache[requested]
    if requested not in ("auto",) + ISOLATION_LEVELS:
        raise ValueError(f"unknown isolation {requested!r}; use auto, {', '.join(ISOLATION_LEVELS)}")
    found: Isolation | None = None
    solutions = course_paths()["solutions"]
    with tempfile.TemporaryDirectory(prefix="sandbox-probe-") as tmp:
        probe = os.path.join(tmp, "probe.py")
        with open(probe, "w") as f:
            f.write(f"import os, socket\nassert not os.path.exists({solutions!r})\n"
                    "import numpy\nprint('ok')\n")
        os.chmod(tmp, 0o755)
        os.chmod(probe, 0o644)
        candidates = [Isolation("bwrap", share) for share in (False, True) if shutil.which("bwrap")]
        if shutil.which("unshare"):
            candidates += [Isolation("namespaces", share_user=os.geteuid() != 0)]
        for isolation in candidates:
            if requested not in ("auto", isolation.level):
                continue
            view = _view([(probe, "/sandbox/probe.py")])
            with tempfile.TemporaryDirectory(prefix="sandbox-probe-root-") as root:
                if _probe(isolation.program(view, [PYTHON, "-I", "/sandbox/probe.py"]), cwd=root):
                    found = isolation
                    break
        if found is None and requested in ("auto", "unshare") and shutil.which("unshare"):
            for prefix in (["unshare", "--net"], ["unshare", "--map-root-user", "--net"]):
                if _probe(prefix + [PYTHON, "-I", "-c", "import numpy; print('ok')"]):
                    found = Isolation("unshare", share_user=prefix[1] == "--map-root-user")
                    break
        if found is None and requested in ("auto", "none"):
            found = Isolation("none")
        if found is None:
            raise RuntimeError(f"isolation {requested!r} is not available on this machine")
        if found.level == "namespaces" and not found.share_user:
            found.user = NOBODY
        elif found.level != "bwrap" and os.geteuid() == 0:
            # Running as root without a new root: run the submission as nobody if the runtime allows it.
            if _probe(found.program(View(), [PYTHON, "-I", "-c", "import numpy; print('ok')"]),
                      preexec=_preexec(Limits(), NOBODY), cwd=tmp):
                found.user = NOBODY
    _isolation_cache[requested] = found
    return found


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
                self.proc = subprocess.Popen(self.isolation.command(self.limits), stdin=r_child, stdout=w_child,
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
