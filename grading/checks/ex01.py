"""Exercise 1: forward mode with dual numbers.

Every Dual check builds the same expression twice (probes/ex01.py), once with the
student's ``Dual`` class in the sandbox and once with the reference's here, and compares
primal and tangent;
the tangent is also compared (in the message, and by the grader's own tests)
with a central difference of the same expression evaluated on floats.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..core import Case, ExerciseSpec, Tester, Verdict
from ..numeric import central, close, fd_agrees, is_real, show
from ..probes.ex01 import DUAL_STANDIN, FUNCTIONS, OPERATORS, PLAIN
from ..tripwire import AUTODIFF

EXERCISE = ExerciseSpec("ex01", "ex01_forward_mode", "Forward mode with dual numbers")


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
    hint: str | None = None,
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
                f"{result['repr']}  (not a Dual: it needs .primal and .tangent, real numbers)",
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

    return Case(what, run, hint=hint)


def binary(t: Tester, symbol: str, x: Any, y: Any, *, fd: bool = True, hint: str | None = None) -> Case:
    """``x <symbol> y`` where each operand is a Dual (a tuple) or a plain number."""
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
        hint=hint,
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
    )


_MATH = {"exp": math.exp, "log": math.log, "sin": math.sin, "cos": math.cos}


def unary(t: Tester, name: str, x: tuple[float, float], *, fd: bool = True) -> Case:
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
    )


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
    hint="(a + a'e) +/- (b + b'e) = (a +/- b) + (a' +/- b')e; a plain number c is the constant c + 0e.",
)
def add_sub(t: Tester):
    if not t.hidden:
        yield binary(t, "+", (1.5, 2.0), (-0.5, 3.0))
        yield binary(t, "-", (1.5, 2.0), (-0.5, 3.0))
        yield binary(t, "+", (2.0, 1.0), 3.0)
        yield binary(t, "-", 3.0, (2.0, 1.0))
        return
    for symbol in "+-":
        for _ in range(4):
            yield binary(t, symbol, _dual(t.rng), _dual(t.rng))
        yield binary(t, symbol, _dual(t.rng), _value(t.rng))
        yield binary(t, symbol, _value(t.rng), _dual(t.rng))
        yield same_object(t, symbol, _dual(t.rng))
        yield binary(t, symbol, (1e300, -1e300), (2e299, 5e299), fd=False)
        yield binary(t, symbol, (1e-300, 1e-300), (-3e-300, 1.0), fd=False)


@EXERCISE.part(
    "mul",
    points=2,
    title="Dual * (product rule)",
    needs=("Dual",),
    forbidden=AUTODIFF,
    hint="(a + a'e)(b + b'e) = ab + (a'b + ab')e, because e^2 = 0.",
)
def mul(t: Tester):
    if not t.hidden:
        yield binary(t, "*", (1.5, 1.0), (-2.0, 0.5))
        yield binary(t, "*", (2.0, 1.0), 3.0)
        yield binary(t, "*", 0.5, (4.0, -2.0))
        yield same_object(t, "*", (3.0, 1.0))
        return
    for _ in range(6):
        yield binary(t, "*", _dual(t.rng), _dual(t.rng))
    yield binary(t, "*", _dual(t.rng), _value(t.rng))
    yield binary(t, "*", _value(t.rng), _dual(t.rng))
    yield same_object(t, "*", _dual(t.rng))
    yield binary(t, "*", (0.0, 1.0), (0.0, 1.0))
    yield binary(t, "*", (1e150, 1e150), (1e150, 1.0), fd=False)
    yield binary(t, "*", (1e-150, 3.0), (-1e150, 1e140), fd=False)


@EXERCISE.part(
    "div",
    points=2,
    title="Dual / (quotient rule)",
    needs=("Dual",),
    forbidden=AUTODIFF,
    hint="(a/b)' = (a'b - ab')/b^2 = a'/b - (a/b)(b'/b).",
)
def div(t: Tester):
    if not t.hidden:
        yield binary(t, "/", (1.5, 1.0), (-2.0, 0.5))
        yield binary(t, "/", (3.0, 2.0), 4.0)
        yield binary(t, "/", 1.0, (2.0, 1.0))
        return
    for _ in range(6):
        yield binary(t, "/", _dual(t.rng), _dual(t.rng))
    yield binary(t, "/", _dual(t.rng), _value(t.rng))
    yield binary(t, "/", _value(t.rng), _dual(t.rng))
    yield same_object(t, "/", _dual(t.rng))
    yield binary(t, "/", (0.0, 1.0), (3.0, 1.0))
    yield binary(t, "/", (1e100, 1e100), (1e-50, 1.0), fd=False)
    yield binary(t, "/", (-1e-100, 2.0), (1e50, -1e40), fd=False)


@EXERCISE.part(
    "pow",
    points=3,
    title="Dual ** (constant and Dual exponents)",
    needs=("Dual",),
    forbidden=AUTODIFF,
    hint="Constant c: (a^c)' = c a^(c-1) a' (also for a <= 0). Dual b (a > 0): (a^b)' = a^b (b' ln a + b a'/a).",
)
def pow_(t: Tester):
    if not t.hidden:
        yield binary(t, "**", (3.0, 1.0), 2)
        yield binary(t, "**", (2.0, 0.5), -1.0)
        yield binary(t, "**", (4.0, 1.0), 0.5)
        yield binary(t, "**", (2.0, 1.0), (3.0, 0.5))
        return
    rng = t.rng
    for _ in range(3):
        yield binary(t, "**", (rng.uniform(0.2, 5.0), _value(rng, 0.1, 3.0)), rng.uniform(-3.0, 3.0))
    yield binary(t, "**", (-2.0, 1.5), 3)
    yield binary(t, "**", (-1.5, -0.5), -2.0)
    yield binary(t, "**", (0.0, 1.0), 2)
    yield binary(t, "**", (0.0, 2.0), 1)
    yield binary(t, "**", (2.5, 1.0), 0)
    for _ in range(3):
        yield binary(
            t, "**", (rng.uniform(0.2, 5.0), _value(rng, 0.1, 3.0)), (rng.uniform(-3.0, 3.0), _value(rng, 0.1, 3.0))
        )
    yield binary(t, "**", (rng.uniform(0.2, 5.0), 0.0), (rng.uniform(-3.0, 3.0), 1.0))
    yield binary(t, "**", 2.0, (rng.uniform(-3.0, 3.0), 1.0))
    yield same_object(t, "**", (1.7, 1.0))
    yield binary(t, "**", (1e3, 1.0), 40, fd=False)
    yield binary(t, "**", (1e10, 3.0), 0.5, fd=False)
    yield binary(t, "**", (1e3, 2.0), (30.0, 0.5), fd=False)


@EXERCISE.part(
    "exp_log",
    points=2,
    title="Dual.exp() and Dual.log()",
    needs=("Dual",),
    forbidden=AUTODIFF,
    hint="exp(a + a'e) = exp(a) + exp(a) a' e; log(a + a'e) = log(a) + (a'/a) e (chain rule: times a').",
)
def exp_log(t: Tester):
    if not t.hidden:
        yield unary(t, "exp", (0.5, 2.0))
        yield unary(t, "log", (2.0, 3.0))
        return
    for _ in range(5):
        yield unary(t, "exp", (t.rng.uniform(-20.0, 20.0), _value(t.rng, 0.1, 5.0)))
        yield unary(t, "log", (math.exp(t.rng.uniform(-5.0, 5.0)), _value(t.rng, 0.1, 5.0)))
    yield unary(t, "exp", (0.0, 1.0))
    yield unary(t, "exp", (700.0, 1.0), fd=False)
    yield unary(t, "exp", (-700.0, 1e300), fd=False)
    yield unary(t, "log", (1.0, 1.0))
    yield unary(t, "log", (1e300, 1e300), fd=False)
    yield unary(t, "log", (1e-300, 2.0), fd=False)


@EXERCISE.part(
    "sin_cos",
    points=2,
    title="Dual.sin() and Dual.cos()",
    needs=("Dual",),
    forbidden=AUTODIFF,
    hint="sin' = cos and cos' = -sin, each multiplied by the tangent a'.",
)
def sin_cos(t: Tester):
    if not t.hidden:
        yield unary(t, "sin", (0.5, 2.0))
        yield unary(t, "cos", (0.5, 2.0))
        return
    for _ in range(5):
        yield unary(t, "sin", (t.rng.uniform(-10.0, 10.0), _value(t.rng, 0.1, 5.0)))
        yield unary(t, "cos", (t.rng.uniform(-10.0, 10.0), _value(t.rng, 0.1, 5.0)))
    for name in ("sin", "cos"):
        yield unary(t, name, (0.0, 1.0))
        yield unary(t, name, (math.pi / 2, -3.0))
        yield unary(t, name, (1e6, 1.0), fd=False)


def _derivative_case(t: Tester, text: str, x: float, *, fd: bool = True) -> Case:
    f = FUNCTIONS[text]

    def run() -> Verdict:
        expected = t.expect("derivative", function=text, x=x)
        # The student's derivative() runs with minitorch's Dual, so that a bug in
        # Dual costs points in the Dual parts only.
        actual = t.probe("derivative", function=text, x=x, allow=DUAL_STANDIN)
        note = warning = None
        if fd:
            ref_dual = t.reference("Dual")

            def g(s: float) -> float:
                out = f(ref_dual(s, 0.0))
                return out.primal if isinstance(out, ref_dual) else float(out)

            estimate = central(g, x, 1e-6 * max(1.0, abs(x)))
            note = f"a central difference gives {show(estimate)}"
            if not fd_agrees(estimate, expected, 1.0):
                warning = f"reference derivative {expected!r} but central difference {estimate!r}"
        if not is_real(actual):
            return Verdict(False, show(expected), f"{actual['repr']}  (derivative must return a float)", note=note)
        return Verdict(close(actual, expected, 1e-3), show(expected), show(actual), note=note, grader_warning=warning)

    comment = "  (f returns a plain number)" if text == "3.0" else ""
    return Case(f"derivative(lambda x: {text}, {show(x)}){comment}", run)


@EXERCISE.part(
    "derivative",
    points=2,
    title="derivative(f, x): one forward pass",
    needs=("derivative",),
    forbidden=AUTODIFF,
    hint="Seed the tangent with 1: f(Dual(x, 1.0)).tangent. If f returns a plain number, "
    "it does not depend on x: the derivative is 0.0.",
)
def derivative(t: Tester):
    if not t.hidden:
        yield _derivative_case(t, "x * x * x", 2.0)
        yield _derivative_case(t, "x.sin() * x.exp()", 0.7)
        yield _derivative_case(t, "3.0", 1.5)
        return
    yield _derivative_case(t, "x", -4.0)
    for x in (1.3, -2.1):
        yield _derivative_case(t, "(x ** 2 + 1).log() / x", x)
    yield _derivative_case(t, "x ** x", 1.7)
    yield _derivative_case(t, "(2 ** x).cos() - x", t.rng.uniform(-2.0, 2.0))
    yield _derivative_case(t, "1 / (1 + (-x).exp())", t.rng.uniform(-3.0, 3.0))
    yield _derivative_case(t, "x.sin() ** 2 + x.cos() ** 2", t.rng.uniform(-3.0, 3.0))
    yield _derivative_case(t, "(x * x).sin().exp() * 0.5 - 7", t.rng.uniform(-2.0, 2.0))
    yield _derivative_case(t, "x * 1e6 * x", 1e6, fd=False)


def _cd_case(t: Tester, name: str, x: float, h: float | None) -> Case:
    f = PLAIN[name]

    def run() -> Verdict:
        actual = t.probe("central_difference", function=name, x=x, h=h)
        shown = actual["repr"] if isinstance(actual, dict) else show(actual)
        if h is None:
            exact = derivative_of(name, x)
            if not is_real(actual):
                return Verdict(False, f"about {show(exact)}", shown)
            passed = abs(float(actual) - exact) <= 1e-6 * max(1.0, abs(exact))
            return Verdict(
                passed,
                f"{show(exact)} to about 6 digits (the exact derivative)",
                show(actual),
                detail=None
                if passed
                else "with the default step h = 1e-6 the estimate should be accurate to about 1e-6",
            )
        expected = t.expect("central_difference", function=name, x=x, h=h)
        if not is_real(actual):
            return Verdict(False, show(expected), shown)
        scale = (abs(f(x + h)) + abs(f(x - h))) / (2 * h)
        return Verdict(close(actual, expected, scale), show(expected), show(actual))

    step = "" if h is None else f", h={h:g}"
    return Case(f"central_difference({name}, {show(x)}{step})", run)


def derivative_of(name: str, x: float) -> float:
    return {
        "math.sin": math.cos(x),
        "math.exp": math.exp(x),
        "math.log": 1 / x,
        "lambda x: x ** 3": 3 * x * x,
        "lambda x: 1 / (1 + x * x)": -2 * x / (1 + x * x) ** 2,
    }[name]


@EXERCISE.part(
    "central_difference",
    points=1,
    title="central_difference(f, x, h=1e-6)",
    needs=("central_difference",),
    forbidden=AUTODIFF,
    hint="(f(x + h) - f(x - h)) / (2 h): a symmetric difference, not (f(x + h) - f(x)) / h.",
)
def central_difference(t: Tester):
    if not t.hidden:
        yield _cd_case(t, "math.sin", 1.0, 0.1)
        yield _cd_case(t, "lambda x: x ** 3", 2.0, 1e-3)
        yield _cd_case(t, "math.exp", 0.5, None)
        return
    names = list(PLAIN)
    for _ in range(6):
        name = t.rng.choice(names)
        x = t.rng.uniform(0.5, 3.0)
        yield _cd_case(t, name, x, t.rng.choice((0.5, 1e-1, 1e-2, 1e-3)))
    for name in names:
        yield _cd_case(t, name, t.rng.uniform(0.5, 3.0), None)
