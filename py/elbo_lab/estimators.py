"""Two Monte-Carlo estimators of the gradient of E_q[f(z)] for q = N(mu, sigma**2).

The test function is fixed for the page: ``f(z) = z**2``, so
``E_q[f] = mu**2 + sigma**2`` and the exact gradient is ``(2 mu, 2 sigma)``,
which a reader can check by hand. Both estimators draw ``eps ~ N(0, 1)`` and
``z = mu + sigma * eps``:

- **reparameterisation** (pathwise): differentiate through the sample,
  ``d f(z)/d mu = f'(z)``, ``d f(z)/d sigma = f'(z) * eps``;
- **score function** (REINFORCE): ``f(z) * d log q(z)/d(mu, sigma)``, with
  ``d log q/d mu = eps / sigma`` and ``d log q/d sigma = (eps**2 - 1) / sigma``.

Both are unbiased. Their per-sample variances are in closed form
(``per_sample_variance``), from the Gaussian moments E[eps^2k] = 1, 3, 15, 105::

    reparam, d/dmu:    4 sigma**2
    reparam, d/dsigma: 4 mu**2 + 8 sigma**2
    score,   d/dmu:    mu**4 / sigma**2 + 14 mu**2 + 15 sigma**2
    score,   d/dsigma: 2 mu**4 / sigma**2 + 60 mu**2 + 74 sigma**2

so for this f the score-function estimator is noisier for every (mu, sigma),
by 15/4 and 74/8 at mu = 0 and without bound as |mu| / sigma grows. An estimate
from n samples is their mean, with variance per_sample / n.

Gradients are per unit of mu and of sigma (f has the units of z**2).
Randomness enters only through an ``np.random.Generator``. Bad input raises
``ValueError``.
"""


import numpy as np

from .checks import generator, whole
from .gaussian import check_gaussian

__all__ = [
    "MAX_DRAWS",
    "estimator_spread",
    "exact_grad",
    "expected_f",
    "f",
    "f_prime",
    "per_sample_variance",
    "reparam_grad",
    "score_grad",
]

MAX_DRAWS = 10_000_000  # n * repeats, about 80 MB of float64 per array


def f(z):
    """The test function, ``z**2`` (elementwise)."""
    z = np.asarray(z, dtype=float)
    return z * z


def f_prime(z):
    """Its derivative, ``2 z`` (elementwise)."""
    return 2.0 * np.asarray(z, dtype=float)


def _check_q(mu, sigma):
    """One Gaussian: ``(mu, sigma)`` as floats, or ``ValueError``."""
    if np.ndim(mu) or np.ndim(sigma):
        raise ValueError("mu and sigma must be single numbers")
    mu, sigma = check_gaussian(mu, sigma)
    return float(mu), float(sigma)


def expected_f(mu, sigma):
    """E_q[z**2] = mu**2 + sigma**2 for q = N(mu, sigma**2)."""
    mu, sigma = _check_q(mu, sigma)
    return mu * mu + sigma * sigma


def exact_grad(mu, sigma):
    """The exact gradient of E_q[f]: ``(d/dmu, d/dsigma) = (2 mu, 2 sigma)``."""
    mu, sigma = _check_q(mu, sigma)
    return 2.0 * mu, 2.0 * sigma


def per_sample_variance(mu, sigma):
    """Exact variance of one sample of each estimator, as a dict of (d_mu, d_sigma) pairs.

    Keys ``reparam`` and ``score``; see the module docstring for the formulas. The
    variance of an n-sample estimate is this divided by n.
    """
    mu, sigma = _check_q(mu, sigma)
    m2, v = mu * mu, sigma * sigma
    return {
        "reparam": (4.0 * v, 4.0 * m2 + 8.0 * v),
        "score": (m2 * m2 / v + 14.0 * m2 + 15.0 * v, 2.0 * m2 * m2 / v + 60.0 * m2 + 74.0 * v),
    }


