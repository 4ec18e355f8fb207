"""Exercise 3: reverse mode, back-propagation of adjoints over a scalar graph.

Graphs are built with the notebook's given ``Var`` class from small programs
(``v1 = x1 * x2; y = v1.exp()``). The student's ``backward`` must return the
adjoint of *every* node; each is compared with the reference's, with a tolerance
relative to the sum of the absolute values of the terms that make it up (so any
summation order passes), and the inputs' adjoints with central differences.

Graphs are built here with the reference's ``Var`` and rebuilt in the sandbox with the notebook's
(:mod:`grading.probes.ex03`). Parts are checked on their own: ``backward`` runs with minitorch's
``topological_sort``, and ``grad`` with a backward pass by minitorch's ``Scalar``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minitorch import scalar_primitives as P

from .. import graphs as G
from ..core import Case, ExerciseSpec, Tester, Verdict
from ..numeric import central, close, fd_agrees, is_real, show
from ..probes.ex03 import BACKWARD_STANDIN
from ..programs import Program, deep_chain, diamond_ladder, random_program
from ..tripwire import AUTODIFF
from .ex02 import RULES, rule_verdict

EXERCISE = ExerciseSpec("ex03", "ex03_reverse_mode", "Reverse mode: back-propagation of adjoints")

SORT_FORBIDDEN = ("minitorch.graph", "graphlib")
#: The deep sorts run under a recursion limit this many frames above the probe (as in exercise 2).
RECURSION_MARGIN = 100
# Everything that differentiates for you (scalar_primitives' partials are allowed here: local_gradients uses them).
BACKWARD_FORBIDDEN = tuple(g for g in AUTODIFF if g != "minitorch.scalar_primitives.partials")
#: id of each of minitorch's primitives -> its name in minitorch.scalar_primitives (how a node's primitive travels).
_PRIMITIVES = {id(obj): name for name, obj in vars(P).items() if isinstance(obj, P.Primitive)}


def _abs_adjoints(t: Tester, output: Any, order: list) -> dict:
    """The adjoints computed with |local gradient|: the size of the terms each adjoint sums."""
    local_gradients = t.reference("local_gradients")
    acc = {node: 0.0 for node in order}
    acc[output] = 1.0
    for node in reversed(order):
        for parent, d in zip(node.parents, local_gradients(node)):
            acc[parent] += acc[node] * abs(d)
    return acc


def _labeller(names: dict[int, str]) -> Callable[[object], str]:
    return lambda node: names.get(id(node), repr(node))


def _show_adjoints(values: list[tuple[str, object]], output: str) -> str:
    return ", ".join(f"d{output}/d{name} = {show(v)}" for name, v in values)


# --------------------------------------------------------------------------- topological_sort


def _graph(output: Any) -> tuple[dict, list]:
    """A graph of the reference's nodes as data for the probes (:mod:`grading.probes.ex03`), and its nodes."""
    data, nodes = G.to_data(output)
    return {
        "values": [node.value for node in nodes],
        "prims": [_PRIMITIVES.get(id(node.prim)) for node in nodes],
        "parents": data["parents"],
        "output": data["output"],
    }, nodes


def topo_case(
    t: Tester,
    what: str,
    make: Callable[[type], tuple[Any, dict]],
    *,
    heavy: bool = False,
    text: str | None = None,
    group: str | None = None,
    recursion_margin: int | None = None,
) -> Case:
    def run() -> Verdict:
        output, names = make(t.reference("Var"))
        label = _labeller(names)
        graph, nodes = _graph(output)
        reply = t.probe("toposort", graph=graph, recursion_margin=recursion_margin)
        result = G.from_data(reply, nodes)
        problem = G.order_problem(output, result, label=label)
        if problem is None and "recursion_limit" in reply:
            problem = (
                f"topological_sort sets the recursion limit (to {reply['recursion_limit']}): the rule is no "
                "recursion, and this check runs under a low limit"
            )
        return Verdict(
            problem is None,
            "every node the output depends on, once, each after its parents",
            G.show_order(result, label=label),
            detail=problem,
        )

    suffix = ", no recursion" if recursion_margin is not None else ""
    return Case(f"topological_sort({what}{suffix})", run, heavy=heavy, input=text, group=group)


