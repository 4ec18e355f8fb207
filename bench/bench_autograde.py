"""Benchmark: grading a class with ``minitorch-autograde``, against ``nbgrader autograde``.

What it measures
----------------
A class of N submissions of one exercise (``--exercise``, default ex04; N = 100, 10 with ``--quick``),
made of the reference solution, the untouched released notebook and the exercise's catalogued submissions
(bugs, alternative solutions, cheats), in turn. The same folder (nbgrader's layout,
``submitted/<student>/<assignment>/<notebook>.ipynb``) is graded

* by the classroom autograder (sandboxed, every submission in its own process), with ``--jobs 1`` and
  ``--jobs 2`` (each from scratch: ``--force``, a fresh results folder);
* by ``nbgrader autograde`` (after ``nbgrader generate_assignment``, which is not timed), one kernel per
  submission, serially, as nbgrader does.

It prints the wall-clock seconds per submission of each, the speed-up from 1 to 2 jobs, the throughput of
the autograder (best of its runs) relative to nbgrader's, and whether the totals agree with nbgrader's. Times
are one run each (a batch is long enough to average itself); nothing is asserted. The machine's load matters:
run it on an otherwise idle machine.

    .venv/bin/python bench/bench_autograde.py                  # ex04, 100 submissions (tens of minutes)
    .venv/bin/python bench/bench_autograde.py --quick          # 10 submissions
    .venv/bin/python bench/bench_autograde.py --exercise ex01 --jobs 1 2 --no-nbgrader
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grading import classroom as C
from grading import sandbox as sb
from grading.checks import EXERCISES
from grading.mutants import CATALOGUE, write
from grading.notebooks import released_path, solution_path

ROOT = Path(__file__).resolve().parents[1]


def make_class(root: Path, exercise: str, n: int) -> list[str]:
    """``root/submitted`` with n submissions of the exercise; their student ids."""
    spec = EXERCISES[exercise]
    sources = [solution_path(spec.notebook), released_path(spec.notebook)]
    sources += [write(m, root / "mutants") for m in CATALOGUE if m.exercise == exercise]
    students = []
    for i in range(n):
        student = f"student{i:03d}"
        target = root / "submitted" / student / spec.notebook / f"{spec.notebook}.ipynb"
        target.parent.mkdir(parents=True)
        shutil.copy(sources[i % len(sources)], target)
        students.append(student)
    return students


def run_classroom(root: Path, jobs: int) -> tuple[float, dict[str, float]]:
    out = root / f"out-jobs{jobs}"
    started = time.perf_counter()
    summary = C.run([root / "submitted"], out, jobs=jobs, force=True, progress=False)
    seconds = time.perf_counter() - started
    if summary.interrupted:
        sys.exit("bench_autograde: interrupted; no figures")
    totals = {r["student"]: float(r["points"] or 0.0) for r in C.load_records(out)}
    return seconds, totals


def run_nbgrader(root: Path, exercise: str) -> tuple[float, dict[str, float]] | None:
    notebook = EXERCISES[exercise].notebook
    course = root / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / notebook, course / "solutions" / notebook)
    shutil.copytree(root / "submitted", course / "submitted")
    (course / "jupyter-config").mkdir()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(course / "jupyter-config"),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))

    def nbgrader(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                              text=True)

    generated = nbgrader("generate_assignment", notebook, "--force")
    if generated.returncode != 0:
        print("nbgrader generate_assignment failed:\n" + generated.stderr[-2000:])
        return None
    started = time.perf_counter()
    graded = nbgrader("autograde", notebook, "--force")
    seconds = time.perf_counter() - started
    if graded.returncode != 0:
        print("nbgrader autograde reported errors (timed anyway):\n" + graded.stderr[-1000:])
    from nbgrader.api import Gradebook, MissingEntry

    totals = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in sorted(p.name for p in (course / "submitted").iterdir()):
            try:
                submission = gb.find_submission_notebook(notebook, notebook, student)
            except MissingEntry:
                continue
            totals[student] = float(sum(g.score or 0.0 for g in submission.grades if g.cell_type == "code"))
    return seconds, totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", default="ex04" if "ex04" in EXERCISES else "ex01", choices=sorted(EXERCISES))
    parser.add_argument("--quick", action="store_true", help="10 submissions instead of 100")
    parser.add_argument("-n", type=int, default=None, help="number of submissions")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="--jobs values to time (default: 1 2)")
    parser.add_argument("--no-nbgrader", action="store_true", help="do not time nbgrader autograde")
    args = parser.parse_args()
    n = args.n or (10 if args.quick else 100)
    isolation = sb.detect_isolation()
    print(f"bench_autograde: {n} submissions of {args.exercise} ({EXERCISES[args.exercise].notebook}); "
          f"{os.cpu_count()} cores; isolation {isolation.level}")
    with tempfile.TemporaryDirectory(prefix="bench-autograde-") as tmp:
        root = Path(tmp)
        make_class(root, args.exercise, n)
        results: dict[str, tuple[float, dict]] = {}
        for jobs in args.jobs:
            results[f"autograde --jobs {jobs}"] = run_classroom(root, jobs)
            seconds = results[f"autograde --jobs {jobs}"][0]
            print(f"  autograde --jobs {jobs}: {seconds:8.1f} s  {seconds / n:6.2f} s per submission", flush=True)
        if not args.no_nbgrader:
            timed = run_nbgrader(root, args.exercise)
            if timed is not None:
                results["nbgrader autograde"] = timed
                print(f"  nbgrader autograde:  {timed[0]:8.1f} s  {timed[0] / n:6.2f} s per submission", flush=True)
    if "autograde --jobs 1" in results and "autograde --jobs 2" in results:
        speedup = results["autograde --jobs 1"][0] / results["autograde --jobs 2"][0]
        print(f"speed-up from 1 to 2 jobs: {speedup:.2f}x (target >= 1.7x)")
    ours = [(name, r) for name, r in results.items() if name.startswith("autograde")]
    if "nbgrader autograde" in results and ours:
        best_name, (best, totals) = min(ours, key=lambda item: item[1][0])
        nb_seconds, nb_totals = results["nbgrader autograde"]
        print(f"throughput vs nbgrader autograde: {nb_seconds / best:.2f}x with {best_name.split(' ', 1)[1]} "
              f"(target >= 3x)")
        differ = sorted(s for s in nb_totals if abs(nb_totals[s] - totals.get(s, -1.0)) > 1e-6)
        print(f"totals equal to nbgrader's: {len(nb_totals) - len(differ)} of {len(nb_totals)}"
              + (f" (differ: {', '.join(differ[:10])})" if differ else ""))
    first = [r for name, r in ours]
    if len(first) > 1 and any(r[1] != first[0][1] for r in first[1:]):
        print("note: the autograder's runs gave different totals")


if __name__ == "__main__":
    main()
