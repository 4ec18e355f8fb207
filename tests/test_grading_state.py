"""A notebook cannot change the state the checks run in, and the checks do not change the notebook's.

A notebook's test cell (``Part``) runs in the student's own kernel, beside whatever the notebook set:
``np.seterr(all="raise")``, ``sys.setrecursionlimit(50)``, ``random.seed(7)``, ``warnings.simplefilter("error")``.
The checks run with known defaults (``grading.probes.state.known_state``) and the notebook's settings come back
afterwards. The sandboxed path is covered by the catalogue's ``notebook_changes_interpreter_state`` (ex02).
Also here: a test cell's output starts and ends its own lines, even when checked code writes to a stream the
notebook kept a reference to.
"""

from __future__ import annotations

import random
import sys
import warnings

import nbclient
import nbformat
import numpy as np
import pytest

from grading.notebooks import REPO_ROOT, nbgrader, read, solution_path, source
from grading.probes.state import RECURSION_LIMIT, SEED, known_state, muted, recursion_guard

STATE = """
import random, sys, warnings
import numpy as np

np.seterr(all="raise")
warnings.simplefilter("error")
random.seed(7)
np.random.seed(7)
sys.setrecursionlimit(50)
"""

# kahn_sort records the state it is called in, overflows a NumPy float (an error under the notebook's seterr)
# and writes to the stream the notebook saw, without a newline.
SPY = """
seen = []
stream = sys.stdout
_kahn_sort = kahn_sort


def kahn_sort(output):
    seen.append((sys.getrecursionlimit(), np.geterr()["over"], random.random(), warnings.filters[0][0]))
    np.float64(1e308) * 10
    stream.write("no newline here")
    return _kahn_sort(output)
"""

TEST = """
from grading import Part
part = Part("ex02", "{part}", globals())
part.run_visible()
part.points()
"""

AFTER = """
print(sys.getrecursionlimit(), np.geterr()["over"], warnings.filters[0][0])
print(random.random() == random.Random(7).random(), np.random.random() == np.random.RandomState(7).random_sample())
print(len(seen), seen[0])
"""


@pytest.fixture(scope="module")
def executed() -> nbformat.NotebookNode:
    given = {nbgrader(c).get("grade_id"): source(c) for c in read(solution_path("ex02_topological_sort"))["cells"]}
    # No cell shows a value before the limit is set: IPython makes its display formatters the first time one
    # does, which a limit of 50 would not allow, so the checks make them (or the test cells' points are lost).
    cells = [STATE, given["ex02_node"], given["ex02_kahn"], SPY]
    cells += [TEST.format(part=part) for part in ("kahn_order", "kahn_deep")] + [AFTER]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(text.strip()) for text in cells])
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": REPO_ROOT}}
    )
    client.execute()
    return nb


def _stream(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def _result(cell: nbformat.NotebookNode) -> str:
    return next(o["data"]["text/plain"] for o in cell.outputs if o.output_type == "execute_result")


def test_checks_pass_whatever_the_notebook_set(executed):
    order, deep = executed.cells[4], executed.cells[5]
    assert float(_result(order)) == 3.0, _stream(order)
    assert float(_result(deep)) == 1.0, _stream(deep)


def test_the_notebooks_state_comes_back(executed):
    limit, same_random, seen = _stream(executed.cells[6]).splitlines()
    assert limit == "50 raise error"
    assert same_random == "True True"  # the checks did not draw from the notebook's generators
    count, state = seen.split(" ", 1)
    assert int(count) > 3
    # what the student's function saw in the checks: NumPy's defaults, the seeded generator, warnings ignored
    assert state == str((RECURSION_LIMIT, "warn", random.Random(SEED).random(), "ignore"))


def test_a_test_cells_output_has_whole_lines(executed):
    for cell in executed.cells[4:6]:
        text = _stream(cell)
        assert text.endswith("\n") and text.startswith("ex02 / kahn_"), text[:200]
        assert "no newline here" not in text


def test_known_state_sets_defaults_and_restores_in_this_process():
    saved = (sys.getrecursionlimit(), np.geterr(), random.getstate(), list(warnings.filters))
    try:
        sys.setrecursionlimit(saved[0] + 123)
        np.seterr(all="raise")
        random.seed(3)
        warnings.simplefilter("error")
        before = (sys.getrecursionlimit(), np.geterr(), random.getstate(), list(warnings.filters))
        with known_state():
            assert sys.getrecursionlimit() >= RECURSION_LIMIT and np.geterr()["over"] == "warn"
            assert random.random() == random.Random(SEED).random()
            warnings.warn("ignored, not an error", stacklevel=1)
            random.random()
        assert (sys.getrecursionlimit(), np.geterr(), random.getstate(), list(warnings.filters)) == before
    finally:
        sys.setrecursionlimit(saved[0])
        np.seterr(**saved[1])
        random.setstate(saved[2])
        warnings.filters[:] = saved[3]


def test_recursion_guard_lowers_the_limit_and_records_attempts_to_raise_it():
    limit = sys.getrecursionlimit()

    def recurse(n: int) -> int:
        return 0 if n == 0 else 1 + recurse(n - 1)

    with recursion_guard(50) as watch:
        assert recurse(20) == 20
        with pytest.raises(RecursionError):
            recurse(200)
        sys.setrecursionlimit(10**6)  # recorded, not applied
        with pytest.raises(RecursionError):
            recurse(200)
    assert watch.changed == 10**6 and sys.getrecursionlimit() == limit
    with recursion_guard(50) as quiet:
        recurse(10)
    assert quiet.changed is None


def test_muted_drops_writes_through_kept_references():
    class Stream:
        def __init__(self):
            self.text = ""

        def write(self, text: str) -> int:
            self.text += text
            return len(text)

    stream = Stream()
    kept = stream
    with muted(stream):
        kept.write("dropped")
    kept.write("kept\n")
    assert stream.text == "kept\n"


def test_a_failing_checks_short_form_is_one_line():
    from grading.report import render_checks
    from grading.results import Check

    checks = [
        Check(what=f"check {i}", hidden=True, status="error", error="ValueError: bad\n  (in f, line 1: raise)")
        for i in range(5)
    ]
    text = render_checks(checks) + "\n"
    short = text.splitlines()[-1]
    assert short == "  \u2718 check 4  [ValueError: bad]", text
