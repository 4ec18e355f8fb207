"""The catalogue of plausible student submissions, used to grade the grader.

Each :class:`Mutant` is the reference notebook with a few edits:

* a **bug** (``kind="bug"``) must lose points on exactly the parts listed in ``breaks``;
* an **alternative** (``kind="alternative"``), a different but correct implementation
  (another valid order, another formula), must score full marks;
* a **cheat** (``kind="cheat"``) calls minitorch's own implementation and must score
  zero, flagged as such, on exactly the parts in ``breaks``.

Edits are made on the solution notebook's cells (found by nbgrader ``grade_id``), so
a mutant is always "the reference with one mistake". An edit whose ``old`` text no
longer occurs exactly once fails loudly: update the catalogue with the solution.
One module per exercise (``exNN.py``, defining ``MUTANTS``), found automatically.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import pkgutil
import re
import tempfile
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..checks import exercise
from ..notebooks import nbgrader, read, solution_path, source
from ..report import NotebookReport, points


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` (which must occur exactly once) by ``new`` in the cell ``cell`` (a grade_id)."""

    cell: str
    old: str
    new: str


@dataclass(frozen=True)
class ReplaceSolution:
    """Replace the code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in ``cell``
    (which must have exactly one such block) by ``code``, indented like the block."""

    cell: str
    code: str


@dataclass(frozen=True)
class Mutant:
    name: str
    exercise: str
    kind: str  # "bug" | "alternative" | "cheat"
    description: str
    edits: tuple = ()
    breaks: frozenset = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.kind not in ("bug", "alternative", "cheat"):
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}")
        if (self.kind == "alternative") != (not self.breaks):
            raise ValueError(f"{self.name}: an alternative breaks nothing; a bug or a cheat breaks something")
        unknown = set(self.breaks) - set(exercise(self.exercise).parts)
        if unknown:
            raise ValueError(f"{self.name}: unknown parts {sorted(unknown)}")


def bug(name: str, exercise_id: str, description: str, breaks: set[str], *edits) -> Mutant:
    return Mutant(name, exercise_id, "bug", description, tuple(edits), frozenset(breaks))


def alternative(name: str, exercise_id: str, description: str, *edits) -> Mutant:
    return Mutant(name, exercise_id, "alternative", description, tuple(edits), frozenset())


def cheat(name: str, exercise_id: str, description: str, breaks: set[str], *edits) -> Mutant:
    return Mutant(name, exercise_id, "cheat", description, tuple(edits), frozenset(breaks))


def _apply(text: str, edit: Edit | ReplaceSolution, where: str) -> str:
    if isinstance(edit, Edit):
        count = text.count(edit.old)
        if count != 1:
            raise ValueError(f"{where}: the text to replace occurs {count} times (expected once):\n{edit.old}")
        return text.replace(edit.old, edit.new)
    blocks = list(re.finditer(r"^([ \t]*)### BEGIN SOLUTION\n(.*?)^[ \t]*### END SOLUTION", text, re.M | re.S))
    if len(blocks) != 1:
        raise ValueError(f"{where}: {len(blocks)} solution blocks (expected one)")
    indent = blocks[0].group(1)
    code = textwrap.indent(textwrap.dedent(edit.code).strip("\n") + "\n", indent)
    start, end = blocks[0].span(2)
    return text[:start] + code + text[end:]


def apply(mutant: Mutant) -> dict:
    """The mutant's notebook (the reference notebook with the edits applied)."""
    nb = copy.deepcopy(read(solution_path(exercise(mutant.exercise).notebook)))
    cells = {nbgrader(c).get("grade_id"): c for c in nb["cells"]}
    for edit in mutant.edits:
        if edit.cell not in cells:
            raise ValueError(f"{mutant.name}: no cell with grade_id {edit.cell!r}")
        cell = cells[edit.cell]
        cell["source"] = _apply(source(cell), edit, f"{mutant.name} / {edit.cell}")
    return nb


