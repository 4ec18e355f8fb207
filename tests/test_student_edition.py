"""The student edition (``python -m grading edition DEST``): nothing of the answers leaks into it, and the
self-check works inside it.

* no file of ``solutions/`` or of the catalogue, no line of a solution cell's code (BEGIN/END SOLUTION), no
  hidden test and no notebook output anywhere in it;
* its checks modules hold the visible cases only: the same visible checks as the repository's, no hidden one;
* ``python -m grading check`` run inside it (its own grading and minitorch, no solutions/) gives a reference
  solution every visible check, a catalogued bug lost points, the untouched notebook 0, "not implemented yet";
* in the repository, the public reference (:mod:`grading.public`) gives a cross-section of the catalogue
  (:func:`grading.mutants.sample`; `MINITORCH_CATALOGUE=all`: all of it) the same
  visible verdicts as the reference solution, for every exercise.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import math
import os
import pickle
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grading import core
from grading.checks import EXERCISES
from grading.core import StudentFailure, run_part
from grading.edition import EditionError, strip_hidden, write_edition
from grading.grade import Sandboxed
from grading.mutants import CATALOGUE, apply, sample, write
from grading.notebooks import (
    REPO_ROOT,
    cells_to_run,
    load_public_reference,
    load_reference,
    nbgrader,
    read,
    solution_path,
    source,
)
from grading.sandbox.limits import Limits

SOLUTION_BLOCK = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("edition") / "course"
    write_edition(dest)
    return dest


def _text_files(root: Path) -> dict[str, str]:
    texts = {}
    for path in root.rglob("*"):
        if path.is_file():
            try:
                texts[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
    return texts


def _public_lines() -> set[str]:
    """Lines the course publishes anyway: minitorch/, the book, the released notebooks' given code and the
    grader's own code (a generic line such as ``out.backward(minitorch.ones_like(out))`` is in several)."""
    lines = set()
    for folder in ("minitorch", "book", "exercises", "grading"):
        for path in (REPO_ROOT / folder).rglob("*"):
            skip = {"_build", "public", "mutants"} & set(path.parts)
            if path.is_file() and path.suffix in (".py", ".md", ".ipynb") and not skip:
                lines |= {
                    line.strip().strip('",').replace("\\n", "")
                    for line in path.read_text(encoding="utf-8").splitlines()
                }
    return lines


def _solution_lines() -> set[str]:
    """The distinctive lines of every solution cell's code: long enough to mean something, not published anyway."""
    lines = set()
    for spec in EXERCISES.values():
        for cell in read(solution_path(spec.notebook))["cells"]:
            for block in SOLUTION_BLOCK.findall(source(cell)):
                lines |= {line.strip() for line in block.splitlines()}
    return {line for line in lines if len(line) >= 20 and not line.startswith("#")} - _public_lines()


def test_the_edition_holds_the_course_without_solutions_or_the_catalogue(edition):
    files = {p.relative_to(edition).as_posix() for p in edition.rglob("*") if p.is_file()}
    for needed in ("README.md", "Makefile", "pyproject.toml", "minitorch/__init__.py", "book/_toc.yml"):
        assert needed in files
    for spec in EXERCISES.values():
        assert f"exercises/{spec.notebook}/{spec.notebook}.ipynb" in files
        assert {f"grading/checks/{spec.id}.py", f"grading/checks/{spec.id}/__init__.py"} & files
        assert f"grading/public/{spec.id}.py" in files
    leaked = sorted(f for f in files if f.startswith(("solutions/", "grading/mutants/", "tests/test_")))
    assert not leaked
    # the book's own sources and the framework are the repository's, byte for byte
    for name in files:
        if name.startswith(("minitorch/", "book/")):
            assert (edition / name).read_bytes() == (REPO_ROOT / name).read_bytes(), name


def test_every_file_the_book_includes_or_reads_is_in_the_edition(edition):
    for chapter in (edition / "book").rglob("*.md"):
        for target in re.findall(r"\.\./\.\./([\w./-]+)", chapter.read_text(encoding="utf-8")):
            target = target.rstrip(".")
            if (REPO_ROOT / target).exists():  # (a benchmark's results may not be recorded yet)
                assert (edition / target).exists(), f"{chapter.name} needs {target}"


def test_no_line_of_a_solution_cell_and_no_hidden_test_is_in_the_edition(edition):
    solution_lines = _solution_lines()
    assert len(solution_lines) > 50  # the scan has something to find
    leaks = [
        f"{name}: {line.strip()}"
        for name, text in _text_files(edition).items()
        for line in text.splitlines()
        if line.strip() in solution_lines
    ]
    assert not leaks, "\n".join(leaks[:20])
    for path in edition.rglob("*.ipynb"):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            text = source(cell)
            assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text and "run_hidden" not in text
            assert not cell.get("outputs") and cell.get("execution_count") is None, f"{path.name} has outputs"


