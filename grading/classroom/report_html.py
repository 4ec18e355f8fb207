"""``report.html``: the class at a glance, for the instructor; static and offline (figures are embedded).

Per assignment: the score distribution of every part, the checks that fail most often (with their count and
one example), then the submissions that could not be graded and those graded with problems (crashes,
time-outs, minitorch's own implementation), each with its reason.
"""

from __future__ import annotations

import base64
import collections
import html
import io
import re
from pathlib import Path

from ..checks import EXERCISES
from ..record import SubmissionRecord, atomic_write, grade_id, now
from ..report import points, render_check

TOP_CHECKS = 12
NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")
STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; max-width: 1100px;
       margin: 2em auto; padding: 0 1.2em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { border-bottom: 2px solid #dde3ee; padding-bottom: .2em; }
.muted { color: #667085; } .cards { display: flex; gap: 1em; flex-wrap: wrap; margin: 1em 0; }
.card { background: #f4f6fb; border-radius: 8px; padding: .6em 1.1em; min-width: 9em; }
.card b { display: block; font-size: 1.6em; } .bad b { color: #b42318; }
table { border-collapse: collapse; width: 100%; margin: .6em 0 1.4em; }
th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid #e4e7ec; vertical-align: top; }
th { background: #f4f6fb; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
a { color: #2952b3; text-decoration: none; } a:hover { text-decoration: underline; }
pre { margin: 0; white-space: pre-wrap; font-size: .85em; max-height: 12em; overflow: auto; }
img { max-width: 100%; }
"""


def _figure_uri(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def score_figure(exercise_id: str, records: list[SubmissionRecord]) -> str:
    """Histograms of the points of each part and of the total, as a data URI."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    parts = EXERCISES[exercise_id].parts
    panels = [
        (
            f"{name} ({points(spec.points)})",
            spec.points,
            [r.part_points().get(grade_id(exercise_id, name), 0.0) for r in records],
        )
        for name, spec in parts.items()
    ]
    panels.append(
        (
            f"total ({points(EXERCISES[exercise_id].max_points)})",
            EXERCISES[exercise_id].max_points,
            [r.points for r in records],
        )
    )
    columns = 4
    rows = -(-len(panels) // columns)
    fig = Figure(figsize=(3.1 * columns, 2.2 * rows))
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.32 / rows, top=1 - 0.28 / rows, hspace=0.55, wspace=0.25)
    for i, (title, top, values) in enumerate(panels):
        ax = fig.add_subplot(rows, columns, i + 1)
        ax.hist(
            values,
            bins=[top * k / 10 for k in range(11)],
            color="#b42318" if title.startswith("total") else "#3b6fd8",
            edgecolor="white",
        )
        ax.set_title(title, fontsize=10)
        ax.set_xlim(0, top)
        ax.tick_params(labelsize=8)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.spines[["top", "right"]].set_visible(False)
    fig.supylabel("submissions", fontsize=9, x=0.01)
    return _figure_uri(fig)


def failing_checks(records: list[SubmissionRecord]) -> list[tuple[str, str, int, str]]:
    """(part, check, number of submissions failing it, an example), most frequent first. Checks on random
    inputs count together (their numbers shown as ``#``); parts not attempted do not count."""
    counts: collections.Counter = collections.Counter()
    example: dict[tuple[str, str], str] = {}
    for record in records:
        failed = {
            (part.part, NUMBER.sub("#", check.what)): check
            for part in record.parts
            for check in part.checks
            if not check.passed and check.status not in ("skipped", "not_implemented")
        }
        counts.update(failed.keys())
        for key, check in failed.items():
            example.setdefault(key, render_check(check, detailed=True, hint=False).strip())
    return [(part, what, n, example[part, what]) for (part, what), n in counts.most_common(TOP_CHECKS)]


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def checks_figure(rows: list[tuple[str, str, int, str]]) -> str:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(10, 0.32 * len(rows) + 0.9))
    fig.subplots_adjust(left=0.42, right=0.97, bottom=0.6 / (0.32 * len(rows) + 0.9), top=0.97)
    ax = fig.add_subplot()
    labels = [_short(f"{part}: {what}") for part, what, _, _ in rows][::-1]
    ax.barh(labels, [n for _, _, n, _ in rows][::-1], color="#3b6fd8")
    ax.set_xlabel("submissions failing the check")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _figure_uri(fig)


def _table(head: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class='n'>{html.escape(str(v))}</td>"
            if i in numeric
            else f"<td>{v if str(v).startswith('<pre>') else html.escape(str(v))}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{cells}</tr>{body}</table>"


def _section(exercise_id: str, records: list[SubmissionRecord]) -> str:
    spec = EXERCISES[exercise_id]
    graded = [r for r in records if r.graded]
    out = [f"<h2 id='{spec.id}'>{html.escape(spec.id)}: {html.escape(spec.title)}</h2>"]
    if graded:
        mean = sum(r.points for r in graded) / len(graded)
        full = sum(r.points == r.max_points for r in graded)
        out.append(
            f"<p>{len(graded)} graded: mean {points(mean)} of {points(spec.max_points)} points, "
            f"{full} with full marks.</p>"
        )
        out.append(f"<img alt='score distribution per part of {spec.id}' src='{score_figure(spec.id, graded)}'>")
        rows = []
        for name, part in spec.parts.items():
            scores = [r.part_points().get(grade_id(spec.id, name), 0.0) for r in graded]
            rows.append(
                [
                    name,
                    part.title,
                    points(part.points),
                    f"{sum(scores) / len(scores):.2f}",
                    sum(s == part.points for s in scores),
                    sum(s == 0 for s in scores),
                ]
            )
        out.append(_table(["part", "what", "points", "mean", "full marks", "zero"], rows, {2, 3, 4, 5}))
        rows = failing_checks(graded)
        if rows:
            out.append("<h3>Checks failed most often</h3>")
            out.append(f"<img alt='most frequent failing checks of {spec.id}' src='{checks_figure(rows)}'>")
            out.append(
                _table(
                    ["part", "check", "submissions", "example"],
                    [[p, w, n, f"<pre>{html.escape(e)}</pre>"] for p, w, n, e in rows],
                    {2},
                )
            )
    failed = [r for r in records if not r.graded]
    if failed:
        out.append(f"<h3>Failed to grade ({len(failed)})</h3>")
        out.append(_table(["student", "reason", "notebook"], [[r.student, r.reason, r.notebook] for r in failed]))
    troubled = [r for r in graded if r.reason]
    if troubled:
        out.append(f"<h3>Graded with problems ({len(troubled)})</h3>")
        out.append(
            _table(["student", "points", "problems"], [[r.student, points(r.points), r.reason] for r in troubled], {1})
        )
    return "\n".join(out)


def report_html(records: list[SubmissionRecord]) -> str:
    """The whole page."""
    by_exercise: dict[str | None, list[SubmissionRecord]] = collections.defaultdict(list)
    for record in records:
        by_exercise[record.exercise if record.exercise in EXERCISES else None].append(record)
    failed = sum(not r.graded for r in records)
    cards = [
        ("submissions", len(records), ""),
        ("graded", len(records) - failed, ""),
        ("failed to grade", failed, " bad" if failed else ""),
    ]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Class report</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Class report</h1><p class='muted'>Made {now()} from {len(records)} records.</p>",
        "<div class='cards'>" + "".join(f"<div class='card{c}'><b>{n}</b>{t}</div>" for t, n, c in cards) + "</div>",
    ]
    known = sorted(e for e in by_exercise if e)
    parts.append(
        "<p>" + " &middot; ".join(f"<a href='#{e}'>{e}: {html.escape(EXERCISES[e].title)}</a>" for e in known) + "</p>"
    )
    parts += [_section(e, by_exercise[e]) for e in known]
    unknown = by_exercise.get(None, [])
    if unknown:
        parts.append(f"<h2>Not one of the course's exercises ({len(unknown)})</h2>")
        parts.append(
            _table(["student", "assignment", "reason"], [[r.student, r.assignment, r.reason] for r in unknown])
        )
    return "\n".join(parts + ["</body></html>\n"])


def write_report(out: Path, records: list[SubmissionRecord]) -> Path:
    path = Path(out) / "report.html"
    atomic_write(path, report_html(records))
    return path
