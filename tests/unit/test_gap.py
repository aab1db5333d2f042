"""The ELBO's gap split (gap.py) against independent computations, and the drawing figure."""

import math

import numpy as np
import pytest

import elbo_lab.plotting.agg  # noqa: F401  (draws the figures)
from elbo_lab import data, door, gap, plotting, vae, widgets
from elbo_lab.grid_posterior import true_posterior
from elbo_lab.params import defaults


@pytest.fixture(scope="module")
def beta1():
    return vae.load_pretrained("beta1")


@pytest.fixture(scope="module")
def test_set():
    return data.load_digits("test")


def _noise(seed, ink=0.12):
    return (np.random.default_rng(seed).random(784) < ink).astype(np.float64)


IMAGES = [("digit", d) for d in (0, 130, 300, 512, 777, 905)] + [("noise", s) for s in (1, 2)]


@pytest.mark.parametrize("kind, which", IMAGES, ids=[f"{k}-{w}" for k, w in IMAGES])
def test_the_split_holds_against_the_reference_grid(beta1, test_set, kind, which):
    """Both gaps >= 0 within the tolerance; ELBO(q*) >= ELBO(encoder); the identity for q*
    (approximation gap = KL(q* || p(z|x)) on the grid) and for q; log p(x) and the encoder's
    ELBO agree with grid_posterior.true_posterior (a finer, independent grid and rule)."""
    x = test_set[0][which] if kind == "digit" else _noise(which)
    r = gap.gap_split(beta1, x)
    tol = r["tolerance"]
    assert r["approximation_gap"] >= -tol and r["amortization_gap"] >= 0.0
    assert r["elbo_best"] >= r["elbo_encoder"]
    assert r["log_px"] - r["elbo_encoder"] == pytest.approx(
        r["approximation_gap"] + r["amortization_gap"], abs=1e-9)
    assert abs(r["residual_best"]) <= tol and abs(r["residual"]) <= tol and r["identity_ok"]
    ref = true_posterior(beta1, x)
    assert abs(r["log_px"] - ref["log_px_grid"]) <= tol + ref["grid_error"] + 1e-3
    assert abs(r["elbo_encoder"] - ref["elbo"]) <= tol + ref["elbo_error"] + 1e-3
    for key in ("log_px", "elbo_encoder", "elbo_best", "approximation_gap", "amortization_gap"):
        assert type(r[key]) is float and math.isfinite(r[key])
    for key in ("best_mu", "best_sd"):
        assert r[key].shape == (2,) and r[key].dtype == np.float64
    assert np.all(r["best_sd"] > 0)


def test_the_best_gaussian_is_a_maximum(beta1, test_set):
    """Moving q*'s mean or log sd either way by a little lowers the grid ELBO (finite differences)."""
    x = test_set[0][300]
    lj = gap.log_joint_for(beta1)
    grid = gap.posterior_grid(lj, x)
    r = gap.gap_split(beta1, x)
    best = gap.grid_elbo(grid, r["best_mu"], r["best_sd"])
    for i in range(4):
        for sign in (-1, 1):
            step = np.zeros(4)
            step[i] = sign * 0.02
            mu = r["best_mu"] + step[:2] * r["best_sd"]
            sd = r["best_sd"] * np.exp(step[2:])
            assert gap.grid_elbo(grid, mu, sd) <= best + 1e-9


def test_the_objective_gradient_matches_finite_differences(beta1, test_set):
    grid = gap.posterior_grid(gap.log_joint_for(beta1), test_set[0][512])
    theta = np.array([grid["z1"].mean() + 0.01, grid["z2"].mean() - 0.02, math.log(0.1), math.log(0.15)])
    _, g = gap._objective(grid, theta)
    for i in range(4):
        h = np.zeros(4)
        h[i] = 1e-6
        numeric = (gap._objective(grid, theta + h)[0] - gap._objective(grid, theta - h)[0]) / 2e-6
        assert g[i] == pytest.approx(numeric, rel=1e-5, abs=1e-5)


