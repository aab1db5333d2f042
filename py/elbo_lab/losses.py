"""The two terms of the VAE loss, as forward/backward pairs. Units: nats.

Reconstruction. Each pixel is binary, x in {0, 1} (the digits binarised at
half ink, count >= 8; see ``data.py``), and the decoder gives a logit l per
pixel. The likelihood is Bernoulli(p) with p = sigmoid(l):

    log p(x | l) = x log p + (1 - x) log(1 - p) = x l - softplus(l)

using log p = l - softplus(l) and log(1 - p) = -softplus(l). There is no
constant: this is a true log-probability mass on {0, 1}^D. softplus(l) =
log(1 + e^l) = ``np.logaddexp(0, l)`` is computed as max(l, 0) +
log1p(e^-|l|), the same function, stable for any l and about three times
faster than ``np.logaddexp``; never as the log of a rounded sigmoid.
Its gradient: d(-log p(x | l))/dl = sigmoid(l) - x.

KL. For q = N(mu, diag(exp(log_var))) and the prior N(0, I):

    KL(q || p) = 0.5 * sum_j (mu_j^2 + exp(log_var_j) - 1 - log_var_j)

Both losses return the MEAN over the batch of a per-example sum over
dimensions, in nats per example.
"""

import numpy as np

from .gaussian import kl_diag_terms

__all__ = [
    "bernoulli_log_pmf",
    "bernoulli_nll_backward",
    "bernoulli_nll_forward",
    "gaussian_kl_backward",
    "gaussian_kl_forward",
    "sigmoid",
    "softplus",
]


def softplus(logits):
    """``log(1 + e^l)`` for each logit l, without overflow or loss of precision.

    Computed as ``max(l, 0) + log1p(exp(-|l|))``, which equals
    ``np.logaddexp(0, l)``.
    """
    out = np.exp(-np.abs(logits))  # e^-|l| in (0, 1]: cannot overflow
    np.log1p(out, out=out)
    out += np.maximum(logits, 0.0)
    return out


def sigmoid(logits, out=None):
    """``1 / (1 + e^-l)`` for each logit l, as ``0.5 + 0.5 tanh(l / 2)`` (no overflow).

    Accurate to about 1e-16 in absolute terms, which is what its uses need
    (the gradient p - x and the mean image); never take its log. Writes
    into ``out`` if given.
    """
    p = np.multiply(logits, 0.5, out=out)
    np.tanh(p, out=p)
    p *= 0.5
    p += 0.5
    return p


def bernoulli_log_pmf(logits, x):
    """Per-example ``log p(x | logits)`` in nats, summed over pixels (the last axis).

    logits: (..., N, D) decoder outputs. x: (N, D) binary pixels, 0.0 or 1.0;
    it broadcasts against logits. Returns (..., N).
    """
    log_p = x * logits - softplus(logits)  # log-pmf per pixel
    return log_p.sum(axis=-1)


def bernoulli_nll_forward(logits, x):
    """Reconstruction loss ``-mean_i log p(x_i | logits_i)``, in nats per example.

    logits, x: (N, D), x binary. Returns ``(loss, cache)`` with loss a float.
    """
    log_px = bernoulli_log_pmf(logits, x)  # (N,)
    loss = -log_px.mean()
    cache = (logits, x)
    return float(loss), cache


def bernoulli_nll_backward(dloss, cache):
    """Backward pass of ``bernoulli_nll_forward``. dloss: float. Returns dlogits (N, D)."""
    logits, x = cache
    N = logits.shape[0]
    dlogits = sigmoid(logits)  # p
    dlogits -= x  # p - x: d(-log p(x|l))/dl per example
    dlogits *= dloss / N  # the mean over the batch
    return dlogits


def gaussian_kl_forward(mu, log_var):
    """``mean_i KL(N(mu_i, diag(exp(log_var_i))) || N(0, I))`` in nats per example.

    mu, log_var: (N, Z). Returns ``(kl, cache)`` with kl a float.
    """
    var = np.exp(log_var)  # sigma^2
    kl_per_example = kl_diag_terms(mu, log_var, var).sum(axis=1)  # (N,)
    kl = kl_per_example.mean()
    cache = (mu, var)
    return float(kl), cache


def gaussian_kl_backward(dkl, cache):
    """Backward pass of ``gaussian_kl_forward``. Returns ``(dmu, dlog_var)``, each (N, Z).

    dKL/dmu = mu and dKL/dlog_var = 0.5 (exp(log_var) - 1), per example.
    """
    mu, var = cache
    N = mu.shape[0]
    dmu = mu * (dkl / N)
    dlog_var = (var - 1.0) * (0.5 * dkl / N)
    return dmu, dlog_var
