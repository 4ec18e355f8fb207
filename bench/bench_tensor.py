"""Benchmark: minitorch's tensor engine against the same computation written by hand in NumPy.

What it measures
----------------
* ``mlp step`` -- one training step of a 784-256-256-10 ReLU network on a
  float32 batch of 128: forward, mean cross-entropy, backward, plain SGD
  update. minitorch runs it with ``nn.Sequential``/``nn.Linear``,
  ``nn.functional.cross_entropy``, ``loss.backward()`` and ``optim.SGD``; the
  baseline is the step written by hand in NumPy as one would write it
  (forward, the closed-form gradients, ``W -= lr * dW``), with the same
  weight layout ``(out, in)`` and the same starting weights. Matrix products
  dominate, so the ratio shows what the engine adds on top of BLAS. Target:
  ratio <= 1.10.
* ``op chain`` -- graph overhead: 300 elementwise operations on a 4x4 float64
  tensor, cycling through ``x*0.9``, ``x+0.1``, ``sin``, ``tanh``,
  ``sigmoid``, ``x*x0`` (``x0`` the input), then a sum. minitorch does the
  forward pass *and* ``backward()``; the baseline is the forward pass alone in
  NumPy (``sigmoid`` as ``1/(1+exp(-x))``). At this size the arithmetic is
  negligible, so the ratio is the cost of recording and replaying the graph,
  relative to NumPy's own per-call overhead. Target: ratio <= 8 (PyTorch's
  eager mode is quoted at about 11 on this kind of chain; not measured here).

Both sides run BLAS with the same threads, so ``OPENBLAS_NUM_THREADS=1``
(less sensitive to other load on a small machine) changes both. The two
sides of each workload are timed alternately in the same run
(``time.perf_counter``, after warm-up), many repeats each; the ratio is of
the medians (the minima are printed too). The script also checks that both
sides computed the same thing (loss and updated weights; chain value and, for
minitorch, the gradient against a NumPy derivative of the chain) and prints
the largest difference. Nothing is asserted: this script only prints.

How to run
----------
::

    .venv/bin/python bench/bench_tensor.py             # full run (about 15 seconds)
    .venv/bin/python bench/bench_tensor.py --quick     # a few seconds
    .venv/bin/python bench/bench_tensor.py --profile   # also cProfile each minitorch workload
    make bench                                         # runs every bench/*.py with no arguments
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import statistics
import sys
import time
from typing import Callable

import numpy as np

import minitorch
import minitorch.nn.functional as F
from minitorch import nn, optim

BATCH, SIZES, LR = 128, (784, 256, 256, 10), 0.01
CHAIN_OPS, CHAIN_SHAPE = 300, (4, 4)


# --------------------------------------------------------------------------
# Workload a: one MLP training step
# --------------------------------------------------------------------------
def make_mlp_minitorch(x: np.ndarray, y: np.ndarray) -> tuple[nn.Module, Callable[[], float]]:
    minitorch.manual_seed(0)
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(SIZES, SIZES[1:])):
        layers.append(nn.Linear(n_in, n_out, dtype=np.float32))
        if i < len(SIZES) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    opt = optim.SGD(model.parameters(), lr=LR)
    xt = minitorch.tensor(x)

    def step() -> float:
        opt.zero_grad()
        loss = F.cross_entropy(model(xt), y)
        loss.backward()
        opt.step()
        return loss.item()

    return model, step


def make_mlp_numpy(weights: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> tuple[list, Callable[[], float]]:
    """The same step by hand. ``weights`` = [W1, b1, W2, b2, W3, b3], W of shape (out, in); updated in place."""
    W1, b1, W2, b2, W3, b3 = weights
    rows = np.arange(len(y))

    def step() -> float:
        # forward
        h1 = np.maximum(x @ W1.T + b1, 0)
        h2 = np.maximum(h1 @ W2.T + b2, 0)
        z = h2 @ W3.T + b3
        m = z.max(axis=1, keepdims=True)
        e = np.exp(z - m)
        s = e.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(s[:, 0]) + m[:, 0] - z[rows, y])
        # backward: dL/dz = (softmax(z) - onehot(y)) / N, then the chain rule layer by layer
        dz = e / s
        dz[rows, y] -= 1
        dz /= len(y)
        dW3, db3 = dz.T @ h2, dz.sum(axis=0)
        dh2 = (dz @ W3) * (h2 > 0)
        dW2, db2 = dh2.T @ h1, dh2.sum(axis=0)
        dh1 = (dh2 @ W2) * (h1 > 0)
        dW1, db1 = dh1.T @ x, dh1.sum(axis=0)
        # SGD update
        for w, dw in zip(weights, (dW1, db1, dW2, db2, dW3, db3)):
            w -= LR * dw
        return float(loss)

    return weights, step


# --------------------------------------------------------------------------
# Workload b: a chain of small elementwise operations
# --------------------------------------------------------------------------
def _np_sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# One cycle of the chain, as (minitorch version, NumPy version); x0 is the input.
CHAIN_CYCLE = [
    (lambda x, x0: x * 0.9, lambda x, x0: x * 0.9),
    (lambda x, x0: x + 0.1, lambda x, x0: x + 0.1),
    (lambda x, x0: x.sin(), lambda x, x0: np.sin(x)),
    (lambda x, x0: x.tanh(), lambda x, x0: np.tanh(x)),
    (lambda x, x0: x.sigmoid(), lambda x, x0: _np_sigmoid(x)),
    (lambda x, x0: x * x0, lambda x, x0: x * x0),
]


def chain_minitorch(x0: minitorch.Tensor) -> minitorch.Tensor:
    x = x0
    for i in range(CHAIN_OPS):
        x = CHAIN_CYCLE[i % len(CHAIN_CYCLE)][0](x, x0)
    return x.sum()


def chain_numpy(x0: np.ndarray) -> float:
    x = x0
    for i in range(CHAIN_OPS):
        x = CHAIN_CYCLE[i % len(CHAIN_CYCLE)][1](x, x0)
    return x.sum()


def chain_numpy_gradient(x0: np.ndarray) -> np.ndarray:
    """d sum(chain(x0)) / d x0 by hand (forward then reverse), used only to check minitorch's gradient."""
    xs = [x0]
    for i in range(CHAIN_OPS):
        xs.append(CHAIN_CYCLE[i % len(CHAIN_CYCLE)][1](xs[-1], x0))
    g, g0 = np.ones_like(x0), np.zeros_like(x0)
    for i in reversed(range(CHAIN_OPS)):
        x, out = xs[i], xs[i + 1]
        kind = i % len(CHAIN_CYCLE)
        if kind == 0:
            g = g * 0.9
        elif kind == 2:
            g = g * np.cos(x)
        elif kind == 3:
            g = g * (1 - out * out)
        elif kind == 4:
            g = g * out * (1 - out)
        elif kind == 5:
            g0 = g0 + g * x
            g = g * x0
    return g + g0


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------
def time_alternately(runs: dict[str, Callable[[], object]], repeats: int, warmup: int = 3) -> dict[str, list[float]]:
    """Wall times of each run, called in turn ``repeats`` times (so both see the same machine state)."""
    for _ in range(warmup):
        for run in runs.values():
            run()
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times


