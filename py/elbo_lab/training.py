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

__all__ = ["PIECE", "evaluate", "train", "train_step"]


class _Piece:
    def __repr__(self):
        return "PIECE"


PIECE = _Piece()
"""What ``train(yield_steps=True, piece_rows=...)`` yields after a piece of work that ends no step."""


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
          warmup_epochs=0, X_test=None, optimizer=None, yield_steps=False, piece_rows=None):
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
    piece_rows: None, or a whole number >= 1: each batch's gradient is then summed
    over pieces of at most this many rows (``VAE.fused_grads`` with n and add) before
    the one Adam update, and the test set's loss over pieces of ``TEST_PIECES`` times
    as many. With yield_steps, ``PIECE`` is yielded after each piece that ends no step,
    so that no unit of the work is longer than a piece. The same piece_rows give the
    same records with or without yield_steps; other piece_rows differ only by rounding.

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
    if piece_rows is not None:
        piece_rows = whole("piece_rows", piece_rows, 1)
    X = np.ascontiguousarray(X, dtype=model.dtype)
    return _train(model, X, epochs, batch_size, beta, seed, warmup_epochs, X_test, optimizer,
                  bool(yield_steps), piece_rows)


TEST_PIECES = 4  # a test piece (forward only) has this many times a gradient piece's rows


def _step_in_pieces(model, opt, x, eps, beta, rows, yield_steps):
    """``train_step`` with the batch's gradient summed over pieces of ``rows`` rows."""
    n = x.shape[0]
    stats = {"loss": 0.0, "recon": 0.0, "kl": 0.0}
    for start in range(0, n, rows):
        share = model.fused_grads(x[start : start + rows], eps[start : start + rows], beta,
                                  n=n, add=start > 0)
        for key in stats:
            stats[key] += share[key]
        if yield_steps and start + rows < n:
            yield PIECE
    opt.step(model.grads)
    return stats


def pieced_loss(model, X, eps, rows=None, yield_pieces=False):
    """A generator: the model's loss terms on X at eps (``VAE.loss`` at beta 1), ``rows`` rows
    at a time (None: at once). It yields ``PIECE`` between pieces if asked, and returns the
    stats, each the mean over all of X."""
    N = X.shape[0]
    if rows is None or rows >= N:
        return model.loss(X, eps, 1.0)
    out = {"loss": 0.0, "recon": 0.0, "kl": 0.0}
    for start in range(0, N, rows):
        part = model.loss(X[start : start + rows], eps[start : start + rows], 1.0)
        n = min(rows, N - start)
        for key in out:
            out[key] += part[key] * (n / N)
        if yield_pieces and start + rows < N:
            yield PIECE
    return out


def _train(model, X, epochs, batch_size, beta, seed, warmup_epochs, X_test, opt, yield_steps,
           piece_rows):
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
            if piece_rows is None or x.shape[0] <= piece_rows:
                stats = train_step(model, opt, x, eps, beta_t)
            else:
                stats = yield from _step_in_pieces(model, opt, x, eps, beta_t, piece_rows,
                                                   yield_steps)
            step += 1
            for key in totals:
                totals[key] += stats[key] * x.shape[0]
            if yield_steps and start + batch_size < N:
                yield None  # a step that does not end the epoch
        record = {"step": step, "epoch": epoch, "beta": beta_t}
        record.update({key: total / N for key, total in totals.items()})
        record["neg_elbo"] = record["recon"] + record["kl"]
        if X_test is not None:
            if yield_steps and piece_rows is not None:
                yield PIECE  # the step's weights are in; the test loss is the next piece
            test = yield from pieced_loss(model, X_test, eps_test,
                                          piece_rows and TEST_PIECES * piece_rows, yield_steps)
            record.update(test_recon=test["recon"], test_kl=test["kl"],
                          test_neg_elbo=test["recon"] + test["kl"])
        yield record
