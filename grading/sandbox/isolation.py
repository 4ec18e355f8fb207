"""How a sandboxed process is started on this machine: the isolation levels, what the process sees.

Levels, strongest first: ``bwrap`` (bubblewrap: user, mount, network, PID and IPC namespaces and a new
root), ``namespaces`` (util-linux ``unshare`` and ``chroot``, as root or in a user namespace), ``unshare``
(a network namespace only) and ``none``. :func:`detect_isolation` finds the strongest one that works.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable

from .view import NOBODY, View

ISOLATION_LEVELS = ("bwrap", "namespaces", "unshare", "none")
#: The interpreter, by a path without ``..`` (a new root has only some of the folders it could pass through).
PYTHON = os.path.abspath(sys.executable)
ENV = {
    "PYTHONHASHSEED": "0",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONIOENCODING": "utf-8",
    "MPLBACKEND": "Agg",
    "PYTHONDONTWRITEBYTECODE": "1",
}
#: This package's parent: the grading package.
GRADING_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def course_paths() -> dict[str, str]:
    """What the sandbox hides (the grading package, the solutions) and where minitorch lives."""
    repo = os.path.dirname(GRADING_DIR)
    paths = {
        "grading": GRADING_DIR,
        "repo": repo,
        "solutions": os.path.abspath(os.environ.get("MINITORCH_SOLUTIONS", os.path.join(repo, "solutions"))),
    }
    with contextlib.suppress(ImportError):
        import minitorch

        paths["minitorch"] = os.path.dirname(os.path.abspath(minitorch.__file__))
    return paths


def _runtime_binds() -> list[str]:
    """Read-only paths the child needs: the interpreter, the virtual environment, minitorch."""
    candidates = [
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sys.base_exec_prefix,
        os.path.dirname(os.path.realpath(sys.executable)),
    ]
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


def view(binds: list[tuple[str, str]], tmp_mb: int = 256) -> View:
    """The file system a sandboxed process sees (see :mod:`.view`), with ``binds`` (outside, inside) added."""
    paths = course_paths()
    # a copy of the course inside the virtual environment is hidden too
    hidden = [paths["grading"], paths["solutions"], os.path.join(paths["repo"], "tests")]
    return View.of_runtime(_runtime_binds(), hidden, binds, tmp_mb)


def sandbox_env() -> dict[str, str]:
    """The environment inside a new root: its own /tmp is home and working directory."""
    return dict(ENV, PATH="/usr/bin:/bin", HOME="/tmp", SANDBOX_WORKDIR="/tmp")


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

    def program(self, view: View, program: list[str], env: dict[str, str] | None = None) -> list[str]:
        """The command line that runs ``program`` at this level, in ``view`` where there is a new root (bubblewrap
        clears the environment and sets ``env``, default :func:`sandbox_env`)."""
        if self.level == "bwrap":
            return view.bwrap(env or sandbox_env(), program, new_user=not self.share_user)
        if self.level == "namespaces":
            return view.unshare(program, as_root=not self.share_user, chroot=_CHROOT)
        prefix = {"unshare": ["unshare", "--net"], "unshare-user": ["unshare", "--map-root-user", "--net"]}
        return prefix.get(self.level if not self.share_user else "unshare-user", []) + program

    @property
    def preexec_user(self) -> int | None:
        """The uid to switch to before the command starts (a new root switches itself, after mounting)."""
        return None if self.level == "namespaces" else self.user

    def describe(self) -> str:
        return describe_isolation(self.level, self.user)


_NEW_ROOT = (
    "the submission sees only the system's /usr, the Python runtime, the virtual environment, "
    "minitorch and a private /tmp (not solutions/, tests/ or other submissions); no network"
)


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


def _as_user(user: int) -> Callable[[], None]:
    def switch() -> None:
        os.setgroups([])
        os.setgid(user)
        os.setuid(user)

    return switch


def _probe(cmd: list[str], preexec: Callable | None = None, cwd: str | None = None) -> bool:
    try:
        proc = subprocess.run(
            cmd, capture_output=True, timeout=60, stdin=subprocess.DEVNULL, preexec_fn=preexec, cwd=cwd
        )
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
            f.write(f"import os, socket\nassert not os.path.exists({solutions!r})\nimport numpy\nprint('ok')\n")
        os.chmod(tmp, 0o755)
        os.chmod(probe, 0o644)
        candidates = [Isolation("bwrap", share) for share in (False, True) if shutil.which("bwrap")]
        if shutil.which("unshare"):
            candidates += [Isolation("namespaces", share_user=os.geteuid() != 0)]
        for isolation in candidates:
            if requested not in ("auto", isolation.level):
                continue
            probe_view = view([(probe, "/sandbox/probe.py")])
            with tempfile.TemporaryDirectory(prefix="sandbox-probe-root-") as root:
                if _probe(isolation.program(probe_view, [PYTHON, "-I", "/sandbox/probe.py"]), cwd=root):
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
            if _probe(
                found.program(View(), [PYTHON, "-I", "-c", "import numpy; print('ok')"]),
                preexec=_as_user(NOBODY),
                cwd=tmp,
            ):
                found.user = NOBODY
    _isolation_cache[requested] = found
    return found
