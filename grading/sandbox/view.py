"""What a sandboxed process sees of the file system, and two ways to build it.

A :class:`View` is a list of mounts for a new, empty root: the system's ``/usr`` (and the ``/bin``,
``/lib`` links into it), the Python runtime, the virtual environment and minitorch, all read-only; a
few files bound in (the sandbox package, the shared modules); an empty tmpfs over every course folder
that happens to sit inside one of those (``solutions/``, ``tests/``); and a private ``/tmp``. Nothing
else of the machine exists there: not the course, not the other students' submissions.

The same view is rendered in one of two ways:

* :meth:`View.bwrap` -- bubblewrap's command line (works unprivileged where bubblewrap is installed);
* :meth:`View.unshare` -- util-linux's ``unshare`` (new mount, network, PID and IPC namespaces) running
  a short shell script that mounts the view over the sandbox's working directory and ``chroot``\\ s into
  it, as nobody when started by root. This needs root, or unprivileged user namespaces, and no
  package beyond util-linux and coreutils.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field

#: The user a root-started sandbox runs as (nobody).
NOBODY = 65534
#: Device nodes the sandboxed process may use.
DEVICES = ("null", "zero", "full", "random", "urandom")


@dataclass
class View:
    """Mounts of a new root, in order: read-only binds, symlinks, empty tmpfs over hidden folders, /tmp."""

    ro_binds: list[tuple[str, str]] = field(default_factory=list)  # (outside path, inside path)
    symlinks: list[tuple[str, str]] = field(default_factory=list)  # (target, inside path)
    hidden: list[str] = field(default_factory=list)
    tmp_mb: int = 256

    @classmethod
    def of_runtime(cls, runtime: list[str], hidden: list[str], binds: list[tuple[str, str]], tmp_mb: int = 256) -> View:
        """The system, the ``runtime`` folders (read-only, at their own paths) less ``hidden`` ones inside them,
        and ``binds``."""
        view = cls(tmp_mb=tmp_mb)
        view.ro_binds.append(("/usr", "/usr"))
        for name in ("bin", "lib", "lib64", "lib32", "sbin"):
            target = "/" + name
            if os.path.islink(target):
                view.symlinks.append((os.readlink(target), target))
            elif os.path.isdir(target):
                view.ro_binds.append((target, target))
        if os.path.exists("/etc/ld.so.cache"):
            view.ro_binds.append(("/etc/ld.so.cache", "/etc/ld.so.cache"))
        view.ro_binds += [(path, path) for path in runtime]
        view.hidden = [
            path
            for path in hidden
            if os.path.isdir(path) and any(path == r or path.startswith(r + os.sep) for r in runtime)
        ]
        view.ro_binds += binds
        return view

    def bwrap(self, env: dict[str, str], program: list[str], *, new_user: bool) -> list[str]:
        """bubblewrap's command line for this view (``new_user``: also a user namespace, as nobody)."""
        # /tmp first: a runtime folder under /tmp (a course cloned there) is then bound on top of it
        cmd = ["bwrap", "--size", str(self.tmp_mb << 20), "--tmpfs", "/tmp"]
        for outside, inside in self.ro_binds:
            cmd += ["--ro-bind", outside, inside]
        for target, inside in self.symlinks:
            cmd += ["--symlink", target, inside]
        for path in self.hidden:
            cmd += ["--tmpfs", path]
        cmd += [
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--chdir",
            "/tmp",
            "--unshare-all",
            "--die-with-parent",
            "--new-session",
            "--hostname",
            "sandbox",
            "--clearenv",
        ]
        for key, value in env.items():
            cmd += ["--setenv", key, value]
        if new_user:
            cmd += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY)]
        return cmd + program

    def unshare(self, program: list[str], *, as_root: bool, chroot: str = "chroot") -> list[str]:
        """``unshare`` + ``chroot`` for this view. The new root is mounted over the working directory the
        process starts in (the sandbox's own temporary folder), so nothing is left behind on the machine.
        ``as_root``: started by root (then the program runs as nobody); otherwise a user namespace maps the
        caller to root inside, where it can mount."""
        q = shlex.quote
        dirs = [inside for outside, inside in self.ro_binds if os.path.isdir(outside)]
        files = [inside for outside, inside in self.ro_binds if not os.path.isdir(outside)]
        # a few processes only: each one costs about a millisecond, and a sandbox starts per submission
        # /tmp first: a runtime folder under /tmp (a course cloned there) is then bound on top of it
        lines = [
            "set -e",
            'R="$PWD"',
            'mount -t tmpfs -o mode=0755,size=16m sandbox-root "$R"',
            f'mkdir "$R/tmp" && mount -t tmpfs -o mode=1777,size={self.tmp_mb}m sandbox-tmp "$R/tmp"',
            'cd "$R" && mkdir -p '
            + " ".join(q("." + p) for p in dirs + [os.path.dirname(f) for f in files] + ["/tmp", "/proc", "/dev"]),
            "touch " + " ".join(q("." + p) for p in files + [f"/dev/{d}" for d in DEVICES]),
        ]
        for outside, inside in self.ro_binds:
            lines.append(f'mount -o bind,ro {q(outside)} "$R"{q(inside)}')
        for target, inside in self.symlinks:
            lines.append(f'ln -s {q(target)} "$R"{q(inside)}')
        for path in self.hidden:
            lines.append(f'mount -t tmpfs -o mode=0755,size=4k sandbox-hidden "$R"{q(path)}')
        lines.append('mount -t proc proc "$R/proc"')
        lines += [f'mount --bind /dev/{device} "$R/dev/{device}"' for device in DEVICES]
        user = [f"--userspec={NOBODY}:{NOBODY}", "--groups="] if as_root else []
        # The shell stays PID 1 of the namespace (a PID 1 ignores signals it has no handler for), and
        # reports a signal as 128 + its number.
        lines.append(" ".join([q(chroot), *user, '"$R"', *map(q, program)]))
        namespaces = ["--mount", "--net", "--ipc", "--pid", "--uts", "--fork", "--kill-child"]
        if not as_root:
            namespaces.insert(0, "--map-root-user")
        return ["unshare", *namespaces, "--", "/bin/sh", "-c", "\n".join(lines)]
