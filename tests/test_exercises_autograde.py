"""End to end with nbgrader itself: `nbgrader autograde` gives the same points as our grader.

The classroom runner grades, sandboxed, every notebook of the catalogue (bugs, correct alternatives,
cheats), the reference solutions and the untouched released notebooks. A throw-away course (this
repository's nbgrader_config.py and solutions/) gets a sample of the same files: per exercise the
reference, the untouched release and the first bug, alternative and cheat of the catalogue
(`MINITORCH_CATALOGUE=all` gives it every one, as for the agreement figures in the issue notes). nbgrader
executes their test cells (with the hidden tests restored from its gradebook) in a Jupyter kernel; each
cell's points must equal the classroom runner's points for the part. Where a check ran into its time
limit (an algorithm too slow on purpose) points depend on the machine's speed: there both must take points
from exactly the same parts. Both also grade hostile submissions whose grade must not depend on how the code
is isolated (:data:`HOSTILE`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

from grading import classroom
from grading.checks import EXERCISES
from grading.mutants import CATALOGUE, sample, write
from grading.notebooks import REPO_ROOT, released_path, solution_path
from grading.record import read_records

STUDENTS = {
    (student, spec.notebook): source
    for spec in EXERCISES.values()
    for student, source in (("reference", solution_path(spec.notebook)), ("untouched", released_path(spec.notebook)))
}
STUDENTS.update({(mutant.name, EXERCISES[mutant.exercise].notebook): mutant for mutant in CATALOGUE})

#: Hostile and unusual submissions (student -> exercise, solution cell's grade_id, its new source made from
#: the reference's, parts that score zero). In a kernel the tripwire is a profile hook, which the tamperer's
#: kahn_sort switches off before calling minitorch's own sort; the sandbox's tripwire does not depend on it.
#: Magics and shell lines run in nbgrader's kernel and are skipped with a note here; output that imitates the
#: sandbox's protocol (an 8-byte length, then JSON) is only output. Both must give zero on exactly those parts.
HOSTILE = {
    "tamperer": (
        "ex02",
        "ex02_kahn",
        lambda reference: (
            "import sys, minitorch\ndef kahn_sort(output):\n    sys.setprofile(None)\n"
            "    return minitorch.graph.topological_sort(output)\n"
        ),
        {"kahn_order", "kahn_cycles", "kahn_deep"},
    ),
    "uses_magics": ("ex02", "ex02_kahn", lambda reference: "%matplotlib inline\n!echo hello\n" + reference, set()),
    "imitates_the_protocol": (
        "ex02",
        "ex02_dfs",
        lambda reference: (
            'import os\nfor reply in (b\'{"points": 99}\', b\'{"ok": true, "parts": {}}\'):\n'
            "    frame = len(reply).to_bytes(8, 'little') + reply\n"
            "    print(frame.decode('latin-1'), flush=True)\n"
            "    os.write(1, frame)\n" + reference
        ),
        set(),
    ),
}


def _nbgrader_sample() -> list[tuple[str, str]]:
    mutants = [(m.name, EXERCISES[m.exercise].notebook) for m in sample(every=len(CATALOGUE))]
    return sorted([key for key in STUDENTS if key[0] in ("reference", "untouched")] + mutants)


NBGRADER_SAMPLE = _nbgrader_sample()


@pytest.fixture(scope="module")
def submitted(tmp_path_factory) -> Path:
    """Every student's notebook in nbgrader's layout: submitted/<student>/<assignment>/<assignment>.ipynb."""
    root = tmp_path_factory.mktemp("submitted")
    for (student, notebook), source in STUDENTS.items():
        path = source if isinstance(source, Path) else write(source, root.parent / "mutants")
        target = root / student / notebook / f"{notebook}.ipynb"
        target.parent.mkdir(parents=True)
        shutil.copy(path, target)
    for student, (exercise_id, grade_id, text, _) in HOSTILE.items():
        notebook = EXERCISES[exercise_id].notebook
        nb = json.loads(solution_path(notebook).read_text())
        (cell,) = [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id]
        cell["source"] = text("".join(cell["source"]))
        target = root / student / notebook / f"{notebook}.ipynb"
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(nb))
    return root


@pytest.fixture(scope="module")
def autograded(submitted, tmp_path_factory) -> Path:
    """The classroom runner's output folder for every student."""
    out = tmp_path_factory.mktemp("autograde")
    summary = classroom.run([submitted], out, progress=False)
    assert summary.graded == len(STUDENTS) + len(HOSTILE)
    return out


@pytest.fixture(scope="module")
def ours(autograded) -> dict:
    """(student, assignment) -> the classroom runner's record."""
    return {(r.student, r.assignment): r for r in read_records(autograded)}


