"""Every figure's contract, driven by its own spec (``PARAMS``): keyword params in,
``{image, values, summary}`` out, bad input named by parameter; then each figure's
numbers against independent computations (quadrature, closed forms, the same draws
recomputed directly) and its pictures read back."""

import json
import re
import time

import numpy as np
import pytest

import elbo_lab.plotting.agg as agg
from elbo_lab import data, door, estimators, plotting, pretrained, toy, vae, widgets
from elbo_lab.checks import ParamError
from elbo_lab.gaussian import kl_to_standard_normal
from elbo_lab.params import Choice, Digits, Drawing, Seed, Whole, defaults

from repo import assert_json_safe, pixels

FIGURES = list(widgets.FIGURES)
DRAWN = [name for name, module in widgets.FIGURES.items() if hasattr(module, "draw")]




def _check_contract(out, width=640):
    """The figure contract: an image of the right size, JSON-safe values, a summary sentence."""
    assert set(out) - {"axes"} == {"image", "values", "summary"}
    img = pixels(out)
    assert img.shape[1] == width and 240 <= img.shape[0] <= 540
    assert_json_safe(out["values"])
    assert isinstance(out["summary"], str) and out["summary"].endswith(".")
    return out["values"]


# --- the contract of every figure, from its spec ------------------------------------------


@pytest.mark.parametrize("name", FIGURES)
def test_every_figure_keeps_the_contract(monkeypatch, name):
    """At its defaults: an image (unless it has no picture), JSON-safe values, a summary;
    and before matplotlib has loaded in the browser, the same numbers with no image."""
    out = widgets.run(name)
    drag = {"axes"} if getattr(widgets.FIGURES[name], "DRAG", None) else set()
    assert set(out) == {"image", "values", "summary"} | drag
    if name in DRAWN:
        _check_contract(out)
    else:
        assert out["image"] is None
    assert_json_safe(out["values"])
    assert out["values"], name
    assert isinstance(out["summary"], str) and out["summary"].endswith(".")

    monkeypatch.setattr(plotting, "_backend", None)  # no drawing backend installed yet
    assert not plotting.enabled()
    bare = widgets.run(name)
    assert bare["image"] is None
    assert bare["values"] == out["values"] and bare["summary"] == out["summary"]
    json.dumps(bare, allow_nan=False)


def _other_values(p):
    """Valid values of parameter ``p`` other than its default, from its spec."""
    if isinstance(p, Seed):
        return [p.default + 1]
    if isinstance(p, Digits):
        return ["01"]
    if isinstance(p, Drawing):
        return [data.test_digit(7)[0]]
    if isinstance(p, Choice) or p.kind == "select":
        return [value for value, _ in p.options if value != p.default]
    lo, hi = p.slider_range
    return [hi if abs(hi - p.default) >= abs(lo - p.default) else lo]  # the farther end


# Parameters without a control whose change still shows (the toy model's noise s)
UNCONTROLLED = [("derivation", "s", 1.0), ("tension", "s", 1.0), ("kl_direction", "s", 1.0)]
REDRAWS = [pytest.param(name, p.name, value, id=f"{name}-{p.name}={value}")
           for name in DRAWN for p in widgets.FIGURES[name].PARAMS if p.control
           for value in _other_values(p)]
REDRAWS += [pytest.param(*case, id="{}-{}={}".format(*case)) for case in UNCONTROLLED]


@pytest.mark.parametrize("name, param, value", REDRAWS)
def test_every_control_redraws_and_the_defaults_come_back(name, param, value):
    first = widgets.run(name)["image"]["rgba"]
    assert widgets.run(name, **{param: value})["image"]["rgba"] != first
    assert widgets.run(name, **defaults(widgets.FIGURES[name].PARAMS))["image"]["rgba"] == first
    assert widgets.run(name)["image"]["rgba"] == first  # reused figure, same picture


def _bad_values(p):
    """Values parameter ``p`` must refuse, from its kind and bounds."""
    bad = [float("nan"), float("inf"), "x", True]
    if isinstance(p, Drawing):
        return [*bad, "", None, 17, p.default[:-1], p.default[:-1] + "*", p.default + "A"]
    if isinstance(p, Digits):
        return [*bad, "", "1a", 17, None]
    if isinstance(p, Choice):
        numeric = all(isinstance(v, (int, float)) for v in p.values)
        return [*bad, "nope", "", None, *([-1.5] if numeric else [])]
    if isinstance(p, Whole):  # and Seed
        bad.append(p.default + 0.5)
    if p.lo is not None:
        bad += [p.lo] if p.lo_open else [p.lo - p.step]
    if p.hi is not None:
        bad.append(p.hi + p.step)
    return bad


