"""minitorch on a GPU (CuPy) against the CPU (NumPy) and against hand-written CuPy.

Workloads, forward + backward, float32:

* an MLP training step (784-256-256-10, ReLU, cross-entropy, SGD) at batch
  sizes 128 ... 8192, with minitorch on the CPU, minitorch on the GPU, and the
  same step written by hand in CuPy;
* a chain of 8 matrix products of 2048 x 2048 matrices, minitorch on CPU and GPU.

GPU timings synchronise the device before the clock starts and stops. With a
GPU the results go to ``bench/results/gpu.json`` (device, versions, date,
timings), which the book's GPU chapter reads, so the book needs no GPU to
build. Without a GPU the script says so and writes nothing.

Run: ``.venv/bin/python bench/bench_gpu.py [--quick]`` (needs ``pip install -e '.[gpu]'``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import pathlib
import platform
import sys
import time
from typing import Any, Callable

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import minitorch  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent / "results" / "gpu.json"
SIZES = (784, 256, 256, 10)


def best_time(step: Callable[[], Any], repeats: int, sync: Callable[[], None]) -> float:
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
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(xp.asarray(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32)))
        params.append(xp.asarray(np.zeros(fan_out, dtype=np.float32)))
    return params


def minitorch_step(device: str, batch: int, rng: np.random.Generator) -> Callable[[], None]:
    xp = minitorch.backend.array_module(device)
    params = [minitorch.Tensor(p, requires_grad=True) for p in make_params(xp, rng)]
    x = minitorch.tensor(rng.standard_normal((batch, SIZES[0])).astype(np.float32), device=device)
    targets = xp.asarray(rng.integers(0, SIZES[-1], batch))

    def step() -> None:
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

    return step


def cupy_step(batch: int, rng: np.random.Generator) -> Callable[[], None]:
    """The same training step written directly with CuPy arrays."""
    import cupy as cp

    params = make_params(cp, rng)
    x = cp.asarray(rng.standard_normal((batch, SIZES[0])).astype(np.float32))
    targets = cp.asarray(rng.integers(0, SIZES[-1], batch))

    def step() -> None:
        activations, pre = [x], []
        h = x
        for i in range(0, len(params), 2):
            z = h @ params[i] + params[i + 1]
            pre.append(z)
            h = cp.maximum(z, 0) if i + 2 < len(params) else z
            activations.append(h)
        shifted = h - h.max(axis=1, keepdims=True)
        probabilities = cp.exp(shifted)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        g = probabilities
        g[cp.arange(batch), targets] -= 1
        g /= batch
        for i in range(len(params) - 2, -1, -2):
            grad_w = activations[i // 2].T @ g
            grad_b = g.sum(axis=0)
            if i > 0:
                g = (g @ params[i].T) * (pre[i // 2 - 1] > 0)
            params[i] -= 0.01 * grad_w
            params[i + 1] -= 0.01 * grad_b

    return step


def matmul_chain(device: str, size: int, rng: np.random.Generator) -> Callable[[], None]:
    mats = [minitorch.tensor(rng.standard_normal((size, size)).astype(np.float32) / np.sqrt(size),
                             requires_grad=True, device=device) for _ in range(8)]

    def step() -> None:
        h = mats[0]
        for m in mats[1:]:
            h = h @ m
        h.sum().backward()
        for m in mats:
            m.grad = None

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and sizes")
    args = parser.parse_args()
    if not minitorch.cuda.is_available():
        print("bench_gpu: no CUDA GPU (or no CuPy) on this machine; nothing measured, nothing written.")
        return
    import cupy as cp

    repeats = 3 if args.quick else 10
    batches = (128, 4096) if args.quick else (128, 512, 1024, 2048, 4096, 8192)
    rng = np.random.default_rng(0)
    sync = minitorch.cuda.synchronize
    rows = []
    print(f"{'batch':>6} {'numpy ms':>9} {'cuda ms':>8} {'cupy ms':>8} {'speed-up':>9} {'vs cupy':>8}")
    for batch in batches:
        cpu = best_time(minitorch_step("cpu", batch, rng), max(2, repeats // 3), lambda: None)
        gpu = best_time(minitorch_step("cuda", batch, rng), repeats, sync)
        hand = best_time(cupy_step(batch, rng), repeats, sync)
        rows.append({"batch": batch, "numpy_s": cpu, "minitorch_cuda_s": gpu, "cupy_by_hand_s": hand})
        print(f"{batch:>6} {cpu * 1e3:>9.2f} {gpu * 1e3:>8.2f} {hand * 1e3:>8.2f} {cpu / gpu:>8.1f}x {gpu / hand:>7.2f}x")
    size = 1024 if args.quick else 2048
    chain = {"size": size,
             "numpy_s": best_time(matmul_chain("cpu", size, rng), 2, lambda: None),
             "minitorch_cuda_s": best_time(matmul_chain("cuda", size, rng), repeats, sync)}
    print(f"matmul chain {size}: numpy {chain['numpy_s'] * 1e3:.1f} ms, cuda {chain['minitorch_cuda_s'] * 1e3:.1f} ms")
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device": minitorch.cuda.device_name(),
        "cuda_runtime": cp.cuda.runtime.runtimeGetVersion(),
        "cupy": cp.__version__, "numpy": np.__version__, "python": platform.python_version(),
        "host_cpu": platform.processor() or platform.machine(),
        "mlp_step": rows, "matmul_chain": chain, "quick": args.quick,
    }
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
