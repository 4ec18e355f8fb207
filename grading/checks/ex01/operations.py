"""Exercise 1, parts 1-6: the arithmetic and elementary functions of ``Dual``, each checked against the reference's
``Dual`` on the same expression."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ...core import Case, Tester, Verdict
from ...numeric import central, close, fd_agrees, show
from ...probes.ex01 import OPERATORS
from ...tripwire import AUTODIFF
from .common import EDGE, EXERCISE, ROBUST


def _pair(reply: dict) -> tuple[float, float] | None:
    return tuple(reply["pair"]) if "pair" in reply else None  # type: ignore[return-value]


def _show_dual(pair: tuple[float, float] | None) -> str:
    return "?" if pair is None else f"Dual({show(pair[0])}, {show(pair[1])})"


def _show_operand(x: Any) -> str:
    return f"Dual({show(x[0])}, {show(x[1])})" if isinstance(x, tuple) else show(x)


def _dual_case(
    t: Tester,
    what: str,
    name: str,
    args: dict,
    *,
    scale: Callable[[], float],
    fd: Callable[[], float] | None,
    group: str | None = None,
    weight: float = 1.0,
) -> Case:
    """Compare the probe ``name`` on the student's ``Dual`` with the same on the reference's."""

    def run() -> Verdict:
        expected = _pair(t.expect(name, **args))
        result = t.probe(name, **args)
        actual = _pair(result)
        if actual is None:
            return Verdict(
                False,
                _show_dual(expected),
                f"{result['repr']}  (not a Dual: an object of the notebook's Dual class, with real .primal "
                "and .tangent)",
            )
        assert expected is not None
        size = scale()
        passed = close(actual[0], expected[0]) and close(actual[1], expected[1], size)
        note = warning = None
        if fd is not None:
            estimate = fd()
            note = f"a central difference estimates the tangent as {show(estimate)}"
            if not fd_agrees(estimate, expected[1], size):
                warning = f"reference tangent {expected[1]!r} but central difference {estimate!r}"
        return Verdict(passed, _show_dual(expected), _show_dual(actual), note=note, grader_warning=warning)

    return Case(what, run, group=group, weight=weight)


def unchanged_case(t: Tester, what: str, name: str, args: dict) -> Case:
    """The probe ``name``'s operation leaves its Dual operands as they were (the text: it returns a new Dual).
    Weighted as three checks: an operation that changes its operand breaks every later use of that operand."""
    sides = {"x": "the left operand", "y": "the right operand"} if name == "binary" else {"x": "the Dual"}

    def run() -> Verdict:
        changed = [sides.get(side, side) for side in t.probe(name, **args).get("modified", [])]
        return Verdict(
            not changed,
            "the operands as they were, and a new Dual as the result",
            f"changed {' and '.join(changed)}" if changed else "unchanged",
            detail=f"the operation changes {' and '.join(changed)} in place" if changed else None,
        )

    return Case(
        f"{what} leaves its operands unchanged",
        run,
        group="edge cases",
        weight=3,
        hint=UNCHANGED_HINT,
        more=UNCHANGED_MORE,
    )


UNCHANGED_HINT = (
    "Each operation returns a new Dual: its operands may be used again later (x * x + x). Does your method "
    "change self or other?"
)
UNCHANGED_MORE = "Build the result with Dual(primal, tangent) instead of assigning to self.primal or self.tangent."


def binary(
    t: Tester, symbol: str, x: Any, y: Any, *, fd: bool = True, group: str | None = None, weight: float = 1.0
) -> Case:
    """``x <symbol> y`` where each operand is a Dual (a tuple) or a plain number. ``weight``: 3 for a case the
    text stresses."""
    op = OPERATORS[symbol]

    def scale() -> float:
        # |contribution of x's tangent| + |contribution of y's tangent|
        total = 0.0
        for keep in (0, 1):
            ops = [(v[0], v[1] if i == keep else 0.0) if isinstance(v, tuple) else v for i, v in enumerate((x, y))]
            pair = _pair(t.expect("binary", symbol=symbol, x=ops[0], y=ops[1]))
            total += abs(pair[1]) if pair else 0.0
        return total

    xs = x if isinstance(x, tuple) else (x, 0.0)
    ys = y if isinstance(y, tuple) else (y, 0.0)
    speed = max(abs(xs[1]), abs(ys[1]), 1e-300)
    h = 1e-6 * max(1.0, min(abs(xs[0]) or 1.0, abs(ys[0]) or 1.0)) / speed

    def estimate() -> float:
        return central(lambda s: op(xs[0] + s * xs[1], ys[0] + s * ys[1]), 0.0, h)

    return _dual_case(
        t,
        f"{_show_operand(x)} {symbol} {_show_operand(y)}",
        "binary",
        {"symbol": symbol, "x": x, "y": y},
        scale=scale,
        fd=estimate if fd else None,
        group=group,
        weight=weight,
    )


def binary_unchanged(t: Tester, symbol: str, x: Any, y: Any) -> Case:
    return unchanged_case(
        t, f"{_show_operand(x)} {symbol} {_show_operand(y)}", "binary", {"symbol": symbol, "x": x, "y": y}
    )


def same_object(t: Tester, symbol: str, x: tuple[float, float]) -> Case:
    """``x <symbol> x`` with one Dual object used twice."""
    op = OPERATORS[symbol]

    def estimate() -> float:
        return central(lambda s: op(x[0] + s * x[1], x[0] + s * x[1]), 0.0, 1e-6)

    return _dual_case(
        t,
        f"x {symbol} x  with x = Dual({show(x[0])}, {show(x[1])})",
        "same_object",
        {"symbol": symbol, "x": x},
        scale=lambda: 0.0,
        fd=estimate,
        group="edge cases",
    )


_MATH = {"exp": math.exp, "log": math.log, "sin": math.sin, "cos": math.cos}


def unary(t: Tester, name: str, x: tuple[float, float], *, fd: bool = True, group: str | None = None) -> Case:
    def scale() -> float:
        # rounding of the argument (sin(a + pi/2) for cos(a), say) is relative to |a|
        return 1e-6 * (1.0 + abs(x[0])) * abs(x[1])

    def estimate() -> float:
        return central(lambda s: _MATH[name](x[0] + s * x[1]), 0.0, 1e-6 * max(1.0, abs(x[0])) / abs(x[1]))

    return _dual_case(
        t,
        f"Dual({show(x[0])}, {show(x[1])}).{name}()",
        "unary",
        {"name": name, "x": x},
        scale=scale,
        fd=estimate if fd and x[1] else None,
        group=group,
    )


def unary_unchanged(t: Tester, name: str, x: tuple[float, float]) -> Case:
    return unchanged_case(t, f"Dual({show(x[0])}, {show(x[1])}).{name}()", "unary", {"name": name, "x": x})


def _value(rng: Any, low: float = 0.1, high: float = 10.0) -> float:
    """A random magnitude in [low, high] (log-uniform) with a random sign."""
    return rng.choice((-1, 1)) * math.exp(rng.uniform(math.log(low), math.log(high)))


def _dual(rng: Any, low: float = 0.1, high: float = 10.0) -> tuple[float, float]:
    return (_value(rng, low, high), _value(rng, 0.1, 5.0))


# --------------------------------------------------------------------------- parts


@EXERCISE.part(
    "add_sub",
    points=2,
    title="Dual + and - (with Duals and plain numbers)",
    needs=("Dual",),
    forbidden=AUTODIFF,
    hint="What is the tangent of a sum or a difference, and what tangent does a plain number carry?",
    more="Add (or subtract) the primals and, separately, the tangents; Dual.lift has already turned a plain "
    "number c into the constant c + 0e.",
)
def add_sub(t: Tester):
    if not t.hidden:
        yield binary(t, "+", (1.5, 2.0), (-0.5, 3.0))
        yield binary(t, "-", (1.5, 2.0), (-0.5, 3.0))
        yield binary(t, "+", (2.0, 1.0), 3.0, group=EDGE)
        yield binary(t, "-", 3.0, (2.0, 1.0), group=EDGE)
        yield binary_unchanged(t, "+", (1.5, 2.0), (-0.5, 3.0))
        yield binary_unchanged(t, "-", (1.5, 2.0), (-0.5, 3.0))
        return
    for symbol in "+-":
        for _ in range(4):
            yield binary(t, symbol, _dual(t.rng), _dual(t.rng))
        yield binary(t, symbol, _dual(t.rng), _value(t.rng), group=EDGE)
        yield binary(t, symbol, _value(t.rng), _dual(t.rng), group=EDGE)
        yield same_object(t, symbol, _dual(t.rng))
        yield binary(t, symbol, (1e300, -1e300), (2e299, 5e299), fd=False, group=ROBUST)
        yield binary(t, symbol, (1e-300, 1e-300), (-3e-300, 1.0), fd=False, group=ROBUST)


@EXERCISE.part(
    "mul",
    points=2,
    title="Dual * (product rule)",
    needs=("Dual",),
    forbidden=AUTODIFF,
    hint="Which rule of differentiation does a product follow, and how many terms does its tangent have? "
    "(e^2 = 0 removes only one of them.)",
    more="Multiply out (a + a'e)(b + b'e) and drop the e^2 term: the tangent has one term for each operand's tangent.",
)
def mul(t: Tester):
    if not t.hidden:
        yield binary(t, "*", (1.5, 1.0), (-2.0, 0.5))
        yield binary(t, "*", (2.0, 1.0), 3.0, group=EDGE)
        yield binary(t, "*", 0.5, (4.0, -2.0), group=EDGE)
        yield same_object(t, "*", (3.0, 1.0))
        yield binary_unchanged(t, "*", (1.5, 1.0), (-2.0, 0.5))
        return
    for _ in range(6):
        yield binary(t, "*", _dual(t.rng), _dual(t.rng))
    yield binary(t, "*", _dual(t.rng), _value(t.rng), group=EDGE)
    yield binary(t, "*", _value(t.rng), _dual(t.rng), group=EDGE)
    yield same_object(t, "*", _dual(t.rng))
    yield binary(t, "*", (0.0, 1.0), (0.0, 1.0), group=EDGE)
    yield binary(t, "*", (1e150, 1e150), (1e150, 1.0), fd=False, group=ROBUST)
    yield binary(t, "*", (1e-150, 3.0), (-1e150, 1e140), fd=False, group=ROBUST)


@EXERCISE.part(
    "div",
    points=2,
    title="Dual / (quotient rule)",
    needs=("Dual",),
    forbidden=AUTODIFF,
    hint="Which rule gives the derivative of a quotient, and which of its terms carries a minus sign?",
    more="Check the sign of the term with the denominator's tangent, and that the whole tangent is divided by "
    "the square of the denominator's primal (or written as a'/b - (a/b)(b'/b)).",
)
def div(t: Tester):
    if not t.hidden:
        yield binary(t, "/", (1.5, 1.0), (-2.0, 0.5))
        yield binary(t, "/", (3.0, 2.0), 4.0, group=EDGE)
        yield binary(t, "/", 1.0, (2.0, 1.0), group=EDGE)
        yield binary_unchanged(t, "/", (1.5, 1.0), (-2.0, 0.5))
        return
    for _ in range(6):
        yield binary(t, "/", _dual(t.rng), _dual(t.rng))
    yield binary(t, "/", _dual(t.rng), _value(t.rng), group=EDGE)
    yield binary(t, "/", _value(t.rng), _dual(t.rng), group=EDGE)
    yield same_object(t, "/", _dual(t.rng))
    yield binary(t, "/", (0.0, 1.0), (3.0, 1.0), group=EDGE)
    yield binary(t, "/", (1e100, 1e100), (1e-50, 1.0), fd=False, group=ROBUST)
    yield binary(t, "/", (-1e-100, 2.0), (1e50, -1e40), fd=False, group=ROBUST)


@EXERCISE.part(
    "pow",
    points=3,
    title="Dual ** (constant and Dual exponents)",
    needs=("Dual",),
    forbidden=AUTODIFF,
    hint="A constant exponent and a Dual exponent follow different rules: which one still works for a base "
    "a <= 0 (the table says it must), and which needs ln a?",
    more="For a plain-number exponent c use the power rule c a^(c-1) a' (no logarithm, so a <= 0 works; c = 0 "
    "gives the constant 1); only a Dual exponent needs a^b (b' ln a + b a'/a).",
)
def pow_(t: Tester):
    if not t.hidden:
        yield binary(t, "**", (3.0, 1.0), 2)
        yield binary(t, "**", (2.0, 0.5), -1.0)
        yield binary(t, "**", (4.0, 1.0), 0.5)
        yield binary(t, "**", (2.0, 1.0), (3.0, 0.5))
        # the table: the power rule holds for a <= 0 too
        yield binary(t, "**", (-2.0, 1.5), 3, group=EDGE, weight=3)
        yield binary(t, "**", (0.0, 1.0), 2, group=EDGE, weight=3)
        yield binary(t, "**", 2.0, (1.5, 1.0), group=EDGE)  # 2 ** x: the given __rpow__ calls your __pow__
        yield binary_unchanged(t, "**", (2.0, 1.0), (3.0, 0.5))
        return
    rng = t.rng
    for _ in range(3):
        yield binary(t, "**", (rng.uniform(0.2, 5.0), _value(rng, 0.1, 3.0)), rng.uniform(-3.0, 3.0))
    for _ in range(3):
        yield binary(
            t, "**", (rng.uniform(0.2, 5.0), _value(rng, 0.1, 3.0)), (rng.uniform(-3.0, 3.0), _value(rng, 0.1, 3.0))
        )
    yield binary(t, "**", (-1.5, -0.5), -2.0, group=EDGE)
    yield binary(t, "**", (0.0, 2.0), 1, group=EDGE)
    yield binary(t, "**", (2.5, 1.0), 0, group=EDGE)
    yield binary(t, "**", (rng.uniform(0.2, 5.0), 0.0), (rng.uniform(-3.0, 3.0), 1.0), group=EDGE)
    yield binary(t, "**", 2.0, (rng.uniform(-3.0, 3.0), 1.0), group=EDGE)
    yield same_object(t, "**", (1.7, 1.0))
    yield binary(t, "**", (1e3, 1.0), 40, fd=False, group=ROBUST)
    yield binary(t, "**", (1e10, 3.0), 0.5, fd=False, group=ROBUST)
    yield binary(t, "**", (1e3, 2.0), (30.0, 0.5), fd=False, group=ROBUST)


@EXERCISE.part(
    "exp_log",
    points=2,
    title="Dual.exp() and Dual.log()",
    needs=("Dual",),
    forbidden=AUTODIFF,
    hint="What does the chain rule multiply the derivative of exp or log by?",
    more="The tangent is f'(a) times the input's tangent a': exp'(a) = exp(a) and log'(a) = 1/a.",
)
def exp_log(t: Tester):
    if not t.hidden:
        yield unary(t, "exp", (0.5, 2.0))
        yield unary(t, "log", (2.0, 3.0))
        yield unary_unchanged(t, "exp", (0.5, 2.0))
        yield unary_unchanged(t, "log", (2.0, 3.0))
        return
    for _ in range(5):
        yield unary(t, "exp", (t.rng.uniform(-20.0, 20.0), _value(t.rng, 0.1, 5.0)))
        yield unary(t, "log", (math.exp(t.rng.uniform(-5.0, 5.0)), _value(t.rng, 0.1, 5.0)))
    yield unary(t, "exp", (0.0, 1.0), group=EDGE)
    yield unary(t, "log", (1.0, 1.0), group=EDGE)
    yield unary(t, "exp", (700.0, 1.0), fd=False, group=ROBUST)
    yield unary(t, "exp", (-700.0, 1e300), fd=False, group=ROBUST)
    yield unary(t, "log", (1e300, 1e300), fd=False, group=ROBUST)
    yield unary(t, "log", (1e-300, 2.0), fd=False, group=ROBUST)


@EXERCISE.part(
    "sin_cos",
    points=2,
    title="Dual.sin() and Dual.cos()",
    needs=("Dual",),
    forbidden=AUTODIFF,
    hint="What are the derivatives of sin and cos (mind the sign), and what does the chain rule multiply them by?",
    more="sin' = cos and cos' = -sin, each times the input's tangent a'.",
)
def sin_cos(t: Tester):
    if not t.hidden:
        yield unary(t, "sin", (0.5, 2.0))
        yield unary(t, "cos", (0.5, 2.0))
        yield unary_unchanged(t, "sin", (0.5, 2.0))
        return
    for _ in range(5):
        yield unary(t, "sin", (t.rng.uniform(-10.0, 10.0), _value(t.rng, 0.1, 5.0)))
        yield unary(t, "cos", (t.rng.uniform(-10.0, 10.0), _value(t.rng, 0.1, 5.0)))
    for name in ("sin", "cos"):
        yield unary(t, name, (0.0, 1.0), group=EDGE)
        yield unary(t, name, (math.pi / 2, -3.0), group=EDGE)
        yield unary(t, name, (1e6, 1.0), fd=False, group=ROBUST)
    yield unary_unchanged(t, "cos", (0.5, 2.0))
