"""Reparameterisation vs score-function gradients of E_q[z^2], q = N(mu, sigma^2)."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from elbo_lab import estimators as est

from gradcheck import rel_error

CASES = [(0.0, 1.0), (0.8, 2.0), (-1.5, 0.5), (2.0, 0.3), (0.3, 1.0)]


def expectation_by_quadrature(fun, mu, sigma):
    q = stats.norm(mu, sigma)
    lo, hi = mu - 14 * sigma, mu + 14 * sigma
    return integrate.quad(lambda z: q.pdf(z) * fun(z), lo, hi, points=[mu], epsabs=1e-13, limit=200)[0]


def test_f_and_its_derivative():
    z = np.linspace(-3, 3, 7)
    np.testing.assert_array_equal(est.f(z), z * z)
    h = 1e-6
    assert rel_error(est.f_prime(z), (est.f(z + h) - est.f(z - h)) / (2 * h)) < 1e-6


@pytest.mark.parametrize("mu, sigma", CASES)
def test_expected_f_matches_quadrature(mu, sigma):
    assert est.expected_f(mu, sigma) == pytest.approx(
        expectation_by_quadrature(lambda z: est.f(z), mu, sigma), rel=1e-10)


@pytest.mark.parametrize("mu, sigma", CASES)
def test_exact_grad_matches_finite_differences(mu, sigma):
    h = 1e-5
    numeric = np.array([
        (est.expected_f(mu + h, sigma) - est.expected_f(mu - h, sigma)) / (2 * h),
        (est.expected_f(mu, sigma + h) - est.expected_f(mu, sigma - h)) / (2 * h),
    ])
    assert rel_error(np.array(est.exact_grad(mu, sigma)), numeric) < 1e-6


@pytest.mark.parametrize("mu, sigma", CASES)
def test_per_sample_variances_match_quadrature(mu, sigma):
    """The closed-form variances against E[g^2] - E[g]^2 with g written in z."""
    exact = est.per_sample_variance(mu, sigma)
    d_mu, d_sigma = est.exact_grad(mu, sigma)
    eps = lambda z: (z - mu) / sigma  # noqa: E731
    per_sample = {
        "reparam": (lambda z: 2 * z, lambda z: 2 * z * eps(z)),
        "score": (lambda z: z * z * eps(z) / sigma, lambda z: z * z * (eps(z) ** 2 - 1) / sigma),
    }
    for name, (g_mu, g_sigma) in per_sample.items():
        assert expectation_by_quadrature(g_mu, mu, sigma) == pytest.approx(d_mu, abs=1e-9)
        assert expectation_by_quadrature(g_sigma, mu, sigma) == pytest.approx(d_sigma, abs=1e-9)
        var_mu = expectation_by_quadrature(lambda z, g=g_mu: g(z) ** 2, mu, sigma) - d_mu**2
        var_sigma = expectation_by_quadrature(lambda z, g=g_sigma: g(z) ** 2, mu, sigma) - d_sigma**2
        assert exact[name] == pytest.approx((var_mu, var_sigma), rel=1e-8)


@pytest.mark.parametrize("mu, sigma", CASES)
def test_both_estimators_are_unbiased(mu, sigma):
    n, repeats = 20, 20_000
    spread = est.estimator_spread(mu, sigma, n, repeats, np.random.default_rng(11))
    for name in ("reparam", "score"):
        mean = np.array(spread[name]["mean"])
        standard_error = np.sqrt(np.array(spread[name]["exact_var"]) / repeats)
        assert np.all(np.abs(mean - spread["exact"]) < 4 * standard_error), name


@pytest.mark.parametrize("mu, sigma", CASES)
def test_measured_spread_matches_the_exact_variance(mu, sigma):
    n, repeats = 10, 20_000
    spread = est.estimator_spread(mu, sigma, n, repeats, np.random.default_rng(5))
    for name in ("reparam", "score"):
        # the estimate is a mean of n samples with heavy (polynomial-of-Gaussian) tails;
        # 15% on a variance from 20 000 repeats is many standard errors wide
        assert spread[name]["var"] == pytest.approx(spread[name]["exact_var"], rel=0.15), name
        assert spread[name]["std"] == pytest.approx(np.sqrt(spread[name]["var"]).tolist(), rel=1e-12)
        assert spread[name]["estimates"].shape == (repeats, 2)


@pytest.mark.parametrize("mu", [-2.0, -0.5, 0.0, 0.7, 3.0])
@pytest.mark.parametrize("sigma", [0.1, 0.5, 1.0, 2.5])
def test_score_function_is_noisier(mu, sigma):
    exact = est.per_sample_variance(mu, sigma)
    assert exact["score"][0] > exact["reparam"][0]
    assert exact["score"][1] > exact["reparam"][1]


def test_score_function_is_noisier_in_measurement():
    spread = est.estimator_spread(0.8, 1.0, 16, 4000, np.random.default_rng(2))
    for k in range(2):
        assert spread["score"]["var"][k] > 2 * spread["reparam"]["var"][k]


def test_single_estimates_are_reproducible_and_agree_with_the_spread():
    a = est.reparam_grad(0.8, 1.2, 1000, np.random.default_rng(4))
    b = est.reparam_grad(0.8, 1.2, 1000, np.random.default_rng(4))
    assert a == b and all(type(v) is float for v in a)
    # one repeat of estimator_spread uses the first n draws, like a single call
    rng_eps = np.random.default_rng(9).standard_normal((1, 50))
    z = 0.8 + 1.2 * rng_eps[0]
    assert est.reparam_grad(0.8, 1.2, 50, np.random.default_rng(9)) == pytest.approx(
        (np.mean(2 * z), np.mean(2 * z * rng_eps[0])), rel=1e-12)
    assert est.score_grad(0.8, 1.2, 50, np.random.default_rng(9)) == pytest.approx(
        (np.mean(z * z * rng_eps[0] / 1.2), np.mean(z * z * (rng_eps[0] ** 2 - 1) / 1.2)), rel=1e-12)


@pytest.mark.parametrize("grad", [est.reparam_grad, est.score_grad])
def test_single_estimates_converge(grad):
    d_mu, d_sigma = grad(0.5, 0.8, 400_000, np.random.default_rng(1))
    var = est.per_sample_variance(0.5, 0.8)["reparam" if grad is est.reparam_grad else "score"]
    assert abs(d_mu - 1.0) < 4 * math.sqrt(var[0] / 400_000)
    assert abs(d_sigma - 1.6) < 4 * math.sqrt(var[1] / 400_000)


RNG = np.random.default_rng(0)


@pytest.mark.parametrize("call, match", [
    (lambda: est.reparam_grad(0.0, 0.0, 10, RNG), "sigma must be greater than 0"),
    (lambda: est.score_grad(0.0, -1.0, 10, RNG), "sigma must be greater than 0"),
    (lambda: est.reparam_grad(float("nan"), 1.0, 10, RNG), "mu must be a finite number"),
    (lambda: est.reparam_grad(0.0, float("inf"), 10, RNG), "sigma must be a finite number"),
    (lambda: est.reparam_grad(np.zeros(2), 1.0, 10, RNG), "single numbers"),
    (lambda: est.reparam_grad(0.0, 1.0, 0, RNG), "n must be a whole number of at least 1"),
    (lambda: est.score_grad(0.0, 1.0, 2.5, RNG), "n must be a whole number"),
    (lambda: est.score_grad(0.0, 1.0, True, RNG), "n must be a whole number"),
    (lambda: est.score_grad(0.0, 1.0, "ten", RNG), "n must be a whole number"),
    (lambda: est.reparam_grad(0.0, 1.0, 10, 42), "rng must be a numpy Generator"),
    (lambda: est.estimator_spread(0.0, 1.0, 10, 1, RNG), "repeats must be a whole number of at least 2"),
    (lambda: est.estimator_spread(0.0, 1.0, 0, 10, RNG), "n must be a whole number of at least 1"),
    (lambda: est.estimator_spread(0.0, 1.0, 10_000, 10_000, RNG), "n \\* repeats must be at most"),
    (lambda: est.estimator_spread(0.0, 1.0, 10, 10, None), "rng must be a numpy Generator"),
    (lambda: est.exact_grad(0.0, 0.0), "sigma must be greater than 0"),
    (lambda: est.per_sample_variance(0.0, -2.0), "sigma must be greater than 0"),
])
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