def rule_case(t: Tester, function: str, rule: str, program: Program, call: str | None = None) -> Case:
    """A rule the text states, on a small program: exercise 2's ``"list"`` and ``"unchanged"``
    (:data:`grading.checks.ex02.RULES`), or ``"once"`` (grad calls f once and backward once). ``call``: how the
    check names the call (default: the function applied to the program's output). Weighted as three checks:
    breaking a rule breaks every later use of the function."""

    def run() -> Verdict:
        if function == "grad":
            xs = list(program.inputs.values())
            args = {"inputs": list(program.inputs), "lines": program.lines, "xs": xs}
            reply = t.probe("grad", allow=BACKWARD_STANDIN, **args)
        else:
            output, names, _ = program.run(t.reference("Var"))
            graph, nodes = _graph(output)
            reply = t.probe("toposort" if function == "topological_sort" else "backward", graph=graph)
        if "kind" in reply:
            return Verdict(False, "a result to check", f"{reply['kind']}: {reply['repr']}")
        if rule != "once":
            return rule_verdict(function, rule, reply, lambda i: _labeller(names)(nodes[i]))
        calls = (reply.get("f_calls"), reply.get("backward_calls"))
        return Verdict(
            calls == (1, 1),
            "f called once, backward called once",
            f"f called {calls[0]} times, backward called {calls[1]} times",
            None if calls == (1, 1) else "one call of f and one backward pass give every input's derivative",
        )

    what, hint, more = RULES[rule] if rule != "once" else ONCE
    return Case(
        f"{call or f'{function}({program.output_name})'}: {what}",
        run,
        group="edge cases",
        weight=3,
        input=program.text(),
        hint=hint,
        more=more,
    )


ONCE = (
    "calls f once and backward once",
    "Reverse mode gives the derivative with respect to every input from one backward pass: how many passes "
    "does your grad make?",
    "Call f once on the leaves, call backward once on the result, then read each leaf's adjoint from that one dict.",
)


def _program_graph(program: Program) -> Callable[[type], tuple[Any, dict]]:
    def make(Var: type) -> tuple[Any, dict]:
        output, names, _ = program.run(Var)
        return output, names

    return make


def _chain_graph(depth: int) -> Callable[[type], tuple[Any, dict]]:
    def make(Var: type) -> tuple[Any, dict]:
        leaf, output = deep_chain(Var, depth)
        return output, {id(leaf): "x", id(output): "y"}

    return make


@EXERCISE.part(
    "toposort",
    points=1,
    title="topological_sort (yours, from exercise 2)",
    needs=("topological_sort",),
    forbidden=SORT_FORBIDDEN,
    hint="Does your sort from exercise 2 still pass its checks there: every node the output depends on, once, "
    "after its parents, as a list, with no recursion?",
    more="Paste kahn_sort or dfs_sort and rename it topological_sort; Var nodes have parents like exercise 2's "
    "nodes. The deep checks run under a low recursion limit.",
)
def toposort(t: Tester):
    if not t.hidden:
        diamond = Program({"x": 0.7}, [("a", "x.sin()"), ("b", "x.cos()"), ("y", "a * b")])
        for program in (Program({"x": 3.0}, [("y", "x * x")]), diamond):
            yield topo_case(t, program.output_name, _program_graph(program), text=program.text())
        deep = {"group": "scale", "recursion_margin": RECURSION_MARGIN}
        yield topo_case(t, "a chain of 1,000 operations", _chain_graph(1000), **deep)
        yield topo_case(t, "a chain of 100,000 operations", _chain_graph(100_000), heavy=True, **deep)
        yield rule_case(t, "topological_sort", "list", diamond)
        yield rule_case(t, "topological_sort", "unchanged", diamond)
        return
    for i in range(4):
        program = random_program(
            t.rng, t.reference("Var"), inputs=t.rng.randint(1, 3), ops=t.rng.randint(5, 20), reuse=True
        )
        yield topo_case(t, f"random program #{i + 1}", _program_graph(program), text=program.text())
    program = random_program(t.rng, t.reference("Var"), inputs=2, ops=10, reuse=True)
    yield rule_case(t, "topological_sort", "list", program)


# --------------------------------------------------------------------------- backward


