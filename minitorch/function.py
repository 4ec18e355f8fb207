r"""Differentiable primitives: :class:`Function`, its :class:`Context`, and ``apply``.

A primitive is a subclass of :class:`Function` with three static methods:

* ``forward(ctx, *inputs)`` computes the output (an array or a Tensor) and
  saves what the derivative rules need with ``ctx.save_for_backward``;
* ``backward(ctx, *grad_outputs)`` is the **vector–Jacobian product**
  :math:`\bar x_i = \bar y^\top \partial y / \partial x_i`, one result per input
  (``None`` for inputs that are not differentiable);
* ``jvp(ctx, *tangents)`` (optional) is the **Jacobian–vector product**
  :math:`\dot y = \sum_i \partial y / \partial x_i \, \dot x_i` for forward mode.

Both rules are written with differentiable tensor operations, so the
derivative of a derivative is just another graph.
"""

from __future__ import annotations

from typing import Any

from . import grad_mode
from .tensor import Tensor


class Context:
    """What a primitive remembers between its forward and backward passes.

    A context is also a node of the graph: ``out.grad_fn`` is the context of
    the call that made ``out``, and ``edges[i]`` leads to where input i came
    from (its ``grad_fn``, or the input itself if it is a leaf that requires
    a gradient, or ``None``). The graph points at nodes, not at tensors, so an
    intermediate result's array is freed as soon as nothing else needs it:
    only what ``save_for_backward`` keeps stays alive for backward.
    """

    __slots__ = ("function", "edges", "needs_input_grad", "input_shapes", "_saved", "_saved_versions",
                 "released", "__dict__", "__weakref__")

    def __init__(self, function: type[Function], inputs: tuple, record: bool = True):
        self.function = function
        self.edges = tuple(
            (x.grad_fn or x) if record and isinstance(x, Tensor) and x.requires_grad else None for x in inputs
        )
        self.needs_input_grad = tuple(edge is not None for edge in self.edges)
        self.input_shapes = tuple(x.shape if isinstance(x, Tensor) else None for x in inputs)
        self._saved: tuple = ()
        self._saved_versions: tuple = ()
        self.released = False

    def __repr__(self) -> str:
        return f"<{self.name()}>"

    def name(self) -> str:
        """The name of the operation, as PyTorch prints it (``MulBackward``)."""
        return f"{self.function.__name__}Backward"

    @property
    def parents(self) -> tuple:
        """The nodes this one's inputs came from (what ``topological_sort`` follows)."""
        return tuple(edge for edge in self.edges if edge is not None)

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep tensors (or ``None``) for the derivative rules.

        Each tensor's version is recorded: if an in-place operation changes it
        before backward, ``saved_tensors`` raises instead of using wrong values.
        """
        self._saved = tensors
        self._saved_versions = tuple(t._version if isinstance(t, Tensor) else None for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to ``save_for_backward``, checked for modification."""
        if self.released:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time, but its saved "
                "tensors were freed by the first backward. Pass retain_graph=True to the first "
                "backward() if you need to go through the graph again."
            )
        for t, version in zip(self._saved, self._saved_versions):
            if isinstance(t, Tensor) and t._version != version:
                raise RuntimeError(
                    f"{self.name()}: a tensor of shape {t.shape} saved for backward was modified "
                    f"by an in-place operation (version {t._version}, expected {version})."
                )
        return self._saved

    def _held_tensors(self) -> list[Tensor]:
        # Rules may also keep constants (masks, signs) as attributes of ctx.
        held = [t for t in self._saved if isinstance(t, Tensor)]
        held += [t for t in self.__dict__.values() if isinstance(t, Tensor)]
        return held

    def release(self) -> None:
        """Free what was kept for backward (backward does this unless ``retain_graph``)."""
        self._saved = ()
        self._saved_versions = ()
        for name in [k for k, v in self.__dict__.items() if isinstance(v, Tensor)]:
            del self.__dict__[name]
        self.released = True

    def saved_bytes(self) -> int:
        """Bytes of the arrays this node holds for backward."""
        return sum(t.data.nbytes for t in self._held_tensors())


class Function:
    """Base class of every differentiable primitive; call ``MyFunction.apply(...)``."""

    @staticmethod
    def forward(ctx: Context, *inputs: Any) -> Any:
        raise TypeError(f"{ctx.function.__name__} must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx: Context, *grad_outputs: Tensor) -> Any:
        raise TypeError(f"{ctx.function.__name__} must define backward(ctx, *grad_outputs)")

    @staticmethod
    def jvp(ctx: Context, *tangents: Tensor | None) -> Tensor:
        raise TypeError(f"{ctx.function.__name__} defines no jvp(ctx, *tangents), so forward mode cannot go through it")

    @classmethod
    def apply(cls, *inputs: Any) -> Tensor:
        """Run ``forward`` and, when needed, record the call for backward and forward mode.

        ``forward`` runs with grad mode off: a primitive is one node of the
        graph, whatever operations it uses inside.
        """
        record = grad_mode.state.grad_enabled and any(isinstance(x, Tensor) and x.requires_grad for x in inputs)
        ctx = Context(cls, inputs, record)
        previous = grad_mode.state.grad_enabled
        grad_mode.state.grad_enabled = False
        try:
            result = cls.forward(ctx, *inputs)
        finally:
            grad_mode.state.grad_enabled = previous
        out = result if isinstance(result, Tensor) else Tensor._wrap(result)
        if grad_mode.state.forward_levels:
            _push_tangents(cls, ctx, inputs, out)
        if record:
            out.requires_grad = True
            out.grad_fn = ctx
        else:
            ctx.release()
        return out


def _push_tangents(cls: type[Function], ctx: Context, inputs: tuple, out: Tensor) -> None:
    """Forward mode: give ``out`` a tangent at every active level its inputs have one at."""
    for level in grad_mode.state.forward_levels:
        tangents = tuple(x._tangents.get(level) if isinstance(x, Tensor) and x._tangents else None for x in inputs)
        if all(t is None for t in tangents):
            continue
        # The tangent rule may read the primal inputs and output; they are
        # lent for this call only, so the graph never holds them.
        ctx.inputs, ctx.output = inputs, out
        try:
            with grad_mode.levels_below(level):
                tangent = cls.jvp(ctx, *tangents)
        finally:
            del ctx.inputs, ctx.output
        if out._tangents is None:
            out._tangents = {}
        out._tangents[level] = tangent
