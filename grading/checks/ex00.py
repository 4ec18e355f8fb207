"""Exercise 0: trace tables by hand, forward (primal and tangent) and reverse (adjoint).

The student fills each table with a function that returns it as a dict ``row name -> number``, one line per
row, as on paper. A table is judged row by row in the order it is filled (forward tables from ``v1`` down,
adjoint tables from the output up): the feedback names the first wrong row and what it computes, and never
the right value of any row. Since every row before it is right, that row's own rule is what is wrong.

Tangents and adjoints are judged on the student's own primal column (the table ``primal_table`` returns): the
reference's ``tangent_table`` / ``adjoint_table`` run on that table (:func:`grading.probes.ex00.on_table`),
so a slip in a primal row costs points in the primal part only. Visible checks use the inputs the notebook
shows; hidden checks the same programs at other inputs, seeds and cotangents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..core import Case, ExerciseSpec, Tester, Verdict
from ..numeric import close, show
from ..tripwire import AUTODIFF

EXERCISE = ExerciseSpec("ex00", "ex00_trace_tables", "Trace tables by hand")

#: The graded program: (row, what it computes), in the order of the forward trace; the last row is y.
PROGRAM = [
    ("v1", "x1"),
    ("v2", "x2"),
    ("v3", "v1 * v2"),
    ("v4", "sin(v3)"),
    ("v5", "v3 + v4"),
    ("v6", "v5 / v2"),
    ("v7", "ln(v1)"),
    ("v8", "v6 - v7"),
]
#: The program with fan-out of part 4 (its primal table is a given cell of the notebook).
FANOUT = [
    ("v1", "x"),
    ("v2", "sin(v1)"),
    ("v3", "v1 * v2"),
    ("v4", "sin(v3)"),
    ("v5", "v3 * v4"),
    ("v6", "v5 * v5"),
]


def consumers(program: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Row -> the rows that use it, once per use (``v6 = v5 * v5`` uses v5 twice)."""
    used: dict[str, list[str]] = {name: [] for name, _ in program}
    for name, expression in program:
        for argument in re.findall(r"\bv\d+\b", expression):
            used[argument].append(name)
    return used


def describe_row(program: list[tuple[str, str]], kind: str, name: str) -> str:
    """What one row of a table computes, in words (never its value)."""
    expression = dict(program)[name]
    if kind == "primal":
        return f"{name} = {expression}"
    if kind == "tangent":
        return f"the tangent of {name} = {expression}"
    users = consumers(program)[name]
    if not users:
        return f"the adjoint of {name} = {expression}, the output"
    text = dict(program)
    uses = [f"{user} = {text[user]}" for user in dict.fromkeys(users)]
    twice = " (twice)" if len(users) > len(set(users)) else ""
    return f"the adjoint of {name} = {expression}, used by " + " and by ".join(uses) + twice


def _list(names: list[str]) -> str:
    return ", ".join(names)


def table_problem(data: dict, names: list[str]) -> str | None:
    """Why a returned table is not a dict with exactly the rows ``names``, each a real number (None if it is)."""
    if "rows" not in data:
        return f"returned a {data['kind']} ({data['repr']}), not a dict row name -> number"
    rows = data["rows"]
    problems = []
    missing = [n for n in names if n not in rows]
    extra = [repr(k) for k in rows if k not in names] + data["other_keys"]
    if missing:
        problems.append(f"no row {_list(missing)}")
    if extra:
        problems.append(f"keys that are not rows of the program: {_list(extra)}")
    for name in names:
        if name in rows and not isinstance(rows[name], float):
            problems.append(f"row {name} is a {rows[name]['kind']} ({rows[name]['repr']}), not a number")
    return "; ".join(problems) or None


