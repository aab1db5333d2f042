"""The toy model: a 1-D latent-variable model whose posterior is multimodal and known exactly.

The model::

    p(z)     = N(z; 0, 1)
    p(x | z) = N(x; z**2, s**2)          (default s = 0.5)

The posterior p(z | x) is proportional to ``exp(g(z))`` with
``g(z) = -z**2 / 2 - (x - z**2)**2 / (2 s**2)``. Because ``z`` enters only as
``z**2`` it is symmetric in z. Setting ``g'(z) = 0`` gives ``z = 0`` or
``z**2 = x - s**2 / 2``, so the posterior has two modes at
``+-sqrt(x - s**2 / 2)`` when ``x > s**2 / 2`` and one mode at 0 otherwise.
For the default s that threshold is x = 0.125.

For a Gaussian q = N(mu, sigma**2) every term of the ELBO is a polynomial
moment of q (``E[z**2] = mu**2 + sigma**2``,
``E[z**4] = mu**4 + 6 mu**2 sigma**2 + 3 sigma**4``), so the ELBO, its
gradient and all of its stationary points are in closed form. Only the
evidence log p(x), and what depends on it (the gap, the posterior and its
moments), needs quadrature; see ``log_evidence`` for how and how accurate.

Conventions: ``x`` is one finite number; ``s`` is a keyword argument of every
function; ``mu`` and ``sigma`` may be arrays that broadcast (a scalar in gives
a Python float out) unless said otherwise. All log densities, ELBOs and
divergences are in nats. Bad input raises ``ValueError`` with a message that
says what to change.
"""

import functools
import math

import numpy as np

from ..checks import ParamError, generator, in_range, whole
from ..gaussian import LOG_2PI, check_gaussian, kl_to_standard_normal, log_normal_pdf
from ..logmath import log_mean_exp, logsumexp

__all__ = [
    "DEFAULT_S", "beta_checked", "elbo", "elbo_grad", "elbo_terms", "entropy",
    "expected_log_joint", "expected_log_likelihood", "forward_kl", "jensen_exact",
    "jensen_monte_carlo", "kl_to_posterior", "log_evidence", "log_joint", "log_posterior",
    "posterior_grid", "posterior_moments", "posterior_pdf", "posterior_range", "s_checked",
]

DEFAULT_S = 0.5


# Quadrature: the integrand exp(g(z)) is kept where g >= max g - _DROP, i.e.
# wherever it is at least e^-80 (about 2e-35) of its peak, on _NODES equally
# spaced points on z >= 0 (the integrand is even). See log_evidence.
_DROP = 80.0
_NODES = 401



def s_checked(s):
    """The likelihood's noise ``s``: a finite number > 0, else ParamError."""
    return in_range("s", s, 0.0, lo_open=True, why=" (it is the standard deviation of p(x|z))")


def beta_checked(beta):
    """The KL weight ``beta``: a finite number >= 0, else ParamError."""
    return in_range("beta", beta, 0.0, why=" (it weights the KL term)")


def _out(value, scalar):
    return float(value) if scalar else value


# --- the model ----------------------------------------------------------------------------


def log_joint(x, z, s=DEFAULT_S):
    """log p(x, z) = log N(z; 0, 1) + log N(x; z**2, s**2), in nats.

    ``z``: any shape (scalar or array); the result has the same shape (a float
    for a scalar z). ``x`` is one number.
    """
    x, s = in_range("x", x), s_checked(s)
    scalar = np.ndim(z) == 0
    try:
        z = np.asarray(z, dtype=float)
    except (TypeError, ValueError):
        raise ParamError("z", "z must be numbers") from None
    if not np.all(np.isfinite(z)):
        raise ParamError("z", "z must be finite numbers")
    r = (x - z * z) / s  # standardised residual of the likelihood
    out = -0.5 * (z * z + r * r) - LOG_2PI - math.log(s)
    return _out(out, scalar)