def backward_case(
    t: Tester,
    what: str,
    *,
    program: Program | None = None,
    depth: int | None = None,
    heavy: bool = False,
    group: str | None = None,
) -> Case:
    def run() -> Verdict:
        Var = t.reference("Var")
        if program is not None:
            output, names, leaves = program.run(Var)
            inputs = list(zip(program.inputs, leaves))
        else:
            leaf, output = deep_chain(Var, depth)  # type: ignore[arg-type]
            names, inputs = {id(leaf): "x"}, [("x", leaf)]
        out_name = names.get(id(output), "y") if program is None or program.lines else "y"
        label = _labeller(names)
        order = t.reference("topological_sort")(output)
        expected = t.reference("backward")(output)
        scales = _abs_adjoints(t, output, order) if not heavy else {}
        graph, nodes = _graph(output)
        reply = t.probe("backward", graph=graph)
        in_graph = [(name, leaf) for name, leaf in inputs if leaf in expected]
        expected_text = _show_adjoints([(n, expected[leaf]) for n, leaf in in_graph], out_name)
        if "adjoints" not in reply:
            return Verdict(False, expected_text, f"{reply['repr']}  (backward must return a dict: node -> adjoint)")
        actual = {
            node: G.Returned(a) if isinstance(a, str) else a
            for node, a in zip(nodes, reply["adjoints"])
            if a is not None
        }
        actual_text = ", ".join(
            f"d{out_name}/d{n} = {show(actual[leaf]) if leaf in actual else 'missing'}" for n, leaf in in_graph
        )
        problem = None
        for node in reversed(order):  # from the output back: the first wrong adjoint is where it goes wrong
            if node not in actual:
                problem = f"no adjoint for {label(node)} (backward must return every node, keyed by the node)"
                break
            if not close(actual[node], expected[node], scales.get(node, 0.0)):
                problem = (
                    f"first wrong adjoint, going back from the output: d{out_name}/d({label(node)}) should "
                    f"be {show(expected[node])}, got {show(actual[node])}"
                )
                break
        note = warning = None
        if program is not None and not heavy:
            estimates = []
            for i, (name, leaf) in enumerate(inputs):
                if leaf not in expected:
                    continue
                values = list(program.inputs.values())
                h = 1e-6 * max(1.0, abs(values[i]))

                def g(s: float, i: int = i, values: list = values) -> float:
                    shifted = list(values)
                    shifted[i] += s
                    return program.value(Var, shifted)

                estimate = central(g, 0.0, h)
                estimates.append((name, estimate))
                if not fd_agrees(estimate, expected[leaf], scales.get(leaf, 0.0), rtol=1e-4):
                    warning = f"reference d/d{name} = {expected[leaf]!r} but central difference {estimate!r}"
            note = "central differences: " + _show_adjoints(estimates, out_name)
        return Verdict(problem is None, expected_text, actual_text, detail=problem, note=note, grader_warning=warning)

    text = program.text() if program is not None else None
    return Case(f"backward({what})", run, heavy=heavy, input=text, group=group)


BACKWARD_HINT = (
    "When is a node's adjoint complete, so that it can be passed on to the node's parents? Every node starts "
    "at some value, the output at another, and each edge adds one contribution."
)
BACKWARD_MORE = (
    "Adjoint 1.0 for the output and 0.0 for every other node; visit the nodes in reverse topological order; for "
    "each parent p of node v, in the order of local_gradients(v), add adjoint[v] times the matching local "
    "gradient to adjoint[p]."
)


