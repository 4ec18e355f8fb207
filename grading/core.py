"""The machinery every exercise's checks share: cases, checks, parts, scores.

A *part* of an exercise (say ``ex01/mul``) is worth some points. Its checks
are produced by a *case generator* ``cases(t)`` that yields :class:`Case`
objects: one input, run against the student's namespace and the reference
solution's. The generator is called once for the *visible* checks (the ones
the released notebook runs) and once for the *hidden* ones (added when a
notebook is graded); ``t.hidden`` says which.

Running a case never raises: every outcome becomes a :class:`Check` with a
status (``passed``, ``failed``, ``error``, ``not_implemented``, ``timeout``,
``forbidden``, ``missing``, ``skipped``), collected in a :class:`PartResult`
that scores them by groups (:mod:`grading.results`).

Hints come in two tiers: ``hint`` names the concept (a question to ask oneself),
``more`` points at the code. The second is shown on request (``--more``) or once
the same check has failed twice in a notebook's kernel. Neither gives the
solution line.
"""

from __future__ import annotations

import contextlib
import io
import random
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import probes, tripwire
from .memo import ANSWERS
from .notebooks import REFERENCE_LOCK
from .probes.base import Missing, describe
from .probes.cells import alarm
from .results import GROUPS, Check, PartResult, group_of

__all__ = ["GROUPS", "Case", "Check", "ExerciseSpec", "PartResult", "PartSpec", "Tester", "Verdict", "run_part"]

#: Text to show, or a function that makes it when it is shown.
Text = str | Callable[[], str] | None
#: The tripwire's form (:func:`grading.tripwire.watch`): forbidden code objects -> a context yielding what was called.
Watch = Callable[[dict | None], contextlib.AbstractContextManager]
#: Seconds a single check may take: small inputs, and the deep/large ones.
LIGHT_TIMEOUT = 5.0
HEAVY_TIMEOUT = 15.0


class CheckTimeout(BaseException):
    """Raised by the alarm in a check that runs too long (a BaseException, so
    that a student's ``except Exception`` cannot swallow it)."""


class StudentFailure(Exception):
    """A probe that did not return: ``status`` is ``missing``, ``not_implemented``, ``timeout`` or ``error``, and
    ``text`` says why (for ``missing``: the name)."""

    def __init__(self, status: str, text: str):
        super().__init__(text)
        self.status, self.text = status, text


class InProcess:
    """Where the probes of a notebook's test cell run: in this process, on the notebook's namespace. The tripwire
    is a profile hook (:mod:`grading.tripwire`); the sandboxed grader has its own backend
    (:class:`grading.grade.Sandboxed`)."""

    def __init__(self, namespace: dict, tripwire_watch: Watch = tripwire.watch):
        self.namespace = namespace
        self.tripwire_watch = tripwire_watch
        self.seen: list[str] = []

    @contextlib.contextmanager
    def watch(self, codes: dict | None) -> Iterator[list[str]]:
        with self.tripwire_watch(codes) as seen:
            self.seen = seen
            yield seen

    def time_limit(self, seconds: float | None) -> contextlib.AbstractContextManager:
        return time_limit(seconds)

    def defined(self, name: str) -> bool:
        return name in self.namespace

    def probe(self, exercise: str, name: str, args: dict, allow: tuple[str, ...]) -> Any:
        before = len(self.seen)
        try:
            return probes.run(exercise, name, self.namespace, args)
        finally:
            # calls of what the probe swapped in (minitorch's public code) are the grader's, not the student's
            self.seen[before:] = (
                [label for label in self.seen[before:] if not label.startswith(allow)] if allow else self.seen[before:]
            )


@dataclass
class Verdict:
    """What a case's ``run`` returns: pass/fail and what to show.

    ``expected``, ``actual`` and ``note`` (and a case's ``input``) may be given as functions that make the text:
    only a check that does not pass shows them, and formatting arrays costs more than many checks."""

    passed: bool
    expected: Text = None
    actual: Text = None
    detail: str | None = None
    note: Text = None
    #: Set when the reference itself disagrees with finite differences (a grader bug).
    grader_warning: str | None = None


@dataclass
class Case:
    """One input of one part, ready to run."""

    what: str
    run: Callable[[], Verdict]
    heavy: bool = False
    timeout: float | None = None
    weight: float = 1.0
    input: Text = None
    hint: str | None = None
    #: The code-level hint, shown after the concept ``hint`` on request.
    more: str | None = None
    #: One of :data:`GROUPS` (default: ``scale`` if ``heavy``, else ``behaviour``).
    group: str | None = None

    def __post_init__(self) -> None:
        self.group = group_of(self.group, self.heavy)


def _text(value: Text) -> str | None:
    return value() if callable(value) else value


@dataclass
class PartSpec:
    """A graded part: its points, its checks and what it must not call."""

    exercise: str
    name: str
    title: str
    points: float
    cases: Callable[[Tester], Iterable[Case]]
    hint: str
    needs: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    budget: float = 60.0
    more: str | None = None

    @property
    def key(self) -> str:
        return f"{self.exercise}/{self.name}"


