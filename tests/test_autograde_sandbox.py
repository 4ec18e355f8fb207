"""The sandbox of the classroom autograder (the package grading/sandbox): the object protocol and its containment.

A submission's code runs in a child process; the checks run in the parent, on mirrors of the child's objects
(and the child on mirrors of the parent's). These tests drive one child directly: values and objects cross
with the semantics of one process (identity, calls both ways, exceptions, in-place changes), the child cannot
reach anything of the parent it was not handed (no ``__globals__``, no ``eval`` by name, no changing the
checks' classes), and a child that dies, hangs or allocates 50 GB is noticed and described.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import numpy as np
import pytest

from grading import graphs as G
from grading import sandbox as sb
from grading.sandbox import connection


def _new_root_levels() -> list[str]:
    """Every isolation with a new root that this machine offers (each is tested on its own)."""
    levels = []
    for level in ("bwrap", "namespaces"):
        try:
            levels.append(sb.detect_isolation(level).level)
        except RuntimeError:
            pass
    return levels


@pytest.fixture(scope="module", params=_new_root_levels() or ["auto"])
def isolation(request):
    return sb.detect_isolation(request.param)


@pytest.fixture
def box(isolation):
    with sb.Sandbox(isolation, sb.Limits(memory_mb=2048, cpu_seconds=60)) as box:
        yield box


def run(box, code: str) -> list:
    return box.conn.request(("exec_cells", [(1, code)], 20.0))


def get(box, name: str):
    return box.conn.request(("ns_get", name))


STUDENT = '''
import math, collections

class Dual:
    def __init__(self, primal, tangent=0.0):
        self.primal, self.tangent = float(primal), float(tangent)
    def __mul__(self, other):
        other = other if isinstance(other, Dual) else Dual(other)
        return Dual(self.primal * other.primal, self.primal * other.tangent + self.tangent * other.primal)
    __rmul__ = __mul__
    def sin(self):
        return Dual(math.sin(self.primal), math.cos(self.primal) * self.tangent)
    def __repr__(self):
        return f"Dual({self.primal}, {self.tangent})"

def derivative(f, x):
    return f(Dual(x, 1.0)).tangent

def order(output):
    done, out, stack = set(), [], [(output, iter(output.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in done:
                stack.append((parent, iter(parent.parents)))
                break
        else:
            stack.pop()
            if node not in done:
                done.add(node)
                out.append(node)
    return out

def fill(xs, array):
    xs.append(42)
    array[0] = 7.0
    return None

def adjoints(nodes):
    d = collections.defaultdict(float)
    for n in nodes:
        d[n] += 1.0
    return d

def counter():
    yield from range(3)

class CycleError(ValueError):
    pass

def boom():
    raise CycleError("a cycle")

def todo():
    raise NotImplementedError()
'''


def test_objects_cross_with_one_process_semantics(box):
    assert run(box, STUDENT) == []
    Dual = get(box, "Dual")
    d = Dual(1.5, 2.0)  # made in the child, used here
    assert (d.primal, d.tangent) == (1.5, 2.0) and repr(d) == "Dual(1.5, 2.0)"
    e = d * 3
    assert (e.primal, e.tangent) == (4.5, 6.0) and (3 * d).tangent == 6.0
    assert isinstance(e, Dual) and not isinstance(3, Dual) and type(e).__name__ == "Dual"
    # the child calls back into the parent, with the parent's own class patched into its namespace
    class RefDual:
        def __init__(self, p, t=0.0):
            self.primal, self.tangent = float(p), float(t)

        def __mul__(self, other):
            other = other if isinstance(other, RefDual) else RefDual(other)
            return RefDual(self.primal * other.primal, self.primal * other.tangent + self.tangent * other.primal)

    derivative = get(box, "derivative")
    box.conn.request(("ns_set", "Dual", RefDual))
    assert derivative(lambda x: x * x * x, 2.0) == 12.0
    # a graph of the parent's objects: one mirror per node (identity, dict keys), the order refers to the originals
    graph = G.diamond()
    result = get(box, "order")(graph)
    assert G.order_problem(graph, result) is None and result[-1] is graph
    # containers passed in are filled in place; an array keeps its identity
    xs, array = [1], np.zeros(3)
    assert get(box, "fill")(xs, array) is None
    assert xs == [1, 42] and array[0] == 7.0
    counts = get(box, "adjoints")(list(G.ancestors(graph).values()))
    assert set(counts) == set(G.ancestors(graph).values())  # a defaultdict of mirrors comes back keyed by ours
    assert list(get(box, "counter")()) == [0, 1, 2]


def test_exceptions_keep_their_type_and_where_they_were_raised(box):
    run(box, STUDENT)
    with pytest.raises(ValueError) as info:
        get(box, "boom")()
    assert type(info.value).__name__ == "CycleError" and "a cycle" in str(info.value)
    assert "in boom" in str(info.value)
    with pytest.raises(NotImplementedError):
        get(box, "todo")()
    with pytest.raises(KeyError):
        get(box, "not_defined_anywhere")


def test_mirrors_of_an_earlier_check_are_stale(box):
    run(box, STUDENT)
    derivative = get(box, "derivative")
    box.conn.reset()
    box.conn.meta_out["reset"] = True
    with pytest.raises(sb.StaleReference):
        derivative(lambda x: x, 1.0)
    assert get(box, "derivative")(lambda x: x * 2.0, 1.0) == 2.0  # fetched again, it works


ESCAPES = '''
import pathlib
results = {}
def attempt(name, fn):
    try:
        fn()
        results[name] = "succeeded"
    except BaseException as exc:
        results[name] = type(exc).__name__

def probe(f, klass):
    conn = type(f)._sbx_conn
    attempt("globals", lambda: f.__globals__)
    attempt("code", lambda: f.__code__)
    attempt("closure", lambda: f.__closure__)
    attempt("getattr_dunder", lambda: conn.request(("getattr", f, "__globals__")))
    attempt("callmethod_dunder", lambda: conn.request(("callmethod", f, "__reduce__", (), {})))
    attempt("class_setattr", lambda: setattr(klass, "secret", 1))
    attempt("class_mro", lambda: klass.mro())
    return dict(results)

def eval_in_parent(f):
    conn = type(f)._sbx_conn
    try:
        conn.request(("call", eval, ("__import__('os').getpid()",), {}))
    except PermissionError:
        pass  # eval went as the child's own object: the parent refuses to call it
    # a forged message naming the parent's eval: the parent stops the child
    import pickle
    conn.write_frame(pickle.dumps(("q", [], [], ("call", ("T", [("G", "builtins", "eval"),
                                                            ("T", ["__import__('os').getpid()"]), ("D", 0, [])])), {})))
    return conn._wait()
'''


def test_the_child_cannot_reach_the_parent_beyond_what_it_was_given(box, tmp_path):
    run(box, ESCAPES)

    class Secret:
        pass

    secret = 42

    def check_function(x):
        return x + secret

    outcome = get(box, "probe")(check_function, Secret)
    assert all(v != "succeeded" for v in outcome.values()), outcome
    assert not hasattr(Secret, "secret")
    # naming a dangerous builtin (eval) in a request: the parent refuses the message and stops the child
    with pytest.raises(sb.SandboxError) as info:
        get(box, "eval_in_parent")(check_function)
    assert "protocol" in info.value.reason and box.conn.dead is not None


def test_the_parent_decodes_without_loading_classes():
    import pickle

    evil = pickle.dumps(("q", [], [], ("call", ("T", [])), {"x": os.system}))
    with pytest.raises(sb.ProtocolError):
        connection._SafeUnpickler(__import__("io").BytesIO(evil)).load()


def test_root_or_user_namespaces_give_a_new_root():
    """As root (CI runs as root), or with unprivileged user namespaces, the submission never sees the course."""
    can_mount = os.geteuid() == 0 or subprocess.run(
        ["unshare", "--map-root-user", "--mount", "true"], capture_output=True).returncode == 0
    if can_mount:
        assert "namespaces" in _new_root_levels()
        assert sb.detect_isolation().new_root
    else:
        assert sb.detect_isolation().level in ("unshare", "none") or sb.detect_isolation().new_root


_LOOK_AROUND = """import os, socket
SEEN = {{p: os.path.exists(p) for p in {paths!r}}}
try:
    import grading
    GRADING = True
