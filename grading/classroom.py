"""Grade a whole class: ``minitorch-autograde`` (``make autograde``, ``python -m grading autograde``).

    minitorch-autograde [PATH] [--out DIR] [--jobs N] [--force] [--timeout S] [--memory MB] ...

PATH is one notebook, or a folder in nbgrader's layout, ``submitted/<student>/<assignment>/<notebook>.ipynb``
(a course folder that contains ``submitted/`` works too; the default is ``./submitted``). Results go to
``--out`` (default ``./autograde``):

* ``results/<student>/<assignment>.json``: everything about one submission, written atomically as soon as it
  is graded; a run that is interrupted (Ctrl-C, kill) loses nothing, and the next run skips every submission
  already graded with the same content (SHA-256 of the notebook) and the same grader version, unless
  ``--force``;
* ``grades.csv``: one row per student and assignment, regenerated from ``results/`` at the end of every run:
  nbgrader's ``export`` columns (assignment, duedate, timestamp, student_id, last_name, first_name, email,
  raw_score, late_submission_penalty, score, max_score), then ``status`` (``graded`` or ``failed-to-grade``),
  ``reason`` and one column per part, named like nbgrader's grade cells (``ex01_test_mul``);
* ``feedback/<student>/<assignment>.txt``: per-part points and the failing checks with their input, expected
  and actual values and a hint; never the source of the hidden checks or of the reference solution.

How a submission is graded: a pool of ``--jobs`` worker processes (default: the number of cores) each load
the reference solutions once. For each submission a worker starts a **sandboxed process**
(:mod:`grading.sandbox`; a root of its own where bubblewrap, root or user namespaces allow) that executes the notebook's code cells, never its
test cells; then it runs every part's checks exactly as ``checks/exNN.py`` writes them, against a proxy of
the student's namespace: the reference computations happen in the worker and only inputs and outputs cross.
Every wait has a deadline (per check: the checks' own limits; per part; per submission), the sandbox has
memory, CPU-time, file-size and open-file limits and no network, and a submission that crashes, hangs or
misbehaves costs only its own points. The points are those ``nbgrader autograde`` gives.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import datetime
import hashlib
import io
import json
import os
import re
import selectors
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Iterable, Iterator

from . import sandbox as sb
from . import standins, tripwire
from .checks import EXERCISES, exercise_of_notebook
from .checks import exercise as exercise_spec
from .core import ExerciseSpec, PartResult, run_part
from .notebooks import PACKAGE_DIR, REPO_ROOT, is_locked_given_code, is_test_cell, load_reference, nbgrader, \
    solution_path, source
from .report import NotebookReport, points

sb.share(standins)  # the checks swap its public stand-ins into the submission's namespace

SCHEMA = 1
#: Wall-clock limits (seconds): a whole submission, one part, one code cell.
SUBMISSION_TIMEOUT = 600.0
PART_TIMEOUT = 180.0
CELL_TIMEOUT = 60.0
#: Largest notebook file accepted (bytes).
MAX_NOTEBOOK = 32 << 20

CSV_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email", "raw_score",
               "late_submission_penalty", "score", "max_score", "status", "reason"]


class NotebookProblem(Exception):
    """The file cannot be graded at all (not JSON, not a notebook, unknown exercise...)."""


@dataclasses.dataclass
class Options:
    isolation: str = "auto"
    timeout: float = SUBMISSION_TIMEOUT
    part_timeout: float = PART_TIMEOUT
    cell_timeout: float = CELL_TIMEOUT
    memory_mb: int = 4096
    cpu_seconds: int | None = None
    exercise: str | None = None

    def limits(self) -> sb.Limits:
        return sb.Limits(memory_mb=self.memory_mb, cpu_seconds=int(self.cpu_seconds or self.timeout + 30))


# =========================================================================== one submission (in a worker)

def read_notebook(path: Path) -> tuple[bytes, dict]:
    """The file's bytes and the notebook, or :class:`NotebookProblem` saying what is wrong with it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotebookProblem(f"cannot read the file: {exc.strerror or exc}") from None
    if len(data) > MAX_NOTEBOOK:
        raise NotebookProblem(f"the file is {len(data) >> 20} MB; notebooks larger than {MAX_NOTEBOOK >> 20} MB "
                              "are not graded")
    try:
        nb = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise NotebookProblem("not a notebook: the file is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise NotebookProblem(f"not a notebook: invalid JSON ({exc.msg} at line {exc.lineno}, column "
                              f"{exc.colno})") from None
    except RecursionError:
        raise NotebookProblem("not a notebook: JSON nested too deeply") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookProblem("not a notebook: no list of cells")
    return data, nb


def cells_to_run(nb: dict, reference: dict) -> tuple[list[tuple[int, str]], list[str]]:
    """The code cells to execute, as ``notebooks.execute`` runs them (test cells skipped, read-only given
    cells restored from the source notebook), and notes about the test cells (missing, edited)."""
    given = {nbgrader(c).get("grade_id"): source(c) for c in reference.get("cells", []) if is_locked_given_code(c)}
    tests = {nbgrader(c).get("grade_id"): source(c) for c in reference.get("cells", [])
             if c.get("cell_type") == "code" and nbgrader(c).get("grade")}
    cells: list[tuple[int, str]] = []
    seen_tests: dict[str, str] = {}
    index = 0
    for cell in nb["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        index += 1
        text = source(cell)
        if not isinstance(text, str):
            text = ""
        if is_test_cell(cell):
            grade_id = nbgrader(cell).get("grade_id")
            if isinstance(grade_id, str):
                seen_tests[grade_id] = text
            continue
        if is_locked_given_code(cell) and nbgrader(cell).get("grade_id") in given:
            text = given[nbgrader(cell)["grade_id"]]
        cells.append((index, text))
    notes = []
    missing = sorted(set(tests) - set(seen_tests))
    if missing:
        notes.append(f"test cells missing or with a changed grade_id: {', '.join(missing)} (graded from the code "
                     "anyway)")
    return cells, notes


class Session:
    """The sandboxed process of one submission, restarted (cells executed again) after a crash or a timeout."""

    def __init__(self, cells: list[tuple[int, str]], options: Options, deadline: float):
        self.cells = cells
        self.options = options
        self.deadline = deadline
        self.isolation = sb.detect_isolation(options.isolation)
        self.box: sb.Sandbox | None = None
        self.cell_errors: list[str] | None = None
        self.broken: str | None = None
        self.seen: list[str] = []
        self.watch_sent: dict[int, int] = {}
        self.watch_keys: dict[tuple, int] = {}
        self.watch_codes: dict[int, dict] = {}
        self.current_watch: int | None = None
        self.watcher: tripwire.Watcher | None = None
        self.minitorch_received = False
        self.starts = 0
        self.ambient = sb.ambient_read()  # restored at the end: nothing of a submission outlives its grading
        self.ambient = [[list(v) if type(v) is list else v for v in row] for row in self.ambient]

    @property
    def conn(self) -> sb.Connection | None:
        return self.box.conn if self.box is not None else None

    def alive(self) -> bool:
        return self.box is not None and self.box.conn is not None and self.box.conn.dead is None

    def ensure(self, part_deadline: float) -> bool:
        """A live process with the notebook's cells executed; False (and ``broken`` set) if impossible."""
        if self.broken:
            return False
        if self.alive():
            return True
        self.close()
        if time.monotonic() >= self.deadline:
            self.broken = f"grading took longer than {self.options.timeout:g} s in all"
            return False
        try:
            self.box = sb.Sandbox(self.isolation, self.options.limits(),
                                  startup_timeout=max(1.0, min(60.0, self.deadline - time.monotonic())))
        except sb.SandboxError as exc:
            raise RuntimeError(f"the sandbox could not be started: {exc.reason}") from None
        self.starts += 1
        conn = self.box.conn
        conn.on_meta = self._meta
        conn.on_minitorch = self._on_minitorch
        self.watch_sent = {}
        self.current_watch = None
        budget = len(self.cells) * self.options.cell_timeout + 10
        conn.deadline = min(self.deadline, time.monotonic() + budget)
        conn.timeout_reason = (f"grading took longer than {self.options.timeout:g} s in all"
                               if conn.deadline == self.deadline else "the notebook's cells took too long")
        try:
            errors = conn.request(("exec_cells", self.cells, self.options.cell_timeout))
        except sb.SandboxError as exc:
            self.broken = f"running the notebook's cells failed: {exc.reason}"
            self.close()
            return False
        if self.cell_errors is None:
            self.cell_errors = [f"code cell {i}: {e}" for i, e in errors]
        conn.deadline = part_deadline
        return True

    def _meta(self, meta: dict) -> None:
        seen = meta.get("seen")
        if isinstance(seen, list):
            self.seen += [s for s in seen if isinstance(s, str)]

    def watch(self, forbidden: tuple | None) -> None:
        """Tell the child which of minitorch's functions the next requests must not call."""
        conn = self.conn
        if conn is None or conn.dead is not None:
            return
        key = None
        if forbidden:
            key = self.watch_keys.get(forbidden)
            if key is None:
                key = self.watch_keys[forbidden] = len(self.watch_keys) + 1
                codes = tripwire.codes(forbidden) or {}
                self.watch_codes[key] = {label: code for code, label in codes.items()}
            if key not in self.watch_sent:
                codes = self.watch_codes[key]
                conn.meta_out["watchdef"] = (key, [(c.co_filename, c.co_firstlineno, c.co_name, label)
                                                   for label, c in codes.items()])
                self.watch_sent[key] = 1
        if key != self.current_watch:
            conn.meta_out["watch"] = key
            self.current_watch = key

    @contextlib.contextmanager
    def watching(self, codes: dict | None) -> Iterator[list[str]]:
        """``core.run_case``'s tripwire for a sandboxed submission. The child watches the submission's code
        (:meth:`watch`) and what it reports (:meth:`report_seen`) fills the list yielded here. This process
        watches itself too, but only once the child has handed over one of minitorch's own classes or objects
        (whose code then runs here when the checks call it): until then a profile hook here would only slow
        the checks down."""
        watcher = self.watcher = tripwire.Watcher(codes)
        if self.minitorch_received:
            watcher.start()
        try:
            yield watcher.seen
        finally:
            watcher.stop()
            self.watcher = None

    def _on_minitorch(self) -> None:
        self.minitorch_received = True
        if self.watcher is not None:
            self.watcher.start()

    def report_seen(self, forbidden: tuple | None) -> None:
        """Hand what the child's tripwire saw during a case to :meth:`watching`."""
        seen, self.seen = self.seen, []
        if not seen or not forbidden:
            return
        known = self.watch_codes.get(self.watch_keys.get(forbidden, -1), {})
        if self.watcher is not None:
            self.watcher.seen += [label for label in dict.fromkeys(seen)
                                  if label in known and label not in self.watcher.seen]

    def end_case(self) -> None:
        conn = self.conn
        if conn is not None and conn.dead is None:
            conn.reset()
            conn.meta_out["reset"] = True

    def close(self) -> None:
        if self.box is not None:
            self.box.close()
            self.box = None

    def finish(self) -> None:
        self.close()
        sb.ambient_write(self.ambient)


class NamespaceProxy:
    """The student's namespace as the checks see it (``Tester.ns``): every access goes to the child."""

    def __init__(self, session: Session):
        self.session = session

    def _request(self, *op: Any) -> Any:
        conn = self.session.conn
        if conn is None:
            raise sb.SandboxError(self.session.broken or "the submission's process is not running")
        return conn.request(op)

    def __getitem__(self, name: str) -> Any:
        return self._request("ns_get", name)

    def __setitem__(self, name: str, value: Any) -> None:
        self._request("ns_set", name, value)

    def __delitem__(self, name: str) -> None:
        self._request("ns_del", name)

    def __contains__(self, name: object) -> bool:
        try:
            return bool(self._request("ns_has", name))
        except sb.SandboxError:
            return True  # let the checks run (and fail): the part is marked as crashed

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self[name]
        except KeyError:
            return default

    def update(self, values: dict) -> None:
        self.swap(values, [])

    def swap(self, assign: dict, remove: list) -> dict:
        """One round trip for :func:`grading.core.swap_names`."""
        return self._request("ns_swap", assign, remove)

    def pop(self, name: str, default: Any = None) -> Any:
        try:
            value = self[name]
        except KeyError:
            return default
        del self[name]
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._request("ns_keys"))

    def keys(self) -> list[str]:
        return list(self)


def _wrap(spec: Any, session: Session) -> Any:
    """The part with each case run against the sandbox: the child watches for forbidden calls (light
    cases only, as ``core.run_case`` does), and objects exchanged during a case are forgotten after it."""
    original = spec.cases

    def cases(t: Any) -> Iterator[Any]:
        for case in original(t):
            forbidden = None if case.heavy else (spec.forbidden or None)

            def run(case: Any = case, forbidden: tuple | None = forbidden) -> Any:
                session.seen = []
                session.watch(forbidden)
                try:
                    return case.run()
                finally:
                    session.report_seen(forbidden)
                    session.end_case()

            yield dataclasses.replace(case, run=run)

    return dataclasses.replace(spec, cases=cases)


def grade_in_sandbox(path: str | os.PathLike, spec: ExerciseSpec | None = None, options: Options | None = None,
                     parts: list[str] | None = None) -> tuple[NotebookReport, dict]:
    """Grade one notebook with the submission sandboxed; (report, extra information)."""
    options = options or Options()
    path = Path(path)
    started = time.monotonic()
    deadline = started + options.timeout
    spec = spec or exercise_of_notebook(path.name)
    if spec is None:
        raise NotebookProblem(f"cannot tell which exercise {path.name} is (name it exNN_....ipynb)")
    _, nb = read_notebook(path)
    reference_nb = json.loads(solution_path(spec.notebook).read_text(encoding="utf-8"))
    cells, notes = cells_to_run(nb, reference_nb)
    reference = load_reference(spec.id, spec.notebook)
    session = Session(cells, options, deadline)
    namespace = NamespaceProxy(session)
    results: list[PartResult] = []
    try:
        for name in parts or list(spec.parts):
            part = spec.parts[name]
            result = PartResult(spec.id, name, part.title, part.points)
            results.append(result)
            if not session.ensure(deadline):
                result.crashed = session.broken
                continue
            part_deadline = min(deadline, time.monotonic() + options.part_timeout)  # from the first check on
            conn = session.conn
            conn.deadline = part_deadline
            conn.timeout_reason = (f"grading took longer than {options.timeout:g} s in all" if part_deadline == deadline
                                   else f"this part took longer than {options.part_timeout:g} s")
            wrapped = _wrap(part, session)
            result.checks += run_part(wrapped, namespace, reference, hidden=False, watch=session.watching)
            result.checks += run_part(wrapped, namespace, reference, hidden=True, previous=result.checks,
                                      watch=session.watching)
            dead = conn.dead
            if dead is not None:
                if dead.kind in ("crash", "timeout"):
                    result.crashed = dead.reason
                session.close()
    finally:
        session.finish()
    report = NotebookReport(str(path), spec.id, spec.title, True, results, session.cell_errors or [],
                            round(time.monotonic() - started, 3))
    return report, {"notes": notes, "isolation": session.isolation.level, "sandbox_starts": session.starts}


# =========================================================================== records

def _grader_files(exercise_id: str) -> list[Path]:
    files = [p for p in sorted(PACKAGE_DIR.rglob("*.py")) if "__pycache__" not in p.parts
             and "mutants" not in p.relative_to(PACKAGE_DIR).parts
             and not (p.parent.name == "checks" and re.fullmatch(r"ex\d\d\.py", p.name))]
    files.append(PACKAGE_DIR / "checks" / f"{exercise_id}.py")
    files.append(solution_path(exercise_spec(exercise_id).notebook))
    minitorch_dir = Path(sb.course_paths().get("minitorch", REPO_ROOT / "minitorch"))
    files += [p for p in sorted(minitorch_dir.rglob("*.py")) if "__pycache__" not in p.parts]
    return files


_versions: dict[str, str] = {}


def grader_version(exercise_id: str) -> str:
    """A hash of everything that decides an exercise's grades: the grading package (the exercise's own checks),
    its reference solution and minitorch. A submission graded with another version is graded again."""
    if exercise_id not in _versions:
        digest = hashlib.sha256()
        for path in _grader_files(exercise_id):
            digest.update(str(path.name).encode() + b"\0")
            with contextlib.suppress(OSError):
                digest.update(path.read_bytes())
        _versions[exercise_id] = digest.hexdigest()[:16]
    return _versions[exercise_id]


def grade_id(exercise_id: str, part: str) -> str:
    return f"{exercise_id}_test_{part}"


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def make_record(task: dict, options: Options) -> dict:
    """Grade the task's notebook and describe the outcome (never raises)."""
    path = Path(task["path"])
    record = {"schema": SCHEMA, "student": task["student"], "assignment": task["assignment"], "notebook": str(path),
              "exercise": task.get("exercise"), "sha256": task.get("sha256"), "grader_version": task.get("version"),
              "timestamp": task.get("timestamp"), "graded_at": _now(), "status": "failed-to-grade", "reason": None,
              "final": True, "points": 0.0, "max_points": None, "parts": [], "notes": [], "report": None,
              "isolation": None, "seconds": 0.0}
    started = time.monotonic()
    try:
        spec = exercise_spec(task["exercise"]) if task.get("exercise") else exercise_of_notebook(path.name)
        if spec is None:
            raise NotebookProblem(f"cannot tell which exercise {path.name} belongs to")
        record["exercise"] = spec.id
        record["max_points"] = spec.max_points
        record["parts"] = [{"part": p, "grade_id": grade_id(spec.id, p), "points": 0.0, "max_points": s.points,
                            "status": "not graded"} for p, s in spec.parts.items()]
        report, extra = grade_in_sandbox(path, spec, options)
    except NotebookProblem as exc:
        record["reason"] = str(exc)
    except Exception as exc:  # noqa: BLE001 - a bug of the grader, or no sandbox: say so, try again next run
        record["reason"] = f"grader error: {type(exc).__name__}: {exc}"
        record["final"] = False
        record["traceback"] = traceback.format_exc()[-4000:]
    else:
        record.update(status="graded", points=report.points, max_points=report.max_points, notes=extra["notes"],
                      isolation=extra["isolation"], report=report.to_dict(),
                      parts=[{"part": p.part, "grade_id": grade_id(spec.id, p.part), "points": p.points,
                              "max_points": p.max_points, "status": p.status} for p in report.parts])
        problems = [f"{p.part}: {p.status}" for p in report.parts
                    if p.crashed or p.forbidden or "timed out" in p.status or p.status.startswith("not defined")]
        if report.cell_errors:
            problems.append("errors in code cells " + ", ".join(e.split(":")[0].replace("code cell ", "")
                                                                 for e in report.cell_errors))
        record["reason"] = "; ".join(problems)[:1000] or None
    record["seconds"] = round(time.monotonic() - started, 3)
    return record


# =========================================================================== workers

def worker_main() -> int:
    """A grading worker: tasks (JSON lines) on stdin, records (JSON lines) on the original stdout."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything printed goes to the log, never into the results
    sys.stdout = sys.stderr
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # die with the orchestrator
    for line in sys.stdin:
        task = json.loads(line)
        options = Options(**task.pop("options"))
        record = make_record(task, options)
        out.write(json.dumps({"id": task["id"], "record": record}) + "\n")
        out.flush()
    return 0


class _Worker:
    def __init__(self, index: int, log: Path):
        env = dict(os.environ)
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONHASHSEED="0")
        self.log = open(log, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "grading.classroom", "--worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log, env=env, start_new_session=True,
                                     cwd=str(REPO_ROOT))
        self.index = index
        self.task: dict | None = None
        self.started = 0.0
        self.buffer = b""

    def send(self, task: dict) -> None:
        self.task = task
        self.started = time.monotonic()
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(task) + "\n").encode())
        self.proc.stdin.flush()

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self.log.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
        self.log.close()


# =========================================================================== submissions

@dataclasses.dataclass
class Submission:
    student: str
    assignment: str
    path: Path
    exercise: str | None
    problem: str | None = None

    @property
    def key(self) -> str:
        return f"{self.student}/{self.assignment}"


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@+-]", "_", name)[:120] or "_"


def discover(path: Path, exercise: str | None = None) -> list[Submission]:
    """The submissions under ``path`` (a notebook, ``submitted/``, or a course folder containing it)."""
    path = path.resolve()
    if path.is_file():
        parent, grandparent = path.parent, path.parent.parent
        spec = exercise_spec(exercise) if exercise else exercise_of_notebook(path.name)
        if spec is not None and parent.name == spec.notebook and grandparent.name:
            return [Submission(grandparent.name, parent.name, path, spec.id)]
        assignment = spec.notebook if spec else path.stem
        return [Submission(path.stem, assignment, path, spec.id if spec else None)]
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such notebook or folder")
    if (path / "submitted").is_dir():
        path = path / "submitted"
    students = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if any(path.glob("*/*.ipynb")) and not any(path.glob("*/*/*.ipynb")):
        students = [path]  # one student's folder: <student>/<assignment>/<notebook>.ipynb
    found = []
    for student in students:
        for assignment in sorted(p for p in student.iterdir() if p.is_dir() and not p.name.startswith(".")):
            notebooks = sorted(p for p in assignment.glob("*.ipynb") if not p.name.startswith("."))
            spec = exercise_spec(exercise) if exercise else (exercise_of_notebook(assignment.name))
            named = assignment / f"{assignment.name}.ipynb"
            if named in notebooks:
                chosen = named
            elif len(notebooks) == 1:
                chosen = notebooks[0]
            else:
                found.append(Submission(student.name, assignment.name, named, spec.id if spec else None,
                                        problem=f"no notebook named {named.name}" + (
                                            f" (found {', '.join(p.name for p in notebooks)})" if notebooks else "")))
                continue
            if spec is None:
                spec = exercise_of_notebook(chosen.name)
            found.append(Submission(student.name, assignment.name, chosen, spec.id if spec else None,
                                    problem=None if spec else f"{assignment.name} is not one of the course's "
                                                             f"exercises ({', '.join(EXERCISES)})"))
    return found


def _timestamp(sub: Submission) -> str | None:
    stamp = sub.path.parent / "timestamp.txt"
    with contextlib.suppress(OSError, UnicodeDecodeError):
        return stamp.read_text(encoding="utf-8").strip()[:64] or None
    return None


# =========================================================================== output files

def atomic_write(path: Path, text: str) -> None:
    """Write ``path`` so that it is either the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def result_path(out: Path, student: str, assignment: str) -> Path:
    return out / "results" / _safe_name(student) / f"{_safe_name(assignment)}.json"


def feedback_path(out: Path, student: str, assignment: str) -> Path:
    return out / "feedback" / _safe_name(student) / f"{_safe_name(assignment)}.txt"


def load_records(out: Path) -> list[dict]:
    records = []
    for path in sorted((out / "results").glob("*/*.json")):
        with contextlib.suppress(OSError, json.JSONDecodeError, UnicodeDecodeError):
            record = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(record, dict) and record.get("schema") == SCHEMA:
                records.append(record)
    return records


def _number(x: Any) -> str:
    return "" if x is None else str(round(float(x), 6))


def write_csv(out: Path, records: list[dict] | None = None) -> Path:
    """``grades.csv`` from the records (by default every record in ``out/results``)."""
    records = load_records(out) if records is None else records
    records = sorted(records, key=lambda r: (r["assignment"], r["student"]))
    part_columns: list[str] = []
    for exercise_id in sorted({r["exercise"] for r in records if r.get("exercise") in EXERCISES}):
        part_columns += [grade_id(exercise_id, p) for p in EXERCISES[exercise_id].parts]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS + part_columns)
    for r in records:
        parts = {p["grade_id"]: p["points"] for p in r.get("parts", [])}
        raw = r.get("points") or 0.0
        writer.writerow([r["assignment"], "", r.get("timestamp") or "", r["student"], "", "", "", _number(raw),
                         "0.0", _number(max(0.0, raw)), _number(r.get("max_points")), r["status"],
                         r.get("reason") or ""] + [_number(parts[c]) if c in parts else "" for c in part_columns])
    path = out / "grades.csv"
    atomic_write(path, buffer.getvalue())
    return path


