"""What running a part's checks produces: a check's outcome, a part's result and its score.

Every check belongs to a *group* (:data:`GROUPS`): the ordinary behaviour, edge cases, numerical
robustness, scale. Each group present in a part earns an equal share of the part's points, and within
a group checks count by their weight, so a bug that fails a whole group (NaN at x = 1000, say) costs a
visible share of the part however few checks the group has. A part scores zero if any check saw the
student call minitorch's own implementation of the part, or if it crashed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

#: The groups a part's checks fall into; each group present earns an equal share of the part's points.
GROUPS = ("behaviour", "edge cases", "robustness", "scale")


def group_of(group: str | None, heavy: bool) -> str:
    """A case's group: the one given, else ``scale`` for heavy cases and ``behaviour`` for the rest."""
    group = group or ("scale" if heavy else "behaviour")
    if group not in GROUPS:
        raise ValueError(f"unknown check group {group!r}; the groups are {', '.join(GROUPS)}")
    return group


@dataclass
class Check:
    """The outcome of one case."""

    what: str
    hidden: bool
    status: str
    weight: float = 1.0
    input: str | None = None
    expected: str | None = None
    actual: str | None = None
    detail: str | None = None
    note: str | None = None
    hint: str | None = None
    more: str | None = None
    group: str = "behaviour"
    error: str | None = None
    forbidden: list[str] = field(default_factory=list)
    grader_warning: str | None = None
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Check:
        return cls(**data)


@dataclass
class PartResult:
    """Every check of one part, and the score they earn."""

    exercise: str
    part: str
    title: str
    max_points: float
    checks: list[Check] = field(default_factory=list)
    crashed: str | None = None

    @property
    def forbidden(self) -> list[str]:
        names: list[str] = []
        for check in self.checks:
            names += [n for n in check.forbidden if n not in names]
        return names

    def groups(self) -> dict[str, tuple[float, float]]:
        """group -> (weight of passed checks, weight of all checks), for the groups present, in :data:`GROUPS`
        order."""
        totals = {group: [0.0, 0.0] for group in GROUPS}
        for check in self.checks:
            totals[check.group][0] += check.weight if check.passed else 0.0
            totals[check.group][1] += check.weight
        return {group: (passed, total) for group, (passed, total) in totals.items() if total > 0}

    @property
    def points(self) -> float:
        """``max_points`` times the mean, over the groups present, of the passed share of each group's weight."""
        if self.crashed or self.forbidden:
            return 0.0
        groups = self.groups()
        if not groups:
            return 0.0
        share = sum(passed / total for passed, total in groups.values()) / len(groups)
        return min(self.max_points, round(self.max_points * share, 6))

    @property
    def n_passed(self) -> int:
        return sum(c.passed for c in self.checks)

    @property
    def status(self) -> str:
        """One line for tables: why the part has the points it has."""
        if self.crashed:
            return f"crashed: {self.crashed}"
        if self.forbidden:
            return f"no points: calls {', '.join(self.forbidden)}"
        if not self.checks:
            return "no checks ran"
        failed = [c for c in self.checks if not c.passed]
        if not failed:
            return "ok"
        missing = sorted({c.error or "?" for c in failed if c.status == "missing"})
        if missing:
            return "not defined: " + ", ".join(missing)
        if len(failed) == len(self.checks) and all(c.status == "not_implemented" for c in failed):
            return "not implemented yet"
        timed_out = " (a check timed out)" if any(c.status == "timeout" for c in failed) else ""
        return f"{len(failed)} of {len(self.checks)} checks failed{timed_out}"

    def to_dict(self) -> dict:
        return {
            "exercise": self.exercise,
            "part": self.part,
            "title": self.title,
            "max_points": self.max_points,
            "crashed": self.crashed,
            "checks": [c.to_dict() for c in self.checks],
        }

    @classmethod
    def from_dict(cls, data: dict) -> PartResult:
        return cls(
            data["exercise"],
            data["part"],
            data["title"],
            data["max_points"],
            [Check.from_dict(c) for c in data["checks"]],
            data.get("crashed"),
        )
