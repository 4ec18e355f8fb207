"""Plausible wrong submissions for exercise 9 (training, gradient-flow diagnostics): each must lose points."""

from .. import Edit, ReplaceSolution, bug
from .cells import NORMS, RATIO, SCALE, SPLIT, STEP, TRAIN, E

BUGS = [
    # ----------------------------------------------------------------- train_test_split
    bug(
        "split_last_rows_as_test",
        E,
        "no shuffling: the last n_test rows are the test set (on iris: only virginica)",
        {"split"},
        Edit(SPLIT, "order = np.random.default_rng(seed).permutation(len(X))", "order = np.arange(len(X))[::-1]"),
    ),
    bug(
        "split_trains_on_everything",
        E,
        "evaluating on training data: the training set is all of X, test rows included",
        {"split"},
        Edit(SPLIT, "return X[train], X[test], y[train], y[test]", "return X, X[test], y, y[test]"),
    ),
    bug(
        "split_labels_permuted_separately",
        E,
        "X and y shuffled by two different permutations: labels no longer with their rows",
        {"split"},
        ReplaceSolution(
            SPLIT,
            """
            rng = np.random.default_rng(seed)
            rows, labels = rng.permutation(len(X)), rng.permutation(len(y))
            return X[rows[n_test:]], X[rows[:n_test]], y[labels[n_test:]], y[labels[:n_test]]
            """,
        ),
    ),
    bug(
        "split_shuffles_in_place",
        E,
        "shuffles X and y in place (rng.shuffle on the data): the caller's arrays change",
        {"split"},
        ReplaceSolution(
            SPLIT,
            """
            order = np.random.default_rng(seed).permutation(len(X))
            X[:] = X[order]
            y[:] = y[order]
            return X[n_test:].copy(), X[:n_test].copy(), y[n_test:].copy(), y[:n_test].copy()
            """,
        ),
    ),
    bug(
        "split_ignores_seed",
        E,
        "draws from NumPy's global generator: another split on every call, whatever the seed",
        {"split"},
        Edit(SPLIT, "order = np.random.default_rng(seed).permutation(len(X))", "order = np.random.permutation(len(X))"),
    ),
    # ----------------------------------------------------------------- standardize
    bug(
        "standardize_test_with_its_own_statistics",
        E,
        "the test set scaled with its own mean and deviation",
        {"standardize"},
        Edit(
            SCALE,
            "return (X_train - mean) / std, (X_test - mean) / std",
            "return (X_train - mean) / std, (X_test - X_test.mean(axis=0)) / X_test.std(axis=0)",
        ),
    ),
    bug(
        "standardize_statistics_of_all_rows",
        E,
        "leakage: the mean and deviation of training and test rows together",
        {"standardize"},
        ReplaceSolution(
            SCALE,
            """
            both = np.concatenate([X_train, X_test])
            mean, std = both.mean(axis=0), both.std(axis=0)
            std = np.where(std > 0, std, 1.0)
            return (X_train - mean) / std, (X_test - mean) / std
            """,
        ),
    ),
    bug(
        "standardize_constant_column_nan",
        E,
        "no guard for a constant column: 0 / 0 = nan",
        {"standardize"},
        Edit(SCALE, "    std = np.where(std > 0, std, 1.0)\n", ""),
    ),
    bug(
        "standardize_mean_of_squares",
        E,
        "the variance as mean(x^2) - mean(x)^2: every digit lost for features near 1e8",
        {"standardize"},
        Edit(
            SCALE,
            "std = X_train.std(axis=0)",
            "std = np.sqrt(np.maximum((X_train**2).mean(axis=0) - mean**2, 0.0))",
        ),
    ),
    bug(
        "standardize_in_place",
        E,
        "subtracts and divides in place: the caller's arrays change",
        {"standardize"},
        Edit(
            SCALE,
            "return (X_train - mean) / std, (X_test - mean) / std",
            "X_train -= mean\n    X_train /= std\n    X_test -= mean\n    X_test /= std\n    return X_train, X_test",
        ),
    ),
    bug(
        "standardize_epsilon_instead_of_guard",
        E,
        "divides by std + 1e-8 instead of guarding zero: wrong for tiny features and for constant columns",
        {"standardize"},
        Edit(SCALE, "std = np.where(std > 0, std, 1.0)", "std = std + 1e-8"),
    ),
    # ----------------------------------------------------------------- train_step
    bug(
        "step_without_zero_grad",
        E,
        "forgets zero_grad: every step adds its gradient to all the earlier ones",
        {"train_step"},
        Edit(STEP, "    optimizer.zero_grad()\n", ""),
    ),
    bug(
        "step_zero_grad_after_the_step",
        E,
        "zero_grad after the update: gradients left before the call leak into the first step",
        {"train_step"},
        Edit(STEP, "    optimizer.zero_grad()\n", ""),
        Edit(STEP, "    optimizer.step()\n", "    optimizer.step()\n    optimizer.zero_grad()\n"),
    ),
    bug(
        "step_loss_after_the_update",
        E,
        "returns the loss recomputed after the update, not the batch's loss before it",
        {"train_step"},
        Edit(STEP, "    return loss.item()", "    return F.cross_entropy(model(X), y).item()"),
    ),
    bug(
        "step_returns_the_tensor",
        E,
        "returns the loss tensor (and its whole graph) instead of a float",
        {"train_step"},
        Edit(STEP, "    return loss.item()", "    return loss"),
    ),
    # ----------------------------------------------------------------- train
    bug(
        "train_without_shuffling",
        E,
        "batches in the stored order, the same every epoch",
        {"train"},
        Edit(TRAIN, "order = rng.permutation(n)", "order = np.arange(n)"),
    ),
    bug(
        "train_shuffles_once",
        E,
        "one permutation for the whole run: every epoch visits the examples in the same order",
        {"train"},
        Edit(TRAIN, "    losses = []\n", "    losses = []\n    order = rng.permutation(n)\n"),
        Edit(TRAIN, "        order = rng.permutation(n)\n", ""),
    ),
    bug(
        "train_drops_the_last_batch",
        E,
        "only full batches: the examples of a last, smaller batch are never trained on",
        {"train"},
        Edit(TRAIN, "for start in range(0, n, batch_size):", "for start in range(0, n - batch_size + 1, batch_size):"),
    ),
    bug(
        "train_unweighted_epoch_mean",
        E,
        "the epoch loss as the plain mean of the batch losses (a smaller last batch counts as much as a full one)",
        {"train"},
        Edit(TRAIN, "        total = 0.0\n", "        total, batches = 0.0, 0\n"),
        Edit(
            TRAIN,
            "total += train_step(model, optimizer, minitorch.tensor(X[batch]), y[batch]) * len(batch)",
            "total += train_step(model, optimizer, minitorch.tensor(X[batch]), y[batch])\n            batches += 1",
        ),
        Edit(TRAIN, "losses.append(total / n)", "losses.append(total / batches)"),
    ),
    bug(
        "train_optimizer_per_step",
        E,
        "a new optimizer for every batch",
        {"train"},
        Edit(TRAIN, "    optimizer = minitorch.optim.SGD(model.parameters(), lr=lr)\n", ""),
        Edit(
            TRAIN,
            "            batch = order[start:start + batch_size]\n",
            "            batch = order[start:start + batch_size]\n"
            "            optimizer = minitorch.optim.SGD(model.parameters(), lr=lr)\n",
        ),
    ),
    bug(
        "train_samples_with_replacement",
        E,
        "random batches drawn with replacement: some examples twice in an epoch, others never",
        {"train"},
        Edit(
            TRAIN,
            "batch = order[start:start + batch_size]",
            "batch = rng.integers(0, n, size=len(order[start:start + batch_size]))",
        ),
    ),
    # ----------------------------------------------------------------- layer_grad_norms
    bug(
        "norms_without_zero_grad",
        E,
        "no zero_grad: gradients of an earlier backward pass are added in",
        {"grad_norms"},
        Edit(NORMS, "    model.zero_grad()\n", ""),
    ),
    bug(
        "norms_squared",
        E,
        "the sum of squares, without the square root",
        {"grad_norms"},
        Edit(NORMS, "float(np.linalg.norm(m.weight.grad.numpy()))", "float((m.weight.grad.numpy() ** 2).sum())"),
    ),
    bug(
        "norms_largest_entry",
        E,
        "the largest absolute entry instead of the norm",
        {"grad_norms"},
        Edit(NORMS, "float(np.linalg.norm(m.weight.grad.numpy()))", "float(np.abs(m.weight.grad.numpy()).max())"),
    ),
    bug(
        "norms_weight_and_bias",
        E,
        "the norm of the weight's and the bias's gradients together",
        {"grad_norms"},
        Edit(
            NORMS,
            "float(np.linalg.norm(m.weight.grad.numpy()))",
            "float(np.sqrt(sum((p.grad.numpy() ** 2).sum() for p in m.parameters())))",
        ),
    ),
    bug(
        "norms_top_level_only",
        E,
        "iterates the model like a list: misses layers inside nested modules, fails on a Module of its own",
        {"grad_norms"},
        Edit(NORMS, "for m in model.modules() if", "for m in model if"),
    ),
    bug(
        "norms_of_the_weights",
        E,
        "the norm of the weights themselves, not of their gradients",
        {"grad_norms"},
        Edit(NORMS, "float(np.linalg.norm(m.weight.grad.numpy()))", "float(np.linalg.norm(m.weight.numpy()))"),
    ),
    # ----------------------------------------------------------------- gradient_ratio
    bug(
        "ratio_upside_down",
        E,
        "the last layer's norm over the first's",
        {"vanishing"},
        Edit(RATIO, "return norms[0] / norms[-1]", "return norms[-1] / norms[0]"),
    ),
    bug(
        "ratio_graph_cut_between_layers",
        E,
        "gradients not flowing: each hidden layer's output copied into a fresh tensor, so backward stops there",
        {"vanishing"},
        Edit(
            RATIO,
            "    loss = F.cross_entropy(model(minitorch.tensor(X)), y)\n",
            "    h = minitorch.tensor(X)\n"
            "    for layer in layers[:-1]:\n"
            "        h = layer(h)\n"
            "        if isinstance(layer, nn.Linear):\n"
            "            h = minitorch.tensor(h.numpy())\n"
            "    loss = F.cross_entropy(layers[-1](h), y)\n",
        ),
    ),
    bug(
        "ratio_always_sigmoid",
        E,
        "the activation argument checked but ignored: sigmoid everywhere",
        {"vanishing"},
        Edit(RATIO, "layers.append(ACTIVATIONS[activation]())", "layers.append(nn.Sigmoid())"),
    ),
    bug(
        "ratio_unknown_name_falls_back",
        E,
        "an unknown name falls back to ReLU instead of raising",
        {"vanishing"},
        Edit(
            RATIO,
            "    if activation not in ACTIVATIONS:\n"
            '        raise ValueError(f"gradient_ratio: unknown activation {activation!r}; use one of '
            '{sorted(ACTIVATIONS)}")\n',
            "",
        ),
        Edit(
            RATIO, "layers.append(ACTIVATIONS[activation]())", "layers.append(ACTIVATIONS.get(activation, nn.ReLU)())"
        ),
    ),
    # ----------------------------------------------------------------- found by checks no entry failed
    bug(
        "split_returns_lists_of_rows",
        E,
        "train_test_split returns Python lists of rows instead of NumPy arrays",
        {"split"},
        Edit(
            SPLIT,
            "return X[train], X[test], y[train], y[test]",
            "return [X[i] for i in train], [X[i] for i in test], [y[i] for i in train], [y[i] for i in test]",
        ),
    ),
    bug(
        "standardize_returns_tensors",
        E,
        "standardize returns minitorch tensors instead of NumPy arrays",
        {"standardize"},
        Edit(
            SCALE,
            "return (X_train - mean) / std, (X_test - mean) / std",
            "return minitorch.tensor((X_train - mean) / std), minitorch.tensor((X_test - mean) / std)",
        ),
    ),
    bug(
        "train_labels_not_shuffled_with_rows",
        E,
        "train shuffles the rows of X but takes the labels in their original order",
        {"train"},
        Edit(TRAIN, "y[batch]) * len(batch)", "y[start:start + batch_size]) * len(batch)"),
    ),
    bug(
        "train_returns_batch_losses",
        E,
        "train returns the loss of every batch instead of each epoch's mean",
        {"train"},
        ReplaceSolution(
            TRAIN,
            """
            optimizer = minitorch.optim.SGD(model.parameters(), lr=lr)
            rng = np.random.default_rng(seed)
            losses = []
            for _ in range(epochs):
                order = rng.permutation(len(X))
                for start in range(0, len(X), batch_size):
                    batch = order[start:start + batch_size]
                    losses.append(train_step(model, optimizer, minitorch.tensor(X[batch]), y[batch]))
            return losses
        """,
        ),
    ),
]
