"""Exercise 0's probes: the student's trace tables (dicts row name -> number) at inputs sent as numbers.

A table comes back as ``{"rows": {name: float, or {"kind", "repr"} for a row that is not a real number},
"other_keys": [repr of every key that is not a short str]}``, anything that is not a dict as
``{"kind": type name, "repr": ...}``. The tangent and adjoint tables are computed from the primal table the
student's own function returns (``primal_table``, or the given ``fanout_primal_table``): the probe sends that
table back too, so that the check can judge the tangents or adjoints on the student's own values, and says
whether the student's function modified the table it was given.
"""

from __future__ import annotations

from typing import Any

from .base import probe, short_repr, student
from .ex01 import is_real

#: The longest row name a table may use (longer keys are described, not sent).
MAX_KEY = 40


def encode_table(table: Any) -> dict:
    """A returned table as data (see the module's docstring)."""
    if not isinstance(table, dict):
        return {"kind": type(table).__name__, "repr": short_repr(table)}
    rows: dict[str, Any] = {}
    other_keys: list[str] = []
    for key, value in table.items():
        if not isinstance(key, str) or len(key) > MAX_KEY:
            other_keys.append(short_repr(key, MAX_KEY))
            continue
        rows[key] = float(value) if is_real(value) else {"kind": type(value).__name__, "repr": short_repr(value, 60)}
    return {"rows": rows, "other_keys": other_keys}


def _primal(namespace: dict, function: str, inputs: list[float]) -> tuple[dict | None, dict]:
    """The primal table the student's (or the given) ``function`` returns, as plain floats when every row is a
    real number (else None), and as data."""
    table = student(namespace, function)(*inputs)
    data = encode_table(table)
    rows = data.get("rows")
    if rows is None or data["other_keys"] or not all(isinstance(x, float) for x in rows.values()):
        return None, data
    return dict(rows), data


def _from_primal(namespace: dict, function: str, primal: dict, extra: list[float]) -> dict:
    """``function(primal, *extra)`` on a fresh copy of ``primal``: its table, and whether it changed the copy."""
    given = dict(primal)
    table = student(namespace, function)(given, *extra)
    return {"table": encode_table(table), "modified": given != primal}


@probe
def primal(namespace: dict, x1: float, x2: float) -> dict:
    """``primal_table(x1, x2)``."""
    return encode_table(student(namespace, "primal_table")(x1, x2))


@probe
def tangent(namespace: dict, x1: float, x2: float, dx1: float, dx2: float) -> dict:
    """``tangent_table(v, dx1, dx2)`` where ``v = primal_table(x1, x2)``."""
    v, data = _primal(namespace, "primal_table", [x1, x2])
    if v is None:
        return {"primal": data}
    return {"primal": data, **_from_primal(namespace, "tangent_table", v, [dx1, dx2])}


@probe
def adjoint(namespace: dict, x1: float, x2: float, ybar: float) -> dict:
    """``adjoint_table(v, ybar)`` where ``v = primal_table(x1, x2)``."""
    v, data = _primal(namespace, "primal_table", [x1, x2])
    if v is None:
        return {"primal": data}
    return {"primal": data, **_from_primal(namespace, "adjoint_table", v, [ybar])}


@probe
def fanout(namespace: dict, x: float, ybar: float) -> dict:
    """``fanout_adjoint_table(w, ybar)`` where ``w = fanout_primal_table(x)`` (a given cell)."""
    w, data = _primal(namespace, "fanout_primal_table", [x])
    if w is None:
        return {"primal": data}
    return {"primal": data, **_from_primal(namespace, "fanout_adjoint_table", w, [ybar])}


@probe
def on_table(namespace: dict, function: str, table: dict, extra: list[float]) -> dict:
    """``function(table, *extra)`` for a given primal table (the grader runs it on the reference solution, with
    the student's primal table, to judge the student's tangents or adjoints on the student's own values)."""
    if function not in ("tangent_table", "adjoint_table", "fanout_adjoint_table"):
        raise ValueError(f"on_table: no table function {function!r}")
    return _from_primal(namespace, function, {str(k): float(x) for k, x in table.items()}, list(extra))
