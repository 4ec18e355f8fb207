"""``minitorch-autograde`` (``make autograde``, ``python -m grading autograde``): grade a class.

    minitorch-autograde [PATH ...] [--out DIR] [--jobs N | --scheduler tcp://host:8786] [--force] ...

PATH is a notebook, or a folder in nbgrader's layout, ``submitted/<student>/<assignment>/<notebook>.ipynb``
(a course folder that contains ``submitted/`` works too; the default is ``./submitted``). In ``--out``
(default ``./autograde``): ``results/<student>/<assignment>.json`` (one record per submission, written as soon
as it is graded), ``grades.csv``, ``feedback/<student>/<assignment>.txt`` and ``report.html``.

A second run grades only what changed (the notebook's content or the grader); ``--force`` grades everything
again. Ctrl-C (or a kill) loses nothing that was graded: run the same command again to finish.
"""

from __future__ import annotations

import argparse
import sys

from .dispatch import default_jobs
from .run import run
from .worker import Options

ISOLATION = ("auto", "bwrap", "namespaces", "unshare", "none")


def build_parser() -> argparse.ArgumentParser:
    defaults = Options()
    parser = argparse.ArgumentParser(
        prog="minitorch-autograde", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "paths",
        nargs="*",
        default=["submitted"],
        help="notebooks, or folders in nbgrader's layout (default: submitted)",
    )
    parser.add_argument("--out", default="autograde", help="where the results go (default: autograde)")
    parser.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=default_jobs(),
        help="submissions graded in parallel on this machine (default: the number of cores)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="grade on a Dask cluster (tcp://host:8786) instead; needs the [cluster] extra, and "
        "the course installed on every worker (start them with --nthreads 1)",
    )
    parser.add_argument("--force", action="store_true", help="grade again submissions already graded")
    parser.add_argument("--exercise", help="exNN, for notebooks whose names do not say")
    parser.add_argument(
        "--timeout",
        type=float,
        default=defaults.timeout,
        help=f"wall-clock seconds per submission (default {defaults.timeout:g})",
    )
    parser.add_argument(
        "--cell-timeout",
        type=float,
        default=defaults.cell_timeout,
        help=f"seconds per code cell of the notebook (default {defaults.cell_timeout:g})",
    )
    parser.add_argument(
        "--memory",
        type=int,
        default=defaults.memory_mb,
        help=f"memory limit of a submission, MB (default {defaults.memory_mb})",
    )
    parser.add_argument(
        "--worker-memory",
        type=int,
        default=defaults.worker_memory_mb,
        help="memory (address space) limit of each grading process, MB; at least --memory; 0: none "
        f"(default {defaults.worker_memory_mb})",
    )
    parser.add_argument(
        "--cpu", type=int, default=None, help="CPU-time limit of a submission, s (default: --timeout + 30)"
    )
    parser.add_argument(
        "--isolation",
        default="auto",
        choices=ISOLATION,
        help="auto (default): the strongest that works here: bwrap (bubblewrap), namespaces "
        "(unshare and chroot, as root or in a user namespace), unshare (network only), none",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit status: 0 when every submission was graded, 1 when some failed to grade, 130 when interrupted."""
    args = build_parser().parse_args(argv)
    try:
        options = Options(
            isolation=args.isolation,
            timeout=args.timeout,
            cell_timeout=args.cell_timeout,
            memory_mb=args.memory,
            cpu_seconds=args.cpu,
            worker_memory_mb=args.worker_memory,
        )
        summary = run(
            args.paths,
            args.out,
            jobs=args.jobs,
            scheduler=args.scheduler,
            force=args.force,
            options=options,
            exercise=args.exercise,
            progress=not args.quiet,
        )
    except (FileNotFoundError, KeyError, ValueError, RuntimeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary.text())
    return 130 if summary.interrupted else 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