def feedback_text(record: dict) -> str:
    """What a student gets: the points per part, and the failing checks with their inputs, expected and actual
    values and hints. Never the grader's internal errors, its warnings, or any source code of the checks."""
    lines = [f"{record['assignment']}: feedback for {record['student']}",
             f"Score: {points(record.get('points') or 0.0)} / {points(record.get('max_points') or 0.0)}"]
    if record["status"] != "graded":
        lines += ["", f"Your notebook could not be graded: {record.get('reason')}",
                  "Ask your instructor; nothing of it was run."]
        return "\n".join(lines) + "\n"
    data = record["report"]
    parts = []
    for p in data["parts"]:
        result = PartResult.from_dict({k: p[k] for k in ("exercise", "part", "title", "max_points", "checks",
                                                           "crashed")})
        for check in result.checks:
            check.grader_warning = None
            if check.error and check.error.startswith("grader error"):
                check.error = "an internal error of the grader (your instructor has been told)"
        parts.append(result)
    report = NotebookReport(Path(record["notebook"]).name, data["exercise"], data["title"], True, parts,
                            data.get("cell_errors", []), data.get("seconds", 0.0))
    lines += ["", report.table()]
    details = report.details()
    if details:
        lines += ["", details]
    for note in record.get("notes", []):
        lines += ["", f"Note: {note}"]
    return "\n".join(lines) + "\n"


