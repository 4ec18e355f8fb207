"""Benchmark: grading a class with ``minitorch-autograde``, against ``nbgrader autograde``.

What it measures
----------------
A class of N submissions of each exercise (``--exercise``, default ex04 then ex02 and ex03; N = 100, 10 with
``--quick``), made of the reference solution, the untouched released notebook and the exercise's catalogued
submissions (bugs, alternative solutions, cheats), in turn, in nbgrader's layout. It is graded

* in blocks of ``--block`` submissions, each block three ways, in an order that turns from block to block:
  by the classroom runner (sandboxed, every submission in its own process) with 1 and with 2 local grading
  processes, and by ``nbgrader autograde`` (one kernel per submission, serially, as nbgrader does; its
  ``generate_assignment`` is not timed). The 1 -> 2 jobs speed-up and the throughput against nbgrader are
  the medians of the blocks' ratios (so a machine whose load changes during the run still compares like
  with like); the seconds are sums over the blocks;
* and the sandbox's start-up: the median time from asking for a sandboxed process to its first answer, the
  fixed cost of each submission graded through probes.

It prints seconds per submission, the ratios against the targets (throughput >= 5x nbgrader's, 1 -> 2 jobs
>= 1.8x, start-up <= 0.3 s), the load average, and whether the totals agree with nbgrader's. Nothing is
asserted.

    .venv/bin/python bench/bench_autograde.py                  # ex04, ex02, ex03: 100 each (an hour or more)
    .venv/bin/python bench/bench_autograde.py --quick          # 10 each
    .venv/bin/python bench/bench_autograde.py --exercise ex01 -n 20 --no-nbgrader
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grading import classroom
from grading.checks import EXERCISES
from grading.mutants import CATALOGUE, write
from grading.notebooks import released_path, solution_path
from grading.record import read_records

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


def run_classroom(root: Path, students: list[str], jobs: int, out: Path) -> float:
    """Seconds to grade these students' submissions from scratch with ``jobs`` local processes."""
    block = root / f"block-{jobs}"
    shutil.rmtree(block, ignore_errors=True)
    for student in students:
        shutil.copytree(root / "submitted" / student, block / student)
    started = time.perf_counter()
    summary = classroom.run([block], out, jobs=jobs, force=True, progress=False)
    if summary.interrupted:
        sys.exit("bench_autograde: interrupted; no figures")
    return time.perf_counter() - started


def sandbox_startup(repeats: int = 10) -> float:
    """Median seconds from asking for a sandboxed process to its first answer (then it is closed): the fixed
    cost of every submission graded through probes."""
    from grading.sandbox.process import Sandbox

    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        Sandbox("auto").close()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run_nbgrader(root: Path, exercise: str, students: list[str], name: str) -> tuple[float, dict[str, float]] | None:
    """Seconds ``nbgrader autograde`` takes on these students' submissions (in a course of their own, ``name``),
    and its totals; None if nbgrader cannot run."""
    notebook = EXERCISES[exercise].notebook
    course = root / name
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / notebook, course / "solutions" / notebook)
    for student in students:
        shutil.copytree(root / "submitted" / student, course / "submitted" / student)
    (course / "jupyter-config").mkdir()
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(course / "jupyter-config"),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )

    def nbgrader(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True, text=True
        )

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


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def bench(exercise: str, n: int, block: int, nbgrader: bool) -> None:
    print(f"== {exercise} ({EXERCISES[exercise].notebook}): {n} submissions, blocks of {block}; {load()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-autograde-") as tmp:
        root = Path(tmp)
        students = make_class(root, exercise, n)
        ways = ["1", "2"] + (["nbgrader"] if nbgrader else [])
        seconds = dict.fromkeys(ways, 0.0)
        jobs_ratios, nbgrader_ratios, nb_totals = [], [], {}
        for number, i in enumerate(range(0, n, block)):
            chunk, times = students[i : i + block], {}
            for way in ways[number % len(ways) :] + ways[: number % len(ways)]:
                if way == "nbgrader":
                    timed = run_nbgrader(root, exercise, chunk, f"course-{number}")
                    if timed is None:
                        continue
                    times[way], totals = timed
                    nb_totals.update(totals)
                else:
                    times[way] = run_classroom(root, chunk, int(way), root / f"out-{way}")
            jobs_ratios.append(times["1"] / times["2"])
            if "nbgrader" in times:
                nbgrader_ratios.append(times["nbgrader"] / times["2"])
            for way, value in times.items():
                seconds[way] += value
            print(
                f"  block {number + 1}: "
                + ", ".join(f"{way} {value:.1f} s" for way, value in times.items())
                + f"; {load()}",
                flush=True,
            )
        for jobs in ("1", "2"):
            print(f"  autograde --jobs {jobs}: {seconds[jobs]:8.1f} s  {seconds[jobs] / n:6.2f} s per submission")
        print(
            f"  speed-up from 1 to 2 jobs: {statistics.median(jobs_ratios):.2f}x (median of {len(jobs_ratios)} "
            "blocks; target >= 1.8x)"
        )
        startup = sandbox_startup()
        print(f"  sandbox start-up per submission: {startup:.2f} s (target <= 0.3 s)")
        if nbgrader_ratios:
            totals = {r.student: r.points for r in read_records(root / "out-2")}
            print(
                f"  nbgrader autograde:  {seconds['nbgrader']:8.1f} s  {seconds['nbgrader'] / n:6.2f} s per submission"
            )
            print(
                f"  throughput vs nbgrader autograde: {statistics.median(nbgrader_ratios):.2f}x with 2 jobs (median of "
                f"{len(nbgrader_ratios)} blocks; target >= 5x)"
            )
            differ = sorted(s for s in nb_totals if abs(nb_totals[s] - totals.get(s, -1.0)) > 1e-6)
            print(
                f"  totals equal to nbgrader's: {len(nb_totals) - len(differ)} of {len(nb_totals)}"
                + (f" (differ: {', '.join(differ[:10])})" if differ else "")
                + f"; {load()}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", nargs="+", default=["ex04", "ex02", "ex03"], choices=sorted(EXERCISES))
    parser.add_argument("--quick", action="store_true", help="10 submissions instead of 100")
    parser.add_argument("-n", type=int, default=None, help="number of submissions per exercise")
    parser.add_argument("--block", type=int, default=20, help="submissions per timed block (default 20)")
    parser.add_argument("--no-nbgrader", action="store_true", help="do not time nbgrader autograde")
    args = parser.parse_args()
    n = args.n or (10 if args.quick else 100)
    print(f"bench_autograde: {os.cpu_count()} cores")
    for exercise in args.exercise:
        bench(exercise, n, min(args.block, n), not args.no_nbgrader)


if __name__ == "__main__":
    main()