def _log_joint_peak(x, s):
    """max over z of g(z) = log p(x, z) + log(2 pi) + log s, and the argmax of z**2."""
    u_star = max(x - 0.5 * s * s, 0.0)  # z**2 at the mode(s)
    g_max = -0.5 * u_star - 0.5 * ((x - u_star) / s) ** 2
    return g_max, u_star


def posterior_range(x, s=DEFAULT_S, drop=_DROP):
    """The z >= 0 interval ``(lo, hi)`` where p(z | x) is within ``e**-drop`` of its peak.

    In u = z**2 the log joint is a concave quadratic,
    ``g = -u/2 - (x - u)**2 / (2 s**2)``, so ``g >= max g - drop`` is an interval
    ``[u_lo, u_hi]`` in u, found in closed form; the set in z is
    ``sqrt(max(u_lo, 0)) <= |z| <= sqrt(u_hi)``. ``lo`` is 0 when the posterior is
    unimodal (or the modes are not separated by a dip of ``drop`` nats).
    """
    x, s = in_range("x", x), s_checked(s)
    g_max, _ = _log_joint_peak(x, s)
    # (u - x)**2 + s**2 u + 2 s**2 (g_max - drop) = 0, i.e. u**2 - b u + c = 0
    b = 2.0 * x - s * s
    c = x * x + 2.0 * s * s * (g_max - drop)
    root = math.sqrt(max(b * b - 4.0 * c, 0.0))
    u_hi = 0.5 * (b + root) if b >= 0 else 2.0 * c / (b - root)
    u_lo = c / u_hi if u_hi != 0 else 0.0  # product of the roots is c
    return math.sqrt(max(u_lo, 0.0)), math.sqrt(max(u_hi, 0.0))


def _nodes(x, s):
    """Quadrature nodes on z >= 0 and log weights for the integral over the whole line.

    Trapezoid rule on ``_NODES`` equally spaced nodes over ``posterior_range``, with every
    weight doubled because the integrand is even in z (so the node at z = 0, if
    present, gets the full-line weight h).
    """
    lo, hi = posterior_range(x, s)
    z = np.linspace(lo, hi, _NODES)
    h = z[1] - z[0]
    w = np.full(_NODES, 2.0 * h)
    w[0] = w[-1] = h  # end nodes: half weight, doubled (at z = 0 that is the full-line weight)
    return z, np.log(w)


def _posterior_on_nodes(x, s):
    """Nodes z, normalised weights p_i (sum to 1 over the full line), and log p(x)."""
    z, log_w = _nodes(x, s)
    terms = log_w + log_joint(x, z, s=s)
    log_px = logsumexp(terms)
    return z, np.exp(terms - log_px), log_px


def log_evidence(x, s=DEFAULT_S):
    """log p(x) = log of the integral of p(x, z) over z, in nats.

    Computed by the trapezoid rule in log space (log-sum-exp) on 401 equally
    spaced nodes of z >= 0 over the set where the integrand is within e^-80 of
    its peak (``posterior_range``), using the symmetry in z. That set is found in
    closed form from x and s, so the grid follows the posterior as it narrows and
    splits, and it spans a bounded number of posterior widths whatever x and s.
    The integrand is smooth and negligible at the ends, where the trapezoid rule
    converges geometrically: against 30-digit mpmath quadrature, 41 nodes already
    give errors below 4e-12 nats for x in [-10, 50], s in [0.05, 10]; 401 nodes
    keep a tenfold margin. The error in log p(x) (= the relative error of p(x))
    is then round-off: below 1e-11 nats for |x| / s <= 1000, growing to about
    1e-14 * |x| / s beyond (2e-10 at x = 400, s = 0.01). The tests check 1e-10
    against scipy's adaptive quadrature on a grid of (x, s).
    """
    x, s = in_range("x", x), s_checked(s)
    return _log_evidence(x, s)


@functools.lru_cache(maxsize=64)
def _log_evidence(x, s):
    """``log_evidence`` of checked x and s, kept: a figure asks for it several times per
    answer (derivation three times), and a drag of mu or sigma keeps x and s."""
    z, log_w = _nodes(x, s)
    return logsumexp(log_w + log_joint(x, z, s=s))


