"""A tiny variational autoencoder in numpy, with hand-written backprop.

Model (defaults: 64 pixels, 256 hidden units, 2 latent dimensions):

    encoder   h1 = act(x W1 + b1)
              mu = h1 W_mu + b_mu,  log_var = h1 W_logvar + b_logvar
    sample    z = mu + exp(log_var / 2) * eps,  eps ~ N(0, I) passed in
    decoder   h2 = act(z W2 + b2)
              logits = h2 W3 + b3,  p = sigmoid(logits)
    data      x ~ Bernoulli(p), one binary pixel each

act is ReLU by default (tanh on request). The pixels x are 0 or 1: the digits
binarised at half ink, x = 1 where the count is >= 8 of 16 (``data.py``).

Loss per example, in nats (see ``losses.py``):

    recon = -log p(x | z) = -sum_i [x_i logit_i - softplus(logit_i)]   (Bernoulli)
    kl    = KL(N(mu, diag(exp(log_var))) || N(0, I))
    loss  = recon + beta * kl                  (beta = 1: the negative ELBO)

``loss_and_grads`` reports the means over the batch. Randomness enters only as
an explicit ``eps`` or an ``np.random.Generator``.
"""

import json
import math
import numbers
import pathlib

import numpy as np

from .layers import (
    ACTIVATIONS,
    activation_backward,
    activation_forward,
    affine_backward,
    affine_forward,
    matmul,
    reparam_backward,
    reparam_forward,
)
from .losses import (
    bernoulli_log_pmf,
    bernoulli_nll_backward,
    bernoulli_nll_forward,
    gaussian_kl_backward,
    gaussian_kl_forward,
    sigmoid,
)
from .optim import Adam

__all__ = [
    "PRETRAINED",
    "VAE",
    "evaluate",
    "load_histories",
    "load_pretrained",
    "load_weights",
    "save_weights",
    "train",
    "train_step",
]

_LOG_2PI = math.log(2.0 * math.pi)
_HERE = pathlib.Path(__file__).resolve().parent

PRETRAINED = ("beta1", "beta4")  # names accepted by load_pretrained


# ---------------------------------------------------------------------------
# Argument checks: every bad input raises ValueError with a message to act on
# ---------------------------------------------------------------------------


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    return int(value)


