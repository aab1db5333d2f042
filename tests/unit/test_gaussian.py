"""The closed-form KL against numerical integration, and its error cases."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from elbo_lab.gaussian import kl_to_standard_normal, log_normal_pdf


def kl_by_quadrature(mu, sigma):
    """KL(q || p) = integral of q log(q / p), computed with scipy's adaptive quadrature."""
    q, p = stats.norm(mu, sigma), stats.norm(0.0, 1.0)
    integrand = lambda z: q.pdf(z) * (q.logpdf(z) - p.logpdf(z))  # noqa: E731
    lo, hi = mu - 12 * sigma, mu + 12 * sigma
    value, _ = integrate.quad(integrand, lo, hi, points=[mu], limit=200, epsabs=1e-12)
    return value


@pytest.mark.parametrize("mu, sigma", [(0.0, 1.0), (1.5, 1.0), (-2.0, 0.3), (0.7, 2.5), (3.0, 0.1)])
def test_kl_matches_quadrature(mu, sigma):
    assert kl_to_standard_normal(mu, sigma) == pytest.approx(kl_by_quadrature(mu, sigma), abs=1e-9)


def test_kl_known_values():
    assert kl_to_standard_normal(0.0, 1.0) == 0.0
    assert kl_to_standard_normal(1.5, 1.0) == pytest.approx(1.125)
    assert kl_to_standard_normal(0.0, math.e) == pytest.approx(0.5 * (math.e**2 - 1) - 1)


def test_kl_scalar_in_float_out_and_elementwise():
    assert type(kl_to_standard_normal(1, 2)) is float
    mu = np.array([[0.0, 1.5], [-1.0, 2.0]])
    sigma = np.array([1.0, 0.5])  # broadcasts over rows
    out = kl_to_standard_normal(mu, sigma)
    assert out.shape == (2, 2)
    for i in range(2):
        for j in range(2):
            assert out[i, j] == pytest.approx(kl_to_standard_normal(mu[i, j], sigma[j]))


@pytest.mark.parametrize("mu, sigma, match", [
    (0.0, 0.0, "sigma must be greater than 0"),
    (0.0, -1.0, "sigma must be greater than 0"),
    (np.zeros(2), np.array([1.0, -0.1]), "sigma must be greater than 0"),
    (float("nan"), 1.0, "mu must be a finite number"),
    (float("inf"), 1.0, "mu must be a finite number"),
    (0.0, float("nan"), "sigma must be a finite number"),
    (0.0, float("inf"), "sigma must be a finite number"),
    ("abc", 1.0, "must be numbers"),
    (np.zeros(3), np.ones(2), "do not broadcast"),
])
def test_kl_rejects_bad_input(mu, sigma, match):
    with pytest.raises(ValueError, match=match):
        kl_to_standard_normal(mu, sigma)


def test_log_normal_pdf_matches_scipy():
    z = np.linspace(-4, 4, 9)
    np.testing.assert_allclose(log_normal_pdf(z, 0.5, 1.7), stats.norm(0.5, 1.7).logpdf(z), rtol=1e-12)
