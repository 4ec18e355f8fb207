"""Every differentiable primitive of the tensor engine, and the functions that call them."""

from .elementwise import (abs, add, astype, compare, cos, div, exp, log, maximum, minimum, mul, neg, pow, relu,
                          sigmoid, sin, sqrt, sub, tanh, to_device, where)
from .linalg import matmul
from .reduce import log_softmax, logsumexp, max, mean, min, softmax, sum
from .shape import broadcast_to, concatenate, getitem, permute, reshape, stack, sum_to_shape, transpose

__all__ = [
    "abs", "add", "astype", "broadcast_to", "compare", "concatenate", "cos", "div", "exp", "getitem", "log",
    "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "neg", "permute",
    "pow", "relu", "reshape", "sigmoid", "sin", "softmax", "sqrt", "stack", "sub", "sum", "sum_to_shape", "tanh",
    "to_device", "transpose", "where",
]
