"""minitorch.data: the shipped data sets load offline, with the published shape and values."""

import numpy as np

from minitorch.data import IRIS_FEATURES, IRIS_SPECIES, load_iris


def test_iris_has_fishers_shape_labels_and_summary():
    X, y = load_iris()
    assert X.shape == (150, len(IRIS_FEATURES)) and X.dtype == np.float64
    assert y.shape == (150,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 50, 50] and len(IRIS_SPECIES) == 3
    assert np.all(np.diff(y) >= 0), "rows are in the published order, sorted by species"
    # Fisher's table: the means (cm) and the first and last rows.
    np.testing.assert_allclose(X.mean(axis=0), [5.843333, 3.057333, 3.758, 1.199333], atol=1e-6)
    assert X[0].tolist() == [5.1, 3.5, 1.4, 0.2] and X[-1].tolist() == [5.9, 3.0, 5.1, 1.8]
    # Fisher's values where the UCI copy differs (rows 35 and 38, counting from 1).
    assert X[34].tolist() == [4.9, 3.1, 1.5, 0.2] and X[37].tolist() == [4.9, 3.6, 1.4, 0.1]


def test_iris_arrays_are_fresh_on_every_call():
    X, y = load_iris()
    X[:] = 0.0
    y[:] = 7
    X2, y2 = load_iris()
    assert X2[0, 0] == 5.1 and y2[0] == 0
