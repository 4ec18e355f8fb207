"""Benchmark: minitorch's scalar reverse-mode engine against a closure-based baseline.

What it measures
----------------
The wall-clock time of one forward pass (building the graph) plus one
``backward()`` call, for two workloads:

* ``mlp``   -- a 2-16-16-1 multilayer perceptron with tanh hidden units and a
  linear output, evaluated point by point on a batch of 8 points; the loss is
  the mean squared error, one scalar.
* ``chain`` -- 50,000 steps of ``y = y * 1.000001 + 0.5``: a 100,000-operation
  chain, as deep as a graph can be (an unrolled recurrence).

Each workload runs on two engines:

* ``minitorch`` -- :class:`minitorch.Scalar` (nodes store parents and local
  partials; ``backward`` uses the iterative ``minitorch.topological_sort``).
* ``baseline`` -- :class:`ClosureValue`, defined below: a minimal engine in the
  micrograd design (every node has ``data``, ``grad``, a ``_prev`` set and a
  ``_backward`` closure; plain numbers are wrapped as leaf nodes; the
  topological sort is a recursive depth-first search). A recursive sort cannot
  go 100,000 frames deep by default, so the whole benchmark runs in a thread
  with a large stack and a raised recursion limit (both engines alike).

The *same* model code runs on both engines (it only uses operators and
``.tanh()``), and the script prints how far apart the two engines'
gradients are, as a check that they did the same work.

Times are the best of several repeats (``time.perf_counter``). The garbage
collector stays on, as in real use, but is run before every repeat so that
one repeat's garbage is not charged to the next; ``--no-gc`` switches it off
inside the timed region, to show how much of a time is the collector's (the
baseline makes a reference cycle per node -- a node's closure refers to the
node -- so the collector has far more to do for it than for minitorch).

Times are divided by the number of nodes of the minitorch graph,
``len(minitorch.topological_sort(loss))`` (inputs, parameters and operation
results). The baseline's graph is larger for the same computation, because
it also makes a node for every plain-number constant; dividing both times by
the same count makes the ratio the ratio of total times. A ratio below 1
means minitorch is faster.

Nothing is asserted: this script only prints.

How to run
----------
::

    .venv/bin/python bench/bench_scalar.py           # full run (well under a minute)
    .venv/bin/python bench/bench_scalar.py --quick   # a few seconds
    .venv/bin/python bench/bench_scalar.py --no-gc   # garbage collector off while timing
    make bench                                       # runs every bench/*.py with no arguments
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import sys
import threading
import time
from collections.abc import Callable

import minitorch
from minitorch import Scalar, topological_sort


# --------------------------------------------------------------------------
# The baseline: a closure-based scalar engine in the micrograd design.
# --------------------------------------------------------------------------
class ClosureValue:
    """A scalar node whose backward step is a closure made when the node is made."""

    def __init__(self, data: float, _children: tuple = ()):
        self.data = data
        self.grad = 0.0
        self._prev = set(_children)
        self._backward: Callable[[], None] = lambda: None

    @staticmethod
    def _wrap(x: object) -> ClosureValue:
        return x if isinstance(x, ClosureValue) else ClosureValue(x)

    def __add__(self, other: object) -> ClosureValue:
        other = self._wrap(other)
        out = ClosureValue(self.data + other.data, (self, other))

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: object) -> ClosureValue:
        other = self._wrap(other)
        out = ClosureValue(self.data * other.data, (self, other))

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent: float) -> ClosureValue:
        # Constant exponents only, as in micrograd.
        out = ClosureValue(self.data**exponent, (self,))

        def _backward() -> None:
            self.grad += exponent * self.data ** (exponent - 1) * out.grad

        out._backward = _backward
        return out

    def tanh(self) -> ClosureValue:
        t = math.tanh(self.data)
        out = ClosureValue(t, (self,))

        def _backward() -> None:
            self.grad += (1.0 - t * t) * out.grad

        out._backward = _backward
        return out

    def __neg__(self) -> ClosureValue:
        return self * -1.0

    def __sub__(self, other: object) -> ClosureValue:
        return self + (-self._wrap(other))

    def __radd__(self, other: object) -> ClosureValue:
        return self + other

    def __rmul__(self, other: object) -> ClosureValue:
        return self * other

    def __rsub__(self, other: object) -> ClosureValue:
        return self._wrap(other) + (-self)

    def __truediv__(self, other: object) -> ClosureValue:
        return self * self._wrap(other) ** -1.0

    def backward(self) -> None:
        order: list[ClosureValue] = []
        seen: set[int] = set()

        def visit(node: ClosureValue) -> None:  # recursive post-order DFS
            if id(node) not in seen:
                seen.add(id(node))
                for child in node._prev:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


# --------------------------------------------------------------------------
# Workloads. Each builder returns (params, run): ``run()`` does one forward
# pass and one backward pass and returns the loss node; ``params`` are the
# leaves whose gradients the check compares.
# --------------------------------------------------------------------------
MLP_SIZES = (2, 16, 16, 1)
BATCH = 8
CHAIN_STEPS = 50_000  # two operations per step: 100,000 operations


def make_mlp(engine: type, seed: int = 0):
    rng = random.Random(seed)
    # layers[k] is a list of neurons, each (weights, bias).
    layers = [
        [([engine(rng.uniform(-1, 1)) for _ in range(n_in)], engine(0.0)) for _ in range(n_out)]
        for n_in, n_out in zip(MLP_SIZES, MLP_SIZES[1:])
    ]
    params = [p for layer in layers for ws, b in layer for p in (*ws, b)]
    xs = [(rng.uniform(-2, 2), rng.uniform(-2, 2)) for _ in range(BATCH)]
    ys = [math.sin(x0) * math.cos(x1) for x0, x1 in xs]

    def forward(x):
        h = list(x)
        for k, layer in enumerate(layers):
            last = k == len(layers) - 1
            out = []
            for ws, b in layer:
                z = b
                for w, hi in zip(ws, h):
                    z = z + w * hi
                out.append(z if last else z.tanh())
            h = out
        return h[0]

    def run():
        loss = 0.0
        for x, y in zip(xs, ys):
            loss = loss + (forward(x) - y) ** 2
        loss = loss / BATCH
        loss.backward()
        return loss

    return params, run


def make_chain(engine: type, steps: int = CHAIN_STEPS):
    x = engine(0.3)

    def run():
        y = x
        for _ in range(steps):
            y = y * 1.000001 + 0.5
        y.backward()
        return y

    return [x], run


WORKLOADS = {
    "mlp 2-16-16-1, 8 pts": make_mlp,
    "chain, 100k ops": make_chain,
}
ENGINES = {"minitorch": Scalar, "baseline": ClosureValue}


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------
def best_time(params: list, run: Callable[[], object], repeats: int, gc_off: bool = False) -> float:
    """Best wall time of ``run()`` over ``repeats`` tries, after one warm-up."""
    best = math.inf
    for _ in range(repeats + 1):  # the first call is a warm-up and is not timed
        for p in params:
            p.grad = 0.0
        gc.collect()
        if gc_off:
            gc.disable()
        start = time.perf_counter()
        loss = run()
        elapsed = time.perf_counter() - start
        gc.enable()
        del loss  # free the graph outside the timed region
        best = min(best, elapsed)
    return best


def count_nodes(loss: object, engine: type) -> int:
    if engine is Scalar:
        return len(topological_sort(loss))
    return len(topological_sort(loss, parents=lambda v: v._prev))


def bench(quick: bool, gc_off: bool) -> None:
    repeats = {"mlp 2-16-16-1, 8 pts": 5 if quick else 20, "chain, 100k ops": 2 if quick else 5}
    rows, notes = [], []
    for name, make in WORKLOADS.items():
        times, nodes, grads = {}, {}, {}
        for engine_name, engine in ENGINES.items():
            params, run = make(engine)
            loss = run()
            nodes[engine_name] = count_nodes(loss, engine)
            grads[engine_name] = [p.grad for p in params]
            del loss
            times[engine_name] = best_time(params, run, repeats[name], gc_off)
        n = nodes["minitorch"]
        per_node = {e: times[e] / n * 1e6 for e in ENGINES}
        rows.append((name, n, per_node["minitorch"], per_node["baseline"], times["minitorch"] / times["baseline"]))
        diff = max(abs(a - b) for a, b in zip(grads["minitorch"], grads["baseline"]))
        notes.append(
            f"{name}: best of {repeats[name]}, total {times['minitorch'] * 1e3:.1f} ms vs "
            f"{times['baseline'] * 1e3:.1f} ms; baseline graph has {nodes['baseline']} nodes "
            f"(constants included); max |grad difference| = {diff:.1e}"
        )

    header = ("workload", "nodes", "minitorch µs/node", "baseline µs/node", "ratio")
    widths = (22, 8, 18, 17, 6)
    print("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths))))
    print("  ".join("-" * w for w in widths))
    for name, n, mt, bl, ratio in rows:
        cells = (name, f"{n}", f"{mt:.2f}", f"{bl:.2f}", f"{ratio:.2f}")
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))))
    print()
    print("ratio = minitorch time / baseline time (< 1: minitorch is faster); µs/node uses the minitorch node count;")
    print(f"garbage collector {'off' if gc_off else 'on'} while timing.")
    for note in notes:
        print("  " + note)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, for a short run")
    parser.add_argument("--no-gc", action="store_true", help="switch the garbage collector off while timing")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, minitorch from {minitorch.__file__}")

    # The baseline's recursive sort goes one frame per node of the 100k chain:
    # give it room. Both engines run in this thread, so the conditions match.
    sys.setrecursionlimit(10 * (2 * CHAIN_STEPS) + 10_000)
    threading.stack_size(512 * 1024 * 1024)
    failure: list[BaseException] = []

    def target() -> None:
        try:
            bench(args.quick, args.no_gc)
        except BaseException as exc:  # report it from the main thread
            failure.append(exc)

    worker = threading.Thread(target=target)
    worker.start()
    worker.join()
    if failure:
        raise failure[0]


if __name__ == "__main__":
    main()
