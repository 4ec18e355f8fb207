"""Exercise 4, parts 1-4: broadcasting and products (unbroadcast, add and mul, matmul, linear)."""

from __future__ import annotations

import numpy as np

from ...arrays import show_input
from ...core import Case, Tester
from .common import (
    EXERCISE,
    NUMPY_ONLY,
    _abs_scale,
    _normal,
    _rng,
    vjp_case,
)

# --------------------------------------------------------------------------- part 1: unbroadcast


def unbroadcast_case(t: Tester, g_shape: tuple, shape: tuple, *, size: float = 1.0, group: str = "behaviour") -> Case:
    rng = _rng(t)
    g = _normal(rng, g_shape, size)
    x = np.zeros(shape)
    return vjp_case(
        t,
        "unbroadcast",
        [x],
        g,
        names=["x", "g"],
        outputs=["result"],
        forward=lambda a: np.broadcast_to(a, g_shape),
        call="unbroadcast",
        extra={"shape": shape},
        scale=lambda ref, xs, g_: [ref(np.abs(g_), shape)],
        what=f"unbroadcast(g of shape {g_shape}, shape={shape})",
        input_text=f"{show_input('g', g)}\nshape = {shape}",
        group="robustness" if size > 1 else group,
    )


@EXERCISE.part(
    "unbroadcast",
    points=1,
    title="unbroadcast(g, shape)",
    needs=("unbroadcast",),
    forbidden=NUMPY_ONLY,
    hint="An entry that was broadcast feeds several outputs: what does the multiple-pathway rule make of its "
    "adjoint? Which axes of g were added, and which were stretched from size 1?",
    more="Sum g over the leading axes it has and shape lacks; then sum, keeping the axes, over those where shape "
    "has size 1 and g does not. The result must have exactly `shape` (0-dimensional for shape ()).",
)
def unbroadcast(t: Tester):
    if not t.hidden:
        for g_shape, shape in (((4, 3), (3,)), ((4, 3), (4, 1)), ((2, 4, 3), (1, 3)), ((4, 3), (4, 3))):
            yield unbroadcast_case(t, g_shape, shape)
        yield unbroadcast_case(t, (4, 3), (), group="edge cases")
        return
    rng = _rng(t)
    for _ in range(6):
        shape = tuple(int(n) for n in rng.integers(1, 4, size=rng.integers(0, 4)))
        stretched = tuple(int(rng.integers(2, 5)) if n == 1 and rng.random() < 0.7 else n for n in shape)
        extra = tuple(int(n) for n in rng.integers(1, 4, size=rng.integers(0, 3)))
        yield unbroadcast_case(t, extra + stretched, shape)
    yield unbroadcast_case(t, (), (), group="edge cases")
    yield unbroadcast_case(t, (1, 1, 5), (1,), group="edge cases")
    yield unbroadcast_case(t, (5, 1), (1, 1), group="edge cases")
    yield unbroadcast_case(t, (3, 2, 4), (3, 1, 1), group="edge cases")
    yield unbroadcast_case(t, (6, 3), (1, 3), size=1e8)


# --------------------------------------------------------------------------- part 2: add, mul


def binary_case(
    t: Tester, op: str, a_shape: tuple, b_shape: tuple, *, size: float = 1.0, group: str = "behaviour"
) -> Case:
    rng = _rng(t)
    a, b = _normal(rng, a_shape, size), _normal(rng, b_shape, size)
    g = _normal(rng, np.broadcast_shapes(a_shape, b_shape))
    forward = np.add if op == "add" else np.multiply
    return vjp_case(
        t,
        f"vjp_{op}",
        [a, b],
        g,
        names=["a", "b", "g"],
        outputs=["ga", "gb"],
        forward=forward,
        scale=_abs_scale,
        patch=("unbroadcast",),
        group="robustness" if size > 1 else group,
    )


def _broadcast_pair(rng: np.random.Generator) -> tuple[tuple, tuple]:
    out = tuple(int(n) for n in rng.integers(1, 5, size=rng.integers(1, 4)))
    shapes = []
    for _ in range(2):
        keep = int(rng.integers(0, len(out) + 1))
        shapes.append(tuple(1 if rng.random() < 0.4 else n for n in out[len(out) - keep :]))
    return shapes[0], shapes[1]


@EXERCISE.part(
    "broadcast_ops",
    points=2,
    title="vjp_add and vjp_mul (with broadcasting)",
    needs=("vjp_add", "vjp_mul"),
    forbidden=NUMPY_ONLY,
    hint="What are the partial derivatives of a + b and of a * b, and at which shape does g live?",
    more="Compute each adjoint at the output's shape (for the product, g times the other input), then give it "
    "each input's own shape with unbroadcast: an input that was broadcast gets the sum over its copies.",
)
def broadcast_ops(t: Tester):
    if not t.hidden:
        yield binary_case(t, "add", (2, 3), (3,))
        yield binary_case(t, "mul", (2, 3), (2, 3))
        yield binary_case(t, "mul", (4, 1), (1, 3), group="edge cases")
        yield binary_case(t, "mul", (), (2, 2), group="edge cases")
        return
    rng = _rng(t)
    for op in ("add", "mul"):
        for _ in range(4):
            yield binary_case(t, op, *_broadcast_pair(rng))
        yield binary_case(t, op, (3, 1, 4), (1, 1), group="edge cases")
        yield binary_case(t, op, (2, 3), (), group="edge cases")
        yield binary_case(t, op, (1,), (5, 1, 2), size=1e6)