BAD = [pytest.param(name, p.name, value, id=f"{name}-{p.name}={value!r}")
       for name in FIGURES for p in widgets.FIGURES[name].PARAMS for value in _bad_values(p)]


@pytest.mark.parametrize("name, param, value", BAD)
def test_bad_input_is_named_by_its_parameter(name, param, value):
    out = door.handle("figure", name, {param: value})
    assert out["ok"] is False and out["bug"] is False, out
    assert out["param"] == param, out
    assert isinstance(out["error"], str) and out["error"]
    with pytest.raises(ParamError) as info:
        widgets.run(name, **{param: value})
    assert info.value.param == param and str(info.value) == out["error"]


@pytest.mark.parametrize("name", FIGURES)
def test_an_unknown_parameter_is_named(name):
    out = door.handle("figure", name, {"tau": 1})
    assert out["ok"] is False and out["bug"] is False
    assert out["param"] == "tau"
    assert out["error"].startswith(f"bad parameters for {name}: it has no parameter 'tau'")


# --- the door's error messages, per figure ---------------------------------------------------


@pytest.mark.parametrize("params, message", [
    ({"mu": 0, "sigma": -1}, "sigma must be between 0.001 and 100 (a standard deviation, drawable"),
    ({"mu": 1e200, "sigma": 1}, "mu must be between -100 and 100, got 1e+200"),
    ({"mu": float("nan"), "sigma": 1}, "mu must be a finite number"),
    ({"mu": "x", "sigma": 1}, "mu must be a number, got 'x'"),
    ({"mu": True, "sigma": 1}, "mu must be a number, not True"),
    ({"mu": 0, "tau": 1}, "bad parameters for kl"),
])
def test_the_door_returns_errors_as_messages(params, message):
    out = door.handle("figure", "kl", params)
    assert set(out) == {"ok", "error", "param", "bug"} and out["ok"] is False
    assert out["error"].startswith(message)


def test_the_door_names_an_unknown_figure():
    out = door.handle("figure", "nope", {})
    assert out["ok"] is False and out["param"] == "figure"
    assert out["error"].startswith("unknown figure 'nope'")


