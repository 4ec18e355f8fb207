"""minitorch: a small, readable automatic-differentiation framework."""

from .dual import Dual, derivative
from .graph import topological_sort
from .numerical import central_difference
from .scalar import Scalar

__all__ = ["Dual", "Scalar", "central_difference", "derivative", "topological_sort"]
