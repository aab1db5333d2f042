"""Why the ELBO falls short for one image: its gap, split into approximation and amortisation.

For a VAE with a 2-D latent and one binary image x, the gap log p(x) - ELBO(q)
between the evidence and the encoder's bound splits in two (Cremer, Li &
Duvenaud, "Inference suboptimality in variational autoencoders", ICML 2018):

    log p(x) - ELBO(q) = [log p(x) - ELBO(q*)] + [ELBO(q*) - ELBO(q)]
                       =  approximation gap    +  amortisation gap

where q = q(z|x) is the encoder's Gaussian and q* the best diagonal Gaussian
for this x alone (the ELBO maximised over its mean and standard deviations).
The first part is what no diagonal Gaussian can do; the second is what the
encoder loses by serving every image with one network. Both are >= 0.

Everything comes from one grid of log p(x, z) over the posterior's mass
(``posterior_grid``): log p(x) as a Riemann sum, each ELBO as an expectation
over the grid (its KL to the prior in closed form), and q* by maximising that
ELBO with BFGS (analytic gradient, no further decoder calls). The check: the
approximation gap is also KL(q* || p(z|x)), which the grid gives directly, and
the whole gap is KL(q || p(z|x)); ``gap_split`` reports both and how well they
agree ("residual", "tolerance").

Speed. The decoder's sum of softplus over the pixels does not depend on x, so
a model's coarse locating grid is computed once and kept (``LogJoint``); a new
image then costs one fine grid, n x n decoder calls (35 x 35 by default), and 21 x 21
more when the encoder's q lies off that grid. Against grid_posterior.true_posterior
(121 x 121 and 101 x 101 points) on 25 test digits, log p(x) agrees to within 0.011 nats
(median 0.0004) and the encoder's ELBO to 0.020 (median 0.0004), each within the
tolerances the two report.
"""

import hashlib
import math
from collections import OrderedDict

import numpy as np

from .checks import ParamError
from .gaussian import LOG_2PI, kl_diag_terms
from .layers import matmul
from .logmath import logsumexp
from .vae import VAE

__all__ = ["LogJoint", "best_gaussian", "binary_image", "gap_split", "grid_elbo", "grid_kl", "log_joint_for",
           "node_elbo", "posterior_grid"]

COARSE = 41  # the locating grid: COARSE x COARSE points over [-COARSE_REACH, COARSE_REACH]^2
COARSE_REACH = 6.0
BEYOND = 9.0  # where the fine grid ends when the mass reaches the locating grid's edge
MASS = 23.0  # cells within exp(-MASS) of the largest joint density count as mass
FINE = 35  # the fine grid's points per axis (odd, so every other point is a grid too)
NODES = 21  # q's own nodes per axis, when the posterior's grid does not hold q
NODE_REACH = 6.0  # over +-6 sd
BLOCKS = 3  # tiles per axis in LogJoint.on_grid
_CHUNK = 2048  # decoder rows per matmul


