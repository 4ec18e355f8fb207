"""Offer every chapter as a notebook that runs outside the book.

MyST-NB writes the executed notebook of every page to
``_build/jupyter_execute/<page>.ipynb``, but that notebook still holds the
chapter's MyST source: ``literalinclude`` directives instead of the listings,
roles such as ``{ref}`` and ``{cite:p}``, and code that reads from the
repository. This extension converts it with :mod:`reader_notebook` into a
notebook that runs in any Jupyter where ``minitorch`` is installed, writes it to
``_build/html/_sources/<page>.ipynb`` and puts it in the page's download menu
(sphinx-book-theme only does that itself when launch buttons are configured).
Nothing here touches the network.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
from bibtex_author_year import author_year_label
from header_links import repository_url
from reader_notebook import BuildFacts, convert
from sphinx.application import Sphinx
from sphinx.directives.code import LiteralIncludeReader

# myst_nb.sphinx_ext.OUTPUT_FOLDER: the executed notebooks live in <outdir>/../jupyter_execute
_EXECUTED_FOLDER = "jupyter_execute"
_FLAG_OPTIONS = {"lineno-match", "linenos", "force", "diff"}
_INT_OPTIONS = {"dedent", "tab-width", "lineno-start"}


def _reader_for(app: Sphinx, source_dir: Path):
    """A function that reads a ``literalinclude`` the way Sphinx does for the page."""

    def include(argument: str, options: dict[str, str]) -> str:
        typed: dict[str, object] = {}
        for key, value in options.items():
            if key in _FLAG_OPTIONS:
                typed[key] = True
            elif key in _INT_OPTIONS:
                typed[key] = int(value) if value else None
            else:
                typed[key] = value
        path = Path(app.srcdir) / argument.lstrip("/") if argument.startswith("/") else source_dir / argument
        text, _ = LiteralIncludeReader(str(path), typed, app.config).read()
        return text

    return include


def _citations(app: Sphinx) -> dict[str, str]:
    """``key -> "Authors, year"`` for every entry of the book's BibTeX files, as the bibliography labels them."""
    if hasattr(app.env, "_reader_notebook_citations"):
        return app.env._reader_notebook_citations
    from pybtex.database import parse_file  # installed with sphinxcontrib-bibtex

    citations = {
        key: author_year_label(entry)
        for bibfile in app.config.bibtex_bibfiles or []
        for key, entry in parse_file(str(Path(app.srcdir) / bibfile)).entries.items()
    }
    app.env._reader_notebook_citations = citations
    return citations


def _labels(app: Sphinx) -> dict[str, str]:
    std = app.env.get_domain("std")
    return {label: title for label, (_doc, _anchor, title) in std.labels.items() if title}


def _glue(executed: Path) -> dict[str, str]:
    """The page's glued values as the text {glue:text} shows."""
    glue_file = executed.with_suffix(".glue.json")
    if not glue_file.is_file():
        return {}
    values = {}
    for key, output in json.loads(glue_file.read_text(encoding="utf-8")).items():
        text = output.get("data", {}).get("text/plain", "")
        try:
            value = ast.literal_eval(text)
            values[key] = value if isinstance(value, str) else text
        except (ValueError, SyntaxError):
            values[key] = text
    return values


def reader_notebook(app: Sphinx, pagename: str) -> nbformat.NotebookNode | None:
    """The reader's copy of page ``pagename``, or None if the page is not an executed notebook."""
    executed = Path(app.outdir).parent / _EXECUTED_FOLDER / f"{pagename}.ipynb"
    if "kernelspec" not in app.env.metadata.get(pagename, {}) or not executed.is_file():
        return None
    source_dir = Path(app.env.doc2path(pagename)).parent
    facts = BuildFacts(
        source_dir=source_dir,
        repository=Path(app.srcdir).parent,
        include=_reader_for(app, source_dir),
        labels=_labels(app),
        citations=_citations(app),
        substitutions=dict(app.config.myst_substitutions or {}),
        glue=_glue(executed),
        install_from=repository_url(app),
    )
    return convert(nbformat.read(executed, as_version=4), facts)


def _add_ipynb_download(app: Sphinx, pagename: str, templatename, context, doctree) -> None:
    if app.builder.format != "html" or doctree is None:
        return
    notebook = reader_notebook(app, pagename)
    if notebook is None:
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app: Sphinx) -> dict:
    # sphinx-book-theme builds the download menu at priority 501; run just before it.
    app.connect("html-page-context", _add_ipynb_download, priority=500)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.2"}