def log_posterior(x, z, s=DEFAULT_S):
    """log p(z | x) = log p(x, z) - log p(x), in nats; same shape as ``z``."""
    return log_joint(x, z, s=s) - log_evidence(x, s=s)


def posterior_pdf(x, z, s=DEFAULT_S):
    """The normalised posterior density p(z | x) at ``z`` (any shape; per unit z)."""
    out = np.exp(log_posterior(x, z, s=s))
    return _out(out, np.ndim(out) == 0)


def posterior_grid(x, s=DEFAULT_S, n=401, half_width=None):
    """``(z, pdf)``: the posterior density on ``n`` equally spaced points of z.

    The grid is symmetric, ``[-half_width, half_width]``; by default it covers
    every z where the density is within e^-12 of its peak (at least [-3, 3]), so
    a plot shows all of the mass. Both arrays have shape ``(n,)``.
    """
    x, s = in_range("x", x), s_checked(s)
    n = whole("n", n, 2)
    if half_width is None:
        half_width = max(3.0, 1.05 * posterior_range(x, s, drop=12.0)[1])
    else:
        half_width = in_range("half_width", half_width, 0.0, lo_open=True)
    z = np.linspace(-half_width, half_width, n)
    return z, posterior_pdf(x, z, s=s)


def posterior_moments(x, s=DEFAULT_S):
    """Mean, variance and entropy of p(z | x), by the quadrature of ``log_evidence``.

    Returns a dict of floats: ``mean`` (exactly 0: the posterior is even in z),
    ``var`` (= E[z**2 | x]) and ``entropy`` (differential entropy, nats).
    """
    x, s = in_range("x", x), s_checked(s)
    z, p, log_px = _posterior_on_nodes(x, s)
    var = float(np.sum(p * z * z))
    entropy = float(-np.sum(p * (log_joint(x, z, s=s) - log_px)))
    return {"mean": 0.0, "var": var, "entropy": entropy}


# --- the ELBO of a Gaussian q, in closed form --------------------------------------------


def _q(mu, sigma):
    scalar = np.ndim(mu) == 0 and np.ndim(sigma) == 0
    mu, sigma = check_gaussian(mu, sigma)
    return mu, sigma, scalar


def _expected_sq_residual(x, mu, sigma):
    """E_q[(x - z**2)**2] and its partial derivatives in mu and sigma."""
    m2, v = mu * mu, sigma * sigma
    ez2 = m2 + v  # E[z^2]
    ez4 = m2 * m2 + 6.0 * m2 * v + 3.0 * v * v  # E[z^4]
    value = x * x - 2.0 * x * ez2 + ez4
    d_mu = 4.0 * mu * (m2 + 3.0 * v - x)
    d_sigma = 4.0 * sigma * (3.0 * m2 + 3.0 * v - x)
    return value, d_mu, d_sigma


def expected_log_likelihood(x, mu, sigma, s=DEFAULT_S):
    """E_q[log p(x | z)] for q = N(mu, sigma**2): the reconstruction term, nats.

    ``-log(2 pi)/2 - log s - E_q[(x - z**2)**2] / (2 s**2)``, with
    ``E_q[(x - z**2)**2] = x**2 - 2 x E[z**2] + E[z**4]``.
    """
    x, s = in_range("x", x), s_checked(s)
    mu, sigma, scalar = _q(mu, sigma)
    sq, _, _ = _expected_sq_residual(x, mu, sigma)
    return _out(-0.5 * LOG_2PI - math.log(s) - 0.5 * sq / (s * s), scalar)


def entropy(sigma):
    """Differential entropy of N(mu, sigma**2): ``0.5 * log(2 pi e sigma**2)`` nats."""
    _, sigma, scalar = _q(0.0, sigma)
    return _out(0.5 * (LOG_2PI + 1.0) + np.log(sigma), scalar)


