"""Importance sampling with q(z|x): the one sampler behind every IWAE estimate.

For a VAE, samples z_s = mu + sd * eps_s from q(z|x) give log weights

    log w_s = log p(x | z_s) + log p(z_s) - log q(z_s | x)        (nats)

whose mean is an unbiased estimate of the ELBO, and log mean_s w_s is the
importance-weighted bound (IWAE, Burda et al. 2016): below log p(x) in
expectation, and tightening to it as k grows. The training lab's evaluation,
``log_px`` and the grid posterior's check all draw from ``log_weights``.
"""

import math

import numpy as np

from .checks import binary_images, generator, whole
from .gaussian import log_std_normal
from .logmath import log_mean_exp, logsumexp
from .losses import bernoulli_log_pmf

__all__ = ["estimate", "estimate_in_pieces", "log_px", "log_weights"]


def log_weights(vae, x, eps, chunk_elements=2**21):
    """log p(x, z) - log q(z|x) at z = mu + sd * eps: float64 (k, N), nats.

    x: (N, x_dim) binary pixels, checked; eps: (k, N, z_dim) standard normal draws.
    Computed in the model's dtype. The decoder runs on chunks of samples with about
    ``chunk_elements`` numbers in their largest array, so large k needs little memory.
    """
    x = binary_images(x, vae.x_dim).astype(vae.dtype, copy=False)
    eps = np.asarray(eps, dtype=vae.dtype)
    k, N, Z = eps.shape
    mu, log_var = vae.encode(x)
    z = mu + np.exp(0.5 * log_var) * eps  # (k, N, Z) samples from q(z|x)
    log_pxz = np.empty((k, N), vae.dtype)
    per = max(1, chunk_elements // (N * max(vae.hidden, vae.x_dim)))
    for start in range(0, k, per):
        stop = min(k, start + per)
        logits = vae.decode_logits(z[start:stop].reshape(-1, Z)).reshape(stop - start, N, -1)
        log_pxz[start:stop] = bernoulli_log_pmf(logits, x)  # log p(x|z)
    log_qz = log_std_normal(eps) - 0.5 * log_var.sum(axis=-1)  # log q(z|x) at z = mu + sd eps
    return (log_pxz + log_std_normal(z) - log_qz).astype(np.float64)


def estimate(vae, x, k, rng, chunk_elements=2**21):
    """IWAE log p(x) and the ELBO of each row of x, both from the same k samples of q(z|x).

    x: (N, x_dim) binary digits; k: samples per digit (whole, >= 1); rng: a
    np.random.Generator, which draws eps of shape (k, N, z_dim). Returns a dict
    of float64 (N,) arrays, nats: "log_px" = log mean_s w_s, "elbo" = mean_s
    log w_s, "log_px_se" (delta method; inf for k = 1). On the same samples,
    log_px >= elbo for every digit (Jensen's inequality).
    """
    pieces = estimate_in_pieces(vae, x, k, rng, None, chunk_elements)
    while True:
        try:
            next(pieces)
        except StopIteration as done:
            return done.value


def estimate_in_pieces(vae, x, k, rng, rows, chunk_elements=2**21):
    """``estimate`` as a generator that weighs ``rows`` digits at a time (None: all at once).

    It yields None after each piece but the last and returns ``estimate``'s dict.
    The eps are drawn at the start, as ``estimate`` draws them, so the pieces change
    only the grouping of rows: each digit's numbers agree with ``estimate``'s to rounding.
    """
    k = whole("k", k, 1)
    x = binary_images(x, vae.x_dim)
    N = x.shape[0]
    rows = N if rows is None else whole("rows", rows, 1)
    eps = generator(rng).standard_normal((k, N, vae.z_dim)).astype(vae.dtype, copy=False)
    if rows >= N:
        log_w = log_weights(vae, x, eps, chunk_elements)
    else:
        log_w = np.empty((k, N))
        for start in range(0, N, rows):
            log_w[:, start : start + rows] = log_weights(vae, x[start : start + rows],
                                                         eps[:, start : start + rows], chunk_elements)
            if start + rows < N:
                yield None
    value, se = log_mean_exp(log_w, axis=0)
    return {"log_px": value, "elbo": log_w.mean(axis=0), "log_px_se": se}


def log_px(vae, x, k, rng, chunk_elements=2**21):
    """The IWAE estimate of log p(x) for each row of x, in nats: (N,).

    logsumexp_s log w_s - log k with k samples of q(z|x); k = 1 gives a one-sample
    ELBO. Samples are drawn from ``rng`` in chunks (see ``log_weights``), so the
    answer does not depend on ``chunk_elements``.
    """
    k = whole("k", k, 1)
    x = binary_images(x, vae.x_dim)
    rng = generator(rng)
    N, Z = x.shape[0], vae.z_dim
    per = max(1, chunk_elements // (N * max(vae.hidden, vae.x_dim)))
    parts = []  # logsumexp of each chunk's log weights, (N,)
    for start in range(0, k, per):
        eps = rng.standard_normal((min(per, k - start), N, Z)).astype(vae.dtype, copy=False)
        parts.append(logsumexp(log_weights(vae, x, eps, chunk_elements), axis=0))
    return logsumexp(np.array(parts), axis=0) - math.log(k)
