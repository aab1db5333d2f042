"""Gaussians: log densities, the closed-form KL to the standard normal prior.

All log densities and divergences are in nats. ``LOG_2PI`` is the one copy of
log(2 pi) in the package.
"""

import math
import statistics

import numpy as np

from .checks import ParamError, in_range

__all__ = ["LOG_2PI", "check_gaussian", "kl_diag_terms", "kl_to_standard_normal",
           "log_normal_pdf", "log_std_normal", "quantile_grid"]

LOG_2PI = math.log(2.0 * math.pi)


def check_gaussian(mu, sigma):
    """Return ``(mu, sigma)`` as float arrays, or raise ``ParamError``.

    ``mu`` must be finite and ``sigma`` finite and strictly positive; the two
    must broadcast against each other. The message says which rule failed.
    Single numbers are checked by ``checks.in_range``; arrays elementwise.
    """
    if np.ndim(mu) == 0 and np.ndim(sigma) == 0 and not isinstance(mu, str) \
            and not isinstance(sigma, str):
        try:
            mu, sigma = float(mu), float(sigma)
        except (TypeError, ValueError):
            raise ValueError("mu and sigma must be numbers") from None
        mu = in_range("mu", mu)
        sigma = in_range("sigma", sigma, 0.0, lo_open=True, why=" (it is a standard deviation)")
        return np.asarray(mu), np.asarray(sigma)
    try:
        mu = np.asarray(mu, dtype=float)
        sigma = np.asarray(sigma, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("mu and sigma must be numbers") from None
    if not np.all(np.isfinite(mu)):
        raise ParamError("mu", "mu must be a finite number")
    if not np.all(np.isfinite(sigma)):
        raise ParamError("sigma", "sigma must be a finite number")
    if np.any(sigma <= 0):
        raise ParamError("sigma", "sigma must be greater than 0 (it is a standard deviation)")
    try:
        np.broadcast_shapes(mu.shape, sigma.shape)
    except ValueError:
        raise ValueError(
            f"mu and sigma have shapes {mu.shape} and {sigma.shape}, which do not broadcast"
        ) from None
    return mu, sigma


def kl_to_standard_normal(mu, sigma):
    """KL( N(mu, sigma^2) || N(0, 1) ) in nats.

    Closed form: ``0.5 * (mu**2 + sigma**2 - 1) - log(sigma)`` (``kl_diag_terms`` with
    log_var = 2 log sigma). Works
    elementwise over arrays that broadcast; scalars in give a Python float out.

    Raises ``ValueError`` if sigma <= 0 or any input is not finite.
    """
    scalar = np.ndim(mu) == 0 and np.ndim(sigma) == 0
    mu, sigma = check_gaussian(mu, sigma)
    kl = kl_diag_terms(mu, 2.0 * np.log(sigma), sigma * sigma)
    return float(kl) if scalar else kl


def kl_diag_terms(mu, log_var, var=None):
    """Each dimension's KL( N(mu_j, exp(log_var_j)) || N(0, 1) ), in nats, elementwise.

    The KL of a diagonal Gaussian q = N(mu, diag(exp(log_var))) to N(0, I) is the sum
    of these over the latent axis: ``0.5 * (mu^2 + exp(log_var) - 1 - log_var)``.
    mu, log_var: arrays of one shape, e.g. (N, Z); pass ``var = exp(log_var)`` if it
    is at hand. Unchecked: this is the inner loop of training.
    """
    if var is None:
        var = np.exp(log_var)
    return 0.5 * (mu * mu + var - 1.0 - log_var)


def log_normal_pdf(z, mu=0.0, sigma=1.0):
    """log N(z; mu, sigma^2) in nats, elementwise."""
    mu, sigma = check_gaussian(mu, sigma)
    z = np.asarray(z, dtype=float)
    u = (z - mu) / sigma
    return -0.5 * (u * u + LOG_2PI) - np.log(sigma)


def log_std_normal(z):
    """log N(z; 0, I) of each row of z (..., Z), summed over the last axis; nats, (...)."""
    return -0.5 * (z * z + LOG_2PI).sum(axis=-1)


def quantile_grid(n, p_lo=0.05):
    """(n * n, 2) latent points on a grid of the prior's quantiles.

    Each coordinate runs through the standard normal quantiles at n evenly spaced
    probabilities from p_lo to 1 - p_lo, so the grid covers the prior evenly in
    probability, as in Kingma & Welling (2013), Fig. 4. Row-major from the top
    left: z1 grows to the right, z2 upwards.
    """
    q = np.array([statistics.NormalDist().inv_cdf(p) for p in np.linspace(p_lo, 1.0 - p_lo, n)])
    z1, z2 = np.meshgrid(q, q[::-1])
    return np.column_stack([z1.ravel(), z2.ravel()])
