"""The widget contract: keyword params in, {image, values, summary} out; errors as messages."""

import json
import re

import numpy as np
import pytest

from elbo_lab import estimators, figures, toy, widgets
from elbo_lab.gaussian import kl_to_standard_normal


def test_kl_widget_contract():
    out = widgets.kl(mu=1.5, sigma=1.0)
    assert set(out) == {"image", "values", "summary"}
    image = out["image"]
    assert len(image["rgba"]) == image["width"] * image["height"] * 4
    assert out["values"]["kl"] == pytest.approx(1.125)
    assert "KL = 1.125 nats" in out["summary"]
    json.dumps({k: v for k, v in out.items() if k != "image"})  # JSON-safe numbers and text


def test_kl_widget_redraws_when_params_change():
    a = widgets.kl(mu=0.0, sigma=1.0)["image"]["rgba"]
    b = widgets.kl(mu=1.0, sigma=0.5)["image"]["rgba"]
    assert a != b
    assert widgets.kl(mu=0.0, sigma=1.0)["image"]["rgba"] == a  # reused figure, same picture


@pytest.mark.parametrize("mu, sigma", [(0.3, 0.2), (-2.5, 2.9)])
def test_kl_widget_value_is_the_closed_form(mu, sigma):
    assert widgets.kl(mu=mu, sigma=sigma)["values"]["kl"] == kl_to_standard_normal(mu, sigma)


def test_kl_widget_draws_q_where_it_should():
    """The q curve's peak is drawn at z = mu: read the pixels back.

    The legend's swatch has the same colour, so pixels from the legend's left
    edge on are ignored (mu is negative to keep the peak clear of it).
    """
    out = widgets.kl(mu=-2.0, sigma=0.5)
    img = np.frombuffer(out["image"]["rgba"], np.uint8).reshape(out["image"]["height"], -1, 4)
    blue = (np.abs(img[..., :3].astype(int) - [0, 0x72, 0xB2]).sum(-1) < 40)
    ax = figures._FIGURES["kl"].fig.axes[0]
    blue[:, int(ax.get_legend().get_window_extent().x0):] = False
    rows, cols = np.nonzero(blue)
    top_col = cols[rows == rows.min()].mean()
    x_px = ax.transData.transform((-2.0, 0.0))[0]
    assert abs(top_col - x_px) < 4


def test_widgets_return_no_image_until_plotting_is_enabled(monkeypatch):
    monkeypatch.setattr(widgets, "_plotting", False)
    out = widgets.kl(mu=1.5, sigma=1.0)
    assert out["image"] is None and out["values"]["kl"] == pytest.approx(1.125)
    widgets.enable_plotting()
    assert widgets.kl(mu=1.5, sigma=1.0)["image"] is not None


@pytest.mark.parametrize("params, message", [
    ({"mu": 0, "sigma": -1}, "sigma must be greater than 0 (it is a standard deviation)"),
    ({"mu": float("nan"), "sigma": 1}, "mu must be a finite number"),
    ({"mu": "x", "sigma": 1}, "mu must be a number, got 'x'"),
    ({"mu": True, "sigma": 1}, "mu must be a number, not True"),
    ({"mu": 0, "tau": 1}, "bad parameters for kl"),
])
def test_call_returns_errors_as_messages(params, message):
    out = widgets.call("kl", params)
    assert set(out) == {"error"}
    assert out["error"].startswith(message)


def test_call_unknown_widget():
    assert widgets.call("nope", {}) == {"error": "unknown widget 'nope'"}


# --- shared checks for every widget ------------------------------------------------------


def _pixels(out):
    image = out["image"]
    assert len(image["rgba"]) == image["width"] * image["height"] * 4
    return np.frombuffer(image["rgba"], np.uint8).reshape(image["height"], image["width"], 4)


def _check_contract(out, width=640):
    """The widget contract: image of the right size, JSON-safe values, a summary sentence."""
    assert set(out) == {"image", "values", "summary"}
    img = _pixels(out)
    assert img.shape[1] == width and 240 <= img.shape[0] <= 420
    json.dumps(out["values"], allow_nan=False)
    for value in out["values"].values():
        assert type(value) in (int, float, str)
    assert isinstance(out["summary"], str) and out["summary"].endswith(".")
    return out["values"]


# --- posterior ---------------------------------------------------------------------------


