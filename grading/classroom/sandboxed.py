"""The object-protocol grading of one notebook, for exercises without probes yet (moved from ``classroom.py``).

:func:`grading.classroom.worker.grade` calls it for those exercises only; it goes away when every exercise is
graded by ``grading.grade.grade_notebook``. A worker process starts a sandboxed process (:mod:`grading.sandbox`)
that executes the notebook's code cells, never its test cells, then runs every part's checks against a proxy of
the student's namespace.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
from pathlib import Path
from typing import Any, Iterator

from .. import sandbox as sb
from .. import standins, tripwire
from ..checks import exercise_of_notebook
from ..core import ExerciseSpec, PartResult, run_part
from ..notebooks import cells_to_run, load_reference, solution_path
from ..report import NotebookReport

sb.share(standins)  # the checks swap its public stand-ins into the submission's namespace

def _limits(options: Any) -> sb.Limits:
    return sb.Limits(memory_mb=options.memory_mb, cpu_seconds=int(options.cpu_seconds or options.timeout + 30))


class Session:
    """The sandboxed process of one submission, restarted (cells executed again) after a crash or a timeout."""

    def __init__(self, cells: list[tuple[int, str]], options: Any, deadline: float):
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
            self.box = sb.Sandbox(self.isolation, _limits(self.options),
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


def grade_in_sandbox(path: str | os.PathLike, spec: ExerciseSpec | None = None, options: Any | None = None,
                     parts: list[str] | None = None) -> tuple[NotebookReport, dict]:
    """Grade one notebook with the submission sandboxed; (report, extra information)."""
    path = Path(path)
    started = time.monotonic()
    deadline = started + options.timeout
    spec = spec or exercise_of_notebook(path.name)
    nb = json.loads(path.read_text(encoding="utf-8"))
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

