"""Offer the executed ``.ipynb`` of every MyST-notebook page for download.

sphinx-book-theme only adds the ".ipynb" entry to a page's download menu when a
launch service (Binder, Colab, ...) *and* a repository URL are configured. The
course has neither yet, but students should still be able to download each
chapter as a notebook. MyST-NB already writes the executed notebook of every
page to ``_build/jupyter_execute/<page>.ipynb``; this extension copies it next
to the page's source in ``_build/html/_sources/`` and tells the theme about it.
Nothing here touches the network.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx

# myst_nb.sphinx_ext.OUTPUT_FOLDER: the executed notebooks live in
# <outdir>/../jupyter_execute
_EXECUTED_FOLDER = "jupyter_execute"


def _add_ipynb_download(app: Sphinx, pagename: str, templatename, context, doctree) -> None:
    if app.builder.format != "html" or doctree is None:
        return
    if context.get("ipynb_source"):  # the theme's launch buttons already did it
        return
    metadata = app.env.metadata.get(pagename, {})
    if "kernelspec" not in metadata:  # not a notebook page
        return
    executed = Path(app.outdir).parent / _EXECUTED_FOLDER / f"{pagename}.ipynb"
    if not executed.is_file():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app: Sphinx) -> dict:
    # sphinx-book-theme builds the download menu at priority 501; run just before it.
    app.connect("html-page-context", _add_ipynb_download, priority=500)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
