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

``apply`` and :class:`Context` hold only the contract: record the inputs,
save what backward needs, check versions. Tools (the memory profiler,
gradcheck's kink watch) are not read here; they observe the calls through
:mod:`minitorch.hooks`.
"""

from __future__ import annotations

from typing import Any

from . import grad_mode
from .hooks import active, announce
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

    __slots__ = (
        "function",
        "edges",
        "parents",
        "needs_input_grad",
        "input_shapes",
        "_saved",
        "_saved_versions",
        "released",
        "__dict__",
        "__weakref__",
    )

    def __init__(self, function: type[Function], inputs: tuple, record: bool = True):
        self.function = function
        # One pass over the inputs (this runs once per recorded operation).
        edges, parents, needs, shapes = [], [], [], []
        for x in inputs:
            edge = None
            if isinstance(x, Tensor):
                shapes.append(x.data.shape)
                if record and x.requires_grad:
                    edge = x.grad_fn or x
                    parents.append(edge)  # the nodes the inputs came from: what topological_sort follows
            else:
                shapes.append(None)
            edges.append(edge)
            needs.append(edge is not None)
        self.edges = tuple(edges)
        self.parents = tuple(parents)
        self.needs_input_grad = tuple(needs)
        self.input_shapes = tuple(shapes)
        self._saved: tuple = ()
        self._saved_versions: tuple = ()
        self.released = False

    def __repr__(self) -> str:
        return f"<{self.name()}>"

    def name(self) -> str:
        """The name of the operation, as PyTorch prints it (``MulBackward``)."""
        return f"{self.function.__name__}Backward"

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep tensors (or ``None``) for the derivative rules.

        Each tensor's version is recorded: if an in-place operation changes it
        before backward, ``saved_tensors`` raises instead of using wrong values.
        """
        self._saved = tensors
        versions = []  # a plain loop: for a tuple this short it is faster than a comprehension
        for t in tensors:
            versions.append(t._version if isinstance(t, Tensor) else None)
        self._saved_versions = tuple(versions)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to ``save_for_backward``, checked for modification."""
        return self._unpack(False)

    def saved_arrays(self) -> tuple:
        """The arrays of the saved tensors (``None`` stays ``None``), checked for modification.

        The engine hands these to a built-in rule when the backward pass is
        not recorded (see :class:`ArrayFunction`).
        """
        return self._unpack(True)

    def _unpack(self, as_arrays: bool) -> tuple:
        if self.released:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time, but the first "
                "backward freed it. Pass retain_graph=True to the first "
                "backward() if you need to go through the graph again."
            )
        saved = []  # a plain loop: for a tuple this short it is faster than a generator
        for t, version in zip(self._saved, self._saved_versions):
            if version is not None:  # a tensor (or this node's output): check it was not modified
                current = t.version_counter.value if type(t) is _SavedOutput else t._version
                if current != version:
                    raise RuntimeError(
                        f"{self.name()}: a tensor of shape {t.data.shape} saved for backward was modified "
                        f"by an in-place operation (version {current}, expected {version})."
                    )
                if as_arrays:
                    t = t.data
                elif type(t) is _SavedOutput:
                    t = t.tensor(self)
            saved.append(t)
        return tuple(saved)

    def release(self) -> None:
        """Free what was kept for backward (backward does this unless ``retain_graph``)."""
        self._saved = ()
        self._saved_versions = ()
        if self.__dict__:
            for name in [k for k, v in self.__dict__.items() if _holds_array(v)]:
                del self.__dict__[name]
        self.released = True
        if active.observers:
            announce("release", self)


class _SavedOutput:
    """A node's own output, kept for its backward pass without a reference cycle.

    Holding the output tensor itself would make ``out -> grad_fn -> out`` a
    cycle that only the garbage collector can free. Instead the node keeps the
    array and the memory's version counter (to notice in-place changes through
    any view, even after the tensor is gone), and rebuilds an equivalent
    tensor, with itself as ``grad_fn``.
    """

    __slots__ = ("data", "version_counter", "tangents")

    def __init__(self, out: Tensor):
        self.data = out.data
        self.version_counter = out._shared_version_counter()
        self.tangents = out._tangents  # forward mode may run through this backward pass

    def tensor(self, node: Context) -> Tensor:
        t = Tensor._wrap(self.data)
        t.requires_grad = True
        t.grad_fn = node
        t._tangents = self.tangents
        return t


def _holds_array(value: Any) -> bool:
    return isinstance(value, Tensor) or (hasattr(value, "nbytes") and hasattr(value, "shape"))


def held_arrays(node: Context) -> list:
    """The arrays a node keeps for backward: what it saved, and arrays its rules keep as attributes (masks, signs)."""
    held = [t.data for t in node._saved if isinstance(t, (Tensor, _SavedOutput))]
    held += [v.data if isinstance(v, Tensor) else v for v in node.__dict__.values() if _holds_array(v)]
    return held


class Function:
    """Base class of every differentiable primitive; call ``MyFunction.apply(...)``.

    ``backward`` and ``jvp`` receive and return tensors. (Built-in primitives
    derive from :class:`ArrayFunction` instead, whose rules also run on arrays.)
    """

    backward_on_arrays = False
    # Primitives that are not differentiable everywhere say how close a call
    # came to a kink: kink_distance(*inputs) -> float (gradcheck's observer reads it).
    kink_distance = None
    # A wrapper runs other operations inside its forward (checkpointing): it
    # is always recorded while grad mode is on, and is not itself forward work.
    is_wrapper = False

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
        """Run ``forward``; record the call as a node when an input requires grad; push tangents.

        ``forward`` runs with grad mode off: a primitive is one node of the
        graph, whatever operations it uses inside.
        """
        if active.observers:
            announce("call", cls, inputs)
        state = grad_mode.state
        record = state.grad_enabled and (cls.is_wrapper or _any_requires_grad(inputs))
        if not record and not state.forward_levels and cls.backward_on_arrays:
            # Nothing to remember: no node (the path of every rule during an unrecorded backward pass).
            result = cls.forward(_Scratch(len(inputs)), *inputs)
            return result if isinstance(result, Tensor) else Tensor._wrap(result)
        ctx = Context(cls, inputs, record)
        enabled, state.grad_enabled = state.grad_enabled, False  # by hand, not no_grad(): this path is hot
        try:
            result = cls.forward(ctx, *inputs)
        finally:
            state.grad_enabled = enabled
        out = result if isinstance(result, Tensor) else Tensor._wrap(result)
        if record:
            out.requires_grad = True
            out.grad_fn = ctx
        if state.forward_levels:
            _push_tangents(cls, ctx, inputs, out)  # after recording: tangents may be differentiated too
        if not record:
            ctx.release()
            return out
        if result is out and ctx._saved:  # forward may have saved its own output: keep it without a cycle
            saved = []
            for t in ctx._saved:
                saved.append(_SavedOutput(t) if t is out else t)
            ctx._saved = tuple(saved)
        if active.observers:
            announce("record", ctx)
        return out


def _any_requires_grad(inputs: tuple) -> bool:
    for x in inputs:
        if isinstance(x, Tensor) and x.requires_grad:
            return True
    return False


class ArrayFunction(Function):
    """A built-in primitive whose ``backward`` also runs on plain arrays.

    Its rules use only operators, methods that arrays share with tensors
    (``.reshape``, ``.sum``, ``.T``) and primitives' ``of`` (``Exp.of(x)``),
    which accept both. When the backward pass is not recorded (no
    ``create_graph``), the engine hands them arrays: the same rule, without
    the bookkeeping of tensors. When it is recorded, they get tensors and
    build a differentiable graph.
    """

    backward_on_arrays = True

    @classmethod
    def of(cls, x: Any, *parameters: Any) -> Any:
        """``apply`` on a tensor; on an array (a rule running unrecorded), the forward computation alone.

        For primitives of one operand ``x`` and non-tensor ``parameters``
        (a shape, an index); others override it.
        """
        if isinstance(x, Tensor):
            return cls.apply(x, *parameters)
        result = cls.forward(_Scratch(1 + len(parameters)), Tensor._wrap(x), *parameters)
        return result.data if isinstance(result, Tensor) else result


class _Scratch:
    """A stand-in context for calls that record nothing: it remembers nothing."""

    _none_needed = [(False,) * n for n in range(16)]

    def __init__(self, count: int):
        self.needs_input_grad = self._none_needed[count] if count < 16 else (False,) * count

    def save_for_backward(self, *tensors: Any) -> None:
        pass


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
