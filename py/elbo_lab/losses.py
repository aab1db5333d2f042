"""The two terms of the VAE loss, as forward/backward pairs. Units: nats.

Reconstruction. Each pixel is a count k in 0..n (n = 16 for the digits), and
the decoder gives a logit l per pixel. The likelihood is Binomial(n, p) with
p = sigmoid(l):

    log p(k | l) = log C(n, k) + k log p + (n - k) log(1 - p)
                 = log C(n, k) + k l - n softplus(l)

using log p = l - softplus(l) and log(1 - p) = -softplus(l). softplus(l) =
log(1 + e^l) = ``np.logaddexp(0, l)`` is computed as max(l, 0) + log1p(e^-|l|),
the same function, stable for any l and about three times faster than
``np.logaddexp``; never as the log of a rounded sigmoid. The constant log C(n, k) is included, so
the value is a true log-probability of the data as stored (17 grey levels).
Its gradient: d(-log p)/dl = n sigmoid(l) - k.

KL. For q = N(mu, diag(exp(log_var))) and the prior N(0, I):

    KL(q || p) = 0.5 * sum_j (mu_j^2 + exp(log_var_j) - 1 - log_var_j)

Both losses return the MEAN over the batch of a per-example sum over
dimensions, in nats per example.
"""

import math

import numpy as np

__all__ = [
    "binomial_log_pmf",
    "binomial_nll_backward",
    "binomial_nll_forward",
    "gaussian_kl_backward",
    "gaussian_kl_forward",
    "log_binom_table",
    "sigmoid",
    "softplus",
]


def log_binom_table(n):
    """``log C(n, k)`` for k = 0..n, as a float64 array of length n + 1."""
    lg = math.lgamma
    return np.array([lg(n + 1) - lg(k + 1) - lg(n - k + 1) for k in range(n + 1)])


_LOG_BINOM = {16: log_binom_table(16)}


def _log_binom(k, n):
    """log C(n, k) elementwise for integer-valued float counts k."""
    table = _LOG_BINOM.get(n)
    if table is None:
        table = _LOG_BINOM[n] = log_binom_table(n)
    return table[k.astype(np.intp)]


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
    (the gradient n p - k and the mean image); never take its log. Writes
    into ``out`` if given.
    """
    p = np.multiply(logits, 0.5, out=out)
    np.tanh(p, out=p)
    p *= 0.5
    p += 0.5
    return p


def binomial_log_pmf(logits, k, n=16):
    """Per-example ``log p(k | logits)`` in nats, summed over pixels (the last axis).

    logits: (..., N, D) decoder outputs. k: (N, D) integer counts in 0..n, held
    as floats; it broadcasts against logits. Returns (..., N).
    """
    log_binom = _log_binom(k, n).sum(axis=-1)  # (N,), the constant sum_i log C(n, k_i)
    log_p = k * logits - n * softplus(logits)  # log-pmf per pixel, less log C(n, k)
    return log_binom + log_p.sum(axis=-1)


def binomial_nll_forward(logits, k, n=16):
    """Reconstruction loss ``-mean_i log p(k_i | logits_i)``, in nats per example.

    logits, k: (N, D). Returns ``(loss, cache)`` with loss a float.
    """
    log_px = binomial_log_pmf(logits, k, n)  # (N,)
    loss = -log_px.mean()
    cache = (logits, k, n)
    return float(loss), cache


def binomial_nll_backward(dloss, cache):
    """Backward pass of ``binomial_nll_forward``. dloss: float. Returns dlogits (N, D)."""
    logits, k, n = cache
    N = logits.shape[0]
    dlogits = sigmoid(logits)  # p
    dlogits *= n
    dlogits -= k  # n p - k: d(-log p(k|l))/dl per example
    dlogits *= dloss / N  # the mean over the batch
    return dlogits


def gaussian_kl_forward(mu, log_var):
    """``mean_i KL(N(mu_i, diag(exp(log_var_i))) || N(0, I))`` in nats per example.

    mu, log_var: (N, Z). Returns ``(kl, cache)`` with kl a float.
    """
    var = np.exp(log_var)  # sigma^2
    kl_per_example = 0.5 * (mu * mu + var - 1.0 - log_var).sum(axis=1)  # (N,)
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
