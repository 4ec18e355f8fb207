"""End to end with nbgrader itself: `nbgrader autograde` gives the same points as the grading suites.

A throw-away course (this repository's nbgrader_config.py and solutions/) gets three submissions per
exercise: the reference solution, the untouched released notebook and one catalogued bug, and hostile
submissions whose grade does not depend on how the code is isolated (:data:`HOSTILE`). nbgrader executes
their test cells (with the hidden tests restored from its gradebook) in a Jupyter kernel; each cell's points
must equal the points the subprocess grader gives the same part.
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

from grading.checks import EXERCISES
from grading.grade import report_for
from grading.mutants import CATALOGUE, write
from grading.notebooks import REPO_ROOT, solution_path

# Bugs whose points do not depend on timing (no check near a time limit).
BUGS = {"ex01": "product_rule_one_term", "ex02": "dfs_reversed_preorder", "ex03": "fanout_assigns"}
BUGS.update({"ex06": "parameter_grads_lost", "ex07": "implicit_wrong_sign"})
BUGS.update({"ex04": "softmax_without_subtraction", "ex05": "ste_wrong_sign"})

#: Hostile submissions (student -> exercise, solution cell's grade_id, its new source, parts that score zero):
#: in a kernel the tripwire is a profile hook, which this kahn_sort switches off before calling minitorch's
#: own sort; the sandbox's tripwire does not depend on it. Both must give zero on exactly those parts.
HOSTILE = {
    "tamperer": (
        "ex02",
        "ex02_kahn",
        "import sys, minitorch\ndef kahn_sort(output):\n    sys.setprofile(None)\n"
        "    return minitorch.graph.topological_sort(output)\n",
        {"kahn_order", "kahn_cycles", "kahn_deep"},
    ),
}


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("course")
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root)
    shutil.copytree(
        REPO_ROOT / "solutions", root / "solutions", ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    )
    (root / "jupyter-config").mkdir()
    # nbgrader runs `alembic` (from the virtual environment's bin/) when it opens its gradebook.
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(root / "jupyter-config"),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )
    nbgrader = [sys.executable, "-m", "nbgrader"]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(nbgrader + list(args), cwd=root, env=env, capture_output=True, text=True, timeout=600)

    generated = run("generate_assignment", "*", "--force")
    assert generated.returncode == 0, generated.stderr
    mutants = {m.name: m for m in CATALOGUE}
    for spec in EXERCISES.values():
        name = spec.notebook
        for student, source in (
            ("reference", solution_path(name)),
            ("untouched", root / "exercises" / name / f"{name}.ipynb"),
            ("buggy", write(mutants[BUGS[spec.id]], root / "mutants") if spec.id in BUGS else None),
        ):
            if source is None:
                continue
            target = root / "submitted" / student / name / f"{name}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
    for student, (exercise_id, grade_id, text, _) in HOSTILE.items():
        name = EXERCISES[exercise_id].notebook
        nb = json.loads(solution_path(name).read_text())
        (cell,) = [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id]
        cell["source"] = text
        target = root / "submitted" / student / name / f"{name}.ipynb"
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(nb))
    graded = run("autograde", "*", "--force")
    assert graded.returncode == 0, graded.stderr[-3000:]
    return root


def _nbgrader_points(course: Path, student: str, notebook: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission_notebook(notebook, notebook, student)
        return {grade.name: grade.score for grade in submission.grades if grade.cell_type == "code"}


@pytest.mark.parametrize("student", ["reference", "untouched", "buggy"])
@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_autograde_matches_the_grading_suite(course, exercise_id, student):
    spec = EXERCISES[exercise_id]
    if student == "buggy" and exercise_id not in BUGS:
        pytest.fail(f"add a bug for {exercise_id} to BUGS")
    nbgrader_points = _nbgrader_points(course, student, spec.notebook)
    submitted = course / "submitted" / student / spec.notebook / f"{spec.notebook}.ipynb"
    report = report_for(submitted)
    ours = {f"{exercise_id}_test_{p.part}": p.points for p in report.parts}
    assert set(nbgrader_points) == set(ours)
    for grade_id, value in ours.items():
        assert nbgrader_points[grade_id] == pytest.approx(value, abs=1e-6), grade_id
    total = sum(nbgrader_points.values())
    if student == "reference":
        assert total == spec.max_points
    elif student == "untouched":
        assert total == 0
    else:
        assert 0 < total < spec.max_points


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_autograde_matches_the_grading_suite_on_hostile_submissions(course, student):
    exercise_id, _, _, zeroed = HOSTILE[student]
    spec = EXERCISES[exercise_id]
    nbgrader_points = _nbgrader_points(course, student, spec.notebook)
    report = report_for(course / "submitted" / student / spec.notebook / f"{spec.notebook}.ipynb")
    for part in report.parts:
        grade_id = f"{exercise_id}_test_{part.part}"
        assert nbgrader_points[grade_id] == pytest.approx(part.points, abs=1e-6), grade_id
        assert (part.points == 0) == (part.part in zeroed), (part.part, part.status)


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


def test_no_feedback_or_csv_contains_solution_code_or_hidden_check_source(tmp_path):
    """The whole catalogue (bugs, alternatives, cheats) and the untouched notebooks, graded by the classroom
    runner: no line of solutions/ code and no line of a check's source reaches a student, except lines the
    student's own notebook contains (or a hint quotes: hints are written to be shown)."""
    from grading import classroom
    from grading.notebooks import PACKAGE_DIR, read, released_path, source
    from grading.record import read_records
    from grading.release import secret_lines

    submitted = {}
    for mutant in CATALOGUE:
        notebook = EXERCISES[mutant.exercise].notebook
        submitted[mutant.name, notebook] = write(mutant, tmp_path / "mutants")
    for spec in EXERCISES.values():
        submitted["untouched", spec.notebook] = released_path(spec.notebook)
    for (student, notebook), path in submitted.items():
        target = tmp_path / "submitted" / student / notebook / f"{notebook}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    summary = classroom.run([tmp_path / "submitted"], tmp_path / "out", progress=False)
    assert summary.graded == len(submitted)
    secrets = {spec.notebook: set(secret_lines(read(solution_path(spec.notebook)))) for spec in EXERCISES.values()}
    checks = set().union(*(_code_lines(p) for p in (PACKAGE_DIR / "checks").glob("ex*.py")))
    csv_text = (tmp_path / "out" / "grades.csv").read_text(encoding="utf-8")
    records = read_records(tmp_path / "out")
    hints = {c.hint for r in records for p in r.parts for c in p.checks if c.hint}  # written to be shown
    not_in_hints = lambda lines: {line for line in lines if not any(line in hint for hint in hints)}
    secrets = {notebook: not_in_hints(lines) for notebook, lines in secrets.items()}
    checks = not_in_hints(checks)
    for record in records:
        own = {line.strip() for cell in read(record.notebook)["cells"] for line in source(cell).splitlines()}
        feedback = (tmp_path / "out" / "feedback" / record.student / f"{record.assignment}.txt").read_text()
        shown = {line.strip() for line in feedback.splitlines()} | {
            line.strip() for line in (record.reason or "").split("; ")
        }
        leaked = {line for line in (secrets[record.assignment] | checks) - own if any(line in s for s in shown)}
        assert not leaked, (record.key, sorted(leaked)[:5])
        assert not {line for line in secrets[record.assignment] - own if line in csv_text}, record.key