def judge(
    data: dict,
    expected: dict[str, float],
    program: list[tuple[str, str]],
    kind: str,
    scale: float,
    note: str | None = None,
) -> Verdict:
    """A table against the expected one, row by row in the order it is filled; the first wrong row is named."""
    names = [name for name, _ in program]
    order = names if kind != "adjoint" else names[::-1]
    shape = f"a dict with the rows {names[0]} ... {names[-1]}, each a number"
    problem = table_problem(data, names)
    if problem:
        detail = f'a table is a dict: its keys the row names "{names[0]}" ... "{names[-1]}", its values numbers'
        return Verdict(False, shape, problem, detail=detail, note=note)
    rows = data["rows"]
    wrong = [name for name in order if not close(rows[name], expected[name], scale)]
    if not wrong:
        return Verdict(True)
    first = wrong[0]
    right = order[: order.index(first)]
    before = f"{right[0]} to {right[-1]} are right" if len(right) > 1 else f"{right[0]} is right" if right else ""
    count = f"{len(wrong)} of the {len(names)} rows are wrong"
    return Verdict(
        False,
        f"row {first} right: {describe_row(program, kind, first)} (its value is not shown: work it out on paper)",
        f"your row {first} = {show(rows[first])}, the first wrong row"
        f"  ({_list([before, count] if before else [count])})",
        detail=f"every row filled before {first} is right, so the rule of row {first} is what to check"
        if right
        else f"{first} is the first row to fill: it comes from the function's arguments, not from other rows",
        note=note,
    )


def _scale(*tables: dict[str, float], inputs: tuple[float, ...] = ()) -> float:
    """The size of the numbers a table is made of: rounding in any correct order of operations is far below
    ``RTOL`` times this."""
    return max([abs(x) for table in tables for x in table.values()] + [abs(x) for x in inputs] + [1.0])


def _case(
    what: str,
    run: Callable[[], Verdict],
    *,
    group: str,
    text: str | None,
    hint: str | None = None,
    more: str | None = None,
) -> Case:
    return Case(what, run, input=text, group=group, hint=hint, more=more)


def _program_text(program: list[tuple[str, str]], inputs: str) -> str:
    return f"{inputs}; " + "; ".join(f"{name} = {expression}" for name, expression in program)


# --------------------------------------------------------------------------- part 1: primal


def primal_case(t: Tester, x1: float, x2: float, *, group: str = "behaviour") -> Case:
    """``primal_table(x1, x2)`` against the reference's, row by row."""

    def run() -> Verdict:
        expected = t.expect("primal", x1=x1, x2=x2)["rows"]
        return judge(t.probe("primal", x1=x1, x2=x2), expected, PROGRAM, "primal", _scale(expected, inputs=(x1, x2)))

    return _case(
        f"primal_table({show(x1)}, {show(x2)})",
        run,
        group=group,
        text=_program_text(PROGRAM, f"x1 = {show(x1)}, x2 = {show(x2)}"),
    )


def _points(t: Tester, count: int) -> list[tuple[float, float]]:
    """Random inputs of the program: x1 > 0 (for ln), |x2| >= 0.3 (for the division), either sign."""
    points = []
    for _ in range(count):
        x1 = round(t.rng.uniform(0.2, 4.0), 3)
        x2 = round(t.rng.choice((-1, 1)) * t.rng.uniform(0.3, 3.0), 3)
        points.append((x1, x2))
    return points


def _signed(t: Tester) -> float:
    return round(t.rng.uniform(-2.0, 2.0), 3)


PRIMAL_HINT = (
    "Each row is one operation on rows that are already filled (or on an input). Work the first wrong row "
    "out on paper from the rows above it: which operation does the program give it, and which rows are its "
    "operands?"
)
PRIMAL_MORE = (
    'Read each operand from the dict you are filling (v["v3"]), not from a formula in x1 and x2; math.log is '
    "the natural logarithm ln, and math.sin takes radians."
)


@EXERCISE.part(
    "primal",
    points=2,
    title="primal_table: the forward values",
    needs=("primal_table",),
    forbidden=AUTODIFF,
    hint=PRIMAL_HINT,
    more=PRIMAL_MORE,
)
def primal(t: Tester):
    if not t.hidden:
        yield primal_case(t, 2.0, 0.5)
        yield primal_case(t, 0.5, 2.0)
        yield primal_case(t, 1.5, -2.0, group="edge cases")
        return
    for x1, x2 in _points(t, 6):
        yield primal_case(t, x1, x2)
    for x1, x2 in ((1.0, -0.3), (0.05, 2.5), (3.0, -3.0)):
        yield primal_case(t, x1, x2, group="edge cases")


# --------------------------------------------------------------------------- parts 2-4: tangents and adjoints


@dataclass(frozen=True)
class Column:
    """A tangent or adjoint column the student fills: the function, its probe and the primal table it reads."""

    function: str
    probe: str
    program: list[tuple[str, str]]
    kind: str
    primal: str
    table: str
    inputs: tuple[str, ...]
    arguments: tuple[str, ...]

    def call(self, inputs: dict, extra: list[float]) -> str:
        arguments = ", ".join(show(x) for x in extra)
        shown = ", ".join(show(x) for x in inputs.values())
        return f"{self.function}({self.table}, {arguments}) with {self.table} = {self.primal}({shown})"


