"""Grade one notebook in a fresh Python process: the grader of the exercises not converted to the data-only
sandbox yet (:func:`grading.grade.grade_notebook` calls it for them; it goes once every exercise has probes).

The parent (:func:`grade_notebook`) starts ``python -m grading.runner`` on the
notebook. The child executes the notebook's code cells (never its test cells)
in a fresh namespace, loads the reference solution, runs each part's checks and
writes one JSON line per part. If the child dies (a segfault from deep
recursion, memory, a hang), the part it was on is marked *crashed* and a new
child grades the remaining parts, so one bad part never costs the others.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .checks import exercise as exercise_spec
from .checks import exercise_of_notebook
from .core import PartResult, run_part
from .notebooks import execute, load_reference, new_namespace, read, solution_path
from .report import NotebookReport
from .grade import grade_notebook, report_for  # the one grading path, under its old names

__all__ = ["grade_in_subprocess", "grade_notebook", "report_for"]

#: Memory a grading process may use (address space), and the wall-clock limit per notebook.
MEMORY_LIMIT = 8 * 2**30
NOTEBOOK_TIMEOUT = 600


def _child_env() -> dict:
    env = dict(os.environ)
    env.update(PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONIOENCODING="utf-8")
    return env


def grade_in_subprocess(path: str | os.PathLike, *, hidden: bool = True, exercise: str | None = None,
                        parts: list[str] | None = None, timeout: float = NOTEBOOK_TIMEOUT) -> NotebookReport:
    """Grade ``path``: the visible checks only, or (``hidden=True``) every check."""
    path = Path(path)
    spec = exercise_spec(exercise) if exercise else exercise_of_notebook(path.name)
    if spec is None:
        raise ValueError(f"{path.name}: cannot tell which exercise this is (name it exNN_...ipynb or pass exercise=)")
    todo = list(parts or spec.parts)
    results: dict[str, PartResult] = {}
    cell_errors: list[str] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="grading-") as tmp:
        out = Path(tmp) / "results.jsonl"
        while todo:
            if out.exists():
                out.unlink()
            command = [sys.executable, "-m", "grading.runner", str(path.resolve()), "--exercise", spec.id,
                       "--out", str(out), "--parts", ",".join(todo)] + ([] if hidden else ["--visible-only"])
            remaining = max(1.0, timeout - (time.monotonic() - started))
            try:
                proc = subprocess.run(command, cwd=path.resolve().parent, env=_child_env(), capture_output=True,
                                      text=True, timeout=remaining)
                problem = None if proc.returncode == 0 else _describe_exit(proc.returncode, proc.stderr)
            except subprocess.TimeoutExpired:
                problem = f"grading took longer than {timeout:g} s in all"
            lines = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
            cells_ran = False
            for record in lines:
                if record["type"] == "cells":
                    cells_ran = True
                    cell_errors = record["errors"]
                elif record["type"] == "part":
                    result = PartResult.from_dict(record["result"])
                    results[result.part] = result
            todo = [p for p in todo if p not in results]
            if problem is None:
                if todo:  # cannot happen unless the child misbehaves
                    problem = "the grading process stopped early"
                else:
                    break
            if not cells_ran:
                # The notebook's own cells crash the process: nothing can be graded.
                for name in todo:
                    results[name] = _crashed(spec.id, name, f"running the notebook's cells failed: {problem}")
                break
            results[todo[0]] = _crashed(spec.id, todo[0], problem)
            todo = todo[1:]
    ordered = [results[name] for name in (parts or spec.parts) if name in results]
    return NotebookReport(str(path), spec.id, spec.title, hidden, ordered, cell_errors,
                          round(time.monotonic() - started, 3))


def _crashed(exercise: str, part: str, why: str) -> PartResult:
    spec = exercise_spec(exercise).parts[part]
    return PartResult(exercise, part, spec.title, spec.points, [], crashed=why)


def _describe_exit(code: int, stderr: str) -> str:
    if code < 0:
        import signal

        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        why = {"SIGSEGV": " (a crash, often from very deep recursion)", "SIGKILL": " (killed, often out of memory)"}
        return f"the grading process died with {name}{why.get(name, '')}"
    tail = stderr.strip().splitlines()[-1:] or [""]
    return f"the grading process exited with code {code}: {tail[0]}"


# --------------------------------------------------------------------------- child

def _limit_memory() -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(MEMORY_LIMIT, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading.runner", description=__doc__)
    parser.add_argument("notebook")
    parser.add_argument("--exercise", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--parts", required=True)
    parser.add_argument("--visible-only", action="store_true")
    args = parser.parse_args(argv)
    _limit_memory()
    spec = exercise_spec(args.exercise)
    reference = load_reference(spec.id, spec.notebook)
    namespace = new_namespace("__main__")
    source = read(solution_path(spec.notebook))
    errors = execute(read(args.notebook), namespace, label="notebook", restore_from=source)
    with open(args.out, "a", encoding="utf-8") as out:
        def emit(record: dict) -> None:
            out.write(json.dumps(record) + "\n")
            out.flush()

        emit({"type": "cells", "errors": [str(e) for e in errors]})
        for name in args.parts.split(","):
            part = spec.parts[name]
            result = PartResult(spec.id, name, part.title, part.points)
            result.checks += run_part(part, namespace, reference, hidden=False)
            if not args.visible_only:
                result.checks += run_part(part, namespace, reference, hidden=True, previous=result.checks)
            emit({"type": "part", "result": result.to_dict()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