# =========================================================================== the run

class Progress:
    """A one-line progress bar on stderr (a line every 10% when stderr is not a terminal)."""

    def __init__(self, total: int, enabled: bool = True):
        self.total, self.enabled = total, enabled
        self.done = self.graded = self.failed = 0
        self.started = time.monotonic()
        self.tty = sys.stderr.isatty()
        self.last_decile = -1

    def update(self, record: dict) -> None:
        self.done += 1
        if record["status"] == "graded":
            self.graded += 1
        else:
            self.failed += 1
        self.show()

    def show(self) -> None:
        if not self.enabled or not self.total:
            return
        elapsed = time.monotonic() - self.started
        rate = elapsed / self.done if self.done else 0.0
        eta = rate * (self.total - self.done)
        width = 30
        filled = int(width * self.done / self.total)
        text = (f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}  graded {self.graded}  "
                f"failed {self.failed}  {rate:.2f} s each  ETA {int(eta) // 60}m{int(eta) % 60:02d}s")
        if self.tty:
            print("\r" + text, end="", file=sys.stderr, flush=True)
        else:
            decile = 10 * self.done // self.total
            if decile != self.last_decile:
                self.last_decile = decile
                print(text, file=sys.stderr, flush=True)

    def finish(self) -> None:
        if self.enabled and self.tty and self.total:
            print(file=sys.stderr)


