"""A catalogue of hostile and unusual submissions, graded end to end by grade_notebook (exercise 2: fast).

Each costs only its own points, with a true reason, and never crashes the grader: a reply bomb, a malformed
reply, processes and memory beyond the submission's limits, a grandchild left running, a tripwire switched
off or tampered with, IPython syntax, a part that hangs with signals ignored.
"""

from __future__ import annotations

import json
import os
import time

import pytest

from grading.grade import grade_notebook
from grading.notebooks import solution_path
from grading.sandbox.limits import Limits

NOTEBOOK = "ex02_topological_sort"
ORDER_PARTS = ["kahn_order", "dfs_order"]


def submission(tmp_path, *, kahn: str | None = None, dfs: str | None = None, before: str | None = None):
    """The reference notebook with kahn_sort's or dfs_sort's cell replaced, and a code cell inserted first."""
    nb = json.loads(solution_path(NOTEBOOK).read_text())
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id == "ex02_kahn" and kahn is not None:
            cell["source"] = kahn
        if grade_id == "ex02_dfs" and dfs is not None:
            cell["source"] = dfs
    if before is not None:
        nb["cells"].insert(
            0, {"cell_type": "code", "metadata": {}, "source": before, "outputs": [], "execution_count": None}
        )
    path = tmp_path / f"{NOTEBOOK}.ipynb"
    path.write_text(json.dumps(nb))
    return path


def grade(path, **kwargs):
    kwargs.setdefault("parts", ORDER_PARTS)
    return grade_notebook(path, hidden=False, **kwargs)


def _write_to_reply_pipes(payload: str) -> str:
    """A kahn_sort that writes ``payload`` (bytes) to every pipe it can write to (the reply pipe among them)."""
    return f"""import os
def kahn_sort(output):
    for fd in range(3, 64):
        try:
            if os.readlink(f"/proc/self/fd/{{fd}}").startswith("pipe:"):
                os.write(fd, {payload})
        except OSError:
            pass
    return []
"""


@pytest.mark.parametrize(
    "payload, reason",
    [
        ("(1 << 40).to_bytes(8, 'little')", "limit"),  # a reply that claims a terabyte: refused unread
        ("(12).to_bytes(8, 'little') + b'{not json!!}'", "malformed"),
    ],
)
def test_a_reply_bomb_or_a_malformed_reply_costs_only_its_part(tmp_path, payload, reason):
    report = grade(submission(tmp_path, kahn=_write_to_reply_pipes(payload)))
    kahn, dfs = report.part("kahn_order"), report.part("dfs_order")
    assert kahn.points == 0 and kahn.crashed and "malformed" in kahn.crashed and reason in kahn.crashed
    assert dfs.points == dfs.max_points  # a fresh process for the next part


def test_a_part_that_hangs_with_signals_ignored_costs_only_that_part_and_bounded_time(tmp_path):
    hang = (
        "import signal\ndef kahn_sort(output):\n    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
        "    while True:\n        pass\n"
    )
    started = time.monotonic()
    report = grade(submission(tmp_path, kahn=hang), timeout=120)
    assert time.monotonic() - started < 120 + 10
    kahn, dfs = report.part("kahn_order"), report.part("dfs_order")
    assert kahn.points == 0 and kahn.checks[0].status == "timeout"
    assert dfs.points == dfs.max_points


def test_a_cell_that_hangs_uninterruptibly_does_not_cost_the_parts_whose_cells_ran(tmp_path):
    hang = "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass\n"
    report = grade(submission(tmp_path, dfs=hang + "def dfs_sort(output):\n    return []\n"), cell_timeout=3)
    assert report.part("kahn_order").points == report.part("kahn_order").max_points
    assert report.part("dfs_order").points == 0 and "not defined: dfs_sort" in report.part("dfs_order").status
    assert any("took longer than 3 s" in e and "import signal" in e for e in report.cell_errors), report.cell_errors


def test_ipython_magics_and_shell_lines_are_skipped_with_a_note(tmp_path):
    source = json.loads(solution_path(NOTEBOOK).read_text())
    kahn = next(
        "".join(c["source"])
        for c in source["cells"]
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "ex02_kahn"
    )
    report = grade(submission(tmp_path, kahn="%matplotlib inline\n!pip install nothing\nfiles = !ls\n" + kahn))
    assert report.points == report.max_points and report.cell_errors == []
    assert any("%matplotlib inline" in note for note in report.notes)