@pytest.mark.parametrize("d", [784, 50])  # products of 16 factors, and plain logs
@pytest.mark.parametrize("scale", [0.01, 4.0, 40.0, 700.0])
def test_softplus_sum_is_the_sum_of_softplus(d, scale):
    """LogJoint.softplus_sum against numpy's logaddexp(0, l), row by row, for logits from
    near zero to far past exp's range."""
    logits = np.random.default_rng(d).normal(0.0, scale, size=(300, d))
    expected = np.logaddexp(0.0, logits).sum(axis=1)
    got = gap.LogJoint.softplus_sum(logits.copy())
    assert np.allclose(got, expected, rtol=1e-13, atol=1e-11)


def test_the_folded_relu_decoder_equals_the_plain_one(beta1):
    """LogJoint.logits folds always-on units and drops always-off ones: the same logits."""
    lj = gap.log_joint_for(beta1)
    for lo, hi in ((-0.3, 0.2), (1.0, 1.4), (-5.0, 5.0)):
        z = np.random.default_rng(0).uniform(lo, hi, size=(200, 2))
        assert np.allclose(lj.logits(z), beta1.decode_logits(z), rtol=0, atol=1e-9)
    x = _noise(3)
    z = np.random.default_rng(1).normal(size=(50, 2))
    plain = [float(np.sum(x * l - np.logaddexp(0, l))) - 0.5 * float(v @ v) - math.log(2 * math.pi)
             for l, v in zip(beta1.decode_logits(z), z)]
    assert np.allclose(lj(x, z), plain, rtol=0, atol=1e-8)


@pytest.mark.parametrize("bad, message", [
    (np.zeros(783), "784 pixels"), (np.zeros((28, 27)), "784 pixels"),
    (np.full(784, 0.5), "binary"), (np.array(["a"] * 784), "numbers"),
])
def test_bad_images_are_refused(beta1, bad, message):
    with pytest.raises(ValueError, match=message):
        gap.gap_split(beta1, bad)


def test_a_latent_other_than_2d_is_refused():
    with pytest.raises(ValueError, match="2-D latent"):
        gap.gap_split(vae.VAE(784, 16, 3), np.zeros(784))
    with pytest.raises(ValueError, match="VAE"):
        gap.gap_split("beta1", np.zeros(784))


def test_a_28_by_28_image_and_booleans_are_accepted(beta1, test_set):
    x = test_set[0][5]
    a = gap.gap_split(beta1, x)
    b = gap.gap_split(beta1, x.reshape(28, 28).astype(bool))
    assert a["log_px"] == b["log_px"] and a["elbo_encoder"] == b["elbo_encoder"]


def test_packed_images_round_trip(test_set):
    X, _ = test_set
    for i in (0, 1, 999):
        text = data.pack_image(X[i])
        assert len(text) == data.PACKED_CHARS and np.array_equal(data.unpack_image(text), X[i])
    assert data.test_digit(300) == (data.pack_image(X[300]), int(test_set[1][300]))


def test_the_drawing_starts_as_its_test_digit():
    p = widgets.FIGURES["draw"].PARAMS[0]
    assert p.default == data.test_digit(p.start)[0]


def test_the_door_hands_out_test_digits():
    out = door.handle("digit", "test", {"index": 7})
    assert out["ok"] and out["result"] == dict(zip(("x", "label"), data.test_digit(7)))
    for params in ({"index": 1000}, {"index": -1}, {"index": 1.5}, {"i": 1}):
        out = door.handle("digit", "test", params)
        assert out["ok"] is False and out["bug"] is False and out["error"]
    assert door.handle("digit", "train", {"index": 1})["ok"] is False


def test_the_drawing_figure_reports_the_split(test_set):
    out = widgets.run("draw")
    v = out["values"]
    r = gap.gap_split(vae.load_pretrained("beta1"), test_set[0][300])
    assert v["log_px"] == r["log_px"] and v["approximation_gap"] == r["approximation_gap"]
    assert v["gap"] == pytest.approx(v["approximation_gap"] + v["amortization_gap"], abs=1e-9)
    assert v["identity_ok"] is True
    from elbo_lab import pretrained
    assert v["percentile"] == pytest.approx(100 * np.mean(pretrained.test_log_px("beta1") < v["log_px"]))


