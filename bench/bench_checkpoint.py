"""The memory/compute trade-off of gradient checkpointing, measured with minitorch's own counters.

For chains of L equal blocks (L = 16 ... 256) and several segment counts, run
forward + backward with ``minitorch.checkpoint_sequential`` and report

* peak saved memory, in block activations (from ``profile_memory``);
* forward work, relative to a plain (unchecked) pass (``forward_ops``).

Prints a table and writes ``bench/results/checkpoint_tradeoff.csv``, which the
book's memory chapter plots. Run: ``.venv/bin python bench/bench_checkpoint.py``
(``make bench`` runs it with every other benchmark).
"""

from __future__ import annotations

import csv
import math
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import minitorch

WIDTH = 64
OUT = pathlib.Path(__file__).resolve().parent / "results" / "checkpoint_tradeoff.csv"


def block(x: minitorch.Tensor) -> minitorch.Tensor:
    return x.sin()  # keeps exactly one activation (its input) for backward


def measure(length: int, segments: int | None) -> tuple[float, float]:
    x = minitorch.tensor(np.linspace(-1, 1, WIDTH), requires_grad=True)
    with minitorch.profile_memory() as report:
        if segments is None:
            h = x
            for _ in range(length):
                h = block(h)
        else:
            h = minitorch.checkpoint_sequential([block] * length, segments, x)
        h.backward(gradient=np.ones(WIDTH))
    return report.peak_saved_bytes / (WIDTH * 8), report.forward_ops / length


def main() -> None:
    rows = []
    for length in (16, 32, 64, 128, 256):
        root = math.isqrt(length)
        for segments in sorted({None, 2, 4, root // 2 or 1, root, 2 * root, length // 4, length}, key=lambda s: s or 0):
            if segments is not None and not 1 <= segments <= length:
                continue
            memory, work = measure(length, segments)
            rows.append(
                {
                    "L": length,
                    "segments": segments or 0,
                    "peak_activations": memory,
                    "forward_work": work,
                    "sqrt_L": segments == root,
                }
            )
    print(f"{'L':>5} {'segments':>9} {'peak (activations)':>19} {'forward work':>13}")
    for row in rows:
        label = "plain" if row["segments"] == 0 else str(row["segments"]) + (" =√L" if row["sqrt_L"] else "")
        print(f"{row['L']:>5} {label:>9} {row['peak_activations']:>19.0f} {row['forward_work']:>12.2f}x")
    OUT.parent.mkdir(exist_ok=True)
    with OUT.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {OUT.relative_to(OUT.parents[2])}")


if __name__ == "__main__":
    main()