class LogJoint:
    """log p(x, z) = log p(x|z) + log N(z; 0, I) of one model, at many z, in float64.

    log p(x|z) = sum_i x_i l_i(z) - sum_i softplus(l_i(z)) for the decoder's
    logits l(z) = W3' act(W2' z + b2) + b3. The second sum does not depend on x:
    ``softplus_sum`` computes it, and the coarse grid keeps it, so locating the
    posterior of a new image costs a (points x hidden) product, not a decoder pass.
    """

    def __init__(self, vae):
        if not isinstance(vae, VAE):
            raise ParamError("model", f"model must be an elbo_lab.vae.VAE, got {type(vae).__name__}")
        if vae.z_dim != 2:
            raise ParamError("model", "the gap split needs a VAE with a 2-D latent; this one has "
                                      f"{vae.z_dim} latent dimensions")
        self.vae = vae.as_float64()
        P = self.vae.params
        self.W2, self.b2, self.W3, self.b3 = P["W2"], P["b2"], P["W3"], P["b3"]
        self._coarse = None

    def hidden(self, z):
        return self.vae.activation.output(z @ self.W2 + self.b2)

    def logits(self, z):
        """The decoder's logits at the rows of z (M, 2), computed cheaply for a ReLU decoder.

        A ReLU unit that is on at every row is affine in z there, so all such units
        fold into one (2, D) map; units off at every row drop out. Only the units
        that switch within the rows stay in the product: for the small boxes that
        hold a posterior, a few of the hidden units, so the product costs a few
        columns instead of all of them. Exact, up to rounding (tested).
        """
        pre = z @ self.W2 + self.b2
        if self.vae.activation.name != "relu":
            return matmul(self.vae.activation.output(pre), self.W3) + self.b3
        on = pre.min(axis=0) >= 0.0
        switching = (pre.max(axis=0) > 0.0) & ~on
        folded = self.W2[:, on] @ self.W3[on]  # (2, D)
        offset = self.b2[on] @ self.W3[on] + self.b3
        return matmul(np.hstack([z, np.maximum(pre[:, switching], 0.0)]),
                      np.vstack([folded, self.W3[switching]])) + offset

    @staticmethod
    def softplus_sum(logits):
        """sum_i softplus(l_i) for each row: (sum l + sum |l|) / 2 + sum log(1 + e^-|l|), the
        logs taken of products of 16 factors (each in (1, 2]), a sixteenth of the logs; e^-|l|
        made in place (in the browser a quarter less time than in new arrays)."""
        n, d = logits.shape
        ones = np.abs(logits)
        positive = 0.5 * (logits.sum(axis=1) + ones.sum(axis=1))
        ones = np.exp(np.negative(ones, out=ones), out=ones)
        ones += 1.0
        factors = ones.reshape(n, d // 16, 16).prod(axis=2) if d % 16 == 0 else ones
        return positive + np.log(factors).sum(axis=1)

    def coarse(self):
        """The locating grid: points (COARSE**2, 2), their hidden units and softplus sums."""
        if self._coarse is None:
            axis = np.linspace(-COARSE_REACH, COARSE_REACH, COARSE)
            z = np.column_stack([g.ravel() for g in np.meshgrid(axis, axis)])
            h = self.hidden(z)
            # matmul: with scipy's BLAS (loaded once the lab trains, when every new set of
            # weights needs this) half of numpy's time in the browser (148 -> 69 ms)
            self._coarse = (z, h, self.softplus_sum(matmul(h, self.W3) + self.b3))
        return self._coarse

    def on_grid(self, x, z1, z2, blocks=None):
        """log p(x, z) on the grid z1 x z2: (len(z2), len(z1)), row i at z2[i]. The grid is
        done in blocks x blocks tiles: fewer hidden units switch within a small tile, so the
        ReLU folding of ``logits`` saves more there (about 4 times less work at 4 x 4)."""
        blocks = BLOCKS if blocks is None else blocks
        out = np.empty((len(z2), len(z1)))
        rows = np.array_split(np.arange(len(z2)), blocks)
        cols = np.array_split(np.arange(len(z1)), blocks)
        for r in rows:
            for c in cols:
                zz1, zz2 = np.meshgrid(z1[c], z2[r])
                z = np.column_stack([zz1.ravel(), zz2.ravel()])
                out[r[0] : r[-1] + 1, c[0] : c[-1] + 1] = self(x, z).reshape(len(r), len(c))
        return out

    def __call__(self, x, z, h=None, s=None):
        """log p(x, z) at the rows of z (M, 2), x: (D,) float64 0/1. Nats, (M,). With the
        rows' hidden units h and softplus sums s (the coarse grid's), without a decoder pass."""
        prior = -0.5 * (z * z).sum(axis=1) - LOG_2PI
        if h is not None:
            return h @ (self.W3 @ x) + float(self.b3 @ x) - s + prior
        out = np.empty(len(z))
        for start in range(0, len(z), _CHUNK):
            logits = self.logits(z[start : start + _CHUNK])
            out[start : start + _CHUNK] = logits @ x - self.softplus_sum(logits)
        return out + prior


_kept = OrderedDict()  # weights' digest -> LogJoint, the last few models


def log_joint_for(vae):
    """The ``LogJoint`` of a model, kept for the last 4 sets of weights (keyed by their bytes)."""
    if not isinstance(vae, VAE):
        raise ParamError("model", f"model must be an elbo_lab.vae.VAE, got {type(vae).__name__}")
    # every 61st weight: an optimiser step changes them all, and hashing all 200,000 costs
    # milliseconds in the browser
    key = (vae.x_dim, vae.hidden, vae.z_dim, vae.activation.name, vae.dtype.name, vae.flat.size,
           hashlib.blake2b(vae.flat[::61].tobytes(), digest_size=16).digest())
    found = _kept.pop(key, None) or LogJoint(vae)
    _kept[key] = found
    while len(_kept) > 4:
        _kept.popitem(last=False)
    return found


def posterior_grid(log_joint, x, n=FINE, cover=None):
    """log p(x, z) on an n x n grid over where p(z|x) has its mass.

    The coarse grid finds the cells within exp(-MASS) of the largest joint
    density; the fine grid covers them, padded by one coarse cell (and out to +-BEYOND
    on a side where they reach the coarse grid's edge: the prior's density there is
    e^-40 of its peak), and the box
    ``cover`` = (lo, hi) (two (2,) corners) if given. Returns a dict:
    "z1", "z2" (the axes), "lj" (n, n; row i at z2[i]),
    "cell" (the cell area), "log_px" (the Riemann sum) and "log_px_error" (its
    change when every other point is used: twice the spacing, no new decoder calls).
    """
    zc, hc, sc = log_joint.coarse()
    lj = log_joint(x, zc, hc, sc)
    kept = zc[lj >= lj.max() - MASS]
    pad = 2.0 * COARSE_REACH / (COARSE - 1)
    lo, hi = kept.min(axis=0) - pad, kept.max(axis=0) + pad
    # mass at the locating grid's edge may go on beyond it (a broad posterior, early in training)
    lo[kept.min(axis=0) <= -COARSE_REACH] = -BEYOND
    hi[kept.max(axis=0) >= COARSE_REACH] = BEYOND
    if cover is not None:
        lo, hi = np.minimum(lo, cover[0]), np.maximum(hi, cover[1])
    z1, z2 = np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n)
    lj = log_joint.on_grid(x, z1, z2)
    cell = (z1[1] - z1[0]) * (z2[1] - z2[0])
    log_px = logsumexp(lj) + math.log(cell)
    log_px_half = logsumexp(lj[::2, ::2]) + math.log(4.0 * cell)
    return {"z1": z1, "z2": z2, "lj": lj, "cell": cell, "log_px": float(log_px),
            "log_px_error": float(abs(log_px - log_px_half))}


