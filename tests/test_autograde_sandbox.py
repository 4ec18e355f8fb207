"""The sandbox (grading/sandbox) and its protocol (grading/probes/wire.py): plain data, bounded, with deadlines.

These tests drive one sandboxed process directly: a cell's result comes back as data, messages are refused
above their size limit or when they are not JSON, a process that dies, hangs or allocates 50 GB is noticed
and described, and a new root hides the course, other submissions and the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

import numpy as np
import pytest

from grading.probes import wire
from grading.sandbox import isolation as iso
from grading.sandbox.limits import Limits
from grading.sandbox.process import Sandbox, SandboxDied
from grading.sandbox.view import View


def _new_root_levels() -> list[str]:
    """Every isolation with a new root that this machine offers (each is tested on its own)."""
    levels = []
    for level in ("bwrap", "namespaces"):
        try:
            levels.append(iso.detect_isolation(level).level)
        except RuntimeError:
            pass
    return levels


@pytest.fixture(scope="module", params=_new_root_levels() or ["auto"])
def isolation(request):
    return iso.detect_isolation(request.param)


@pytest.fixture
def box(isolation):
    with Sandbox(isolation, Limits(memory_mb=2048, cpu_seconds=60)) as box:
        yield box


def cell(box: Sandbox, code: str, timeout: float = 20.0) -> dict:
    reply, _ = box.request({"op": "cell", "index": 1, "text": code, "timeout": timeout}, time.monotonic() + 60)
    return reply


def test_arrays_and_numbers_travel_as_plain_data():
    value = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": [1, 2.5, None, "x"], "c": (1, 2)}
    back = wire.loads(wire.dumps(value))
    assert back["a"].dtype == np.float32 and back["a"].shape == (2, 3) and (back["a"] == value["a"]).all()
    assert back["b"] == [1, 2.5, None, "x"] and back["c"] == [1, 2]
    for bad in (object(), {"f": len}, np.array([object()])):
        with pytest.raises(wire.Malformed):
            wire.dumps(bad)


def test_decoding_never_expands_and_refuses_what_is_not_data():
    """JSON has no references between values, so a reply decodes to about its own size; a nesting bomb or a
    lying array header is refused as malformed, not crashed on."""
    with pytest.raises(wire.Malformed):
        wire.loads(b"[" * 200_000 + b"]" * 200_000)
    with pytest.raises(wire.Malformed):
        wire.loads(b'{"__ndarray__": ["<f8", [1000000000], "AAAA"]}')
    with pytest.raises(wire.Malformed):
        wire.loads(b"\x80not json")
    r, w = os.pipe()
    try:
        os.write(w, wire.HEADER.pack(1 << 40))
        with pytest.raises(wire.Malformed, match="limit"):
            wire.read_frame(r, limit=1 << 20, deadline=time.monotonic() + 5)
        with pytest.raises(TimeoutError):
            wire.read_frame(r, limit=1 << 20, deadline=time.monotonic() + 0.2)
    finally:
        os.close(r)
        os.close(w)


def test_a_cell_runs_and_its_errors_name_the_cell(box):
    reply = cell(box, "# Kahn's algorithm\ndef f():\n    raise ValueError('boom')\nf()")
    assert reply["notes"] == []
    assert "ValueError: boom" in reply["error"] and '''cell "# Kahn's algorithm"''' in reply["error"]
    assert "raise ValueError('boom')" in reply["error"] and "probes" not in reply["error"]
    assert box.request({"op": "defined", "names": ["f", "g"]}, time.monotonic() + 10)[0] == {"defined": [True, False]}


def test_root_or_user_namespaces_give_a_new_root():
    """As root (CI runs as root), or with unprivileged user namespaces, the submission never sees the course."""
    can_mount = (
        os.geteuid() == 0
        or subprocess.run(["unshare", "--map-root-user", "--mount", "true"], capture_output=True).returncode == 0
    )
    if can_mount:
        assert "namespaces" in _new_root_levels()
        assert iso.detect_isolation().new_root
    else:
        assert iso.detect_isolation().level in ("unshare", "none") or iso.detect_isolation().new_root


_LOOK_AROUND = """import os, socket, importlib
seen = [p for p in {paths!r} if os.path.exists(p)]
modules = []
for name in ("grading", "grading.checks", "checks", "solutions", "probes.ex02"):
    try:
        importlib.import_module(name)
        modules.append(name)
    except ImportError:
        pass
