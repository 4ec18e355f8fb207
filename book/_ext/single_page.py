"""Let the single-page build (``jupyter-book build --builder singlehtml``) render like the HTML one.

``make pdf`` prints the book from that build. MyST-NB teaches Sphinx how to write
its "show code cell source" toggles only for the ``html`` builder; without this
extension the single-page build warns about an unknown node and drops them.
"""

from __future__ import annotations

from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput, visit_HideCellInput
from sphinx.application import Sphinx


def setup(app: Sphinx) -> dict:
    app.add_node(
        HideCodeCellNode,
        override=True,
        html=(visit_HideCellInput, depart_HideCellInput),
        singlehtml=(visit_HideCellInput, depart_HideCellInput),
    )
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