def test_the_stored_test_log_px_are_the_grid_values(test_set):
    """scripts/make_test_log_px.py's values, recomputed for a few digits."""
    from elbo_lab import pretrained
    for name in ("beta1", "beta4"):
        lj = gap.log_joint_for(vae.load_pretrained(name))
        for i in (0, 401, 999):
            assert pretrained.test_log_px(name)[i] == pytest.approx(
                gap.posterior_grid(lj, test_set[0][i])["log_px"], abs=1e-9)


def test_decode_at_reports_its_draggable_axes():
    """The box and limits it reports map the marker's data position to its pixels."""
    out = widgets.run("decode_at", z1=1.5, z2=-2.0)
    a = out["axes"]
    assert (a["x"], a["y"]) == ("z1", "z2")
    ax = plotting.view("decode_at").drag_axes
    px, py = ax.transData.transform((1.5, -2.0))
    left, top, width, height = a["box"]
    u = (1.5 - a["xlim"][0]) / (a["xlim"][1] - a["xlim"][0])
    v = (a["ylim"][1] + 2.0) / (a["ylim"][1] - a["ylim"][0])
    assert left + u * width == pytest.approx(px, abs=0.01)
    assert top + v * height == pytest.approx(out["image"]["height"] - py, abs=0.01)


def test_the_drawing_figure_under_the_lab_model():
    from elbo_lab import session
    session.reset()
    v = widgets.run("draw", model="lab")["values"]
    assert v["percentile"] is None and v["identity_ok"] is True
    session.reset(z_dim=3)
    out = door.handle("figure", "draw", {"model": "lab"})
    assert out["ok"] is False and "3-D latent" in out["error"] and out["bug"] is False
    session.reset()
    assert widgets.run("draw", **defaults(widgets.FIGURES["draw"].PARAMS))["values"]["model"] == "beta1"


@pytest.mark.parametrize("model", ["beta1", "beta4"])
@pytest.mark.parametrize("ink", [0.0, 1.0])
def test_a_blank_or_fully_inked_pad_is_answered_in_full(model, ink):
    """A full pad sends the encoder's q far off the posterior's grid, with a tiny spread: its
    weights on the grid underflowed to 0 / 0 (ZeroDivisionError). Every number is finite and
    the split still adds up."""
    out = door.handle("figure", "draw", {"x": data.pack_image(np.full(784, ink)), "model": model})
    assert out["ok"], out
    values = out["result"]["values"]
    numbers = [v for v in values.values() if isinstance(v, float)]
    assert numbers and all(math.isfinite(v) for v in numbers)
    assert values["identity_ok"] and values["elbo_encoder"] <= values["elbo_best"] <= values["log_px"]
    assert math.isclose(values["gap"], values["gap_sum"], abs_tol=1e-9)


def test_grid_elbo_weights_a_far_q_like_its_normalised_log_weights():
    """Far off the grid, q's weights are those of q cut to the grid, normalised there (the
    same as the log-space computation), not 0 / 0."""
    from scipy.special import logsumexp

    z = np.linspace(-4.0, 4.0, 41)
    lj = -0.5 * (z[None, :] ** 2 + z[:, None] ** 2)
    grid = {"z1": z, "z2": z, "lj": lj}
    mu, sd = np.array([60.0, -2.0]), np.array([0.003, 0.5])
    log_w = -0.5 * ((z[None, :] - mu[0]) / sd[0]) ** 2 - 0.5 * ((z[:, None] - mu[1]) / sd[1]) ** 2
    expected = float(np.sum(np.exp(log_w - logsumexp(log_w)) * lj))
    entropy = float(np.sum(np.log(sd)) + 2 * 0.5 * (1.0 + math.log(2 * math.pi)))
    assert gap.grid_elbo(grid, mu, sd) == pytest.approx(expected + entropy, rel=1e-6)
