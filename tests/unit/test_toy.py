"""The toy model z ~ N(0,1), x | z ~ N(z^2, s^2) against scipy's independent numerics.

Everything scipy computes here (evidence, ELBO, KLs, posterior moments, optima)
is done from the densities alone, without the closed forms under test.
"""

import itertools
import math

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from elbo_lab import toy

from gradcheck import rel_error

# --- independent references -----------------------------------------------------------------


LOG_2PI = math.log(2 * math.pi)


def log_joint_ref(x, z, s):
    """log p(x, z) from scipy's densities (vectorised; too slow inside quad)."""
    return stats.norm(0.0, 1.0).logpdf(z) + stats.norm(z * z, s).logpdf(x)


def log_joint_scalar(x, z, s):
    """log p(x, z) for one z, written out by hand for quad (checked against log_joint_ref)."""
    return -0.5 * z * z - 0.5 * ((x - z * z) / s) ** 2 - LOG_2PI - math.log(s)


def log_q_scalar(z, mu, sigma):
    """log N(z; mu, sigma^2) for one z."""
    return -0.5 * ((z - mu) / sigma) ** 2 - 0.5 * LOG_2PI - math.log(sigma)


def modes(x, s):
    """The posterior's modes in z (two when x > s^2/2)."""
    u = x - 0.5 * s * s
    return [-math.sqrt(u), math.sqrt(u)] if u > 0 else [0.0]


def quad_whole_line(fun, x, s):
    """Integral over z of fun(z) by adaptive quadrature, split at 0 and the modes."""
    bound = math.sqrt(max(x, 0.0) + 15.0 * s) + 6.0  # beyond it the integrand is < e^-100
    cuts = sorted({-bound, 0.0, bound, *modes(x, s)})
    return sum(
        integrate.quad(fun, a, b, limit=200, epsabs=0.0, epsrel=1e-12)[0]
        for a, b in itertools.pairwise(cuts)
    )


def log_evidence_ref(x, s):
    shift = log_joint_scalar(x, modes(x, s)[-1], s)  # the peak, so the integrand is O(1)
    mass = quad_whole_line(lambda z: math.exp(log_joint_scalar(x, z, s) - shift), x, s)
    return shift + math.log(mass)


def quad_under_q(fun, mu, sigma):
    """E_q[fun(z)] for q = N(mu, sigma^2), by quadrature over mu +- 14 sigma."""
    return integrate.quad(lambda z: math.exp(log_q_scalar(z, mu, sigma)) * fun(z),
                          mu - 14 * sigma, mu + 14 * sigma,
                          points=[mu], limit=200, epsabs=1e-13, epsrel=1e-12)[0]


def elbo_ref(x, mu, sigma, s):
    return quad_under_q(lambda z: log_joint_scalar(x, z, s) - log_q_scalar(z, mu, sigma), mu, sigma)


def kl_q_post_ref(x, mu, sigma, s, log_px):
    """KL(q || p(z|x)) = E_q[log q - log p(z|x)], by quadrature (no subtraction of bounds)."""
    return quad_under_q(lambda z: log_q_scalar(z, mu, sigma) - (log_joint_scalar(x, z, s) - log_px),
                        mu, sigma)


XS_SS = [(-3.0, 0.5), (-0.5, 0.5), (0.0, 0.5), (0.125, 0.5), (0.5, 0.5), (2.0, 0.5),
         (6.0, 0.5), (25.0, 0.5), (2.0, 0.1), (10.0, 0.1), (-2.0, 2.0), (3.0, 1.5)]
BIMODAL = [(1.0, 0.5), (2.0, 0.5), (4.0, 0.5), (1.0, 0.2), (9.0, 1.0)]
SEPARATED = [(2.0, 0.5), (4.0, 0.5), (1.0, 0.2), (9.0, 1.0)]  # modes far enough apart


# --- the model and its evidence ------------------------------------------------------------


def test_log_joint_matches_scipy_and_keeps_shape():
    z = np.linspace(-3, 3, 13).reshape(13, 1)
    for zi in z.ravel():
        assert log_joint_scalar(1.7, zi, 0.4) == pytest.approx(log_joint_ref(1.7, zi, 0.4), rel=1e-13)
        assert log_q_scalar(zi, 0.3, 1.4) == pytest.approx(stats.norm(0.3, 1.4).logpdf(zi), rel=1e-13)
    np.testing.assert_allclose(toy.log_joint(1.7, z, s=0.4), log_joint_ref(1.7, z, 0.4), rtol=1e-13)
    assert toy.log_joint(1.7, z, s=0.4).shape == (13, 1)
    assert type(toy.log_joint(2.0, 0.5)) is float
    assert toy.log_joint(2.0, 0.5) == pytest.approx(log_joint_ref(2.0, 0.5, toy.DEFAULT_S), rel=1e-13)


