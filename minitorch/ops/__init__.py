"""Every differentiable primitive of the tensor engine, and the functions that call them."""

from .arithmetic import add, compare, div, maximum, minimum, mul, pow, sub, where
from .elementwise import abs, astype, cos, exp, log, neg, relu, sigmoid, sin, sqrt, tanh, to_device
from .linalg import matmul
from .reduce import log_softmax, logsumexp, max, mean, min, softmax, sum
from .shape import (broadcast_to, concatenate, flatten, getitem, permute, reshape, squeeze, stack, sum_to_shape,
                    transpose, unsqueeze)

__all__ = [
    "abs", "add", "astype", "broadcast_to", "compare", "concatenate", "cos", "div", "exp", "flatten", "getitem",
    "log", "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "neg",
    "permute", "pow", "relu", "reshape", "sigmoid", "sin", "softmax", "sqrt", "squeeze", "stack", "sub", "sum",
    "sum_to_shape", "tanh", "to_device", "transpose", "unsqueeze", "where",
]