def _entropy(log_sd):
    """The differential entropy of N(mu, diag(exp(log_sd))^2), nats."""
    return float(np.sum(log_sd) + log_sd.size * 0.5 * (1.0 + LOG_2PI))


def grid_elbo(grid, mu, sd, every=1):
    """ELBO(q) = E_q[log p(x, z)] + H(q) for q = N(mu, diag(sd^2)), the expectation over the
    grid's points (every ``every``-th), weighted by q and normalised there. (For a q whose
    mass lies off the grid that is the ELBO of q cut to the grid: only to compare starts.)"""
    z1, z2, lj = grid["z1"][::every], grid["z2"][::every], grid["lj"][::every, ::every]
    a1, a2 = -0.5 * ((z1 - mu[0]) / sd[0]) ** 2, -0.5 * ((z2 - mu[1]) / sd[1]) ** 2
    w1, w2 = np.exp(a1 - a1.max()), np.exp(a2 - a2.max())  # shifted: q far off the grid underflows
    expected = float(w2 @ lj @ w1) / float(w1.sum() * w2.sum())
    return expected + _entropy(np.log(sd))


def _objective(grid, theta):
    """-ELBO over the grid at theta = (mu1, mu2, log sd1, log sd2), and its gradient.

    With weights w normalised on the grid, d/dmu_i E_w[f] = Cov_w(f, t_i) / sd_i and
    d/dlog sd_i E_w[f] = Cov_w(f, t_i^2), t = (z - mu) / sd; dH/dlog sd_i = 1.
    """
    mu, sd = theta[:2], np.exp(theta[2:])
    z1, z2, lj = grid["z1"], grid["z2"], grid["lj"]
    t1, t2 = (z1 - mu[0]) / sd[0], (z2 - mu[1]) / sd[1]
    a1, a2 = -0.5 * t1 * t1, -0.5 * t2 * t2
    w1, w2 = np.exp(a1 - a1.max()), np.exp(a2 - a2.max())
    w1, w2 = w1 / w1.sum(), w2 / w2.sum()
    f = lj - lj.max()  # a constant shift changes no covariance
    e = float(w2 @ f @ w1)
    row = f @ w1  # E over z1, for each z2: (n,)
    col = w2 @ f  # E over z2, for each z1: (n,)
    e_t1, e_t2 = float(w1 @ t1), float(w2 @ t2)
    e_s1, e_s2 = float(w1 @ (t1 * t1)), float(w2 @ (t2 * t2))
    g = np.array([(float(col @ (w1 * t1)) - e * e_t1) / sd[0],
                  (float(row @ (w2 * t2)) - e * e_t2) / sd[1],
                  float(col @ (w1 * t1 * t1)) - e * e_s1 + 1.0,
                  float(row @ (w2 * t2 * t2)) - e * e_s2 + 1.0])
    value = e + float(lj.max()) + _entropy(theta[2:])
    return -value, -g