@pytest.mark.parametrize("x, s", XS_SS)
def test_log_evidence_matches_adaptive_quadrature(x, s):
    assert toy.log_evidence(x, s=s) == pytest.approx(log_evidence_ref(x, s), abs=1e-10)


def test_log_evidence_default_s_and_known_value():
    assert toy.log_evidence(2.0) == toy.log_evidence(2.0, s=0.5)
    # x = 0, large s: p(0) = E_z[N(0; z^2, s^2)] = E[exp(-z^4 / (2 s^2))] / (s sqrt(2 pi)),
    # and log E[exp(-z^4 / (2 s^2))] = -E[z^4] / (2 s^2) + O(s^-4), with E[z^4] = 3.
    s = 1e4
    expected = -0.5 * LOG_2PI - math.log(s) - 3.0 / (2 * s * s)
    assert toy.log_evidence(0.0, s=s) == pytest.approx(expected, abs=1e-14)


@pytest.mark.parametrize("x, s", [(-1.0, 0.5), (0.1, 0.5), (2.0, 0.5), (5.0, 0.2)])
def test_posterior_is_normalised_and_has_the_right_modes(x, s):
    z, pdf = toy.posterior_grid(x, s=s, n=20001)
    assert integrate.trapezoid(pdf, z) == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(pdf, pdf[::-1], rtol=1e-12)  # even in z
    peaks = z[1:-1][(pdf[1:-1] > pdf[:-2]) & (pdf[1:-1] > pdf[2:])]
    np.testing.assert_allclose(peaks, modes(x, s), atol=2 * (z[1] - z[0]))
    assert toy.posterior_pdf(x, 0.3, s=s) == pytest.approx(
        math.exp(log_joint_scalar(x, 0.3, s) - log_evidence_ref(x, s)), rel=1e-9)


@pytest.mark.parametrize("x, s", [(-1.0, 0.5), (2.0, 0.5), (6.0, 0.3), (0.125, 1.0)])
def test_posterior_moments_match_quadrature(x, s):
    log_px = log_evidence_ref(x, s)
    post = lambda z: math.exp(log_joint_scalar(x, z, s) - log_px)  # noqa: E731
    mom = toy.posterior_moments(x, s=s)
    assert mom["mean"] == pytest.approx(quad_whole_line(lambda z: z * post(z), x, s), abs=1e-10)
    assert mom["var"] == pytest.approx(quad_whole_line(lambda z: z * z * post(z), x, s), rel=1e-9)
    entropy = quad_whole_line(lambda z: -post(z) * (log_joint_scalar(x, z, s) - log_px), x, s)
    assert mom["entropy"] == pytest.approx(entropy, abs=1e-9)


# --- the ELBO ------------------------------------------------------------------------------