def _reparam_samples(mu, sigma, eps):
    """Per-sample pathwise gradients; ``eps`` any shape -> two arrays of that shape."""
    z = mu + sigma * eps  # the reparameterised sample
    df = f_prime(z)  # d f / d z
    return df, df * eps  # dz/dmu = 1, dz/dsigma = eps


def _score_samples(mu, sigma, eps):
    """Per-sample score-function gradients; ``eps`` any shape -> two arrays of that shape."""
    z = mu + sigma * eps
    fz = f(z)
    dlogq_mu = eps / sigma  # d log q(z) / d mu at z = mu + sigma eps
    dlogq_sigma = (eps * eps - 1.0) / sigma  # d log q(z) / d sigma
    return fz * dlogq_mu, fz * dlogq_sigma


def reparam_grad(mu, sigma, n, rng):
    """Reparameterisation estimate of the gradient of E_q[f] from n samples.

    Returns ``(d_mu, d_sigma)``, floats: the means of ``f'(z)`` and
    ``f'(z) * eps`` over n draws of ``z = mu + sigma * eps``.
    """
    mu, sigma = _check_q(mu, sigma)
    n = whole("n", n, 1)
    eps = generator(rng).standard_normal(n)
    g_mu, g_sigma = _reparam_samples(mu, sigma, eps)
    return float(np.mean(g_mu)), float(np.mean(g_sigma))


def score_grad(mu, sigma, n, rng):
    """Score-function (REINFORCE) estimate of the gradient of E_q[f] from n samples.

    Returns ``(d_mu, d_sigma)``, floats: the means of ``f(z) * d log q(z)/d mu``
    and ``f(z) * d log q(z)/d sigma`` over n draws (no baseline).
    """
    mu, sigma = _check_q(mu, sigma)
    n = whole("n", n, 1)
    eps = generator(rng).standard_normal(n)
    g_mu, g_sigma = _score_samples(mu, sigma, eps)
    return float(np.mean(g_mu)), float(np.mean(g_sigma))


def estimator_spread(mu, sigma, n, repeats, rng):
    """How much each estimator scatters: ``repeats`` independent n-sample estimates.

    Draws one ``(repeats, n)`` block of eps and feeds the same draws to both
    estimators. Returns a dict:

    - ``exact``: the exact gradient ``[d_mu, d_sigma]``;
    - ``reparam`` and ``score``: each a dict with ``estimates`` (array
      ``(repeats, 2)``, one row per repeat), ``mean`` and ``var`` (lists of 2
      floats: the mean and the unbiased variance over repeats), ``std`` (their
      square roots) and ``exact_var`` (the exact variance of one n-sample
      estimate, ``per_sample_variance / n``).

    ``repeats`` must be at least 2 and ``n * repeats`` at most ``MAX_DRAWS``.
    """
    mu, sigma = _check_q(mu, sigma)
    n = whole("n", n, 1)
    repeats = whole("repeats", repeats, 2)
    if n * repeats > MAX_DRAWS:
        raise ValueError(f"n * repeats must be at most {MAX_DRAWS:,} (got {n * repeats:,}); "
                         "use fewer samples or fewer repeats")
    eps = generator(rng).standard_normal((repeats, n))
    exact_var = per_sample_variance(mu, sigma)
    out = {"exact": list(exact_grad(mu, sigma))}
    for name, samples in (("reparam", _reparam_samples), ("score", _score_samples)):
        g_mu, g_sigma = samples(mu, sigma, eps)
        est = np.stack([g_mu.mean(axis=1), g_sigma.mean(axis=1)], axis=1)  # (repeats, 2)
        var = est.var(axis=0, ddof=1)
        out[name] = {
            "estimates": est,
            "mean": [float(v) for v in est.mean(axis=0)],
            "var": [float(v) for v in var],
            "std": [float(v) for v in np.sqrt(var)],
            "exact_var": [v / n for v in exact_var[name]],
        }
    return out