@dataclasses.dataclass
class RunSummary:
    total: int = 0
    graded: int = 0
    failed: int = 0
    skipped: int = 0
    interrupted: bool = False
    seconds: float = 0.0
    isolation: str = ""
    csv: Path | None = None
    failures: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    def text(self) -> str:
        done = self.graded + self.failed
        per = f", {self.seconds / done:.2f} s per submission" if done else ""
        lines = [f"{'Interrupted' if self.interrupted else 'Done'}: {self.total} submissions: {self.graded} graded, "
                 f"{self.failed} failed to grade, {self.skipped} already graded (unchanged); "
                 f"{self.seconds:.1f} s{per}.",
                 f"Isolation: {self.isolation}."]
        for key, reason in self.failures[:20]:
            lines.append(f"  failed: {key}: {reason}")
        if len(self.failures) > 20:
            lines.append(f"  ... and {len(self.failures) - 20} more (see grades.csv)")
        if self.csv:
            lines.append(f"Grades: {self.csv}; feedback: {self.csv.parent / 'feedback'}")
        if self.interrupted:
            lines.append("Run the same command again to grade the rest (graded submissions are kept).")
        return "\n".join(lines)


def _save(out: Path, record: dict) -> None:
    atomic_write(result_path(out, record["student"], record["assignment"]), json.dumps(record, indent=1))
    atomic_write(feedback_path(out, record["student"], record["assignment"]), feedback_text(record))


