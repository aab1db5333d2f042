"""The digits file: identical to scikit-learn's copy, with the documented split."""

import numpy as np
import pytest
from elbo_lab import data

sklearn_datasets = pytest.importorskip("sklearn.datasets")


def test_digits_match_scikit_learn_exactly():
    X, y = data.load_digits()
    ref = sklearn_datasets.load_digits()
    np.testing.assert_array_equal(X * 16, ref.data)
    np.testing.assert_array_equal(y, ref.target)


def test_load_digits_shapes_types_and_grey_levels():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    k = X * data.N_LEVELS
    np.testing.assert_array_equal(k, np.round(k))  # 17 grey levels, k/16
    assert set(np.unique(y)) == set(range(10))


def test_split_is_the_documented_permutation():
    X, y = data.load_digits()
    X_train, y_train, X_test, y_test = data.load_split()
    assert X_train.shape == (1437, 64) and X_test.shape == (360, 64)
    perm = np.random.default_rng(0).permutation(1797)
    test_idx, train_idx = np.sort(perm[:360]), np.sort(perm[360:])
    np.testing.assert_array_equal(X_test, X[test_idx])
    np.testing.assert_array_equal(y_test, y[test_idx])
    np.testing.assert_array_equal(X_train, X[train_idx])
    np.testing.assert_array_equal(y_train, y[train_idx])
    assert np.intersect1d(test_idx, train_idx).size == 0
    assert set(np.unique(y_test)) == set(range(10))


def test_loaders_return_fresh_arrays():
    X, _ = data.load_digits()
    X[:] = -1.0
    X_again, _ = data.load_digits()
    assert X_again.min() == 0.0
