"""How results are shown: to a student in a test cell or a terminal, and as tables."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

from .results import Check, PartResult

#: Whether a failing check shows its code-level hint (``more``) too: always, never, or decided per check.
More = bool | Callable[[Check], bool]

PASS, FAIL = "\u2714", "\u2718"
MAX_DETAILED_FAILURES = 3


def points(x: float) -> str:
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def _indent(label: str, text: str, width: int = 10) -> str:
    lines = str(text).splitlines() or [""]
    head = f"      {label + ':':<{width}}{lines[0]}"
    rest = [" " * (6 + width) + line for line in lines[1:]]
    return "\n".join([head] + rest)


def render_check(check: Check, *, detailed: bool, hint: bool = True, more: bool = False) -> str:
    mark = PASS if check.passed else FAIL
    line = f"  {mark} {check.what}"
    if check.passed or not detailed:
        if not check.passed and check.status != "failed":
            line += f"  [{_short_status(check)}]"
        return line
    out = [line]
    if check.input:
        out.append(_indent("input", check.input))
    if check.status == "forbidden":
        out.append(
            _indent(
                "problem",
                f"calls {', '.join(check.forbidden)}: minitorch's own implementation of "
                "what this part asks you to write. That earns no points for this part.",
            )
        )
    elif check.status in ("failed",):
        out.append(_indent("expected", check.expected or ""))
        out.append(_indent("actual", check.actual or ""))
        if check.detail:
            out.append(_indent("problem", check.detail))
    elif check.status == "missing":
        out.append(
            _indent(
                "problem",
                f"`{check.error}` is not defined: run the cell that defines it (and keep "
                "the name the instructions give)",
            )
        )
    else:
        out.append(_indent("problem", check.error or check.status))
        if check.expected:
            out.append(_indent("expected", check.expected))
    if check.note and check.status == "failed":
        out.append(_indent("note", check.note))
    if hint and check.hint and check.status not in ("skipped", "forbidden"):
        out.append(_indent("hint", "\n".join(textwrap.wrap(check.hint, 90))))
        if more and check.more:
            out.append(_indent("more", "\n".join(textwrap.wrap(check.more, 90))))
    return "\n".join(out)


def _short_status(check: Check) -> str:
    return {
        "not_implemented": "not implemented yet",
        "timeout": "timed out",
        "skipped": "not run",
        "missing": f"`{check.error}` not defined",
        "forbidden": "uses minitorch's implementation",
        # one line: a message may span several (or end with a newline), which would break the check's line
        "error": ((check.error or "").split("  (")[0].strip().splitlines() or ["error"])[0],
    }.get(check.status, check.status)


def render_checks(checks: list[Check], *, collapse: bool = False, more: More = False) -> str:
    """Every check on one line; the first few failures with input, expected, actual and hint (and the
    code-level hint where ``more`` says so). With ``collapse``, checks that were not run or not implemented
    (after the first) are only counted."""
    lines, detailed, hints = [], 0, set()
    collapsed: dict[str, int] = {}
    for check in checks:
        detail = not check.passed and check.status not in ("skipped",) and detailed < MAX_DETAILED_FAILURES
        if detail and check.status == "not_implemented" and detailed:
            detail = False  # one "not implemented yet" explanation is enough
        if collapse and not detail and check.status in ("skipped", "not_implemented"):
            reason = check.error if check.status == "skipped" else "not implemented yet"
            collapsed[reason or "not run"] = collapsed.get(reason or "not run", 0) + 1
            continue
        show_more = more(check) if callable(more) else more
        lines.append(render_check(check, detailed=detail, hint=check.hint not in hints, more=show_more))
        if detail:
            hints.add(check.hint)
        detailed += detail
    for reason, count in collapsed.items():
        lines.append(f"  {FAIL} {count} more check{'s' if count > 1 else ''}: {reason}")
    return "\n".join(lines)


def render_groups(result: PartResult) -> str:
    """``behaviour 4/4, edge cases 1/3`` (checks passed per group), or "" when the part has one group."""
    counts: dict[str, list[int]] = {}
    for check in result.checks:
        count = counts.setdefault(check.group, [0, 0])
        count[0] += check.passed
        count[1] += 1
    if len(counts) < 2:
        return ""
    share = points(result.max_points / len(counts))
    groups = ", ".join(f"{group} {passed}/{total}" for group, (passed, total) in counts.items())
    return f"Checks passed per group ({share} points each): {groups}."


def render_part_run(result: PartResult, new: list[Check], *, hidden: bool, final: bool, more: More = False) -> str:
    """What a notebook test cell prints after running the visible or the hidden checks."""
    kind = "hidden" if hidden else "visible"
    head = f"{result.exercise} / {result.part}: {result.title}  [{points(result.max_points)} points]"
    passed = sum(c.passed for c in new)
    failing = [c for c in new if not c.passed]
    body = render_checks(new, more=more) if not hidden else render_checks(failing, collapse=True, more=more)
    summary = f"{passed} of {len(new)} {kind} checks passed."
    if result.forbidden:
        summary += (
            f" This part calls {', '.join(result.forbidden)}, minitorch's own implementation of what it "
            "asks you to write: that earns no points."
        )
    elif result.status == "not implemented yet":
        summary += " Not implemented yet: replace `raise NotImplementedError()` with your code."
    score = f"Score so far: {points(result.points)} of {points(result.max_points)} points."
    if not final:
        score += " More checks run when your notebook is graded."
    parts = [
        head if not hidden else f"{result.exercise} / {result.part}: hidden checks",
        body,
        summary,
        render_groups(result) if failing else "",
        score,
    ]
    return "\n".join(p for p in parts if p)


@dataclass
class NotebookReport:
    """The grade of one notebook: a PartResult per part."""

    path: str
    exercise: str
    title: str
    hidden: bool
    parts: list[PartResult] = field(default_factory=list)
    cell_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: What the grader did that a student should know (IPython lines skipped, test cells missing).
    notes: list[str] = field(default_factory=list)

    @property
    def points(self) -> float:
        return round(sum(p.points for p in self.parts), 6)

    @property
    def max_points(self) -> float:
        return sum(p.max_points for p in self.parts)

    def part(self, name: str) -> PartResult:
        for p in self.parts:
            if p.part == name:
                return p
        raise KeyError(name)

    def lost(self) -> dict[str, float]:
        """part -> points lost, for the parts that lost points."""
        return {p.part: round(p.max_points - p.points, 6) for p in self.parts if p.points < p.max_points}

    def grader_warnings(self) -> list[str]:
        return [f"{p.part}: {c.what}: {c.grader_warning}" for p in self.parts for c in p.checks if c.grader_warning]

    def table(self) -> str:
        mode = "all checks" if self.hidden else "visible checks only; more run when your notebook is graded"
        rows = [
            (p.part, f"{p.n_passed}/{len(p.checks)}", f"{points(p.points)}/{points(p.max_points)}", p.status)
            for p in self.parts
        ]
        rows.append(("total", "", f"{points(self.points)}/{points(self.max_points)}", ""))
        widths = [max(len(r[i]) for r in rows + [("part", "checks", "points", "status")]) for i in range(4)]
        fmt = f"  {{:<{widths[0]}}}  {{:>{widths[1]}}}  {{:>{widths[2]}}}  {{}}"
        lines = [
            f"{self.exercise}: {self.title} - {self.path} ({mode})",
            fmt.format("part", "checks", "points", "status").rstrip(),
        ]
        lines += [fmt.format(*r).rstrip() for r in rows]
        return "\n".join(lines)

    def details(self, more: More = False) -> str:
        out = []
        if self.cell_errors:
            out.append("Errors while running your notebook's cells (the checks below may fail because of them):")
            out += [f"  {e}" for e in self.cell_errors]
        for p in self.parts:
            if p.points < p.max_points:
                head = f"\n{p.exercise} / {p.part}: {p.title}  ({points(p.points)}/{points(p.max_points)})"
                if p.status == "not implemented yet":
                    out.append(f"{head}: not implemented yet")
                    continue
                out.append(head)
                if p.crashed:
                    out.append(f"  {FAIL} {p.crashed}")
                out.append(render_checks([c for c in p.checks if not c.passed], collapse=True, more=more))
                groups = render_groups(p)
                if groups:
                    out.append("  " + groups)
        return "\n".join(out).strip("\n")

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "exercise": self.exercise,
            "title": self.title,
            "hidden": self.hidden,
            "points": self.points,
            "max_points": self.max_points,
            "cell_errors": self.cell_errors,
            "seconds": self.seconds,
            "parts": [p.to_dict() | {"points": p.points, "status": p.status} for p in self.parts],
        }