except ImportError:
    GRADING = False
try:
    socket.create_connection(('1.1.1.1', 80), timeout=1)
    NET = True
except OSError:
    NET = False
WROTE = []
for p in {writes!r}:
    try:
        open(p, 'w').write('pwned')
        WROTE.append(p)
    except OSError:
        pass
TMP = sorted(os.listdir('/tmp'))
UID = os.getuid()
"""


@pytest.mark.parametrize("level", _new_root_levels() or [None])
def test_a_new_root_hides_the_course_other_files_and_the_network(level, tmp_path):
    if level is None:  # no new root here: only allowed where neither root nor user namespaces can mount
        assert not (os.geteuid() == 0 and shutil.which("unshare")), "root with unshare must offer a new root"
        return
    other = tmp_path / "submitted" / "bob" / "ex01.ipynb"  # another student's submission
    other.parent.mkdir(parents=True)
    other.write_text("{}")
    os.chmod(tmp_path, 0o755)
    host_tmp = tempfile.mkdtemp(prefix="host-tmp-", dir="/tmp")
    repo = sb.course_paths()["repo"]
    paths = [sb.course_paths()["solutions"], os.path.join(repo, "tests"), os.path.join(repo, "exercises"),
             str(other), host_tmp]
    writes = [os.path.join(sb.course_paths()["minitorch"], "pwned.py"), str(tmp_path / "pwned.txt")]
    try:
        with sb.Sandbox(sb.detect_isolation(level), sb.Limits(memory_mb=2048, cpu_seconds=60)) as box:
            assert run(box, _LOOK_AROUND.format(paths=paths, writes=writes)) == []
            seen, wrote = get(box, "SEEN"), get(box, "WROTE")
            assert not any(seen.values()), seen
            assert get(box, "GRADING") is False and get(box, "NET") is False
            assert wrote == [] and not any(os.path.exists(p) for p in writes)
            assert not any(name.startswith("host-tmp-") for name in get(box, "TMP"))  # a private /tmp
            if os.geteuid() == 0:
                assert get(box, "UID") == 65534
            assert run(box, STUDENT) == []  # and the runtime works there
            assert get(box, "derivative")(lambda d: d * d, 3.0) == 6.0
    finally:
        os.rmdir(host_tmp)


def test_without_a_new_root_the_file_system_is_visible_and_the_report_says_so(box, isolation):
    if isolation.new_root:
        return  # covered by the test above
    solutions = sb.course_paths()["solutions"]
    run(box, f"import os\nSEEN = os.path.exists({solutions!r})\n")
    assert get(box, "SEEN") is True
    assert "NOT isolated" in isolation.describe() or "file system is visible" in isolation.describe()


@pytest.mark.parametrize("code, expected", [
    ("import os\nos._exit(3)", "exited with code 3"),
    ("import ctypes\nctypes.string_at(0)", "SIGSEGV"),
])
def test_a_dying_child_is_described(box, code, expected):
    with pytest.raises(sb.SandboxError) as info:
        run(box, code)
    assert info.value.kind == "crash" and expected in info.value.reason


def test_memory_is_limited_and_hangs_hit_the_deadline(box):
    errors = run(box, "data = bytearray(50 * 2**30)")
    assert errors and "MemoryError" in errors[0][1]
    assert run(box, "x = 1") == []  # the child is fine after that
    box.conn.deadline = __import__("time").monotonic() + 1.0
    box.conn.timeout_reason = "took too long (test)"
    with pytest.raises(sb.SandboxError) as info:
        box.conn.request(("exec_cells", [(1, "while True:\n    try:\n        pass\n    except BaseException:\n"
                                               "        pass")], 60.0))
    assert info.value.kind == "timeout" and "test" in info.value.reason


@pytest.mark.parametrize("level", _new_root_levels() or [None])
def test_a_runtime_folder_under_tmp_stays_visible_in_the_private_tmp(level, tmp_path):
    """A course cloned under /tmp: its virtual environment is bound on top of the new root's own /tmp."""
    if level is None:
        assert not (os.geteuid() == 0 and shutil.which("unshare")), "root with unshare must offer a new root"
        return
    from grading.sandbox import launch
    from grading.sandbox.view import View

    runtime = tempfile.mkdtemp(prefix="course-", dir="/tmp")
    try:
        os.chmod(runtime, 0o755)
        with open(os.path.join(runtime, "marker.txt"), "w") as f:
            f.write("visible")
        os.chmod(os.path.join(runtime, "marker.txt"), 0o644)
        view = View.of_runtime([runtime], [], [])
        root = tmp_path / "root"
        root.mkdir()
        command = launch.detect_isolation(level).program(view, ["/usr/bin/cat", os.path.join(runtime, "marker.txt")])
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and done.stdout == "visible", done.stderr
    finally:
        shutil.rmtree(runtime)
