"""Small real data sets that ship with minitorch, so that examples and exercises train offline.

* :func:`load_iris` -- Fisher's iris flowers: 150 rows, 4 measurements in cm, 3 species (see ``README.md``).
"""

from __future__ import annotations

from pathlib import Path

import numpy

#: The species of :func:`load_iris`, in the order of their labels 0, 1, 2.
IRIS_SPECIES = ("setosa", "versicolor", "virginica")
IRIS_FEATURES = ("sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)")


def load_iris() -> tuple[numpy.ndarray, numpy.ndarray]:
    """Fisher's iris data as ``(X, y)``: ``X`` float64 of shape ``(150, 4)`` (the columns of
    :data:`IRIS_FEATURES`), ``y`` int64 of shape ``(150,)`` with labels 0, 1, 2 (:data:`IRIS_SPECIES`).

    The rows are sorted by species, 50 of each, as published: shuffle before splitting off a test set.
    Fresh arrays on every call (changing them changes nothing on disk).
    """
    table = numpy.loadtxt(Path(__file__).with_name("iris.csv"), delimiter=",", skiprows=1)
    return table[:, :4].copy(), table[:, 4].astype(numpy.int64)


__all__ = ["IRIS_FEATURES", "IRIS_SPECIES", "load_iris"]
