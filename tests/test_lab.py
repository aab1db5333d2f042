"""The training lab: per-step training, one session trained in chunks, its widgets, and the
true posterior of a 2-D VAE on a grid (checked against independent computations)."""

import json
import math

import numpy as np
import pytest
from scipy.special import logsumexp

from elbo_lab import data, lab, vae, widgets

LAB_WIDGETS = ("lab_curves", "lab_latent", "lab_recon", "lab_units", "lab_posterior")
IMAGE_SIZES = {"lab_curves": (640, 400), "lab_latent": (640, 360), "lab_recon": (640, 320),
               "lab_units": (640, 260), "lab_posterior": (640, 320)}


@pytest.fixture(autouse=True, scope="module")
def leave_a_default_session():
    """Other test modules call the lab widgets too: leave them a fresh default run."""
    yield
    lab.reset()


@pytest.fixture(scope="module")
def split():
    return data.load_split()


def _run(chunks, settings):
    """Train a fresh run to its end, each chunk ``advance(ms, max_steps)``, cycling."""
    lab.reset(**settings)
    i = 0
    while not lab.status()["done"]:
        ms, max_steps = chunks[i % len(chunks)]
        lab.advance(ms=ms, max_steps=max_steps)
        i += 1
    run = lab.current()
    return run.history, run.evaluations, run.model.flat.copy(), i


# -- vae.train(yield_steps=True) ----------------------------------------------------------


def test_yield_steps_gives_the_same_records_bit_for_bit(split):
    X_train, _, X_test, _ = split
    kwargs = dict(batch_size=128, lr=3e-3, beta=2.0, seed=5, warmup_epochs=1, X_test=X_test)
    model_a = vae.VAE(64, 256, 3, seed=5, dtype=np.float32)
    model_b = vae.VAE(64, 256, 3, seed=5, dtype=np.float32)
    plain = list(vae.train(model_a, X_train, 3, **kwargs))
    steps = list(vae.train(model_b, X_train, 3, yield_steps=True, **kwargs))
    assert len(steps) == 3 * 12  # 1437 digits in batches of 128: 12 steps per epoch
    records = [r for r in steps if r is not None]
    assert [i for i, r in enumerate(steps) if r is not None] == [11, 23, 35]
    assert records == plain  # every float identical
    np.testing.assert_array_equal(model_a.flat, model_b.flat)


# -- one session, chunked ---------------------------------------------------------------


def test_any_chunking_gives_the_same_run():
    settings = dict(beta=2.0, lr=0.003, warmup=2, z_dim=3, seed=7, epochs=6)
    one_by_one = _run([(1000.0, 1)], settings)
    assert one_by_one[3] == 6 * 12
    mixed = _run([(1000.0, 5), (0.0, None), (1000.0, 13), (1000.0, 2)], settings)
    whole = _run([(60000.0, None)], settings)
    assert whole[3] == 1
    for other in (mixed, whole):
        assert other[0] == one_by_one[0]  # histories, every float
        assert other[1] == one_by_one[1]  # evaluations
        np.testing.assert_array_equal(other[2], one_by_one[2])  # weights


def test_session_is_vae_train_with_these_settings(split):
    """The records after epoch 0 are vae.train's own, though the lab's generator runs to 2000."""
    X_train, _, X_test, _ = split
    history = _run([(60000.0, None)], dict(beta=1.5, lr=0.002, warmup=1, z_dim=2, seed=11,
                                           epochs=3))[0]
    model = vae.VAE(64, 256, 2, seed=11, dtype=np.float32)
    records = list(vae.train(model, X_train, 3, batch_size=128, lr=0.002, beta=1.5, seed=11,
                             warmup_epochs=1, X_test=X_test))
    assert history[1:] == records
    np.testing.assert_array_equal(lab.current().model.flat, model.flat)


def test_target_epochs_can_change_mid_run():
    lab.reset(seed=2, epochs=2)
    lab.advance(ms=60000.0)
    assert lab.status()["done"] and lab.status()["epoch"] == 2
    step, version = lab.status()["step"], lab.status()["version"]
    assert lab.advance()["step"] == step and lab.status()["version"] == version  # done: no-op
    status = lab.set_epochs(4)
    assert not status["done"] and status["epochs"] == 4 and status["settings"]["epochs"] == 4
    lab.advance(ms=60000.0)
    continued = lab.current().history
    assert continued == _run([(60000.0, None)], dict(seed=2, epochs=4, beta=1.0, lr=0.001,
                                                     warmup=0, z_dim=2))[0]
    with pytest.raises(ValueError, match="^epochs must be at least the 4 epochs already trained"):
        lab.set_epochs(3)


