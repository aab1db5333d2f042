"""Univariate Gaussians: log densities and the closed-form KL to the prior.

All log densities and divergences are in nats.
"""

import math

import numpy as np

__all__ = ["check_gaussian", "kl_to_standard_normal", "log_normal_pdf"]

_LOG_2PI = math.log(2.0 * math.pi)


def check_gaussian(mu, sigma):
    """Return ``(mu, sigma)`` as float arrays, or raise ``ValueError``.

    ``mu`` must be finite and ``sigma`` finite and strictly positive; the two
    must broadcast against each other. The message says which rule failed.
    """
    try:
        mu = np.asarray(mu, dtype=float)
        sigma = np.asarray(sigma, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("mu and sigma must be numbers") from None
    if not np.all(np.isfinite(mu)):
        raise ValueError("mu must be a finite number")
    if not np.all(np.isfinite(sigma)):
        raise ValueError("sigma must be a finite number")
    if np.any(sigma <= 0):
        raise ValueError("sigma must be greater than 0 (it is a standard deviation)")
    try:
        np.broadcast_shapes(mu.shape, sigma.shape)
    except ValueError:
        raise ValueError(
            f"mu and sigma have shapes {mu.shape} and {sigma.shape}, which do not broadcast"
        ) from None
    return mu, sigma


def kl_to_standard_normal(mu, sigma):
    """KL( N(mu, sigma^2) || N(0, 1) ) in nats.

    Closed form: ``0.5 * (mu**2 + sigma**2 - 1) - log(sigma)``. Works
    elementwise over arrays that broadcast; scalars in give a Python float out.

    Raises ``ValueError`` if sigma <= 0 or any input is not finite.
    """
    scalar = np.ndim(mu) == 0 and np.ndim(sigma) == 0
    mu, sigma = check_gaussian(mu, sigma)
    kl = 0.5 * (mu * mu + sigma * sigma - 1.0) - np.log(sigma)
    return float(kl) if scalar else kl


def log_normal_pdf(z, mu=0.0, sigma=1.0):
    """log N(z; mu, sigma^2) in nats, elementwise."""
    mu, sigma = check_gaussian(mu, sigma)
    z = np.asarray(z, dtype=float)
    u = (z - mu) / sigma
    return -0.5 * (u * u + _LOG_2PI) - np.log(sigma)