@pytest.fixture(scope="module")
def course(submitted, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("course")
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root)
    shutil.copytree(
        REPO_ROOT / "solutions", root / "solutions", ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    )
    hostile = [(student, EXERCISES[exercise_id].notebook) for student, (exercise_id, *_) in HOSTILE.items()]
    for student, notebook in NBGRADER_SAMPLE + hostile:
        shutil.copytree(submitted / student / notebook, root / "submitted" / student / notebook)
    (root / "jupyter-config").mkdir()
    # nbgrader runs `alembic` (from the virtual environment's bin/) when it opens its gradebook.
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(root / "jupyter-config"),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )
    nbgrader = [sys.executable, "-m", "nbgrader"]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(nbgrader + list(args), cwd=root, env=env, capture_output=True, text=True, timeout=3600)

    generated = run("generate_assignment", "*", "--force")
    assert generated.returncode == 0, generated.stderr
    graded = run("autograde", "*", "--force")
    assert graded.returncode == 0, graded.stderr[-3000:]
    return root


def _nbgrader_points(course: Path, student: str, notebook: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission_notebook(notebook, notebook, student)
        return {grade.name: grade.score for grade in submission.grades if grade.cell_type == "code"}


@pytest.mark.parametrize("student, notebook", NBGRADER_SAMPLE, ids=lambda x: x)
def test_autograde_matches_nbgrader(course, ours, student, notebook):
    record = ours[student, notebook]
    exercise_id = notebook.split("_")[0]
    theirs = _nbgrader_points(course, student, notebook)
    mine = {f"{exercise_id}_test_{p.part}": p.points for p in record.parts}
    assert set(theirs) == set(mine), "nbgrader and our grader see different test cells"
    timed_out = any(c.status == "timeout" for p in record.parts for c in p.checks)
    for grade_id, points in mine.items():
        if timed_out:
            full = max(p.max_points for p in record.parts if f"{exercise_id}_test_{p.part}" == grade_id)
            assert (theirs[grade_id] < full) == (points < full), (grade_id, theirs[grade_id], points)
        else:
            assert theirs[grade_id] == pytest.approx(points, abs=1e-6), grade_id
    source = STUDENTS[student, notebook]
    maximum = EXERCISES[exercise_id].max_points
    if student == "reference" or getattr(source, "kind", "") == "alternative":
        assert sum(theirs.values()) == maximum
    elif student == "untouched":
        assert sum(theirs.values()) == 0
    else:
        assert sum(theirs.values()) < maximum


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_autograde_matches_nbgrader_on_hostile_submissions(course, ours, student):
    """Both take every point of exactly the parts listed (the others' points may depend on the machine's speed:
    the 100,000-node checks run close to their time limit in a loaded kernel)."""
    exercise_id, _, _, zeroed = HOSTILE[student]
    notebook = EXERCISES[exercise_id].notebook
    theirs = _nbgrader_points(course, student, notebook)
    for part in ours[student, notebook].parts:
        nbgraders = theirs[f"{exercise_id}_test_{part.part}"]
        assert (part.points == 0) == (nbgraders == 0) == (part.part in zeroed), (part.part, part.status, nbgraders)


# --------------------------------------------------------------------------- nothing secret in what students get


def _code_lines(path: Path) -> set[str]:
    """The lines of a Python file that hold code (not only a string, a comment or a bracket), stripped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    code: set[int] = set()
    with open(path, "rb") as f:
        for token in tokenize.tokenize(f.readline):
            if token.type in (tokenize.NAME, tokenize.NUMBER) or (
                token.type == tokenize.OP and token.string not in "()[]{},:"
            ):
                code.add(token.start[0])
    return {lines[n - 1].strip() for n in code if len(lines[n - 1].strip()) >= 12}


def _shown_outside(secret: str, shown: str, own: set[str]) -> bool:
    """Does ``secret`` appear in ``shown`` other than inside a quoted line of the student's own code? (A traceback
    quoting the student's ``return minitorch.tensor(...)`` does not leak a check's ``return minitorch``.)"""
    for quoted in own:
        if secret in quoted:
            shown = shown.replace(quoted, "")
    return secret in shown


def test_no_feedback_or_csv_contains_solution_code_or_hidden_check_source(autograded):
    """The whole catalogue (bugs, alternatives, cheats) and the untouched notebooks, graded by the classroom
    runner: no line of solutions/ code and no line of a check's source reaches a student, except lines the
    student's own notebook contains. Hints are no exception: they name concepts, never a solution line."""
    from grading.notebooks import PACKAGE_DIR, read, source
    from grading.release import secret_lines

    secrets = {spec.notebook: set(secret_lines(read(solution_path(spec.notebook)))) for spec in EXERCISES.values()}
    checks = set().union(*(_code_lines(p) for p in (PACKAGE_DIR / "checks").rglob("*.py")))
    csv_text = (autograded / "grades.csv").read_text(encoding="utf-8")
    records = read_records(autograded)
    for record in records:
        own = {line.strip() for cell in read(record.notebook)["cells"] for line in source(cell).splitlines()}
        feedback = (autograded / "feedback" / record.student / f"{record.assignment}.txt").read_text()
        shown = {line.strip() for line in feedback.splitlines()} | {
            line.strip() for line in (record.reason or "").split("; ")
        }
        hidden_lines = (secrets[record.assignment] | checks) - own
        leaked = {line for line in hidden_lines if any(_shown_outside(line, s, own) for s in shown)}
        assert not leaked, (record.key, sorted(leaked)[:5])
        assert not {line for line in secrets[record.assignment] - own if line in csv_text}, record.key