def test_status_is_json_safe_and_counts():
    first = lab.reset(seed=1, epochs=2)
    assert set(first) == {"step", "epoch", "epochs", "steps_per_epoch", "done", "settings",
                          "version", "run", "latest"}
    assert (first["step"], first["epoch"], first["epochs"], first["steps_per_epoch"]) == (0, 0, 2, 12)
    assert first["latest"] is None and first["done"] is False
    assert first["settings"] == {"beta": 1.0, "lr": 0.001, "warmup": 0, "z_dim": 2, "seed": 1,
                                 "epochs": 2}
    json.dumps(first, allow_nan=False)
    after = lab.advance(ms=60000, max_steps=3)  # the step count, not the clock, decides
    assert after["step"] == 3 and after["epoch"] == 0 and after["latest"] is None
    assert after["version"] > first["version"] and after["run"] == first["run"]
    assert lab.status() == after  # status alone changes nothing
    epoch = lab.advance(ms=60000, max_steps=9)  # the step that ends epoch 1
    assert epoch["epoch"] == 1 and epoch["version"] > after["version"]
    assert set(epoch["latest"]) == {"recon", "kl", "neg_elbo", "test_recon", "test_kl",
                                    "test_neg_elbo", "beta"}
    assert all(type(v) is float for v in epoch["latest"].values())
    assert type(epoch["step"]) is int and type(epoch["done"]) is bool
    json.dumps(epoch, allow_nan=False)
    again = lab.reset(seed=1, epochs=2)
    assert again["run"] == first["run"] + 1 and again["version"] > epoch["version"]


# -- settings and errors -----------------------------------------------------------------


@pytest.mark.parametrize("name, bad", [
    ("beta", 9), ("beta", -0.1), ("beta", float("nan")), ("beta", True), ("beta", "x"),
    ("beta", None),
    ("lr", 0.0), ("lr", 0.05), ("lr", float("inf")), ("lr", False),
    ("warmup", 2.5), ("warmup", 301), ("warmup", -1), ("warmup", True),
    ("z_dim", 5), ("z_dim", 2.5), ("z_dim", 32), ("z_dim", float("-inf")),
    ("seed", -1), ("seed", 100000), ("seed", 0.5), ("seed", np.True_),
    ("epochs", 0), ("epochs", 2001), ("epochs", 10.5), ("epochs", float("nan")),
])
def test_bad_settings_name_the_setting(name, bad):
    with pytest.raises(ValueError) as info:
        lab.reset(**{name: bad})
    assert str(info.value).startswith(name + " ")
    out = lab.control("reset", {name: bad})
    assert set(out) == {"error"} and out["error"].startswith(name + " ")


def test_setting_messages():
    with pytest.raises(ValueError, match="^beta must be between 0 and 8, got 9$"):
        lab.reset(beta=9)
    with pytest.raises(ValueError, match="^z_dim must be one of 2, 3, 4, 8, 16, got 5$"):
        lab.reset(z_dim=5)
    with pytest.raises(ValueError, match="^warmup must be a whole number from 0 to 300, got 2.5$"):
        lab.reset(warmup=2.5)


def test_whole_number_floats_and_numeric_strings_are_accepted():
    status = lab.reset(beta=2, lr="0.003", warmup=10.0, z_dim=4.0, seed=3.0, epochs="20")
    assert status["settings"] == {"beta": 2.0, "lr": 0.003, "warmup": 10, "z_dim": 4, "seed": 3,
                                  "epochs": 20}
    assert type(status["settings"]["z_dim"]) is int and type(status["settings"]["beta"]) is float


def test_control_errors_and_actions():
    assert lab.control("nope", {}) == {"error": "unknown lab action 'nope'"}
    assert lab.control("reset", {"gamma": 1})["error"].startswith("bad parameters for reset")
    assert lab.control("advance", {"ms": -1})["error"].startswith("ms must be")
    assert lab.control("advance", {"max_steps": 0})["error"].startswith("max_steps must be")
    assert lab.control("epochs", {"epochs": 0})["error"].startswith("epochs ")
    assert lab.control("preset", {"name": "fast"})["error"] == (
        "preset must be one of default, collapse, partial, warmup, got 'fast'")
    assert lab.control("presets") == lab.PRESETS
    assert lab.control("defaults") == lab.settings_defaults()
    status = lab.control("preset", {"name": "warmup"})
    assert status["settings"] == lab.PRESETS["warmup"]["settings"]
    assert lab.control("advance", {"ms": 0, "max_steps": 1})["step"] == 1
    assert lab.control("pause") == lab.control("status") == lab.status()


