"""The :class:`Tensor`: an array plus what reverse and forward mode need.

A tensor holds its numbers in ``data`` (a NumPy or CuPy array, see
:mod:`minitorch.backend`). If it was computed by a recorded operation,
``grad_fn`` is that operation's node; leaves that ``requires_grad`` receive
``.grad`` from :meth:`Tensor.backward`. All arithmetic lives in
:mod:`minitorch.ops`; the methods here only forward to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy

from . import backend, grad_mode


class VersionCounter:
    """How many times one block of memory has been written in place.

    Every tensor that shares the block (a reshape or basic slice of it, its
    ``.T``, ``detach()``, ``broadcast_to``) holds the same counter, as in
    PyTorch: a write through any of them is seen by a graph that saved any
    other, which then refuses to backpropagate with the new values.
    """

    # Class-level defaults instead of an __init__: a node that saves its output makes a counter on every
    # call, and this makes that allocation about twice as cheap.
    value = 0
    shared = False  # whether more than one tensor holds this counter


class Tensor:
    """An n-dimensional array that can record how it was computed."""

    __slots__ = ("data", "requires_grad", "grad", "grad_fn", "_version_counter", "_tangents", "__weakref__")
    __array_priority__ = 1000  # numpy_array * tensor must call Tensor.__rmul__

    def __init__(self, data: Any, requires_grad: bool = False):
        if isinstance(data, Tensor):
            raise TypeError("Tensor(...) got a Tensor; use minitorch.tensor(t) to copy, or t.detach()")
        self.data = data
        self.requires_grad = False
        self.grad: Tensor | None = None
        self.grad_fn = None
        self._version_counter: VersionCounter | None = None  # made when first needed
        self._tangents: dict | None = None
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, array: Any) -> Tensor:
        """A constant tensor around an array (the fast path used by every primitive)."""
        t = cls.__new__(cls)
        # NumPy returns scalars, not 0-d arrays, from operations on 0-d arrays.
        t.data = numpy.asarray(array) if isinstance(array, numpy.generic) else array
        t.requires_grad = False
        t.grad = None
        t.grad_fn = None
        t._version_counter = None
        t._tangents = None
        return t

    # Identity, not value, decides equality of graph nodes; == is elementwise.
    __hash__ = object.__hash__

    # --- properties -----------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> Any:
        return self.data.dtype

    @property
    def device(self) -> str:
        return backend.device_of(self.data)

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded operation (PyTorch's definition)."""
        return self.grad_fn is None

    @property
    def parents(self) -> tuple:
        """A leaf has no parents in the graph (contexts provide the edges)."""
        return ()

    @property
    def T(self) -> Tensor:
        """The transpose (all axes reversed)."""
        return ops.transpose(self)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor (a tensor of shape () has no length; use .item() for its value)")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        """The sub-tensors along the first axis (rows of a matrix), as ``t[0], t[1], ...``."""
        if self.data.ndim == 0:
            raise TypeError(
                "iteration over a 0-d tensor (a tensor of shape () has no elements to iterate; "
                "use .item() for its value)"
            )
        return (self[i] for i in range(len(self.data)))  # checked above at once, not at the first next()

    def __repr__(self) -> str:
        body = repr(backend.to_device(self.data, "cpu")).replace("array(", "tensor(", 1)
        extras = []
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if extras:
            body = body[:-1] + ", " + ", ".join(extras) + ")"
        return body

    # --- conversion -----------------------------------------------------
    def numpy(self) -> Any:
        """The values as a NumPy array (copied to the host if on a GPU)."""
        if self.requires_grad:
            raise RuntimeError("numpy(): the tensor requires grad; call .detach().numpy() instead")
        return backend.to_device(self.data, "cpu")

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item(): only one-element tensors convert to a number, got shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        return backend.to_device(self.data, "cpu").tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.data)

    def to(self, device: str) -> Tensor:
        """This tensor on ``device``; differentiable (the gradient goes back to where it came from)."""
        backend.array_module(device)  # validates the name
        if device == self.device:
            return self
        return ops.to_device(self, device)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def astype(self, dtype: Any) -> Tensor:
        """A copy with another dtype (differentiable between floating types)."""
        return ops.astype(self, dtype)

    # --- autograd -------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Mark a leaf as a variable to differentiate with respect to."""
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_(False): only leaves can stop requiring grad; use detach()")
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(f"requires_grad: only floating-point tensors can require grad, got dtype {self.dtype}")
        self.requires_grad = requires_grad
        return self

    def detach(self) -> Tensor:
        """The same values, cut from the graph (shares memory and its version counter, like PyTorch)."""
        return Tensor._wrap(self.data)._alias_of(self)

    def _without_graph(self) -> Tensor:
        """Cut from the reverse-mode graph but keep forward-mode tangents (for nested transforms)."""
        if self.grad_fn is None and not self.requires_grad:
            return self
        t = Tensor._wrap(self.data)._alias_of(self)
        t._tangents = self._tangents
        return t

    def backward(self, gradient: Tensor | None = None, retain_graph: bool = False, create_graph: bool = False) -> None:
        """Accumulate the gradient of this tensor into ``.grad`` of every leaf it depends on.

        For a non-scalar tensor pass ``gradient`` (the vector of the
        vector–Jacobian product). The graph's saved tensors are freed unless
        ``retain_graph``; ``create_graph`` records the backward pass itself so
        that the gradients can be differentiated again.
        """
        from .backprop import backward

        backward([self], [gradient], retain_graph=retain_graph, create_graph=create_graph)

    def zero_grad_(self) -> None:
        """Forget the accumulated gradient (``.grad`` becomes None)."""
        self.grad = None

    # --- in-place writes: one version counter per block of memory ----------------------------------
    def _shared_version_counter(self) -> VersionCounter:
        """This tensor's version counter (made on first use: most tensors are never written in place)."""
        counter = self._version_counter
        if counter is None:
            counter = self._version_counter = VersionCounter()
        return counter

    def _alias_of(self, other: Tensor) -> Tensor:
        """Make this tensor, which shares ``other``'s memory, share its version counter too; returns self."""
        counter = other._shared_version_counter()
        counter.shared = True
        self._version_counter = counter
        return self

    @property
    def _version(self) -> int:
        """How many in-place writes the memory of this tensor has seen, through it or any view of it."""
        counter = self._version_counter
        return 0 if counter is None else counter.value

    @_version.setter
    def _version(self, value: int) -> None:
        self._shared_version_counter().value = value

    def _modified_in_place(self) -> None:
        # Called by whatever overwrites ``data`` in place (in-place ReLU and arithmetic, optimizers,
        # load_state_dict): a graph that saved this tensor, or any view of its memory, then refuses to
        # backpropagate with the new values.
        self._shared_version_counter().value += 1

    # --- arithmetic: see minitorch.ops ------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.div(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return ops.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return ops.pow(other, self)

    # In-place arithmetic writes into this tensor's own memory, so every view of it sees the new values.
    def __iadd__(self, other: Any) -> Tensor:
        return self._in_place("+=", ops.add, other)

    def __isub__(self, other: Any) -> Tensor:
        return self._in_place("-=", ops.sub, other)

    def __imul__(self, other: Any) -> Tensor:
        return self._in_place("*=", ops.mul, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._in_place("/=", ops.div, other)

    def __ipow__(self, other: Any) -> Tensor:
        return self._in_place("**=", ops.pow, other)

    def _in_place(self, operation: str, function: Callable[[Any, Any], Tensor], other: Any) -> Tensor:
        """``self = function(self, other)`` written into this tensor's memory, with PyTorch's semantics.

        Inside ``no_grad()`` only the values change: ``w -= lr * w.grad``
        leaves ``w`` a leaf that requires grad (the hand-written SGD step).
        While gradients are recorded the write is a node of the graph and
        becomes this tensor's ``grad_fn``; it is refused on a leaf that
        requires grad. Either way the shared version counter goes up, so a
        graph that saved the old values refuses to backpropagate.
        """
        recorded = grad_mode.state.grad_enabled and (
            self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)
        )
        ops.common.check_in_place_write(operation, self, recorded)
        result = function(self, other)
        if result.shape != self.shape:
            raise ValueError(
                f"{operation}: the result has shape {result.shape}, which does not fit in place into "
                f"a tensor of shape {self.shape}"
            )
        if not numpy.can_cast(result.dtype, self.dtype, casting="same_kind"):
            raise TypeError(
                f"{operation}: the result has dtype {result.dtype}, which cannot be written into a "
                f"tensor of dtype {self.dtype}"
            )
        result = ops.astype(result, self.dtype)  # float64 into float32: the gradient converts back
        self.data[...] = result.data
        self._modified_in_place()
        if result.grad_fn is not None:
            self.grad_fn, self.requires_grad = result.grad_fn, True
        if result._tangents:
            self._tangents = result._tangents
        return self

    def __matmul__(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return ops.neg(self)

    def __abs__(self) -> Tensor:
        return ops.abs(self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, index)

    # Comparisons give constant boolean tensors (they have no derivative).
    def __lt__(self, other: Any) -> Tensor:
        return ops.compare("less", self, other)

    def __le__(self, other: Any) -> Tensor:
        return ops.compare("less_equal", self, other)

    def __gt__(self, other: Any) -> Tensor:
        return ops.compare("greater", self, other)

    def __ge__(self, other: Any) -> Tensor:
        return ops.compare("greater_equal", self, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.compare("equal", self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.compare("not_equal", self, other)

    def exp(self) -> Tensor:
        return ops.exp(self)

    def log(self) -> Tensor:
        return ops.log(self)

    def sqrt(self) -> Tensor:
        return ops.sqrt(self)

    def sin(self) -> Tensor:
        return ops.sin(self)

    def cos(self) -> Tensor:
        return ops.cos(self)

    def tanh(self) -> Tensor:
        return ops.tanh(self)

    def sigmoid(self) -> Tensor:
        return ops.sigmoid(self)

    def relu(self) -> Tensor:
        return ops.relu(self)

    def abs(self) -> Tensor:
        return ops.abs(self)

    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return ops.sum(self, axis, keepdims)

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return ops.mean(self, axis, keepdims)

    def max(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return ops.max(self, axis, keepdims)

    def min(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return ops.min(self, axis, keepdims)

    def logsumexp(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return ops.logsumexp(self, axis, keepdims)

    def softmax(self, axis: int = -1) -> Tensor:
        return ops.softmax(self, axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return ops.log_softmax(self, axis)

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.reshape(self, shape)

    def transpose(self, *axes: Any) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return ops.transpose(self, axes or None)

    def permute(self, *axes: int) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return ops.transpose(self, axes)

    def flatten(self, start_axis: int = 0, end_axis: int = -1) -> Tensor:
        return ops.flatten(self, start_axis, end_axis)

    def squeeze(self, axis: int | None = None) -> Tensor:
        return ops.squeeze(self, axis)

    def unsqueeze(self, axis: int) -> Tensor:
        return ops.unsqueeze(self, axis)

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        return ops.broadcast_to(self, tuple(shape))


from . import ops  # noqa: E402  (ops needs Tensor, Tensor's methods need ops)