def _visible_and_hidden_cases() -> dict:
    """{exercise: {part: (visible case names, hidden case names)}} of the grading package imported here."""
    cases = {}
    for spec in EXERCISES.values():
        reference = load_public_reference(spec.id, spec.notebook)
        cases[spec.id] = {
            name: [[c.what for c in part.cases(core.Tester(part, {}, reference, hidden))] for hidden in (False, True)]
            for name, part in spec.parts.items()
        }
    return cases


def _in_edition(edition: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """``python *args`` in the edition: its grading and minitorch, no solutions/ anywhere."""
    env = {k: v for k, v in os.environ.items() if k != "MINITORCH_SOLUTIONS"}
    env["PYTHONPATH"] = str(edition)
    return subprocess.run(
        [sys.executable, *args], cwd=edition, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_the_editions_checks_are_the_visible_ones_and_only_those(edition):
    code = (
        "import json, grading, tests_cases\n"
        "assert grading.__file__.startswith(%r)\n"
        "print(json.dumps(tests_cases.cases()))\n"
    ) % str(edition)
    helper = edition / "tests_cases.py"
    helper.write_text(
        "from grading.checks import EXERCISES\nfrom grading.core import Tester\n"
        "from grading.notebooks import load_reference\n\n\ndef cases():\n"
        "    out = {}\n    for spec in EXERCISES.values():\n"
        "        reference = load_reference(spec.id, spec.notebook)\n"
        "        out[spec.id] = {n: [[c.what for c in p.cases(Tester(p, {}, reference, h))] for h in (False, True)]"
        " for n, p in spec.parts.items()}\n    return out\n"
    )
    try:
        result = _in_edition(edition, "-c", code)
    finally:
        helper.unlink()
    assert result.returncode == 0, result.stderr
    there = json.loads(result.stdout)
    here = _visible_and_hidden_cases()
    assert set(there) == set(here)
    for exercise, parts in here.items():
        assert any(hidden for _, hidden in parts.values()), f"{exercise} has no hidden case to leave out"
        for part, (visible, _) in parts.items():
            assert there[exercise][part] == [visible, []], f"{exercise}/{part}"


def test_stripping_cuts_the_hidden_cases_and_keeps_the_rest_byte_for_byte():
    text = (
        "import math\n\nHIDDEN_INPUTS = (\n    1e300,\n)\n\ndef _hidden_only(t):\n    return 1\n\n\n"
        '@EXERCISE.part("p")\ndef cases(t):\n    # visible first\n    if not t.hidden:\n        yield other(t)  \n'
        "        return\n    # hidden ones\n    yield _hidden_only(t)\n"
        "    for i in HIDDEN_INPUTS:\n        yield i\n\n\n"
        "def other(t):\n    return math.pi\n"
    )
    assert strip_hidden(text, "m.py") == (
        "import math\n\n\n\n\n"
        '@EXERCISE.part("p")\ndef cases(t):\n    # visible first\n    if not t.hidden:\n        yield other(t)  \n'
        "        return\n\n\ndef other(t):\n    return math.pi\n"
    )


@pytest.mark.parametrize(
    "body",
    [
        "    if t.hidden:\n        yield 2\n    yield 1\n",
        "    if not t.hidden:\n        yield 1\n    yield 2\n",  # no return: the visible block runs on
        "    yield from (range(3) if t.hidden else range(1))\n",
    ],
)
def test_any_other_use_of_hidden_is_refused_naming_the_function(body):
    with pytest.raises(EditionError, match=r"m\.py: cases\(\) uses \.hidden"):
        strip_hidden(f"def cases(t):\n{body}", "m.py")


def test_the_destination_must_be_new_or_empty_and_outside_the_repository(tmp_path):
    with pytest.raises(EditionError, match="outside the repository"):
        write_edition(REPO_ROOT / "build" / "student-edition")
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    with pytest.raises(EditionError, match="not an empty folder"):
        write_edition(tmp_path / "taken")


def test_the_student_makefile_keeps_only_what_works_there(edition):
    makefile = (edition / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"(?m)^([\w$().-]+):(?!=)", makefile)) - {".PHONY"}
    assert targets == {"help", "venv", "book", "pdf", "print-pdf", "chromium", "check", "clean", "$(STAMP)"}
    assert not re.search(r"make (test|release|grade|autograde|bench|student-edition)\b", makefile)
    result = subprocess.run(["make", "-n", "check", "NB=x.ipynb"], cwd=edition, capture_output=True, text=True)
    assert result.returncode == 0 and "-m grading check" in result.stdout, result.stderr
    readme = (edition / "README.md").read_text(encoding="utf-8")
    assert "## For students" in readme and "## For instructors" not in readme and "make check NB=" in readme


def _check_json(edition: Path, notebook: Path) -> dict:
    result = _in_edition(edition, "-m", "grading", "check", "--json", str(notebook))
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def _points(report: dict) -> dict[str, tuple[float, float]]:
    return {p["part"]: (p["points"], p["max_points"]) for p in report["parts"]}


def test_the_self_check_works_inside_the_edition(edition, tmp_path):
    spec = EXERCISES["ex02"]
    reference = tmp_path / "reference" / f"{spec.notebook}.ipynb"
    reference.parent.mkdir()
    reference.write_bytes(solution_path(spec.notebook).read_bytes())
    full = _check_json(edition, reference)
    assert all(points == most for points, most in _points(full).values()), full
    bug = next(m for m in CATALOGUE if m.name == "dfs_reversed_preorder")
    lost = {
        part for part, (points, most) in _points(_check_json(edition, write(bug, tmp_path))).items() if points < most
    }
    assert lost and lost <= set(bug.breaks)
    # the released notebook, where students work, with a scratch cell of the student's that fails: the reference
    # (from that file's read-only cells) is unaffected
    released = edition / "exercises" / spec.notebook / f"{spec.notebook}.ipynb"
    original = released.read_bytes()
    nb = json.loads(original)
    nb["cells"].append(
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": "raise RuntimeError('a scratch cell')",
        }
    )
    released.write_text(json.dumps(nb), encoding="utf-8")
    try:
        untouched = _check_json(edition, released)
    finally:
        released.write_bytes(original)
    assert all(points == 0 for points, _ in _points(untouched).values())
    assert {p["status"] for p in untouched["parts"]} == {"not implemented yet"}