@dataclass
class ExerciseSpec:
    """An exercise: its notebook and its parts, in notebook order."""

    id: str
    notebook: str
    title: str
    parts: dict[str, PartSpec] = field(default_factory=dict)

    @property
    def max_points(self) -> float:
        return sum(p.points for p in self.parts.values())

    def part(
        self,
        name: str,
        *,
        points: float,
        title: str,
        hint: str,
        more: str | None = None,
        needs: Iterable[str] = (),
        forbidden: Iterable[str] = (),
        budget: float = 60.0,
    ) -> Callable:
        """Decorator registering ``cases(t)`` as the case generator of a part. ``hint`` names the concept a
        failing check should make the student think about; ``more`` is the code-level hint."""

        def register(cases: Callable[[Tester], Iterable[Case]]) -> Callable[[Tester], Iterable[Case]]:
            if name in self.parts:
                raise ValueError(f"{self.id}: part {name!r} is defined twice")
            self.parts[name] = PartSpec(
                self.id, name, title, float(points), cases, hint, tuple(needs), tuple(forbidden), budget, more
            )
            return cases

        return register


#: The reference namespaces whose replies :data:`ANSWERS` keeps (by id).
_PINNED: dict[int, dict] = {}


class Tester:
    """What a case generator sees: the two namespaces, the mode and a seeded RNG."""

    def __init__(self, spec: PartSpec, namespace: dict, reference: dict, hidden: bool, backend: Any = None):
        self.spec = spec
        self.ns = namespace
        self.ref = reference
        self.hidden = hidden
        self.backend = backend if backend is not None else InProcess(namespace)
        # A str seed is hashed with SHA-512: the same inputs on every run and machine.
        self.rng = random.Random(f"{spec.key}/{'hidden' if hidden else 'visible'}")

    def student(self, name: str) -> Any:
        """The student's object called ``name``; raises :class:`Missing` if undefined."""
        try:
            return self.ns[name]
        except KeyError:
            raise Missing(name) from None

    def reference(self, name: str) -> Any:
        return self.ref[name]

    def probe(self, name: str, /, *, allow: tuple[str, ...] = (), **args: Any) -> Any:
        """Run the probe ``probes/<exercise>.py:name`` on the student's code with ``args`` (plain data), wherever
        the submission runs; its result, as plain data. Raises :class:`StudentFailure` if the student's code
        raised, timed out or lacks a name. ``allow``: labels of minitorch code the probe itself swaps in (as
        stand-ins for earlier parts), which the tripwire does not hold against the student."""
        return self.backend.probe(self.spec.exercise, name, args, tuple(allow))

    def expect(self, name: str, /, **args: Any) -> Any:
        """The same probe on the reference solution (in this process: the reference is trusted code). One at a
        time (a probe may swap a stand-in into the shared reference namespace); what minitorch code it calls is
        the grader's, not held against the student. Its replies are kept for the next submission
        (:mod:`grading.memo`): the same questions come with every one."""
        seen = getattr(self.backend, "seen", [])
        before = len(seen)
        _PINNED.setdefault(id(self.ref), self.ref)  # the key names the namespace by id: it must stay alive

        def ask() -> Any:
            with REFERENCE_LOCK:
                return probes.run(self.spec.exercise, name, self.ref, args)

        try:
            return ANSWERS.get(ANSWERS.key("expect", self.spec.exercise, name, id(self.ref), args), ask)
        finally:
            del seen[before:]

    @contextlib.contextmanager
    def patched(self, **names: Any) -> Iterator[None]:
        """Temporarily replace names in the student's namespace (with reference objects,
        so that a part is checked on its own and a bug elsewhere does not cost points here)."""
        saved = swap_names(self.ns, names)
        try:
            yield
        finally:
            swap_names(self.ns, saved, [name for name in names if name not in saved])


def swap_names(namespace: Any, assign: dict, remove: Iterable[str] = ()) -> dict:
    """Set the names of ``assign`` and delete those of ``remove`` in a namespace; return the previous values
    of the names that were defined. A namespace may do it in one step (the classroom's sandbox proxy does)."""
    remove = list(remove)
    if not assign and not remove:
        return {}
    swap = getattr(namespace, "swap", None)
    if swap is not None:
        return swap(assign, remove)
    previous = {name: namespace[name] for name in [*assign, *remove] if name in namespace}
    namespace.update(assign)
    for name in remove:
        namespace.pop(name, None)
    return previous


def time_limit(seconds: float | None) -> contextlib.AbstractContextManager:
    """Raise :class:`CheckTimeout` in the block after ``seconds`` (main thread, POSIX only)."""
    return alarm(seconds, CheckTimeout)


def describe_exception(exc: BaseException) -> str:
    """``Type: message``, and where in the student's own code it was raised."""
    return describe(exc)


