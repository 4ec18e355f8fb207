"""minitorch on a GPU (CuPy) against the CPU (NumPy) and against hand-written CuPy.

Workloads, forward + backward, float32:

* an MLP training step (784-256-256-10, ReLU, cross-entropy, SGD) at batch
  sizes 128 ... 8192, with minitorch on the CPU and on the GPU, and the same
  step written by hand (no autodiff) in NumPy and in CuPy: the by-hand steps
  show what minitorch's engine costs on top of the raw array work;
* a chain of 8 matrix products of 2048 x 2048 matrices, minitorch on CPU and GPU.

GPU timings synchronise the device before the clock starts and stops. With a
GPU the results go to ``bench/results/gpu.json`` (device, versions, date,
timings), which the book's GPU chapter reads, so the book needs no GPU to
build. Without a GPU it measures the CPU side only, prints it, and writes nothing.

Run: ``.venv/bin/python bench/bench_gpu.py [--quick]`` (needs ``pip install -e '.[gpu]'``);
``--help`` lists the options (batch sizes, repeats, where the JSON goes).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import minitorch

OUT = pathlib.Path(__file__).resolve().parent / "results" / "gpu.json"
SIZES = (784, 256, 256, 10)
#: The targets of the benchmark's issue, at this batch size: at least this GPU speed-up over
#: NumPy, and at most this slow-down against the step written by hand in CuPy.
TARGET_BATCH, TARGET_SPEED_UP, TARGET_OVERHEAD = 4096, 20.0, 1.5


def best_time(step: Callable[[], Any], repeats: int, sync: Callable[[], None]) -> float:
    """The median seconds of ``repeats`` calls of ``step``, after one warm-up call, each between syncs."""
    step()  # warm-up: kernels compile and memory pools fill on the first call
    sync()
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def make_params(xp: Any, rng: np.random.Generator) -> list:
    """The MLP's float32 weights (uniform in +-1/sqrt(fan_in)) and zero biases, as ``xp`` arrays."""
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(xp.asarray(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32)))
        params.append(xp.asarray(np.zeros(fan_out, dtype=np.float32)))
    return params


def minitorch_step(device: str, batch: int, rng: np.random.Generator) -> Callable[[], list]:
    """One SGD step of the MLP with minitorch on ``device``; it returns the updated parameters."""
    xp = minitorch.backend.array_module(device)
    params = [minitorch.Tensor(p, requires_grad=True) for p in make_params(xp, rng)]
    x = minitorch.tensor(rng.standard_normal((batch, SIZES[0])).astype(np.float32), device=device)
    targets = xp.asarray(rng.integers(0, SIZES[-1], batch))

    def step() -> list:
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = h.relu()
        picked = h.log_softmax(axis=-1)[xp.arange(batch), targets]
        loss = -picked.mean()
        loss.backward()
        with minitorch.no_grad():
            for p in params:
                p.data -= 0.01 * p.grad.data
                p.grad = None
        return [p.data for p in params]

    return step