def run(paths: Iterable[str | os.PathLike], out: str | os.PathLike, *, jobs: int | None = None, force: bool = False,
        options: Options | None = None, progress: bool = True) -> RunSummary:
    """Grade every submission under ``paths`` into ``out``; see the module's documentation."""
    options = options or Options()
    out = Path(out)
    (out / "results").mkdir(parents=True, exist_ok=True)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    isolation = sb.detect_isolation(options.isolation)
    summary = RunSummary(isolation=f"{isolation.level} ({isolation.describe()})")
    submissions: list[Submission] = []
    for path in paths:
        submissions += discover(Path(path), options.exercise)
    summary.total = len(submissions)
    todo: list[dict] = []
    records: list[dict] = []
    for sub in submissions:
        task = {"id": len(todo), "student": sub.student, "assignment": sub.assignment, "path": str(sub.path),
                "exercise": sub.exercise, "timestamp": _timestamp(sub)}
        if sub.problem is None:
            try:
                task["sha256"] = hashlib.sha256(sub.path.read_bytes()).hexdigest()
            except OSError as exc:
                sub.problem = f"cannot read the file: {exc.strerror or exc}"
        if sub.problem is not None:
            record = {"schema": SCHEMA, **{k: task[k] for k in ("student", "assignment", "exercise", "timestamp")},
                      "notebook": str(sub.path), "sha256": None, "grader_version": None, "graded_at": _now(),
                      "status": "failed-to-grade", "reason": sub.problem, "final": True, "points": 0.0,
                      "max_points": EXERCISES[sub.exercise].max_points if sub.exercise in EXERCISES else None,
                      "parts": [], "notes": [], "report": None, "isolation": None, "seconds": 0.0}
            _save(out, record)
            records.append(record)
            continue
        task["version"] = grader_version(sub.exercise)  # type: ignore[arg-type]
        previous = None
        with contextlib.suppress(OSError, json.JSONDecodeError, UnicodeDecodeError):
            previous = json.loads(result_path(out, sub.student, sub.assignment).read_text(encoding="utf-8"))
        if (not force and isinstance(previous, dict) and previous.get("schema") == SCHEMA and previous.get("final")
                and previous.get("sha256") == task["sha256"] and previous.get("grader_version") == task["version"]):
            summary.skipped += 1
            continue
        task["options"] = dataclasses.asdict(options)
        todo.append(task)
    bar = Progress(len(todo) + len(records), enabled=progress)
    for record in records:
        bar.update(record)
    previous_handler = signal.getsignal(signal.SIGTERM)

    def terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt()

    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, terminate)
    try:
        for record in _dispatch(todo, out, jobs or os.cpu_count() or 1, options):
            _save(out, record)
            records.append(record)
            bar.update(record)
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        bar.finish()
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGTERM, previous_handler)
        summary.csv = write_csv(out)
    for record in records:
        if record["status"] == "graded":
            summary.graded += 1
        else:
            summary.failed += 1
            summary.failures.append((f"{record['student']}/{record['assignment']}", record.get("reason") or "?"))
    summary.seconds = time.monotonic() - started
    return summary


