"""Plausible submissions for exercise 2 (topological sort)."""

from . import Edit, ReplaceSolution, alternative, bug, cheat

E = "ex02"
KAHN, DFS = "ex02_kahn", "ex02_dfs"

#: How the reference's Kahn counts edges to consumers in step 1.
STEP_ONE_COUNT = """            if parent in consumers:
                consumers[parent] += 1
            else:
                consumers[parent] = 1
                stack.append(parent)"""
#: A recursive depth-first search (correct on shallow graphs).
RECURSIVE_DFS = """
order, finished, on_path = [], set(), set()


def visit(node):
    if node in finished:
        return
    if node in on_path:
        raise ValueError("dfs_sort: the graph has a cycle")
    on_path.add(node)
    for parent in node.parents:
        visit(parent)
    on_path.discard(node)
    finished.add(node)
    order.append(node)


visit(output)
return order
"""


MUTANTS = [
    bug(
        "dfs_reversed_preorder",
        E,
        "DFS emits a node when first reached (pre-order), then reverses",
        {"dfs_order"},
        ReplaceSolution(
            DFS,
            """
            order = [output]  # pre-order: a node is emitted when it is first reached
            reached = {output}
            on_path = {output}
            stack = [(output, iter(output.parents))]
            while stack:
                node, pending = stack[-1]
                for parent in pending:
                    if parent in on_path:
                        raise ValueError("dfs_sort: the graph has a cycle")
                    if parent in reached:
                        continue
                    reached.add(parent)
                    on_path.add(parent)
                    order.append(parent)
                    stack.append((parent, iter(parent.parents)))
                    break
                else:
                    stack.pop()
                    on_path.discard(node)
            order.reverse()
            return order
        """,
        ),
    ),
    bug(
        "dfs_recursive",
        E,
        "a recursive DFS: RecursionError on deep graphs",
        {"dfs_deep"},
        ReplaceSolution(DFS, RECURSIVE_DFS),
    ),
    bug(
        "dfs_one_visited_set",
        E,
        "one 'visited' set: a cycle is skipped instead of detected",
        {"dfs_cycles"},
        Edit(
            DFS,
            """            if parent in finished:
                continue
            if parent in on_path:
                raise ValueError(f"dfs_sort: the graph has a cycle through {parent!r}")
""",
            """            if parent in finished or parent in on_path:
                continue
""",
        ),
    ),
    bug(
        "dfs_no_dedup",
        E,
        "DFS revisits finished nodes: shared nodes appear twice",
        {"dfs_order"},
        Edit(
            DFS,
            """            if parent in finished:
                continue
            if parent in on_path:""",
            """            if parent in on_path:""",
        ),
    ),
    bug(
        "kahn_no_cycle_check",
        E,
        "Kahn returns the partial order when there is a cycle",
        {"kahn_cycles"},
        Edit(
            KAHN,
            """    if len(reverse_order) != len(consumers):
        raise ValueError("kahn_sort: the graph has a cycle")
""",
            "",
        ),
    ),
    bug(
        "kahn_counts_edges_decrements_nodes",
        E,
        "counts every edge but decrements once per distinct parent",
        {"kahn_order"},
        Edit(
            KAHN,
            """        for parent in node.parents:
            consumers[parent] -= 1""",
            """        for parent in set(node.parents):
            consumers[parent] -= 1""",
        ),
    ),
    bug(
        "kahn_not_reversed",
        E,
        "Kahn's order is not reversed: output first",
        {"kahn_order", "kahn_deep"},
        Edit(KAHN, "    reverse_order.reverse()\n", ""),
    ),
    bug(
        "kahn_visited_list",
        E,
        "a list remembers the nodes found: O(V^2), too slow for 100,000 nodes",
        {"kahn_deep"},
        Edit(KAHN, "    stack = [output]\n", "    stack = [output]\n    found = [output]\n"),
        Edit(
            KAHN,
            STEP_ONE_COUNT,
            """            if parent in found:
                consumers[parent] += 1
            else:
                consumers[parent] = 1
                found.append(parent)
                stack.append(parent)""",
        ),
    ),
    bug(
        "kahn_returns_iterator",
        E,
        "Kahn returns reversed(...): an iterator, not a list",
        {"kahn_order"},
        Edit(KAHN, "    reverse_order.reverse()\n    return reverse_order\n", "    return reversed(reverse_order)\n"),
    ),
    bug(
        "kahn_counts_new_parents_only",
        E,
        "step 1 counts an edge only when it reaches a new node: shared nodes and cycles are missed",
        {"kahn_order", "kahn_cycles"},
        Edit(
            KAHN,
            STEP_ONE_COUNT,
            """            if parent not in consumers:
                consumers[parent] = 1
                stack.append(parent)""",
        ),
    ),
    bug(
        "kahn_counts_consumers",
        E,
        "step 1 counts consumers, not edges: a parent used twice by one node is freed too early",
        {"kahn_order"},
        Edit(
            KAHN,
            """        node = stack.pop()
        for parent in node.parents:
            if parent in consumers:""",
            """        node = stack.pop()
        for parent in dict.fromkeys(node.parents):  # each consumer once
            if parent in consumers:""",
        ),
    ),
    bug(
        "kahn_removes_edges",
        E,
        "textbook Kahn: removes each node's edges from the graph as it goes",
        {"kahn_order"},
        Edit(
            KAHN,
            """            if consumers[parent] == 0:
                ready.append(parent)
""",
            """            if consumers[parent] == 0:
                ready.append(parent)
        node.parents = ()  # remove the node's edges from the graph
""",
        ),
    ),
    bug(
        "dfs_recursive_raises_limit",
        E,
        "a recursive DFS that raises the recursion limit (and puts it back)",
        {"dfs_deep"},
        ReplaceSolution(
            DFS,
            RECURSIVE_DFS.replace(
                "visit(output)\n",
                "import sys\n\nlimit = sys.getrecursionlimit()\nsys.setrecursionlimit(10**6)\ntry:\n"
                "    visit(output)\nfinally:\n    sys.setrecursionlimit(limit)\n",
            ),
        ),
    ),
    bug(
        "dfs_recursive_limit_set_in_cell",
        E,
        "a recursive DFS, with sys.setrecursionlimit(10**6) run once in its cell",
        {"dfs_deep"},
        ReplaceSolution(DFS, RECURSIVE_DFS),
        Edit(DFS, "def dfs_sort(output):", "import sys\n\nsys.setrecursionlimit(10**6)\n\n\ndef dfs_sort(output):"),
    ),
    alternative(
        "kahn_on_a_copy_of_the_edges",
        E,
        "Kahn removes edges from its own copy of the graph; DFS with an index per stack entry",
        ReplaceSolution(
            KAHN,
            """
            remaining = {}  # node -> its consumers' edges not yet removed
            parents = {output: list(output.parents)}
            stack = [output]
            remaining[output] = 0
            while stack:
                for parent in parents[stack.pop()]:
                    remaining[parent] = remaining.get(parent, 0) + 1
                    if parent not in parents:
                        parents[parent] = list(parent.parents)
                        stack.append(parent)
            ready = [output] if remaining[output] == 0 else []
            order = []
            while ready:
                node = ready.pop()
                order.append(node)
                while parents[node]:
                    parent = parents[node].pop()  # remove the edge from the copy
                    remaining[parent] -= 1
                    if remaining[parent] == 0:
                        ready.append(parent)
            if len(order) != len(parents):
                raise ValueError("kahn_sort: the graph has a cycle")
            return order[::-1]
        """,
        ),
        ReplaceSolution(
            DFS,
            """
            order, state = [], {output: "open"}
            stack = [(output, 0)]
            while stack:
                node, i = stack.pop()
                if i < len(node.parents):
                    stack.append((node, i + 1))
                    parent = node.parents[i]
                    seen = state.get(parent)
                    if seen == "open":
                        raise ValueError("dfs_sort: cycle")
                    if seen is None:
                        state[parent] = "open"
                        stack.append((parent, 0))
                else:
                    state[node] = "done"
                    order.append(node)
            return order
        """,
        ),
    ),
    alternative(
        "notebook_changes_interpreter_state",
        E,
        "the notebook sets np.seterr(all='raise'), warnings as errors, seeds and a recursion limit of 50; its "
        "kahn_sort overflows a NumPy float on the way (the checks run with known defaults)",
        Edit(
            KAHN,
            "def kahn_sort(output):\n",
            "import random\nimport sys\nimport warnings\n\nimport numpy as np\n\nnp.seterr(all='raise')\n"
            "warnings.simplefilter('error')\nrandom.seed(7)\nnp.random.seed(7)\nsys.setrecursionlimit(50)\n\n\n"
            "def kahn_sort(output):\n    np.float64(1e308) * 10  # inf: an error under this notebook's settings\n",
        ),
    ),
    alternative(
        "other_valid_orders",
        E,
        "DFS visits parents right to left; Kahn uses a FIFO queue",
        Edit(DFS, "stack = [(output, iter(output.parents))]", "stack = [(output, reversed(output.parents))]"),
        Edit(DFS, "stack.append((parent, iter(parent.parents)))", "stack.append((parent, reversed(parent.parents)))"),
        Edit(
            KAHN,
            "    ready = [node for node, count in consumers.items() if count == 0]",
            "    import collections\n    ready = collections.deque(node for node, count in consumers.items() "
            "if count == 0)",
        ),
        Edit(KAHN, "        node = ready.pop()", "        node = ready.popleft()"),
    ),
    alternative(
        "kahn_from_the_leaves",
        E,
        "Kahn's algorithm forwards: leaves first, counting parents",
        ReplaceSolution(
            KAHN,
            """
                    nodes = {output}
                    stack = [output]
                    while stack:
                        for parent in stack.pop().parents:
                            if parent not in nodes:
                                nodes.add(parent)
                                stack.append(parent)
                    children = {node: [] for node in nodes}
                    waiting = {}
                    for node in nodes:
                        waiting[node] = len(node.parents)
                        for parent in node.parents:
                            children[parent].append(node)
                    ready = [node for node in nodes if waiting[node] == 0]
                    order = []
                    while ready:
                        node = ready.pop()
                        order.append(node)
                        for child in children[node]:
                            waiting[child] -= 1
                            if waiting[child] == 0:
                                ready.append(child)
                    if len(order) != len(nodes):
                        raise ValueError("kahn_sort: the graph has a cycle")
                    return order
                """,
        ),
    ),
    cheat(
        "uses_minitorch_topological_sort",
        E,
        "both functions call minitorch.topological_sort",
        {"kahn_order", "kahn_cycles", "kahn_deep", "dfs_order", "dfs_cycles", "dfs_deep"},
        ReplaceSolution(KAHN, "import minitorch\nreturn minitorch.topological_sort(output)"),
        ReplaceSolution(DFS, "from minitorch import topological_sort as sort\nreturn list(sort(output))"),
    ),
]
