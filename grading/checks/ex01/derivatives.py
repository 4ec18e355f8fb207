"""Exercise 1, parts 7-8: ``derivative`` by forward mode, and a central difference to check it against."""

from __future__ import annotations

import math

from ...core import Case, Tester, Verdict
from ...numeric import central, close, fd_agrees, is_real, show
from ...probes.ex01 import DUAL_STANDIN, FUNCTIONS, PLAIN
from ...tripwire import AUTODIFF
from .common import EDGE, EXERCISE, ROBUST


def _derivative_case(
    t: Tester, text: str, x: float, *, fd: bool = True, group: str | None = None, weight: float = 1.0
) -> Case:
    f = FUNCTIONS[text]

    def run() -> Verdict:
        expected = t.expect("derivative", function=text, x=x)["value"]
        # The student's derivative() runs with minitorch's Dual, so that a bug in
        # Dual costs points in the Dual parts only.
        actual = t.probe("derivative", function=text, x=x, allow=DUAL_STANDIN)["value"]
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
    return Case(f"derivative(lambda x: {text}, {show(x)}){comment}", run, group=group, weight=weight)


def _calls_once_case(t: Tester, text: str, x: float) -> Case:
    def run() -> Verdict:
        calls = t.probe("derivative", function=text, x=x, allow=DUAL_STANDIN)["calls"]
        return Verdict(
            calls == 1,
            "1 call",
            f"{calls} calls",
            detail=None if calls == 1 else "forward mode needs one evaluation of f (the text: call f once)",
        )

    return Case(
        f"derivative(lambda x: {text}, {show(x)}) calls f once",
        run,
        group="edge cases",
        weight=2,
        hint="Forward mode gets f(x) and f'(x) from one evaluation: how many times does your function call f?",
        more="Keep the result of the one call in a variable and test its type there, instead of calling f "
        "again for the tangent.",
    )


@EXERCISE.part(
    "derivative",
    points=2,
    title="derivative(f, x): one forward pass",
    needs=("derivative",),
    forbidden=AUTODIFF,
    hint="What tangent must the input carry so that the output's tangent is df/dx? And what is the derivative "
    "when f returns a plain number rather than a Dual?",
    more="The input's tangent is dx/dx. Read the tangent of f's result only when that result is a Dual; a "
    "plain number does not depend on x.",
)
def derivative(t: Tester):
    if not t.hidden:
        yield _derivative_case(t, "x * x * x", 2.0)
        yield _derivative_case(t, "x.sin() * x.exp()", 0.7)
        yield _derivative_case(t, "3.0", 1.5, group=EDGE, weight=3)  # the text: a plain number gives 0.0
        yield _calls_once_case(t, "x.sin() * x.exp()", 0.7)
        return
    yield _derivative_case(t, "x", -4.0, group=EDGE)
    for x in (1.3, -2.1):
        yield _derivative_case(t, "(x ** 2 + 1).log() / x", x)
    yield _derivative_case(t, "x ** x", 1.7)
    yield _derivative_case(t, "(2 ** x).cos() - x", t.rng.uniform(-2.0, 2.0))
    yield _derivative_case(t, "1 / (1 + (-x).exp())", t.rng.uniform(-3.0, 3.0))
    yield _derivative_case(t, "x.sin() ** 2 + x.cos() ** 2", t.rng.uniform(-3.0, 3.0))
    yield _derivative_case(t, "(x * x).sin().exp() * 0.5 - 7", t.rng.uniform(-2.0, 2.0))
    yield _derivative_case(t, "x * 1e6 * x", 1e6, fd=False, group=ROBUST)
    yield _calls_once_case(t, "x ** x", 0.5)


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
    # the default step (h left out) is part of the API the text gives
    return Case(f"central_difference({name}, {show(x)}{step})", run, group=EDGE if h is None else None)


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
    hint="Is your difference symmetric around x, and what is the distance between its two points?",
    more="Evaluate f at x + h and at x - h; the two points are 2h apart. A one-sided difference from x is only "
    "accurate to O(h).",
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
