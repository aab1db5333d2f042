"""Write ``py/elbo_lab/digits.npz``: the 8x8 handwritten digits and a fixed split.

The source is UCI optdigits as shipped by scikit-learn (``load_digits``): 1,797
images of 8x8 pixels, each pixel an integer count 0..16 (how many of the 16
cells of a 4x4 block of the original 32x32 bitmap were inked). scikit-learn is a
dev-only dependency; the package reads the file written here with numpy alone.

Contents (all stored losslessly, ``np.savez_compressed``):

- ``counts``: uint8 (1797, 64), pixel counts 0..16, rows in scikit-learn's order
- ``labels``: uint8 (1797,), digit 0..9
- ``train_idx``: int16 (1437,), sorted row indices of the training set
- ``test_idx``: int16 (360,), sorted row indices of the test set

The split: ``perm = np.random.default_rng(0).permutation(1797)``; the first 360
entries of ``perm`` (sorted) are the test set, the remaining 1,437 (sorted) the
training set. Not stratified; every class has 27..44 test images.

Deterministic: running it twice writes identical arrays. Usage::

    python scripts/make_digits_data.py
"""

import pathlib

import numpy as np
from sklearn.datasets import load_digits

OUT = pathlib.Path(__file__).resolve().parent.parent / "py" / "elbo_lab" / "digits.npz"
N_TEST = 360
SPLIT_SEED = 0


def main():
    digits = load_digits()
    data = np.asarray(digits.data)
    assert data.shape == (1797, 64)
    assert np.array_equal(data, np.round(data)) and data.min() == 0 and data.max() == 16
    counts = data.astype(np.uint8)
    labels = np.asarray(digits.target).astype(np.uint8)

    perm = np.random.default_rng(SPLIT_SEED).permutation(len(counts))
    test_idx = np.sort(perm[:N_TEST]).astype(np.int16)
    train_idx = np.sort(perm[N_TEST:]).astype(np.int16)

    np.savez_compressed(
        OUT, counts=counts, labels=labels, train_idx=train_idx, test_idx=test_idx
    )
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes): "
          f"{len(train_idx)} train / {len(test_idx)} test")


if __name__ == "__main__":
    main()