@contextlib.contextmanager
def _quiet(sink: io.StringIO) -> Iterator[None]:
    """What code run in this process prints goes to ``sink``, its warnings nowhere (process-wide: only for
    probes that run here; a sandboxed grader runs checks in threads)."""
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def run_case(spec: PartSpec, case: Case, hidden: bool, watch: Watch = tripwire.watch, backend: Any = None) -> Check:
    """Run one case with a time limit, captured output and the tripwire; never raises
    (except KeyboardInterrupt). ``watch(codes)`` is the tripwire: a context that yields the list of forbidden
    functions called in it; a ``backend`` (where the probes run) brings its own tripwire and time limit."""
    check = Check(
        what=case.what,
        hidden=hidden,
        status="error",
        weight=case.weight,
        input=None,
        hint=case.hint or spec.hint,
        more=case.more or (None if case.hint else spec.more),
        group=case.group,
    )
    codes = None if case.heavy else tripwire.codes(spec.forbidden)
    sink = io.StringIO()
    started = time.perf_counter()
    limit = case.timeout or (HEAVY_TIMEOUT if case.heavy else LIGHT_TIMEOUT)
    timeout_text = f"took longer than {limit:g} s (an infinite loop, or an algorithm slower than O(V + E)?)"
    backend = backend if backend is not None else InProcess({}, watch)
    with backend.watch(codes) as seen:
        try:
            with (
                _quiet(sink) if getattr(backend, "in_process", True) else contextlib.nullcontext(),
                backend.time_limit(limit),
            ):
                verdict = case.run()
        except CheckTimeout:
            check.status = "timeout"
            check.error = timeout_text
        except StudentFailure as exc:
            check.status = exc.status
            check.error = timeout_text if exc.status == "timeout" else exc.text
        except NotImplementedError as exc:
            check.status = "not_implemented"
            check.error = "not implemented yet: " + describe_exception(exc)
        except Missing as exc:
            check.status = "missing"
            check.error = exc.name
        except KeyboardInterrupt:
            raise
        except (Exception, SystemExit) as exc:  # student code may raise anything
            check.status = "error"
            check.error = describe_exception(exc)
        else:
            check.status = "passed" if verdict.passed else "failed"
            if not verdict.passed:
                check.expected, check.actual = _text(verdict.expected), _text(verdict.actual)
                check.detail, check.note = verdict.detail, _text(verdict.note)
            check.grader_warning = verdict.grader_warning
    check.seconds = round(time.perf_counter() - started, 4)
    if seen:
        check.status = "forbidden"
        check.forbidden = list(seen)
    if check.status != "passed":
        check.input = _text(case.input)
    return check


def run_part(
    spec: PartSpec,
    namespace: dict,
    reference: dict,
    *,
    hidden: bool,
    previous: list[Check] = (),
    watch: Watch = tripwire.watch,
    backend: Any = None,
) -> list[Check]:
    """All checks of one part in one mode (visible or hidden). If a ``previous`` check
    of the part timed out, the new ones are not run (each would likely time out too). ``backend``: where the
    probes run (default: in this process, on ``namespace``)."""
    # The tripwire's list must be the one the backend's probes filter (stand-ins' calls are not the student's).
    backend = backend if backend is not None else InProcess(namespace, watch)
    t = Tester(spec, namespace, reference, hidden, backend)
    try:
        cases = list(spec.cases(t))
    except Missing as exc:
        return [
            Check(
                what=f"{spec.title}: needs `{exc.name}`",
                hidden=hidden,
                status="missing",
                error=exc.name,
                hint=spec.hint,
            )
        ]
    except Exception as exc:  # a bug in the grader: make it loud
        return [
            Check(
                what="preparing the checks",
                hidden=hidden,
                status="error",
                error="grader error: " + "".join(traceback.format_exception(exc)),
                grader_warning="the grader failed to prepare its checks",
            )
        ]
    checks: list[Check] = []
    started = time.monotonic()
    stop: str | None = None
    if any(c.status == "timeout" for c in previous):
        stop = "not run: an earlier check of this part timed out"
    elif any(c.status == "forbidden" for c in previous):
        stop = "not run: this part calls minitorch's own implementation"
    for name in spec.needs:
        if not backend.defined(name):
            stop = f"not run: `{name}` is not defined"
            checks.append(
                Check(
                    what=f"`{name}` is defined",
                    hidden=hidden,
                    status="missing",
                    error=name,
                    hint=f"Run the cell that defines `{name}` first (and keep that name).",
                )
            )
    for case in cases:
        if stop:
            checks.append(
                Check(what=case.what, hidden=hidden, status="skipped", weight=case.weight, group=case.group, error=stop)
            )
            continue
        check = run_case(spec, case, hidden, watch, backend)
        checks.append(check)
        if check.status == "timeout":
            stop = "not run: an earlier check of this part timed out"
        elif check.status == "forbidden":
            stop = "not run: this part calls minitorch's own implementation"
        elif time.monotonic() - started > spec.budget:
            stop = f"not run: this part's checks took more than {spec.budget:g} s in all"
    return checks
