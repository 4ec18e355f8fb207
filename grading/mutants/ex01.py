"""Plausible submissions for exercise 1 (forward mode)."""

from . import Edit, ReplaceSolution, alternative, bug, cheat

E = "ex01"
DUAL = "ex01_dual"
#: The reference's power rule for a plain-number exponent.
CONSTANT_POWER = """        c = float(other)
        if c == 0:
            return Dual(1.0, 0.0)
        return Dual(a ** c, c * a ** (c - 1) * self.tangent)"""

MUTANTS = [
    bug(
        "sin_derivative_sign",
        E,
        "sin' = -cos",
        {"sin_cos"},
        Edit(
            DUAL,
            "return Dual(math.sin(self.primal), math.cos(self.primal) * self.tangent)",
            "return Dual(math.sin(self.primal), -math.cos(self.primal) * self.tangent)",
        ),
    ),
    bug(
        "cos_derivative_sign",
        E,
        "cos' = +sin",
        {"sin_cos"},
        Edit(
            DUAL,
            "return Dual(math.cos(self.primal), -math.sin(self.primal) * self.tangent)",
            "return Dual(math.cos(self.primal), math.sin(self.primal) * self.tangent)",
        ),
    ),
    bug(
        "quotient_rule_sign",
        E,
        "quotient rule with + instead of -",
        {"div"},
        Edit(
            DUAL, "(self.tangent * b - a * other.tangent) / (b * b)", "(self.tangent * b + a * other.tangent) / (b * b)"
        ),
    ),
    bug(
        "product_rule_one_term",
        E,
        "product rule keeps only a'b",
        {"mul"},
        Edit(DUAL, "self.tangent * other.primal + self.primal * other.tangent)", "self.tangent * other.primal)"),
    ),
    bug(
        "sub_adds_tangents",
        E,
        "x - y has tangent a' + b'",
        {"add_sub"},
        Edit(
            DUAL,
            "return Dual(self.primal - other.primal, self.tangent - other.tangent)",
            "return Dual(self.primal - other.primal, self.tangent + other.tangent)",
        ),
    ),
    bug(
        "power_rule_exponent_not_decremented",
        E,
        "(a^c)' = c a^c a'",
        {"pow"},
        Edit(DUAL, "c * a ** (c - 1) * self.tangent", "c * a ** c * self.tangent"),
    ),
    bug(
        "pow_ignores_exponent_tangent",
        E,
        "a Dual exponent treated as a constant",
        {"pow"},
        Edit(
            DUAL,
            """        if isinstance(other, Dual):
            b = other.primal
            value = a ** b
            return Dual(value, value * (other.tangent * math.log(a) + b * self.tangent / a))
""",
            """        if isinstance(other, Dual):
            other = other.primal
""",
        ),
    ),
    bug(
        "pow_via_exp_log",
        E,
        "a^c = exp(c ln a) for constant exponents too: fails for a <= 0",
        {"pow"},
        Edit(
            DUAL,
            CONSTANT_POWER,
            """        c = float(other)
        value = math.exp(c * math.log(a))
        return Dual(value, value * c * self.tangent / a)""",
        ),
    ),
    bug(
        "exp_tangent_not_scaled",
        E,
        "exp tangent = a' (forgets exp(a))",
        {"exp_log"},
        Edit(DUAL, "return Dual(value, value * self.tangent)", "return Dual(value, self.tangent)"),
    ),
    bug(
        "log_missing_chain_rule",
        E,
        "log tangent = 1/a (forgets a')",
        {"exp_log"},
        Edit(
            DUAL,
            "return Dual(math.log(self.primal), self.tangent / self.primal)",
            "return Dual(math.log(self.primal), 1 / self.primal)",
        ),
    ),
    bug(
        "derivative_not_seeded",
        E,
        "f(Dual(x)): tangent 0 instead of 1",
        {"derivative"},
        Edit("ex01_derivative", "result = f(Dual(x, 1.0))", "result = f(Dual(x))"),
    ),
    bug(
        "derivative_assumes_dual_result",
        E,
        "crashes when f returns a plain number",
        {"derivative"},
        ReplaceSolution("ex01_derivative", "return f(Dual(x, 1.0)).tangent"),
    ),
    bug(
        "one_sided_difference",
        E,
        "(f(x + h) - f(x)) / h",
        {"central_difference"},
        Edit("ex01_central_difference", "return (f(x + h) - f(x - h)) / (2 * h)", "return (f(x + h) - f(x)) / h"),
    ),
    bug(
        "add_in_place",
        E,
        "__add__ updates self and returns it (as += would)",
        {"add_sub"},
        Edit(
            DUAL,
            "        return Dual(self.primal + other.primal, self.tangent + other.tangent)",
            "        self.primal += other.primal\n        self.tangent += other.tangent\n        return self",
        ),
    ),
    bug(
        "pow_log_for_every_exponent",
        E,
        "one formula a^b (b' ln a + b a'/a) for constants too: fails for a base <= 0",
        {"pow"},
        Edit(
            DUAL,
            CONSTANT_POWER,
            """        b = float(other)
        value = a ** b
        return Dual(value, value * b * self.tangent / a)""",
        ),
    ),
    bug(
        "exp_returns_a_plain_pair",
        E,
        "exp returns an object with .primal and .tangent that is not a Dual: x.exp().sin() fails",
        {"exp_log"},
        Edit(
            DUAL,
            "        value = math.exp(self.primal)\n        return Dual(value, value * self.tangent)",
            "        import types\n\n        value = math.exp(self.primal)\n"
            "        return types.SimpleNamespace(primal=value, tangent=value * self.tangent)",
        ),
    ),
    bug(
        "derivative_calls_f_twice",
        E,
        "derivative calls f once to test the type and again for the tangent",
        {"derivative"},
        ReplaceSolution(
            "ex01_derivative",
            """
            if isinstance(f(Dual(x, 1.0)), Dual):
                return f(Dual(x, 1.0)).tangent
            return 0.0
        """,
        ),
    ),
    alternative(
        "operators_from_other_operators",
        E,
        "x - y as x + (-y), x / y as x * y ** -1, x ** c through exp and log for a > 0 only",
        Edit(
            DUAL,
            "        return Dual(self.primal - other.primal, self.tangent - other.tangent)",
            "        return self + (-other)",
        ),
        Edit(
            DUAL,
            """        a, b = self.primal, other.primal
        return Dual(a / b, (self.tangent * b - a * other.tangent) / (b * b))""",
            """        if other.primal == 0:
            raise ZeroDivisionError("float division by zero")
        return self * other ** -1""",
        ),
    ),
    alternative(
        "other_formulas",
        E,
        "other correct formulas for mul, div, pow, log, sin, cos",
        Edit(
            DUAL,
            "self.tangent * other.primal + self.primal * other.tangent",
            "other.tangent * self.primal + other.primal * self.tangent",
        ),
        Edit(DUAL, "(self.tangent * b - a * other.tangent) / (b * b)", "(self.tangent - a / b * other.tangent) / b"),
        Edit(
            DUAL,
            "value * (other.tangent * math.log(a) + b * self.tangent / a)",
            "b * a ** (b - 1) * self.tangent + value * math.log(a) * other.tangent",
        ),
        Edit(DUAL, "self.tangent / self.primal", "self.tangent * (1.0 / self.primal)"),
        Edit(DUAL, "math.cos(self.primal) * self.tangent", "self.tangent * math.sin(self.primal + math.pi / 2)"),
        Edit(DUAL, "-math.sin(self.primal) * self.tangent", "-self.tangent * math.cos(self.primal - math.pi / 2)"),
    ),
    alternative(
        "derivative_and_difference_variants",
        E,
        "getattr for the tangent; (f(x+h) - f(x-h)) * (0.5 / h)",
        ReplaceSolution("ex01_derivative", "return float(getattr(f(Dual(x, 1.0)), 'tangent', 0.0))"),
        Edit(
            "ex01_central_difference",
            "return (f(x + h) - f(x - h)) / (2 * h)",
            "return (f(x + h) - f(x - h)) * (0.5 / h)",
        ),
    ),
    cheat(
        "uses_minitorch_dual",
        E,
        "Dual = minitorch.Dual, minitorch.derivative, minitorch.central_difference",
        {"add_sub", "mul", "div", "pow", "exp_log", "sin_cos", "derivative", "central_difference"},
        Edit(
            DUAL,
            "        return Dual(-self.primal, -self.tangent)",
            "        return Dual(-self.primal, -self.tangent)\n\n\nimport minitorch\n\nDual = minitorch.Dual",
        ),
        ReplaceSolution("ex01_derivative", "import minitorch\nreturn minitorch.derivative(f, x)"),
        ReplaceSolution(
            "ex01_central_difference", "import minitorch\nreturn minitorch.central_difference(f, x, epsilon=h)"
        ),
    ),
]