@pytest.mark.parametrize("x, mu, sigma, s", [
    (2.0, 1.0, 0.5, 0.5), (2.0, -1.3, 0.2, 0.5), (-1.0, 0.3, 1.2, 0.5), (0.0, 0.0, 1.0, 1.0),
    (6.0, 2.4, 0.05, 0.3), (3.0, 0.0, 2.0, 2.0),
])
def test_elbo_matches_quadrature(x, mu, sigma, s):
    assert toy.elbo(x, mu, sigma, s=s) == pytest.approx(elbo_ref(x, mu, sigma, s), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("x, mu, sigma", [(2.0, 1.0, 0.5), (-1.0, 0.0, 1.0), (4.0, 0.5, 1.5)])
def test_elbo_matches_monte_carlo(x, mu, sigma):
    rng = np.random.default_rng(1)
    z = mu + sigma * rng.standard_normal(400_000)
    terms = log_joint_ref(x, z, 0.5) - stats.norm(mu, sigma).logpdf(z)
    se = terms.std(ddof=1) / math.sqrt(z.size)
    assert abs(toy.elbo(x, mu, sigma) - terms.mean()) < 4 * se


def test_elbo_pieces_are_consistent():
    x, mu, sigma, s = 2.0, 0.8, 0.6, 0.4
    t = toy.elbo_terms(x, mu, sigma, s=s)
    assert t["elbo"] == pytest.approx(t["recon"] - t["kl_prior"], abs=1e-12)
    assert t["elbo"] == pytest.approx(t["expected_log_joint"] + t["entropy"], abs=1e-12)
    assert t["elbo"] == pytest.approx(toy.elbo(x, mu, sigma, s=s), abs=1e-12)
    assert t["entropy"] == pytest.approx(stats.norm(mu, sigma).entropy(), rel=1e-13)
    recon = quad_under_q(lambda z: -0.5 * ((x - z * z) / s) ** 2 - 0.5 * LOG_2PI - math.log(s), mu, sigma)
    assert t["recon"] == pytest.approx(recon, rel=1e-10)
    assert t["gap"] == pytest.approx(t["log_evidence"] - t["elbo"], abs=1e-12)
    assert all(type(v) is float for v in t.values())


@pytest.mark.parametrize("s", [0.3, 1.0])
@pytest.mark.parametrize("sigma", [0.2, 1.0])
@pytest.mark.parametrize("mu", [-1.0, 0.0, 1.5])
@pytest.mark.parametrize("x", [-1.0, 0.5, 3.0])
def test_evidence_equals_elbo_plus_kl_to_posterior(x, mu, sigma, s):
    log_px = log_evidence_ref(x, s)
    kl = kl_q_post_ref(x, mu, sigma, s, log_px)  # by quadrature of q log(q / posterior)
    assert toy.log_evidence(x, s=s) == pytest.approx(toy.elbo(x, mu, sigma, s=s) + kl, abs=1e-6)
    assert toy.kl_to_posterior(x, mu, sigma, s=s) == pytest.approx(kl, abs=1e-6)


@pytest.mark.parametrize("x, s", XS_SS)
def test_elbo_never_exceeds_evidence(x, s):
    mu, sigma = np.meshgrid(np.linspace(-4, 4, 41), np.geomspace(0.01, 5, 40))
    values = toy.elbo(x, mu, sigma, s=s)
    assert values.shape == mu.shape
    assert np.all(values <= toy.log_evidence(x, s=s))
    assert np.all(toy.kl_to_posterior(x, mu, sigma, s=s) >= 0)


@pytest.mark.parametrize("beta", [0.0, 0.3, 1.0, 4.0])
@pytest.mark.parametrize("x, mu, sigma", [(2.0, 1.1, 0.3), (-0.7, 0.4, 1.3), (3.0, -0.2, 0.8)])
def test_elbo_grad_matches_finite_differences(x, mu, sigma, beta):
    s, h = 0.6, 1e-6

    def objective(m, sg):  # recon by Gauss-Hermite, KL from scipy's Gaussian entropy and cross-entropy
        kl = -stats.norm(m, sg).entropy() + 0.5 * math.log(2 * math.pi) + 0.5 * (m * m + sg * sg)
        return quad_free_recon(x, m, sg, s) - beta * kl

    numeric = np.array([(objective(mu + h, sigma) - objective(mu - h, sigma)) / (2 * h),
                        (objective(mu, sigma + h) - objective(mu, sigma - h)) / (2 * h)])
    analytic = np.array(toy.elbo_grad(x, mu, sigma, s=s, beta=beta))
    assert rel_error(analytic, numeric) < 1e-6


# --- Jensen's step -----------------------------------------------------------------------------


def test_jensen_exact_sides():
    j = toy.jensen_exact(2.0, 1.0, 0.5)
    assert j["log_mean_ratio"] == toy.log_evidence(2.0)
    assert j["mean_log_ratio"] == toy.elbo(2.0, 1.0, 0.5)
    assert j["gap"] == pytest.approx(toy.kl_to_posterior(2.0, 1.0, 0.5), abs=1e-12)
    assert j["log_mean_ratio"] > j["mean_log_ratio"]


@pytest.mark.parametrize("x, mu, sigma", [(2.0, 0.0, 1.5), (-0.5, 0.2, 0.8), (1.0, 0.0, 1.0)])
def test_jensen_monte_carlo_agrees_with_exact(x, mu, sigma):
    mc = toy.jensen_monte_carlo(x, mu, sigma, 200_000, np.random.default_rng(7))
    assert mc["n"] == 200_000
    assert abs(mc["mean_log_ratio"] - toy.elbo(x, mu, sigma)) < 4 * mc["mean_log_ratio_se"]
    assert abs(mc["log_mean_ratio"] - toy.log_evidence(x)) < 4 * mc["log_mean_ratio_se"]


def test_jensen_monte_carlo_one_draw_and_reproducible():
    one = toy.jensen_monte_carlo(2.0, 1.0, 0.5, 1, np.random.default_rng(3))
    assert one["log_mean_ratio"] == one["mean_log_ratio"]  # one draw: no Jensen gap
    assert math.isnan(one["mean_log_ratio_se"]) and math.isnan(one["log_mean_ratio_se"])
    a = toy.jensen_monte_carlo(2.0, 1.0, 0.5, 50, np.random.default_rng(3))
    b = toy.jensen_monte_carlo(2.0, 1.0, 0.5, 50, np.random.default_rng(3))
    assert a == b


# --- best Gaussians ----------------------------------------------------------------------------


def maximise_by_scipy(x, s, beta, starts):
    """Best of scipy.optimize.minimize runs on -(recon - beta KL) in (mu, log sigma)."""
    def negative(p):
        mu, sigma = p[0], math.exp(p[1])
        recon = quad_free_recon(x, mu, sigma, s)
        kl = 0.5 * (mu * mu + sigma * sigma - 1.0) - math.log(sigma)
        return -(recon - beta * kl)

    runs = [optimize.minimize(negative, [m, math.log(sg)], method="Nelder-Mead",
                              options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 4000})
            for m, sg in starts]
    best = min(runs, key=lambda r: r.fun)
    return abs(best.x[0]), math.exp(best.x[1]), -best.fun