class Replay:
    """A sandboxed backend whose probes run once: asked again (by the second reference's run of the same checks)
    it gives the same reply, failure and tripwire reports, so only the reference differs."""

    def __init__(self, backend: Sandboxed):
        self.backend, self.replies = backend, {}

    def __getattr__(self, name: str):
        return getattr(self.backend, name)

    def probe(self, exercise: str, name: str, args: dict, allow: tuple) -> object:
        key = pickle.dumps((exercise, name, args, allow))
        if key not in self.replies:
            before = len(self.backend.seen)
            try:
                outcome = ("value", self.backend.probe(exercise, name, args, allow))
            except StudentFailure as exc:
                outcome = ("failure", exc)
            self.replies[key] = (outcome, self.backend.seen[before:])
        else:
            self.backend.seen.extend(label for label in self.replies[key][1] if label not in self.backend.seen)
        (kind, value), _ = self.replies[key]
        if kind == "failure":
            raise value
        return value


def _verdicts_both_ways(mutant) -> list[str]:
    """Where the mutant's visible verdicts with the public reference differ from those with the solution."""
    spec = EXERCISES[mutant.exercise]
    real = load_reference(spec.id, spec.notebook)
    public = load_public_reference(spec.id, spec.notebook)
    cells, _ = cells_to_run(apply(mutant), read(solution_path(spec.notebook)))
    backend = Sandboxed(cells, "auto", Limits(), time.monotonic() + 900, 60.0)
    replay = Replay(backend)
    differences = []
    try:
        for name, part in spec.parts.items():
            if backend.start() is not None:
                continue
            backend.died = None
            # no time budget: the second run replays the first one's replies, so only the first could run out
            unlimited = dataclasses.replace(part, budget=math.inf)
            outcomes = [
                [(c.what, c.status) for c in run_part(unlimited, {}, ref, hidden=False, backend=replay)]
                for ref in (real, public)
            ]
            if outcomes[0] != outcomes[1]:
                differences.append(f"{mutant.name} / {name}: {outcomes[0]} != {outcomes[1]}")
    finally:
        backend.close()
    return differences


@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_the_public_reference_gives_the_catalogue_the_same_visible_verdicts(exercise):
    mutants = [m for m in sample() if m.exercise == exercise]
    assert mutants, f"{exercise} has no catalogue"
    # one mutant at a time: the public reference replays the replies the solution got from the same sandbox
    differences = [d for mutant in mutants for d in _verdicts_both_ways(mutant)]
    assert not differences, "\n".join(differences)


@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_the_public_reference_defines_every_name_of_the_solution_cells(exercise):
    spec = EXERCISES[exercise]
    defined = set()
    for cell in read(solution_path(spec.notebook))["cells"]:
        if nbgrader(cell).get("solution") and cell.get("cell_type") == "code":
            for node in ast.parse(source(cell)).body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    defined.add(node.name)
                elif isinstance(node, ast.Assign):
                    defined |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    public = load_public_reference(spec.id, spec.notebook)
    assert defined and defined <= set(public), sorted(defined - set(public))
