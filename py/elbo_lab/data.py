"""The 8x8 handwritten digits (UCI optdigits, as shipped by scikit-learn).

1,797 greyscale images of 8x8 = 64 pixels. Each pixel is an integer count
k in 0..16, so an image is stored as ``x = k / 16`` in [0, 1] with 17 grey
levels. The VAE models each count as Binomial(16, p), see ``losses.py``.

The data live in ``digits.npz`` next to this file (written by
``scripts/make_digits_data.py``), with a fixed train/test split of 1,437 / 360
images: the test set is the first 360 entries of
``np.random.default_rng(0).permutation(1797)``; both index arrays are sorted.
"""

import functools
import pathlib

import numpy as np

__all__ = ["N_LEVELS", "load_digits", "load_split"]

N_LEVELS = 16  # pixel counts run 0..N_LEVELS, x = count / N_LEVELS

_PATH = pathlib.Path(__file__).resolve().parent / "digits.npz"


@functools.lru_cache(maxsize=1)
def _arrays():
    with np.load(_PATH) as f:
        return {name: f[name] for name in ("counts", "labels", "train_idx", "test_idx")}


def load_digits():
    """All 1,797 digits as ``(X, y)``.

    X: float64 (1797, 64), pixel intensities ``counts / 16`` in [0, 1].
    y: int64 (1797,), the digit 0..9 each image shows.
    Fresh arrays on every call, so callers may modify them.
    """
    a = _arrays()
    X = a["counts"].astype(np.float64) / N_LEVELS
    y = a["labels"].astype(np.int64)
    return X, y


def load_split():
    """The fixed split as ``(X_train, y_train, X_test, y_test)``.

    1,437 training and 360 test images, shapes as in ``load_digits``; rows keep
    the order of ``load_digits``.
    """
    X, y = load_digits()
    a = _arrays()
    train, test = a["train_idx"].astype(np.intp), a["test_idx"].astype(np.intp)
    return X[train], y[train], X[test], y[test]