TANGENTS = Column("tangent_table", "tangent", PROGRAM, "tangent", "primal_table", "v", ("x1", "x2"), ("dx1", "dx2"))
ADJOINTS = Column("adjoint_table", "adjoint", PROGRAM, "adjoint", "primal_table", "v", ("x1", "x2"), ("ybar",))
FANOUT_ADJOINTS = Column(
    "fanout_adjoint_table", "fanout", FANOUT, "adjoint", "fanout_primal_table", "w", ("x",), ("ybar",)
)


def _judge_column(t: Tester, column: Column, args: dict, extra: list[float]) -> Verdict:
    """A tangent or adjoint table, judged on the primal table the student's own function returned."""
    reply = t.probe(column.probe, **args)
    names = [name for name, _ in column.program]
    problem = table_problem(reply["primal"], names)
    if problem or "table" not in reply:
        return Verdict(
            False,
            f"{column.function} is checked on the table {column.primal} returns: a dict with the rows "
            f"{names[0]} ... {names[-1]}, each a number",
            f"{column.primal} {problem or 'returned an incomplete table'}",
            detail=f"fix {column.primal} first (its own check says what is wrong)",
        )
    primal_rows = reply["primal"]["rows"]
    reference_primal = t.expect(column.probe, **args)["primal"]["rows"]
    note = None
    if any(not close(primal_rows[n], reference_primal[n], _scale(reference_primal)) for n in names):
        note = f"your {column.primal} has a wrong row at these inputs; this table is judged on your primal values"
    try:
        reference = t.expect("on_table", function=column.function, table=primal_rows, extra=extra)
    except (ArithmeticError, ValueError):  # the rules cannot be applied to these primal values
        reference = t.expect(column.probe, **args)
        note = "judged on the right primal values: yours cannot be used at these inputs"
    expected = reference["table"]["rows"]
    scale = _scale(expected, primal_rows, inputs=tuple(extra))
    return judge(reply["table"], expected, column.program, column.kind, scale, note=note)


def _judge_unmodified(t: Tester, column: Column, args: dict, extra: list[float]) -> Verdict:
    """The table is right and the primal table was left as it was (a stub that returns {} earns nothing)."""
    if not _judge_column(t, column, args, extra).passed:
        return Verdict(
            False,
            f"a right table, and {column.table} as it was given",
            "the table is not right yet (the other checks say where)",
            detail="this check counts once the table itself is right",
        )
    reply = t.probe(column.probe, **args)
    return Verdict(
        not reply["modified"],
        f"the table {column.table} as it was given",
        f"{column.table} was changed by the call",
        detail=f"{column.function} must not modify the primal table it is given (add or change no row of "
        f"{column.table}): build a new dict",
    )


def table_case(t: Tester, column: Column, inputs: dict, extra: list[float], *, group: str = "behaviour") -> Case:
    """A column at the program's ``inputs`` with its seed (``extra``), judged on the student's primal table."""
    args = {**inputs, **dict(zip(column.arguments, extra))}
    return _case(
        column.call(inputs, extra),
        lambda: _judge_column(t, column, args, extra),
        group=group,
        text=_program_text(column.program, ", ".join(f"{k} = {show(x)}" for k, x in inputs.items())),
    )


def unmodified_case(t: Tester, column: Column, inputs: dict, extra: list[float]) -> Case:
    """The column's function leaves the primal table it is given as it was."""
    args = {**inputs, **dict(zip(column.arguments, extra))}
    return _case(
        f"{column.call(inputs, extra)} leaves {column.table} unchanged",
        lambda: _judge_unmodified(t, column, args, extra),
        group="edge cases",
        text=None,
        hint=UNMODIFIED_HINT,
        more=UNMODIFIED_MORE,
    )


Inputs = tuple[float, ...]