@pytest.mark.parametrize("name, params, message", [
    ("posterior", {"x": 7}, "x must be between -1 and 6, got 7"),
    ("posterior", {"x": float("nan")}, "x must be a finite number"),
    ("posterior", {"s": 0.05}, "s must be between 0.1 and 2, got 0.05"),
    ("posterior", {"s": "wide"}, "s must be a number, got 'wide'"),
    ("kl_mc", {"n": 100.5}, "n must be a whole number from 1 to 10000, got 100.5"),
    ("kl_mc", {"n": 0}, "n must be a whole number from 1 to 10000, got 0"),
    ("kl_mc", {"n": 10001}, "n must be a whole number from 1 to 10000"),
    ("kl_mc", {"n": True}, "n must be a whole number from 1 to 10000"),
    ("kl_mc", {"seed": -1}, "seed must be a whole number from 0 to"),
    ("kl_mc", {"seed": "a"}, "seed must be a whole number from 0 to"),
    ("kl_mc", {"sigma": 0}, "sigma must be between 0.001 and 100"),
    ("kl_mc", {"mu": float("inf")}, "mu must be a finite number"),
    ("reparam", {"mu": 2.5}, "mu must be between -2 and 2, got 2.5"),
    ("reparam", {"sigma": 0.0}, "sigma must be between 0.1 and 2, got 0"),
    ("reparam", {"n": 0}, "n must be a whole number from 1 to 1000, got 0"),
    ("reparam", {"n": 16.5}, "n must be a whole number from 1 to 1000, got 16.5"),
    ("reparam", {"seed": 1.5}, "seed must be a whole number from 0 to"),
    ("derivation", {"n": 1}, "n must be a whole number from 2 to 10000, got 1"),
    ("derivation", {"n": 2.5}, "n must be a whole number from 2 to 10000"),
    ("derivation", {"sigma": 0}, "sigma must be between 0.1 and 3, got 0"),
    ("derivation", {"mu": -3.5}, "mu must be between -3 and 3, got -3.5"),
    ("derivation", {"x": 6.5}, "x must be between -1 and 6, got 6.5"),
    ("derivation", {"s": 3}, "s must be between 0.1 and 2, got 3"),
    ("derivation", {"seed": -2}, "seed must be a whole number from 0 to"),
    ("tension", {"beta": 0}, "beta must be at least 0.01: at beta = 0 the best q shrinks to a point"),
    ("tension", {"beta": 0.005}, "beta must be at least 0.01"),
    ("tension", {"beta": -1}, "beta must be between 0.01 and 8, got -1"),
    ("tension", {"beta": 9}, "beta must be between 0.01 and 8, got 9"),
    ("tension", {"beta": float("nan")}, "beta must be a finite number"),
    ("tension", {"x": -2}, "x must be between -1 and 6, got -2"),
    ("tension", {"s": 0}, "s must be between 0.1 and 2, got 0"),
    ("kl_direction", {"x": 10}, "x must be between -1 and 6, got 10"),
    ("kl_direction", {"s": -0.5}, "s must be between 0.1 and 2, got -0.5"),
    ("kl_direction", {"x": None}, "x must be a number, got None"),
    ("generate", {"n": 0}, "n must be a whole number from 1 to 64, got 0"),
    ("generate", {"n": 65}, "n must be a whole number from 1 to 64, got 65"),
    ("generate", {"n": 3.5}, "n must be a whole number from 1 to 64, got 3.5"),
    ("generate", {"seed": -1}, "seed must be a whole number from 0 to"),
    ("decode_at", {"z1": 3.5}, "z1 must be between -3 and 3, got 3.5"),
    ("decode_at", {"z2": "up"}, "z2 must be a number, got 'up'"),
    ("decode_at", {"z2": float("inf")}, "z2 must be a finite number"),
    ("latent", {"classes": ""}, "choose at least one class"),
    ("latent", {"classes": "1a"}, "classes must contain only the digits 0-9, got 'a'"),
    ("latent", {"classes": 17}, "classes must be a string of digits"),
    ("latent", {"model": "beta2"}, "model must be one of beta1, beta4, got 'beta2'"),
    ("dynamics", {"run": "beta1"}, "run must be one of warmup, no_warmup, beta4"),
    ("dynamics", {"run": ""}, "run must be one of warmup, no_warmup, beta4"),
    ("dynamics", {"run": None}, "run must be one of warmup, no_warmup, beta4"),
])
def test_figures_reject_bad_input_with_these_messages(name, params, message):
    with pytest.raises(ParamError, match=re.escape(message)) as info:
        widgets.run(name, **params)
    assert info.value.param == next(iter(params))
    out = door.handle("figure", name, params)
    assert out["error"] == str(info.value) and out["param"] == info.value.param


# --- kl --------------------------------------------------------------------------------------


def test_kl_figure_contract():
    out = widgets.run("kl", mu=1.5, sigma=1.0)
    assert set(out) == {"image", "values", "summary"}
    image = out["image"]
    assert len(image["rgba"]) == image["width"] * image["height"] * 4
    assert out["values"]["kl"] == pytest.approx(1.125)
    assert "KL = 1.125 nats" in out["summary"]
    json.dumps({k: v for k, v in out.items() if k != "image"})  # JSON-safe numbers and text


@pytest.mark.parametrize("mu, sigma", [(0.3, 0.2), (-2.5, 2.9)])
def test_kl_figure_value_is_the_closed_form(mu, sigma):
    assert widgets.run("kl", mu=mu, sigma=sigma)["values"]["kl"] == kl_to_standard_normal(mu, sigma)


def test_kl_figure_draws_q_where_it_should():
    """The q curve's peak is drawn at z = mu: read the pixels back.

    The legend's swatch has the same colour, so pixels from the legend's left
    edge on are ignored (mu is negative to keep the peak clear of it).
    """
    out = widgets.run("kl", mu=-2.0, sigma=0.5)
    img = np.frombuffer(out["image"]["rgba"], np.uint8).reshape(out["image"]["height"], -1, 4)
    blue = (np.abs(img[..., :3].astype(int) - [0, 0x72, 0xB2]).sum(-1) < 40)
    ax = plotting.view("kl").fig.axes[0]
    blue[:, int(ax.get_legend().get_window_extent().x0):] = False
    rows, cols = np.nonzero(blue)
    top_col = cols[rows == rows.min()].mean()
    x_px = ax.transData.transform((-2.0, 0.0))[0]
    assert abs(top_col - x_px) < 4


