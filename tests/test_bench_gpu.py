"""The GPU benchmark computes what it claims, and writes what the book's GPU chapter reads.

``bench/bench_gpu.py`` compares minitorch with a training step written by hand in CuPy; that ratio
means something only if the two steps compute the same update. Its timings are never asserted here:
these tests run it on tiny sizes, on the real GPU where there is one and on the emulated GPU
everywhere else, so that the script works the first time it meets a GPU.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import minitorch

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_gpu.py"
_spec = importlib.util.spec_from_file_location("bench_gpu", BENCH)
bench_gpu = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_gpu)


def _host(arrays: list) -> list[np.ndarray]:
    return [minitorch.backend.to_device(a, "cpu").copy() for a in arrays]


def test_hand_written_step_computes_minitorch_update(gpu: str) -> None:
    """Three SGD steps by hand in CuPy, by minitorch on the GPU and on the CPU: the same parameters."""
    batch = 32
    by_hand = bench_gpu.hand_step(minitorch.backend.array_module(gpu), batch, np.random.default_rng(7))
    on_gpu = bench_gpu.minitorch_step(gpu, batch, np.random.default_rng(7))
    on_cpu = bench_gpu.minitorch_step("cpu", batch, np.random.default_rng(7))
    initial = bench_gpu.make_params(np, np.random.default_rng(7))  # each step's first draws
    for _ in range(3):
        hand_params, gpu_params, cpu_params = by_hand(), on_gpu(), on_cpu()
    hand_params, gpu_params = _host(hand_params), _host(gpu_params)
    assert [p.shape for p in cpu_params] == [p.shape for p in initial]
    for hand, mine, cpu in zip(hand_params, gpu_params, cpu_params):
        assert mine.dtype == hand.dtype == np.float32
        np.testing.assert_allclose(mine, hand, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(mine, cpu, rtol=1e-4, atol=1e-6)
    # The steps did move the parameters (every weight matrix gets a non-zero gradient).
    assert all(not np.allclose(cpu, start) for cpu, start in zip(cpu_params[::2], initial[::2]))


def test_hand_written_numpy_step_computes_minitorch_update() -> None:
    """The CPU's by-hand baseline (what the engine's overhead is measured against) is the same step."""
    by_hand = bench_gpu.hand_step(np, 16, np.random.default_rng(3))
    mine = bench_gpu.minitorch_step("cpu", 16, np.random.default_rng(3))
    for _ in range(2):
        hand_params, my_params = by_hand(), mine()
    for hand, ours in zip(hand_params, my_params):
        np.testing.assert_allclose(ours, hand, rtol=1e-4, atol=1e-6)


def test_run_writes_the_json_the_book_reads(gpu: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "results" / "gpu.json"
    assert bench_gpu.main(["--batches", "8", "16", "--chain-size", "8", "--repeats", "1", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["device"] == minitorch.cuda.device_name()
    assert [row["batch"] for row in result["mlp_step"]] == [8, 16]
    timings = [
        row[key]
        for row in result["mlp_step"]
        for key in ("numpy_s", "numpy_by_hand_s", "minitorch_cuda_s", "cupy_by_hand_s")
    ]
    assert all(t > 0 for t in timings)
    assert result["matmul_chain"]["size"] == 8 and result["matmul_chain"]["minitorch_cuda_s"] > 0
    # What the book's GPU chapter renders from it.
    cells = [bench_gpu.row_cells(row) for row in result["mlp_step"]]
    assert [len(c) for c in cells] == [len(bench_gpu.ROW_HEADERS)] * 2
    assert result["device"] in bench_gpu.describe(result)
    assert "8 x 8" in bench_gpu.describe_chain(result["matmul_chain"])
    assert "batch 4096 was not measured" in bench_gpu.verdict(result)
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed and "engine overhead vs CuPy" in printed


def test_plot_draws_each_way_of_taking_the_step() -> None:
    matplotlib = pytest.importorskip("matplotlib")  # the book's extra; CI installs it
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [{"batch": b, "numpy_s": 1e-3 * b, "minitorch_cuda_s": 1e-4, "cupy_by_hand_s": 5e-5} for b in (8, 16)]
    fig, ax = plt.subplots()
    bench_gpu.plot_mlp_steps({"mlp_step": rows, "device": "Some GPU", "date": "2026-12-02T00:00:00+00:00"}, ax)
    assert [line.get_xdata().tolist() for line in ax.get_lines()] == [[8, 16]] * 3
    assert [line.get_ydata().tolist() for line in ax.get_lines()][0] == [8.0, 16.0]
    assert "Some GPU" in ax.get_title() and "2026-12-02" in ax.get_title()
    plt.close(fig)


def test_verdict_names_each_target() -> None:
    row = {"batch": 4096, "numpy_s": 0.030, "minitorch_cuda_s": 0.001, "cupy_by_hand_s": 0.0005}
    verdict = bench_gpu.verdict({"mlp_step": [row]})
    assert "speed-up 30.0x" in verdict and "(target >= 20x: met)" in verdict
    assert "overhead vs CuPy 2.00x" in verdict and "(target <= 1.5x: NOT met)" in verdict


def test_without_a_gpu_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setattr(minitorch.cuda, "is_available", lambda: False)
    out = tmp_path / "gpu.json"
    assert bench_gpu.main(["--batches", "4", "8", "--repeats", "1", "--out", str(out)]) == 0
    assert not out.exists()
    printed = capsys.readouterr().out
    assert "the CPU side only, nothing written" in printed
    assert [line.split()[0] for line in printed.splitlines()[2:]] == ["4", "8"]
