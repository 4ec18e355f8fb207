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
* ``op chain`` -- graph overhead: 100 rounds of ``x = tanh(x * w + b)`` (a
  mul, an add and a tanh, so 300 operations) on a 4x4 float64 tensor, with
  ``w`` and ``b`` constant 4x4 tensors, then a sum. minitorch does the forward
  pass *and* ``backward()``; the baseline is the forward pass alone in NumPy.
  At this size the arithmetic is negligible, so the ratio is the cost of
  recording and replaying the graph, relative to NumPy's own per-call
  overhead. Target: ratio <= 8 (PyTorch's eager CPU engine does this chain at
  about 10.7x; not measured here).

Both sides run BLAS with the same threads, so ``OPENBLAS_NUM_THREADS=1``
(less sensitive to other load on a small machine) changes both.

How the ratio is measured
-------------------------
On a shared machine the speed of both sides drifts by tens of percent within
minutes, so timing each side on its own (even as a minimum of medians) swings
the ratio by a factor of two from one run to the next. Instead the two sides
are **interleaved**: each round times a block of A (several calls), then a
block of B, and keeps the ratio of the two per-call times; 40 rounds give 40
ratios, and the script prints their median with the 10th and 90th percentiles.
Drift slower than a round affects A and B alike and cancels in the ratio.
The script also checks that both sides computed the same thing (loss and
updated weights; chain value and, for minitorch, the gradient against a NumPy
derivative of the chain) and prints the largest difference. Nothing is
asserted: this script only prints.

How to run
----------
::

    .venv/bin/python bench/bench_tensor.py             # full run (about 20 seconds)
    .venv/bin/python bench/bench_tensor.py --quick     # 10 rounds, a few seconds
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
from collections.abc import Callable

import numpy as np

import minitorch
import minitorch.nn.functional as F
from minitorch import nn, optim

BATCH, SIZES, LR = 128, (784, 256, 256, 10), 0.01
CHAIN_ROUNDS, CHAIN_SHAPE = 100, (4, 4)
ROUNDS, QUICK_ROUNDS, BLOCK_SECONDS = 40, 10, 0.1


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
    network = nn.Sequential(*layers)
    opt = optim.SGD(network.parameters(), lr=LR)
    xt = minitorch.tensor(x)

    def step() -> float:
        opt.zero_grad()
        loss = F.cross_entropy(network(xt), y)
        loss.backward()
        opt.step()
        return loss.item()

    return network, step


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
def chain_minitorch(x0: minitorch.Tensor, w: minitorch.Tensor, b: minitorch.Tensor) -> minitorch.Tensor:
    x = x0
    for _ in range(CHAIN_ROUNDS):
        x = (x * w + b).tanh()
    return x.sum()


def chain_numpy(x0: np.ndarray, w: np.ndarray, b: np.ndarray) -> float:
    x = x0
    for _ in range(CHAIN_ROUNDS):
        x = np.tanh(x * w + b)
    return x.sum()


def chain_numpy_gradient(x0: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """d sum(chain(x0)) / d x0 by hand (forward then reverse), used only to check minitorch's gradient."""
    outs = []
    x = x0
    for _ in range(CHAIN_ROUNDS):
        x = np.tanh(x * w + b)
        outs.append(x)
    g = np.ones_like(x0)
    for out in reversed(outs):
        g = g * (1 - out * out) * w
    return g


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------
def calls_per_block(run: Callable[[], object], seconds: float) -> int:
    """How many calls of ``run`` take about ``seconds`` (at least three, so that one slow call does not decide)."""
    once = min(time_block(run, 1) for _ in range(3))
    return max(3, round(seconds / max(once, 1e-9)))


def time_block(run: Callable[[], object], calls: int) -> float:
    """Seconds per call, over a block of ``calls`` calls."""
    start = time.perf_counter()
    for _ in range(calls):
        run()
    return (time.perf_counter() - start) / calls


def interleaved(
    a: Callable[[], object], b: Callable[[], object], rounds: int, warmup: int = 3
) -> tuple[list[float], list[float]]:
    """Per-call times of ``a`` and ``b`` from ``rounds`` rounds of (a block of a, then a block of b).

    Each block lasts about ``BLOCK_SECONDS``; the ratio of round i is ``times_a[i] / times_b[i]``.
    """
    for _ in range(warmup):
        a()
        b()
    calls_a, calls_b = calls_per_block(a, BLOCK_SECONDS), calls_per_block(b, BLOCK_SECONDS)
    times_a, times_b = [], []
    for _ in range(rounds):
        times_a.append(time_block(a, calls_a))
        times_b.append(time_block(b, calls_b))
    return times_a, times_b


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


def report(
    name: str,
    labels: tuple[str, str],
    times: tuple[list[float], list[float]],
    target: float,
    unit: float,
    unit_name: str,
) -> None:
    """Print each side's median time and the median (10th-90th percentile) of the per-round ratios."""
    ratios = sorted(ta / tb for ta, tb in zip(*times))
    deciles = statistics.quantiles(ratios, n=10) if len(ratios) > 1 else ratios * 9
    print(f"{name}: {len(ratios)} interleaved rounds")
    for label, t in zip(labels, times):
        print(f"  {label:<22} median {statistics.median(t) / unit:9.3f} {unit_name} per call")
    print(
        f"  ratio: median {statistics.median(ratios):6.2f}x   (10th-90th percentile {deciles[0]:.2f}x-"
        f"{deciles[-1]:.2f}x)   target <= {target}x"
    )


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

    times = interleaved(mt_step, np_step, QUICK_ROUNDS if quick else ROUNDS)
    report(
        f"mlp step, batch {BATCH}, {'-'.join(map(str, SIZES))}, float32",
        ("minitorch", "numpy by hand"),
        times,
        1.10,
        1e-3,
        "ms",
    )
    if do_profile:
        print(profile(mt_step, 20 if quick else 100))


def bench_chain(quick: bool, do_profile: bool) -> None:
    rng = np.random.default_rng(1)
    x0_np, w_np, b_np = (rng.uniform(-1, 1, CHAIN_SHAPE) for _ in range(3))
    x0 = minitorch.tensor(x0_np, requires_grad=True)
    w, b = minitorch.tensor(w_np), minitorch.tensor(b_np)

    def mt_run() -> None:
        x0.grad = None
        chain_minitorch(x0, w, b).backward()

    def np_run() -> None:
        chain_numpy(x0_np, w_np, b_np)

    mt_run()
    value_diff = abs(chain_minitorch(x0, w, b).item() - chain_numpy(x0_np, w_np, b_np))
    grad_diff = float(np.abs(x0.grad.data - chain_numpy_gradient(x0_np, w_np, b_np)).max())
    print(f"op chain check: |value difference| {value_diff:.1e}; max |gradient difference| {grad_diff:.1e}")

    times = interleaved(mt_run, np_run, QUICK_ROUNDS if quick else ROUNDS)
    report(
        f"op chain, {CHAIN_ROUNDS} x (mul, add, tanh) on {CHAIN_SHAPE} float64",
        ("minitorch fwd+bwd", "numpy fwd"),
        times,
        8,
        1e-3,
        "ms",
    )
    operations = 3 * CHAIN_ROUNDS
    print(
        f"  per op: minitorch {statistics.median(times[0]) / operations * 1e6:.2f} µs "
        f"(forward + backward), numpy {statistics.median(times[1]) / operations * 1e6:.2f} µs (forward)"
    )
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
    print("ratio = minitorch time / NumPy time per call, one ratio per round; garbage collector on, as in real use.")


if __name__ == "__main__":
    main()
