"""The exact posterior p(z|x) of a VAE with a 2-D latent, on a grid, and the ELBO's terms.

With two latent dimensions the intractable integral p(x) = int p(x|z) p(z) dz
can be done by brute force: evaluate the decoder on a grid and sum. That gives
log p(x), the true posterior, KL(q || p(z|x)), and a check of the identity
log p(x) = ELBO + KL(q || p(z|x)) on a real network. ``true_posterior`` does it
on fine grids, as the reference the tests use; ``encoder_identity`` does it in an
eighth of the decoder calls (about 4,000 against 30,500), on the grids of ``gap``, for the lab's figure.
"""

import math
import numbers

import numpy as np

from .checks import ParamError, binary_images
from .gap import binary_image, grid_kl, log_joint_for, node_elbo, posterior_grid
from .gaussian import kl_diag_terms, log_std_normal
from .importance import log_weights
from .logmath import log_mean_exp, logsumexp
from .losses import bernoulli_log_pmf
from .vae import VAE

__all__ = ["encoder_identity", "true_posterior"]

IDENTITY_FINE = 51  # encoder_identity's grid: it also covers q's +-Q_BOX sd box
IWAE_K = 1000  # encoder_identity's importance samples
Q_BOX = 5.0


def _log_lik(vae, x, z, chunk_rows=4096):
    """log p(x|z) for each row of z (M, 2); x: (D,) float64, one image of vae.x_dim pixels. Nats, (M,)."""
    out = np.empty(len(z))
    for start in range(0, len(z), chunk_rows):
        logits = vae.decode_logits(z[start : start + chunk_rows])
        out[start : start + chunk_rows] = bernoulli_log_pmf(logits, x)
    return out


def _log_joint(vae, x, z):
    """log p(x, z) = log p(x|z) + log N(z; 0, I) for each row of z (M, 2). Nats, (M,)."""
    return _log_lik(vae, x, z) + log_std_normal(z)


def _weighted_mean(values, weight):
    """sum_ij w_i w_j values[i, j] / sum_ij w_i w_j, for a tensor-product weight."""
    return float(weight @ values @ weight / weight.sum() ** 2)


def _grid_kl(log_q, log_p):
    """KL(q || p) between two unnormalised log densities on the same grid, each normalised there."""
    log_q = log_q - logsumexp(log_q)
    log_p = log_p - logsumexp(log_p)
    return float(np.sum(np.exp(log_q) * (log_q - log_p)))


def _grid(lo, hi, n):
    """An n1 x n2 grid over the box [lo, hi]: axes, and the points as (n1 * n2, 2), z1 fastest."""
    g1, g2 = np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n)
    zz1, zz2 = np.meshgrid(g1, g2)  # (n, n): row = z2, column = z1
    return g1, g2, np.column_stack([zz1.ravel(), zz2.ravel()])


