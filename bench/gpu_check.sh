#!/usr/bin/env bash
# Every check that needs a GPU, in one run: the framework's tests with the real "cuda" device, then
# the GPU benchmark, which writes bench/results/gpu.json (commit it; the book's GPU chapter reads it).
#
# Usage: bench/gpu_check.sh [PYTHON [bench_gpu.py options...]]
#   PYTHON defaults to .venv/bin/python where it exists, else python3; it needs NumPy, CuPy, pytest
#   and hypothesis (the course's `dev` and `gpu` extras). The grading and book tests are left out:
#   they need the course's other extras and never touch a GPU (CPU CI runs them).
set -uo pipefail
cd "$(dirname "$0")/.."
default_python=python3
[ -x .venv/bin/python ] && default_python=.venv/bin/python
python=${1:-$default_python}
shift $(($# > 0 ? 1 : 0))

"$python" -c 'import sys, minitorch; sys.exit(0 if minitorch.cuda.is_available() else
    "gpu_check: CuPy sees no CUDA GPU here (pip install -e \".[gpu]\" on a machine with one)")' || exit 2
"$python" -c 'import minitorch, cupy; print("device:", minitorch.cuda.device_name(), "| CuPy", cupy.__version__)'

# Everything but the grading and book suites, so a new framework test file is never left out.
"$python" -m pytest -q -p no:cacheprovider tests --ignore=tests/test_book.py \
    --ignore-glob='tests/test_grading_*' --ignore-glob='tests/test_autograde_*' --ignore-glob='tests/test_exercises_*'
tests_status=$?
"$python" bench/bench_gpu.py "$@"
bench_status=$?
echo "gpu_check: tests exit $tests_status, benchmark exit $bench_status"
[ "$tests_status" -eq 0 ] && [ "$bench_status" -eq 0 ]
