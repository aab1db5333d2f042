"""Training the VAE: one Adam step, whole epochs as a generator, and test scores.

``train`` is a generator of one record per epoch (or, with ``yield_steps``, one
item per optimiser step), so a caller can stop between steps: the training lab
runs it a few milliseconds at a time. Randomness comes only from the seed.
All losses are in nats per example.
"""

import numpy as np

from .checks import ParamError, binary_images, generator, in_range, whole
from .optim import Adam
from .vae import VAE

__all__ = ["evaluate", "train", "train_step"]


def train_step(model, opt, x, eps, beta=1.0):
    """One optimiser step on a batch: forward, backward, Adam. Returns the stats.

    The hot loop of ``train``, and the function to time. x: (N, x_dim) binary
    pixels, eps: (N, z_dim), beta >= 0; both of the model's dtype. Only shapes
    are checked here (cheaply); ``loss_and_grads`` checks everything.
    """
    if x.shape[1:] != (model.x_dim,) or eps.shape != (x.shape[0], model.z_dim):
        raise ParamError("x", f"x must be (N, {model.x_dim}) and eps (N, {model.z_dim}); "
                              f"got {x.shape} and {eps.shape}")
    stats = model.fused_grads(x, eps, beta)
    opt.step(model.grads)
    return stats


def evaluate(model, X, rng, n_draws=1):
    """Mean -ELBO and its terms on a data set, in nats per example.

    Averages over the rows of X and over ``n_draws`` draws of eps from rng.
    Returns a dict of floats: "recon", "kl" and "neg_elbo" (= recon + kl).
    """
    X = binary_images(X, model.x_dim).astype(model.dtype, copy=False)
    rng = generator(rng)
    n_draws = whole("n_draws", n_draws, 1)
    recon = kl = 0.0
    for _ in range(n_draws):
        eps = rng.standard_normal((X.shape[0], model.z_dim)).astype(model.dtype, copy=False)
        stats = model.loss(X, eps, 1.0)
        recon += stats["recon"] / n_draws
        kl += stats["kl"] / n_draws
    return {"recon": recon, "kl": kl, "neg_elbo": recon + kl}


def train(model, X, epochs, batch_size=128, lr=1e-3, beta=1.0, seed=0, *,
          warmup_epochs=0, X_test=None, optimizer=None, yield_steps=False):
    """Train with Adam; a generator that yields one progress record per epoch.

    X: (N, x_dim) training images, binary pixels. epochs, batch_size: whole
    numbers >= 1. lr > 0: Adam's step size. beta >= 0: the KL weight.
    seed: the only source of randomness, ``np.random.default_rng(seed)``,
    which shuffles each epoch and draws eps for each batch. The last batch of an
    epoch may be smaller. Same arguments, same records.

    warmup_epochs >= 0: KL warm-up. The KL weight rises linearly, step by step,
    from 0 to beta over this many epochs, then stays at beta.
    X_test: optional held-out images; each record then also has "test_recon",
    "test_kl" and "test_neg_elbo" at one fixed eps draw (from a child of the seed,
    so the training run is the same with or without it).
    optimizer: an ``Adam`` over ``model.params`` to continue from (its lr is set
    to ``lr``); by default a fresh one.
    yield_steps: if True, the generator yields after every optimiser step:
    None after a step that does not end an epoch, the epoch's record after the
    step that does. The arithmetic and the random draws are the same either
    way, so are the records; this only lets a caller stop mid-epoch (the
    training lab runs in chunks of a few milliseconds).

    Each record is a dict: "step" (optimiser steps so far in this run), "epoch"
    (epochs done, from 1), "beta" (the KL weight at the epoch's end), and the
    epoch's means per training example in nats: "recon", "kl", "loss" (recon + beta
    kl at each step's beta) and "neg_elbo" (recon + kl). The caller may stop
    between records; the model keeps the updates made so far.
    """
    if not isinstance(model, VAE):
        raise ParamError("model", f"model must be a VAE, got {type(model).__name__}")
    X = binary_images(X, model.x_dim)
    epochs = whole("epochs", epochs, 1)
    batch_size = whole("batch_size", batch_size, 1)
    lr = in_range("lr", lr, 0.0, lo_open=True)
    beta = in_range("beta", beta, 0.0)
    warmup_epochs = in_range("warmup_epochs", warmup_epochs, 0.0)
    if X_test is not None:
        X_test = binary_images(X_test, model.x_dim).astype(model.dtype, copy=False)
    if optimizer is None:
        optimizer = Adam(model.params, lr=lr)
    elif not isinstance(optimizer, Adam) or optimizer.params is not model.params:
        raise ParamError("optimizer", "optimizer must be an Adam built on this model's params")
    optimizer.lr = lr
    X = np.ascontiguousarray(X, dtype=model.dtype)
    return _train(model, X, epochs, batch_size, beta, seed, warmup_epochs, X_test, optimizer,
                  bool(yield_steps))


def _train(model, X, epochs, batch_size, beta, seed, warmup_epochs, X_test, opt, yield_steps):
    rng = np.random.default_rng(seed)
    N, Z = X.shape[0], model.z_dim
    steps_per_epoch = -(-N // batch_size)
    warmup_steps = warmup_epochs * steps_per_epoch
    if X_test is not None:
        eps_test = rng.spawn(1)[0].standard_normal((X_test.shape[0], Z)).astype(model.dtype)
    step = 0
    for epoch in range(1, epochs + 1):
        order = rng.permutation(N)
        totals = {"recon": 0.0, "kl": 0.0, "loss": 0.0}
        for start in range(0, N, batch_size):
            x = X[order[start : start + batch_size]]
            eps = rng.standard_normal((x.shape[0], Z)).astype(model.dtype, copy=False)
            beta_t = beta * min(1.0, step / warmup_steps) if warmup_steps > 0 else beta
            stats = train_step(model, opt, x, eps, beta_t)
            step += 1
            for key in totals:
                totals[key] += stats[key] * x.shape[0]
            if yield_steps and start + batch_size < N:
                yield None  # a step that does not end the epoch
        record = {"step": step, "epoch": epoch, "beta": beta_t}
        record.update({key: total / N for key, total in totals.items()})
        record["neg_elbo"] = record["recon"] + record["kl"]
        if X_test is not None:
            test = model.loss(X_test, eps_test, 1.0)
            record.update(test_recon=test["recon"], test_kl=test["kl"],
                          test_neg_elbo=test["recon"] + test["kl"])
        yield record
