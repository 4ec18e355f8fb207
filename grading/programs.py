"""Straight-line programs over scalar nodes, for the reverse-mode checks.

A :class:`Program` is a few lines like ``v1 = x1 * x2`` ending in an output. It
runs with any node class that has the course's ``Var`` API (the reference's or
the student's), so the same program gives both a graph to differentiate and a
function of floats for finite differences; its text is what students see.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

UNARY = [
    ("{a}.sin()", None),
    ("{a}.cos()", None),
    ("{a}.tanh()", None),
    ("{a}.sigmoid()", None),
    ("{a}.exp()", lambda a: abs(a) < 4),
    ("{a}.log()", lambda a: a > 0.05),
    ("-{a}", None),
    ("{a} ** 2", lambda a: abs(a) < 50),
    ("{a} ** 3", lambda a: abs(a) < 10),
    ("{a} ** 0.5", lambda a: a > 0.05),
    ("{a} * {c}", None),
    ("{a} + {c}", None),
    ("{c} - {a}", None),
    ("{c} / {a}", lambda a: abs(a) > 0.3),
]
BINARY = [
    ("{a} + {b}", None),
    ("{a} - {b}", None),
    ("{a} * {b}", None),
    ("{a} / {b}", lambda a, b: abs(b) > 0.3),
    ("{a} ** {b}", lambda a, b: 0.2 < a < 20 and abs(b) < 3),
]


class Program:
    """Inputs (name -> value) and lines ``(name, expression)``; the last line is the output."""

    def __init__(self, inputs: dict[str, float], lines: list[tuple[str, str]]):
        self.inputs = dict(inputs)
        self.lines = list(lines)
        args = ", ".join(self.inputs)
        body = "".join(f"    {name} = {expr}\n" for name, expr in self.lines)
        output = self.lines[-1][0] if self.lines else next(iter(self.inputs))
        code = f"def program({args}):\n{body}    return {output}, locals()\n"
        scope: dict = {}
        exec(compile(code, "<program>", "exec"), scope)
        self._program = scope["program"]

    @property
    def output_name(self) -> str:
        return self.lines[-1][0] if self.lines else next(iter(self.inputs))

    def text(self, limit: int = 12) -> str:
        head = ", ".join(f"{k} = {v!r}" for k, v in self.inputs.items())
        lines = [f"{name} = {expr}" for name, expr in self.lines]
        if len(lines) > limit:
            half = limit // 2
            lines = lines[:half] + [f"... ({len(lines) - 2 * half} more lines) ..."] + lines[-half:]
        return "; ".join([head] + lines) if len(lines) <= 3 else "\n".join([head] + lines)

    def function(self) -> Callable[..., Any]:
        """The program as f(*inputs) -> output (for grad)."""
        program = self._program
        return lambda *xs: program(*xs)[0]

    def run(self, node_class: type, values: list[float] | None = None) -> tuple[Any, dict[int, str], list]:
        """(output, id -> name of every named node and constant, input nodes)."""
        values = list(self.inputs.values()) if values is None else values
        leaves = [node_class(v) for v in values]
        output, scope = self._program(*leaves)
        names = {id(node): name for name, node in scope.items() if isinstance(node, node_class)}
        # Constants (numbers in the text) become nameless leaves: name them after their consumer.
        for name, _ in self.lines:
            node = scope[name]
            for parent in getattr(node, "parents", ()):
                names.setdefault(id(parent), f"the constant {parent.value!r} in {name}")
        return output, names, leaves

    def value(self, node_class: type, values: list[float]) -> float:
        output = self._program(*[node_class(v) for v in values])[0]
        return float(output.value) if isinstance(output, node_class) else float(output)


def _constant(rng: random.Random) -> float:
    return round(rng.choice((-1, 1)) * rng.uniform(0.2, 3.0), 2)


def random_program(rng: random.Random, node_class: type, *, inputs: int, ops: int, reuse: bool) -> Program:
    """A random program. Without ``reuse`` every node is used at most once (a tree:
    no fan-out); with it, nodes are reused (shared nodes, diamonds, ``v * v``)."""
    values = {f"x{i + 1}": round(rng.uniform(-2.0, 2.0), 3) or 0.5 for i in range(inputs)}
    env = {name: node_class(v) for name, v in values.items()}
    pool = list(env)
    lines: list[tuple[str, str]] = []
    while len(lines) < ops:
        if not pool:
            break
        binary = len(pool) >= (1 if reuse else 2) and rng.random() < 0.5
        if reuse:
            # prefer recent nodes, so that the program stays connected
            pick = lambda: pool[max(0, len(pool) - 1 - int(rng.expovariate(0.5)))]
            a, b = pick(), pick()
        else:
            a, b = rng.sample(pool, 2) if binary else (rng.choice(pool), None)
        template, ok = rng.choice(BINARY if binary else UNARY)
        av = env[a].value
        if ok is not None:
            if binary and not ok(av, env[b].value):
                continue
            if not binary and not ok(av):
                continue
        expr = template.format(a=a, b=b, c=_constant(rng))
        try:
            node = eval(expr, {}, env)
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        if not math.isfinite(node.value) or abs(node.value) > 1e4:
            continue
        name = f"v{len(lines) + 1}"
        env[name] = node
        lines.append((name, expr))
        if not reuse:
            pool.remove(a)
            if binary:
                pool.remove(b)
        pool.append(name)
    return Program(values, lines)


def diamond_ladder(depth: int) -> Program:
    """``v = sin(v) + cos(v) / 2`` repeated: every step is a diamond, so there are 2^depth paths."""
    lines = []
    previous = "x"
    for i in range(depth):
        lines += [(f"s{i}", f"{previous}.sin()"), (f"c{i}", f"{previous}.cos()"), (f"v{i}", f"s{i} + c{i} * 0.5")]
        previous = f"v{i}"
    return Program({"x": 0.3}, lines)


def deep_chain(node_class: type, depth: int, x: float = 0.3) -> tuple[Any, Any]:
    """(input, output) of a chain of ``depth`` operations, with no fan-out."""
    leaf = node_class(x)
    node = leaf
    for i in range(depth):
        step = i % 3
        node = node * 1.0001 if step == 0 else node + 0.001 if step == 1 else node.sin()
    return leaf, node