def test_presets_are_valid_settings():
    assert set(lab.PRESETS) == {"default", "collapse", "partial", "warmup"}
    assert lab.PRESETS["default"]["settings"] == lab.settings_defaults() == {
        "beta": 1.0, "lr": 0.001, "warmup": 0, "z_dim": 2, "seed": 0, "epochs": 150}
    for name, p in lab.PRESETS.items():
        assert set(p) == {"settings", "label", "note"}
        assert lab.reset(**p["settings"])["settings"] == p["settings"], name
        assert p["label"] and p["note"].endswith(".")
    json.dumps(lab.PRESETS, allow_nan=False)


@pytest.mark.parametrize("bad", [-1, 360, 2.5, True, "x", float("nan"), None])
def test_posterior_digit_must_be_a_test_digit(bad):
    lab.reset()
    with pytest.raises(ValueError, match="^digit must be a whole number from 0 to 359"):
        lab.lab_posterior(digit=bad)


# -- the widgets -------------------------------------------------------------------------


def _pixels(out):
    image = out["image"]
    assert len(image["rgba"]) == image["width"] * image["height"] * 4
    return np.frombuffer(image["rgba"], np.uint8).reshape(image["height"], image["width"], 4)


def _check_values(values):
    json.dumps(values, allow_nan=False)
    for key, value in values.items():
        if isinstance(value, list):
            assert all(type(v) is float for v in value), key
        else:
            assert type(value) in (int, float, str, bool), key


@pytest.mark.parametrize("key", LAB_WIDGETS)
def test_every_lab_widget_draws_its_image(key):
    lab.reset(seed=4, epochs=3)
    lab.advance(ms=60000.0)
    out = widgets.call(key, {})
    assert set(out) == {"image", "values", "summary"}
    img = _pixels(out)
    assert (img.shape[1], img.shape[0]) == IMAGE_SIZES[key]
    assert len(np.unique(img.reshape(-1, 4), axis=0)) > 20  # something was drawn
    _check_values(out["values"])
    assert isinstance(out["summary"], str) and out["summary"].endswith(".")
    assert widgets.call(key, {}) is out  # same weights: the cached answer
    lab.set_epochs(4)
    lab.advance(max_steps=1)
    assert widgets.call(key, {}) is not out


def test_lab_widgets_answer_without_plotting(monkeypatch):
    lab.reset(epochs=1)
    monkeypatch.setattr(widgets, "_plotting", False)
    for key in LAB_WIDGETS:
        out = widgets.call(key, {})
        assert out["image"] is None and out["values"], key
    monkeypatch.setattr(widgets, "_plotting", True)
    for key in LAB_WIDGETS:
        assert widgets.call(key, {})["image"] is not None, key  # not the cached None


def test_lab_curves_against_independent_computations(split):
    _, _, X_test, y_test = split
    lab.reset(seed=6, epochs=3)
    v0 = lab.lab_curves()["values"]
    run = lab.current()
    # epoch 0: the untrained model on the test set, at the eps vae.train will use
    eps = np.random.default_rng(6).spawn(1)[0].standard_normal((360, 2)).astype(np.float32)
    assert v0["test_neg_elbo"] == pytest.approx(_neg_elbo(run.model, X_test, eps), rel=1e-5)
    assert (v0["epoch"], v0["step"]) == (0, 0)
    lab.advance(ms=60000.0)
    v = lab.lab_curves()["values"]
    assert (v["epoch"], v["step"]) == (3, 36)
    assert v["test_neg_elbo"] == pytest.approx(_neg_elbo(run.model, X_test, eps), rel=1e-5)
    assert v["test_neg_elbo"] == pytest.approx(v["test_recon"] + v["test_kl"])
    assert v["train_neg_elbo"] == run.history[-1]["neg_elbo"]
    # the subset evaluation at epoch 3 is not due (0, 1, 2, 5, 10, ...): the latest is epoch 2's
    assert [e["epoch"] for e in run.evaluations] == [0, 1, 2]
    # IWAE by vae.log_px (its own code, tested against quadrature) on the same draws
    subset = np.concatenate([np.flatnonzero(y_test == c)[:10] for c in range(10)])
    lab.set_epochs(5)
    lab.advance(ms=60000.0)
    v = lab.lab_curves()["values"]
    iwae = run.model.log_px(X_test[subset], 64, np.random.default_rng([6, 5, 1]))
    assert v["subset_log_px"] == pytest.approx(float(np.mean(iwae)), abs=2e-4)
    assert v["gap"] == pytest.approx(v["subset_log_px"] - v["subset_elbo"])
    assert v["gap"] >= 0.0  # Jensen on the same samples: exactly, not just up to noise
    assert v["subset_elbo"] == pytest.approx(-_neg_elbo_mc(run.model, X_test[subset], 6, 5), abs=2e-4)