def write(mutant: Mutant, directory: str | os.PathLike) -> Path:
    notebook = exercise(mutant.exercise).notebook
    path = Path(directory) / mutant.name / f"{notebook}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(apply(mutant), indent=1), encoding="utf-8")
    return path


def _discover() -> list[Mutant]:
    found: list[Mutant] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if re.fullmatch(r"ex\d\d", info.name):
            found += importlib.import_module(f"{__name__}.{info.name}").MUTANTS
    names = [m.name for m in found]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"duplicate mutant names: {sorted(duplicates)}")
    return found


CATALOGUE: list[Mutant] = _discover()


def sample(every: int = 8) -> list[Mutant]:
    """A cross-section of the catalogue for end-to-end tests that cost seconds per notebook: per exercise the
    first bug, alternative and cheat, and every ``every``-th bug after the first. ``MINITORCH_CATALOGUE=all``
    gives the whole catalogue (for the figures in an issue note)."""
    if os.environ.get("MINITORCH_CATALOGUE") == "all":
        return list(CATALOGUE)
    picked, seen = [], {}
    for mutant in CATALOGUE:
        count = seen.setdefault((mutant.exercise, mutant.kind), 0)
        seen[mutant.exercise, mutant.kind] += 1
        if count == 0 or (mutant.kind == "bug" and count % every == 0):
            picked.append(mutant)
    return picked


@dataclass
class MutantResult:
    mutant: Mutant
    report: NotebookReport

    @property
    def lost(self) -> dict[str, float]:
        return self.report.lost()

    @property
    def flagged(self) -> set[str]:
        return {p.part for p in self.report.parts if p.forbidden}

    @property
    def problems(self) -> list[str]:
        """Why the result is not what the catalogue expects (empty when it is)."""
        out = []
        lost, expected = set(self.lost), set(self.mutant.breaks)
        if lost - expected:
            out.append(f"also lost points on {sorted(lost - expected)}")
        if expected - lost:
            out.append(f"did not lose points on {sorted(expected - lost)}")
        if self.mutant.kind == "cheat" and self.flagged != expected:
            out.append(f"flagged as calling minitorch on {sorted(self.flagged)}, expected {sorted(expected)}")
        if self.mutant.kind != "cheat" and self.flagged:
            out.append(f"wrongly flagged as calling minitorch on {sorted(self.flagged)}")
        crashed = [p.part for p in self.report.parts if p.crashed]
        if crashed:
            out.append(f"crashed the grader on {crashed}")
        return out

    @property
    def as_expected(self) -> bool:
        return not self.problems


def grade_catalogue(mutants: list[Mutant] | None = None, workers: int | None = None) -> list[MutantResult]:
    """Grade every mutant (in parallel subprocesses); results in catalogue order."""
    from ..grade import report_for

    mutants = CATALOGUE if mutants is None else mutants
    with tempfile.TemporaryDirectory(prefix="mutants-") as tmp:
        paths = [write(m, tmp) for m in mutants]
        with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
            reports = list(pool.map(report_for, paths))
    return [MutantResult(m, r) for m, r in zip(mutants, reports)]


def table(results: list[MutantResult]) -> str:
    """mutant | kind | exercise | parts that lost points | score | as expected."""
    rows = [("mutant", "kind", "ex", "parts that lost points (points lost)", "score", "as expected")]
    for r in results:
        lost = ", ".join(f"{part} (-{points(n)})" for part, n in r.lost.items()) or "-"
        if r.flagged:
            lost += "  [calls minitorch]"
        rows.append(
            (
                r.mutant.name,
                r.mutant.kind,
                r.mutant.exercise,
                lost,
                f"{points(r.report.points)}/{points(r.report.max_points)}",
                "yes" if r.as_expected else "NO: " + "; ".join(r.problems),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:5], widths)) + "  " + row[5] for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)