def quad_free_recon(x, mu, sigma, s):
    """E_q[log N(x; z^2, s^2)] by 20-point Gauss-Hermite (exact for this quartic integrand)."""
    z = mu + sigma * GH_NODES
    return float(GH_WEIGHTS @ (-0.5 * ((x - z * z) / s) ** 2) / math.sqrt(2 * math.pi)) \
        - 0.5 * LOG_2PI - math.log(s)


GH_NODES, GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(20)


STARTS = [(0.0, 1.0), (1.5, 0.3), (-1.5, 0.3), (0.5, 2.0), (3.0, 0.1)]


@pytest.mark.parametrize("x, s", BIMODAL + [(-1.0, 0.5), (0.1, 0.5), (0.5, 2.0)])
def test_reverse_kl_fit_is_the_global_maximum(x, s):
    fit = toy.fit_reverse_kl(x, s=s)
    mu, sigma = fit["mu"], fit["sigma"]
    assert fit["elbo"] == pytest.approx(toy.elbo(x, mu, sigma, s=s), abs=1e-12)
    # a stationary point: central differences of the closed-form ELBO vanish ...
    h = 1e-6
    d_mu = (toy.elbo(x, mu + h, sigma, s=s) - toy.elbo(x, mu - h, sigma, s=s)) / (2 * h)
    d_sigma = (toy.elbo(x, mu, sigma + h, s=s) - toy.elbo(x, mu, sigma - h, s=s)) / (2 * h)
    assert abs(d_mu) < 1e-6 and abs(d_sigma) < 1e-6
    # ... and no nearby point is better
    for r in (1e-3, 1e-2, 1e-1):
        for angle in np.linspace(0, 2 * math.pi, 16, endpoint=False):
            near = toy.elbo(x, mu + r * math.cos(angle), sigma * math.exp(r * math.sin(angle)), s=s)
            assert near < fit["elbo"]
    # ... and scipy, started from both modes and elsewhere, finds nothing better
    ref_mu, ref_sigma, ref_value = maximise_by_scipy(x, s, 1.0, STARTS)
    assert fit["elbo"] >= ref_value - 1e-10
    assert (mu, sigma) == pytest.approx((ref_mu, ref_sigma), abs=1e-5)
    assert fit["gap"] == pytest.approx(toy.log_evidence(x, s=s) - fit["elbo"], abs=1e-12)


def test_recon_by_gauss_hermite_matches_scipy():
    z = 0.4 + 0.7 * GH_NODES
    scipy_value = GH_WEIGHTS @ stats.norm(z * z, 0.6).logpdf(1.3) / math.sqrt(2 * math.pi)
    assert quad_free_recon(1.3, 0.4, 0.7, 0.6) == pytest.approx(scipy_value, rel=1e-13)


@pytest.mark.parametrize("x, s", SEPARATED)
def test_reverse_kl_fit_sits_on_one_mode(x, s):
    fit = toy.fit_reverse_kl(x, s=s)
    assert stats.norm(fit["mu"], fit["sigma"]).cdf(0.0) < 1e-3  # nearly all of q is at z > 0
    assert fit["mu"] == pytest.approx(modes(x, s)[1], rel=0.1)