def _number(name, value, minimum=None, strict=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        rule = ">" if strict else ">="
        raise ValueError(f"{name} must be {rule} {minimum}, got {value!r}")
    return float(value)


def _matrix(name, a, cols, what):
    """``a`` as a finite float64 (N, cols) array with N >= 1, else ValueError."""
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers") from None
    if a.ndim != 2 or a.shape[1] != cols or a.shape[0] < 1:
        raise ValueError(
            f"{name} must have shape (N, {cols}) with N >= 1 ({what}), got shape {a.shape}"
        )
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinity; every entry must be finite")
    return a


def _images(x, x_dim):
    """Check that x holds images of binary pixels, each 0 or 1 (the Bernoulli's support)."""
    x = _matrix("x", x, x_dim, f"one image of {x_dim} pixels per row")
    if not np.all((x == 0.0) | (x == 1.0)):
        raise ValueError(
            "x must be binary (0 or 1); use elbo_lab.data.load_digits(), "
            "which binarises at count >= 8"
        )
    return x


def _noise(eps, n, z_dim):
    eps = _matrix("eps", eps, z_dim, "one standard-normal draw per example and latent dimension")
    if eps.shape[0] != n:
        raise ValueError(f"eps has {eps.shape[0]} rows but x has {n}; they must match")
    return eps


def _generator(rng):
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator, e.g. np.random.default_rng(0), got {rng!r}")
    return rng


def _logsumexp(a, axis=0):
    """log(sum(exp(a))) along ``axis``, without overflow."""
    a_max = a.max(axis=axis, keepdims=True)
    out = np.log(np.exp(a - a_max).sum(axis=axis)) + np.squeeze(a_max, axis=axis)
    return out


# ---------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------


class VAE:
    """A VAE with one hidden layer in the encoder and one in the decoder.

    x_dim: binary pixels per image (64). hidden: hidden units (256). z_dim:
    latent size (2). seed: seeds the initial weights. activation: "relu" (the
    default) or "tanh". dtype: np.float64 (the default; gradient checks need
    it) or np.float32 (about twice as fast to train, same initial weights up to
    rounding).

    ``params`` maps names to arrays of ``dtype``; an optimiser updates them in
    place. They are views into one flat vector, ``flat``, which lets Adam update
    them all at once. Weights start Glorot-uniform, biases at zero, whatever
    the activation. (He-uniform for the two layers feeding a ReLU was tried on
    the digits and ended 0.06 nats worse in test -ELBO after 200 epochs, mean
    of 3 seeds.)
    """

    def __init__(self, x_dim=64, hidden=256, z_dim=2, seed=0, *, activation="relu",
                 dtype=np.float64):
        self.x_dim = _positive_int("x_dim", x_dim)
        self.hidden = _positive_int("hidden", hidden)
        self.z_dim = _positive_int("z_dim", z_dim)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.activation = ACTIVATIONS[activation]
        if np.dtype(dtype) not in (np.float64, np.float32):
            raise ValueError(f"dtype must be np.float64 or np.float32, got {dtype!r}")
        self.dtype = np.dtype(dtype)
        self.seed = seed
        D, H, Z = self.x_dim, self.hidden, self.z_dim
        self.shapes = {
            "W1": (D, H), "b1": (H,),  # encoder hidden layer
            "W_mu": (H, Z), "b_mu": (Z,),  # encoder head: mean
            "W_logvar": (H, Z), "b_logvar": (Z,),  # encoder head: log variance
            "W2": (Z, H), "b2": (H,),  # decoder hidden layer
            "W3": (H, D), "b3": (D,),  # decoder output logits
        }
        self.flat = np.zeros(sum(math.prod(s) for s in self.shapes.values()), self.dtype)
        self.params = self._views(self.flat)
        rng = np.random.default_rng(seed)
        for name, shape in self.shapes.items():
            if name.startswith("W"):
                fan_in, fan_out = shape
                limit = math.sqrt(6.0 / (fan_in + fan_out))  # Glorot-uniform
                self.params[name][...] = rng.uniform(-limit, limit, size=shape)
        # for train_step: a flat gradient buffer and per-batch-size work arrays,
        # reused on every step (loss_and_grads returns new arrays instead)
        self._grad_flat = np.zeros_like(self.flat)
        self._grads = self._views(self._grad_flat)
        self._workspaces = {}

    def _views(self, flat):
        views, start = {}, 0
        for name, shape in self.shapes.items():
            size = math.prod(shape)
            views[name] = flat[start : start + size].reshape(shape)
            start += size
        return views

    def __repr__(self):
        return (f"VAE(x_dim={self.x_dim}, hidden={self.hidden}, z_dim={self.z_dim}, "
                f"activation={self.activation.name!r}, dtype=np.{self.dtype.name})")

    # -- forward and backward --------------------------------------------------

    def _forward(self, x, eps, beta):
        """The loss and every cache the backward pass needs. x: (N, D), eps: (N, Z)."""
        P, act = self.params, self.activation
        a1, c_a1 = affine_forward(x, P["W1"], P["b1"])  # encoder pre-activation (N, H)
        h1, c_h1 = activation_forward(a1, act)  # encoder hidden (N, H)
        mu, c_mu = affine_forward(h1, P["W_mu"], P["b_mu"])  # posterior mean (N, Z)
        log_var, c_lv = affine_forward(h1, P["W_logvar"], P["b_logvar"])  # posterior log variance
        z, c_z = reparam_forward(mu, log_var, eps)  # latent sample (N, Z)
        a2, c_a2 = affine_forward(z, P["W2"], P["b2"])  # decoder pre-activation (N, H)
        h2, c_h2 = activation_forward(a2, act)  # decoder hidden (N, H)
        logits, c_logits = affine_forward(h2, P["W3"], P["b3"])  # pixel logits (N, D)
        recon, c_recon = bernoulli_nll_forward(logits, x)  # -log p(x|z), nats
        kl, c_kl = gaussian_kl_forward(mu, log_var)  # KL(q(z|x) || p(z)), nats
        loss = recon + beta * kl
        stats = {"loss": loss, "recon": recon, "kl": kl}
        caches = (c_a1, c_h1, c_mu, c_lv, c_z, c_a2, c_h2, c_logits, c_recon, c_kl)
        return stats, caches

    def _backward(self, caches, beta):
        """Backpropagate loss = recon + beta * kl. Returns a dict of new gradient arrays."""
        c_a1, c_h1, c_mu, c_lv, c_z, c_a2, c_h2, c_logits, c_recon, c_kl = caches
        dlogits = bernoulli_nll_backward(1.0, c_recon)  # (N, D)
        dh2, dW3, db3 = affine_backward(dlogits, c_logits)
        da2 = activation_backward(dh2, c_h2)
        dz, dW2, db2 = affine_backward(da2, c_a2)
        dmu, dlog_var = reparam_backward(dz, c_z)  # through the reconstruction
        dmu_kl, dlog_var_kl = gaussian_kl_backward(beta, c_kl)  # through the KL
        dmu += dmu_kl  # mu and log_var feed both terms: their gradients add
        dlog_var += dlog_var_kl
        dh1, dW_mu, db_mu = affine_backward(dmu, c_mu)
        dh1_lv, dW_logvar, db_logvar = affine_backward(dlog_var, c_lv)
        dh1 += dh1_lv  # h1 feeds both heads
        da1 = activation_backward(dh1, c_h1)
        _, dW1, db1 = affine_backward(da1, c_a1, input_grad=False)  # no gradient for the data
        return {"W1": dW1, "b1": db1, "W_mu": dW_mu, "b_mu": db_mu,
                "W_logvar": dW_logvar, "b_logvar": db_logvar,
                "W2": dW2, "b2": db2, "W3": dW3, "b3": db3}

    def loss_and_grads(self, x, eps, beta=1.0):
        """Loss and gradients for a batch at a fixed noise draw.

        x: (N, x_dim) binary pixels, each 0 or 1. eps: (N, z_dim) standard normal.
        beta >= 0 weights the KL term.

        Returns ``(stats, grads)``. stats: python floats "loss" (= recon + beta * kl),
        "recon" and "kl", each the mean per example in nats. grads: new arrays,
        same keys and shapes as ``params``, the gradient of stats["loss"].
        """
        x = _images(x, self.x_dim).astype(self.dtype, copy=False)
        eps = _noise(eps, x.shape[0], self.z_dim).astype(self.dtype, copy=False)
        beta = _number("beta", beta, minimum=0.0)
        stats, caches = self._forward(x, eps, beta)
        grads = self._backward(caches, beta)
        return stats, grads

    def loss(self, x, eps, beta=1.0):
        """stats only: like ``loss_and_grads`` without the backward pass."""
        x = _images(x, self.x_dim).astype(self.dtype, copy=False)
        eps = _noise(eps, x.shape[0], self.z_dim).astype(self.dtype, copy=False)
        beta = _number("beta", beta, minimum=0.0)
        return self._forward(x, eps, beta)[0]

    # -- encoder, decoder, likelihood ------------------------------------------

    def _encode(self, x):
        P = self.params
        h1 = self.activation.output(matmul(x, P["W1"]) + P["b1"])
        mu = matmul(h1, P["W_mu"]) + P["b_mu"]
        log_var = matmul(h1, P["W_logvar"]) + P["b_logvar"]
        return mu, log_var

    def _decode_logits(self, z):
        P = self.params
        h2 = self.activation.output(matmul(z, P["W2"]) + P["b2"])
        return matmul(h2, P["W3"]) + P["b3"]

    def encode(self, x):
        """The approximate posterior q(z|x) = N(mu, diag(exp(log_var))).

        x: (N, x_dim) pixels (any finite numbers are encoded; the model was
        trained on binary ones). Returns ``(mu, log_var)``, each (N, z_dim).
        """
        x = _matrix("x", x, self.x_dim, f"one image of {self.x_dim} pixels per row")
        return self._encode(x.astype(self.dtype, copy=False))

    def decode(self, z):
        """The decoder's mean image: p = sigmoid(logits), (N, x_dim) in [0, 1].

        z: (N, z_dim). p is each pixel's probability of being inked: the mean
        of x under Bernoulli(p).
        """
        z = _matrix("z", z, self.z_dim, f"one latent point of {self.z_dim} numbers per row")
        return sigmoid(self._decode_logits(z.astype(self.dtype, copy=False)))

    def log_px(self, x, k, rng, chunk_elements=2**21):
        """Importance-sampled (IWAE) estimate of log p(x), per example, in nats.

        log p(x) ~ logsumexp_s [log p(x|z_s) + log p(z_s) - log q(z_s|x)] - log k,
        with k samples z_s ~ q(z|x). It is a lower bound in expectation that
        tightens as k grows; k = 1 gives a one-sample ELBO.
        x: (N, x_dim) binary pixels. k: whole number >= 1. rng: np.random.Generator.
        Samples are processed in chunks of about ``chunk_elements`` numbers, so
        large k does not need large memory. Returns (N,).
        """
        x = _images(x, self.x_dim)
        k = _positive_int("k", k)
        rng = _generator(rng)
        N, Z = x.shape[0], self.z_dim
        mu, log_var = self._encode(x.astype(self.dtype, copy=False))
        std = np.exp(0.5 * log_var)
        per_chunk = max(1, chunk_elements // (N * max(self.hidden, self.x_dim)))
        parts = []  # logsumexp of the log weights of each chunk, (N,)
        for start in range(0, k, per_chunk):
            m = min(per_chunk, k - start)
            eps = rng.standard_normal((m, N, Z)).astype(self.dtype, copy=False)
            z = mu + std * eps  # (m, N, Z) samples from q(z|x)
            logits = self._decode_logits(z.reshape(m * N, Z)).reshape(m, N, self.x_dim)
            log_pxz = bernoulli_log_pmf(logits, x)  # (m, N)
            log_pz = -0.5 * (z * z + _LOG_2PI).sum(axis=-1)  # prior N(0, I)
            log_qz = -0.5 * (eps * eps + _LOG_2PI + log_var).sum(axis=-1)  # q(z|x)
            parts.append(_logsumexp(log_pxz + log_pz - log_qz, axis=0))
        return _logsumexp(np.array(parts), axis=0) - math.log(k)


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def train_step(model, opt, x, eps, beta=1.0):
    """One optimiser step on a batch: forward, backward, Adam. Returns the stats.

    The hot loop of ``train``, and the function to time. x: (N, x_dim) binary
    pixels, eps: (N, z_dim), beta >= 0; both of the model's dtype. Only shapes
    are checked here (cheaply); ``loss_and_grads`` checks everything.
    """
    if x.shape[1:] != (model.x_dim,) or eps.shape != (x.shape[0], model.z_dim):
        raise ValueError(
            f"x must be (N, {model.x_dim}) and eps (N, {model.z_dim}); got {x.shape} and {eps.shape}"
        )
    stats = _fused_loss_and_grads(model, x, eps, beta, model._grads)
    opt.step(model._grads)
    return stats


def _workspace(model, N):
    """Work arrays for a batch of N, made once and reused (at most 4 sizes kept)."""
    ws = model._workspaces.get(N)
    if ws is None:
        if len(model._workspaces) >= 4:
            model._workspaces.clear()
        H, D, dt = model.hidden, model.x_dim, model.dtype
        ws = {"h1": np.empty((N, H), dt), "h2": np.empty((N, H), dt),
              "nh_a": np.empty((N, H), dt), "nh_b": np.empty((N, H), dt),
              "logits": np.empty((N, D), dt),
              "nd_a": np.empty((N, D), dt), "nd_b": np.empty((N, D), dt)}
        model._workspaces[N] = ws
    return ws


def _fused_loss_and_grads(model, x, eps, beta, grads):
    """``VAE._forward`` and ``VAE._backward`` in one, without allocating big arrays.

    The same arithmetic as the layer-by-layer code (a test checks they agree),
    but every (N, hidden) and (N, x_dim) array lives in a work buffer reused from
    step to step, and the weight gradients are written straight into ``grads``
    (views of the model's flat gradient buffer). Fresh big arrays on every step
    cost page faults natively and garbage in the browser.
    """
    P, act = model.params, model.activation
    N = x.shape[0]
    ws = _workspace(model, N)
    # forward: encoder
    h1 = matmul(x, P["W1"], out=ws["h1"])
    h1 += P["b1"]
    act.output(h1, out=h1)  # encoder hidden (N, H)
    mu = matmul(h1, P["W_mu"])
    mu += P["b_mu"]  # (N, Z)
    log_var = matmul(h1, P["W_logvar"])
    log_var += P["b_logvar"]  # (N, Z)
    std = np.exp(0.5 * log_var)
    z = mu + std * eps  # reparameterised sample (N, Z)
    # forward: decoder
    h2 = matmul(z, P["W2"], out=ws["h2"])
    h2 += P["b2"]
    act.output(h2, out=h2)  # decoder hidden (N, H)
    logits = matmul(h2, P["W3"], out=ws["logits"])
    logits += P["b3"]  # (N, D)
    # losses: recon = -(1/N) sum [x l - softplus(l)]
    t = np.abs(logits, out=ws["nd_a"])
    np.negative(t, out=t)
    np.exp(t, out=t)
    np.log1p(t, out=t)  # log1p(e^-|l|)
    sum_softplus = t.sum() + np.maximum(logits, 0.0, out=ws["nd_b"]).sum()
    recon = -(np.vdot(x, logits) - sum_softplus) / N
    var = std * std
    kl = 0.5 * (mu * mu + var - 1.0 - log_var).sum() / N
    # backward: decoder
    dlogits = sigmoid(logits, out=ws["nd_a"])
    dlogits -= x
    dlogits *= 1.0 / N  # (p - x) / N
    matmul(h2, dlogits, trans_a=True, out=grads["W3"])
    np.sum(dlogits, axis=0, out=grads["b3"])
    dh2 = matmul(dlogits, P["W3"], trans_b=True, out=ws["nh_a"])
    da2 = dh2
    da2 *= act.der(h2, out=ws["nh_b"])
    matmul(z, da2, trans_a=True, out=grads["W2"])
    np.sum(da2, axis=0, out=grads["b2"])
    dz = matmul(da2, P["W2"], trans_b=True)  # (N, Z)
    # backward: reparameterisation plus KL (both feed mu and log_var)
    dmu = dz + (beta / N) * mu
    dlog_var = dz * eps * (0.5 * std) + (0.5 * beta / N) * (var - 1.0)
    # backward: encoder heads and hidden layer
    matmul(h1, dmu, trans_a=True, out=grads["W_mu"])
    np.sum(dmu, axis=0, out=grads["b_mu"])
    matmul(h1, dlog_var, trans_a=True, out=grads["W_logvar"])
    np.sum(dlog_var, axis=0, out=grads["b_logvar"])
    dh1 = matmul(dmu, P["W_mu"], trans_b=True, out=ws["nh_a"])
    dh1 += matmul(dlog_var, P["W_logvar"], trans_b=True, out=ws["nh_b"])
    da1 = dh1
    da1 *= act.der(h1, out=ws["nh_b"])
    matmul(x, da1, trans_a=True, out=grads["W1"])
    np.sum(da1, axis=0, out=grads["b1"])
    recon, kl = float(recon), float(kl)
    return {"loss": recon + beta * kl, "recon": recon, "kl": kl}


def evaluate(model, X, rng, n_draws=1):
    """Mean -ELBO and its terms on a data set, in nats per example.

    Averages over the rows of X and over ``n_draws`` draws of eps from rng.
    Returns a dict of floats: "recon", "kl" and "neg_elbo" (= recon + kl).
    """
    X = _images(X, model.x_dim).astype(model.dtype, copy=False)
    rng = _generator(rng)
    n_draws = _positive_int("n_draws", n_draws)
    recon = kl = 0.0
    for _ in range(n_draws):
        eps = rng.standard_normal((X.shape[0], model.z_dim)).astype(model.dtype, copy=False)
        stats, _ = model._forward(X, eps, 1.0)
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
        raise ValueError(f"model must be a VAE, got {type(model).__name__}")
    X = _images(X, model.x_dim)
    epochs = _positive_int("epochs", epochs)
    batch_size = _positive_int("batch_size", batch_size)
    lr = _number("lr", lr, minimum=0.0, strict=True)
    beta = _number("beta", beta, minimum=0.0)
    warmup_epochs = _number("warmup_epochs", warmup_epochs, minimum=0.0)
    if X_test is not None:
        X_test = _images(X_test, model.x_dim).astype(model.dtype, copy=False)
    if optimizer is None:
        optimizer = Adam(model.params, lr=lr)
    elif not isinstance(optimizer, Adam) or optimizer.params is not model.params:
        raise ValueError("optimizer must be an Adam built on this model's params")
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
            test, _ = model._forward(X_test, eps_test, 1.0)
            record.update(test_recon=test["recon"], test_kl=test["kl"],
                          test_neg_elbo=test["recon"] + test["kl"])
        yield record


# ---------------------------------------------------------------------------
# Saved weights
# ---------------------------------------------------------------------------


def save_weights(model, path, meta=None, dtype=np.float32):
    """Write ``model`` to an .npz: its params (as ``dtype``), its settings and ``meta``.

    meta: a JSON-safe dict (e.g. how it was trained and its test -ELBO).
    """
    config = {"x_dim": model.x_dim, "hidden": model.hidden, "z_dim": model.z_dim,
              "activation": model.activation.name}
    arrays = {name: p.astype(dtype) for name, p in model.params.items()}
    np.savez_compressed(path, config=np.array(json.dumps(config, sort_keys=True)),
                        meta=np.array(json.dumps(meta or {}, sort_keys=True)), **arrays)


def load_weights(path, dtype=np.float64):
    """Read a file written by ``save_weights``. Returns ``(model, meta)``.

    The model's params are converted to ``dtype`` (float64 by default).
    """
    with np.load(path, allow_pickle=False) as f:
        config = json.loads(str(f["config"]))
        meta = json.loads(str(f["meta"]))
        model = VAE(config["x_dim"], config["hidden"], config["z_dim"], seed=0,
                    activation=config["activation"], dtype=dtype)
        for name, p in model.params.items():
            p[...] = f[name]
    return model, meta


def load_pretrained(name="beta1", dtype=np.float64):
    """A VAE trained on the digits by ``scripts/pretrain.py`` (see its docstring).

    name: one of ``PRETRAINED``: "beta1" (beta = 1) or "beta4" (beta = 4).
    The training settings and the recorded test -ELBO are in ``model.meta``.
    """
    if name not in PRETRAINED:
        raise ValueError(f"name must be one of {list(PRETRAINED)}, got {name!r}")
    model, meta = load_weights(_HERE / f"pretrained_{name}.npz", dtype=dtype)
    model.meta = meta
    return model


def load_histories():
    """Recorded training runs for the training-dynamics figure.

    Returns a dict: run name -> dict of float64 arrays, one entry per epoch:
    "epoch", "beta", "recon", "kl" (training means) and "test_recon", "test_kl"
    (test set at a fixed eps), in nats per example. Runs: "no_warmup",
    "warmup" and "beta4" (see ``scripts/pretrain.py``).
    """
    runs = {}
    with np.load(_HERE / "histories.npz", allow_pickle=False) as f:
        for key in f.files:
            run, _, field = key.partition("/")
            runs.setdefault(run, {})[field] = f[key].astype(np.float64)
    return runs
