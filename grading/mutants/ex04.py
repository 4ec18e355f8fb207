"""Plausible submissions for exercise 4 (vector-Jacobian products)."""

from . import Edit, ReplaceSolution, alternative, bug, cheat

E = "ex04"
UNBROADCAST, BROADCAST, MATMUL, LINEAR = "ex04_unbroadcast", "ex04_broadcast", "ex04_matmul", "ex04_linear"
ELEMENTWISE, REDUCTIONS, SOFTMAX, CE = "ex04_elementwise", "ex04_reductions", "ex04_softmax", "ex04_cross_entropy"
FUNCTIONS, TRAIN = "ex04_functions", "ex04_train"

MUTANTS = [
    bug(
        "unbroadcast_leading_axes_only",
        E,
        "unbroadcast sums the added leading axes but not the stretched size-1 axes",
        {"unbroadcast"},
        Edit(
            UNBROADCAST,
            """    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)
""",
            "",
        ),
    ),
    bug(
        "add_without_unbroadcast",
        E,
        "vjp_add returns g for both inputs (missing unbroadcast)",
        {"broadcast_ops"},
        Edit(BROADCAST, "return unbroadcast(g, a.shape), unbroadcast(g, b.shape)", "return g, g"),
    ),
    bug(
        "mul_partials_swapped",
        E,
        "vjp_mul returns (g * a, g * b): each input's own value instead of the other's",
        {"broadcast_ops"},
        Edit(
            BROADCAST,
            "return unbroadcast(g * b, a.shape), unbroadcast(g * a, b.shape)",
            "return unbroadcast(g * a, a.shape), unbroadcast(g * b, b.shape)",
        ),
    ),
    bug(
        "matmul_missing_transpose",
        E,
        "vjp_matmul: gA = g @ B instead of g @ B^T",
        {"matmul"},
        Edit(MATMUL, "gA = unbroadcast(g2 @ np.swapaxes(B2, -1, -2), A2.shape)", "gA = unbroadcast(g2 @ B2, A2.shape)"),
    ),
    bug(
        "linear_bias_not_summed",
        E,
        "vjp_linear returns gb = g, not summed over the batch",
        {"linear"},
        Edit(LINEAR, "return gx, gW, unbroadcast(g, b.shape)", "return gx, gW, g"),
    ),
    bug(
        "sigmoid_derivative_is_s",
        E,
        "sigmoid' = s instead of s (1 - s)",
        {"elementwise"},
        Edit(ELEMENTWISE, "return g * s * (1.0 - s)", "return g * s"),
    ),
    bug(
        "sum_without_expand_dims",
        E,
        "vjp_sum broadcasts g without putting the reduced axes back",
        {"reductions"},
        Edit(
            REDUCTIONS,
            """    if not keepdims:
        g = np.expand_dims(g, tuple(range(x.ndim)) if axis is None else axis)
""",
            "",
        ),
    ),
    bug(
        "mean_not_divided_by_n",
        E,
        "vjp_mean = vjp_sum (forgets the 1/n)",
        {"reductions"},
        Edit(
            REDUCTIONS,
            "return vjp_sum(x, g, axis=axis, keepdims=keepdims) / n",
            "return vjp_sum(x, g, axis=axis, keepdims=keepdims)",
        ),
    ),
    bug(
        "softmax_without_subtraction",
        E,
        "vjp_softmax = s * g (drops the - <g, s> term)",
        {"softmax"},
        Edit(SOFTMAX, "return s * (g - (g * s).sum(axis=axis, keepdims=True))", "return s * g"),
    ),
    bug(
        "softmax_exp_overflows",
        E,
        "vjp_softmax recomputes s = exp(x) / sum(exp(x)): nan for logits of 1000",
        {"softmax"},
        Edit(
            SOFTMAX,
            "    s = softmax(x, axis=axis)\n",
            "    e = np.exp(x)\n    s = e / e.sum(axis=axis, keepdims=True)\n",
        ),
    ),
    bug(
        "cross_entropy_not_divided_by_batch",
        E,
        "vjp_cross_entropy = g (P - Y), not divided by N",
        {"cross_entropy"},
        Edit(CE, "return p * (g / n)", "return p * g"),
    ),
    bug(
        "cross_entropy_fn_one_gradient",
        E,
        "CrossEntropyFn.backward returns one gradient for its two inputs",
        {"functions"},
        Edit(
            FUNCTIONS,
            "return vjp_cross_entropy(logits.data, ctx.targets, g.data), None",
            "return vjp_cross_entropy(logits.data, ctx.targets, g.data)",
        ),
    ),
    bug(
        "train_without_relu",
        E,
        "train_mlp forgets the ReLU: a linear classifier cannot separate rings",
        {"train"},
        Edit(
            TRAIN,
            "hidden_layer = ReluFn.apply(LinearFn.apply(inputs, W1, b1))",
            "hidden_layer = LinearFn.apply(inputs, W1, b1)",
        ),
    ),
    bug(
        "train_forgets_zero_grad",
        E,
        "train_mlp never zeroes the gradients: they accumulate over the steps",
        {"train"},
        Edit(TRAIN, "        optimizer.zero_grad()\n", ""),
    ),
    bug(
        "matmul_batch_only_leading_axes",
        E,
        "vjp_matmul sums gA and gB over the added leading batch axes only, not over stretched size-1 batch axes",
        {"matmul"},
        Edit(
            MATMUL,
            "    gA = unbroadcast(g2 @ np.swapaxes(B2, -1, -2), A2.shape)\n"
            "    gB = unbroadcast(np.swapaxes(A2, -1, -2) @ g2, B2.shape)\n",
            "    gA = g2 @ np.swapaxes(B2, -1, -2)\n"
            "    gA = gA.sum(axis=tuple(range(gA.ndim - A2.ndim)))\n"
            "    gB = np.swapaxes(A2, -1, -2) @ g2\n"
            "    gB = gB.sum(axis=tuple(range(gB.ndim - B2.ndim)))\n",
        ),
    ),
    bug(
        "relu_writes_into_g",
        E,
        "vjp_relu zeroes g in place where x <= 0 and returns it",
        {"elementwise"},
        Edit(ELEMENTWISE, "    return g * (x > 0)", "    g[x <= 0] = 0.0\n    return g"),
    ),
    bug(
        "sum_expands_an_int_axis_only",
        E,
        "vjp_sum puts back a single reduced axis but not a tuple of axes (keepdims=False)",
        {"reductions"},
        Edit(
            REDUCTIONS,
            "        g = np.expand_dims(g, tuple(range(x.ndim)) if axis is None else axis)\n",
            "        if isinstance(axis, int):\n            g = np.expand_dims(g, axis)\n",
        ),
    ),
    bug(
        "log_softmax_subtracts_in_place",
        E,
        "vjp_log_softmax subtracts from g in place (g -= ...) and returns it",
        {"softmax"},
        Edit(
            SOFTMAX,
            "    return g - softmax(x, axis=axis) * g.sum(axis=axis, keepdims=True)",
            "    g -= softmax(x, axis=axis) * g.sum(axis=axis, keepdims=True)\n    return g",
        ),
    ),
    bug(
        "cross_entropy_fn_targets_on_the_class",
        E,
        "CrossEntropyFn keeps the targets on the class: the last call's targets serve every node",
        {"functions"},
        Edit(FUNCTIONS, "        ctx.targets = targets\n", "        CrossEntropyFn.targets = targets\n"),
        Edit(
            FUNCTIONS,
            "return vjp_cross_entropy(logits.data, ctx.targets, g.data), None",
            "return vjp_cross_entropy(logits.data, CrossEntropyFn.targets, g.data), None",
        ),
    ),
    bug(
        "linear_fn_inputs_on_the_class",
        E,
        "LinearFn keeps its inputs as a class attribute, not with ctx.save_for_backward",
        {"functions"},
        Edit(FUNCTIONS, "        ctx.save_for_backward(x, W, b)\n", "        LinearFn.inputs = (x, W, b)\n"),
        Edit(FUNCTIONS, "        x, W, b = ctx.saved_tensors\n", "        x, W, b = LinearFn.inputs\n"),
    ),
    bug(
        "relu_fn_clips_its_input_in_place",
        E,
        "ReluFn.forward clips x.data in place (np.maximum(..., out=x.data)): the layer's input changes",
        {"functions"},
        Edit(FUNCTIONS, "        return np.maximum(x.data, 0.0)", "        return np.maximum(x.data, 0.0, out=x.data)"),
    ),
    bug(
        "train_returns_tensors",
        E,
        "train_mlp returns the parameter tensors, not their NumPy arrays",
        {"train"},
        Edit(TRAIN, "    return tuple(p.detach().numpy() for p in params)", "    return tuple(params)"),
    ),
    bug(
        "exp_vjp_forgets_g",
        E,
        "vjp_exp returns the derivative exp(x) without multiplying by the incoming g",
        {"elementwise"},
        Edit(ELEMENTWISE, "return g * np.exp(x)", "return np.exp(x)"),
    ),
    bug(
        "log_vjp_forgets_g",
        E,
        "vjp_log returns 1 / x without multiplying by the incoming g",
        {"elementwise"},
        Edit(ELEMENTWISE, "return g / x", "return 1.0 / x"),
    ),
    bug(
        "tanh_vjp_not_squared",
        E,
        "vjp_tanh uses 1 - tanh(x) for the derivative instead of 1 - tanh(x)**2",
        {"elementwise"},
        Edit(ELEMENTWISE, "return g * (1.0 - t * t)", "return g * (1.0 - t)"),
    ),
    bug(
        "sum_expands_also_with_keepdims",
        E,
        "vjp_sum inserts the reduced axes into g even when keepdims=True kept them",
        {"reductions"},
        Edit(
            REDUCTIONS,
            "    if not keepdims:\n        g = np.expand_dims(g, tuple(range(x.ndim)) if axis is None else axis)",
            "    g = np.expand_dims(g, tuple(range(x.ndim)) if axis is None else axis)",
        ),
    ),
    bug(
        "cross_entropy_divided_by_classes",
        E,
        "vjp_cross_entropy divides by the number of classes instead of the batch size",
        {"cross_entropy"},
        Edit(CE, "n = logits.shape[0]", "n = logits.shape[1]"),
    ),
    bug(
        "linear_bias_summed_over_axis_0",
        E,
        "vjp_linear's gb is g.sum(axis=0): right for a batch, wrong for a single input vector",
        {"linear"},
        Edit(LINEAR, "return gx, gW, unbroadcast(g, b.shape)", "return gx, gW, g.sum(axis=0)"),
    ),
    bug(
        "unbroadcast_sums_axis_0",
        E,
        "unbroadcast always sums over the first axis, generalising the bias of a batch (g.sum(axis=0))",
        {"unbroadcast"},
        ReplaceSolution(UNBROADCAST, "return np.asarray(g).sum(axis=0)"),
    ),
    bug(
        "mean_divided_by_x_size",
        E,
        "vjp_mean divides by the number of entries of x, not by the number averaged into each output",
        {"reductions"},
        Edit(REDUCTIONS, "n = x.size // np.size(g)", "n = x.size"),
    ),
    bug(
        "sum_none_axis_as_a_new_leading_axis",
        E,
        "vjp_sum puts the total of axis=None back as a new axis 0 (broadcasting fills the rest, except for a 0-d x)",
        {"reductions"},
        Edit(
            REDUCTIONS,
            "g = np.expand_dims(g, tuple(range(x.ndim)) if axis is None else axis)",
            "g = np.expand_dims(g, 0 if axis is None else axis)",
        ),
    ),
    bug(
        "unbroadcast_keeps_the_leading_axes",
        E,
        "unbroadcast sums the added leading axes with keepdims=True: (4, 3) -> (3,) gives shape (1, 3)",
        {"unbroadcast"},
        Edit(UNBROADCAST, "g = g.sum(axis=tuple(range(extra)))", "g = g.sum(axis=tuple(range(extra)), keepdims=True)"),
    ),
    bug(
        "sum_g_made_at_least_1d",
        E,
        "vjp_sum starts with np.atleast_1d(g): a 0-d g (a full reduction) gets an axis too many",
        {"reductions"},
        Edit(REDUCTIONS, "    g = np.asarray(g)\n", "    g = np.atleast_1d(g)\n"),
    ),
    alternative(
        "vjps_by_normalised_axes",
        E,
        "vjp_sum normalising negative axes and expanding one at a time; log_softmax's s as exp(log_softmax); "
        "ReluFn keeping its mask as an attribute of ctx",
        Edit(
            REDUCTIONS,
            "        g = np.expand_dims(g, tuple(range(x.ndim)) if axis is None else axis)\n",
            "        axes = range(x.ndim) if axis is None else np.atleast_1d(axis)\n"
            "        for a in sorted(int(a) % x.ndim for a in axes):\n"
            "            g = np.expand_dims(g, a)\n",
        ),
        Edit(
            SOFTMAX,
            "    return g - softmax(x, axis=axis) * g.sum(axis=axis, keepdims=True)",
            "    return g - np.exp(log_softmax(x, axis=axis)) * np.sum(g, axis=axis, keepdims=True)",
        ),
        Edit(
            FUNCTIONS,
            "        ctx.save_for_backward(x)\n        return np.maximum(x.data, 0.0)",
            "        ctx.positive = x.data > 0\n        return np.where(ctx.positive, x.data, 0.0)",
        ),
        Edit(
            FUNCTIONS,
            "        (x,) = ctx.saved_tensors\n        return vjp_relu(x.data, g.data)",
            "        return g.data * ctx.positive",
        ),
    ),
    alternative(
        "relu_mask_ge",
        E,
        "relu' as x >= 0 (differs only at x = 0, which random inputs never hit)",
        Edit(ELEMENTWISE, "return g * (x > 0)", "return np.where(x >= 0, g, 0.0)"),
    ),
    alternative(
        "vjp_other_formulas",
        E,
        "a loop unbroadcast, einsum matmul, 1/cosh^2, an explicit softmax Jacobian, "
        "prod-based mean, exp(log_softmax) in cross-entropy",
        ReplaceSolution(
            UNBROADCAST,
            """
                    g = np.array(g, dtype=float)
                    while g.ndim > len(shape):
                        g = g.sum(axis=0)
                    for axis, n in enumerate(shape):
                        if n == 1:
                            g = g.sum(axis=axis, keepdims=True)
                    return g
                """,
        ),
        ReplaceSolution(
            MATMUL,
            """
                    A2 = A.reshape(1, -1) if A.ndim == 1 else A
                    B2 = B.reshape(-1, 1) if B.ndim == 1 else B
                    g2 = np.asarray(g).reshape(np.broadcast_shapes(A2.shape[:-2], B2.shape[:-2])
                                               + (A2.shape[-2], B2.shape[-1]))
                    gA = np.einsum("...nm,...km->...nk", g2, B2)
                    gB = np.einsum("...nk,...nm->...km", A2, g2)
                    return unbroadcast(gA, A2.shape).reshape(A.shape), unbroadcast(gB, B2.shape).reshape(B.shape)
                """,
        ),
        Edit(ELEMENTWISE, "    t = np.tanh(x)\n    return g * (1.0 - t * t)", "    return g / np.cosh(x) ** 2"),
        Edit(
            REDUCTIONS,
            "    n = x.size // np.size(g)\n",
            "    axes = range(x.ndim) if axis is None else np.atleast_1d(axis)\n"
            "    n = int(np.prod([x.shape[a] for a in axes]))\n",
        ),
        Edit(
            SOFTMAX,
            "    s = softmax(x, axis=axis)\n    return s * (g - (g * s).sum(axis=axis, keepdims=True))",
            "    s = np.moveaxis(softmax(x, axis=axis), axis, -1)\n"
            "    jacobian = s[..., :, None] * np.eye(s.shape[-1]) - s[..., :, None] * s[..., None, :]\n"
            "    return np.moveaxis(np.einsum('...i,...ij->...j', np.moveaxis(g, axis, -1), jacobian), -1, axis)",
        ),
        ReplaceSolution(
            CE,
            """
                    probabilities = np.exp(log_softmax(logits, axis=1))
                    one_hot = np.eye(logits.shape[1])[targets]
                    return np.asarray(g) * (probabilities - one_hot) / len(logits)
                """,
        ),
    ),
    cheat(
        "matmul_by_minitorch_vjp",
        E,
        "vjp_matmul through minitorch.vjp(minitorch.matmul, ...)",
        {"matmul"},
        ReplaceSolution(
            MATMUL,
            """
              _, pullback = minitorch.vjp(minitorch.matmul, minitorch.tensor(A), minitorch.tensor(B))
              gA, gB = pullback(minitorch.tensor(g))
              return gA.numpy(), gB.numpy()
          """,
        ),
    ),
    cheat(
        "linear_fn_forward_by_minitorch",
        E,
        "LinearFn.forward computes with minitorch.matmul and a tensor sum "
        "(the grader's stand-in VJPs must not hide it)",
        {"functions"},
        Edit(FUNCTIONS, "return x.data @ W.data + b.data", "return (minitorch.matmul(x, W) + b).data"),
    ),
    cheat(
        "train_with_minitorch_nn",
        E,
        "train_mlp with minitorch.nn.Linear and minitorch.nn.functional.cross_entropy",
        {"train"},
        ReplaceSolution(
            TRAIN,
            """
              minitorch.manual_seed(seed)
              model = minitorch.nn.Sequential(minitorch.nn.Linear(X.shape[1], hidden), minitorch.nn.ReLU(),
                                              minitorch.nn.Linear(hidden, int(y.max()) + 1))
              optimizer = minitorch.optim.Adam(model.parameters(), lr=lr)
              inputs = minitorch.tensor(X)
              for _ in range(steps):
                  optimizer.zero_grad()
                  minitorch.nn.functional.cross_entropy(model(inputs), y).backward()
                  optimizer.step()
              first, last = model[0], model[2]
              return (first.weight.detach().numpy().T, first.bias.detach().numpy(),
                      last.weight.detach().numpy().T, last.bias.detach().numpy())
          """,
        ),
    ),
]
