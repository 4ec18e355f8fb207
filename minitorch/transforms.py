r"""JAX-style function transformations: ``grad``, ``value_and_grad``, ``vjp``, ``jvp``,
``jacobian``, ``hessian`` and ``hvp``.

Each takes a Python function of tensors and returns a new function (or its
values). They are thin layers over the two engines: reverse mode
(:mod:`minitorch.backprop`) for ``grad`` and ``vjp``, forward mode (tangents
pushed by every primitive's ``jvp``) for ``jvp``. Because the derivative
rules are themselves differentiable, the transformations compose:
``grad(grad(f))``, ``jvp(grad(f), ...)`` (forward-over-reverse) and so on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import backend, grad_mode
from .backprop import backpropagate
from .creation import tensor
from .function import ArrayFunction, Context
from .ops import reshape, stack
from .tensor import Tensor

Argnums = int | Sequence[int]


class _Alias(ArrayFunction):
    """The identity, as a node of its own: it gives each argument a fresh place in the graph."""

    @staticmethod
    def forward(ctx: Context, x: Tensor) -> Any:
        return x.data

    @staticmethod
    def backward(ctx: Context, g: Tensor) -> Tensor:
        return g

    @staticmethod
    def jvp(ctx: Context, t: Tensor) -> Tensor:
        return t


def _as_tensor(x: Any, name: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    try:
        return tensor(x)
    except TypeError:
        raise TypeError(f"{name}: arguments must be Tensors, arrays or numbers, got {type(x).__name__}") from None


def _one_per_argument(values: Any, what: str, name: str) -> list:
    """``primals`` or ``tangents`` as a list, one entry per argument of f (JAX's convention).

    A bare tensor is refused: iterating it would silently give its rows.
    """
    if not isinstance(values, (list, tuple)):
        raise TypeError(
            f"{name}: {what} must be a tuple or list with one entry per argument of f, got "
            f"{type(values).__name__}; for a function of one argument write {name}(f, (x,), (v,))"
        )
    return list(values)


def _is_array_like(x: Any) -> bool:
    return isinstance(x, float) or hasattr(x, "__array_interface__") or hasattr(x, "__cuda_array_interface__")


def _differentiable_copy(x: Tensor, name: str) -> Tensor:
    """A version of ``x`` to differentiate with respect to, without touching ``x`` itself."""
    if x.dtype.kind not in "fc":
        raise TypeError(f"{name}: can only differentiate with respect to floating-point tensors, got dtype {x.dtype}")
    if x.requires_grad:
        with grad_mode.enable_grad():
            return _Alias.apply(x)  # stays connected to an outer reverse-mode transformation
    copy = Tensor._wrap(x.data).requires_grad_()
    copy._tangents = dict(x._tangents) if x._tangents else None  # and to an outer jvp
    return copy


def _pullback(
    out: Tensor, inputs: list[Tensor], cotangent: Tensor | None, retain_graph: bool, create_graph: bool
) -> tuple:
    """The VJP of ``out`` with respect to ``inputs``, zeros for inputs it does not use.

    Each input is a fresh node of this transformation (:func:`_differentiable_copy`),
    so the inputs are independent of each other and the backward pass ends at them.
    """
    if not out.requires_grad:
        return tuple(_zeros_like(x) for x in inputs)
    nodes = [x.grad_fn or x for x in inputs]
    adjoints = backpropagate([out], [cotangent], retain_graph, create_graph, keep=set(nodes), stop_at=set(nodes))
    grads = []
    for x, node in zip(inputs, nodes):
        g = adjoints.get(node)
        if g is None:
            grads.append(_zeros_like(x))
        else:
            g = g if isinstance(g, Tensor) else Tensor._wrap(g)
            grads.append(g if create_graph else g._without_graph())
    return tuple(grads)


def _zeros_like(x: Tensor) -> Tensor:
    return Tensor._wrap(backend.namespace_of(x.data).zeros_like(x.data))


def _argnums(argnums: Argnums, count: int, name: str) -> tuple[int, ...]:
    numbers = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for n in numbers:
        if not -count <= n < count:
            raise ValueError(f"{name}: argnums {n} is out of range for a function called with {count} argument(s)")
    return tuple(n % count for n in numbers)


def value_and_grad(f: Callable[..., Tensor], argnums: Argnums = 0) -> Callable[..., tuple[Tensor, Any]]:
    r"""A function returning :math:`(f(x), \nabla f(x))`; ``f`` must return one number.

    With a tuple ``argnums`` the gradient is a tuple, one per argument.
    """

    def wrapped(*args: Any) -> tuple[Tensor, Any]:
        chosen = _argnums(argnums, len(args), "grad")
        # Differentiated arguments and other arrays become tensors; anything
        # else (an int step count, a list, a callable) passes through as it is.
        args = [_as_tensor(a, "grad") if i in chosen or _is_array_like(a) else a for i, a in enumerate(args)]
        # If an outer transformation may differentiate this gradient again
        # (it watches an argument, or encloses this call), record the backward pass.
        nested = any(isinstance(a, Tensor) and a.requires_grad for a in args)
        for i in chosen:
            args[i] = _differentiable_copy(args[i], "grad")
        nested = nested or grad_mode.inside("reverse")
        with grad_mode.enable_grad(), grad_mode.level("reverse"):
            out = f(*args)
        if not isinstance(out, Tensor) or out.data.size != 1:
            shape = out.shape if isinstance(out, Tensor) else type(out).__name__
            raise TypeError(f"grad: f must return a single-element Tensor, got {shape}")
        grads = _pullback(out, [args[i] for i in chosen], None, retain_graph=nested, create_graph=nested)
        value = out if nested else out._without_graph()
        return value, grads[0] if isinstance(argnums, int) else grads

    return wrapped


def grad(f: Callable[..., Tensor], argnums: Argnums = 0) -> Callable[..., Any]:
    r"""The gradient function :math:`x \mapsto \nabla f(x)` of a scalar-valued ``f``.

    ``grad(grad(f))`` is the second derivative of a function of one variable.
    """
    value_and_gradient = value_and_grad(f, argnums)

    def wrapped(*args: Any) -> Any:
        return value_and_gradient(*args)[1]

    return wrapped


def vjp(f: Callable[..., Tensor], *primals: Any) -> tuple[Tensor, Callable[[Any], tuple]]:
    r"""Evaluate ``f`` and return ``(out, vjp_fn)`` with
    :math:`\texttt{vjp\_fn}(\bar y) = (\bar y^\top \partial f/\partial x_1, \dots)`.

    ``vjp_fn`` may be called many times (the graph is kept).
    """
    primals = [_as_tensor(p, "vjp") for p in primals]
    nested = any(p.requires_grad for p in primals)
    inputs = [_differentiable_copy(p, "vjp") for p in primals]
    nested = nested or grad_mode.inside("reverse")
    with grad_mode.enable_grad(), grad_mode.level("reverse"):
        out = f(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"vjp: f must return a Tensor, got {type(out).__name__}")

    def vjp_fn(cotangent: Any) -> tuple:
        cotangent = _as_tensor(cotangent, "vjp")
        if cotangent.shape != out.shape:
            raise ValueError(f"vjp: the cotangent has shape {cotangent.shape} but f's output has shape {out.shape}")
        if cotangent.dtype != out.dtype:
            # As jvp does for tangents: a float64 cotangent must not turn float32 gradients into float64.
            cotangent = cotangent.astype(out.dtype)
        return _pullback(out, inputs, cotangent, retain_graph=True, create_graph=nested or cotangent.requires_grad)

    return (out if nested else out._without_graph()), vjp_fn


def jvp(f: Callable[..., Tensor], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Tensor, Tensor]:
    r"""``(f(x), J_f(x) v)`` by forward mode: one pass that carries tangents along.

    ``primals`` and ``tangents`` are sequences of the same length and shapes.
    """
    primals = [_as_tensor(p, "jvp") for p in _one_per_argument(primals, "primals", "jvp")]
    tangents = [_as_tensor(t, "jvp") for t in _one_per_argument(tangents, "tangents", "jvp")]
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: got {len(primals)} primal(s) but {len(tangents)} tangent(s)")
    for p, t in zip(primals, tangents):
        if p.shape != t.shape:
            raise ValueError(f"jvp: a tangent of shape {t.shape} was given for a primal of shape {p.shape}")
    with grad_mode.level("forward") as level:
        inputs = []
        for p, t in zip(primals, tangents):
            with grad_mode.enable_grad():
                x = _Alias.apply(p)  # a fresh tensor, so the caller's p is not marked
            x._tangents = dict(p._tangents or {})
            x._tangents[level] = t.astype(p.dtype) if t.dtype != p.dtype else t
            inputs.append(x)
        out = f(*inputs)
        if not isinstance(out, Tensor):
            raise TypeError(f"jvp: f must return a Tensor, got {type(out).__name__}")
        tangent_out = (out._tangents or {}).pop(level, None)
    if tangent_out is None:
        tangent_out = _zeros_like(out)
    return out, tangent_out


def jacobian(f: Callable[..., Tensor], argnums: int = 0, mode: str = "auto") -> Callable[..., Tensor]:
    r"""The Jacobian function of ``f`` with respect to argument ``argnums``.

    The result has shape ``out.shape + x.shape``. Forward mode builds it a
    column at a time (one JVP per input element), reverse mode a row at a
    time (one VJP per output element); ``mode="auto"`` picks whichever needs
    fewer passes, as ``jax.jacfwd``/``jax.jacrev`` would be chosen by hand.
    """
    if mode not in ("auto", "forward", "reverse"):
        raise ValueError(f"jacobian: mode must be 'auto', 'forward' or 'reverse', got {mode!r}")

    def wrapped(*args: Any) -> Tensor:
        (index,) = _argnums(argnums, len(args), "jacobian")
        args = [_as_tensor(a, "jacobian") for a in args]
        x = args[index]

        def g(arg: Tensor) -> Tensor:
            return f(*args[:index], arg, *args[index + 1 :])

        xp = backend.namespace_of(x.data)
        with grad_mode.no_grad():
            probe = g(Tensor._wrap(x.data))
        if not isinstance(probe, Tensor):
            raise TypeError(
                f"jacobian: f must return a Tensor, got {type(probe).__name__} (a plain number "
                "does not depend on the input; return minitorch.tensor(...) for a constant)"
            )
        out_shape = probe.shape
        n_in, n_out = x.data.size, max(1, int(xp.prod(xp.asarray(out_shape))) if out_shape else 1)
        use_forward = mode == "forward" or (mode == "auto" and n_in <= n_out)
        if use_forward:
            columns = []
            for j in range(n_in):
                basis = xp.zeros(n_in, dtype=x.dtype)
                basis[j] = 1
                columns.append(reshape(jvp(g, [x], [Tensor._wrap(basis.reshape(x.shape))])[1], (-1,)))
            flat = stack(columns, axis=1)  # (n_out, n_in)
        else:
            out, pullback = vjp(g, x)
            rows = []
            for i in range(n_out):
                basis = xp.zeros(n_out, dtype=out.dtype)
                basis[i] = 1
                rows.append(reshape(pullback(Tensor._wrap(basis.reshape(out.shape)))[0], (-1,)))
            flat = stack(rows, axis=0)
        return reshape(flat, tuple(out_shape) + x.shape)

    return wrapped


def hessian(f: Callable[..., Tensor], argnums: int = 0) -> Callable[..., Tensor]:
    r"""The Hessian :math:`\nabla^2 f` of a scalar ``f``: the Jacobian of the gradient,
    built by forward-over-reverse (one JVP of ``grad(f)`` per input element)."""
    return jacobian(grad(f, argnums), argnums, mode="forward")


def hvp(f: Callable[..., Tensor], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Tensor, Tensor]:
    r"""``(∇f(x), ∇²f(x) v)`` by forward-over-reverse, without forming the Hessian.

    Pushing a tangent :math:`v` through the gradient computation gives
    :math:`\frac{d}{d\epsilon}\nabla f(x + \epsilon v) = \nabla^2 f(x)\,v` at the cost
    of a few gradient evaluations. ``f`` takes one argument.
    """
    primals, tangents = _one_per_argument(primals, "primals", "hvp"), _one_per_argument(tangents, "tangents", "hvp")
    if len(primals) != 1:
        raise ValueError(f"hvp: f must take exactly one argument, got {len(primals)} primal(s)")
    return jvp(grad(f), primals, tangents)