# --------------------------------------------------------------------------- part 3: matmul


def matmul_case(t: Tester, a_shape: tuple, b_shape: tuple, *, size: float = 1.0) -> Case:
    """Vectors and batches (stretched batch axes included) are edge cases; large entries test robustness."""
    rng = _rng(t)
    A, B = _normal(rng, a_shape, size), _normal(rng, b_shape, size)
    g = _normal(rng, np.matmul(A, B).shape)
    return vjp_case(
        t,
        "vjp_matmul",
        [A, B],
        g,
        names=["A", "B", "g"],
        outputs=["gA", "gB"],
        forward=np.matmul,
        scale=_abs_scale,
        patch=("unbroadcast",),
        group="robustness" if size > 1 else "behaviour" if len(a_shape) == len(b_shape) == 2 else "edge cases",
    )


MATMUL_HINT = (
    "Write down the shapes of A, B and g: which products of g with A or B (one of them transposed) have "
    "A's shape, and which B's? What happens to the axis a 1-D input loses, and to broadcast batch axes?"
)
MATMUL_MORE = (
    "A 1-D A acts as a row and a 1-D B as a column: give g back the axis the product removed, then drop it "
    "from the result. With batch axes, transpose only the last two axes (np.swapaxes(..., -1, -2)) and "
    "unbroadcast each result to its input's shape: a batch axis of size 1 that was stretched must be summed."
)


@EXERCISE.part(
    "matmul",
    points=2,
    title="vjp_matmul(A, B, g)",
    needs=("vjp_matmul",),
    forbidden=NUMPY_ONLY,
    hint=MATMUL_HINT,
    more=MATMUL_MORE,
)
def matmul(t: Tester):
    if not t.hidden:
        yield matmul_case(t, (3, 4), (4, 2))
        yield matmul_case(t, (3, 4), (4,))
        yield matmul_case(t, (4,), (4, 2))
        yield matmul_case(t, (2, 3, 4), (4, 5))
        yield matmul_case(t, (1, 3, 4), (2, 4, 5))  # A's batch axis of size 1 is stretched: gA sums over it
        return
    rng = _rng(t)
    for _ in range(3):
        n, k, m = (int(v) for v in rng.integers(1, 6, size=3))
        yield matmul_case(t, (n, k), (k, m))
    yield matmul_case(t, (3, 3), (3, 3))
    yield matmul_case(t, (1, 4), (4, 1))
    yield matmul_case(t, (4,), (4,))
    yield matmul_case(t, (2, 3, 4), (2, 4, 5))
    yield matmul_case(t, (3, 4), (2, 4, 5))
    yield matmul_case(t, (2, 1, 3, 4), (5, 4, 2))
    yield matmul_case(t, (2, 1, 3, 4), (1, 5, 4, 2))
    yield matmul_case(t, (4,), (2, 4, 3))
    yield matmul_case(t, (2, 3, 4), (4,))
    yield matmul_case(t, (3, 5), (5, 2), size=1e4)


# --------------------------------------------------------------------------- part 4: linear


def linear_case(t: Tester, x_shape: tuple, d_out: int, *, size: float = 1.0) -> Case:
    """One example (a 1-D x) and a batch of one are edge cases; large entries test robustness."""
    rng = _rng(t)
    d_in = x_shape[-1]
    x, W, b = _normal(rng, x_shape, size), _normal(rng, (d_in, d_out), size), _normal(rng, (d_out,), size)
    g = _normal(rng, x_shape[:-1] + (d_out,))
    return vjp_case(
        t,
        "vjp_linear",
        [x, W, b],
        g,
        names=["x", "W", "b", "g"],
        outputs=["gx", "gW", "gb"],
        forward=lambda x_, W_, b_: x_ @ W_ + b_,
        scale=_abs_scale,
        patch=("unbroadcast", "vjp_matmul"),
        group="robustness" if size > 1 else "edge cases" if len(x_shape) == 1 or x_shape[0] == 1 else "behaviour",
    )


@EXERCISE.part(
    "linear",
    points=1,
    title="vjp_linear(x, W, b, g)",
    needs=("vjp_linear",),
    forbidden=NUMPY_ONLY,
    hint="x @ W + b is a matrix product followed by a broadcast addition: which of your earlier VJPs compose "
    "into its VJP?",
    more="vjp_matmul gives gx and gW (for one example, gW is an outer product); b was broadcast over the batch, "
    "so its adjoint is g summed back to b's shape by unbroadcast.",
)
def linear(t: Tester):
    if not t.hidden:
        yield linear_case(t, (4, 3), 2)
        yield linear_case(t, (3,), 2)
        return
    rng = _rng(t)
    for _ in range(3):
        yield linear_case(t, (int(rng.integers(1, 6)), int(rng.integers(1, 5))), int(rng.integers(1, 5)))
    yield linear_case(t, (1, 3), 1)
    yield linear_case(t, (5,), 3)
    yield linear_case(t, (6, 4), 3, size=1e3)
