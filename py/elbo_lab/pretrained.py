"""The page's pretrained models, shared, and the recorded training runs.

``scripts/pretrain.py`` trains the two pretrained models ("beta1", "beta4",
read by ``vae.load_pretrained``) and the recorded training runs. ``model(name)`` and
``encoded_test_set(name)`` keep one copy each for the figures, which share it
(they must not change it).
"""

import functools
import pathlib

import numpy as np

from . import data
from .vae import load_pretrained

__all__ = ["encoded_test_set", "histories", "model", "test_log_px"]

_HERE = pathlib.Path(__file__).resolve().parent


@functools.cache
def model(name):
    """The shared float64 copy of pretrained model ``name``, loaded on first use."""
    return load_pretrained(name)


@functools.cache
def encoded_test_set(name):
    """``(mu, log_var, labels)`` of the test digits under pretrained model ``name``.

    mu, log_var: float64 (1000, z_dim), the encoder's q(z|x); labels: int (1000,).
    """
    _, _, x_test, y_test = data.load_split()
    mu, log_var = model(name).encode(x_test)
    return mu, log_var, y_test


@functools.cache
def test_log_px(name):
    """log p(x) of the 1,000 test digits under pretrained model ``name`` (nats, float64, in the
    order of ``data.load_digits("test")``): grid values from ``scripts/make_test_log_px.py``."""
    with np.load(_HERE / "test_log_px.npz", allow_pickle=False) as f:
        out = f[name].astype(np.float64)
    out.setflags(write=False)
    return out


@functools.lru_cache(maxsize=1)
def histories():
    """Recorded training runs for the training-dynamics figure.

    Returns a dict: run name -> dict of float64 arrays, one entry per epoch:
    "epoch", "beta", "recon", "kl" (training means) and "test_recon", "test_kl"
    (test set at a fixed eps), in nats per example. Runs: "no_warmup",
    "warmup" and "beta4" (see ``scripts/pretrain.py``). Shared: do not change.
    """
    runs = {}
    with np.load(_HERE / "histories.npz", allow_pickle=False) as f:
        for key in f.files:
            run, _, field = key.partition("/")
            runs.setdefault(run, {})[field] = f[key].astype(np.float64)
    return runs