def expected_log_joint(x, mu, sigma, s=DEFAULT_S):
    """E_q[log p(x, z)] = E_q[log p(x | z)] + E_q[log p(z)], nats.

    ``E_q[log p(z)] = -log(2 pi)/2 - (mu**2 + sigma**2)/2``. The ELBO is this plus
    the entropy of q.
    """
    recon = expected_log_likelihood(x, mu, sigma, s=s)
    mu, sigma, scalar = _q(mu, sigma)
    return _out(recon - 0.5 * LOG_2PI - 0.5 * (mu * mu + sigma * sigma), scalar)


def elbo(x, mu, sigma, s=DEFAULT_S):
    """ELBO(q) = E_q[log p(x, z) - log q(z)] for q = N(mu, sigma**2), exactly, nats.

    Closed form: ``E_q[log p(x | z)] - KL(q || p(z))``. Never above
    ``log_evidence(x, s)``.
    """
    recon = expected_log_likelihood(x, mu, sigma, s=s)
    return recon - kl_to_standard_normal(mu, sigma)


def elbo_terms(x, mu, sigma, s=DEFAULT_S):
    """Every piece of the ELBO of q = N(mu, sigma**2), as a dict of floats (nats).

    Keys: ``recon`` = E_q[log p(x|z)]; ``kl_prior`` = KL(q || p(z));
    ``elbo`` = recon - kl_prior; ``expected_log_joint`` = E_q[log p(x,z)];
    ``entropy`` = H[q] (so elbo = expected_log_joint + entropy as well);
    ``log_evidence`` = log p(x); ``gap`` = KL(q || p(z|x)) = log_evidence - elbo.
    Scalars only.
    """
    if np.ndim(mu) or np.ndim(sigma):
        raise ValueError("elbo_terms takes a single mu and sigma; use elbo() for arrays")
    recon = expected_log_likelihood(x, mu, sigma, s=s)
    kl_prior = kl_to_standard_normal(mu, sigma)
    log_px = log_evidence(x, s=s)
    value = recon - kl_prior
    return {
        "recon": recon,
        "kl_prior": kl_prior,
        "elbo": value,
        "expected_log_joint": expected_log_joint(x, mu, sigma, s=s),
        "entropy": entropy(sigma),
        "log_evidence": log_px,
        "gap": max(log_px - value, 0.0),
    }


def kl_to_posterior(x, mu, sigma, s=DEFAULT_S):
    """KL(q || p(z | x)) for q = N(mu, sigma**2), nats; always >= 0.

    Uses the identity ``log p(x) = ELBO(q) + KL(q || p(z|x))``, so this is
    ``log_evidence(x) - elbo(x, mu, sigma)``: the gap of the bound. Round-off
    (about 1e-12) can make the difference a hair negative; it is clipped at 0.
    """
    gap = log_evidence(x, s=s) - elbo(x, mu, sigma, s=s)
    return _out(np.maximum(gap, 0.0), np.ndim(gap) == 0)


def forward_kl(x, mu, sigma, s=DEFAULT_S):
    """KL(p(z | x) || q) for one q = N(mu, sigma**2), nats, by quadrature.

    ``= -H[p(z|x)] - E_p[log q(z)]``, with
    ``E_p[log q] = -log(2 pi)/2 - log sigma - (E_p[z**2] + mu**2) / (2 sigma**2)``
    (the posterior mean is 0). This is the divergence ``fit_forward_kl`` minimises.
    """
    if np.ndim(mu) or np.ndim(sigma):
        raise ValueError("forward_kl takes a single mu and sigma")
    mu, sigma, _ = _q(mu, sigma)
    mom = posterior_moments(x, s=s)
    e_log_q = -0.5 * LOG_2PI - math.log(sigma) - 0.5 * (mom["var"] + mu * mu) / (sigma * sigma)
    return max(float(-mom["entropy"] - e_log_q), 0.0)