def test_figures_return_no_image_until_a_backend_is_installed(monkeypatch):
    monkeypatch.setattr(plotting, "_backend", None)
    out = widgets.run("kl", mu=1.5, sigma=1.0)
    assert out["image"] is None and out["values"]["kl"] == pytest.approx(1.125)
    plotting.install(agg)  # as importing plotting.agg does, once matplotlib has loaded
    assert plotting.enabled()
    assert widgets.run("kl", mu=1.5, sigma=1.0)["image"] is not None


# --- posterior -------------------------------------------------------------------------------


def test_posterior_figure_matches_the_toy_model():
    v = _check_contract(widgets.run("posterior"))
    assert v["log_evidence"] == pytest.approx(toy.log_evidence(2.0, s=0.5), abs=1e-12)
    assert v["n_modes"] == 2
    assert v["mode"] == pytest.approx(np.sqrt(2.0 - 0.125))
    z, p = toy.posterior_grid(2.0, s=0.5, n=20001, half_width=6.0)
    assert z[np.argmax(p)] == pytest.approx(-v["mode"], abs=1e-3)  # argmax finds the left twin
    dz = z[1] - z[0]
    assert v["posterior_sd"] == pytest.approx(np.sqrt(np.sum(z * z * p) * dz), rel=1e-6)


def test_posterior_figure_against_scipy_quadrature():
    from scipy.integrate import quad

    x, s = 3.0, 0.7
    v = widgets.run("posterior", x=x, s=s)["values"]
    joint = lambda z: np.exp(toy.log_joint(x, z, s=s))  # noqa: E731
    evidence = quad(joint, -np.inf, np.inf, points=None)[0]
    assert v["log_evidence"] == pytest.approx(np.log(evidence), abs=1e-8)
    second = quad(lambda z: z * z * joint(z), -np.inf, np.inf)[0] / evidence
    assert v["posterior_sd"] == pytest.approx(np.sqrt(second), rel=1e-7)


@pytest.mark.parametrize("x, s, modes", [(-1.0, 0.5, 1), (0.1, 0.5, 1), (2.0, 0.5, 2),
                                         (6.0, 0.1, 2), (0.2, 2.0, 1)])
def test_posterior_figure_counts_modes(x, s, modes):
    v = widgets.run("posterior", x=x, s=s)["values"]
    assert v["n_modes"] == modes
    assert (v["mode"] > 0) == (modes == 2)


# --- kl_mc -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mu, sigma, n, seed", [(1.0, 0.6, 100, 0), (-2.0, 0.3, 10000, 5),
                                                (0.5, 2.5, 1000, 1)])
def test_kl_mc_figure_estimate(mu, sigma, n, seed):
    v = _check_contract(widgets.run("kl_mc", mu=mu, sigma=sigma, n=float(n), seed=seed))
    assert v["kl"] == kl_to_standard_normal(mu, sigma) and v["n"] == n
    eps = np.random.default_rng(seed).standard_normal(n)  # the same draws, computed directly
    z = mu + sigma * eps
    log_q = -0.5 * eps**2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)
    log_p = -0.5 * z**2 - 0.5 * np.log(2 * np.pi)
    assert v["kl_mc"] == pytest.approx(np.mean(log_q - log_p), rel=1e-12, abs=1e-12)
    assert abs(v["kl_mc"] - v["kl"]) < 4 * v["kl_mc_se"]
    if n >= 1000:  # the exact standard error agrees with the sample one
        assert v["kl_mc_se"] == pytest.approx(np.std(log_q - log_p, ddof=1) / np.sqrt(n), rel=0.1)


def test_kl_mc_figure_standard_error_is_exact():
    """sd of log q - log p under q, against a huge Monte Carlo."""
    mu, sigma = 0.7, 1.8
    z = mu + sigma * np.random.default_rng(3).standard_normal(2_000_000)
    r = (-0.5 * ((z - mu) / sigma) ** 2 - np.log(sigma)) - (-0.5 * z**2)
    se = widgets.run("kl_mc", mu=mu, sigma=sigma, n=1)["values"]["kl_mc_se"]
    assert se == pytest.approx(np.std(r), rel=3e-3)