try:
    socket.create_connection(('1.1.1.1', 80), timeout=1)
    net = True
except OSError:
    net = False
wrote = []
for p in {writes!r}:
    try:
        open(p, 'w').write('pwned')
        wrote.append(p)
    except OSError:
        pass
tmp = [n for n in os.listdir('/tmp') if n.startswith('host-tmp-')]
raise RuntimeError(repr((seen, modules, net, wrote, tmp, os.getuid())))
"""


@pytest.mark.parametrize("level", _new_root_levels() or [None])
def test_a_new_root_hides_the_course_other_files_the_checks_and_the_network(level, tmp_path):
    if level is None:  # no new root here: only allowed where neither root nor user namespaces can mount
        assert not (os.geteuid() == 0 and shutil.which("unshare")), "root with unshare must offer a new root"
        return
    other = tmp_path / "submitted" / "bob" / "ex01.ipynb"  # another student's submission
    other.parent.mkdir(parents=True)
    other.write_text("{}")
    results = tmp_path / "autograde" / "results" / "bob"  # another student's results
    results.mkdir(parents=True)
    os.chmod(tmp_path, 0o755)
    host_tmp = tempfile.mkdtemp(prefix="host-tmp-", dir="/tmp")
    paths = iso.course_paths()
    look = [
        paths["solutions"],
        os.path.join(paths["repo"], "tests"),
        os.path.join(paths["grading"], "checks"),
        os.path.join(paths["repo"], "exercises"),
        str(other),
        str(results),
        host_tmp,
    ]
    writes = [os.path.join(paths["minitorch"], "pwned.py"), str(tmp_path / "pwned.txt")]
    try:
        with Sandbox(iso.detect_isolation(level), Limits(memory_mb=2048, cpu_seconds=60)) as box:
            error = cell(box, _LOOK_AROUND.format(paths=look, writes=writes))["error"]
        seen, modules, net, wrote, tmp, uid = eval(error.split("RuntimeError: ")[1].split("  (")[0])
        assert seen == [] and not net and wrote == [] and tmp == []
        assert modules == ["probes.ex02"]  # the probes only: not the checks, their inputs or the solutions
        assert not any(os.path.exists(p) for p in writes)
        if os.geteuid() == 0:
            assert uid == 65534
    finally:
        os.rmdir(host_tmp)


@pytest.mark.parametrize(
    "code, expected",
    [
        ("import os\nos._exit(3)", "exited with code 3"),
        ("import faulthandler\nfaulthandler._sigsegv()", "SIGSEGV"),
    ],
)
def test_a_dying_child_is_described(box, code, expected):
    with pytest.raises(SandboxDied) as info:
        cell(box, code)
    assert info.value.kind == "crash" and expected in info.value.reason


def test_memory_is_limited_and_hangs_hit_the_deadline(box):
    assert "MemoryError" in cell(box, "data = bytearray(50 * 2**30)")["error"]
    assert cell(box, "x = 1")["error"] is None  # the child is fine after that
    started = time.monotonic()
    with pytest.raises(SandboxDied) as info:
        box.request(
            {
                "op": "cell",
                "index": 2,
                "timeout": 60.0,
                "text": ("import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass"),
            },
            time.monotonic() + 1.0,
        )
    assert info.value.kind == "timeout" and time.monotonic() - started < 15
    assert box.proc is None or box.proc.poll() is not None  # and it was ended


@pytest.mark.parametrize("level", _new_root_levels() or [None])
def test_a_runtime_folder_under_tmp_stays_visible_in_the_private_tmp(level, tmp_path):
    """A course cloned under /tmp: its virtual environment is bound on top of the new root's own /tmp."""
    if level is None:
        assert not (os.geteuid() == 0 and shutil.which("unshare")), "root with unshare must offer a new root"
        return
    runtime = tempfile.mkdtemp(prefix="course-", dir="/tmp")
    try:
        os.chmod(runtime, 0o755)
        with open(os.path.join(runtime, "marker.txt"), "w") as f:
            f.write("visible")
        os.chmod(os.path.join(runtime, "marker.txt"), 0o644)
        view = View.of_runtime([runtime], [], [])
        root = tmp_path / "root"
        root.mkdir()
        command = iso.detect_isolation(level).program(view, ["/usr/bin/cat", os.path.join(runtime, "marker.txt")])
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and done.stdout == "visible", done.stderr
    finally:
        shutil.rmtree(runtime)
