"""What every part of exercise 3 shares: the exercise, its forbidden modules, and how adjoints are shown."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from minitorch import scalar_primitives as P

from ... import graphs as G
from ...core import Case, ExerciseSpec, Tester, Verdict
from ...numeric import show
from ...probes.ex03 import BACKWARD_STANDIN
from ...programs import Program, deep_chain
from ...tripwire import AUTODIFF
from ..ex02 import RULES, rule_verdict

EXERCISE = ExerciseSpec("ex03", "ex03_reverse_mode", "Reverse mode: back-propagation of adjoints")

SORT_FORBIDDEN = ("minitorch.graph", "graphlib")
#: The deep sorts run under a recursion limit this many frames above the probe (as in exercise 2).
RECURSION_MARGIN = 100
# Everything that differentiates for you (scalar_primitives' partials are allowed here: local_gradients uses them).
BACKWARD_FORBIDDEN = tuple(g for g in AUTODIFF if g != "minitorch.scalar_primitives.partials")
#: id of each of minitorch's primitives -> its name in minitorch.scalar_primitives (how a node's primitive travels).
_PRIMITIVES = {id(obj): name for name, obj in vars(P).items() if isinstance(obj, P.Primitive)}


def abs_adjoints(t: Tester, output: Any, order: list) -> dict:
    """The adjoints computed with |local gradient|: the size of the terms each adjoint sums."""
    local_gradients = t.reference("local_gradients")
    acc = {node: 0.0 for node in order}
    acc[output] = 1.0
    for node in reversed(order):
        for parent, d in zip(node.parents, local_gradients(node)):
            acc[parent] += acc[node] * abs(d)
    return acc


@functools.lru_cache(maxsize=4)
def shared_chain(Var: type, depth: int) -> tuple[Any, Any]:
    """``deep_chain(Var, depth)``, built once per process and shared (:func:`grading.graphs.share`): every
    submission is checked on the same chains, and only ever gets them as data."""
    leaf, output = deep_chain(Var, depth)
    return leaf, G.share(output)


def reference_on(t: Tester, function: str, output: Any) -> Any:
    """The reference's ``function`` applied to the graph ending in ``output`` (once per process for a shared big
    graph: the reference's functions do not change the graph)."""
    return G.remember(f"reference {function}", output, lambda: t.reference(function)(output))


def labeller(names: dict[int, str]) -> Callable[[object], str]:
    return lambda node: names.get(id(node), repr(node))


def show_adjoints(values: list[tuple[str, object]], output: str) -> str:
    return ", ".join(f"d{output}/d{name} = {show(v)}" for name, v in values)


def graph_data(output: Any) -> tuple[dict, list]:
    """A graph of the reference's nodes as data for the probes (:mod:`grading.probes.ex03`), and its nodes."""

    def compute() -> tuple[dict, list]:
        data, nodes = G.to_data(output)
        return {
            "values": [node.value for node in nodes],
            "prims": [_PRIMITIVES.get(id(node.prim)) for node in nodes],
            "parents": data["parents"],
            "output": data["output"],
        }, nodes

    return G.remember("probe graph", output, compute)  # type: ignore[return-value]


ONCE = (
    "calls f once and backward once",
    "Reverse mode gives the derivative with respect to every input from one backward pass: how many passes "
    "does your grad make?",
    "Call f once on the leaves, call backward once on the result, then read each leaf's adjoint from that one dict.",
)


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
            graph, nodes = graph_data(output)
            reply = t.probe("toposort" if function == "topological_sort" else "backward", graph=graph)
        if "kind" in reply:
            return Verdict(False, "a result to check", f"{reply['kind']}: {reply['repr']}")
        if rule != "once":
            return rule_verdict(function, rule, reply, lambda i: labeller(names)(nodes[i]))
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