def best_gaussian(grid, mu0, sd0, iterations=200, tol=1e-9):
    """q* = argmax ELBO over diagonal Gaussians, on the grid: BFGS from (mu0, sd0) with a
    backtracking line search. The standard deviations are kept between a fifth of the grid
    spacing and the grid's width. Returns (mu, sd), each (2,)."""
    spacing = np.array([grid["z1"][1] - grid["z1"][0], grid["z2"][1] - grid["z2"][0]])
    width = np.array([grid["z1"][-1] - grid["z1"][0], grid["z2"][-1] - grid["z2"][0]])
    lo = np.concatenate([[grid["z1"][0], grid["z2"][0]], np.log(spacing / 5.0)])
    hi = np.concatenate([[grid["z1"][-1], grid["z2"][-1]], np.log(width)])
    theta = np.clip(np.concatenate([mu0, np.log(sd0)]), lo, hi)
    value, grad = _objective(grid, theta)
    inv = np.diag(np.concatenate([sd0 ** 2, [0.1, 0.1]]))
    for _ in range(iterations):
        step = -inv @ grad
        if grad @ step >= 0:  # not a descent direction: restart from the gradient
            inv = np.eye(4) * 1e-3
            step = -inv @ grad
        size = 1.0
        while True:
            trial = np.clip(theta + size * step, lo, hi)
            new_value, new_grad = _objective(grid, trial)
            if new_value <= value + 1e-4 * size * (grad @ step) or size < 1e-10:
                break
            size *= 0.5
        if new_value > value:  # no progress at all
            break
        s, y = trial - theta, new_grad - grad
        theta, improvement = trial, value - new_value
        value, grad = new_value, new_grad
        if improvement < tol and np.abs(grad).max() < 1e-6:
            break
        sy = float(s @ y)
        if sy > 1e-12:  # the BFGS update of the inverse Hessian
            rho = 1.0 / sy
            v = np.eye(4) - rho * np.outer(s, y)
            inv = v @ inv @ v.T + rho * np.outer(s, s)
    return theta[:2].copy(), np.exp(theta[2:])