def test_reverse_kl_fit_straddles_modes_that_are_close():
    # x = 1, s = 0.5: modes at +-0.94, but one wide q centred at 0 beats one on a mode.
    # (For s = 0.5 the fit jumps onto a mode at x of about 1.14.)
    assert len(modes(1.0, 0.5)) == 2
    fit = toy.fit_reverse_kl(1.0, s=0.5)
    assert fit["mu"] == 0.0 and fit["sigma"] > 0.6
    assert toy.fit_reverse_kl(1.2, s=0.5)["mu"] > 0.9


@pytest.mark.parametrize("x, s", BIMODAL + [(-1.0, 0.5), (0.1, 0.5)])
def test_forward_kl_fit_matches_posterior_moments(x, s):
    log_px = log_evidence_ref(x, s)
    post = lambda z: math.exp(log_joint_scalar(x, z, s) - log_px)  # noqa: E731
    mean = quad_whole_line(lambda z: z * post(z), x, s)
    var = quad_whole_line(lambda z: (z - mean) ** 2 * post(z), x, s)
    fit = toy.fit_forward_kl(x, s=s)
    assert fit["mu"] == pytest.approx(mean, abs=1e-10)
    assert fit["sigma"] ** 2 == pytest.approx(var, rel=1e-9)
    # KL(p || q) by quadrature, and no nearby Gaussian does better
    log_q = lambda z: log_q_scalar(z, fit["mu"], fit["sigma"])  # noqa: E731
    fkl = quad_whole_line(lambda z: post(z) * (log_joint_scalar(x, z, s) - log_px - log_q(z)), x, s)
    assert fit["forward_kl"] == pytest.approx(fkl, abs=1e-9)
    for d_mu, d_log_sigma in [(0.05, 0), (-0.05, 0), (0, 0.05), (0, -0.05)]:
        other = toy.forward_kl(x, fit["mu"] + d_mu, fit["sigma"] * math.exp(d_log_sigma), s=s)
        assert other > fit["forward_kl"]


@pytest.mark.parametrize("x, s", BIMODAL)
def test_forward_fit_is_wider_than_reverse_fit_when_bimodal(x, s):
    fwd, rev = toy.fit_forward_kl(x, s=s), toy.fit_reverse_kl(x, s=s)
    assert fwd["sigma"] > rev["sigma"]
    assert rev["gap"] < fwd["gap"]  # each wins on its own divergence
    assert fwd["forward_kl"] < rev["forward_kl"]


@pytest.mark.parametrize("x, s", [(2.0, 0.5), (-1.0, 0.5), (0.3, 1.0)])
def test_beta_one_is_the_reverse_kl_fit(x, s):
    opt, fit = toy.beta_optimum(x, 1.0, s=s), toy.fit_reverse_kl(x, s=s)
    for key in ("mu", "sigma", "elbo", "gap"):
        assert opt[key] == fit[key]
    assert opt["objective"] == opt["elbo"]


@pytest.mark.parametrize("x, s", [(2.0, 0.5), (-1.0, 0.5), (5.0, 0.3), (0.3, 1.0)])
def test_kl_to_prior_falls_as_beta_grows(x, s):
    betas = np.concatenate([[0.0], np.geomspace(1e-3, 1e4, 80)])
    kls = [toy.beta_optimum(x, b, s=s)["kl"] for b in betas]
    assert all(a >= b for a, b in itertools.pairwise(kls))
    recons = [toy.beta_optimum(x, b, s=s)["recon"] for b in betas]
    assert all(a >= b - 1e-12 for a, b in itertools.pairwise(recons))


@pytest.mark.parametrize("beta", [0.05, 0.5, 2.0, 8.0, 30.0])
@pytest.mark.parametrize("x", [-1.0, 0.5, 2.0, 5.0])
def test_beta_optimum_matches_scipy(x, beta):
    s = 0.5
    opt = toy.beta_optimum(x, beta, s=s)
    ref_mu, ref_sigma, ref_value = maximise_by_scipy(x, s, beta, STARTS)
    assert opt["objective"] >= ref_value - 1e-10
    assert opt["objective"] == pytest.approx(ref_value, abs=1e-9)
    assert (opt["mu"], opt["sigma"]) == pytest.approx((ref_mu, ref_sigma), abs=1e-5)
    assert opt["recon"] - beta * opt["kl"] == pytest.approx(opt["objective"], abs=1e-12)
    assert opt["gap"] == pytest.approx(toy.kl_to_posterior(x, opt["mu"], opt["sigma"], s=s), abs=1e-12)