def _dispatch(tasks: list[dict], out: Path, jobs: int, options: Options) -> Iterator[dict]:
    """Grade the tasks on ``jobs`` worker processes; yield each record as it comes. A worker that dies or
    stops answering costs only the submission it was grading (``failed-to-grade``, retried next run)."""
    if not tasks:
        return
    pending = list(reversed(tasks))
    jobs = max(1, min(jobs, len(tasks)))
    workers: list[_Worker] = []
    selector = selectors.DefaultSelector()
    backstop = options.timeout + 120.0

    def start(index: int) -> _Worker:
        worker = _Worker(index, out / "logs" / f"worker-{index}.log")
        selector.register(worker.proc.stdout, selectors.EVENT_READ, worker)  # type: ignore[arg-type]
        return worker

    def failed(task: dict, reason: str) -> dict:
        return {"schema": SCHEMA, **{k: task.get(k) for k in ("student", "assignment", "exercise", "timestamp",
                                                               "sha256")},
                "notebook": task["path"], "grader_version": task.get("version"), "graded_at": _now(),
                "status": "failed-to-grade", "reason": reason, "final": False, "points": 0.0,
                "max_points": EXERCISES[task["exercise"]].max_points if task.get("exercise") in EXERCISES else None,
                "parts": [], "notes": [], "report": None, "isolation": None, "seconds": 0.0}

    def replace(worker: _Worker) -> None:
        with contextlib.suppress(KeyError, ValueError):
            selector.unregister(worker.proc.stdout)  # type: ignore[arg-type]
        worker.kill()
        workers[workers.index(worker)] = start(worker.index)

    try:
        for i in range(jobs):
            workers.append(start(i))
        for worker in workers:
            if pending:
                worker.send(pending.pop())
        while any(w.task is not None for w in workers):
            events = selector.select(timeout=5.0)
            for key, _ in events:
                worker: _Worker = key.data
                chunk = os.read(key.fileobj.fileno(), 1 << 20)  # type: ignore[union-attr]
                if not chunk:
                    task = worker.task
                    code = worker.proc.poll()
                    replace(worker)
                    if task is not None:
                        yield failed(task, f"the grading worker died (exit status {code}); see "
                                           f"{out / 'logs'}")
                        fresh = workers[worker.index]
                        if pending:
                            fresh.send(pending.pop())
                    continue
                worker.buffer += chunk
                while b"\n" in worker.buffer:
                    line, worker.buffer = worker.buffer.split(b"\n", 1)
                    message = json.loads(line)
                    task, worker.task = worker.task, None
                    record = message["record"]
                    yield record
                    if pending:
                        worker.send(pending.pop())
            now = time.monotonic()
            for worker in list(workers):
                if worker.task is not None and now - worker.started > backstop:
                    task = worker.task
                    replace(worker)
                    yield failed(task, f"the grading worker did not answer within {backstop:g} s")
                    if pending:
                        workers[worker.index].send(pending.pop())
    finally:
        for worker in workers:
            if worker.task is not None or sys.exc_info()[0] is not None:
                worker.kill()
            else:
                worker.close()
        selector.close()


