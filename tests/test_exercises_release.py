"""The released notebooks in exercises/ are exactly what the release command makes from solutions/.

* regenerating (nbgrader generate_assignment, as `make release` runs it) reproduces exercises/ byte for byte;
* no released file contains solution code or hidden tests;
* the source notebooks and the checks in grading/ agree (one test cell per part, same points).
"""

from __future__ import annotations

import json
import re

import pytest

from grading import release as R
from grading.checks import EXERCISES
from grading.notebooks import is_test_cell, nbgrader, read, released_path, solution_path, source

REGENERATE = "regenerate them with `make release` (python -m grading release) and commit exercises/"


@pytest.fixture(scope="module")
def fresh_release(tmp_path_factory):
    return R.release(tmp_path_factory.mktemp("release"))


def test_regenerating_reproduces_the_committed_exercises(fresh_release):
    fresh, committed = R.files(fresh_release), R.files(R.EXERCISES_DIR)
    assert sorted(committed) == sorted(fresh), f"exercises/ has different files than a fresh release: {REGENERATE}"
    changed = [name for name in fresh if fresh[name] != committed[name]]
    assert not changed, f"exercises/ is out of date ({', '.join(changed)}): {REGENERATE}"


def test_every_exercise_has_a_source_and_a_released_notebook():
    assert R.assignments() == sorted(spec.notebook for spec in EXERCISES.values())
    for spec in EXERCISES.values():
        assert solution_path(spec.notebook).is_file()
        assert released_path(spec.notebook).is_file()


@pytest.mark.parametrize("name", R.assignments())
def test_no_released_file_contains_solutions_or_hidden_tests(name):
    source_nb = read(R.SOLUTIONS_DIR / name / f"{name}.ipynb")
    secrets = R.secret_lines(source_nb)
    assert len(secrets) >= 5, "the leak check needs solution lines to look for"
    for path in (R.EXERCISES_DIR / name).rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for marker in R.MARKERS:
            assert marker not in text, f"{path}: contains {marker!r}"
        if path.suffix == ".ipynb":
            assert R.leaks(json.loads(text), source_nb) == [], path


@pytest.mark.parametrize("name", R.assignments())
def test_the_leak_check_would_notice_a_leak(name):
    source_nb = read(R.SOLUTIONS_DIR / name / f"{name}.ipynb")
    assert R.leaks(source_nb, source_nb), "the source itself must count as leaking"


@pytest.mark.parametrize("name", R.assignments())
def test_released_notebooks_are_stubs_without_outputs(name):
    released = read(R.EXERCISES_DIR / name / f"{name}.ipynb")
    solution_cells = [c for c in released["cells"] if nbgrader(c).get("solution")]
    assert solution_cells
    for cell in solution_cells:
        assert "raise NotImplementedError()" in source(cell)
    for cell in released["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_source_notebook_matches_the_checks(exercise_id):
    spec = EXERCISES[exercise_id]
    nb = read(solution_path(spec.notebook))
    tests = [c for c in nb["cells"] if is_test_cell(c)]
    found = {}
    for cell in tests:
        text = source(cell)
        match = re.search(r'Part\("(\w+)", "(\w+)", globals\(\)\)', text)
        assert match, f"test cell without a Part(...) call:\n{text}"
        assert match.group(1) == exercise_id
        meta = nbgrader(cell)
        assert meta.get("grade") and meta.get("locked") and not meta.get("solution")
        assert meta["grade_id"] == f"{exercise_id}_test_{match.group(2)}"
        assert float(meta["points"]) == spec.parts[match.group(2)].points, match.group(2)
        assert "### BEGIN HIDDEN TESTS\npart.run_hidden()\n### END HIDDEN TESTS" in text
        assert text.rstrip().endswith("part.points()"), "nbgrader reads the last expression as partial credit"
        found[match.group(2)] = found.get(match.group(2), 0) + 1
    assert found == {name: 1 for name in spec.parts}, "one test cell per part, in any order"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, "commit solutions without outputs"


def test_grade_ids_are_unique_across_the_course():
    ids = [
        nbgrader(c)["grade_id"]
        for name in R.assignments()
        for c in read(R.SOLUTIONS_DIR / name / f"{name}.ipynb")["cells"]
        if nbgrader(c)
    ]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
