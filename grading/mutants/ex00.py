"""Plausible submissions for exercise 0 (trace tables by hand)."""

from . import Edit, ReplaceSolution, alternative, bug, cheat

E = "ex00"
PRIMAL, TANGENT, ADJOINT, FANOUT = "ex00_primal", "ex00_tangent", "ex00_adjoint", "ex00_fanout"

MUTANTS = [
    bug(
        "primal_log10",
        E,
        "the natural logarithm written as log10",
        {"primal"},
        Edit(PRIMAL, 'v["v7"] = math.log(v["v1"])', 'v["v7"] = math.log10(v["v1"])'),
    ),
    bug(
        "primal_operand_from_the_formula",
        E,
        "v5 adds sin(x1) instead of row v4 (read from the formula for y, not the table)",
        {"primal"},
        Edit(PRIMAL, 'v["v5"] = v["v3"] + v["v4"]', 'v["v5"] = v["v3"] + math.sin(v["v1"])'),
    ),
    bug(
        "tangent_seed_ignored",
        E,
        "the tangent is always seeded with (1, 0), whatever dx1 and dx2 are",
        {"tangent"},
        Edit(TANGENT, 't["v1"] = dx1\n    t["v2"] = dx2', 't["v1"] = 1.0\n    t["v2"] = 0.0'),
    ),
    bug(
        "tangent_subtraction_sign",
        E,
        "the tangent of v6 - v7 adds the tangents",
        {"tangent"},
        Edit(TANGENT, 't["v8"] = t["v6"] - t["v7"]', 't["v8"] = t["v6"] + t["v7"]'),
    ),
    bug(
        "tangent_quotient_rule_sign",
        E,
        "the quotient rule with + between its terms",
        {"tangent"},
        Edit(TANGENT, 't["v5"] * v["v2"] - v["v5"] * t["v2"]', 't["v5"] * v["v2"] + v["v5"] * t["v2"]'),
    ),
    bug(
        "tangent_sin_without_chain",
        E,
        "the tangent of sin(v3) is cos(v3), without the tangent of v3",
        {"tangent"},
        Edit(TANGENT, 't["v4"] = math.cos(v["v3"]) * t["v3"]', 't["v4"] = math.cos(v["v3"])'),
    ),
    bug(
        "tangent_product_rule_one_term",
        E,
        "the tangent of v1 * v2 keeps only the term of v1",
        {"tangent"},
        Edit(TANGENT, 't["v3"] = t["v1"] * v["v2"] + v["v1"] * t["v2"]', 't["v3"] = t["v1"] * v["v2"]'),
    ),
    bug(
        "tangent_writes_into_v",
        E,
        "tangent_table keeps its column inside the primal table it was given (adds rows dv1 ... dv8 to v)",
        {"tangent"},
        ReplaceSolution(
            TANGENT,
            """
            v["dv1"] = dx1
            v["dv2"] = dx2
            v["dv3"] = v["dv1"] * v["v2"] + v["v1"] * v["dv2"]
            v["dv4"] = math.cos(v["v3"]) * v["dv3"]
            v["dv5"] = v["dv3"] + v["dv4"]
            v["dv6"] = (v["dv5"] * v["v2"] - v["v5"] * v["dv2"]) / v["v2"] ** 2
            v["dv7"] = v["dv1"] / v["v1"]
            v["dv8"] = v["dv6"] - v["dv7"]
            for n in range(1, 9):
                t[f"v{n}"] = v[f"dv{n}"]
            """,
        ),
    ),
    bug(
        "adjoint_intermediate_assigns",
        E,
        "the adjoint of v3 keeps the contribution of v4 only (v3 is also used by v5)",
        {"adjoint"},
        Edit(ADJOINT, 'a["v3"] = a["v5"] + a["v4"] * math.cos(v["v3"])', 'a["v3"] = a["v4"] * math.cos(v["v3"])'),
    ),
    bug(
        "adjoint_table_is_v",
        E,
        "adjoint_table writes its column into the primal table (a = v, not a new dict)",
        {"adjoint"},
        Edit(ADJOINT, "    a = {}\n", "    a = v\n"),
    ),
    bug(
        "adjoint_subtraction_sign",
        E,
        "the adjoint of v7 in v6 - v7 keeps a plus sign",
        {"adjoint"},
        Edit(ADJOINT, 'a["v7"] = -a["v8"]', 'a["v7"] = a["v8"]'),
    ),
    bug(
        "adjoint_seeded_with_one",
        E,
        "the output's adjoint is 1 whatever ybar is",
        {"adjoint"},
        Edit(ADJOINT, 'a["v8"] = ybar', 'a["v8"] = 1.0'),
    ),
    bug(
        "adjoint_division_by_denominator_lost",
        E,
        "the adjoint of v2 forgets that v6 = v5 / v2 uses v2 too",
        {"adjoint"},
        Edit(ADJOINT, 'a["v2"] = a["v3"] * v["v1"] - a["v6"] * v["v5"] / v["v2"] ** 2', 'a["v2"] = a["v3"] * v["v1"]'),
    ),
    bug(
        "adjoint_multiplies_by_the_denominator",
        E,
        "the adjoint of v5 in v5 / v2 multiplies by v2 instead of dividing",
        {"adjoint"},
        Edit(ADJOINT, 'a["v5"] = a["v6"] / v["v2"]', 'a["v5"] = a["v6"] * v["v2"]'),
    ),
    bug(
        "fanout_repeated_operand_once",
        E,
        "v6 = v5 * v5 gives v5 one contribution, not two",
        {"fanout"},
        Edit(FANOUT, 'a["v5"] = a["v6"] * w["v5"] + a["v6"] * w["v5"]', 'a["v5"] = a["v6"] * w["v5"]'),
    ),
    bug(
        "fanout_input_assigns",
        E,
        "the adjoint of v1 keeps the contribution of v2 only (v1 is also used by v3)",
        {"fanout"},
        Edit(
            FANOUT, 'a["v1"] = a["v3"] * w["v2"] + a["v2"] * math.cos(w["v1"])', 'a["v1"] = a["v2"] * math.cos(w["v1"])'
        ),
    ),
    bug(
        "fanout_in_forward_order",
        E,
        "the adjoints pushed from v1 down, each edge as soon as its consumer is reached, before it is complete",
        {"fanout"},
        ReplaceSolution(
            FANOUT,
            """
            a = {name: 0.0 for name in w}
            a["v6"] = ybar
            # the edges in forward order: an adjoint is pushed on before all its contributions have arrived
            a["v1"] += a["v2"] * math.cos(w["v1"])
            a["v1"] += a["v3"] * w["v2"]
            a["v2"] += a["v3"] * w["v1"]
            a["v3"] += a["v4"] * math.cos(w["v3"])
            a["v3"] += a["v5"] * w["v4"]
            a["v4"] += a["v5"] * w["v3"]
            a["v5"] += 2 * a["v6"] * w["v5"]
            """,
        ),
    ),
    alternative(
        "quotient_through_the_quotient",
        E,
        "the rules of v6 = v5 / v2 written with v6 itself: (t5 - v6 t2) / v2 and -a6 v6 / v2",
        Edit(
            TANGENT,
            't["v6"] = (t["v5"] * v["v2"] - v["v5"] * t["v2"]) / v["v2"] ** 2',
            't["v6"] = (t["v5"] - v["v6"] * t["v2"]) / v["v2"]',
        ),
        Edit(
            ADJOINT,
            'a["v2"] = a["v3"] * v["v1"] - a["v6"] * v["v5"] / v["v2"] ** 2',
            'a["v2"] = a["v3"] * v["v1"] - a["v6"] * v["v6"] / v["v2"]',
        ),
    ),
    alternative(
        "adjoints_accumulated_edge_by_edge",
        E,
        "every adjoint starts at 0 and receives += one partial adjoint per edge, from the output up",
        ReplaceSolution(
            ADJOINT,
            """
            a = {name: 0.0 for name in v}
            a["v8"] += ybar
            a["v6"] += a["v8"]
            a["v7"] -= a["v8"]
            a["v1"] += a["v7"] / v["v1"]
            a["v5"] += a["v6"] / v["v2"]
            a["v2"] -= a["v6"] * v["v5"] / v["v2"] ** 2
            a["v3"] += a["v5"]
            a["v4"] += a["v5"]
            a["v3"] += a["v4"] * math.cos(v["v3"])
            a["v1"] += a["v3"] * v["v2"]
            a["v2"] += a["v3"] * v["v1"]
            """,
        ),
        ReplaceSolution(
            FANOUT,
            """
            a = dict.fromkeys(w, 0.0)
            a["v6"] = ybar
            a["v5"] += a["v6"] * w["v5"]
            a["v5"] += a["v6"] * w["v5"]
            a["v3"] += a["v5"] * w["v4"]
            a["v4"] += a["v5"] * w["v3"]
            a["v3"] += a["v4"] * math.cos(w["v3"])
            a["v1"] += a["v3"] * w["v2"]
            a["v2"] += a["v3"] * w["v1"]
            a["v1"] += a["v2"] * math.cos(w["v1"])
            """,
        ),
    ),
    alternative(
        "numpy_and_local_names",
        E,
        "rows as local variables computed with NumPy (np.float64), returned as one dict literal",
        ReplaceSolution(
            PRIMAL,
            """
            import numpy as np

            v1, v2 = np.float64(x1), np.float64(x2)
            v3 = v1 * v2
            v4 = np.sin(v3)
            v5 = v3 + v4
            v6 = v5 / v2
            v7 = np.log(v1)
            v8 = v6 - v7
            v = {"v1": v1, "v2": v2, "v3": v3, "v4": v4, "v5": v5, "v6": v6, "v7": v7, "v8": v8}
            """,
        ),
        ReplaceSolution(
            TANGENT,
            """
            import numpy as np

            t1, t2 = dx1, dx2
            t3 = t1 * v["v2"] + v["v1"] * t2
            t4 = np.cos(v["v3"]) * t3
            t5 = t3 + t4
            t6 = t5 / v["v2"] - v["v5"] * t2 / v["v2"] ** 2
            t7 = t1 / v["v1"]
            t = dict(v1=t1, v2=t2, v3=t3, v4=t4, v5=t5, v6=t6, v7=t7, v8=t6 - t7)
            """,
        ),
    ),
    cheat(
        "tangents_by_minitorch_dual",
        E,
        "tangent_table runs the program on minitorch.Dual and reads each row's tangent",
        {"tangent"},
        ReplaceSolution(
            TANGENT,
            """
            from minitorch import Dual

            d = {"v1": Dual(v["v1"], dx1), "v2": Dual(v["v2"], dx2)}
            d["v3"] = d["v1"] * d["v2"]
            d["v4"] = d["v3"].sin()
            d["v5"] = d["v3"] + d["v4"]
            d["v6"] = d["v5"] / d["v2"]
            d["v7"] = d["v1"].log()
            d["v8"] = d["v6"] - d["v7"]
            t = {name: x.tangent for name, x in d.items()}
            """,
        ),
    ),
    cheat(
        "adjoints_by_minitorch_backward",
        E,
        "both adjoint tables run the program on minitorch.Scalar, call backward and read each row's grad",
        {"adjoint", "fanout"},
        ReplaceSolution(
            ADJOINT,
            """
            from minitorch import Scalar

            s = {"v1": Scalar(v["v1"]), "v2": Scalar(v["v2"])}
            s["v3"] = s["v1"] * s["v2"]
            s["v4"] = s["v3"].sin()
            s["v5"] = s["v3"] + s["v4"]
            s["v6"] = s["v5"] / s["v2"]
            s["v7"] = s["v1"].log()
            s["v8"] = s["v6"] - s["v7"]
            (s["v8"] * ybar).backward()
            a = {name: x.grad for name, x in s.items()}
            """,
        ),
        ReplaceSolution(
            FANOUT,
            """
            import minitorch

            s = {"v1": minitorch.Scalar(w["v1"])}
            s["v2"] = s["v1"].sin()
            s["v3"] = s["v1"] * s["v2"]
            s["v4"] = s["v3"].sin()
            s["v5"] = s["v3"] * s["v4"]
            s["v6"] = s["v5"] * s["v5"]
            (s["v6"] * ybar).backward()
            a = {name: x.grad for name, x in s.items()}
            """,
        ),
    ),
]
