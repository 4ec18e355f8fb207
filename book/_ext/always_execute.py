"""Re-read, and so re-execute, every notebook page on every build.

Sphinx builds incrementally: a page whose source file did not change is not
read again, so MyST-NB's ``execute_notebooks: force`` only runs the pages
Sphinx decided to re-read. The book's outputs come from the ``minitorch``
package, which Sphinx does not track, so after a change to the package an
incremental ``make book`` would publish stale outputs (and would not fail on a
cell that now raises). This extension marks every notebook page as outdated on
each build, so each ``make book`` executes every notebook, as a clean build does.

The one exception is the single-page build that ``make pdf`` prints: it runs
right after ``make book`` and reuses that build's executed pages (they share
``_build/.doctrees``), so the PDF costs no second execution of the book.
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

# Builders that only reprint what the HTML build has just executed.
_REUSING_BUILDERS = {"singlehtml"}


def _all_notebooks(app: Sphinx, env: BuildEnvironment, added, changed, removed) -> list[str]:
    if app.builder.name in _REUSING_BUILDERS:
        return []
    return sorted(
        docname for docname in env.found_docs if docname not in added and "kernelspec" in env.metadata.get(docname, {})
    )


def setup(app: Sphinx) -> dict:
    app.connect("env-get-outdated", _all_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
