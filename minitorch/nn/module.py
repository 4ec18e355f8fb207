r"""The :class:`Module`: a function with parameters, :math:`y = f_\theta(x)`.

A model is a tree of modules. Assigning a :class:`Parameter` or another
``Module`` as an attribute registers it, so that :meth:`Module.parameters`
can hand every :math:`\theta` of the tree to an optimizer without the model
listing them by hand. The bookkeeping follows PyTorch: registered values live
in ``_parameters`` and ``_modules`` (in assignment order, which makes the
order of ``parameters()`` deterministic) and are found by ``__getattr__``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import Any

import numpy

from .. import backend
from ..tensor import Tensor
from .parameter import Parameter


def _state_array(name: str, value: Any) -> Any:
    """A value of a state dict as an array: a tensor's own, a GPU array as it is, anything else through NumPy.

    Anything NumPy can convert is accepted (lists, arrays of other libraries
    that implement NumPy's array protocol); a value that is not numeric is an
    error naming its key.
    """
    if isinstance(value, Tensor):
        return value.data
    cupy = sys.modules.get("cupy")  # only an imported CuPy can have made a GPU array
    if isinstance(value, numpy.ndarray) or (cupy is not None and isinstance(value, cupy.ndarray)):
        return value
    try:
        array = numpy.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"load_state_dict: the value for '{name}' ({type(value).__name__}) cannot be converted to an array: {error}"
        ) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"load_state_dict: the value for '{name}' ({type(value).__name__}) is not numeric "
            f"(NumPy reads it as dtype {array.dtype})"
        )
    return array


class Module:
    """Base class of every layer and model; subclasses define ``forward``.

    Call ``super().__init__()`` first in a subclass's ``__init__``: the
    registries must exist before a parameter or sub-module is assigned.
    """

    _parameters: dict[str, Parameter]
    _modules: dict[str, Module]
    training: bool

    def __init__(self) -> None:
        # object.__setattr__: our own __setattr__ needs these to exist already.
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    # --- registration ---------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        registries = self.__dict__.get("_parameters"), self.__dict__.get("_modules")
        if isinstance(value, (Parameter, Module)) and registries[0] is None:
            raise AttributeError(
                f"cannot assign {type(value).__name__} '{name}' before Module.__init__() call "
                f"(call super().__init__() first in {type(self).__name__}.__init__)"
            )
        parameters, modules = registries
        # A name means one thing: drop it from the other places. Replacing a value of
        # the same kind keeps its position, so the order of parameters() stays put.
        if isinstance(value, Parameter):
            self.__dict__.pop(name, None)
            modules.pop(name, None)
            parameters[name] = value
        elif isinstance(value, Module):
            self.__dict__.pop(name, None)
            parameters.pop(name, None)
            modules[name] = value
        else:
            for registry in registries:
                if registry is not None:
                    registry.pop(name, None)
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails, i.e. for registered values.
        for registry in ("_parameters", "_modules"):
            values = self.__dict__.get(registry)
            if values is not None and name in values:
                return values[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._modules):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, value: Parameter) -> None:
        """Register ``value`` under ``name`` (same as ``setattr``; for names that are not identifiers)."""
        if not isinstance(value, Parameter):
            raise TypeError(f"register_parameter: expected a Parameter for '{name}', got {type(value).__name__}")
        setattr(self, name, value)

    def add_module(self, name: str, module: Module) -> None:
        """Register a sub-module under ``name`` (same as ``setattr``)."""
        if not isinstance(module, Module):
            raise TypeError(f"add_module: expected a Module for '{name}', got {type(module).__name__}")
        setattr(self, name, module)

    # --- traversal ------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every module below it, depth first, each once (even if shared)."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child}" if name else child, m) for child, m in module._modules.items()]
            stack.extend(reversed(children))  # reversed: pop() then visits them in assignment order

    def modules(self) -> Iterator[Module]:
        """This module and every module below it."""
        for _, module in self.named_modules():
            yield module

    def children(self) -> Iterator[Module]:
        """The direct sub-modules, in assignment order."""
        yield from self._modules.values()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` for every parameter of the tree, e.g. ``("0.weight", W)``.

        The order is deterministic (each module's own parameters in assignment
        order, modules depth first) and a parameter shared by several modules
        is listed once, under the first name it is reached by: an optimizer
        must not update it twice.
        """
        seen: set[int] = set()  # by identity: == on tensors is elementwise
        for module_name, module in self.named_modules(prefix):
            for name, p in module._parameters.items():
                if id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{module_name}.{name}" if module_name else name), p

    def parameters(self) -> Iterator[Parameter]:
        """Every parameter of the tree, each once, in the order of :meth:`named_parameters`."""
        for _, p in self.named_parameters():
            yield p

    # --- state ----------------------------------------------------------
    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``.grad = None``, PyTorch's default).

        ``backward`` *adds* into ``.grad``, so this runs before each step's backward.
        None rather than zeros: the next backward then stores its gradient
        instead of adding it to an array of zeros.
        """
        for p in self.parameters():
            p.grad = None

    def state_dict(self) -> dict[str, Tensor]:
        """Every parameter under its dotted name (``"0.weight"``), as PyTorch's ``state_dict``.

        The values are detached tensors that share the parameters' arrays: a
        snapshot needs a copy (``{k: v.numpy().copy() for k, v in ...}``), and
        ``numpy.savez(path, **{k: v.numpy() for k, v in model.state_dict().items()})``
        saves a model to disk.
        """
        return {name: p.detach() for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> tuple[list[str], list[str]]:
        """Copy ``state``'s values (tensors or arrays) into the parameters of the same names, in place.

        The parameters stay the same objects (an optimizer made earlier still
        holds them); values are converted to each parameter's dtype and device.
        Everything is checked before anything is copied, so on an error the
        model is unchanged: a shape mismatch always raises, and with ``strict``
        (the default) so do missing and unexpected names. Returns
        ``(missing, unexpected)``, the names found on one side only.
        """
        own = dict(self.named_parameters())
        missing = [name for name in own if name not in state]
        unexpected = [name for name in state if name not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing key(s) {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected key(s) {', '.join(unexpected)}")
        values = {}
        for name, p in own.items():
            if name in state:
                value = _state_array(name, state[name])
                if tuple(value.shape) != p.shape:
                    problems.append(
                        f"size mismatch for {name}: the state has shape {tuple(value.shape)}, "
                        f"the parameter has shape {p.shape}"
                    )
                values[name] = value
        if problems:
            raise RuntimeError(f"load_state_dict for {type(self).__name__}: " + "; ".join(problems))
        for name, value in values.items():
            p = own[name]
            p.data[...] = backend.to_device(value, p.device)
            p._modified_in_place()
        return missing, unexpected

    def to(self, device: str) -> Module:
        """Move every parameter (and its gradient) to ``device`` in place, as PyTorch's ``module.to``; returns self.

        The parameters stay the same objects, so references to them stay valid. An optimizer's state
        (momentum buffers, Adam's moments) is not moved: make the optimizer after the move, as in PyTorch.
        """
        backend.array_module(device)  # validates the name
        for p in self.parameters():
            p.data = backend.to_device(p.data, device)
            if p.grad is not None:
                p.grad = p.grad.detach().to(device)
        return self

    def train(self, mode: bool = True) -> Module:
        """Put the whole tree in training mode (or evaluation mode for ``mode=False``); returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode (``train(False)``): for layers that behave differently when not training."""
        return self.train(False)

    # --- calling --------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward(...)")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def extra_repr(self) -> str:
        """What ``repr`` shows inside the parentheses (layers override it)."""
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        if not lines:
            return f"{type(self).__name__}({self.extra_repr()})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"