_PROCESSES = """import os, time
children = 0
try:
    for _ in range(300):
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        children += 1
finally:
    raise RuntimeError(f"CHILDREN {children}")
"""


def _has_cgroup() -> bool:
    """Can this machine limit a submission as a whole? Where it cannot, the sandbox's summary must say that its
    limits are per process (and the tests of the whole-submission limits check that instead)."""
    from grading.sandbox.limits import Cgroup
    from grading.sandbox.process import Sandbox

    cgroup = Cgroup.create(Limits())
    if cgroup is not None:
        cgroup.kill_all()
        return True
    with Sandbox("auto") as box:
        assert "per process" in box.describe()
    return False


def test_processes_are_limited_for_the_submission_as_a_whole(tmp_path):
    if not _has_cgroup():
        return
    report = grade(submission(tmp_path, before=_PROCESSES), limits=Limits(processes=32), parts=["kahn_order"])
    started = int(report.cell_errors[0].split("CHILDREN ")[1].split()[0])
    assert started < 32
    assert report.part("kahn_order").points == report.part("kahn_order").max_points


_MEMORY = """import os
finished = 0
children = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        try:
            block = bytearray(450 << 20)
            for i in range(0, len(block), 4096):
                block[i] = 1
        finally:
            os._exit(0 if "block" in dir() else 1)
    children.append(pid)
for pid in children:
    finished += os.waitpid(pid, 0)[1] == 0
raise RuntimeError(f"FINISHED {finished}")
"""


def test_memory_is_limited_for_the_submission_as_a_whole(tmp_path):
    """Four processes of 450 MB each: each is under the per-process limit, together they are over the
    submission's 1.2 GB (where the machine offers a cgroup; otherwise the summary says per process)."""
    if not _has_cgroup():
        return
    report = grade(submission(tmp_path, before=_MEMORY), limits=Limits(memory_mb=1200), parts=["kahn_order"])
    assert int(report.cell_errors[0].split("FINISHED ")[1].split()[0]) < 4


def test_a_grandchild_that_outlives_its_parent_is_killed(tmp_path):
    marker = f"{time.time_ns() % 10**9}.25"
    daemon = (
        f"import os\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        f"        os.execv('/bin/sleep', ['sleep', '{marker}'])\n    os._exit(0)\n"
    )
    grade(submission(tmp_path, before=daemon), parts=["kahn_order"])
    time.sleep(0.5)
    alive = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    alive.append(pid)
        except OSError:
            pass
    assert alive == []


@pytest.mark.parametrize(
    "attack, dfs_keeps_its_points",
    [
        ("sys.setprofile(None)\n    sys.settrace(None)\n", True),  # switched off the old tripwire
        # the instrumented code calls sys.audit as a constant: neither name can be replaced under it
        ("sys.audit = lambda *args: None\n", True),
        (
            "import builtins, types\n    real = builtins.__import__\n    builtins.__import__ = lambda name, *a, **k: "
            "types.SimpleNamespace(audit=print) if name == 'sys' else real(name, *a, **k)\n",
            True,
        ),
        # loading minitorch's source again (an uninstrumented copy) counts as calling all of it, in every part
        # from then on: the copy could be used anywhere
        ("importlib.reload(minitorch.graph)\n", False),
    ],
)
def test_the_tripwire_cannot_be_switched_off(tmp_path, attack, dfs_keeps_its_points):
    kahn = (
        "import sys, importlib, minitorch\ndef kahn_sort(output):\n    "
        + attack
        + "    return minitorch.graph.topological_sort(output)\n"
    )
    report = grade(submission(tmp_path, kahn=kahn))
    kahn_part = report.part("kahn_order")
    assert kahn_part.points == 0 and "no points: calls minitorch.graph" in kahn_part.status, kahn_part.status
    dfs = report.part("dfs_order")
    assert (dfs.points == dfs.max_points) == dfs_keeps_its_points


