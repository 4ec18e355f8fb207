"""Exercise 9's probes: the student's split, scaling, training step and loop, and gradient diagnostics, called on
arrays sent as data; models are built here from a seed, and what comes back is arrays and numbers.

Parts that build on an earlier function run with a public stand-in in its place (:func:`standin_train_step`,
:func:`standin_layer_grad_norms`, minitorch's public operations only), so that a mistake costs points only in
its own part. The training loop's stand-in also records every batch it is given, by row number, so that the
check can see the order the loop visits the examples in.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minitorch
from minitorch import nn
from minitorch.nn import functional as F

from .base import patched, probe, short_repr, student
from .ex05 import array_data


def described(x: Any) -> dict:
    """A returned value as ``{"type": type name, "value": array data}`` (the type is judged by the check)."""
    return {"type": type(x).__name__, "value": array_data(x)}


def arrays_returned(result: Any, count: int) -> dict:
    """A tuple or list of ``count`` results as ``{"items": [described]}``, anything else as ``{"kind", "repr"}``."""
    if isinstance(result, (tuple, list)) and len(result) == count:
        return {"items": [described(x) for x in result]}
    return {"kind": type(result).__name__, "repr": short_repr(result)}


@probe
def split(namespace: dict, X: np.ndarray, y: np.ndarray, n_test: int, seed: int) -> dict:
    """``train_test_split(X, y, n_test, seed)``: the four arrays, and whether ``X`` or ``y`` changed."""
    X_given, y_given = X.copy(), y.copy()
    result = student(namespace, "train_test_split")(X, y, n_test, seed)
    reply = arrays_returned(result, 4)
    reply["modified"] = not (np.array_equal(X, X_given) and np.array_equal(y, y_given))
    return reply


@probe
def standardize(namespace: dict, X_train: np.ndarray, X_test: np.ndarray) -> dict:
    """``standardize(X_train, X_test)``: the two arrays, and whether an input changed."""
    train_given, test_given = X_train.copy(), X_test.copy()
    reply = arrays_returned(student(namespace, "standardize")(X_train, X_test), 2)
    reply["modified"] = not (np.array_equal(X_train, train_given) and np.array_equal(X_test, test_given))
    return reply


def make_model(seed: int, sizes: list, activation: str = "relu") -> nn.Module:
    """``Linear`` layers of the given sizes with the activation between them, initialized from ``seed``."""
    minitorch.manual_seed(seed)
    kind = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}[activation]
    layers: list = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [kind()] if i else []
        layers.append(nn.Linear(fan_in, fan_out))
    return nn.Sequential(*layers)


def parameters_data(model: nn.Module) -> list:
    return [p.data.copy() for p in model.parameters()]


@probe
def step(
    namespace: dict, seed: int, sizes: list, optimizer: str, lr: float, batches: list, stale: bool = False
) -> dict:
    """``train_step`` on a fresh model, once per ``(X, y)`` of ``batches``, with one optimizer (``"sgd"`` or
    ``"adam"``); ``stale``: every parameter holds a made-up gradient before the first step. Returns what each
    call returned and the parameters after each step."""
    model = make_model(seed, sizes)
    if stale:
        for p in model.parameters():
            p.grad = minitorch.ones_like(p) * 3.0
    kind = {"sgd": minitorch.optim.SGD, "adam": minitorch.optim.Adam}[optimizer]
    opt = kind(model.parameters(), lr=lr)
    train_step = student(namespace, "train_step")
    returned, parameters = [], []
    for X, y in batches:
        loss = train_step(model, opt, minitorch.tensor(X.copy()), y.copy())
        returned.append(described(loss))
        parameters.append(parameters_data(model))
    return {"returned": returned, "parameters": parameters}


def standin_train_step(model: Any, optimizer: Any, X: Any, y: Any) -> float:
    """Part 3 done right, with minitorch's public operations (the training loop's checks use it)."""
    optimizer.zero_grad()
    loss = F.cross_entropy(model(X if isinstance(X, minitorch.Tensor) else minitorch.tensor(X)), np.asarray(y))
    loss.backward()
    optimizer.step()
    return loss.item()


class Recorder:
    """A ``train_step`` that records each batch (row numbers of the training set), the optimizer and the loss."""

    def __init__(self, X: np.ndarray, model: nn.Module):
        self.rows: dict[bytes, int] = {}
        for i, row in enumerate(X):
            self.rows.setdefault(row.tobytes(), i)  # a repeated row counts as its first occurrence
        self.parameters = {id(p) for p in model.parameters()}
        self.batches: list[list[int]] = []
        self.losses: list[float] = []
        self.optimizers: list[dict] = []

    def __call__(self, model: Any, optimizer: Any, X: Any, y: Any) -> float:
        data = np.asarray(X.numpy() if isinstance(X, minitorch.Tensor) else X, dtype=np.float64)
        self.batches.append([self.rows.get(row.tobytes(), -1) for row in data])
        self.optimizers.append(
            {
                "id": id(optimizer),
                "type": type(optimizer).__name__,
                "lr": float(getattr(optimizer, "lr", getattr(optimizer, "defaults", {}).get("lr", float("nan")))),
                "model": {id(p) for p in getattr(optimizer, "params", [])} == self.parameters,
            }
        )
        loss = standin_train_step(model, optimizer, X, y)
        self.losses.append(loss)
        return loss


@probe
def train(
    namespace: dict,
    seed: int,
    X: np.ndarray,
    y: np.ndarray,
    X_test: np.ndarray,
    epochs: int,
    batch_size: int,
    lr: float,
) -> dict:
    """``train(model, X, y, ...)`` on the notebook's network made from ``seed``, with a recording stand-in for
    ``train_step``: what it returned, the batches and step losses, the optimizers, and the trained model's
    predictions on ``X_test``."""
    model = make_model(seed, [X.shape[1], 16, int(y.max()) + 1])
    recorder = Recorder(X, model)
    with patched(namespace, train_step=recorder):
        result = student(namespace, "train")(
            model, X.copy(), y.copy(), epochs=epochs, batch_size=batch_size, lr=lr, seed=seed
        )
    first = recorder.optimizers[0] if recorder.optimizers else None
    with minitorch.no_grad():
        predictions = model(minitorch.tensor(X_test)).numpy().argmax(axis=1)
    return {
        "returned": arrays_returned(result, len(result)) if isinstance(result, (list, tuple)) else described(result),
        "batches": recorder.batches,
        "step_losses": recorder.losses,
        "optimizer": None if first is None else {k: v for k, v in first.items() if k != "id"},
        "optimizers": len({o["id"] for o in recorder.optimizers}),
        "predictions": predictions,
    }


class Custom(nn.Module):
    """A model that is not a ``Sequential``: its layers are attributes, one of them inside a ``Sequential``."""

    def __init__(self, sizes: list):
        super().__init__()
        self.first = nn.Linear(sizes[0], sizes[1])
        self.rest = nn.Sequential(nn.Tanh(), nn.Linear(sizes[1], sizes[2]))
        self.last = nn.Linear(sizes[2], sizes[3], bias=False)

    def forward(self, x: Any) -> Any:
        return self.last(self.rest(self.first(x).sigmoid()))


def build(seed: int, sizes: list, shape: str) -> nn.Module:
    """The model of a gradient-norm check: ``"plain"`` (a Sequential), ``"nested"`` (Sequentials in a
    Sequential) or ``"custom"`` (:class:`Custom`, four sizes)."""
    if shape == "custom":
        minitorch.manual_seed(seed)
        return Custom(sizes)
    model = make_model(seed, sizes)
    if shape == "nested":
        layers = list(model)
        return nn.Sequential(nn.Sequential(*layers[:2]), nn.Sequential(*layers[2:]))
    return model


@probe
def grad_norms(
    namespace: dict, seed: int, sizes: list, shape: str, X: np.ndarray, y: np.ndarray, stale: bool = False
) -> dict:
    """``layer_grad_norms(model, loss)`` for the cross-entropy of a fresh model on ``(X, y)``; ``stale``: a
    backward pass on another loss has filled every ``.grad`` first."""
    model = build(seed, sizes, shape)
    if stale:
        (model(minitorch.tensor(X[::-1].copy())).sum() * 5.0).backward()
    loss = F.cross_entropy(model(minitorch.tensor(X)), y)
    result = student(namespace, "layer_grad_norms")(model, loss)
    if isinstance(result, (list, tuple)):
        return {"items": [described(x) for x in result], "type": type(result).__name__}
    return described(result)


def standin_layer_grad_norms(model: Any, loss: Any) -> list:
    """Part 5 done right, with minitorch's public operations (the vanishing-gradient checks use it)."""
    model.zero_grad()
    loss.backward()
    return [float(np.linalg.norm(m.weight.grad.numpy())) for m in model.modules() if isinstance(m, nn.Linear)]


@probe
def ratio(namespace: dict, activation: str, depth: int, X: np.ndarray, y: np.ndarray, seed: int) -> Any:
    """``gradient_ratio(activation, depth, X, y)`` after ``minitorch.manual_seed(seed)``, with the stand-in
    ``layer_grad_norms``; a ValueError is an answer: ``{"raised": "ValueError", "message": ...}``."""
    minitorch.manual_seed(seed)
    with patched(namespace, layer_grad_norms=standin_layer_grad_norms):
        try:
            result = student(namespace, "gradient_ratio")(activation, depth, X.copy(), y.copy())
        except ValueError as error:
            return {"raised": "ValueError", "message": short_repr(str(error))}
    return described(result)
