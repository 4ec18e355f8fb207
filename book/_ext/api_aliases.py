"""Resolve cross-references to names that minitorch re-exports.

The package's docstrings refer to objects by the names users type, such as
``:class:`minitorch.Tensor``` or, inside ``minitorch/__init__.py``,
``:class:`Scalar```. The API appendix documents each object once, where it is
defined (``minitorch.tensor.Tensor``, ``minitorch.scalar.Scalar``), so
Sphinx's nitpicky mode (``-n``) would report those references as broken. When
Sphinx cannot resolve a Python reference into minitorch, this extension
imports the name, finds the module and qualified name of the object it is
bound to, and resolves the reference to that documented object instead.
References that still do not resolve are left alone (and reported by ``-n``).
"""

from __future__ import annotations

import importlib
import inspect

from sphinx.application import Sphinx


def _canonical_name(dotted: str) -> str | None:
    """``minitorch.Tensor`` -> ``minitorch.tensor.Tensor``; None if it is not a minitorch object."""
    parts = dotted.split(".")
    if parts[0] != "minitorch":
        return None
    obj = importlib.import_module("minitorch")
    base, rest = "minitorch", []
    for i, part in enumerate(parts[1:], start=1):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            return None
        if inspect.ismodule(obj):
            base, rest = obj.__name__, []
        elif inspect.isclass(obj) or inspect.isfunction(obj):
            base, rest = f"{obj.__module__}.{obj.__qualname__}", []
        else:  # an attribute (property, constant) of the last class or module found
            rest = parts[i:]
            break
    canonical = ".".join([base, *rest])
    return canonical if canonical != dotted else None


def _resolve_alias(app: Sphinx, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    module = node.get("py:module") or ""
    candidates = [target] if target.startswith("minitorch.") else []
    if module.startswith("minitorch"):
        candidates.append(f"{module}.{target}")
    domain = env.get_domain("py")
    for candidate in candidates:
        try:
            canonical = _canonical_name(candidate)
        except ImportError:
            return None
        if canonical is None:
            continue
        for role in (node["reftype"], "obj"):
            resolved = domain.resolve_xref(env, node.get("refdoc", ""), app.builder, role, canonical, node, contnode)
            if resolved is not None:
                return resolved
    return None


def setup(app: Sphinx) -> dict:
    app.connect("missing-reference", _resolve_alias)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