def _forward64(model, x, eps):
    """An independent float64 forward pass: (recon, kl) per example."""
    P = {k: v.astype(np.float64) for k, v in model.params.items()}
    h1 = np.maximum(x @ P["W1"] + P["b1"], 0.0)
    mu, log_var = h1 @ P["W_mu"] + P["b_mu"], h1 @ P["W_logvar"] + P["b_logvar"]
    z = mu + np.exp(0.5 * log_var) * eps
    logits = np.maximum(z @ P["W2"] + P["b2"], 0.0) @ P["W3"] + P["b3"]
    recon = -np.sum(x * logits - np.logaddexp(0.0, logits), axis=1)
    kl = 0.5 * np.sum(mu**2 + np.exp(log_var) - 1.0 - log_var, axis=1)
    return recon, kl, mu, log_var, z


def _neg_elbo(model, x, eps):
    recon, kl, *_ = _forward64(model, x, eps.astype(np.float64))
    return float(np.mean(recon + kl))


def _neg_elbo_mc(model, x, seed, epoch):
    """-(mean over the 64 draws and the digits of log w), with the lab's draws, in float64."""
    eps = np.random.default_rng([seed, epoch, 1]).standard_normal((64, len(x), 2))
    eps = eps.astype(np.float32).astype(np.float64)
    total = 0.0
    for e in eps:
        recon, _, mu, log_var, z = _forward64(model, x, e)
        log_w = (-recon - 0.5 * np.sum(z**2, axis=1)
                 + 0.5 * np.sum(e**2 + log_var, axis=1))  # log p(x|z) + log p(z) - log q(z|x)
        total += np.mean(log_w)
    return -total / len(eps)


def test_lab_latent_units_and_recon_values(split):
    _, _, X_test, y_test = split
    lab.reset(seed=8, epochs=2)
    lab.advance(ms=60000.0)
    model = lab.current().model
    mu, log_var = model.encode(X_test)
    mu, log_var = mu.astype(np.float64), log_var.astype(np.float64)
    kl = 0.5 * (mu**2 + np.exp(log_var) - 1.0 - log_var)
    latent = lab.lab_latent()["values"]
    assert latent == {"n_points": 360, "projection": "z1, z2",
                      "mean_kl": pytest.approx(float(kl.sum(axis=1).mean()), rel=1e-6)}
    units = lab.lab_units()["values"]
    assert units["z_dim"] == 2 and units["active_units"] == int(np.sum(mu.var(axis=0) > 0.01))
    assert units["kl_per_dim"] == pytest.approx(list(kl.mean(axis=0)), rel=1e-6)
    assert units["total_kl"] == pytest.approx(latent["mean_kl"], rel=1e-9)
    first = [int(np.flatnonzero(y_test == c)[0]) for c in range(10)]
    recon, *_ = _forward64(model, X_test[first], np.zeros((10, 2)))  # z = the encoder mean
    assert lab.lab_recon()["values"]["recon"] == pytest.approx(float(recon.mean()), rel=1e-5)


def test_an_8d_latent_is_projected_and_has_no_grid_posterior():
    lab.reset(z_dim=8, epochs=1)
    lab.advance(ms=60000.0)
    with pytest.raises(ValueError) as info:
        lab.lab_posterior()
    message = str(info.value)
    assert not message.startswith("digit ") and "2-D latent" in message
    assert "8 dimensions" in message and "press Reset" in message
    assert widgets.call("lab_posterior", {"digit": 3}) == {"error": message}
    latent = lab.lab_latent()
    assert latent["values"]["projection"] == "PCA" and "principal directions" in latent["summary"]
    units = lab.lab_units()["values"]
    assert units["z_dim"] == 8 and len(units["kl_per_dim"]) == 8
    assert sum(units["kl_per_dim"]) == pytest.approx(units["total_kl"])
    assert "principal directions" in lab.lab_recon()["summary"]


