"""The digits file: identical to scikit-learn's copy, binarised at half ink, with the documented split."""

import numpy as np
import pytest

from elbo_lab import data

sklearn_datasets = pytest.importorskip("sklearn.datasets")


def test_digits_match_scikit_learn_exactly():
    grey, y = data.load_digits(binarize=False)
    ref = sklearn_datasets.load_digits()
    np.testing.assert_array_equal(grey * 16, ref.data)  # the stored counts, losslessly
    np.testing.assert_array_equal(y, ref.target)
    X, y_bin = data.load_digits()
    np.testing.assert_array_equal(X, (ref.data >= 8).astype(float))  # inked: count >= 8 of 16
    np.testing.assert_array_equal(y_bin, ref.target)


def test_load_digits_is_binary_by_default():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert set(np.unique(X)) == {0.0, 1.0}
    assert data.INK_THRESHOLD == 8
    assert set(np.unique(y)) == set(range(10))


def test_grey_levels_for_display():
    grey, y = data.load_digits(binarize=False)
    assert grey.shape == (1797, 64) and grey.dtype == np.float64 and y.dtype == np.int64
    assert grey.min() == 0.0 and grey.max() == 1.0
    k = grey * data.N_LEVELS
    np.testing.assert_array_equal(k, np.round(k))  # 17 grey levels, k/16
    np.testing.assert_array_equal(data.load_digits()[0], (k >= data.INK_THRESHOLD).astype(float))


@pytest.mark.parametrize("binarize", [True, False])
def test_split_is_the_documented_permutation(binarize):
    X, y = data.load_digits(binarize)
    X_train, y_train, X_test, y_test = data.load_split(binarize)
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


@pytest.mark.parametrize("binarize", [1, "yes", None])
def test_binarize_must_be_a_bool(binarize):
    with pytest.raises(ValueError, match="binarize must be True or False"):
        data.load_digits(binarize)
