"""What one submission may use, and where the machine allows it, a cgroup that holds it to that as a whole.

:class:`Limits` are set per process in the new process (``setrlimit``); :class:`Cgroup` adds the memory and
process limits for the submission as a whole (cgroup v1 ``memory`` and ``pids`` controllers, or v2 with both
delegated) and kills every process of it at the end. :func:`limit_this_process` bounds a grading worker.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from dataclasses import dataclass

CGROUP_ROOT = "/sys/fs/cgroup"


@dataclass
class Limits:
    """What one submission may use. ``memory_mb`` and ``processes`` hold for the submission as a whole where a
    cgroup is available (``memory_mb`` also bounds each process's address space)."""

    memory_mb: int = 4096
    cpu_seconds: int = 900
    file_mb: int = 64
    open_files: int = 256
    processes: int = 64
    tmp_mb: int = 256
    reply_mb: int = 64

    def apply(self) -> None:
        """Set the per-process limits (in the new process, before it runs the sandbox)."""
        import resource

        for which, soft, hard in (
            (resource.RLIMIT_AS, self.memory_mb << 20, self.memory_mb << 20),
            (resource.RLIMIT_CPU, self.cpu_seconds, self.cpu_seconds + 5),
            (resource.RLIMIT_FSIZE, self.file_mb << 20, self.file_mb << 20),
            (resource.RLIMIT_NOFILE, self.open_files, self.open_files),
            (resource.RLIMIT_CORE, 0, 0),
        ):
            with contextlib.suppress(ValueError, OSError):
                current = resource.getrlimit(which)[1]
                if current != resource.RLIM_INFINITY:
                    hard, soft = min(hard, current), min(soft, current)
                resource.setrlimit(which, (soft, hard))


def limit_this_process(memory_mb: int) -> None:
    """Bound the grading worker's own memory (address space): whatever a submission sends, a worker cannot take
    the machine down."""
    Limits(memory_mb=memory_mb, cpu_seconds=1 << 30, file_mb=1 << 20, open_files=4096).apply()


class Cgroup:
    """The cgroups of one submission (v1: one per controller; v2: one), removed with :meth:`kill_all`."""

    def __init__(self, dirs: dict[str, str]):
        self.dirs = dirs

    @classmethod
    def create(cls, limits: Limits) -> Cgroup | None:
        """New cgroups below this process's own, with the memory and process limits; None where impossible."""
        name = f"grading-{uuid.uuid4().hex[:12]}"
        settings = {
            "memory": [
                ("memory.limit_in_bytes", limits.memory_mb << 20),
                ("memory.memsw.limit_in_bytes", limits.memory_mb << 20),
            ],
            "pids": [("pids.max", limits.processes)],
        }
        dirs: dict[str, str] = {}
        try:
            with open("/proc/self/cgroup") as f:
                lines = [line.rstrip("\n").split(":", 2) for line in f]
            v1 = {c: path for _, controllers, path in lines for c in controllers.split(",") if c}
            if all(c in v1 and os.path.isdir(os.path.join(CGROUP_ROOT, c)) for c in settings):
                for controller, values in settings.items():
                    path = os.path.join(CGROUP_ROOT, controller, v1[controller].lstrip("/"), name)
                    os.mkdir(path)
                    dirs[controller] = path
                    for file, value in values:
                        if os.path.exists(os.path.join(path, file)) or file != "memory.memsw.limit_in_bytes":
                            _write(os.path.join(path, file), value)
                return cls(dirs)
            own = next(path for number, _, path in lines if number == "0")
            path = os.path.join(CGROUP_ROOT, own.lstrip("/"), name)
            os.mkdir(path)
            dirs["unified"] = path
            _write(os.path.join(path, "memory.max"), limits.memory_mb << 20)
            _write(os.path.join(path, "memory.swap.max"), 0)
            _write(os.path.join(path, "pids.max"), limits.processes)
            return cls(dirs)
        except (OSError, StopIteration, ValueError):
            cls(dirs).kill_all()
            return None

    def join(self) -> None:
        """Move the calling process into the cgroups (in the new process, before it runs the sandbox)."""
        for path in self.dirs.values():
            _write(os.path.join(path, "cgroup.procs"), os.getpid())

    def pids(self) -> set[int]:
        found: set[int] = set()
        for path in self.dirs.values():
            with contextlib.suppress(OSError, ValueError), open(os.path.join(path, "cgroup.procs")) as f:
                found |= {int(line) for line in f if line.strip()}
        return found

    def out_of_memory(self) -> bool:
        for name in ("memory.failcnt", "memory.events"):
            for path in self.dirs.values():
                with contextlib.suppress(OSError, ValueError), open(os.path.join(path, name)) as f:
                    text = f.read()
                    if (name == "memory.failcnt" and int(text) > 0) or "oom_kill 0" not in text and "oom_kill" in text:
                        return True
        return False

    def kill_all(self) -> None:
        """SIGKILL every process of the submission (again while new ones appear), then remove the cgroups."""
        for _ in range(100):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)
        for path in self.dirs.values():
            for _ in range(100):
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)


def _write(path: str, value: object) -> None:
    with open(path, "w") as f:
        f.write(str(value))
