"""``python -m grading``: self-check, grade, release, and the bug catalogue.

    python -m grading check NOTEBOOK      visible checks, as the notebook's test cells run them
    python -m grading grade NOTEBOOK      every check (visible and hidden), as the autograder runs them
    python -m grading release [--dest D]  regenerate exercises/ from solutions/ with nbgrader
    python -m grading catalogue           grade every catalogued buggy/alternative notebook
    python -m grading edition DEST        write the student edition (no solutions/, visible checks only)
    python -m grading autograde [PATH]    grade a whole class (sandboxed, in parallel): minitorch-autograde

``check`` and ``grade`` print a table (part, checks passed, points, status) and
the failing checks with their input, expected and actual values and a hint that
names the concept; ``--more`` adds the code-level hints.
They exit with 0 when every part has full marks, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys


def _grade(args: argparse.Namespace, hidden: bool) -> int:
    from .grade import grade_notebook

    try:
        report = grade_notebook(args.notebook, hidden=hidden, exercise=args.exercise)
    except (ValueError, KeyError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_dict(), indent=1))
    else:
        print(report.table())
        details = report.details(more=args.more)
        if details:
            print("\n" + details)
    return 0 if report.points == report.max_points else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m grading", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("check", "run the visible checks of a notebook (self-check)"),
        ("grade", "run every check of a notebook (visible and hidden)"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("notebook")
        p.add_argument("--exercise", help="exNN, when the file name does not start with it")
        p.add_argument("--json", action="store_true", help="print the full result as JSON")
        p.add_argument("--more", action="store_true", help="show the code-level hints too, not only the concepts")
    p = sub.add_parser("release", help="regenerate exercises/ from solutions/ (nbgrader generate_assignment)")
    p.add_argument("--dest", help="write the released notebooks here instead of exercises/")
    sub.add_parser("catalogue", help="grade the catalogue of buggy and alternative notebooks, print a table")
    p = sub.add_parser("edition", help="write the student edition: no solutions/, no hidden checks (grading.edition)")
    p.add_argument("dest", help="a new or empty folder outside the repository")
    p = sub.add_parser(
        "autograde",
        help="grade a folder of submissions (nbgrader layout) or a notebook, sandboxed, "
        "in parallel: minitorch-autograde --help",
        add_help=False,
    )
    p.add_argument("rest", nargs=argparse.REMAINDER)
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["autograde"]:  # its own options (argparse would take --help for itself)
        from .classroom.cli import main as autograde

        return autograde(argv[1:])
    args = parser.parse_args(argv)
    if args.command in ("check", "grade"):
        return _grade(args, hidden=args.command == "grade")
    if args.command == "release":
        from .release import main as release

        return release(args.dest)
    if args.command == "edition":
        from .edition import main as edition

        return edition(args.dest)
    from .mutants import grade_catalogue, table

    results = grade_catalogue()
    print(table(results))
    return 0 if all(r.as_expected for r in results) else 1


def check_main() -> int:
    """Console-script entry point: ``minitorch-check NOTEBOOK`` = ``python -m grading check NOTEBOOK``."""
    return main(["check"] + sys.argv[1:])
