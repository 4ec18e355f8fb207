"""Exercise 3, parts ``backward_*``: every node's adjoint, on chains, fan-outs and deep graphs."""

from __future__ import annotations

from ... import graphs as G
from ...core import Case, Tester, Verdict
from ...numeric import central, close, fd_agrees, show
from ...programs import Program, diamond_ladder, random_program
from .common import (
    BACKWARD_FORBIDDEN,
    EXERCISE,
    abs_adjoints,
    graph_data,
    labeller,
    reference_on,
    rule_case,
    shared_chain,
    show_adjoints,
)


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
            leaf, output = shared_chain(Var, depth)  # type: ignore[arg-type]
            names, inputs = {id(leaf): "x"}, [("x", leaf)]
        out_name = names.get(id(output), "y") if program is None or program.lines else "y"
        label = labeller(names)
        order = reference_on(t, "topological_sort", output)
        expected = reference_on(t, "backward", output)
        scales = abs_adjoints(t, output, order) if not heavy else {}
        graph, nodes = graph_data(output)
        reply = t.probe("backward", graph=graph)
        in_graph = [(name, leaf) for name, leaf in inputs if leaf in expected]
        expected_text = show_adjoints([(n, expected[leaf]) for n, leaf in in_graph], out_name)
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
            note = "central differences: " + show_adjoints(estimates, out_name)
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
