"""Exercise 0's public reference: the notebook's programs written as rows (a primitive of minitorch's
``scalar_primitives`` applied to earlier rows), and one forward and one reverse sweep over such rows with
minitorch's local partial derivatives. Every tangent and adjoint is computed from the values of the table it is
given (as the notebook's functions must), each row's partials from the values of the rows it is made of."""

from __future__ import annotations

from typing import Any

from minitorch import scalar_primitives as P

#: A program: its input rows, then (row, primitive, rows it is made of), in order.
Program = tuple[tuple[str, ...], tuple[tuple[str, P.Primitive, tuple[str, ...]], ...]]

#: Parts 1-3: y = (x1 x2 + sin(x1 x2)) / x2 - ln(x1).
MAIN: Program = (
    ("v1", "v2"),
    (
        ("v3", P.MUL, ("v1", "v2")),
        ("v4", P.SIN, ("v3",)),
        ("v5", P.ADD, ("v3", "v4")),
        ("v6", P.DIV, ("v5", "v2")),
        ("v7", P.LOG, ("v1",)),
        ("v8", P.SUB, ("v6", "v7")),
    ),
)
#: Part 4: y = (x sin x) sin(x sin x), squared; v3 and v5 fan out.
FANOUT: Program = (
    ("v1",),
    (
        ("v2", P.SIN, ("v1",)),
        ("v3", P.MUL, ("v1", "v2")),
        ("v4", P.SIN, ("v3",)),
        ("v5", P.MUL, ("v3", "v4")),
        ("v6", P.MUL, ("v5", "v5")),
    ),
)


def _partials(table: dict, prim: P.Primitive, parents: tuple[str, ...]) -> tuple[float, ...]:
    args = [table[p] for p in parents]
    return prim.partials(prim.value(*args), *args)


def values(program: Program, *inputs: float) -> dict[str, float]:
    inputs_rows, rows = program
    table = dict(zip(inputs_rows, map(float, inputs)))
    for name, prim, parents in rows:
        table[name] = prim.value(*(table[p] for p in parents))
    return table


def tangents(program: Program, table: dict, *seed: float) -> dict[str, float]:
    """Forward sweep: each row's tangent is the sum over its parents of partial * the parent's tangent."""
    inputs_rows, rows = program
    dot = dict(zip(inputs_rows, map(float, seed)))
    for name, prim, parents in rows:
        dot[name] = sum(d * dot[p] for d, p in zip(_partials(table, prim, parents), parents))
    return dot


def adjoints(program: Program, table: dict, ybar: float) -> dict[str, float]:
    """Reverse sweep: each row pushes its adjoint * partial to its parents, from the output up."""
    inputs_rows, rows = program
    bar = dict.fromkeys([*inputs_rows, *(name for name, _, _ in rows)], 0.0)
    bar[rows[-1][0]] = float(ybar)
    for name, prim, parents in reversed(rows):
        for d, p in zip(_partials(table, prim, parents), parents):
            bar[p] += bar[name] * d
    return bar


def define(namespace: dict) -> dict[str, Any]:
    return {
        "primal_table": lambda x1, x2: values(MAIN, x1, x2),
        "tangent_table": lambda v, dx1, dx2: tangents(MAIN, v, dx1, dx2),
        "adjoint_table": lambda v, ybar: adjoints(MAIN, v, ybar),
        "fanout_adjoint_table": lambda w, ybar: adjoints(FANOUT, w, ybar),
    }
