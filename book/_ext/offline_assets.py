"""Keep the built book free of remote scripts, stylesheets and fonts.

The book must work with no network connection: math is typeset by a local
MathJax copy (``sphinx-mathjax-offline``) and every other asset comes from
``_static/``. Two things enforce that:

1. sphinx-thebe, which Jupyter Book 1 always loads, puts an inline script
   naming its CDN bundle (``https://unpkg.com/thebe@...``) and its loader on
   every page, even though live code (``launch_buttons.thebe``) is off. This
   extension drops those assets from every page while thebe is off.
2. After the build, every HTML page is scanned for ``<script src>``,
   ``<link href>``, ``<img src>``, ``<iframe src>``, CSS ``url(...)`` and inline
   scripts that point off-site. Each one is reported as a warning, so
   ``jupyter-book build -W`` fails instead of publishing a page that needs
   the network.

Plain hyperlinks (``<a href="https://...">``) are fine and are not reported.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

_THEBE_FILES = {"sphinx-thebe.js", "sphinx-thebe.css"}

# Attributes that make the browser fetch something when the page is shown.
_REMOTE = r"(?:https?:)?//"
_FETCHING_TAG = re.compile(
    r"<(?P<tag>script|link|img|iframe|source|audio|video|embed)\b[^>]*?\s"
    r"(?P<attr>src|href|data)\s*=\s*[\"'](?P<url>" + _REMOTE + r"[^\"']+)",
    re.IGNORECASE | re.DOTALL,
)
_CSS_URL = re.compile(r"url\(\s*[\"']?(?P<url>" + _REMOTE + r"[^)\"']+)", re.IGNORECASE)
_INLINE_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.IGNORECASE | re.DOTALL)
_URL_IN_SCRIPT = re.compile(r"[\"'](?P<url>https?://[^\"']+)[\"']")
# <link rel="..."> values that do not load anything.
_NON_FETCHING_REL = re.compile(r"\brel\s*=\s*[\"'](?:canonical|alternate|author|license|help)[\"']", re.I)


def _thebe_enabled(app: Sphinx) -> bool:
    options = app.config.html_theme_options or {}
    return bool((options.get("launch_buttons") or {}).get("thebe"))


def _is_thebe_asset(asset) -> bool:
    filename = getattr(asset, "filename", None)
    if filename:  # inline scripts have filename None or ""
        return Path(str(filename)).name.split("?")[0] in _THEBE_FILES
    body = (getattr(asset, "attributes", None) or {}).get("body", "")
    return "THEBE_JS_URL" in body


def _drop_thebe_assets(app: Sphinx, pagename: str, templatename, context, doctree) -> None:
    if _thebe_enabled(app):
        return
    for key in ("script_files", "css_files"):
        assets = context.get(key)
        if isinstance(assets, list):
            assets[:] = [asset for asset in assets if not _is_thebe_asset(asset)]


def _remote_references(html: str) -> list[str]:
    found = []
    for match in _FETCHING_TAG.finditer(html):
        whole_tag = html[match.start() : html.find(">", match.end()) + 1]
        if match.group("tag").lower() == "link" and _NON_FETCHING_REL.search(whole_tag):
            continue
        found.append(f"<{match.group('tag')} {match.group('attr')}={match.group('url')}>")
    for match in _CSS_URL.finditer(html):
        found.append(f"url({match.group('url')})")
    for match in _INLINE_SCRIPT.finditer(html):
        if re.search(r"\bsrc\s*=", match.group("attrs"), re.I):
            continue  # external file; handled above
        for url in _URL_IN_SCRIPT.finditer(match.group("body")):
            found.append(f"<script> ... {url.group('url')}")
    return found


def _check_built_html(app: Sphinx, exc: Exception | None) -> None:
    if exc is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    for page in sorted(outdir.rglob("*.html")):
        if "_static" in page.relative_to(outdir).parts:
            continue  # theme templates and vendored files, not pages
        text = page.read_text(encoding="utf-8", errors="replace")
        for ref in dict.fromkeys(_remote_references(text)):
            logger.warning(
                "page %s loads a remote resource, but the book must work offline: %s",
                page.relative_to(outdir).as_posix(),
                ref,
                type="offline",
                subtype="remote_asset",
            )


def setup(app: Sphinx) -> dict:
    # Late priority: after every extension has added its page assets.
    app.connect("html-page-context", _drop_thebe_assets, priority=900)
    app.connect("build-finished", _check_built_html)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
