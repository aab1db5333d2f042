"""The 8x8 handwritten digits (UCI optdigits, as shipped by scikit-learn).

1,797 images of 8x8 = 64 pixels. Each pixel is stored as an integer count
k in 0..16: how many of the 16 cells of a 4x4 block of the original 32x32
bitmap were inked. Most pixels are blank (k = 0) or fully inked (k = 16).

The VAE models binary pixels with a Bernoulli likelihood (see ``losses.py``),
so ``load_digits`` binarises at half ink by default: x = 1 if k >= 8
(``INK_THRESHOLD``), else x = 0. With ``binarize=False`` it gives the grey
levels k / 16 instead, for display.

The data live in ``digits.npz`` next to this file (written by
``scripts/make_digits_data.py``) as the raw counts, with a fixed train/test
split of 1,437 / 360 images: the test set is the first 360 entries of
``np.random.default_rng(0).permutation(1797)``; both index arrays are sorted.
"""

import functools
import pathlib

import numpy as np

from .checks import ParamError

__all__ = ["INK_THRESHOLD", "N_LEVELS", "load_digits", "load_split"]

N_LEVELS = 16  # stored pixel counts run 0..N_LEVELS
INK_THRESHOLD = 8  # a pixel is inked (x = 1) if its count is >= this: half ink

_PATH = pathlib.Path(__file__).resolve().parent / "digits.npz"


@functools.lru_cache(maxsize=1)
def _arrays():
    with np.load(_PATH) as f:
        return {name: f[name] for name in ("counts", "labels", "train_idx", "test_idx")}


def load_digits(binarize=True):
    """All 1,797 digits as ``(X, y)``.

    X: float64 (1797, 64) in [0, 1]. With ``binarize=True`` (the default, what
    the VAE models) each pixel is 1.0 if its count is >= 8 (half ink), else 0.0.
    With ``binarize=False``, the grey levels ``counts / 16``, for display.
    y: int64 (1797,), the digit 0..9 each image shows.
    Fresh arrays on every call, so callers may modify them.
    """
    if not isinstance(binarize, bool):
        raise ParamError("binarize", f"binarize must be True or False, got {binarize!r}")
    a = _arrays()
    counts = a["counts"]
    if binarize:
        X = (counts >= INK_THRESHOLD).astype(np.float64)
    else:
        X = counts.astype(np.float64) / N_LEVELS
    y = a["labels"].astype(np.int64)
    return X, y


def load_split(binarize=True):
    """The fixed split as ``(X_train, y_train, X_test, y_test)``.

    1,437 training and 360 test images, pixels as in ``load_digits(binarize)``;
    rows keep the order of ``load_digits``.
    """
    X, y = load_digits(binarize)
    a = _arrays()
    train, test = a["train_idx"].astype(np.intp), a["test_idx"].astype(np.intp)
    return X[train], y[train], X[test], y[test]