def true_posterior(vae, x, *, coarse=61, fine=121, q_nodes=101, k=2000, seed=0,
                   mass=1e-10, q_box=5.0, q_reach=7.0):
    """The exact posterior p(z|x) of a VAE with a 2-D latent, and the ELBO's terms.

    vae: a ``VAE`` with z_dim 2 (its weights are copied to float64).
    x: (x_dim,) binary pixels (784 for the lab's 28 x 28 digits). Steps, all in float64:

    1. log p(x, z) = log p(x|z) + log N(z; 0, I) on a coarse ``coarse`` x
       ``coarse`` grid over [-6, 6]^2, to find where the posterior has mass: the
       cells within a factor ``mass`` of the largest, padded by one coarse cell, and
       out to +-9 on a side where they reach the coarse grid's edge (the prior's
       density there is e^-40 of its peak; a lab model's posterior can peak near 6).
    2. A fine ``fine`` x ``fine`` grid (odd) over a box covering that mass and
       q(z|x)'s +-``q_box`` sd box. log p(x) = logsumexp(log p(x, z)) + log(cell
       area): a Riemann sum. "grid_error": its change when the same box is
       summed on every other point ([::2, ::2], twice the spacing, no new
       decoder evaluations).
    3. ELBO = E_q[log p(x|z)] - KL(q || N(0, I)): the KL in closed form, the
       expectation by the trapezoid rule in q's own coordinates, z = mu + sd t,
       t on a ``q_nodes`` x ``q_nodes`` grid over [-q_reach, q_reach]^2 weighted
       by N(t; 0, I) (independent of the posterior grid). Not Gauss-Hermite: the
       ReLU decoder makes log p(x|z) kinked, and 40 x 40 Gauss-Hermite nodes
       were off by up to 5e-3 nats on the pretrained model's test digits, while
       this rule (101 x 101 over +-7 sd) stays within 1e-4. "elbo_error": its
       change on every other node (the same check as grid_error).
    4. "kl_grid" = KL(q || p(z|x)) on the fine grid, q and p(z|x) each normalised
       there, and "kl_error", its change on every other point. The identity
       log p(x) = ELBO + KL(q || p(z|x)) then holds up to quadrature error:
       "residual" = log_px_grid - (elbo + kl_grid), checked against "tolerance"
       = grid_error + kl_error + elbo_error + 1e-4 (the last term for q's mass
       outside its +-5 sd box, which kl_grid leaves out: < 1e-5 nats). Each
       error estimate compares a rule with itself at twice the spacing, which
       overstates the error at the finer spacing (for an O(h^2) rule, 3 times).
    5. IWAE with k samples of q from ``default_rng(seed)``, and its standard
       error sd(w) / (sqrt(k) mean(w)) (delta method, from scaled weights). A
       rough guide only: when q's sd is below 1/sqrt(2) of the posterior's
       tail width (the prior's sd, 1, at least) the weights w have infinite
       variance; IWAE still converges, from below, but more slowly than the
       standard error says (at k = 20000 on the pretrained model, up to 4.4
       of them low).

    Returns a dict: floats "log_px_grid", "grid_error", "elbo", "elbo_error",
    "recon" (= -E_q log p(x|z)), "kl_prior", "kl_grid", "kl_error", "residual",
    "tolerance", "iwae", "iwae_se"; bool "identity_ok"; arrays "q_mu", "q_sd" (2,), "z1", "z2" (the
    fine axes), "density" (fine, fine): p(z|x) normalised to integrate to 1 on
    the grid, row i at z2[i]; "recon_image" (x_dim,): the decoder's mean at q's mean.
    """
    if not isinstance(vae, VAE) or vae.z_dim != 2:
        raise ParamError("vae", "true_posterior needs a VAE with a 2-D latent")
    for name, n in (("coarse", coarse), ("fine", fine), ("q_nodes", q_nodes)):
        if not isinstance(n, numbers.Integral) or n < 3 or n % 2 == 0:
            raise ParamError(name, f"{name} must be an odd whole number >= 3, got {n!r}")
    vae = vae.as_float64()
    x = binary_images(np.reshape(x, (1, -1)), vae.x_dim)[0]
    mu, log_var = vae.encode(x[None])
    q_mu, q_sd = mu[0], np.exp(0.5 * log_var[0])

    # 1. coarse pass: where is the posterior mass?
    _, _, zc = _grid((-6.0, -6.0), (6.0, 6.0), coarse)
    lj = _log_joint(vae, x, zc)
    kept = zc[lj >= lj.max() + math.log(mass)]
    pad = 12.0 / (coarse - 1)
    lo, hi = kept.min(axis=0) - pad, kept.max(axis=0) + pad
    # mass at the coarse grid's edge may go on beyond it: then out to +-9 on that side
    lo[kept.min(axis=0) <= -6.0] = -9.0
    hi[kept.max(axis=0) >= 6.0] = 9.0
    lo = np.minimum(lo, q_mu - q_box * q_sd)
    hi = np.maximum(hi, q_mu + q_box * q_sd)

    # 2. fine grid: log p(x) and its grid error
    z1, z2, zf = _grid(lo, hi, fine)
    lj = _log_joint(vae, x, zf).reshape(fine, fine)
    h1, h2 = z1[1] - z1[0], z2[1] - z2[0]
    log_px = logsumexp(lj) + math.log(h1 * h2)
    log_px_half = logsumexp(lj[::2, ::2]) + math.log(4.0 * h1 * h2)
    grid_error = abs(log_px - log_px_half)

    # 3. ELBO: the trapezoid rule on q's standardised coordinates, closed-form KL to the prior
    t = np.linspace(-q_reach, q_reach, q_nodes)
    tt1, tt2 = np.meshgrid(t, t)
    zq = q_mu + q_sd * np.column_stack([tt1.ravel(), tt2.ravel()])
    log_pxz = _log_lik(vae, x, zq).reshape(q_nodes, q_nodes)
    weight = np.exp(-0.5 * t * t)
    expected = _weighted_mean(log_pxz, weight)
    expected_half = _weighted_mean(log_pxz[::2, ::2], weight[::2])
    kl_prior = float(np.sum(kl_diag_terms(q_mu, log_var[0])))
    elbo = expected - kl_prior
    elbo_error = abs(expected - expected_half)

    # 4. KL(q || p(z|x)) on the fine grid, both normalised there; and on every other point
    log_q = (-0.5 * (((zf - q_mu) / q_sd) ** 2).sum(axis=1)).reshape(fine, fine)
    kl_grid = _grid_kl(log_q, lj)
    kl_error = abs(kl_grid - _grid_kl(log_q[::2, ::2], lj[::2, ::2]))
    residual = log_px - (elbo + kl_grid)
    tolerance = grid_error + kl_error + elbo_error + 1e-4

    # 5. IWAE with k samples (importance.py)
    eps = np.random.default_rng(seed).standard_normal((k, 1, 2))
    iwae, iwae_se = log_mean_exp(log_weights(vae, x[None], eps)[:, 0])

    density = np.exp(lj - lj.max())
    density /= density.sum() * h1 * h2
    return {"log_px_grid": float(log_px), "grid_error": float(grid_error), "elbo": float(elbo),
            "elbo_error": float(elbo_error), "kl_error": float(kl_error),
            "recon": -expected, "kl_prior": kl_prior, "kl_grid": kl_grid,
            "residual": float(residual), "tolerance": float(tolerance),
            "identity_ok": bool(abs(residual) <= tolerance),
            "iwae": float(iwae), "iwae_se": float(iwae_se),
            "q_mu": q_mu, "q_sd": q_sd, "z1": z1, "z2": z2, "density": density,
            "recon_image": vae.decode(q_mu[None])[0]}