# =========================================================================== command line

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="minitorch-autograde", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=["submitted"],
                        help="notebooks, or folders in nbgrader's layout (default: submitted)")
    parser.add_argument("--out", default="autograde", help="where results/, feedback/ and grades.csv go "
                                                           "(default: autograde)")
    parser.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                        help="submissions graded in parallel (default: the number of cores)")
    parser.add_argument("--force", action="store_true", help="grade again submissions already graded")
    parser.add_argument("--exercise", help="exNN, for notebooks whose names do not say")
    parser.add_argument("--timeout", type=float, default=SUBMISSION_TIMEOUT,
                        help=f"wall-clock seconds per submission (default {SUBMISSION_TIMEOUT:g})")
    parser.add_argument("--part-timeout", type=float, default=PART_TIMEOUT,
                        help=f"wall-clock seconds per part (default {PART_TIMEOUT:g}); each check also has "
                             "its own limit")
    parser.add_argument("--cell-timeout", type=float, default=CELL_TIMEOUT,
                        help=f"seconds per code cell of the notebook (default {CELL_TIMEOUT:g})")
    parser.add_argument("--memory", type=int, default=4096, help="memory limit of a submission, MB (default 4096)")
    parser.add_argument("--cpu", type=int, default=None, help="CPU-time limit of a submission's process, s "
                                                              "(default: --timeout + 30)")
    parser.add_argument("--isolation", default="auto", choices=("auto",) + sb.ISOLATION_LEVELS,
                        help="auto (default): the strongest that works here: bwrap (bubblewrap), namespaces "
                             "(unshare and chroot, as root or in a user namespace), unshare (network only), none")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.worker:
        return worker_main()
    options = Options(isolation=args.isolation, timeout=args.timeout, part_timeout=args.part_timeout,
                      cell_timeout=args.cell_timeout, memory_mb=args.memory, cpu_seconds=args.cpu,
                      exercise=args.exercise)
    try:
        summary = run(args.paths, args.out, jobs=args.jobs, force=args.force, options=options,
                      progress=not args.quiet)
    except (FileNotFoundError, KeyError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary.text())
    if summary.interrupted:
        return 130
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