def profile(run: Callable[[], object], calls: int, top: int = 25) -> str:
    """cProfile of ``calls`` calls of ``run``: the functions with the most internal time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        run()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def report(name: str, times: dict[str, list[float]], target: float, unit: float, unit_name: str) -> None:
    (a, ta), (b, tb) = times.items()
    med_a, med_b = statistics.median(ta), statistics.median(tb)
    print(f"{name}: {len(ta)} repeats each")
    for label, t in ((a, ta), (b, tb)):
        median, best = statistics.median(t) / unit, min(t) / unit
        print(f"  {label:<22} median {median:9.3f} {unit_name}   min {best:9.3f} {unit_name}")
    print(f"  ratio (medians) {med_a / med_b:6.2f}x   ratio (minima) {min(ta) / min(tb):6.2f}x   target <= {target}x")


def bench_mlp(quick: bool, do_profile: bool) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], size=BATCH)

    model, mt_step = make_mlp_minitorch(x, y)
    weights = [p.data.copy() for p in model.parameters()]
    _, np_step = make_mlp_numpy(weights, x, y)
    # Same starting point, one step each: the losses and updated weights must agree.
    loss_mt, loss_np = mt_step(), np_step()
    diff = max(float(np.abs(p.data - w).max()) for p, w in zip(model.parameters(), weights))
    print(f"mlp step check: loss {loss_mt:.6f} vs {loss_np:.6f}; max |weight difference| after one step {diff:.1e}")

    times = time_alternately({"minitorch": mt_step, "numpy by hand": np_step}, repeats=30 if quick else 400)
    report(f"mlp step, batch {BATCH}, {'-'.join(map(str, SIZES))}, float32", times, 1.10, 1e-3, "ms")
    if do_profile:
        print(profile(mt_step, 20 if quick else 100))


def bench_chain(quick: bool, do_profile: bool) -> None:
    rng = np.random.default_rng(1)
    x0_np = rng.uniform(-1, 1, CHAIN_SHAPE)
    x0 = minitorch.tensor(x0_np, requires_grad=True)

    def mt_run() -> None:
        x0.grad = None
        chain_minitorch(x0).backward()

    def np_run() -> None:
        chain_numpy(x0_np)

    mt_run()
    value_diff = abs(chain_minitorch(x0).item() - chain_numpy(x0_np))
    grad_diff = float(np.abs(x0.grad.data - chain_numpy_gradient(x0_np)).max())
    print(f"op chain check: |value difference| {value_diff:.1e}; max |gradient difference| {grad_diff:.1e}")

    times = time_alternately({"minitorch fwd+bwd": mt_run, "numpy fwd": np_run}, repeats=50 if quick else 1000)
    report(f"op chain, {CHAIN_OPS} elementwise ops on {CHAIN_SHAPE} float64", times, 8, 1e-3, "ms")
    print(f"  per op: minitorch {statistics.median(times['minitorch fwd+bwd']) / CHAIN_OPS * 1e6:.2f} µs "
          f"(forward + backward), numpy {statistics.median(times['numpy fwd']) / CHAIN_OPS * 1e6:.2f} µs (forward)")
    if do_profile:
        print(profile(mt_run, 20 if quick else 100))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, for a short run")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of each minitorch workload")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, NumPy {np.__version__}, minitorch from {minitorch.__file__}")
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"{os.cpu_count()} CPUs, OPENBLAS_NUM_THREADS={threads}; other load on the machine shows up in both sides")
    gc.collect()
    bench_mlp(args.quick, args.profile)
    print()
    bench_chain(args.quick, args.profile)
    print()
    print("ratio = minitorch time / NumPy time; garbage collector on, as in real use.")


if __name__ == "__main__":
    main()
