"""minitorch: a small, readable automatic-differentiation framework.

Scalar engines (:class:`Scalar` for reverse mode, :class:`Dual` for forward
mode) and a tensor engine (:class:`Tensor`) with PyTorch's object API and
JAX's functional API.
"""

# tensor first: it imports ops (which need Function) once the Tensor class exists.
from .tensor import Tensor  # isort: skip
from . import cuda, hooks, nn, numerical, optim
from .backend import cuda_available
from .backprop import grad as autograd_grad
from .checkpoint import checkpoint, checkpoint_sequential
from .creation import arange, eye, manual_seed, ones, ones_like, rand, randn, tensor, zeros, zeros_like
from .dual import Dual, derivative
from .function import Context, Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import gradcheck
from .graph import topological_sort
from .memory import MemoryReport, profile_memory
from .numerical import central_difference
from .ops import (
    abs,
    broadcast_to,
    concatenate,
    cos,
    exp,
    flatten,
    log,
    log_softmax,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    permute,
    relu,
    reshape,
    sigmoid,
    sin,
    softmax,
    sqrt,
    squeeze,
    stack,
    sum,
    tanh,
    transpose,
    unsqueeze,
    where,
)
from .scalar import Scalar
from .subgradients import set_default_subgradient_policy, subgradient_policy
from .transforms import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp

__all__ = [name for name in dir() if not name.startswith("_")]
