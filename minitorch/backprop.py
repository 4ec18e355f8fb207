r"""The reverse-mode engine: push adjoints from outputs back to inputs.

Nodes of the graph are contexts (``grad_fn``) and leaf tensors. In reverse
topological order, each context's adjoint is complete when it is reached,
so its VJP can run and add its results to the adjoints of its parents:

.. math:: \bar x_i \mathrel{+}= \mathrm{VJP}_i(\bar y).

With ``create_graph=False`` the VJPs run without recording (fast); with
``create_graph=True`` they are recorded, so the gradients themselves have a
graph and can be differentiated again.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from . import backend, grad_mode, hooks
from .function import Context
from .graph import topological_sort
from .tensor import Tensor


class _Roots:
    """A virtual node whose parents are the nodes of all outputs."""

    def __init__(self, nodes: list):
        self.parents = nodes


_parents = operator.attrgetter("parents")  # what topological_sort follows; a C getter, for speed


def _node_of(t: Tensor) -> Any:
    return t.grad_fn if t.grad_fn is not None else t


def _as_result(g: Any) -> Tensor:
    return g if isinstance(g, Tensor) else Tensor._wrap(g)


class _OnArrays:
    """A node as its rule sees it on the unrecorded path: the same node, but its saved tensors are arrays.

    This is where the engine's fast path converts: the rule's operators and
    methods then run directly on arrays, with no tensor bookkeeping.
    """

    __slots__ = ("node", "needs_input_grad", "input_shapes", "saved_tensors", "__dict__")

    def __init__(self, node: Context):
        self.node = node
        self.needs_input_grad = node.needs_input_grad
        self.input_shapes = node.input_shapes
        self.saved_tensors = node.saved_arrays()
        if node.__dict__:  # what the rule keeps on ctx (masks, shapes): shared, not copied
            self.__dict__ = node.__dict__

    def __getattr__(self, name: str) -> Any:
        return getattr(self.node, name)


def _vjp(node: Context, g: Any, on_arrays: bool) -> tuple:
    """A node's VJP: one gradient (or ``None``) per input.

    Unrecorded, built-in rules run on arrays (``g`` is then an array);
    a user's rule always gets and returns tensors.
    """
    if node.released:
        _ = node.saved_tensors  # raises the retain_graph error
    if not on_arrays:  # recorded, or carrying tangents: tensors in, tensors out
        grads = node.function.backward(node, g)
    elif node.function.backward_on_arrays:
        # A node that saved nothing has nothing to convert: it is its own array view.
        grads = node.function.backward(_OnArrays(node) if node._saved else node, g)
    else:  # a user's rule expects tensors even here
        grads = node.function.backward(node, Tensor._wrap(g))
        grads = tuple(x.data if isinstance(x, Tensor) else x for x in (grads if isinstance(grads, tuple) else (grads,)))
    grads = grads if isinstance(grads, tuple) else (grads,)
    if len(grads) != len(node.edges):
        raise RuntimeError(f"{node.name()}: backward returned {len(grads)} gradient(s) for {len(node.edges)} input(s)")
    return grads


def _shape_error(node: Context, grad: Any, shape: tuple) -> RuntimeError:
    return RuntimeError(
        f"{node.name()}: backward returned a gradient of shape {grad.shape} for an input of shape {shape}"
    )


def _seed(output: Tensor, gradient: Any) -> Tensor:
    if gradient is None:
        if output.data.size != 1:
            raise RuntimeError(
                f"backward: the output has shape {output.shape}; a gradient can be created implicitly only for "
                "a single-element output. Pass gradient= (a tensor of the output's shape) to compute a "
                "vector-Jacobian product."
            )
        return Tensor._wrap(backend.namespace_of(output.data).ones_like(output.data))
    if not isinstance(gradient, Tensor):
        gradient = Tensor._wrap(backend.namespace_of(output.data).asarray(gradient, dtype=output.dtype))
    if gradient.shape != output.shape:
        raise RuntimeError(f"backward: gradient has shape {gradient.shape} but the output has shape {output.shape}")
    if gradient.dtype != output.dtype:
        gradient = gradient.astype(output.dtype)  # like PyTorch: gradients take the dtype of what they belong to
    elif not gradient.requires_grad:
        # The seed may reach a leaf's .grad unchanged (through an addition, say):
        # it must not share memory with the caller's array.
        gradient = Tensor._wrap(gradient.data.copy())
    return gradient


def _accumulate(adjoints: dict, node: Any, g: Tensor) -> None:
    previous = adjoints.get(node)
    adjoints[node] = g if previous is None else previous + g


def backpropagate(
    outputs: Sequence[Tensor],
    gradients: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    keep: set | None = None,
    stop_at: set | None = None,
) -> dict:
    r"""The chain rule, once over the graph: return the adjoints of the leaves and of the nodes in ``keep``.

    In reverse topological order each node's adjoint :math:`\bar y` is
    complete when it is reached, so its VJP runs once and adds
    :math:`\mathrm{VJP}_i(\bar y)` to the adjoint of each input :math:`i`.
    Nodes in ``stop_at`` are not looked through: the pass ends there
    (:func:`grad` and checkpointing use this for their inputs).
    """
    for out in outputs:
        if not out.requires_grad:
            raise RuntimeError(
                f"backward: a tensor of shape {out.shape} does not require grad and has no grad_fn; "
                "did you forget requires_grad=True, or compute it under no_grad()?"
            )
    # Without create_graph (and with no forward-mode tangents to carry), the
    # rules run directly on arrays: nothing of the backward pass is recorded.
    on_arrays = not create_graph and not grad_mode.state.forward_levels
    keep, stop_at = keep or set(), stop_at or set()
    adjoints: dict = {}
    for out, gradient in zip(outputs, gradients):
        seed = _seed(out, gradient)
        _accumulate(adjoints, _node_of(out), seed.data if on_arrays else seed)
    results: dict = {}
    with grad_mode.set_grad_enabled(create_graph), hooks.phase("backward"):
        for node in reversed(_order(outputs, stop_at)):
            g = adjoints.pop(node, None)
            if g is None:
                continue
            leaf = type(node) is not Context
            if leaf or node in keep:
                results[node] = g
            if leaf or node in stop_at:  # nothing to look through, or the pass ends here
                continue
            for edge, shape, grad in zip(node.edges, node.input_shapes, _vjp(node, g, on_arrays)):
                if edge is None or grad is None:  # an input that needs no gradient
                    continue
                if grad.shape != shape:
                    raise _shape_error(node, grad, shape)
                previous = adjoints.get(edge)
                adjoints[edge] = grad if previous is None else previous + grad  # x̄ += VJP(ȳ)
            if not retain_graph:
                node.release()
    return results


def _order(outputs: Sequence[Tensor], stop_at: set) -> list:
    """Every node the outputs depend on (not looking behind ``stop_at``), inputs first."""
    roots = _Roots([_node_of(out) for out in outputs])
    if stop_at:
        return topological_sort(roots, parents=lambda node: () if node in stop_at else node.parents)[:-1]
    return topological_sort(roots, parents=_parents)[:-1]


def backward(
    outputs: Sequence[Tensor], gradients: Sequence[Any], retain_graph: bool = False, create_graph: bool = False
) -> None:
    """Accumulate d(outputs)/d(leaf) into ``leaf.grad`` for every leaf that requires grad."""
    adjoints = backpropagate(outputs, gradients, retain_graph or create_graph, create_graph)
    accumulate_into_leaves(adjoints, create_graph)


def accumulate_into_leaves(adjoints: dict, create_graph: bool) -> None:
    """Add each leaf tensor's adjoint to its ``.grad`` (PyTorch's accumulation)."""
    handed_out: set = set()
    for leaf, g in adjoints.items():
        if isinstance(leaf, Tensor):
            if not create_graph:
                g = _as_result(g)._without_graph()
                # A rule may return a broadcast view or the same array for two
                # inputs; .grad must be a writable array of its own.
                if id(g.data) in handed_out or not _owns_writable(g.data):
                    g = Tensor._wrap(g.data.copy())
                handed_out.add(id(g.data))
            leaf.grad = g if leaf.grad is None else leaf.grad + g


def _owns_writable(array: Any) -> bool:
    flags = array.flags
    return bool(flags.owndata) and bool(getattr(flags, "writeable", True))


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple:
    """The gradients of ``outputs`` with respect to ``inputs``, returned instead of accumulated.

    Like ``torch.autograd.grad``: nothing is written into ``.grad``. An input
    that the outputs do not depend on raises, unless ``allow_unused`` (then its
    gradient is ``None``).
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs)
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError(f"grad: an input of shape {t.shape} does not require grad")
    nodes = [_node_of(t) for t in inputs]
    retain = create_graph if retain_graph is None else retain_graph
    # A single input bounds the pass: nothing behind it is needed. (With several,
    # one may depend on another, and the pass must go on through it.)
    stop_at = set(nodes) if len(nodes) == 1 else None
    adjoints = backpropagate(outputs, grad_outputs, retain, create_graph, keep=set(nodes), stop_at=stop_at)
    result = []
    for t, node in zip(inputs, nodes):
        g = adjoints.get(node)
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: an input of shape {t.shape} was not used to compute the outputs "
                "(pass allow_unused=True to get None for it)"
            )
        result.append(g if g is None or create_graph else _as_result(g)._without_graph())
    return tuple(result)
