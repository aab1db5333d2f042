"""Importance sampling with q(z|x): log p(x) by IWAE against quadrature, its chunking, the
estimate of log p(x) and the ELBO from the same samples, and the errors."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from elbo_lab import data, importance, vae

from repo import assert_raises_naming


def quadrature_log_px(model, x):
    """log p(x) = log integral p(x|z) N(z; 0, 1) dz for a model with z_dim = 1."""

    def log_joint(z, x_row):  # log p(x|z) + log N(z; 0, 1), p(x|z) from scipy
        logits = model.decode_logits(np.array([[z]]))[0]
        log_pxz = stats.bernoulli.logpmf(x_row, 1 / (1 + np.exp(-logits))).sum()
        return log_pxz - 0.5 * z * z - 0.5 * math.log(2 * math.pi)

    out = []
    grid = np.linspace(-8, 8, 801)
    for x_row in x:
        logs = np.array([log_joint(z, x_row) for z in grid])
        peak = logs.max()  # subtract it so the integrand stays near 1
        value, _ = integrate.quad(lambda z, x_row=x_row, peak=peak: math.exp(log_joint(z, x_row) - peak),
                                  -8, 8, points=[grid[int(np.argmax(logs))]],
                                  limit=200, epsabs=0, epsrel=1e-10)
        out.append(math.log(value) + peak)
    return np.array(out)


def test_log_px_converges_to_quadrature():
    model = vae.VAE(x_dim=8, hidden=6, z_dim=1, seed=9)
    # make q(z|x) = N(0.2, 2^2), wider than the prior: bounded importance weights
    model.params["W_mu"][...] = 0.0
    model.params["b_mu"][...] = 0.2
    model.params["W_logvar"][...] = 0.0
    model.params["b_logvar"][...] = math.log(4.0)
    rng = np.random.default_rng(10)
    x = rng.integers(0, 2, size=(4, 8)).astype(float)
    exact = quadrature_log_px(model, x)
    iwae = importance.log_px(model, x, 20000, np.random.default_rng(11))
    np.testing.assert_allclose(iwae, exact, atol=0.05)  # about 5 standard errors
    elbo = importance.log_px(model, x, 1, np.random.default_rng(12))  # one sample: an ELBO draw
    assert elbo.mean() < exact.mean()


def test_log_px_chunking_does_not_change_the_answer(digits):
    model = vae.VAE(hidden=16, seed=13)
    x = digits[2][:5]
    a = importance.log_px(model, x, 100, np.random.default_rng(14))
    b = importance.log_px(model, x, 100, np.random.default_rng(14), chunk_elements=5 * 64 * 7)
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_estimate_against_an_independent_float64_computation(digits):
    """log p(x) = log mean_s w_s and the ELBO = mean_s log w_s, on the estimate's own draws."""
    model = vae.VAE(hidden=16, seed=15)
    x = digits[2][:6]
    k = 50
    out = importance.estimate(model, x, k, np.random.default_rng(16))
    assert set(out) == {"log_px", "elbo", "log_px_se"}
    eps = np.random.default_rng(16).standard_normal((k, len(x), 2))  # the same draws
    P = model.params
    h1 = np.maximum(x @ P["W1"] + P["b1"], 0.0)
    mu, log_var = h1 @ P["W_mu"] + P["b_mu"], h1 @ P["W_logvar"] + P["b_logvar"]
    z = mu + np.exp(0.5 * log_var) * eps  # (k, N, 2)
    p = 1 / (1 + np.exp(-(np.maximum(z @ P["W2"] + P["b2"], 0.0) @ P["W3"] + P["b3"])))
    log_w = (stats.bernoulli.logpmf(x, p).sum(axis=-1)
             + stats.norm.logpdf(z).sum(axis=-1)
             - stats.norm.logpdf(z, mu, np.exp(0.5 * log_var)).sum(axis=-1))  # (k, N)
    # 784 pixels put log w near -550, where exp underflows: scale each digit's weights by
    # its largest (log mean w and the relative standard error do not change)
    top = log_w.max(axis=0)
    w = np.exp(log_w - top)
    np.testing.assert_allclose(out["log_px"], top + np.log(w.mean(axis=0)), rtol=1e-10)
    np.testing.assert_allclose(out["elbo"], log_w.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(out["log_px_se"], w.std(axis=0, ddof=1) / (math.sqrt(k) * w.mean(axis=0)),
                               rtol=1e-8)
    assert np.all(out["log_px"] >= out["elbo"])  # Jensen on the same samples
    np.testing.assert_allclose(out["log_px"], importance.log_px(model, x, k, np.random.default_rng(16)),
                               rtol=1e-12)  # log_px draws the same eps in one chunk


# -- bad arguments -------------------------------------------------------------------


def bad_calls():
    """(id, call, message pattern, the ParamError's param) for every bad argument of the sampler."""
    X = data.load_split()[0][:10]
    rng = np.random.default_rng(0)
    m = vae.VAE(hidden=8)
    grey = 0.75 * data.load_split()[0][:10]  # grey levels: not what the model takes
    not_binary = (r"x must be binary \(0 or 1\); use elbo_lab\.data\.load_digits\(\), "
                  r"which binarises at grey level > 0\.5")
    return [
        ("log_px x grey levels", lambda: importance.log_px(m, grey, 5, rng), not_binary, "x"),
        ("k zero", lambda: importance.log_px(m, X, 0, rng), "k must be a whole number of at least 1", "k"),
        ("k fractional", lambda: importance.log_px(m, X, 2.5, rng), "k must be a whole number of at least 1",
         "k"),
        ("rng not a Generator", lambda: importance.log_px(m, X, 5, 0), "rng must be a numpy Generator", "rng"),
        ("estimate x grey levels", lambda: importance.estimate(m, grey, 5, rng), not_binary, "x"),
        ("estimate k zero", lambda: importance.estimate(m, X, 0, rng),
         "k must be a whole number of at least 1", "k"),
        ("estimate rng", lambda: importance.estimate(m, X, 5, None), "rng must be a numpy Generator", "rng"),
    ]


@pytest.mark.parametrize("case", range(len(bad_calls())), ids=[c[0] for c in bad_calls()])
def test_bad_arguments_raise_value_error(case):
    _, call, match, param = bad_calls()[case]
    assert_raises_naming(call, match, param)


@pytest.mark.parametrize("rows", [1, 3, 7, 10, 50])
def test_estimate_in_pieces_weighs_the_same_samples(rows, digits):
    """Pieces of rows digits draw the same eps as estimate and give each digit's numbers to
    rounding; they yield once between pieces."""
    x = digits[2][:10]
    model = vae.VAE(hidden=16, z_dim=2, seed=3)
    whole = importance.estimate(model, x, 40, np.random.default_rng(5))
    pieces = importance.estimate_in_pieces(model, x, 40, np.random.default_rng(5), rows)
    yields = 0
    while True:
        try:
            assert next(pieces) is None
            yields += 1
        except StopIteration as done:
            out = done.value
            break
    assert yields == max(0, math.ceil(10 / rows) - 1)
    for key in whole:
        np.testing.assert_allclose(out[key], whole[key], rtol=1e-12)
