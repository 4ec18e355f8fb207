"""One sandboxed process per submission: started with limits, asked for plain data, ended with all it started.

The process runs :mod:`grading.probes.child` (the ``probes`` package is all it sees of the grader), under the
:mod:`limits <grading.sandbox.limits>` of the submission: for the submission as a whole where a cgroup is
available, per process otherwise (the summary says which). Ending the sandbox kills every process of the
cgroup, or of the process group and PID namespace, so a grandchild never outlives its submission.

Every read has a deadline and a size limit; a reply that breaks the protocol is the submission's failure
(:class:`SandboxDied` with a true reason), never the grader's.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from typing import Any

from ..probes.audit import TAMPERED, cache_file, instrumented
from ..probes.wire import HEADER, Malformed, dumps, loads
from .isolation import ENV, GRADING_DIR, PYTHON, Isolation, course_paths, detect_isolation, sandbox_env, view
from .limits import Cgroup, Limits
from .view import View

PROBES_DIR = os.path.join(GRADING_DIR, "probes")


class SandboxDied(Exception):
    """The submission's process died, hung, or broke the protocol. ``kind``: ``crash``, ``timeout`` or
    ``malformed``; ``reason`` says what happened, in words for the student."""

    def __init__(self, kind: str, reason: str):
        super().__init__(reason)
        self.kind, self.reason = kind, reason


def code_cache() -> tuple[str, str]:
    """A folder of minitorch's instrumented code (:mod:`grading.probes.audit`), compiled once by the grader and
    read by every sandbox (without it each sandbox would compile minitorch again: most of its start-up), and the
    modules whose calls it announces, comma-separated."""
    global _code_cache
    if _code_cache is None:
        import graphlib
        import importlib.util
        import marshal
        import pkgutil

        import minitorch

        from ..tripwire import watched_modules

        folder = os.path.join(tempfile.gettempdir(), f"grading-code-{os.getuid()}")
        os.makedirs(folder, mode=0o755, exist_ok=True)
        info = os.stat(folder)
        if info.st_uid != os.getuid() or info.st_mode & 0o022:
            raise RuntimeError(f"{folder} belongs to another user or is writable by others: not used")
        names = ["graphlib"] + [m.name for m in pkgutil.walk_packages(minitorch.__path__, "minitorch.")]
        announced = watched_modules()
        for name in names:
            spec = importlib.util.find_spec(name) if name != "graphlib" else graphlib.__spec__
            if spec is None or not (spec.origin or "").endswith(".py"):
                continue
            with open(spec.origin, "rb") as f:
                source = f.read()
            target = cache_file(folder, name, source, name in announced)
            if not os.path.exists(target):
                partial = f"{target}.{os.getpid()}"
                with open(partial, "wb") as f:
                    marshal.dump(instrumented(name, spec.origin, source, name in announced), f)
                os.chmod(partial, 0o644)
                os.replace(partial, target)
        _code_cache = folder, ",".join(sorted(announced))
    return _code_cache


#: The folder of compiled code, and the modules whose calls are announced (comma-separated).
_code_cache: tuple[str, str] | None = None


def _boot(parent: str, tripwire_fd: int) -> list[str]:
    # The child imports the minitorch that the grader imported (its folder is in the sandbox's view), not the one
    # the virtual environment would find: they differ where the course runs from a copy (the student edition).
    minitorch_dir = course_paths().get("minitorch")
    paths = [parent] + ([os.path.dirname(minitorch_dir)] if minitorch_dir else [])
    code = f"import sys; sys.path[:0] = {paths!r}; from probes.child import main; sys.exit(main({tripwire_fd}))"
    return [PYTHON, "-I", "-c", code]


class Sandbox:
    """One submission's sandboxed process. :meth:`request` sends a message and returns the reply and the names
    the tripwire reported while the request ran."""

    def __init__(
        self, isolation: Isolation | str = "auto", limits: Limits | None = None, startup_timeout: float = 60.0
    ):
        self.isolation = isolation if isinstance(isolation, Isolation) else detect_isolation(isolation)
        self.limits = limits or Limits()
        self.workdir = tempfile.mkdtemp(prefix="sandbox-")
        os.chmod(self.workdir, 0o777 if self.isolation.preexec_user is not None else 0o700)
        descriptor, self.stderr_path = tempfile.mkstemp(prefix="sandbox-stderr-")
        os.close(descriptor)
        self.cgroup = Cgroup.create(self.limits)
        requests, replies, tripwire = os.pipe(), os.pipe(), os.pipe()
        self.wfd, self.rfd, self.tfd = requests[1], replies[0], tripwire[0]
        cache, announced = code_cache()
        if self.isolation.new_root:
            binds = [(PROBES_DIR, "/sandbox/probes"), (cache, "/sandbox/code")]
            env = dict(sandbox_env(), SANDBOX_CODE_CACHE="/sandbox/code", SANDBOX_ANNOUNCED=announced)
            program = self.isolation.program(view(binds, self.limits.tmp_mb), _boot("/sandbox", tripwire[1]), env)
        else:
            program = self.isolation.program(View(), _boot(GRADING_DIR, tripwire[1]))
            env = dict(
                ENV,
                PATH="/usr/bin:/bin",
                HOME=self.workdir,
                SANDBOX_WORKDIR=self.workdir,
                SANDBOX_CODE_CACHE=cache,
                SANDBOX_ANNOUNCED=announced,
            )
        started = time.monotonic()
        try:
            with open(self.stderr_path, "wb") as stderr:
                self.proc = subprocess.Popen(
                    program,
                    stdin=requests[0],
                    stdout=replies[1],
                    stderr=stderr,
                    pass_fds=(tripwire[1],),
                    cwd=self.workdir,
                    env=env,
                    start_new_session=True,
                    preexec_fn=self._setup(),
                )
        except OSError as exc:
            self.proc = None
            self.close()
            raise SandboxDied("crash", f"the sandbox could not be started: {exc}") from None
        finally:
            for fd in (requests[0], replies[1], tripwire[1]):
                os.close(fd)
        try:
            reply, _ = self._read(started + startup_timeout)
        except SandboxDied as exc:
            self.close()
            raise SandboxDied(exc.kind, f"the sandbox did not start: {exc.reason}") from None
        if reply != {"ready": True}:
            self.close()
            raise SandboxDied("malformed", "the sandbox did not start (unexpected greeting)")
        self.startup_seconds = time.monotonic() - started

    def _setup(self) -> Callable[[], None]:
        limits, cgroup, user = self.limits, self.cgroup, self.isolation.preexec_user

        def setup() -> None:
            with contextlib.suppress(OSError, AttributeError):
                import ctypes

                ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
            if cgroup is not None:
                cgroup.join()
            limits.apply()
            if user is not None:
                os.setgroups([])
                os.setgid(user)
                os.setuid(user)

        return setup

    @property
    def per_submission(self) -> bool:
        """Are memory and processes limited for the submission as a whole (a cgroup), not per process?"""
        return self.cgroup is not None

    def describe(self) -> str:
        scope = (
            "memory and processes limited for the submission as a whole (cgroup)"
            if self.per_submission
            else "memory limited per process (RLIMIT_AS; no cgroup available), processes not limited"
        )
        return f"{self.isolation.describe()}; {scope}"

    def request(self, message: dict, deadline: float) -> tuple[Any, list[str]]:
        """Send ``message``; (the reply, the tripwire's reports). Raises :class:`SandboxDied` (and the process is
        ended) if the reply does not come before ``deadline`` or breaks the protocol."""
        if self.proc is None:
            raise SandboxDied("crash", "the submission's process is not running")
        try:
            os.set_blocking(self.wfd, False)
            body = dumps(message)
            data = memoryview(HEADER.pack(len(body)) + body)
            while data:
                wait = deadline - time.monotonic()
                if wait <= 0 or not select.select([], [self.wfd], [], wait)[1]:
                    raise TimeoutError
                data = data[os.write(self.wfd, data[: 1 << 16]) :]
        except TimeoutError:
            raise self._ended("timeout", "the submission's process stopped reading its requests") from None
        except OSError:
            raise self._ended("crash", "the submission's process closed its requests") from None
        return self._read(deadline)

    def _ended(self, kind: str, reason: str) -> SandboxDied:
        """End the process; the error that says why (for a crash, how the process ended, if it did)."""
        if kind == "crash":
            reason = self.exit_reason(wait=2.0) or reason
        self._end()
        return SandboxDied(kind, reason)

    def _read(self, deadline: float) -> tuple[Any, list[str]]:
        reply, trip, reports = bytearray(), b"", []
        limit = self.limits.reply_mb << 20
        open_fds = [self.rfd, self.tfd]
        try:
            while True:
                if len(reply) >= HEADER.size:
                    (size,) = HEADER.unpack(reply[: HEADER.size])
                    if size > limit:
                        raise Malformed(f"a reply of {size:,} bytes (the limit is {limit:,})")
                    if len(reply) >= HEADER.size + size:
                        return loads(bytes(reply[HEADER.size : HEADER.size + size])), reports
                wait = deadline - time.monotonic()
                ready = select.select(open_fds, [], [], max(wait, 0))[0] if wait > 0 else []
                if not ready:
                    raise TimeoutError
                for fd in ready:
                    chunk = os.read(fd, 1 << 20)
                    if fd == self.rfd:
                        if not chunk:
                            raise EOFError
                        reply += chunk
                    elif not chunk:
                        open_fds.remove(fd)
                    else:
                        *lines, trip = (trip + chunk).split(b"\n")
                        if len(trip) > 4096 or len(reports) > 100_000:
                            raise Malformed("tripwire reports over the size limit")
                        reports += [line.decode("utf-8", "replace") for line in lines]
        except TimeoutError:
            raise self._ended("timeout", "no reply before the deadline") from None
        except EOFError:
            raise self._ended("crash", "the submission's process closed its replies") from None
        except Malformed as exc:
            raise self._ended("malformed", f"the submission's process sent a malformed reply ({exc})") from None

    def exit_reason(self, wait: float = 0.0) -> str | None:
        """How the process ended, in words (None while it runs)."""
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
        if code == TAMPERED:
            return "the submission's process tampered with the grader's tripwire (its channel was closed or replaced)"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            if name == "SIGKILL" and self.cgroup is not None and self.cgroup.out_of_memory():
                return f"the submission's process was killed: its processes used more than {self.limits.memory_mb} MB"
            why = {
                "SIGSEGV": " (a crash: a segmentation fault, or very deep recursion)",
                "SIGKILL": " (killed: out of memory, or over a limit)",
                "SIGXCPU": " (over the CPU-time limit)",
                "SIGXFSZ": " (wrote a file over the size limit)",
                "SIGABRT": " (aborted)",
            }
            return f"the submission's process died with {name}{why.get(name, '')}"
        tail = ""
        with contextlib.suppress(OSError), open(self.stderr_path, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 2000))
            lines = f.read().decode("utf-8", "replace").strip().splitlines()
            tail = lines[-1][:200] if lines else ""
        return f"the submission's process exited with code {code}" + (f": {tail}" if tail else "")

    def _end(self) -> None:
        """Kill the process and everything it started."""
        if self.cgroup is not None:
            self.cgroup.kill_all()
            self.cgroup = None
        if self.proc is not None:
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)

    def close(self) -> None:
        self._end()
        for fd in (self.wfd, self.rfd, self.tfd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.wfd = self.rfd = self.tfd = -1
        self.proc = None
        shutil.rmtree(self.workdir, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.unlink(self.stderr_path)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