def node_elbo(log_joint, x, mu, sd, m=NODES, reach=NODE_REACH):
    """ELBO(q) for q = N(mu, diag(sd^2)) on q's own nodes: E_q[log p(x, z)] by the trapezoid rule
    on z = mu + sd t, t on an m x m grid over [-reach, reach]^2 weighted by N(t; 0, I) (normalised
    there), plus H(q). Returns (elbo, error): error is its change on every other node."""
    t = np.linspace(-reach, reach, m)
    lj = log_joint.on_grid(x, mu[0] + sd[0] * t, mu[1] + sd[1] * t)
    w = np.exp(-0.5 * t * t)
    full = float(w @ lj @ w) / float(w.sum()) ** 2
    half = float(w[::2] @ lj[::2, ::2] @ w[::2]) / float(w[::2].sum()) ** 2
    entropy = _entropy(np.log(sd))
    return full + entropy, abs(full - half)


def on_grid(grid, mu, sd, reach=5.0, per_spacing=2.0):
    """Whether the grid holds q = N(mu, diag(sd^2)): its +-reach sd box inside the grid's box,
    and each sd at least ``per_spacing`` grid spacings."""
    for axis, m, s in ((grid["z1"], mu[0], sd[0]), (grid["z2"], mu[1], sd[1])):
        if m - reach * s < axis[0] or m + reach * s > axis[-1] or s < per_spacing * (axis[1] - axis[0]):
            return False
    return True


def _starts(grid, q_mu, q_sd):
    """Where the search for q* starts: the encoder's q, and the grid's mode with the
    conditional standard deviations there (from the grid's second differences)."""
    lj, z1, z2 = grid["lj"], grid["z1"], grid["z2"]
    i, j = np.unravel_index(np.argmax(lj), lj.shape)
    i, j = min(max(i, 1), len(z2) - 2), min(max(j, 1), len(z1) - 2)
    h1, h2 = z1[1] - z1[0], z2[1] - z2[0]
    c1 = -(lj[i, j + 1] - 2 * lj[i, j] + lj[i, j - 1]) / h1 ** 2
    c2 = -(lj[i + 1, j] - 2 * lj[i, j] + lj[i - 1, j]) / h2 ** 2
    sd = np.array([1 / math.sqrt(c1) if c1 > 0 else 4 * h1, 1 / math.sqrt(c2) if c2 > 0 else 4 * h2])
    return [(q_mu, q_sd), (np.array([z1[j], z2[i]]), sd)]


def grid_kl(grid, mu, sd, every=1):
    """KL(q || p(z|x)) on the grid (every ``every``-th point), both normalised there."""
    z1, z2, lj = grid["z1"][::every], grid["z2"][::every], grid["lj"][::every, ::every]
    log_q = (-0.5 * ((z1[None, :] - mu[0]) / sd[0]) ** 2 - 0.5 * ((z2[:, None] - mu[1]) / sd[1]) ** 2)
    log_q = log_q - logsumexp(log_q)
    log_p = lj - logsumexp(lj)
    return float(np.sum(np.exp(log_q) * (log_q - log_p)))


def binary_image(vae, x):
    x = np.asarray(x)
    if x.dtype == object or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise ParamError("x", f"x must be an array of numbers, got dtype {x.dtype}")
    if x.size != vae.x_dim:
        raise ParamError("x", f"x must have {vae.x_dim} pixels (a {int(math.isqrt(vae.x_dim))} x "
                              f"{int(math.isqrt(vae.x_dim))} image), got {x.size}")
    x = x.reshape(-1).astype(np.float64)
    if not np.all((x == 0.0) | (x == 1.0)):
        raise ParamError("x", "x must be binary: every pixel 0 or 1")
    return x


