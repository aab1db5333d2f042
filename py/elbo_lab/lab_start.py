"""The lab's untrained states, stored: ``lab_start.json``, made by scripts/make_lab_start.py.

A run of the lab starts with its epoch-0 record (the untrained model's losses on
the 9,000 training and 1,000 test digits) and its epoch-0 evaluation (IWAE on
the 100-digit subset). In Pyodide that takes about 3 s (the forward pass over
9,000 digits 2.0 s, the evaluation 0.74 s), and at load the page's lab figures
wait for it. So the states of the page's first settings and of the presets are
stored, keyed by the seed (which also seeds the eps draws), the sha256 of the
initial weights and the sha256 of the digits: a stored state is used only for
the very run it was computed on. It agrees with a fresh computation up to
float32 rounding (a test checks, to 1e-5; in Pyodide 3e-7 was measured).
"""

import functools
import hashlib
import json
import pathlib

import numpy as np

from . import data

__all__ = ["EVALUATION_KEYS", "key", "losses", "stored"]

PATH = pathlib.Path(__file__).resolve().parent / "lab_start.json"
EVALUATION_KEYS = ("subset_log_px", "subset_elbo", "subset_log_px_se")


def key(seed, model):
    """The key of a run's untrained state: seed, latent size, weights' and digits' sha256."""
    weights = hashlib.sha256(np.ascontiguousarray(model.flat).tobytes()).hexdigest()
    return f"seed {seed}, z_dim {model.z_dim}, weights {weights[:16]}, digits {data.digest()[:16]}"


@functools.lru_cache(maxsize=1)
def _file():
    try:
        return json.loads(PATH.read_text())
    except FileNotFoundError:  # an exported copy without it: every run computes its own
        return {}


def stored(seed, model):
    """The stored untrained state ({"record": its four losses, "evaluation": EVALUATION_KEYS})
    of the run with this seed and fresh ``model``, or None."""
    return _file().get(key(seed, model))


def losses(model, seed, X_train, X_test):
    """The untrained ``model``'s mean recon and KL (nats): on the training set at one eps draw
    (default_rng([seed, 0])), and on the test set at the eps ``training.train`` will use (the
    first child of default_rng(seed)). Independent of beta."""
    Z, dtype = model.z_dim, model.dtype
    eps_test = np.random.default_rng(seed).spawn(1)[0].standard_normal((X_test.shape[0], Z))
    test = model.loss(X_test, eps_test.astype(dtype), 1.0)
    eps = np.random.default_rng([seed, 0]).standard_normal((X_train.shape[0], Z)).astype(dtype)
    train_ = model.loss(X_train.astype(dtype), eps, 1.0)
    return {"recon": float(train_["recon"]), "kl": float(train_["kl"]),
            "test_recon": float(test["recon"]), "test_kl": float(test["kl"])}
