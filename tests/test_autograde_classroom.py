"""The classroom autograder end to end (``minitorch-autograde``, the package grading/classroom).

A class of ex01 submissions, good and bad, is graded in parallel: every bad one gets exactly the points and
the reason it should (infinite loop, os._exit, sys.exit, segfault, a 50 GB allocation, invalid JSON, a file
that is not a notebook, deleted or edited test cells, changed grade_ids, a renamed function, reading
solutions/, writing outside its folder, monkeypatching NumPy and the checking helpers, calling minitorch's
own implementation) while the others keep full marks; submission files are never modified; ``--jobs 1``
writes the same CSV as ``--jobs 2``; a run killed halfway loses nothing and the next run finishes it;
``nbgrader autograde`` gives the same totals; and catalogued submissions of other exercises get the points
the subprocess grader gives them.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from grading import classroom as C
from grading import sandbox as sb
from grading.checks import EXERCISES
from grading.grade import report_for
from grading.mutants import CATALOGUE, Mutant, ReplaceSolution, apply
from grading.notebooks import PACKAGE_DIR, REPO_ROOT, nbgrader, released_path, solution_path, source
from grading.record import read_record, read_records, record_path
from grading.release import secret_lines
from grading.report import points

NB = "ex01_forward_mode"
PARTS = list(EXERCISES["ex01"].parts)
FULL = {
    "add_sub": 2,
    "mul": 2,
    "div": 2,
    "pow": 3,
    "exp_log": 2,
    "sin_cos": 2,
    "derivative": 2,
    "central_difference": 1,
}


def _reference() -> dict:
    return json.loads(solution_path(NB).read_text(encoding="utf-8"))


def _solution(cell: str, code: str) -> dict:
    return apply(Mutant("case", "ex01", "bug", "case", (ReplaceSolution(cell, code),), frozenset({"mul"})))


def _edit(cell: str, old: str, new: str, nb: dict | None = None) -> dict:
    nb = copy.deepcopy(nb or _reference())
    for c in nb["cells"]:
        if nbgrader(c).get("grade_id") == cell:
            assert source(c).count(old) == 1, (cell, old)
            c["source"] = source(c).replace(old, new)
    return nb


def _with_cell(nb: dict, code: str, index: int | None = None) -> dict:
    nb = copy.deepcopy(nb)
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": code}
    nb["cells"].insert(len(nb["cells"]) if index is None else index, cell)
    return nb


def _mutant(name: str) -> dict:
    return apply(next(m for m in CATALOGUE if m.name == name))


def build_class(root: Path, writes_into: list[Path]) -> dict[str, Path]:
    """submitted/<student>/ex01_forward_mode/ex01_forward_mode.ipynb for every case; student -> path."""
    released = json.loads(released_path(NB).read_text(encoding="utf-8"))
    no_tests = copy.deepcopy(_reference())
    no_tests["cells"] = [c for c in no_tests["cells"] if not nbgrader(c).get("grade")]
    edited = copy.deepcopy(_reference())
    for c in edited["cells"]:
        if nbgrader(c).get("grade"):
            c["source"] = "print('all my tests pass')\n"
            c["metadata"]["nbgrader"]["grade_id"] += "_renamed"
    steal = (
        "import json\ntry:\n    _nb = json.load(open(%r))\n    for _c in _nb['cells']:\n"
        "        if _c['cell_type'] == 'code' and 'grading' not in ''.join(_c['source']):\n"
        "            exec(''.join(_c['source']))\nexcept OSError:\n    pass\n" % str(solution_path(NB))
    )
    write = (
        "import pathlib\nfor _p in %r:\n    try:\n        pathlib.Path(_p).write_text('pwned')\n"
        "    except OSError:\n        pass\n" % [str(p) for p in writes_into]
    )
    patch = (
        "import numpy as np, math\nnp.isclose = lambda *a, **k: True\nnp.allclose = lambda *a, **k: True\n"
        "math.isclose = lambda *a, **k: True\ntry:\n    import grading.numeric, grading.core\n"
        "    grading.numeric.close = lambda *a, **k: True\n    grading.core.run_case = None\n"
        "except ImportError:\n    pass\n"
    )
    notebooks = {
        "good": _reference(),
        "untouched": released,
        "infinite_loop": _solution("ex01_central_difference", "while True:\n    pass"),
        "os_exit": _solution(
            "ex01_derivative",
            "if x == 2.0:\n    import os\n    os._exit(3)\n"
            "result = f(Dual(x, 1.0))\n"
            "return result.tangent if isinstance(result, Dual) else 0.0",
        ),
        "sys_exit": _solution("ex01_central_difference", "import sys\nsys.exit(2)"),
        "segfault": _edit(
            "ex01_dual",
            "    def __truediv__(self, other):\n",
            "    def __truediv__(self, other):\n        import ctypes; ctypes.string_at(0)\n",
        ),
        "huge_allocation": _edit(
            "ex01_dual",
            "    def __add__(self, other):\n",
            "    def __add__(self, other):\n        bytearray(50 * 2**30)\n",
        ),
        "huge_allocation_in_a_cell": _with_cell(_reference(), "big = bytearray(50 * 2**30)", 3),
        "infinite_loop_in_a_cell": _with_cell(_reference(), "while True:\n    pass", 3),
        "deleted_test_cells": no_tests,
        "edited_test_cells": edited,
        "renamed_function": _edit("ex01_derivative", "def derivative(f, x):", "def my_derivative(f, x):"),
        "reads_solutions": _with_cell(released, steal),
        "writes_outside": _with_cell(_reference(), write),
        "monkeypatches": _with_cell(_mutant("product_rule_one_term"), patch),
        "calls_minitorch": _mutant("uses_minitorch_dual"),
        "bug": _mutant("product_rule_one_term"),
    }
    paths = {}
    for student, nb in notebooks.items():
        path = root / "submitted" / student / NB / f"{NB}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
        paths[student] = path
    for student, data in (
        ("invalid_json", b'{"cells": [ {"cell_type": '),
        ("not_a_notebook", b"[1, 2, 3]"),
        ("binary_file", bytes(range(256)) * 8),
    ):
        path = root / "submitted" / student / NB / f"{NB}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths[student] = path
    return paths


def _hashes(paths: dict[str, Path]) -> dict[str, str]:
    return {s: hashlib.sha256(p.read_bytes()).hexdigest() for s, p in paths.items()}


def _rows(csv_path: Path) -> dict[str, dict]:
    with open(csv_path, newline="", encoding="utf-8") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


OPTIONS = C.Options(cell_timeout=3.0)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    # next to the submission, and in a folder of the grader's machine outside the course
    marker = [root / "submitted" / "writes_outside" / NB / "pwned.txt", root / "elsewhere" / "pwned.txt"]
    marker[1].parent.mkdir()
    paths = build_class(root, marker)
    before = _hashes(paths)
    summary = C.run([root / "submitted"], root / "out", jobs=2, options=OPTIONS, progress=False)
    return root, paths, before, summary, marker


def _lost(**parts: float) -> dict:
    return {**FULL, **parts}


# student -> (status, points per part (None: all zero), text that must be in the CSV's reason)
EXPECTED = {
    "good": ("graded", FULL, ""),
    "untouched": ("graded", None, ""),
    "bug": ("graded", _lost(mul=1.066667), ""),
    "infinite_loop": ("graded", _lost(central_difference=0), "(a check timed out)"),
    "os_exit": ("graded", _lost(derivative=0), "derivative: crashed: the submission's process exited with code 3"),
    "sys_exit": ("graded", _lost(central_difference=0), ""),
    "segfault": ("graded", _lost(div=0), "div: crashed: the submission's process died with SIGSEGV"),
    "huge_allocation": ("graded", _lost(add_sub=1.0), ""),
    "huge_allocation_in_a_cell": ("graded", FULL, 'errors in the cell "big = bytearray(50 * 2**30)"'),
    "infinite_loop_in_a_cell": ("graded", FULL, 'errors in the cell "while True:"'),
    "deleted_test_cells": ("graded", FULL, ""),
    "edited_test_cells": ("graded", FULL, ""),
    "renamed_function": ("graded", _lost(derivative=0), "derivative: not defined: derivative"),
    "writes_outside": ("graded", FULL, ""),
    "monkeypatches": ("graded", _lost(mul=1.066667), ""),
    "calls_minitorch": ("graded", None, "no points: calls minitorch.dual"),
    "invalid_json": ("failed-to-grade", None, "not a notebook: invalid JSON"),
    "not_a_notebook": ("failed-to-grade", None, "not a notebook: no list of cells"),
    "binary_file": ("failed-to-grade", None, "not a notebook: the file is not UTF-8 text"),
}


@pytest.mark.parametrize("student", sorted(EXPECTED) + ["reads_solutions"])
def test_each_submission_gets_exactly_its_points_and_reason(graded, student):
    root, _, _, _, _ = graded
    row = _rows(root / "out" / "grades.csv")[student]
    if student == "reads_solutions":
        # In a new root (bubblewrap, or namespaces as root) solutions/ does not exist for the submission: the
        # released stubs score zero. Without one the file system is visible (the run says so): full marks.
        expected = ("graded", None if sb.detect_isolation().new_root else FULL, "")
    else:
        expected = EXPECTED[student]
    status, points, reason = expected
    assert row["status"] == status, row
    parts = {p: float(row[f"ex01_test_{p}"]) for p in PARTS}
    assert parts == ({p: 0.0 for p in PARTS} if points is None else {p: float(v) for p, v in points.items()}), row
    assert float(row["raw_score"]) == pytest.approx(sum(parts.values()), abs=1e-6)
    assert float(row["raw_score"]) == float(row["score"])
    assert row["max_score"] == "16.0" and row["assignment"] == NB
    assert reason in row["reason"], row["reason"]


def test_the_csv_has_nbgraders_columns_first(graded):
    root = graded[0]
    with open(root / "out" / "grades.csv", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header[:11] == [
        "assignment",
        "duedate",
        "timestamp",
        "student_id",
        "last_name",
        "first_name",
        "email",
        "raw_score",
        "late_submission_penalty",
        "score",
        "max_score",
    ]
    assert header[11:13] == ["status", "reason"] and header[13:] == [f"ex01_test_{p}" for p in PARTS]


def test_the_summary_counts_and_names_the_isolation(graded):
    summary = graded[3]
    assert (summary.total, summary.graded, summary.failed, summary.skipped) == (20, 17, 3, 0)
    assert summary.isolations == {sb.detect_isolation().level}
    assert "invalid JSON" in summary.text()


def test_submissions_are_never_modified_and_nothing_is_written_outside(graded):
    _, paths, before, _, marker = graded
    assert _hashes(paths) == before
    if sb.detect_isolation().new_root:  # without a new root the file system is not isolated (documented)
        assert not any(p.exists() for p in marker)


def test_feedback_shows_checks_never_sources(graded):
    root = graded[0]
    feedback = root / "out" / "feedback"
    texts = {p.parent.name: p.read_text(encoding="utf-8") for p in feedback.glob(f"*/{NB}.txt")}
    assert set(texts) == set(EXPECTED) | {"reads_solutions"}
    secrets = secret_lines(_reference())
    code = [
        line.strip()
        for module in (PACKAGE_DIR / "checks" / "ex01").glob("*.py")
        for line in module.read_text().splitlines()
        if line.strip().startswith(("def ", "yield ", "return ", "for ", "if ", "with "))
    ]
    for student, text in texts.items():
        assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text
        assert not [s for s in secrets if s in text], student
        assert not [c for c in code if c in text], student
        assert "Traceback" not in text
    bug = texts["bug"]
    (record,) = [r for r in read_records(root / "out") if r.student == "bug"]
    assert 0 < record.points < 16
    for label in ("expected:", "actual:", "hint:", f"Score: {points(record.points)} / 16", "mul"):
        assert label in bug, label
    assert "test cells missing or with a changed grade_id" in texts["deleted_test_cells"]
    assert "could not be graded: not a notebook" in texts["invalid_json"]
    assert "exited with code 3" in texts["os_exit"] and "timed out" in texts["infinite_loop"]


def test_jobs_1_writes_the_same_csv_as_jobs_2(graded):
    root = graded[0]
    summary = C.run([root / "submitted"], root / "out-serial", jobs=1, options=OPTIONS, progress=False)
    assert summary.graded == 17
    assert (root / "out-serial" / "grades.csv").read_text() == (root / "out" / "grades.csv").read_text()


def test_a_second_run_skips_what_is_graded_unless_forced(graded):
    root = graded[0]
    again = C.run([root / "submitted"], root / "out", jobs=2, options=OPTIONS, progress=False)
    assert (again.graded, again.failed, again.skipped) == (0, 0, 20)
    one = root / "submitted" / "good" / NB / f"{NB}.ipynb"
    forced = C.run([one], root / "out", jobs=1, force=True, options=OPTIONS, progress=False)
    assert (forced.graded, forced.skipped) == (1, 0)
    assert _rows(root / "out" / "grades.csv")["good"]["raw_score"] == "16.0"
    assert len(_rows(root / "out" / "grades.csv")) == 20  # the CSV is made from every result, not this run's


@pytest.fixture(scope="module")
def cluster():
    """A Dask cluster of two worker processes on this machine, one thread each (as --scheduler asks)."""
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c


@pytest.mark.parametrize("executor, how", [("local", "SIGKILL"), ("local", "SIGINT"), ("cluster", "SIGINT")])
def test_a_killed_or_interrupted_run_loses_nothing_and_the_next_one_finishes(graded, tmp_path, request, executor, how):
    root = graded[0]
    students = ["good", "infinite_loop", "bug", "renamed_function", "os_exit"]
    for s in students:
        shutil.copytree(root / "submitted" / s, tmp_path / "submitted" / s)
    out = tmp_path / "out"
    scheduler = request.getfixturevalue("cluster").scheduler_address if executor == "cluster" else None
    where = ["--scheduler", scheduler] if scheduler else ["--jobs", "1"]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "grading",
            "autograde",
            str(tmp_path / "submitted"),
            "--out",
            str(out),
            *where,
            "--quiet",
            "--cell-timeout",
            "3",
        ],
        start_new_session=True,
        # A shell's background job inherits SIGINT ignored, and Python then keeps it ignored: give the run the
        # terminal's default, as a user's Ctrl-C finds it, whatever launched this test.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not list((out / "results").glob("*/*.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, getattr(signal, how))  # SIGKILL: no chance to clean up; SIGINT: Ctrl-C
    stdout, _ = proc.communicate(timeout=60)
    if how == "SIGINT":
        assert proc.returncode == 130 and b"Interrupted" in stdout and b"Run the same command again" in stdout
        assert (out / "grades.csv").exists() and (out / "report.html").exists()  # what was graded is in them
    else:
        assert proc.returncode == -signal.SIGKILL
    kept = {p.parent.name: read_record(p) for p in (out / "results").glob("*/*.json")}
    assert kept and len(kept) < len(students)
    assert all(r is not None and r.status == "graded" for r in kept.values())  # complete records only
    resumed = C.run([tmp_path / "submitted"], out, jobs=2, scheduler=scheduler, options=OPTIONS, progress=False)
    assert resumed.skipped == len(kept) and resumed.graded == len(students) - len(kept)
    full = _rows(root / "out" / "grades.csv")
    rows = _rows(out / "grades.csv")
    assert set(rows) == set(students)
    for s in students:
        assert rows[s] == full[s]


def test_a_dask_cluster_grades_as_local_processes_do_with_resume_and_progress(graded, cluster, tmp_path, capsys):
    root = graded[0]
    students = ["good", "bug", "os_exit", "renamed_function", "calls_minitorch", "invalid_json"]
    for s in students:
        shutil.copytree(root / "submitted" / s, tmp_path / "submitted" / s)
    out = tmp_path / "out"
    summary = C.run([tmp_path / "submitted"], out, scheduler=cluster.scheduler_address, options=OPTIONS)
    assert (summary.graded, summary.failed) == (5, 1) and "Dask cluster" in summary.workers
    progress = capsys.readouterr().err
    assert "6/6  graded 5  failed 1" in progress
    rows, full = _rows(out / "grades.csv"), _rows(root / "out" / "grades.csv")
    assert {s: rows[s] for s in students} == {s: full[s] for s in students}
    again = C.run([tmp_path / "submitted"], out, scheduler=cluster.scheduler_address, options=OPTIONS)
    assert (again.graded, again.failed, again.skipped) == (0, 0, 6)


def test_a_submission_that_hangs_and_ignores_signals_stops_at_its_time_limit(tmp_path):
    stuck = _with_cell(
        _reference(), "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass", 3
    )
    path = tmp_path / "submitted" / "stuck" / NB / f"{NB}.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(stuck), encoding="utf-8")
    C.run(
        [tmp_path / "submitted"],
        tmp_path / "out",
        jobs=1,
        progress=False,
        options=C.Options(timeout=20.0, cell_timeout=1.0),
    )
    row = _rows(tmp_path / "out" / "grades.csv")["stuck"]
    assert row["status"] == "graded" and 'errors in the cell "import signal"' in row["reason"], row
    record = read_record(record_path(tmp_path / "out", "stuck", NB))
    assert any("took longer than 1 s" in e for e in record.cell_errors), record.cell_errors


def test_a_single_notebook_and_isolation_none(tmp_path):
    path = tmp_path / "alice" / NB / f"{NB}.ipynb"
    path.parent.mkdir(parents=True)
    shutil.copy(solution_path(NB), path)
    summary = C.run([path], tmp_path / "out", jobs=1, progress=False, options=C.Options(isolation="none"))
    assert summary.graded == 1 and summary.isolations == {"none"}
    assert _rows(tmp_path / "out" / "grades.csv")["alice"]["raw_score"] == "16.0"


# --------------------------------------------------------------------------- other exercises

SAMPLE = ["sin_derivative_sign", "uses_minitorch_dual"] + [
    next(m.name for m in CATALOGUE if m.exercise == e and m.kind == k)
    for e in ("ex05", "ex06", "ex07")
    for k in ("bug", "cheat")
]


def test_catalogued_submissions_of_other_exercises_get_the_subprocess_graders_points(tmp_path):
    """The full catalogue (every exercise) was compared when the classroom grader was written; here a sample."""
    from grading.mutants import write

    paths = {}
    for name in SAMPLE:
        mutant = next(m for m in CATALOGUE if m.name == name)
        notebook = EXERCISES[mutant.exercise].notebook
        path = tmp_path / "submitted" / name / notebook / f"{notebook}.ipynb"
        path.parent.mkdir(parents=True)
        shutil.copy(write(mutant, tmp_path / "m"), path)
        paths[name] = path
    C.run([tmp_path / "submitted"], tmp_path / "out", jobs=2, progress=False)
    for name, path in paths.items():
        record = read_record(record_path(tmp_path / "out", name, path.parent.name))
        ours = {p.part: p.points for p in record.parts}
        theirs = {p.part: p.points for p in report_for(path).parts}
        assert ours == pytest.approx(theirs, abs=1e-9), name


# --------------------------------------------------------------------------- nbgrader itself


#: The class's submissions that nbgrader can grade, in a kernel without a sandbox. Left out: ``os_exit`` and
#: ``edited_test_cells`` (nbgrader reports an error for the whole notebook: the kernel died; an unknown
#: grade_id), ``deleted_test_cells`` (nbgrader scores the deleted cells 0, where this grader puts the release's
#: test cells back and says so; nbgrader 0.9.6's ``OverwriteCells.add_missing_cells`` raises KeyError on this
#: notebook), and, not tried with nbgrader, what a kernel without a sandbox cannot contain: ``segfault``, the
#: huge allocations, the hanging cell, ``reads_solutions`` and ``writes_outside``.
SAME_AS_NBGRADER = [
    "good",
    "bug",
    "renamed_function",
    "untouched",
    "infinite_loop",
    "sys_exit",
    "monkeypatches",
    "calls_minitorch",
]


def test_nbgrader_autograde_gives_the_same_totals(tmp_path, graded):
    root = graded[0]
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(REPO_ROOT / "nbgrader_config.py", course)
    shutil.copytree(REPO_ROOT / "solutions" / NB, course / "solutions" / NB)
    (course / "jupyter-config").mkdir()
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(course / "jupyter-config"),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )
    students = list(SAME_AS_NBGRADER)
    for s in students:
        shutil.copytree(root / "submitted" / s, course / "submitted" / s)
    for args in (["generate_assignment", NB, "--force"], ["autograde", NB, "--force"]):
        proc = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True, text=True, timeout=600
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
    from nbgrader.api import Gradebook

    rows = _rows(root / "out" / "grades.csv")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for s in students:
            submission = gb.find_submission_notebook(NB, NB, s)
            nbgrader_parts = {g.name: g.score for g in submission.grades if g.cell_type == "code"}
            assert sum(nbgrader_parts.values()) == pytest.approx(float(rows[s]["raw_score"]), abs=1e-6), s
            for grade_id, score in nbgrader_parts.items():
                assert score == pytest.approx(float(rows[s][grade_id]), abs=1e-6), (s, grade_id)


# --------------------------------------------------------------------------- reading submissions


def test_links_and_special_files_are_not_graded_and_outputs_do_not_count_towards_the_size_limit(tmp_path):
    submitted = tmp_path / "submitted"
    reference = solution_path(NB)
    for student in ("linked_file", "linked_folder", "fifo", "big_outputs", "big_code"):
        (submitted / student).mkdir(parents=True)
    (submitted / "linked_file" / NB).mkdir()
    (submitted / "linked_file" / NB / f"{NB}.ipynb").symlink_to(reference)
    (submitted / "linked_folder" / NB).symlink_to(reference.parent)
    (submitted / "linked_student").symlink_to(submitted / "linked_file")
    (submitted / "fifo" / NB).mkdir()
    os.mkfifo(submitted / "fifo" / NB / f"{NB}.ipynb")
    big = _reference()
    code = next(c for c in big["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x" * (40 << 20)}]
    (submitted / "big_outputs" / NB).mkdir()
    (submitted / "big_outputs" / NB / f"{NB}.ipynb").write_text(json.dumps(big), encoding="utf-8")
    huge = _with_cell(_reference(), "# " + "x" * (40 << 20))
    (submitted / "big_code" / NB).mkdir()
    (submitted / "big_code" / NB / f"{NB}.ipynb").write_text(json.dumps(huge), encoding="utf-8")
    summary = C.run([submitted], tmp_path / "out", jobs=1, options=OPTIONS, progress=False)
    rows = _rows(tmp_path / "out" / "grades.csv")
    assert (summary.graded, summary.failed) == (1, 5)
    assert rows["big_outputs"]["status"] == "graded" and rows["big_outputs"]["raw_score"] == "16.0"
    for student in ("linked_file", "linked_folder", "linked_student"):
        assert rows[student]["status"] == "failed-to-grade" and "symbolic link" in rows[student]["reason"], student
        assert rows[student]["raw_score"] == "0.0"
    assert rows["fifo"]["reason"] == "not a regular file"
    assert "without its outputs" in rows["big_code"]["reason"] and rows["big_code"]["status"] == "failed-to-grade"


# --------------------------------------------------------------------------- report.html


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text, self.sources, self.tags, self.rows, self.row = [], [], [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.sources += [v for k, v in attrs if k in ("src", "href")]
        if tag == "tr":
            self.row = []
        elif tag == "td" and self.row is not None:
            self.row.append("")

    def handle_endtag(self, tag):
        if tag == "tr" and self.row:
            self.rows.append(self.row)
            self.row = None

    def handle_data(self, data):
        self.text.append(data)
        if self.row:
            self.row[-1] += data


def test_the_report_shows_parts_failing_checks_and_failed_submissions_offline(graded):
    root = graded[0]
    page_text = (root / "out" / "report.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(page_text)
    text = " ".join(page.text)
    assert "http://" not in page_text and "https://" not in page_text
    assert "script" not in page.tags and "link" not in page.tags
    images = [s for s in page.sources if not s.startswith("#")]  # links within the page, and embedded figures
    assert images and all(s.startswith("data:image/png;base64,") for s in images)
    records = [read_record(p) for p in (root / "out" / "results").glob(f"*/{NB}.json")]
    graded_ones = [r for r in records if r.status == "graded"]
    per_part = {row[0]: row for row in page.rows if len(row) == 6}
    assert list(per_part) == PARTS
    for part in PARTS:
        scores = [r.part_points()[f"ex01_test_{part}"] for r in graded_ones]
        full_marks = sum(s == FULL[part] for s in scores)
        assert per_part[part][2:] == [
            str(FULL[part]),
            f"{sum(scores) / len(scores):.2f}",
            str(full_marks),
            str(scores.count(0.0)),
        ], part
    failing: dict[tuple[str, str], int] = {}  # submissions failing a check (random inputs count together)
    for record in records:
        keys = {
            (part.part, re.sub(r"-?\d+\.\d+(?:e[-+]?\d+)?", "#", check.what))
            for part in record.parts
            for check in part.checks
            if check.status not in ("passed", "skipped", "not_implemented")
        }
        for key in keys:
            failing[key] = failing.get(key, 0) + 1
    shown = {(row[0], row[1]): int(row[2]) for row in page.rows if len(row) == 4}
    assert shown and all(failing[key] == n for key, n in shown.items())
    assert min(shown.values()) >= sorted(failing.values())[-len(shown)]  # the most frequent ones
    failed = {row[0]: row[1] for row in page.rows if len(row) == 3 and row[2].endswith(".ipynb")}
    assert failed == {r.student: r.reason for r in records if r.status == "failed-to-grade"}
    assert "Failed to grade (3)" in text and f"{len(records)}" in text


def test_each_grading_process_has_its_own_memory_limit():
    import resource

    from grading.classroom.cli import build_parser
    from grading.classroom.dispatch import Workers

    workers = Workers(1, memory_mb=6000)
    try:
        soft, hard = workers.executor.submit(resource.getrlimit, resource.RLIMIT_AS).result(timeout=120)
    finally:
        workers.close()
    assert soft == hard == 6000 << 20
    with pytest.raises(ValueError, match="--worker-memory"):
        C.Options(memory_mb=4096, worker_memory_mb=2048)
    assert build_parser().parse_args(["--worker-memory", "9000"]).worker_memory == 9000
