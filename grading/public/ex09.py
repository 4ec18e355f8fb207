"""Exercise 9's public reference. minitorch has the network, the loss and the optimizers but no training loop,
data split or diagnostics of its own, so each function here follows the procedure the notebook states, with
minitorch's ``nn``, ``optim`` and ``F.cross_entropy`` (and the grader's stand-in for the gradient norms,
:mod:`grading.probes.ex09`); the student edition therefore holds a working version of these parts."""

from __future__ import annotations

from typing import Any

import numpy as np

import minitorch
from minitorch import nn
from minitorch.nn import functional as F

from ..probes.ex09 import standin_layer_grad_norms

#: The activations gradient_ratio knows, by name.
ACTIVATIONS = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}


def train_test_split(X: np.ndarray, y: np.ndarray, n_test: int, seed: int) -> tuple:
    """One permutation of the row numbers from default_rng(seed): its first n_test rows are the test set."""
    rows = np.random.default_rng(seed).permutation(len(X))
    return X[rows[n_test:]], X[rows[:n_test]], y[rows[n_test:]], y[rows[:n_test]]


def standardize(X_train: np.ndarray, X_test: np.ndarray) -> tuple:
    """Both sets scaled by the training set's column means and standard deviations (1 where that is 0)."""
    mu = np.mean(X_train, axis=0)
    s = np.std(X_train, axis=0)
    s[s == 0] = 1.0
    return (X_train - mu) / s, (X_test - mu) / s


def train_step(model: nn.Module, optimizer: Any, X: minitorch.Tensor, y: np.ndarray) -> float:
    """Clear the gradients, the cross-entropy of model(X), backward, one optimizer step; the loss before it."""
    model.zero_grad()
    batch_loss = F.cross_entropy(model(X), y)
    batch_loss.backward()
    optimizer.step()
    return float(batch_loss.item())


def define(namespace: dict) -> dict[str, Any]:
    def train(model: nn.Module, X: np.ndarray, y: np.ndarray, *, epochs: int, batch_size: int, lr: float, seed: int):
        """Mini-batch SGD through the namespace's train_step, a fresh order per epoch; each epoch's mean loss."""
        sgd, rng, n = minitorch.optim.SGD(model.parameters(), lr=lr), np.random.default_rng(seed), len(X)
        epoch_losses = []
        for _ in range(epochs):
            shuffled = rng.permutation(n)
            batches = [shuffled[i : i + batch_size] for i in range(0, n, batch_size)]
            weighted = [len(b) * namespace["train_step"](model, sgd, minitorch.tensor(X[b]), y[b]) for b in batches]
            epoch_losses.append(sum(weighted) / n)
        return epoch_losses

    def gradient_ratio(activation: str, depth: int, X: np.ndarray, y: np.ndarray) -> float:
        """First over last layer's weight-gradient norm of a fresh Linear/activation stack of `depth` layers."""
        make_activation = ACTIVATIONS.get(activation)
        if make_activation is None:
            raise ValueError(f"gradient_ratio: no activation {activation!r} (one of {sorted(ACTIVATIONS)})")
        n = X.shape[1]
        stack: list = []
        for i in range(depth):
            stack += [make_activation(), nn.Linear(n, n)] if i else [nn.Linear(n, n)]
        network = nn.Sequential(*stack)
        norms = namespace["layer_grad_norms"](network, F.cross_entropy(network(minitorch.tensor(X)), y))
        ratio = norms[0] / norms[-1]
        return ratio

    return {
        "train_test_split": train_test_split,
        "standardize": standardize,
        "train_step": train_step,
        "train": train,
        "layer_grad_norms": standin_layer_grad_norms,
        "ACTIVATIONS": ACTIVATIONS,
        "gradient_ratio": gradient_ratio,
    }