def gap_split(model, x, *, n=FINE):
    """The ELBO's gap for image x under model, split into approximation and amortisation.

    model: a ``VAE`` with a 2-D latent. x: one binary image of model.x_dim pixels
    (any shape with that many elements). Raises ValueError (``ParamError``) for a
    model whose latent is not 2-D, an image of the wrong size, or non-binary values.

    Returns a dict of float64 values in nats:
      "log_px"             log p(x) on the grid (Riemann sum)
      "elbo_encoder"       ELBO(q), q = the encoder's N(mu, diag(sd^2))
      "elbo_best"          ELBO(q*), q* the best diagonal Gaussian for this x
      "approximation_gap"  log_px - elbo_best   (>= 0)
      "amortization_gap"   elbo_best - elbo_encoder   (>= 0)
    and the arrays "best_mu", "best_sd", "encoder_mu", "encoder_sd" (2,); also the
    independent checks "kl_encoder" = KL(q || p(z|x)) and "kl_best" = KL(q* || p(z|x))
    on the grid ("kl_encoder_checked" False: q lies off the posterior's grid, so its ELBO
    comes from its own nodes and kl_encoder = log_px - elbo_encoder, no check), "residual" =
    log_px - elbo_encoder - kl_encoder, "residual_best" =
    approximation_gap - kl_best, and "tolerance": the grid's own error estimate
    (each quantity's change on every other point, summed, + 1e-6), which both
    residuals should stay within; "identity_ok" says whether they do.
    """
    log_joint = log_joint_for(model)
    x = binary_image(model, x)
    if not isinstance(n, int) or n < 5 or n % 2 == 0:
        raise ParamError("n", f"n must be an odd whole number >= 5, got {n!r}")
    mu, log_var = log_joint.vae.encode(x[None])
    q_mu, q_sd = mu[0], np.exp(0.5 * log_var[0])
    grid = posterior_grid(log_joint, x, n)
    log_px = grid["log_px"]
    # q* from the better of two starts (the encoder's q, the grid's mode), by their ELBO
    mu0, sd0 = max(_starts(grid, q_mu, q_sd), key=lambda start: grid_elbo(grid, *start))
    best_mu, best_sd = best_gaussian(grid, mu0, sd0)
    elbo_best = grid_elbo(grid, best_mu, best_sd)
    kl_best = grid_kl(grid, best_mu, best_sd)
    errors = [grid["log_px_error"], abs(elbo_best - grid_elbo(grid, best_mu, best_sd, every=2)),
              abs(kl_best - grid_kl(grid, best_mu, best_sd, every=2))]
    checked = on_grid(grid, q_mu, q_sd)
    if checked:  # q's ELBO and KL on the same grid: an independent check
        elbo_q = grid_elbo(grid, q_mu, q_sd)
        kl_q = grid_kl(grid, q_mu, q_sd)
        errors += [abs(elbo_q - grid_elbo(grid, q_mu, q_sd, every=2)),
                   abs(kl_q - grid_kl(grid, q_mu, q_sd, every=2))]
    else:  # q lies (partly) off the posterior's grid: its own nodes; its KL by the identity
        elbo_q, error = node_elbo(log_joint, x, q_mu, q_sd)
        kl_q = log_px - elbo_q
        errors.append(error)
    if elbo_best < elbo_q:  # q* is the best the grid found; q is a Gaussian too
        elbo_best, best_mu, best_sd, kl_best = elbo_q, q_mu.copy(), q_sd.copy(), kl_q
    tolerance = float(sum(errors)) + 1e-6
    residual = log_px - elbo_q - kl_q
    residual_best = (log_px - elbo_best) - kl_best
    return {"log_px": log_px, "elbo_encoder": elbo_q, "elbo_best": elbo_best,
            "approximation_gap": log_px - elbo_best, "amortization_gap": elbo_best - elbo_q,
            "best_mu": best_mu, "best_sd": best_sd, "encoder_mu": q_mu.copy(),
            "encoder_sd": q_sd.copy(), "kl_encoder": kl_q, "kl_best": kl_best,
            "residual": float(residual), "residual_best": float(residual_best),
            "tolerance": tolerance, "kl_encoder_checked": checked,
            "identity_ok": bool(abs(residual) <= tolerance and abs(residual_best) <= tolerance),
            "kl_prior": float(np.sum(kl_diag_terms(q_mu, log_var[0]))),
            "grid": grid}

