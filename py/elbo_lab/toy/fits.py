"""The best Gaussian q for the toy model, found exactly: beta-optimal, reverse and forward KL.

For q = N(mu, sigma**2) the objective E_q[log p(x|z)] - beta KL(q || p(z)) is a
polynomial in mu and sigma**2 plus beta log sigma (see ``model.py``), so its
stationary points solve quadratics and the global optimum is one of them.
"""

import math

from ..checks import in_range
from ..gaussian import LOG_2PI, kl_to_standard_normal
from .model import (
    DEFAULT_S,
    beta_checked,
    elbo,
    expected_log_likelihood,
    forward_kl,
    log_evidence,
    posterior_moments,
    s_checked,
)

__all__ = ["beta_optimum", "fit_forward_kl", "fit_reverse_kl"]


def _beta_objective(x, mu, sigma, s, beta):
    """recon - beta * KL(q || p(z)), scalars."""
    return expected_log_likelihood(x, mu, sigma, s=s) - beta * kl_to_standard_normal(mu, sigma)


def _stationary_points(x, s, beta):
    """Every stationary (mu >= 0, sigma > 0) of recon - beta * KL, for beta > 0.

    d/dmu = 0 gives mu = 0 or mu**2 = x - 3 t - beta s**2 / 2 (t = sigma**2).
    Then d/dsigma = 0 is a quadratic in t:

    - mu = 0:        6 t**2 - (2x - beta s**2) t - beta s**2 = 0 (one positive root);
    - mu**2 > 0:    12 t**2 - (4x - 2 beta s**2) t + beta s**2 = 0 (0 or 2 positive roots).

    Roots are taken in the cancellation-free form. The mirror points -mu are
    stationary too, with the same value.
    """
    bs2 = beta * s * s
    points = []
    b = 2.0 * x - bs2
    if b > 0:
        t0 = (b + math.sqrt(b * b + 24.0 * bs2)) / 12.0
    else:  # 2 bs2 / (a + sqrt(a^2 + 24 bs2)) with a = -b >= 0, free of cancellation
        a = -b
        if a * a <= bs2:
            t0 = 2.0 * bs2 / (a + math.sqrt(a * a + 24.0 * bs2))
        else:  # divided through by a, so a huge beta cannot overflow a^2
            r = bs2 / a
            t0 = 2.0 * r / (1.0 + math.sqrt(1.0 + 24.0 * r / a))
    points.append((0.0, math.sqrt(t0)))
    big_b = 4.0 * x - 2.0 * bs2
    disc = big_b * big_b - 48.0 * bs2 if big_b > 0 else -1.0
    if disc >= 0:
        t1 = (big_b + math.sqrt(disc)) / 24.0
        for t in (t1, bs2 / (12.0 * t1)):  # the two roots; their product is beta s^2 / 12
            m2 = x - 3.0 * t - 0.5 * bs2
            if m2 > 0 and t > 0:
                points.append((math.sqrt(m2), math.sqrt(t)))
    return points


def beta_optimum(x, beta, s=DEFAULT_S):
    """The q = N(mu, sigma**2) that maximises ``E_q[log p(x|z)] - beta * KL(q || p(z))``.

    Found exactly, not iteratively: the objective is a polynomial in mu and
    sigma**2 plus ``beta * log sigma``, and it tends to -inf at the edges
    (sigma -> 0, sigma or |mu| -> inf) when beta > 0, so its global maximum is
    one of its stationary points, all of which solve quadratics (see
    ``_stationary_points``). The best is returned. The posterior is symmetric, so
    when the optimum has mu != 0 its mirror image -mu is equally good; the one
    with mu > 0 is returned.

    Returns a dict of floats: ``mu``, ``sigma``; ``recon`` = E_q[log p(x|z)];
    ``kl`` = KL(q || p(z)); ``objective`` = recon - beta * kl; ``elbo`` =
    recon - kl (the beta = 1 weighting); ``gap`` = log p(x) - elbo =
    KL(q || p(z|x)); ``log_evidence``; ``beta``.

    beta = 0 (pure reconstruction) has no maximiser: the supremum is approached as
    sigma -> 0 with mu**2 -> max(x, 0). Then the limit is returned: ``mu =
    sqrt(max(x, 0))``, ``sigma = 0.0``, the limiting ``recon`` (finite), ``kl =
    inf``, ``elbo = -inf``, ``gap = inf``, ``objective = recon``. As beta grows, q
    tends to the prior N(0, 1) (for beta >> x / s**2 it is already close).
    """
    x, s, beta = in_range("x", x), s_checked(s), beta_checked(beta)
    log_px = log_evidence(x, s=s)
    if beta == 0.0:
        mu = math.sqrt(max(x, 0.0))
        recon = -0.5 * LOG_2PI - math.log(s) - 0.5 * ((x - mu * mu) / s) ** 2
        return {"mu": mu, "sigma": 0.0, "recon": recon, "kl": math.inf, "objective": recon,
                "elbo": -math.inf, "gap": math.inf, "log_evidence": log_px, "beta": 0.0}
    best = None
    for mu, sigma in _stationary_points(x, s, beta):
        value = _beta_objective(x, mu, sigma, s, beta)
        if best is None or value > best[0]:
            best = (value, mu, sigma)
    value, mu, sigma = best
    recon = expected_log_likelihood(x, mu, sigma, s=s)
    kl = kl_to_standard_normal(mu, sigma)
    return {"mu": mu, "sigma": sigma, "recon": recon, "kl": kl, "objective": value,
            "elbo": recon - kl, "gap": max(log_px - (recon - kl), 0.0),
            "log_evidence": log_px, "beta": beta}


def fit_reverse_kl(x, s=DEFAULT_S):
    """The Gaussian q maximising the ELBO, i.e. minimising KL(q || p(z|x)): mode-seeking.

    ``beta_optimum`` at beta = 1 (the exact global maximum over all Gaussians;
    for a bimodal posterior it sits on the mode at z > 0, and its mirror image on
    the other mode is equally good). Returns a dict of floats: ``mu``,
    ``sigma``, ``elbo``, ``gap`` = KL(q || p(z|x)), ``forward_kl`` =
    KL(p(z|x) || q), ``log_evidence``.
    """
    opt = beta_optimum(x, 1.0, s=s)
    return {"mu": opt["mu"], "sigma": opt["sigma"], "elbo": opt["elbo"], "gap": opt["gap"],
            "forward_kl": forward_kl(x, opt["mu"], opt["sigma"], s=s),
            "log_evidence": opt["log_evidence"]}


def fit_forward_kl(x, s=DEFAULT_S):
    """The Gaussian q minimising KL(p(z|x) || q): mass-covering moment matching.

    For Gaussian q the minimiser matches the posterior's mean and variance:
    ``mu = E[z | x] = 0`` and ``sigma**2 = Var[z | x]`` (from the quadrature of
    ``posterior_moments``). Returns a dict of floats: ``mu``, ``sigma``,
    ``elbo`` (of this q), ``gap`` = KL(q || p(z|x)), ``forward_kl`` =
    KL(p(z|x) || q) (its minimum), ``log_evidence``.
    """
    x, s = in_range("x", x), s_checked(s)
    mom = posterior_moments(x, s=s)
    mu, sigma = mom["mean"], math.sqrt(mom["var"])
    log_px = log_evidence(x, s=s)
    value = elbo(x, mu, sigma, s=s)
    return {"mu": mu, "sigma": sigma, "elbo": value, "gap": max(log_px - value, 0.0),
            "forward_kl": forward_kl(x, mu, sigma, s=s), "log_evidence": log_px}
