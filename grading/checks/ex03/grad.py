"""Exercise 3, part ``grad``: the gradient of a function of plain numbers, by reverse mode."""

from __future__ import annotations

from ... import graphs as G
from ...core import Case, Tester, Verdict
from ...numeric import central, close, fd_agrees, is_real, show
from ...probes.ex03 import BACKWARD_STANDIN
from ...programs import Program, random_program
from .common import BACKWARD_FORBIDDEN, EXERCISE, abs_adjoints, rule_case


def grad_case(t: Tester, text: str, program: Program, group: str | None = None, weight: float = 1.0) -> Case:
    f, xs = program.function(), tuple(program.inputs.values())

    def run() -> Verdict:
        Var = t.reference("Var")
        expected = list(t.reference("grad")(f, *xs))
        leaves = [Var(x) for x in xs]
        output = f(*leaves)
        scales = [0.0] * len(xs)
        if isinstance(output, Var):
            acc = abs_adjoints(t, output, t.reference("topological_sort")(output))
            scales = [acc.get(leaf, 0.0) for leaf in leaves]
        reply = t.probe("grad", inputs=list(program.inputs), lines=program.lines, xs=list(xs), allow=BACKWARD_STANDIN)
        expected_text = "[" + ", ".join(show(e) for e in expected) + "]"
        if "items" not in reply:
            return Verdict(False, expected_text, f"{reply['repr']}  (grad must return a list of floats)")
        actual = [G.Returned(a) if isinstance(a, str) else a for a in reply["items"]]
        actual_text = "[" + ", ".join(show(a) for a in actual) + "]"
        passed = len(actual) == len(expected) and all(
            is_real(a) and close(a, e, s) for a, e, s in zip(actual, expected, scales)
        )
        estimates, warning = [], None
        for i, x in enumerate(xs):

            def g(s: float, i: int = i) -> float:
                shifted = [Var(v + (s if j == i else 0.0)) for j, v in enumerate(xs)]
                out = f(*shifted)
                return float(out.value) if isinstance(out, Var) else float(out)

            estimate = central(g, 0.0, 1e-6 * max(1.0, abs(x)))
            estimates.append(estimate)
            if not fd_agrees(estimate, expected[i], scales[i], rtol=1e-4):
                warning = f"reference gradient {expected[i]!r} but central difference {estimate!r}"
        note = "central differences: [" + ", ".join(show(e) for e in estimates) + "]"
        return Verdict(passed, expected_text, actual_text, note=note, grader_warning=warning)

    args = ", ".join(show(x) for x in xs)
    return Case(f"grad({text}, {args})", run, group=group, weight=weight)


def _program_case(t: Tester, what: str, program: Program) -> Case:
    case = grad_case(t, what, program)
    case.input = program.text()
    return case


def _function(*, y: str, **inputs: float) -> Program:
    """``lambda <inputs>: y`` as a one-line program."""
    return Program(inputs, [("y", y)] if y not in inputs else [])


@EXERCISE.part(
    "grad",
    points=2,
    title="grad(f, *xs): gradient by one backward pass",
    needs=("grad",),
    forbidden=BACKWARD_FORBIDDEN,
    hint="Which nodes does backward give adjoints for, and what is the derivative with respect to an input the "
    "output does not depend on (or when f returns a plain number)?",
    more="Make one leaf Var per input (one each, even for equal values), call f on them, run backward on the "
    "result once and read each leaf's adjoint, 0.0 where backward's dict has none.",
)
def grad(t: Tester):
    if not t.hidden:
        first = _function(x1=0.5, x2=-1.5, y="x1 * x2 + x1.sin()")
        yield grad_case(t, "lambda x1, x2: x1 * x2 + x1.sin()", first)
        yield grad_case(t, "lambda x: x", _function(x=2.0, y="x"), group="edge cases")
        unused = Program({"x": 1.0, "y": 2.0}, [("v", "x * 3.0")])
        yield grad_case(t, "lambda x, y: x * 3.0  (y is not used)", unused, group="edge cases")
        # what the text stresses: a plain-number f, one leaf per input (even for equal values)
        stressed = {"group": "edge cases", "weight": 3}
        yield grad_case(t, "lambda x: 2.0  (a plain number)", _function(x=1.0, y="2.0"), **stressed)
        same = _function(a=3.0, b=3.0, y="a * b")
        yield grad_case(t, "lambda a, b: a * b  (two inputs with the same value)", same, **stressed)
        call = "grad(lambda x1, x2: x1 * x2 + x1.sin(), 0.5, -1.5)"
        yield rule_case(t, "grad", "list", first, call)
        yield rule_case(t, "grad", "once", first, call)
        return
    Var = t.reference("Var")
    for i in range(5):
        program = random_program(t.rng, Var, inputs=t.rng.randint(1, 4), ops=t.rng.randint(3, 15), reuse=True)
        yield _program_case(t, f"random program #{i + 1}", program)
    constant = Program({"x": 1.0, "w": -1.0}, [("y", "2.0")])
    yield grad_case(t, "lambda x, w: 2.0  (a plain number, two inputs)", constant, group="edge cases")
    same = _function(a=3.0, b=3.0, y="a * b")
    yield grad_case(t, "lambda x: x * x * 1e-6", _function(x=1e8, y="x * x * 1e-6"), group="robustness")
    yield rule_case(t, "grad", "once", same, "grad(lambda a, b: a * b, 3.0, 3.0)")