def encoder_identity(model, x, *, n=IDENTITY_FINE, k=IWAE_K, seed=0):
    """log p(x) = ELBO(q) + KL(q || p(z|x)) for the encoder's q, each of the three computed apart.

    model: a ``VAE`` with a 2-D latent; x: one binary image of model.x_dim pixels.
    The three, in float64:

    1. log p(x): the Riemann sum on an n x n grid (``gap.posterior_grid``) over the
       posterior's mass and q's +-Q_BOX sd box; "grid_error", its change on every other point.
    2. ELBO(q): on q's own nodes (``gap.node_elbo``), apart from that grid; "elbo_error" likewise.
    3. KL(q || p(z|x)) on the grid, q and p(z|x) each normalised there; "kl_error" likewise.

    "residual" = log_px_grid - elbo - kl_grid should lie within "tolerance" = grid_error +
    elbo_error + kl_error + 1e-4 (the last for q's mass outside its box, < 1e-5); "identity_ok"
    says whether it does. Also "iwae", "iwae_se": log p(x) by importance sampling with k draws
    of q from default_rng(seed), and its delta-method standard error (``log_mean_exp``);
    "kl_prior"; the arrays "q_mu", "q_sd", the grid's axes "z1", "z2" and "density"
    (p(z|x) on the grid, integrating to 1 there, row i at z2[i]), and "recon_image", the
    decoder's mean at q's mean. Raises ParamError as ``gap.gap_split`` does.

    Against ``true_posterior`` (121 x 121 points over the same box, q's ELBO on
    101 x 101 nodes), at n = 51 on 10 digits of each of three lab models (seeds 9 and 3,
    trained 2, 10 and 60 s): log p(x) and the KL agree within 0.0003 nats (0.0001 at n = 61,
    which costs a quarter more time) and the identity holds on all 30. On another 60 s model
    "grid_error" understated that difference up to 4.5 times (the KL's error is the same and
    cancels in the identity).
    """
    log_joint = log_joint_for(model)
    x = binary_image(model, x)
    mu, log_var = log_joint.vae.encode(x[None])
    q_mu, q_sd = mu[0], np.exp(0.5 * log_var[0])
    grid = posterior_grid(log_joint, x, n, cover=(q_mu - Q_BOX * q_sd, q_mu + Q_BOX * q_sd))
    log_px, lj = grid["log_px"], grid["lj"]
    elbo, elbo_error = node_elbo(log_joint, x, q_mu, q_sd)
    kl = grid_kl(grid, q_mu, q_sd)
    kl_error = abs(kl - grid_kl(grid, q_mu, q_sd, every=2))
    residual = log_px - elbo - kl
    tolerance = grid["log_px_error"] + elbo_error + kl_error + 1e-4
    eps = np.random.default_rng(seed).standard_normal((k, 2))
    log_w = log_joint(x, q_mu + q_sd * eps) - (log_std_normal(eps) - float(np.log(q_sd).sum()))
    iwae, iwae_se = log_mean_exp(log_w)
    density = np.exp(lj - lj.max())
    density /= density.sum() * grid["cell"]
    return {"log_px_grid": log_px, "grid_error": grid["log_px_error"], "elbo": elbo,
            "elbo_error": elbo_error, "kl_grid": kl, "kl_error": kl_error,
            "residual": float(residual), "tolerance": float(tolerance),
            "identity_ok": bool(abs(residual) <= tolerance),
            "iwae": float(iwae), "iwae_se": float(iwae_se),
            "kl_prior": float(np.sum(kl_diag_terms(q_mu, log_var[0]))),
            "q_mu": q_mu.copy(), "q_sd": q_sd.copy(), "z1": grid["z1"], "z2": grid["z2"],
            "density": density, "recon_image": log_joint.vae.decode(q_mu[None])[0]}