def column_cases(
    t: Tester,
    column: Column,
    *,
    visible: list[tuple[Inputs, list[float], str]],
    inputs: list[Inputs],
    edges: list[tuple[Inputs, list[float]]],
    unmodified: tuple[Inputs, list[float]],
):
    """The cases of a column's part: the ``visible`` (inputs, seed, group) and the unmodified table at the first
    of them; hidden, random seeds at ``inputs``, the ``edges`` and the ``unmodified`` table at other inputs."""

    def named(values: Inputs) -> dict:
        return dict(zip(column.inputs, values))

    if not t.hidden:
        for values, extra, group in visible:
            yield table_case(t, column, named(values), extra, group=group)
        yield unmodified_case(t, column, named(visible[0][0]), visible[0][1])
        return
    for values in inputs:
        yield table_case(t, column, named(values), [_signed(t) for _ in column.arguments])
    for values, extra in edges:
        yield table_case(t, column, named(values), extra, group="edge cases")
    yield unmodified_case(t, column, named(unmodified[0]), unmodified[1])


UNMODIFIED_HINT = (
    "The primal table belongs to the caller, who reads it again after your function returns: what may your "
    "function do with it besides reading it?"
)
UNMODIFIED_MORE = (
    'Read values with v["v3"] and write every row of your column into the new dict you return; no '
    "assignment, update() or pop() on v."
)


TANGENT_HINT = (
    "A tangent row is the chain rule for that row's one operation: for each operand, the local derivative "
    "times that operand's tangent, summed over the operands. Where do the input rows' tangents come from?"
)
TANGENT_MORE = (
    'Tangents come from the dict you fill (t["v3"]), values from the primal table (v["v3"]); the input rows '
    "are the seed arguments, whatever their values; a product or a quotient has one term per operand."
)


@EXERCISE.part(
    "tangent",
    points=3,
    title="tangent_table: forward-mode tangents",
    needs=("primal_table", "tangent_table"),
    forbidden=AUTODIFF,
    hint=TANGENT_HINT,
    more=TANGENT_MORE,
)
def tangent(t: Tester):
    yield from column_cases(
        t,
        TANGENTS,
        visible=[((2.0, 0.5), [1.0, 0.0], "behaviour"), ((2.0, 0.5), [0.0, 1.0], "behaviour")],
        inputs=_points(t, 5),
        edges=[((1.7, -0.8), [0.0, 0.0]), ((1.0, -0.3), [0.5, -1.5])],
        unmodified=((0.9, -1.4), [-0.7, 1.1]),
    )


ADJOINT_HINT = (
    "What must every row's adjoint include before you use it? Fill from the output up: a row receives one "
    "term from each row that uses it, and the output row holds the seed."
)
ADJOINT_MORE = (
    "For each row, list the rows whose operation mentions it; its adjoint is the sum over them of that "
    'row\'s adjoint (a["v6"]) times the local derivative of its operation, at the values in v. A minus in '
    "the program is a minus in the term, and the output row is ybar, whatever its value."
)


@EXERCISE.part(
    "adjoint",
    points=3,
    title="adjoint_table: reverse-mode adjoints",
    needs=("primal_table", "adjoint_table"),
    forbidden=AUTODIFF,
    hint=ADJOINT_HINT,
    more=ADJOINT_MORE,
)
def adjoint(t: Tester):
    yield from column_cases(
        t,
        ADJOINTS,
        visible=[((2.0, 0.5), [1.0], "behaviour"), ((2.0, 0.5), [-2.0], "edge cases")],
        inputs=_points(t, 5),
        edges=[((2.2, 1.3), [0.0]), ((0.6, -2.5), [-1.0])],
        unmodified=((0.9, -1.4), [0.3]),
    )


FANOUT_HINT = (
    "How many times is each row used, counting an operation that uses the same row twice? Every use "
    "contributes one term to the row's adjoint."
)
FANOUT_MORE = (
    "Count the uses: v1 and v3 are each used by two rows, and v6 = v5 * v5 uses v5 twice (the product "
    "rule's two terms both belong to v5). Write each adjoint as the sum of one term per use."
)


@EXERCISE.part(
    "fanout",
    points=2,
    title="fanout_adjoint_table: adjoints that accumulate",
    needs=("fanout_primal_table", "fanout_adjoint_table"),
    forbidden=AUTODIFF,
    hint=FANOUT_HINT,
    more=FANOUT_MORE,
)
def fanout(t: Tester):
    yield from column_cases(
        t,
        FANOUT_ADJOINTS,
        visible=[((2.0,), [1.0], "behaviour"), ((-1.0,), [0.5], "edge cases")],
        inputs=[(round(t.rng.uniform(-3.0, 3.0), 3),) for _ in range(5)],
        edges=[((-2.5,), [-0.5]), ((3.0,), [2.0])],
        unmodified=((-1.2,), [0.8]),
    )
