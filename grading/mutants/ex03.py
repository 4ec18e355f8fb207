"""Plausible submissions for exercise 3 (reverse mode)."""

from . import Edit, ReplaceSolution, alternative, bug, cheat

E = "ex03"
SORT, BACKWARD, GRAD = "ex03_topological_sort", "ex03_backward", "ex03_grad"
ALL_BACKWARD = {"backward_chain", "backward_fanout", "backward_deep"}
#: A recursive depth-first topological sort (correct on shallow graphs).
RECURSIVE_SORT = """
order, seen = [], set()


def visit(node):
    if node in seen:
        return
    seen.add(node)
    for parent in node.parents:
        visit(parent)
    order.append(node)


visit(output)
return order
"""
#: Kahn's algorithm from the output (a correct topological_sort for acyclic graphs).
KAHN_SORT = """
consumers = {output: 0}
stack = [output]
while stack:
    for parent in stack.pop().parents:
        if parent in consumers:
            consumers[parent] += 1
        else:
            consumers[parent] = 1
            stack.append(parent)
ready, order = [output], []
while ready:
    node = ready.pop()
    order.append(node)
    for parent in node.parents:
        consumers[parent] -= 1
        if consumers[parent] == 0:
            ready.append(parent)
return order[::-1]
"""

MUTANTS = [
    bug(
        "fanout_assigns",
        E,
        "adjoint[parent] = ... instead of += (fan-out is not accumulated)",
        {"backward_fanout"},
        Edit(BACKWARD, "adjoints[parent] += adjoint * gradient", "adjoints[parent] = adjoint * gradient"),
    ),
    bug(
        "output_not_seeded",
        E,
        "the output's adjoint is left at 0 instead of 1",
        ALL_BACKWARD,
        Edit(BACKWARD, "    adjoints[output] = 1.0\n", ""),
    ),
    bug(
        "forward_order",
        E,
        "visits the nodes in topological order instead of reverse",
        ALL_BACKWARD,
        Edit(BACKWARD, "for node in reversed(order):", "for node in order:"),
    ),
    bug(
        "path_by_path_recursion",
        E,
        "recursion along every path: exponential on diamonds, fails deep",
        {"backward_fanout", "backward_deep"},
        ReplaceSolution(
            BACKWARD,
            """
            adjoints = {}

            def push(node, adjoint):
                adjoints[node] = adjoints.get(node, 0.0) + adjoint
                for parent, gradient in zip(node.parents, local_gradients(node)):
                    push(parent, adjoint * gradient)

            push(output, 1.0)
            return adjoints
        """,
        ),
    ),
    bug(
        "recursive_topological_sort",
        E,
        "a recursive topological sort (RecursionError on deep graphs)",
        {"toposort"},
        ReplaceSolution(SORT, RECURSIVE_SORT),
    ),
    bug(
        "grad_unused_input",
        E,
        "grad raises KeyError for an input the output does not depend on",
        {"grad"},
        Edit(GRAD, "return [adjoints.get(leaf, 0.0) for leaf in leaves]", "return [adjoints[leaf] for leaf in leaves]"),
    ),
    bug(
        "grad_leaves_keyed_by_value",
        E,
        "grad makes one leaf per distinct value: equal inputs are merged",
        {"grad"},
        ReplaceSolution(
            GRAD,
            """
            leaves = {x: Var(x) for x in xs}
            output = f(*(leaves[x] for x in xs))
            if not isinstance(output, Var):
                return [0.0 for _ in xs]
            adjoints = backward(output)
            return [adjoints.get(leaves[x], 0.0) for x in xs]
        """,
        ),
    ),
    bug(
        "sort_returns_iterator",
        E,
        "topological_sort (Kahn) returns reversed(...): an iterator, not a list",
        {"toposort"},
        ReplaceSolution(SORT, KAHN_SORT.replace("return order[::-1]", "return reversed(order)")),
    ),
    bug(
        "sort_recursive_raises_limit",
        E,
        "a recursive topological sort behind sys.setrecursionlimit(10**6)",
        {"toposort"},
        ReplaceSolution(SORT, "import sys\n\nsys.setrecursionlimit(10**6)\n" + RECURSIVE_SORT),
    ),
    bug(
        "backward_frees_the_graph",
        E,
        "backward drops each node's parents once it is processed (as PyTorch frees its graph)",
        {"backward_chain", "backward_fanout"},
        Edit(
            BACKWARD,
            """            adjoints[parent] += adjoint * gradient
""",
            """            adjoints[parent] += adjoint * gradient
        node.parents = ()  # free the graph: it has been used
""",
        ),
    ),
    bug(
        "grad_backward_per_input",
        E,
        "grad runs one backward pass per input",
        {"grad"},
        Edit(
            GRAD,
            """    adjoints = backward(output)
    return [adjoints.get(leaf, 0.0) for leaf in leaves]""",
            """    return [backward(output).get(leaf, 0.0) for leaf in leaves]""",
        ),
    ),
    bug(
        "grad_returns_generator",
        E,
        "grad returns a generator expression, not a list",
        {"grad"},
        Edit(
            GRAD,
            "return [adjoints.get(leaf, 0.0) for leaf in leaves]",
            "return (adjoints.get(leaf, 0.0) for leaf in leaves)",
        ),
    ),
    bug(
        "grad_plain_number_unhandled",
        E,
        "grad passes a plain-number output (f ignores its inputs) to backward, which needs a node",
        {"grad"},
        Edit(GRAD, "    if not isinstance(output, Var):\n        return [0.0 for _ in leaves]\n", ""),
    ),
    bug(
        "grad_leaf_output_taken_as_constant",
        E,
        "grad treats an output without parents as a constant, also when it is one of the inputs (f = lambda x: x)",
        {"grad"},
        Edit(GRAD, "if not isinstance(output, Var):", "if not isinstance(output, Var) or not output.parents:"),
    ),
    bug(
        "grad_by_central_differences",
        E,
        "grad estimates each derivative by a central difference: f runs twice per input, and the estimate is off",
        {"grad"},
        ReplaceSolution(
            GRAD,
            """
            def value(args):
                output = f(*(Var(a) for a in args))
                return output.value if isinstance(output, Var) else float(output)

            h = 1e-6
            result = []
            for i in range(len(xs)):
                up, down = list(xs), list(xs)
                up[i] += h
                down[i] -= h
                result.append((value(up) - value(down)) / (2 * h))
            return result
        """,
        ),
    ),
    bug(
        "grad_calls_f_on_the_numbers",
        E,
        "grad calls f on the plain numbers xs instead of the Var leaves it made, so no graph is recorded",
        {"grad"},
        Edit(GRAD, "output = f(*leaves)", "output = f(*xs)"),
    ),
    alternative(
        "reversed_copy_and_map",
        E,
        "backward walks order[::-1]; grad returns list(map(...)); the sort keeps (node, index) entries",
        Edit(BACKWARD, "for node in reversed(order):", "for node in order[::-1]:"),
        Edit(
            GRAD,
            "return [adjoints.get(leaf, 0.0) for leaf in leaves]",
            "return list(map(lambda leaf: adjoints.get(leaf, 0.0), leaves))",
        ),
        ReplaceSolution(
            SORT,
            """
            order, done = [], set()
            stack = [(output, 0)]
            while stack:
                node, i = stack.pop()
                if i < len(node.parents):
                    stack.append((node, i + 1))
                    if node.parents[i] not in done:
                        stack.append((node.parents[i], 0))
                elif node not in done:
                    done.add(node)
                    order.append(node)
            return order
        """,
        ),
    ),
    alternative(
        "kahn_and_defaultdict",
        E,
        "Kahn's algorithm for the sort, a defaultdict for the adjoints",
        ReplaceSolution(SORT, KAHN_SORT),
        ReplaceSolution(
            BACKWARD,
            """
                    import collections
                    adjoints = collections.defaultdict(float)
                    adjoints[output] = 1.0
                    for node in reversed(topological_sort(output)):
                        for parent, gradient in zip(node.parents, local_gradients(node)):
                            adjoints[parent] += adjoints[node] * gradient
                    return dict(adjoints)
                """,
        ),
        ReplaceSolution(
            GRAD,
            """
                    leaves = [Var(x) for x in xs]
                    output = f(*leaves)
                    adjoints = backward(output) if isinstance(output, Var) else {}
                    return [float(adjoints.get(leaf, 0.0)) for leaf in leaves]
                """,
        ),
    ),
    cheat(
        "sort_is_minitorchs",
        E,
        "topological_sort = minitorch.topological_sort",
        {"toposort"},
        ReplaceSolution(SORT, "import minitorch\nreturn minitorch.topological_sort(output)"),
    ),
]
