"""Neural-network building blocks in PyTorch's shape: modules, parameters, layers and losses.

* :class:`Module` -- a function with parameters; registers what is assigned to it.
* :class:`Parameter` -- a leaf tensor that requires grad and belongs to a module.
* :class:`Linear`, :class:`ReLU`, :class:`Sigmoid`, :class:`Tanh`, :class:`Sequential` -- layers.
* :mod:`minitorch.nn.functional` (``F``) -- the stateless math: ``linear``,
  activations, ``cross_entropy``, ``mse_loss``.
"""

from . import functional
from .layers import Linear, ReLU, Sequential, Sigmoid, Tanh
from .module import Module
from .parameter import Parameter

__all__ = ["Linear", "Module", "Parameter", "ReLU", "Sequential", "Sigmoid", "Tanh", "functional"]
