"""Links in every page's header: the whole book as a PDF, and Binder / Colab launch buttons.

The PDF
    ``make pdf`` prints the book to ``_build/html/<BOOK_PDF>``; every page's
    download menu links it ("Whole book (.pdf)"), next to the page's own files.

Launch buttons
    They come from ONE setting, ``repository.url`` in ``_config.yml`` (a GitHub
    repository). Empty, the site has no launch button. Set, every notebook page
    gets a "launch" menu with Binder and Colab. Both open the page's *reader
    notebook* (the one the download menu offers, see ``notebook_download``),
    not its MyST source, which neither service can run: the Pages workflow
    (``.github/workflows/pages.yml``) pushes those notebooks, with a
    ``requirements.txt`` for Binder, to the branch :data:`NOTEBOOK_BRANCH` of
    the same repository. sphinx-book-theme's own launch buttons stay off (they
    would link the ``.md`` sources and overwrite the reader notebooks).
"""

from __future__ import annotations

import re

from sphinx.application import Sphinx
from sphinx.errors import ConfigError

BOOK_PDF = "minitorch-book.pdf"
NOTEBOOK_BRANCH = "notebooks"
BINDER_URL = "https://mybinder.org"
COLAB_URL = "https://colab.research.google.com"
_GITHUB_REPOSITORY = re.compile(r"^https://github\.com/(?P<org>[\w.-]+)/(?P<repo>[\w.-]+?)(?:\.git)?/?$")


def repository_url(app: Sphinx) -> str:
    """The ``repository.url`` of ``_config.yml`` (Jupyter Book passes it as a theme option)."""
    return str((app.config.html_theme_options or {}).get("repository_url") or "").strip()


def launch_targets(url: str, pagename: str) -> dict[str, str]:
    """``{"Binder": ..., "Colab": ...}`` for page ``pagename`` of the book in GitHub repository ``url``."""
    found = _GITHUB_REPOSITORY.match(url)
    if not found:
        raise ConfigError(
            f"repository.url in book/_config.yml must be a GitHub repository such as "
            f"https://github.com/ORG/REPO (Binder and Colab open it), got {url!r}"
        )
    org, repo = found.group("org"), found.group("repo")
    notebook = f"{pagename}.ipynb"
    return {
        "Binder": f"{BINDER_URL}/v2/gh/{org}/{repo}/{NOTEBOOK_BRANCH}?urlpath=lab/tree/{notebook}",
        "Colab": f"{COLAB_URL}/github/{org}/{repo}/blob/{NOTEBOOK_BRANCH}/{notebook}",
    }


def _check_setting(app: Sphinx) -> None:
    url = repository_url(app)
    if url:
        launch_targets(url, "index")  # fail at the start of the build, not on the first page


def _add_links(app: Sphinx, pagename: str, templatename, context, doctree) -> None:
    if app.builder.format != "html" or doctree is None:
        return
    buttons = context.get("header_buttons")
    if buttons is None:
        return
    download = next((group for group in buttons if group.get("label") == "download-buttons"), None)
    if download is not None:
        download["buttons"].append(
            {
                "type": "link",
                "url": context["pathto"](BOOK_PDF, 1),
                "text": "Whole book (.pdf)",
                "tooltip": "Download the whole book as one PDF",
                "icon": "fas fa-book",
                "label": "download-book-pdf",
            }
        )
    url = repository_url(app)
    if url and context.get("ipynb_source"):
        icons = {"Binder": "_static/images/logo_binder.svg", "Colab": "_static/images/logo_colab.png"}
        buttons.append(
            {
                "type": "group",
                "tooltip": "Run this chapter on Binder or Colab",
                "icon": "fas fa-rocket",
                "label": "launch-buttons",
                "buttons": [
                    {
                        "type": "link",
                        "text": name,
                        "url": target,
                        "tooltip": f"Launch on {name}",
                        "icon": icons[name],
                        "label": f"launch-{name.lower()}",
                    }
                    for name, target in launch_targets(url, pagename).items()
                ],
            }
        )


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", _check_setting)
    # After sphinx-book-theme has built the header buttons (priority 501).
    app.connect("html-page-context", _add_links, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