def elbo_grad(x, mu, sigma, s=DEFAULT_S, beta=1.0):
    """Gradient of ``E_q[log p(x|z)] - beta * KL(q || p(z))`` in (mu, sigma).

    Returns ``(d_mu, d_sigma)`` (floats for scalar inputs, else arrays), in nats
    per unit of mu and of sigma. With beta = 1 it is the gradient of the ELBO::

        d/dmu    = -4 mu (mu**2 + 3 sigma**2 - x) / (2 s**2) - beta mu
        d/dsigma = -4 sigma (3 mu**2 + 3 sigma**2 - x) / (2 s**2) - beta (sigma - 1/sigma)
    """
    x, s, beta = in_range("x", x), s_checked(s), beta_checked(beta)
    mu, sigma, scalar = _q(mu, sigma)
    _, dsq_mu, dsq_sigma = _expected_sq_residual(x, mu, sigma)
    d_mu = -0.5 * dsq_mu / (s * s) - beta * mu
    d_sigma = -0.5 * dsq_sigma / (s * s) - beta * (sigma - 1.0 / sigma)
    return _out(d_mu, scalar), _out(d_sigma, scalar)


# --- Jensen's step of the derivation -----------------------------------------------------


def jensen_exact(x, mu, sigma, s=DEFAULT_S):
    """Both sides of Jensen's inequality for q = N(mu, sigma**2), exactly (nats).

    ``log_mean_ratio`` = log E_q[p(x,z)/q(z)], which is log p(x) for every q
    (the ratio's expectation is the integral of p(x, z)); ``mean_log_ratio`` =
    E_q[log p(x,z)/q(z)], the ELBO; ``gap`` = their difference = KL(q || p(z|x)).
    """
    if np.ndim(mu) or np.ndim(sigma):
        raise ValueError("jensen_exact takes a single mu and sigma")
    log_px = log_evidence(x, s=s)
    value = elbo(x, mu, sigma, s=s)
    return {"log_mean_ratio": log_px, "mean_log_ratio": value, "gap": max(log_px - value, 0.0)}


def jensen_monte_carlo(x, mu, sigma, n, rng, s=DEFAULT_S):
    """Monte-Carlo estimates of both sides of Jensen's inequality from n draws of q.

    Draws ``z_i = mu + sigma * eps_i`` (eps ~ N(0, 1) from ``rng``, an
    ``np.random.Generator``) and log ratios ``r_i = log p(x, z_i) - log q(z_i)``.
    Returns a dict of floats (nats):

    - ``log_mean_ratio``: log of the mean of exp(r_i) (log-sum-exp; the
      importance-sampling estimate of log p(x); biased low for small n),
    - ``log_mean_ratio_se``: its delta-method standard error, std(e^r)/mean(e^r)/sqrt(n),
    - ``mean_log_ratio``: the mean of r_i (an unbiased estimate of the ELBO),
    - ``mean_log_ratio_se``: its standard error, std(r)/sqrt(n),
    - ``ess``: the weights' effective sample size (sum e^r)^2 / sum e^2r, from 1 to n: how
      many draws carry the importance estimate (few when q misses the posterior's mass),
    - ``n``: the number of draws.

    The standard errors are NaN when n = 1 (one draw has no spread).
    """
    x, s = in_range("x", x), s_checked(s)
    if np.ndim(mu) or np.ndim(sigma):
        raise ValueError("jensen_monte_carlo takes a single mu and sigma")
    mu, sigma, _ = _q(mu, sigma)
    n = whole("n", n, 1)
    z = mu + sigma * generator(rng).standard_normal(n)
    r = log_joint(x, z, s=s) - log_normal_pdf(z, mu, sigma)  # log p(x,z) - log q(z)
    lme, lme_se = log_mean_exp(r)  # importance sampling: log mean p(x,z)/q(z)
    mlr_se = float(np.std(r, ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    if n == 1:
        lme_se = math.nan
    w = np.exp(r - r.max())
    ess = float(w.sum() ** 2 / (w * w).sum())
    return {
        "log_mean_ratio": float(lme),
        "log_mean_ratio_se": float(lme_se),
        "mean_log_ratio": float(np.mean(r)),
        "mean_log_ratio_se": mlr_se,
        "ess": ess,
        "n": n,
    }