def test_the_tripwires_state_and_channel_are_out_of_reach(tmp_path):
    kahn = """import gc, os
def kahn_sort(output):
    try:
        gc.get_objects()
    except RuntimeError as exc:
        refused = str(exc)
    for fd in range(3, 64):  # silence every pipe: the tripwire's among them
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
                os.dup2(os.open(os.devnull, os.O_WRONLY), fd)
        except OSError:
            pass
    import minitorch
    return minitorch.graph.topological_sort(output)
"""
    report = grade(submission(tmp_path, kahn=kahn))
    kahn_part = report.part("kahn_order")
    assert kahn_part.points == 0 and kahn_part.crashed and "tamper" in kahn_part.crashed, kahn_part.status
    assert report.part("dfs_order").points == report.part("dfs_order").max_points


def test_errors_show_only_the_students_own_line(tmp_path):
    kahn = "# My Kahn\ndef kahn_sort(output):\n    return sorted(output.parents)  # Nodes do not compare\n"
    report = grade(submission(tmp_path, kahn=kahn), parts=["kahn_order"])
    errors = [c.error for c in report.part("kahn_order").checks if c.status == "error"]
    assert errors and all('line 3 of the cell "# My Kahn"' in e and "sorted(output.parents)" in e for e in errors)
    assert not any("probes" in e or "grading" in e for e in errors)


# ---------------------------------------------------------------- in a kernel (a test cell, as nbgrader runs it)

_IN_KERNEL = """
import json, sys
from grading import Part
from grading.notebooks import execute, read
namespace = {"__name__": "__main__"}
execute(read(sys.argv[1]), namespace, label="notebook")
results = {}
for name in sys.argv[2:]:
    part = Part("ex02", name, namespace)
    part.run_visible()
    part.run_hidden()
    results[name] = [part.points(), part.result.status]
print("RESULTS", json.dumps(results))
"""


def in_kernel(path, parts=ORDER_PARTS) -> dict:
    """Each part's [points, status] when the notebook's cells and then its test cells run in one fresh
    interpreter, as in a Jupyter kernel (the tripwire there is a profile hook)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _IN_KERNEL, str(path), *parts], capture_output=True, text=True, timeout=600
    )
    line = [x for x in done.stdout.splitlines() if x.startswith("RESULTS ")]
    assert line, done.stderr[-3000:]
    return json.loads(line[-1][len("RESULTS ") :])


KAHN_BY_MINITORCH = "    return minitorch.graph.topological_sort(output)\n"


@pytest.mark.parametrize("switch_off", ["sys.setprofile(None)", "sys.settrace(None)"])
def test_switching_the_profile_hook_off_in_a_kernel_costs_the_part(tmp_path, switch_off):
    kahn = f"import sys, minitorch\ndef kahn_sort(output):\n    {switch_off}\n" + KAHN_BY_MINITORCH
    results = in_kernel(submission(tmp_path, kahn=kahn))
    points, status = results["kahn_order"]
    assert points == 0 and "sys.setprofile/sys.settrace" in status, status
    assert results["dfs_order"][0] == 3  # the untouched part keeps its points


def test_an_audit_hook_that_refuses_the_graders_costs_every_watched_part_in_a_kernel(tmp_path):
    refuse = (
        "import sys\n"
        "def refuse(event, args):\n"
        "    if event == 'sys.addaudithook':\n"
        "        raise RuntimeError('no more hooks')\n"
        "sys.addaudithook(refuse)\n"
    )
    kahn = "import sys, minitorch\ndef kahn_sort(output):\n    sys.setprofile(None)\n" + KAHN_BY_MINITORCH
    results = in_kernel(submission(tmp_path, kahn=kahn, before=refuse))
    for points, status in results.values():
        assert points == 0 and "refuses the grader's" in status, status


def test_deep_recursion_in_a_kernel_is_a_failed_check_not_tampering(tmp_path):
    """At the recursion limit calling the profile hook fails and Python switches it off itself."""
    dfs = (
        "def dfs_sort(output):\n    order, seen = [], set()\n    def visit(node):\n"
        "        if id(node) not in seen:\n            seen.add(id(node))\n"
        "            for parent in node.parents:\n                visit(parent)\n            order.append(node)\n"
        "    visit(output)\n    return order\n"
    )
    points, status = in_kernel(submission(tmp_path, dfs=dfs), ["dfs_order", "dfs_deep"])["dfs_deep"]
    assert "sys.setprofile" not in status and "failed" in status, status