def test_principal_directions_are_orthonormal_with_fixed_signs():
    rng = np.random.default_rng(0)
    mu = rng.standard_normal((360, 8)) * np.array([3.0, 0.1, 2.0, 0.1, 0.1, 0.1, 0.1, 0.1])
    v = lab._principal_directions(mu)
    np.testing.assert_allclose(v.T @ v, np.eye(2), atol=1e-12)
    assert abs(v[0, 0]) > 0.99 and abs(v[2, 1]) > 0.99  # the two wide dimensions, in order
    for j in range(2):
        assert v[np.argmax(np.abs(v[:, j])), j] > 0
    np.testing.assert_allclose(lab._principal_directions(-mu), v)  # a flipped cloud: same axes
    np.testing.assert_array_equal(lab._principal_directions(mu[:, :2]), np.eye(2))


# -- presets: measured outcomes ----------------------------------------------------------


def _train_preset(name):
    lab.preset(name)
    lab.advance(ms=60000.0)
    assert lab.status()["done"] and lab.status()["epoch"] == 150
    return lab.status()["latest"], lab.lab_units()["values"]


def test_collapse_preset_collapses():
    latest, units = _train_preset("collapse")
    assert latest["test_kl"] < 0.05 and units["total_kl"] < 0.05
    assert units["active_units"] == 0


def test_warmup_keeps_more_units_active_than_no_warmup():
    partial = _train_preset("partial")[1]["active_units"]
    warm = _train_preset("warmup")[1]["active_units"]
    assert partial < warm


# -- the true posterior on the pretrained model ------------------------------------------


@pytest.fixture(scope="module")
def beta1():
    return vae.load_pretrained("beta1")


def _digits_of_classes(y_test, classes):
    return [int(np.flatnonzero(y_test == c)[0]) for c in classes]


def _log_lik64(model, x, z):
    """log p(x|z) for rows of z, by an independent float64 forward pass."""
    P = model.params
    logits = np.maximum(z @ P["W2"] + P["b2"], 0.0) @ P["W3"] + P["b3"]
    return np.sum(x * logits - np.logaddexp(0.0, logits), axis=-1)


@pytest.fixture(scope="module")
def posteriors(beta1, split):
    _, _, X_test, y_test = split
    chosen = _digits_of_classes(y_test, (0, 1, 2, 3, 5, 7, 8)) + [106]  # 106: q far from p(z|x)
    return {i: lab.true_posterior(beta1, X_test[i], seed=i) for i in chosen}


def test_identity_holds_within_tolerance(posteriors):
    for i, r in posteriors.items():
        assert r["identity_ok"] and abs(r["residual"]) <= r["tolerance"], i
        assert r["residual"] == pytest.approx(r["log_px_grid"] - r["elbo"] - r["kl_grid"])
        assert r["tolerance"] < 0.02, i  # a check with teeth (the largest, digit 106: 0.011)
        assert r["elbo"] < r["log_px_grid"] and r["kl_grid"] > 0
        assert r["elbo"] == pytest.approx(-r["recon"] - r["kl_prior"])
        assert r["density"].shape == (len(r["z2"]), len(r["z1"])) and len(r["z1"]) % 2 == 1
    assert max(r["kl_grid"] for r in posteriors.values()) > 10  # digit 106: q is far off


def test_grid_log_px_agrees_with_a_finer_wider_grid(beta1, split, posteriors):
    X_test = split[2]
    for i, r in posteriors.items():
        # an independent grid: twice the points per side over a box 10% wider each way
        (a, b), (c, d) = (r["z1"][0], r["z1"][-1]), (r["z2"][0], r["z2"][-1])
        g1 = np.linspace(a - 0.1 * (b - a), b + 0.1 * (b - a), 2 * len(r["z1"]) + 1)
        g2 = np.linspace(c - 0.1 * (d - c), d + 0.1 * (d - c), 2 * len(r["z2"]) + 1)
        zz1, zz2 = np.meshgrid(g1, g2)
        z = np.column_stack([zz1.ravel(), zz2.ravel()])
        log_joint = _log_lik64(beta1, X_test[i], z) - 0.5 * np.sum(z**2 + np.log(2 * np.pi), axis=1)
        fine = logsumexp(log_joint) + np.log((g1[1] - g1[0]) * (g2[1] - g2[0]))
        assert abs(fine - r["log_px_grid"]) <= r["grid_error"], i