def hand_step(xp: Any, batch: int, rng: np.random.Generator) -> Callable[[], list]:
    """The same training step written by hand, with no autodiff, on ``xp`` (``numpy`` or ``cupy``).

    It draws from ``rng`` what :func:`minitorch_step` draws, in the same order, so from equal
    generators the two compute the same updates.
    """
    params = make_params(xp, rng)
    x = xp.asarray(rng.standard_normal((batch, SIZES[0])).astype(np.float32))
    targets = xp.asarray(rng.integers(0, SIZES[-1], batch))

    def step() -> list:
        activations, pre = [x], []
        h = x
        for i in range(0, len(params), 2):
            z = h @ params[i] + params[i + 1]
            pre.append(z)
            h = xp.maximum(z, 0) if i + 2 < len(params) else z
            activations.append(h)
        shifted = h - h.max(axis=1, keepdims=True)
        probabilities = xp.exp(shifted)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        g = probabilities
        g[xp.arange(batch), targets] -= 1
        g /= batch
        for i in range(len(params) - 2, -1, -2):
            grad_w = activations[i // 2].T @ g
            grad_b = g.sum(axis=0)
            if i > 0:
                g = (g @ params[i].T) * (pre[i // 2 - 1] > 0)
            params[i] -= 0.01 * grad_w
            params[i + 1] -= 0.01 * grad_b
        return params

    return step


def matmul_chain(device: str, size: int, rng: np.random.Generator) -> Callable[[], None]:
    """Forward and backward through a product of 8 ``size`` x ``size`` matrices on ``device``."""
    mats = [
        minitorch.tensor(
            rng.standard_normal((size, size)).astype(np.float32) / np.sqrt(size), requires_grad=True, device=device
        )
        for _ in range(8)
    ]

    def step() -> None:
        h = mats[0]
        for m in mats[1:]:
            h = h @ m
        h.sum().backward()
        for m in mats:
            m.grad = None

    return step


def row_cells(row: dict) -> tuple:
    """One MLP row as printed and as the book shows it: times in ms, then the two ratios."""
    return (
        row["batch"],
        f"{1e3 * row['numpy_s']:.2f}",
        f"{1e3 * row['minitorch_cuda_s']:.2f}",
        f"{1e3 * row['cupy_by_hand_s']:.2f}",
        f"{row['numpy_s'] / row['minitorch_cuda_s']:.1f}x",
        f"{row['minitorch_cuda_s'] / row['cupy_by_hand_s']:.2f}x",
    )


ROW_HEADERS = ("batch", "CPU (ms)", "GPU (ms)", "CuPy by hand (ms)", "GPU speed-up", "engine overhead vs CuPy")
CPU_ROW_HEADERS = ("batch", "ms per training step", "µs per image", "NumPy by hand (ms)", "engine overhead")


def cpu_row_cells(row: dict) -> tuple:
    """One row of :func:`cpu_rows` as printed and as the book shows it."""
    return (
        row["batch"],
        f"{1e3 * row['numpy_s']:.2f}",
        f"{1e6 * row['numpy_s'] / row['batch']:.1f}",
        f"{1e3 * row['numpy_by_hand_s']:.2f}",
        f"{row['numpy_s'] / row['numpy_by_hand_s']:.2f}x",
    )


def print_row(headers: Sequence[str], cells: Sequence[Any]) -> None:
    """One line of a right-aligned table, each column as wide as its header."""
    print(" ".join(f"{cell:>{max(len(header), 6)}}" for header, cell in zip(headers, cells)), flush=True)


def describe(result: dict) -> str:
    """Where and when a result was measured, in one sentence."""
    quick = "; quick run" if result.get("quick") else ""
    return (
        f"Recorded {result['date']} on {result['device']} (CUDA runtime {result['cuda_runtime']}, "
        f"CuPy {result['cupy']}, NumPy {result['numpy']}, Python {result['python']}; "
        f"host CPU: {result['host_cpu']}, {result['host_cpu_count']} cores{quick})."
    )


def describe_chain(chain: dict) -> str:
    """The matrix-product chain's timings, in one sentence."""
    return (
        f"Chain of 8 products of {chain['size']} x {chain['size']} matrices, forward and backward: "
        f"CPU {1e3 * chain['numpy_s']:.1f} ms, GPU {1e3 * chain['minitorch_cuda_s']:.1f} ms "
        f"({chain['numpy_s'] / chain['minitorch_cuda_s']:.0f}x)."
    )


def verdict(result: dict) -> str:
    """How the run compares with the performance targets (at batch 4096)."""
    row = next((r for r in result["mlp_step"] if r["batch"] == TARGET_BATCH), None)
    if row is None:
        return f"targets: batch {TARGET_BATCH} was not measured"
    speed_up = row["numpy_s"] / row["minitorch_cuda_s"]
    overhead = row["minitorch_cuda_s"] / row["cupy_by_hand_s"]
    return (
        f"targets at batch {TARGET_BATCH}: speed-up {speed_up:.1f}x (target >= {TARGET_SPEED_UP:g}x: "
        f"{'met' if speed_up >= TARGET_SPEED_UP else 'NOT met'}), overhead vs CuPy {overhead:.2f}x "
        f"(target <= {TARGET_OVERHEAD:g}x: {'met' if overhead <= TARGET_OVERHEAD else 'NOT met'})"
    )


def plot_mlp_steps(result: dict, ax: Any) -> None:
    """Milliseconds per MLP training step against the batch size, one line per way, on a matplotlib ``ax``."""
    batches = [row["batch"] for row in result["mlp_step"]]
    for key, label in (
        ("numpy_s", "minitorch, CPU"),
        ("minitorch_cuda_s", "minitorch, GPU"),
        ("cupy_by_hand_s", "CuPy by hand, GPU"),
    ):
        ax.loglog(batches, [1e3 * row[key] for row in result["mlp_step"]], "o-", label=label)
    ax.set_xlabel("batch size")
    ax.set_ylabel("ms per training step")
    ax.set_title(f"MLP training step on {result['device']} ({result['date'][:10]})")
    ax.legend()


def host_cpu() -> str:
    """The host CPU's model name (``platform.processor()`` is often empty on Linux)."""
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_rows(batches: Sequence[int], repeats: int, rng: np.random.Generator) -> list[dict]:
    """minitorch and the by-hand NumPy step on the CPU, at each batch size."""
    return [
        {
            "batch": batch,
            "numpy_s": best_time(minitorch_step("cpu", batch, rng), repeats, lambda: None),
            "numpy_by_hand_s": best_time(hand_step(np, batch, rng), repeats, lambda: None),
        }
        for batch in batches
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and sizes")
    parser.add_argument("--batches", type=int, nargs="+", help="MLP batch sizes (default 128 ... 8192)")
    parser.add_argument("--chain-size", type=int, help="matrix size of the product chain (default 2048)")
    parser.add_argument("--repeats", type=int, help="timed repeats per GPU measurement (default 10)")
    parser.add_argument("--out", type=pathlib.Path, default=OUT, help=f"where the JSON goes (default {OUT})")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 10)
    batches = args.batches or ((128, 4096) if args.quick else (128, 512, 1024, 2048, 4096, 8192))
    size = args.chain_size or (1024 if args.quick else 2048)
    rng = np.random.default_rng(0)
    cpu_repeats = max(2, repeats // 3)
    if not minitorch.cuda.is_available():
        print("bench_gpu: no CUDA GPU (or no CuPy) on this machine: the CPU side only, nothing written.")
        print_row(CPU_ROW_HEADERS, CPU_ROW_HEADERS)
        for row in cpu_rows(batches, cpu_repeats, rng):
            print_row(CPU_ROW_HEADERS, cpu_row_cells(row))
        return 0
    import cupy

    sync = minitorch.cuda.synchronize
    rows = []
    print_row(ROW_HEADERS, ROW_HEADERS)
    for row in cpu_rows(batches, cpu_repeats, rng):
        row["minitorch_cuda_s"] = best_time(minitorch_step("cuda", row["batch"], rng), repeats, sync)
        row["cupy_by_hand_s"] = best_time(hand_step(cupy, row["batch"], rng), repeats, sync)
        rows.append(row)
        print_row(ROW_HEADERS, row_cells(row))
    chain = {
        "size": size,
        "numpy_s": best_time(matmul_chain("cpu", size, rng), 2, lambda: None),
        "minitorch_cuda_s": best_time(matmul_chain("cuda", size, rng), repeats, sync),
    }
    result = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "device": minitorch.cuda.device_name(),
        "cuda_runtime": cupy.cuda.runtime.runtimeGetVersion(),
        "cupy": cupy.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "host_cpu": host_cpu(),
        "host_cpu_count": os.cpu_count(),
        "mlp_step": rows,
        "matmul_chain": chain,
        "quick": args.quick,
    }
    print(describe_chain(chain))
    print(verdict(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
