"""Correct alternatives for exercise 9 (each must keep full marks) and cheats (each must be caught)."""

from .. import Edit, ReplaceSolution, alternative, cheat
from .cells import NORMS, RATIO, SCALE, SPLIT, STEP, TRAIN, E

OTHERS = [
    # ----------------------------------------------------------------- correct alternatives
    alternative(
        "other_correct_code",
        E,
        "index shuffle and a train mask; ddof=1; model.zero_grad() and float(loss.numpy()); "
        "np.average for the epoch; norms from minitorch operations; layers by add_module",
        ReplaceSolution(
            SPLIT,
            """
            rng = np.random.default_rng(seed)
            index = np.arange(len(X))
            rng.shuffle(index)
            in_test = np.zeros(len(X), dtype=bool)
            in_test[index[:n_test]] = True
            return X[~in_test], X[in_test], y[~in_test], y[in_test]
            """,
        ),
        Edit(SCALE, "std = X_train.std(axis=0)", "std = X_train.std(axis=0, ddof=1)"),
        ReplaceSolution(
            STEP,
            """
            model.zero_grad()
            logits = model(X)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            optimizer.step()
            return float(loss.detach().numpy())
            """,
        ),
        ReplaceSolution(
            TRAIN,
            """
            optimizer = minitorch.optim.SGD(model.parameters(), lr=lr, momentum=0.0)
            rng = np.random.default_rng(seed)
            history = []
            for epoch in range(epochs):
                shuffled = np.arange(len(X))
                rng.shuffle(shuffled)
                values, sizes = [], []
                for start in range(0, len(shuffled), batch_size):
                    rows = shuffled[start:start + batch_size]
                    values.append(train_step(model, optimizer, minitorch.tensor(X[rows]), y[rows]))
                    sizes.append(len(rows))
                history.append(float(np.average(values, weights=sizes)))
            return history
            """,
        ),
        ReplaceSolution(
            NORMS,
            """
            for p in model.parameters():
                p.grad = None
            loss.backward()
            norms = []
            for module in model.modules():
                if isinstance(module, nn.Linear):
                    g = module.weight.grad
                    norms.append((g * g).sum().item() ** 0.5)
            return norms
            """,
        ),
        ReplaceSolution(
            RATIO,
            """
            try:
                make = ACTIVATIONS[activation]
            except KeyError:
                raise ValueError(f"no activation called {activation}") from None
            width = X.shape[1]
            model = nn.Sequential()
            linears = [nn.Linear(width, width) for _ in range(depth)]
            for i, linear in enumerate(linears):
                if i:
                    model.add_module(f"act{i}", make())
                model.add_module(f"linear{i}", linear)
            norms = layer_grad_norms(model, F.cross_entropy(model(minitorch.tensor(X)), y))
            return float(norms[0] / norms[-1])
            """,
        ),
    ),
    alternative(
        "ratio_computed_by_hand",
        E,
        "gradient_ratio back-propagates itself and reads the two weight gradients (no layer_grad_norms)",
        Edit(
            RATIO,
            "    norms = layer_grad_norms(model, loss)\n    return norms[0] / norms[-1]",
            "    loss.backward()\n"
            "    first, last = model[0].weight.grad.numpy(), model[len(model) - 1].weight.grad.numpy()\n"
            "    return float(np.sqrt((first**2).sum() / (last**2).sum()))",
        ),
    ),
    # ----------------------------------------------------------------- cheats
    cheat(
        "ratio_by_central_differences",
        E,
        "the two weight gradients estimated with minitorch.numerical's central differences, not back-propagated",
        {"vanishing"},
        Edit(
            RATIO,
            "    norms = layer_grad_norms(model, loss)\n    return norms[0] / norms[-1]",
            "    linears = [m for m in model if isinstance(m, nn.Linear)]\n"
            "\n"
            "    def loss_with(i):\n"
            "        def f(W):\n"
            "            h = minitorch.tensor(X)\n"
            "            for j, m in enumerate(linears):\n"
            "                h = F.linear(h, W if j == i else m.weight.detach(), m.bias.detach())\n"
            "                if j < len(linears) - 1:\n"
            "                    h = ACTIVATIONS[activation]()(h)\n"
            "            return F.cross_entropy(h, y)\n"
            "\n"
            "        return f\n"
            "\n"
            "    first, last = (\n"
            "        minitorch.numerical.jacobian(loss_with(i), [linears[i].weight.detach()]).numpy()\n"
            "        for i in (0, len(linears) - 1)\n"
            "    )\n"
            "    return float(np.linalg.norm(first) / np.linalg.norm(last))",
        ),
    ),
]