def test_kl_mc_figure_q_equal_to_prior_gives_exactly_zero():
    v = widgets.run("kl_mc", mu=0.0, sigma=1.0, n=50)["values"]
    assert v["kl"] == v["kl_mc"] == v["kl_mc_se"] == 0.0


# --- reparam ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mu, sigma, n, seed", [(0.8, 1.0, 16, 0), (-1.5, 0.4, 1, 2),
                                                (2.0, 2.0, 1000, 7)])
def test_reparam_figure_matches_the_estimators(mu, sigma, n, seed):
    v = _check_contract(widgets.run("reparam", mu=mu, sigma=sigma, n=n, seed=seed))
    assert v["exact_dmu"] == 2 * mu and v["exact_dsigma"] == 2 * sigma
    repeats = v["repeats"]
    assert repeats == (500 if n <= 100 else max(100, 50_000 // n))
    rng = np.random.default_rng(seed)  # the same draws: histogram first, then the estimates
    rng.standard_normal(widgets.reparam.DRAWS)
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


def test_reparam_figure_histograms_use_the_same_draws():
    """The z histogram is the eps histogram shifted by mu when sigma = 1: read the artists."""
    widgets.run("reparam", mu=1.0, sigma=1.0, n=4, seed=3)
    eps_line, _, z_line = plotting.view("reparam").live[:3]
    ex, ey = eps_line.get_data()
    zx, zy = z_line.get_data()
    assert np.allclose(ey[:-20], zy[20:])  # bins of 0.1: a shift of 10 bins = 20 vertices


# --- derivation ------------------------------------------------------------------------------


@pytest.mark.parametrize("params, covers", [
    ({}, True),  # the broad default q covers both modes
    ({"x": 3.0, "mu": 1.5, "sigma": 0.4, "s": 0.8, "seed": 4}, False),  # q sits on one mode
    ({"x": -1.0, "mu": 0.2, "sigma": 0.3, "n": 5000}, True),
])
def test_derivation_figure_numbers(params, covers):
    v = _check_contract(widgets.run("derivation", **params))
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


# --- tension ---------------------------------------------------------------------------------


@pytest.mark.parametrize("x, beta, s", [(2.0, 1.0, 0.5), (2.0, 0.01, 0.5), (4.0, 8.0, 0.3),
                                        (-1.0, 2.5, 1.0)])
def test_tension_figure_is_the_beta_optimum(x, beta, s):
    v = _check_contract(widgets.run("tension", x=x, beta=beta, s=s))
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


def test_tension_figure_beta_trades_reconstruction_for_kl():
    small, large = (widgets.run("tension", beta=b)["values"] for b in (0.1, 4.0))
    assert small["recon"] > large["recon"] and small["kl"] > large["kl"]
    assert small["sigma"] < large["sigma"]


# --- kl_direction ----------------------------------------------------------------------------


@pytest.mark.parametrize("x, s", [(2.0, 0.5), (-1.0, 0.5), (6.0, 0.1), (1.0, 2.0)])
def test_kl_direction_figure_fits(x, s):
    v = _check_contract(widgets.run("kl_direction", x=x, s=s))
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


def test_kl_direction_figure_reverse_fit_is_mode_seeking():
    v = widgets.run("kl_direction", x=2.0, s=0.5)["values"]
    assert v["rev_mu"] > 1.0 and v["rev_sigma"] < 0.5 * v["fwd_sigma"]
    assert v["rev_gap"] == pytest.approx(np.log(2), abs=0.05)  # misses the mirror mode's mass


# --- the pretrained VAE: generate, decode_at, latent -----------------------------------------


@pytest.fixture(scope="module")
def beta1():
    return vae.load_pretrained("beta1")


def _log_std_normal_2d(z):
    return -0.5 * np.sum(z * z, axis=-1) - np.log(2 * np.pi)


@pytest.mark.parametrize("n, seed", [(16, 0), (1, 5), (64.0, 2)])
def test_generate_figure(beta1, n, seed):
    out = widgets.run("generate", n=n, seed=seed)
    v = _check_contract(out)
    z = np.random.default_rng(seed).standard_normal((int(n), 2))
    assert v["n"] == int(n)
    assert v["mean_log_prior"] == pytest.approx(np.mean(_log_std_normal_2d(z)), rel=1e-12)
    # the decoded digits are in the picture: the mosaic holds the decoder's mean images, in the
    # colours matplotlib's colormap gives them (agg.set_pixels colours them ahead)
    picture = plotting.view("generate").live[1]
    mosaic, colour = picture.get_array(), picture.get_cmap()
    images = beta1.decode(z)
    assert np.array_equal(mosaic[:28, :28], colour(images[0].reshape(28, 28), bytes=True))
    if n > 1:
        assert np.array_equal(mosaic[:28, 29:57], colour(images[1].reshape(28, 28), bytes=True))


@pytest.mark.parametrize("z1, z2", [(0.0, 0.0), (1.5, -2.0), (-3.0, 3.0)])
def test_decode_at_figure(beta1, z1, z2):
    v = _check_contract(widgets.run("decode_at", z1=z1, z2=z2))
    assert (v["z1"], v["z2"]) == (z1, z2)
    assert v["log_prior"] == pytest.approx(_log_std_normal_2d(np.array([z1, z2])))
    picture = plotting.view("decode_at").live[1]
    image = beta1.decode(np.array([[z1, z2]]))[0].reshape(28, 28)
    assert np.array_equal(picture.get_array(), picture.get_cmap()(image, bytes=True))


def test_decode_at_figure_is_fast():
    widgets.run("decode_at")  # built once: the slider then only redraws
    start = time.perf_counter()
    for i in range(10):
        widgets.run("decode_at", z1=0.1 * i)
    assert (time.perf_counter() - start) / 10 < 0.1  # generous: about 2 ms natively


@pytest.mark.parametrize("classes, model", [("0123456789", "beta1"), ("17", "beta1"),
                                            ("3", "beta4"), ("9900", "beta4")])
def test_latent_figure(classes, model):
    v = _check_contract(widgets.run("latent", classes=classes, model=model))
    _, _, x_test, y_test = data.load_split()
    keep = np.isin(y_test, [int(c) for c in classes])
    mu, log_var = vae.load_pretrained(model).encode(x_test[keep])
    kl = 0.5 * np.sum(mu**2 + np.exp(log_var) - 1 - log_var, axis=1)
    assert v["n_points"] == keep.sum() and v["model"] == model
    assert v["mean_kl"] == pytest.approx(kl.mean(), rel=1e-12)
    if classes == "0123456789":  # the whole test set: the figure recorded at pretraining
        assert v["mean_kl"] == pytest.approx(vae.load_pretrained(model).meta["test_kl"],
                                             rel=1e-6)
    shown = plotting.view("latent").live
    assert sum(len(group.get_offsets()) for group in shown) == keep.sum()


# --- dynamics and architecture ---------------------------------------------------------------


@pytest.mark.parametrize("run", ["no_warmup", "warmup", "beta4"])
def test_dynamics_figure(run):
    v = _check_contract(widgets.run("dynamics", run=run))
    h = pretrained.histories()[run]
    assert v["final_recon"] == float(h["test_recon"][-1])
    assert v["final_kl"] == float(h["test_kl"][-1])
    assert v["final_neg_elbo"] == pytest.approx(v["final_recon"] + v["final_kl"])
    assert v["epochs"] == len(h["epoch"]) == 100
    if run == "no_warmup":  # the same training as the pretrained beta1 model's
        assert v["final_neg_elbo"] == pytest.approx(
            vae.load_pretrained("beta1").meta["test_neg_elbo"], abs=0.1)


def test_architecture_figure():
    out = widgets.run("architecture")
    assert set(out) == {"image", "values", "summary"}
    assert out["image"] is None  # the page draws the diagram in HTML
    v = out["values"]
    assert_json_safe(v)
    assert isinstance(out["summary"], str) and out["summary"].endswith(".")
    model = vae.load_pretrained("beta1")
    assert v == {"x_dim": 784, "hidden": 128, "z_dim": 2, "activation": "relu",
                 "n_params": sum(p.size for p in model.params.values())}
    assert v["n_params"] == 784 * 128 + 128 + 2 * (128 * 2 + 2) + 2 * 128 + 128 + 128 * 784 + 784
    assert "202,516 parameters" in out["summary"]
    assert door.handle("figure", "architecture", {"x": 1})["error"].startswith("bad parameters")