@pytest.mark.parametrize("x", [-1.0, 0.0, 2.0])
def test_beta_zero_returns_the_sigma_to_zero_limit(x):
    opt = toy.beta_optimum(x, 0.0)
    assert opt["sigma"] == 0.0 and opt["mu"] == math.sqrt(max(x, 0.0))
    assert opt["kl"] == math.inf and opt["elbo"] == -math.inf and opt["gap"] == math.inf
    limit = toy.expected_log_likelihood(x, opt["mu"], 1e-7)
    assert opt["recon"] == pytest.approx(limit, abs=1e-9)
    assert opt["recon"] >= toy.beta_optimum(x, 1e-6)["recon"]


@pytest.mark.parametrize("beta", [1e7, 1e300])
def test_huge_beta_gives_the_prior(beta):
    opt = toy.beta_optimum(2.0, beta)
    assert (opt["mu"], opt["sigma"]) == pytest.approx((0.0, 1.0), abs=1e-6)
    assert opt["kl"] < 1e-12


# --- bad input ---------------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("call, match", [
    (lambda: toy.log_evidence(NAN), "x must be a finite number"),
    (lambda: toy.log_evidence(INF), "x must be a finite number"),
    (lambda: toy.log_evidence("two"), "x must be a number"),
    (lambda: toy.log_evidence([1.0, 2.0]), "x must be a number"),
    (lambda: toy.log_evidence(1.0, s=0.0), "s must be greater than 0"),
    (lambda: toy.log_evidence(1.0, s=-0.5), "s must be greater than 0"),
    (lambda: toy.log_evidence(1.0, s=INF), "s must be a finite number"),
    (lambda: toy.log_joint(1.0, np.array([0.0, NAN])), "z must be finite"),
    (lambda: toy.log_joint(1.0, "z"), "z must be numbers"),
    (lambda: toy.log_joint(1.0, 0.0, s=0), "s must be greater than 0"),
    (lambda: toy.elbo(1.0, 0.0, 0.0), "sigma must be greater than 0"),
    (lambda: toy.elbo(1.0, 0.0, -1.0), "sigma must be greater than 0"),
    (lambda: toy.elbo(1.0, NAN, 1.0), "mu must be a finite number"),
    (lambda: toy.elbo(NAN, 0.0, 1.0), "x must be a finite number"),
    (lambda: toy.kl_to_posterior(1.0, 0.0, 1.0, s=-1), "s must be greater than 0"),
    (lambda: toy.kl_to_posterior(1.0, 0.0, 0.0), "sigma must be greater than 0"),
    (lambda: toy.elbo_grad(1.0, 0.0, 1.0, beta=-1), "beta must be 0 or more"),
    (lambda: toy.beta_optimum(1.0, -0.1), "beta must be 0 or more"),
    (lambda: toy.beta_optimum(1.0, INF), "beta must be a finite number"),
    (lambda: toy.beta_optimum(1.0, "big"), "beta must be a number"),
    (lambda: toy.beta_optimum(INF, 1.0), "x must be a finite number"),
    (lambda: toy.fit_reverse_kl(1.0, s=0), "s must be greater than 0"),
    (lambda: toy.fit_forward_kl(NAN), "x must be a finite number"),
    (lambda: toy.jensen_monte_carlo(1.0, 0.0, 1.0, 0, np.random.default_rng(0)),
     "n must be a whole number of at least 1"),
    (lambda: toy.jensen_monte_carlo(1.0, 0.0, 1.0, 2.5, np.random.default_rng(0)), "n must be a whole number"),
    (lambda: toy.jensen_monte_carlo(1.0, 0.0, 1.0, 10, 0), "rng must be a numpy Generator"),
    (lambda: toy.jensen_monte_carlo(1.0, 0.0, -1.0, 10, np.random.default_rng(0)), "sigma must be greater"),
    (lambda: toy.jensen_exact(1.0, np.zeros(2), 1.0), "single mu and sigma"),
    (lambda: toy.elbo_terms(1.0, np.zeros(2), 1.0), "single mu and sigma"),
    (lambda: toy.forward_kl(1.0, 0.0, np.ones(2)), "single mu and sigma"),
    (lambda: toy.posterior_grid(1.0, n=1), "n must be a whole number of at least 2"),
    (lambda: toy.posterior_grid(1.0, half_width=0), "half_width must be"),
    (lambda: toy.entropy(0.0), "sigma must be greater than 0"),
])
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