def test_posterior_widget_matches_the_toy_model():
    v = _check_contract(widgets.posterior())
    assert v["log_evidence"] == pytest.approx(toy.log_evidence(2.0, s=0.5), abs=1e-12)
    assert v["n_modes"] == 2
    assert v["mode"] == pytest.approx(np.sqrt(2.0 - 0.125))
    z, p = toy.posterior_grid(2.0, s=0.5, n=20001, half_width=6.0)
    assert z[np.argmax(p)] == pytest.approx(-v["mode"], abs=1e-3)  # argmax finds the left twin
    dz = z[1] - z[0]
    assert v["posterior_sd"] == pytest.approx(np.sqrt(np.sum(z * z * p) * dz), rel=1e-6)


def test_posterior_widget_against_scipy_quadrature():
    from scipy.integrate import quad

    x, s = 3.0, 0.7
    v = widgets.posterior(x=x, s=s)["values"]
    joint = lambda z: np.exp(toy.log_joint(x, z, s=s))  # noqa: E731
    evidence = quad(joint, -np.inf, np.inf, points=None)[0]
    assert v["log_evidence"] == pytest.approx(np.log(evidence), abs=1e-8)
    second = quad(lambda z: z * z * joint(z), -np.inf, np.inf)[0] / evidence
    assert v["posterior_sd"] == pytest.approx(np.sqrt(second), rel=1e-7)


@pytest.mark.parametrize("x, s, modes", [(-1.0, 0.5, 1), (0.1, 0.5, 1), (2.0, 0.5, 2),
                                         (6.0, 0.1, 2), (0.2, 2.0, 1)])
def test_posterior_widget_counts_modes(x, s, modes):
    v = widgets.posterior(x=x, s=s)["values"]
    assert v["n_modes"] == modes
    assert (v["mode"] > 0) == (modes == 2)


def test_posterior_widget_redraws():
    a = _pixels(widgets.posterior(x=2.0)).copy()
    b = _pixels(widgets.posterior(x=-1.0))
    assert (a != b).any()
    assert (_pixels(widgets.posterior(x=2.0)) == a).all()


@pytest.mark.parametrize("params, message", [
    ({"x": 7}, "x must be between -1 and 6, got 7"),
    ({"x": float("nan")}, "x must be a finite number"),
    ({"s": 0.05}, "s must be between 0.1 and 2, got 0.05"),
    ({"s": "wide"}, "s must be a number, got 'wide'"),
])
def test_posterior_widget_rejects_bad_input(params, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        widgets.posterior(**params)


# --- kl_mc -------------------------------------------------------------------------------


@pytest.mark.parametrize("mu, sigma, n, seed", [(1.0, 0.6, 100, 0), (-2.0, 0.3, 10000, 5),
                                                (0.5, 2.5, 1000, 1)])
def test_kl_mc_widget_estimate(mu, sigma, n, seed):
    v = _check_contract(widgets.kl_mc(mu=mu, sigma=sigma, n=float(n), seed=seed))
    assert v["kl"] == kl_to_standard_normal(mu, sigma) and v["n"] == n
    eps = np.random.default_rng(seed).standard_normal(n)  # the same draws, computed directly
    z = mu + sigma * eps
    log_q = -0.5 * eps**2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)
    log_p = -0.5 * z**2 - 0.5 * np.log(2 * np.pi)
    assert v["kl_mc"] == pytest.approx(np.mean(log_q - log_p), rel=1e-12, abs=1e-12)
    assert abs(v["kl_mc"] - v["kl"]) < 4 * v["kl_mc_se"]
    if n >= 1000:  # the exact standard error agrees with the sample one
        assert v["kl_mc_se"] == pytest.approx(np.std(log_q - log_p, ddof=1) / np.sqrt(n), rel=0.1)


def test_kl_mc_widget_standard_error_is_exact():
    """sd of log q - log p under q, against a huge Monte Carlo."""
    mu, sigma = 0.7, 1.8
    z = mu + sigma * np.random.default_rng(3).standard_normal(2_000_000)
    r = (-0.5 * ((z - mu) / sigma) ** 2 - np.log(sigma)) - (-0.5 * z**2)
    se = widgets.kl_mc(mu=mu, sigma=sigma, n=1)["values"]["kl_mc_se"]
    assert se == pytest.approx(np.std(r), rel=3e-3)


def test_kl_mc_widget_q_equal_to_prior_gives_exactly_zero():
    v = widgets.kl_mc(mu=0.0, sigma=1.0, n=50)["values"]
    assert v["kl"] == v["kl_mc"] == v["kl_mc_se"] == 0.0


