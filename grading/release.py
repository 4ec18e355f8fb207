"""Generate the student notebooks (``exercises/``) from the reference ones (``solutions/``) with nbgrader.

This is the one release command (``make release`` runs ``python -m grading release``)::

    nbgrader generate_assignment "*" --no-db --force --CourseDirectory.release_directory=<dest>

run from the repository root, where ``nbgrader_config.py`` maps ``solutions/`` to
``exercises/``. nbgrader replaces every ``### BEGIN SOLUTION`` ... ``### END SOLUTION``
block with ``raise NotImplementedError()``, deletes ``### BEGIN HIDDEN TESTS`` ...
``### END HIDDEN TESTS`` blocks, clears outputs and locks the read-only cells. Its
output is deterministic, so the committed ``exercises/`` must equal a fresh release
byte for byte (``tests/test_exercises_release.py``). ``--no-db`` keeps the release
from writing a gradebook; ``JUPYTER_CONFIG_DIR`` points at an empty folder so that a
personal Jupyter configuration cannot change the output.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .notebooks import REPO_ROOT, read, source

SOLUTIONS_DIR = REPO_ROOT / "solutions"
EXERCISES_DIR = REPO_ROOT / "exercises"
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def assignments() -> list[str]:
    return sorted(p.name for p in SOLUTIONS_DIR.iterdir() if p.is_dir() and re.match(r"ex\d\d_", p.name))


def nbgrader_command(dest: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "nbgrader",
        "generate_assignment",
        "*",
        "--no-db",
        "--force",
        f"--CourseDirectory.release_directory={dest}",
        "--log-level=WARN",
    ]


def release(dest: str | os.PathLike | None = None) -> Path:
    """Write the released notebooks into ``dest`` (``exercises/`` by default); return it."""
    dest = Path(dest or EXERCISES_DIR).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jupyter-config-") as empty:
        env = dict(os.environ, JUPYTER_CONFIG_DIR=empty)
        proc = subprocess.run(nbgrader_command(dest), cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    # A released assignment whose source is gone is stale: remove it.
    for stale in set(p.name for p in dest.iterdir() if p.is_dir()) - set(assignments()):
        if re.match(r"ex\d\d_", stale):
            shutil.rmtree(dest / stale)
    return dest


def files(root: Path) -> dict[str, bytes]:
    """relative path -> content of every file under root (ignoring caches)."""
    skip = {"__pycache__", ".ipynb_checkpoints"}
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not skip & set(p.relative_to(root).parts)
    }


def secret_lines(notebook: dict) -> list[str]:
    """Lines of solution and hidden-test blocks that appear nowhere else in the notebook."""
    secret, public = [], []
    for cell in notebook["cells"]:
        inside = None
        for line in source(cell).splitlines():
            stripped = line.strip()
            if stripped in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"):
                inside = stripped
                continue
            if stripped in ("### END SOLUTION", "### END HIDDEN TESTS"):
                inside = None
                continue
            (secret if inside else public).append(stripped)
    public_set = set(public)
    return [
        line for line in dict.fromkeys(secret) if len(line) >= 8 and line not in public_set and not line.startswith("#")
    ]


def leaks(released: dict, source_notebook: dict) -> list[str]:
    """Solution code or hidden tests found in a released notebook (empty when clean)."""
    text = "\n".join(source(c) for c in released["cells"])
    problems = [f"marker {m!r}" for m in MARKERS if m in text]
    lines = {line.strip() for line in text.splitlines()}
    problems += [f"line {line!r}" for line in secret_lines(source_notebook) if line in lines]
    return problems


def main(dest: str | None = None) -> int:
    out = release(dest)
    for name in assignments():
        notebook = out / name / f"{name}.ipynb"
        problems = leaks(read(notebook), read(SOLUTIONS_DIR / name / f"{name}.ipynb"))
        if problems:
            print(f"{notebook}: the release leaks {'; '.join(problems[:5])}", file=sys.stderr)
            return 1
        print(f"released {notebook.relative_to(REPO_ROOT) if notebook.is_relative_to(REPO_ROOT) else notebook}")
    return 0


__all__ = ["assignments", "files", "leaks", "main", "release", "secret_lines"]