def test_elbo_agrees_with_monte_carlo(beta1, split, posteriors):
    X_test = split[2]
    rng = np.random.default_rng(2024)
    for i, r in posteriors.items():
        eps = rng.standard_normal((40_000, 2))
        z = r["q_mu"] + r["q_sd"] * eps
        log_w = (_log_lik64(beta1, X_test[i], z) - 0.5 * np.sum(z**2, axis=1)
                 + 0.5 * np.sum(eps**2, axis=1) + np.sum(np.log(r["q_sd"])))
        se = log_w.std(ddof=1) / math.sqrt(len(log_w))
        assert abs(log_w.mean() - r["elbo"]) <= 4 * se, i


def test_iwae_lands_on_the_grid_log_px(beta1, split, posteriors):
    """IWAE closes most of the gap between the ELBO and the grid's log p(x), and does not
    overshoot it by more than 4 of its standard errors.

    Not checked: that it lands within 4 standard errors BELOW log p(x). The weights
    w = p(x, z) / q(z|x) have infinite variance here: the posterior's tails are at least
    as wide as the prior's (sd 1) and q's sd is about 0.2, below 1/sqrt(2), so
    E_q[w^2] diverges. IWAE still converges (E_q[w] = p(x)), but from below, and the
    delta-method standard error understates its error: at k = 20000 some digits sit 3
    to 4.4 "standard errors" low (digit 106, with q far from p(z|x), 7 nats low).
    """
    X_test = split[2]
    for i, r in posteriors.items():
        big = lab.true_posterior(beta1, X_test[i], k=20_000, seed=1000 + i)
        gap = r["log_px_grid"] - r["elbo"]
        for estimate, se in ((big["iwae"], big["iwae_se"]), (r["iwae"], r["iwae_se"])):
            assert r["elbo"] < estimate <= r["log_px_grid"] + r["grid_error"] + 4 * se, i
        assert r["log_px_grid"] - big["iwae"] <= 0.5 * gap, i


def test_true_posterior_rejects_a_wide_latent_and_even_grids(split):
    x = split[2][0]
    with pytest.raises(ValueError, match="2-D latent"):
        lab.true_posterior(vae.VAE(z_dim=3), x)
    with pytest.raises(ValueError, match="^fine must be an odd whole number"):
        lab.true_posterior(vae.VAE(), x, fine=100)


def test_lab_posterior_values_are_the_true_posterior_of_the_session(split):
    _, _, X_test, y_test = split
    lab.reset(seed=9, epochs=2)
    lab.advance(ms=60000.0)
    out = lab.lab_posterior(digit=17)
    v = out["values"]
    r = lab.true_posterior(lab.current().model, X_test[17], seed=17)
    assert v["digit"] == 17 and v["label"] == int(y_test[17])
    assert v["log_px_grid"] == r["log_px_grid"] and v["elbo"] == r["elbo"]
    assert v["identity_residual"] == r["residual"] and v["identity_ok"] is True
    assert v["gap"] == pytest.approx(v["log_px_grid"] - v["elbo"])
    assert (v["q_sd1"], v["q_sd2"]) == tuple(float(s) for s in r["q_sd"])
    assert lab.lab_posterior(digit=17.0) is out  # cached on (weights, digit)


def test_iwae_with_large_k_lands_within_the_grid_tolerance(beta1, split, posteriors):
    """With k = 200,000 samples, IWAE lands on the grid's log p(x): within the grid's
    tolerance plus 4 of IWAE's own standard errors, on either side.

    For digits whose q is within a nat of the posterior in KL. Where q is far off
    (digit 106: KL 21 nats) the weights' heavy tail (see the test above) leaves IWAE
    nats low even at this k (6 nats, measured), so those digits are only held to the
    one-sided check above.
    """
    X_test = split[2]
    checked = 0
    for i, r in posteriors.items():
        if r["kl_grid"] > 1.0:
            continue
        big = lab.true_posterior(beta1, X_test[i], k=200_000, seed=7)
        assert abs(big["iwae"] - r["log_px_grid"]) <= r["tolerance"] + 4 * big["iwae_se"], i
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("name", ["lab_curves", "lab_latent", "lab_recon", "lab_units", "lab_posterior"])
def test_lab_images_follow_the_theme_without_new_weights(name):
    """The lab caches its results on the weights; a theme switch must still redraw."""
    from elbo_lab import figures

    lab.reset()
    light = getattr(lab, name)()["image"]["rgba"]
    try:
        figures.set_theme("dark")
        dark = getattr(lab, name)()["image"]["rgba"]
    finally:
        figures.set_theme("light")
    assert dark != light
    assert getattr(lab, name)()["image"]["rgba"] == light