def test_kl_mc_widget_redraws():
    a = _pixels(widgets.kl_mc()).copy()
    for params in ({"seed": 1}, {"n": 500}, {"mu": -1.0}):
        assert (_pixels(widgets.kl_mc(**params)) != a).any(), params
    assert (_pixels(widgets.kl_mc()) == a).all()


@pytest.mark.parametrize("params, message", [
    ({"n": 100.5}, "n must be a whole number from 1 to 10000, got 100.5"),
    ({"n": 0}, "n must be a whole number from 1 to 10000, got 0"),
    ({"n": 10001}, "n must be a whole number from 1 to 10000"),
    ({"n": True}, "n must be a whole number from 1 to 10000"),
    ({"seed": -1}, "seed must be a whole number from 0 to"),
    ({"seed": "a"}, "seed must be a whole number from 0 to"),
    ({"sigma": 0}, "sigma must be greater than 0"),
    ({"mu": float("inf")}, "mu must be a finite number"),
])
def test_kl_mc_widget_rejects_bad_input(params, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        widgets.kl_mc(**params)


# --- reparam -----------------------------------------------------------------------------


@pytest.mark.parametrize("mu, sigma, n, seed", [(0.8, 1.0, 16, 0), (-1.5, 0.4, 1, 2),
                                                (2.0, 2.0, 1000, 7)])
def test_reparam_widget_matches_the_estimators(mu, sigma, n, seed):
    v = _check_contract(widgets.reparam(mu=mu, sigma=sigma, n=n, seed=seed))
    assert v["exact_dmu"] == 2 * mu and v["exact_dsigma"] == 2 * sigma
    repeats = v["repeats"]
    assert repeats == (500 if n <= 100 else max(100, 50_000 // n))
    rng = np.random.default_rng(seed)  # the same draws: histogram first, then the estimates
    rng.standard_normal(widgets.REPARAM_DRAWS)
    eps = rng.standard_normal((repeats, n))
    z = mu + sigma * eps
    rep_mu = (2 * z).mean(axis=1)  # pathwise: f'(z) dz/dmu
    sf_mu = (z * z * eps / sigma).mean(axis=1)  # score: f(z) d log q / dmu
    rep_sigma = (2 * z * eps).mean(axis=1)
    sf_sigma = (z * z * (eps**2 - 1) / sigma).mean(axis=1)
    assert v["rep_mean_dmu"] == pytest.approx(rep_mu.mean(), rel=1e-10)
    assert v["sf_mean_dmu"] == pytest.approx(sf_mu.mean(), rel=1e-10)
    assert v["rep_sd_dmu"] == pytest.approx(rep_mu.std(ddof=1), rel=1e-10)
    assert v["sf_sd_dmu"] == pytest.approx(sf_mu.std(ddof=1), rel=1e-10)
    assert v["rep_sd_dsigma"] == pytest.approx(rep_sigma.std(ddof=1), rel=1e-10)
    assert v["sf_sd_dsigma"] == pytest.approx(sf_sigma.std(ddof=1), rel=1e-10)
    assert v["variance_ratio_dmu"] == pytest.approx((v["sf_sd_dmu"] / v["rep_sd_dmu"]) ** 2)
    # unbiased: each mean is within 4 standard errors of the exact gradient
    for mean, sd in ((v["rep_mean_dmu"], v["rep_sd_dmu"]), (v["sf_mean_dmu"], v["sf_sd_dmu"])):
        assert abs(mean - v["exact_dmu"]) < 4 * sd / np.sqrt(repeats)
    # the spread agrees with the exact variance of an n-sample estimate (sd within 15%)
    exact = estimators.per_sample_variance(mu, sigma)
    assert v["rep_sd_dmu"] == pytest.approx(np.sqrt(exact["reparam"][0] / n), rel=0.15)


def test_reparam_widget_histograms_use_the_same_draws():
    """The z histogram is the eps histogram shifted by mu when sigma = 1: read the artists."""
    widgets.reparam(mu=1.0, sigma=1.0, n=4, seed=3)
    eps_line, _, z_line = figures._FIGURES["reparam"].live[:3]
    ex, ey = eps_line.get_data()
    zx, zy = z_line.get_data()
    assert np.allclose(ey[:-20], zy[20:])  # bins of 0.1: a shift of 10 bins = 20 vertices


def test_reparam_widget_redraws():
    a = _pixels(widgets.reparam()).copy()
    for params in ({"seed": 1}, {"n": 200}, {"mu": -1.0}, {"sigma": 0.3}):
        assert (_pixels(widgets.reparam(**params)) != a).any(), params
    assert (_pixels(widgets.reparam()) == a).all()


@pytest.mark.parametrize("params, message", [
    ({"mu": 2.5}, "mu must be between -2 and 2, got 2.5"),
    ({"sigma": 0.0}, "sigma must be between 0.1 and 2, got 0"),
    ({"n": 0}, "n must be a whole number from 1 to 1000, got 0"),
    ({"n": 16.5}, "n must be a whole number from 1 to 1000, got 16.5"),
    ({"seed": 1.5}, "seed must be a whole number from 0 to"),
])
def test_reparam_widget_rejects_bad_input(params, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        widgets.reparam(**params)


# --- derivation --------------------------------------------------------------------------


@pytest.mark.parametrize("params, covers", [
    ({}, True),  # the broad default q covers both modes
    ({"x": 3.0, "mu": 1.5, "sigma": 0.4, "s": 0.8, "seed": 4}, False),  # q sits on one mode
    ({"x": -1.0, "mu": 0.2, "sigma": 0.3, "n": 5000}, True),
])
def test_derivation_widget_numbers(params, covers):
    v = _check_contract(widgets.derivation(**params))
    full = {"x": 2.0, "mu": 0.0, "sigma": 1.5, "s": 0.5, "n": 1000, "seed": 0, **params}
    x, mu, sigma, s = full["x"], full["mu"], full["sigma"], full["s"]
    assert v["log_evidence"] == pytest.approx(toy.log_evidence(x, s=s), abs=1e-12)
    assert v["elbo"] == pytest.approx(toy.elbo(x, mu, sigma, s=s), abs=1e-12)
    assert v["recon"] - v["kl_prior"] == pytest.approx(v["elbo"], abs=1e-12)
    assert v["kl_prior"] == pytest.approx(kl_to_standard_normal(mu, sigma))
    assert abs(v["identity_residual"]) < 1e-6
    assert v["kl_posterior"] >= 0
    # independent: KL(q || p(z|x)) by quadrature of q log(q / posterior)
    z = np.linspace(mu - 12 * sigma, mu + 12 * sigma, 40001)
    log_q = -0.5 * ((z - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)
    integrand = np.exp(log_q) * (log_q - toy.log_posterior(x, z, s=s))
    assert v["kl_posterior"] == pytest.approx(np.trapezoid(integrand, z), rel=1e-6, abs=1e-9)
    # Monte Carlo: the same draws, computed directly
    zs = mu + sigma * np.random.default_rng(full["seed"]).standard_normal(full["n"])
    r = toy.log_joint(x, zs, s=s) + 0.5 * ((zs - mu) / sigma) ** 2 + np.log(sigma) \
        + 0.5 * np.log(2 * np.pi)
    assert v["elbo_mc"] == pytest.approx(r.mean(), rel=1e-12)
    assert v["elbo_mc_se"] == pytest.approx(r.std(ddof=1) / np.sqrt(full["n"]), rel=1e-10)
    assert v["log_mean_ratio_mc"] == pytest.approx(np.log(np.mean(np.exp(r))), rel=1e-10)
    assert abs(v["elbo_mc"] - v["elbo"]) < 4 * v["elbo_mc_se"]
    if covers:  # importance sampling converges to log p(x)
        assert abs(v["log_mean_ratio_mc"] - v["log_evidence"]) < 4 * v["log_mean_ratio_mc_se"]
    else:  # q on one of two modes: the estimate misses the mirror mode, about log 2 low
        assert v["log_mean_ratio_mc"] < v["log_evidence"] - 0.5


def test_derivation_widget_redraws():
    a = _pixels(widgets.derivation()).copy()
    for params in ({"seed": 1}, {"mu": 1.0}, {"sigma": 0.5}, {"x": 4.0}, {"s": 1.0}):
        assert (_pixels(widgets.derivation(**params)) != a).any(), params
    assert (_pixels(widgets.derivation()) == a).all()


@pytest.mark.parametrize("params, message", [
    ({"n": 1}, "n must be a whole number from 2 to 10000, got 1"),
    ({"n": 2.5}, "n must be a whole number from 2 to 10000"),
    ({"sigma": 0}, "sigma must be between 0.1 and 3, got 0"),
    ({"mu": -3.5}, "mu must be between -3 and 3, got -3.5"),
    ({"x": 6.5}, "x must be between -1 and 6, got 6.5"),
    ({"s": 3}, "s must be between 0.1 and 2, got 3"),
    ({"seed": -2}, "seed must be a whole number from 0 to"),
])
def test_derivation_widget_rejects_bad_input(params, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        widgets.derivation(**params)


# --- tension -----------------------------------------------------------------------------


@pytest.mark.parametrize("x, beta, s", [(2.0, 1.0, 0.5), (2.0, 0.01, 0.5), (4.0, 8.0, 0.3),
                                        (-1.0, 2.5, 1.0)])
def test_tension_widget_is_the_beta_optimum(x, beta, s):
    v = _check_contract(widgets.tension(x=x, beta=beta, s=s))
    opt = toy.beta_optimum(x, beta, s=s)
    for key in ("mu", "sigma", "recon", "kl", "elbo", "gap", "log_evidence", "beta"):
        assert v[key] == opt[key], key
    assert v["elbo"] == pytest.approx(v["recon"] - v["kl"])
    assert v["gap"] == pytest.approx(v["log_evidence"] - v["elbo"], abs=1e-12)
    # independent check: no nearby Gaussian does better on recon - beta * KL
    def objective(mu, sigma):
        return (toy.expected_log_likelihood(x, mu, sigma, s=s)
                - beta * kl_to_standard_normal(mu, sigma))
    best = objective(v["mu"], v["sigma"])
    for dmu, dsig in [(1e-3, 0), (-1e-3, 0), (0, 1e-3 * v["sigma"]), (0, -1e-3 * v["sigma"])]:
        assert objective(v["mu"] + dmu, v["sigma"] + dsig) <= best + 1e-12


def test_tension_widget_beta_trades_reconstruction_for_kl():
    small, large = (widgets.tension(beta=b)["values"] for b in (0.1, 4.0))
    assert small["recon"] > large["recon"] and small["kl"] > large["kl"]
    assert small["sigma"] < large["sigma"]


def test_tension_widget_redraws():
    a = _pixels(widgets.tension()).copy()
    for params in ({"beta": 3.0}, {"x": 4.0}, {"s": 1.0}):
        assert (_pixels(widgets.tension(**params)) != a).any(), params
    assert (_pixels(widgets.tension()) == a).all()


@pytest.mark.parametrize("params, message", [
    ({"beta": 0}, "beta must be at least 0.01: at beta = 0 the best q shrinks to a point"),
    ({"beta": 0.005}, "beta must be at least 0.01"),
    ({"beta": -1}, "beta must be between 0.01 and 8, got -1"),
    ({"beta": 9}, "beta must be between 0.01 and 8, got 9"),
    ({"beta": float("nan")}, "beta must be a finite number"),
    ({"x": -2}, "x must be between -1 and 6, got -2"),
    ({"s": 0}, "s must be between 0.1 and 2, got 0"),
])
def test_tension_widget_rejects_bad_input(params, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        widgets.tension(**params)


# --- kl_direction ------------------------------------------------------------------------


@pytest.mark.parametrize("x, s", [(2.0, 0.5), (-1.0, 0.5), (6.0, 0.1), (1.0, 2.0)])
def test_kl_direction_widget_fits(x, s):
    v = _check_contract(widgets.kl_direction(x=x, s=s))
    rev, fwd = toy.fit_reverse_kl(x, s=s), toy.fit_forward_kl(x, s=s)
    assert (v["rev_mu"], v["rev_sigma"], v["rev_gap"]) == (rev["mu"], rev["sigma"], rev["gap"])
    assert (v["fwd_mu"], v["fwd_sigma"], v["fwd_kl"]) == (fwd["mu"], fwd["sigma"],
                                                          fwd["forward_kl"])
    # independent: the forward fit matches the posterior's variance, by quadrature on a grid
    z, p = toy.posterior_grid(x, s=s, n=40001, half_width=8.0)
    assert v["fwd_sigma"] == pytest.approx(np.sqrt(np.trapezoid(z * z * p, z)), rel=1e-6)
    assert v["fwd_mu"] == 0.0
    # the reverse fit's gap is KL(q || p(z|x)) = log p(x) - ELBO(q)
    assert v["rev_gap"] == pytest.approx(toy.kl_to_posterior(x, v["rev_mu"], v["rev_sigma"], s=s))


def test_kl_direction_widget_reverse_fit_is_mode_seeking():
    v = widgets.kl_direction(x=2.0, s=0.5)["values"]
    assert v["rev_mu"] > 1.0 and v["rev_sigma"] < 0.5 * v["fwd_sigma"]
    assert v["rev_gap"] == pytest.approx(np.log(2), abs=0.05)  # misses the mirror mode's mass


def test_kl_direction_widget_redraws():
    a = _pixels(widgets.kl_direction()).copy()
    assert (_pixels(widgets.kl_direction(x=4.0)) != a).any()
    assert (_pixels(widgets.kl_direction(s=1.0)) != a).any()
    assert (_pixels(widgets.kl_direction()) == a).all()


@pytest.mark.parametrize("params, message", [
    ({"x": 10}, "x must be between -1 and 6, got 10"),
    ({"s": -0.5}, "s must be between 0.1 and 2, got -0.5"),
    ({"x": None}, "x must be a number, got None"),
])
def test_kl_direction_widget_rejects_bad_input(params, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        widgets.kl_direction(**params)


# --- the pretrained VAE: generate, decode_at, latent ---------------------------------------


@pytest.fixture(scope="module")
def beta1():
    from elbo_lab import vae

    return vae.load_pretrained("beta1")


def _log_std_normal_2d(z):
    return -0.5 * np.sum(z * z, axis=-1) - np.log(2 * np.pi)


@pytest.mark.parametrize("n, seed", [(16, 0), (1, 5), (64.0, 2)])
def test_generate_widget(beta1, n, seed):
    out = widgets.generate(n=n, seed=seed)
    v = _check_contract(out)
    z = np.random.default_rng(seed).standard_normal((int(n), 2))
    assert v["n"] == int(n)
    assert v["mean_log_prior"] == pytest.approx(np.mean(_log_std_normal_2d(z)), rel=1e-12)
    # the decoded digits are in the picture: the mosaic holds the decoder's mean images
    mosaic = figures._FIGURES["generate"].live[1].get_array()
    images = beta1.decode(z)
    assert np.allclose(mosaic[:8, :8], images[0].reshape(8, 8))
    if n > 1:
        assert np.allclose(mosaic[:8, 9:17], images[1].reshape(8, 8))


def test_generate_widget_redraws():
    a = _pixels(widgets.generate()).copy()
    assert (_pixels(widgets.generate(seed=1)) != a).any()
    assert (_pixels(widgets.generate(n=4)) != a).any()
    assert (_pixels(widgets.generate()) == a).all()


@pytest.mark.parametrize("params, message", [
    ({"n": 0}, "n must be a whole number from 1 to 64, got 0"),
    ({"n": 65}, "n must be a whole number from 1 to 64, got 65"),
    ({"n": 3.5}, "n must be a whole number from 1 to 64, got 3.5"),
    ({"seed": -1}, "seed must be a whole number from 0 to"),
])
def test_generate_widget_rejects_bad_input(params, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        widgets.generate(**params)


@pytest.mark.parametrize("z1, z2", [(0.0, 0.0), (1.5, -2.0), (-3.0, 3.0)])
def test_decode_at_widget(beta1, z1, z2):
    v = _check_contract(widgets.decode_at(z1=z1, z2=z2))
    assert (v["z1"], v["z2"]) == (z1, z2)
    assert v["log_prior"] == pytest.approx(_log_std_normal_2d(np.array([z1, z2])))
    shown = figures._FIGURES["decode_at"].live[1].get_array()
    assert np.allclose(shown, beta1.decode(np.array([[z1, z2]]))[0].reshape(8, 8))


def test_decode_at_widget_redraws_and_is_fast():
    import time

    a = _pixels(widgets.decode_at()).copy()
    assert (_pixels(widgets.decode_at(z1=2.0)) != a).any()
    assert (_pixels(widgets.decode_at(z2=-1.0)) != a).any()
    assert (_pixels(widgets.decode_at()) == a).all()
    start = time.perf_counter()
    for i in range(10):
        widgets.decode_at(z1=0.1 * i)
    assert (time.perf_counter() - start) / 10 < 0.1  # generous: about 2 ms natively


@pytest.mark.parametrize("params, message", [
    ({"z1": 3.5}, "z1 must be between -3 and 3, got 3.5"),
    ({"z2": "up"}, "z2 must be a number, got 'up'"),
    ({"z2": float("inf")}, "z2 must be a finite number"),
])
def test_decode_at_widget_rejects_bad_input(params, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        widgets.decode_at(**params)


@pytest.mark.parametrize("classes, model", [("0123456789", "beta1"), ("17", "beta1"),
                                            ("3", "beta4"), ("9900", "beta4")])
def test_latent_widget(classes, model):
    from elbo_lab import data, vae

    v = _check_contract(widgets.latent(classes=classes, model=model))
    _, _, x_test, y_test = data.load_split()
    keep = np.isin(y_test, [int(c) for c in classes])
    mu, log_var = vae.load_pretrained(model).encode(x_test[keep])
    kl = 0.5 * np.sum(mu**2 + np.exp(log_var) - 1 - log_var, axis=1)
    assert v["n_points"] == keep.sum() and v["model"] == model
    assert v["mean_kl"] == pytest.approx(kl.mean(), rel=1e-12)
    if classes == "0123456789":  # the whole test set: the figure recorded at pretraining
        assert v["mean_kl"] == pytest.approx(vae.load_pretrained(model).meta["test_kl"], rel=1e-6)
    shown = figures._FIGURES["latent"].live
    assert sum(len(group.get_offsets()) for group in shown) == keep.sum()


def test_latent_widget_redraws():
    a = _pixels(widgets.latent()).copy()
    assert (_pixels(widgets.latent(classes="01")) != a).any()
    assert (_pixels(widgets.latent(model="beta4")) != a).any()
    assert (_pixels(widgets.latent()) == a).all()


@pytest.mark.parametrize("params, message", [
    ({"classes": ""}, "choose at least one class"),
    ({"classes": "1a"}, "classes must contain only the digits 0-9, got 'a'"),
    ({"classes": 17}, "classes must be a string of digits"),
    ({"model": "beta2"}, 'model must be "beta1" or "beta4", got \'beta2\''),
])
def test_latent_widget_rejects_bad_input(params, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        widgets.latent(**params)


# --- dynamics and architecture -----------------------------------------------------------


@pytest.mark.parametrize("run", ["no_warmup", "warmup", "beta4"])
def test_dynamics_widget(run):
    from elbo_lab import vae

    v = _check_contract(widgets.dynamics(run=run))
    h = vae.load_histories()[run]
    assert v["final_recon"] == float(h["test_recon"][-1])
    assert v["final_kl"] == float(h["test_kl"][-1])
    assert v["final_neg_elbo"] == pytest.approx(v["final_recon"] + v["final_kl"])
    assert v["epochs"] == len(h["epoch"]) == 500
    if run == "no_warmup":  # the same training as the pretrained beta1 model's
        assert v["final_neg_elbo"] == pytest.approx(
            vae.load_pretrained("beta1").meta["test_neg_elbo"], abs=0.1)


def test_dynamics_widget_redraws():
    a = _pixels(widgets.dynamics()).copy()
    assert (_pixels(widgets.dynamics(run="beta4")) != a).any()
    assert (_pixels(widgets.dynamics()) == a).all()


@pytest.mark.parametrize("run", ["beta1", "", None])
def test_dynamics_widget_rejects_bad_input(run):
    with pytest.raises(ValueError, match=re.escape("run must be one of no_warmup, warmup, beta4")):
        widgets.dynamics(run=run)


def test_architecture_widget():
    from elbo_lab import vae

    out = widgets.architecture()
    v = _check_contract(out)
    model = vae.load_pretrained("beta1")
    assert v == {"x_dim": 64, "hidden": 256, "z_dim": 2, "activation": "relu",
                 "n_params": sum(p.size for p in model.params.values())}
    assert v["n_params"] == 64 * 256 + 256 + 2 * (256 * 2 + 2) + 2 * 256 + 256 + 256 * 64 + 64
    assert "34,884 parameters" in out["summary"]
    assert widgets.call("architecture", {"x": 1})["error"].startswith("bad parameters")


@pytest.mark.parametrize("key", sorted(widgets.WIDGETS))
def test_every_widget_gives_numbers_without_plotting(monkeypatch, key):
    """Before matplotlib has loaded in the browser, every widget still answers, image None."""
    monkeypatch.setattr(widgets, "_plotting", False)
    out = widgets.call(key, {})
    assert out["image"] is None and out["values"] and out["summary"]
    json.dumps(out, allow_nan=False)
