"""Saved VAEs: writing and reading weights, the page's pretrained models and histories.

``scripts/pretrain.py`` trains the two pretrained models ("beta1", "beta4") and
the recorded training runs; this module reads them. ``model(name)`` and
``encoded_test_set(name)`` keep one copy each for the figures, which share it
(they must not change it).
"""

import functools
import json
import pathlib

import numpy as np

from . import data
from .checks import choice
from .vae import VAE

__all__ = ["PRETRAINED", "encoded_test_set", "histories", "load_pretrained", "load_weights",
           "model", "save_weights"]

_HERE = pathlib.Path(__file__).resolve().parent
PRETRAINED = ("beta1", "beta4")  # names accepted by load_pretrained


def save_weights(vae, path, meta=None, dtype=np.float32):
    """Write ``vae`` to an .npz: its params (as ``dtype``), its sizes and ``meta``.

    meta: a JSON-safe dict (e.g. how it was trained and its test -ELBO).
    """
    config = {"x_dim": vae.x_dim, "hidden": vae.hidden, "z_dim": vae.z_dim,
              "activation": vae.activation.name}
    arrays = {name: p.astype(dtype) for name, p in vae.params.items()}
    np.savez_compressed(path, config=np.array(json.dumps(config, sort_keys=True)),
                        meta=np.array(json.dumps(meta or {}, sort_keys=True)), **arrays)


def load_weights(path, dtype=np.float64):
    """Read a file written by ``save_weights``. Returns ``(vae, meta)``.

    The params are converted to ``dtype`` (float64 by default).
    """
    with np.load(path, allow_pickle=False) as f:
        config = json.loads(str(f["config"]))
        meta = json.loads(str(f["meta"]))
        vae = VAE(config["x_dim"], config["hidden"], config["z_dim"], seed=0,
                  activation=config["activation"], dtype=dtype)
        for name, p in vae.params.items():
            p[...] = f[name]
    return vae, meta


def load_pretrained(name="beta1", dtype=np.float64):
    """A new copy of a VAE trained on the digits by ``scripts/pretrain.py``.

    name: one of ``PRETRAINED``: "beta1" (beta = 1) or "beta4" (beta = 4).
    The training settings and the recorded test -ELBO are in ``vae.meta``.
    """
    name = choice("name", name, PRETRAINED)
    vae, meta = load_weights(_HERE / f"pretrained_{name}.npz", dtype=dtype)
    vae.meta = meta
    return vae


@functools.cache
def model(name):
    """The shared float64 copy of pretrained model ``name``, loaded on first use."""
    return load_pretrained(name)


@functools.cache
def encoded_test_set(name):
    """``(mu, log_var, labels)`` of the test digits under pretrained model ``name``.

    mu, log_var: float64 (360, z_dim), the encoder's q(z|x); labels: int (360,).
    """
    _, _, x_test, y_test = data.load_split()
    mu, log_var = model(name).encode(x_test)
    return mu, log_var, y_test


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