@EXERCISE.part(
    "backward_chain",
    points=2,
    title="backward on graphs without shared nodes",
    needs=("backward",),
    forbidden=BACKWARD_FORBIDDEN,
    hint=BACKWARD_HINT,
    more=BACKWARD_MORE,
)
def backward_chain(t: Tester):
    if not t.hidden:
        for what, program in (
            ("y = x: the output is an input", Program({"x": 2.0}, [])),
            ("y = x.sin()", Program({"x": 0.5}, [("y", "x.sin()")])),
            ("y = (x1 * x2).exp()", Program({"x1": 0.5, "x2": -1.5}, [("v1", "x1 * x2"), ("y", "v1.exp()")])),
            (
                "y = (x.sin() * 2.0).log()",
                Program({"x": 1.0}, [("v1", "x.sin()"), ("v2", "v1 * 2.0"), ("y", "v2.log()")]),
            ),
        ):
            yield backward_case(t, what, program=program, group="edge cases" if not program.lines else None)
        yield rule_case(
            t, "backward", "unchanged", Program({"x1": 0.5, "x2": -1.5}, [("v1", "x1 * x2"), ("y", "v1.exp()")])
        )
        return
    Var = t.reference("Var")
    for i in range(8):
        program = random_program(t.rng, Var, inputs=t.rng.randint(1, 4), ops=t.rng.randint(3, 15), reuse=False)
        yield backward_case(t, f"random expression tree #{i + 1}", program=program)
    yield backward_case(
        t,
        "large values",
        program=Program({"x": 1e8}, [("v1", "x * 1e8"), ("v2", "v1 / 3e7"), ("y", "v2 - 1e6")]),
        group="robustness",
    )
    yield backward_case(
        t, "large values", program=Program({"x": 40.0}, [("v1", "x.exp()"), ("y", "v1 * 1e-10")]), group="robustness"
    )


@EXERCISE.part(
    "backward_fanout",
    points=3,
    title="backward with shared nodes (fan-out accumulates)",
    needs=("backward",),
    forbidden=BACKWARD_FORBIDDEN,
    hint=BACKWARD_HINT + " What happens to the contributions of a node used several times?",
    more=BACKWARD_MORE + " Contributions add up (+=, not =); visit each node once (do not enumerate paths).",
)
def backward_fanout(t: Tester):
    if not t.hidden:
        for what, program in (
            ("y = x * x", Program({"x": 3.0}, [("y", "x * x")])),
            (
                "a diamond: y = x.sin() * x.cos()",
                Program({"x": 0.7}, [("a", "x.sin()"), ("b", "x.cos()"), ("y", "a * b")]),
            ),
            (
                "shared h = x * w",
                Program({"x": 1.5, "w": -0.5}, [("h", "x * w"), ("s", "h.sin()"), ("u", "h * x"), ("y", "s + u")]),
            ),
        ):
            yield backward_case(t, what, program=program)
        return
    Var = t.reference("Var")
    for i in range(6):
        program = random_program(t.rng, Var, inputs=t.rng.randint(1, 3), ops=t.rng.randint(5, 25), reuse=True)
        yield backward_case(t, f"random program with shared nodes #{i + 1}", program=program)
    yield backward_case(t, "60 diamonds in a row (2^60 paths)", program=diamond_ladder(60), group="scale")
    lines = [("v1", "x + x")] + [(f"v{i}", f"v{i - 1} + x") for i in range(2, 1000)]
    yield backward_case(t, "x used 1,000 times", program=Program({"x": 0.001}, lines), group="scale")
    yield backward_case(
        t,
        "large values",
        program=Program({"x": 1e4}, [("v1", "x * x"), ("v2", "v1 * x"), ("v3", "v2 / x"), ("y", "v3 + v1")]),
        group="robustness",
    )
    yield rule_case(t, "backward", "unchanged", diamond_ladder(3))


@EXERCISE.part(
    "backward_deep",
    points=1,
    title="backward on a 100,000-operation chain",
    needs=("backward",),
    forbidden=BACKWARD_FORBIDDEN,
    hint=BACKWARD_HINT + " What does a graph 100,000 operations deep do to Python's call stack?",
    more=BACKWARD_MORE + " Loop over the topological order instead of recursing from the output.",
)
def backward_deep(t: Tester):
    if not t.hidden:
        yield backward_case(t, "a chain of 1,000 operations", depth=1000)
        yield backward_case(t, "a chain of 100,000 operations", depth=100_000, heavy=True)
        return
    yield backward_case(t, "a chain of 5,000 operations", depth=5000)


# --------------------------------------------------------------------------- grad


def grad_case(t: Tester, text: str, program: Program, group: str | None = None, weight: float = 1.0) -> Case:
    f, xs = program.function(), tuple(program.inputs.values())

    def run() -> Verdict:
        Var = t.reference("Var")
        expected = list(t.reference("grad")(f, *xs))
        leaves = [Var(x) for x in xs]
        output = f(*leaves)
        scales = [0.0] * len(xs)
        if isinstance(output, Var):
            acc = _abs_adjoints(t, output, t.reference("topological_sort")(output))
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
