"""The training lab: one session trained in chunks, its settings and actions (through the door),
its figures (images, caching, values checked against independent computations) and the
measured outcomes of its presets."""

import json
import math

import numpy as np
import pytest

from elbo_lab import door, importance, lab_start, params, plotting, session, training, vae, widgets
from elbo_lab.grid_posterior import true_posterior

from repo import ROOT, assert_json_safe, load_script, pixels

LAB_WIDGETS = ("lab_curves", "lab_latent", "lab_recon", "lab_units", "lab_posterior")
IMAGE_SIZES = {"lab_curves": (640, 400), "lab_latent": (640, 360), "lab_recon": (640, 320),
               "lab_units": (640, 260), "lab_posterior": (640, 320)}



def _lab(action, **params_):
    """The door's answer to a "lab" request."""
    return door.handle("lab", action, params_)


def _run(chunks, settings):
    """Train a fresh run to its end, each chunk ``advance(ms, max_steps)``, cycling."""
    session.reset(**settings)
    i = 0
    while not session.status()["done"]:
        ms, max_steps = chunks[i % len(chunks)]
        session.advance(ms=ms, max_steps=max_steps)
        i += 1
    run = session.current()
    return run.history, run.evaluations, run.model.flat.copy(), i


# -- one session, chunked ---------------------------------------------------------------


def test_any_chunking_gives_the_same_run():
    settings = dict(beta=2.0, lr=0.003, warmup=2, z_dim=3, seed=7, epochs=3)
    one_by_one = _run([(1000.0, 1)], settings)
    assert one_by_one[3] == 3 * 71
    mixed = _run([(1000.0, 5), (0.0, None), (1000.0, 13), (1000.0, 2)], settings)
    whole = _run([(60000.0, None)], settings)
    assert whole[3] == 1
    for other in (mixed, whole):
        assert other[0] == one_by_one[0]  # histories, every float
        assert other[1] == one_by_one[1]  # evaluations
        np.testing.assert_array_equal(other[2], one_by_one[2])  # weights


def test_session_is_training_train_with_these_settings(digits):
    """The records after epoch 0 are training.train's own, though the lab's generator runs to 500."""
    X_train, _, X_test, _ = digits
    history = _run([(60000.0, None)], dict(beta=1.5, lr=0.002, warmup=1, z_dim=2, seed=11,
                                           epochs=3))[0]
    model = vae.VAE(784, 128, 2, seed=11, dtype=np.float32)
    records = list(training.train(model, X_train, 3, batch_size=128, lr=0.002, beta=1.5, seed=11,
                                  warmup_epochs=1, X_test=X_test, piece_rows=session.PIECE_ROWS))
    assert history[1:] == records
    np.testing.assert_array_equal(session.current().model.flat, model.flat)


def test_target_epochs_can_change_mid_run():
    session.reset(seed=2, epochs=2)
    session.advance(ms=60000.0)
    assert session.status()["done"] and session.status()["epoch"] == 2
    step, version = session.status()["step"], session.status()["version"]
    assert session.advance()["step"] == step and session.status()["version"] == version  # done: no-op
    status = session.set_epochs(4)
    assert not status["done"] and status["epochs"] == 4 and status["settings"]["epochs"] == 4
    session.advance(ms=60000.0)
    continued = session.current().history
    assert continued == _run([(60000.0, None)], dict(seed=2, epochs=4, beta=1.0, lr=0.001,
                                                     warmup=0, z_dim=2))[0]
    with pytest.raises(ValueError, match="^epochs must be at least the 4 epochs already trained"):
        session.set_epochs(3)


def test_status_is_json_safe_and_counts():
    first = session.reset(seed=1, epochs=2)
    assert set(first) == {"step", "epoch", "epochs", "steps_per_epoch", "done", "settings",
                          "version", "run", "latest", "stored_start"}
    assert first["stored_start"] is True  # seed 1, z_dim 2: a preset's run, stored
    assert (first["step"], first["epoch"], first["epochs"], first["steps_per_epoch"]) == (0, 0, 2, 71)
    assert first["latest"] is None and first["done"] is False
    assert first["settings"] == {"beta": 1.0, "lr": 0.001, "warmup": 0, "z_dim": 2, "seed": 1,
                                 "epochs": 2}
    json.dumps(first, allow_nan=False)
    after = session.advance(ms=60000, max_steps=3)  # the step count, not the clock, decides
    assert after["step"] == 3 and after["epoch"] == 0 and after["latest"] is None
    assert after["version"] > first["version"] and after["run"] == first["run"]
    assert session.status() == after  # status alone changes nothing
    epoch = session.advance(ms=60000, max_steps=68)  # the step that ends epoch 1
    assert epoch["epoch"] == 1 and epoch["version"] > after["version"]
    assert set(epoch["latest"]) == {"recon", "kl", "neg_elbo", "test_recon", "test_kl",
                                    "test_neg_elbo", "beta"}
    assert all(type(v) is float for v in epoch["latest"].values())
    assert type(epoch["step"]) is int and type(epoch["done"]) is bool
    json.dumps(epoch, allow_nan=False)
    again = session.reset(seed=1, epochs=2)
    assert again["run"] == first["run"] + 1 and again["version"] > epoch["version"]


# -- settings and errors -----------------------------------------------------------------


@pytest.mark.parametrize("name, bad", [
    ("beta", 41), ("beta", -0.1), ("beta", float("nan")), ("beta", True), ("beta", "x"),
    ("beta", None),
    ("lr", 0.0), ("lr", 0.05), ("lr", float("inf")), ("lr", False),
    ("warmup", 2.5), ("warmup", 101), ("warmup", -1), ("warmup", True),
    ("z_dim", 5), ("z_dim", 2.5), ("z_dim", 32), ("z_dim", float("-inf")),
    ("seed", -1), ("seed", 100000), ("seed", 0.5), ("seed", np.True_),
    ("epochs", 0), ("epochs", 501), ("epochs", 10.5), ("epochs", float("nan")),
])
def test_bad_settings_name_the_setting(name, bad):
    with pytest.raises(ValueError) as info:
        session.reset(**{name: bad})
    assert str(info.value).startswith(name + " ")
    assert info.value.param == name
    out = _lab("reset", **{name: bad})
    assert out == {"ok": False, "error": str(info.value), "param": name, "bug": False}
    assert out["error"].startswith(name + " ")


def test_setting_messages():
    with pytest.raises(ValueError, match="^beta must be between 0 and 40, got 41$"):
        session.reset(beta=41)
    with pytest.raises(ValueError, match="^z_dim must be one of 2, 3, 4, 8, 16, got 5$"):
        session.reset(z_dim=5)
    with pytest.raises(ValueError, match="^warmup must be a whole number from 0 to 100, got 2.5$"):
        session.reset(warmup=2.5)


def test_whole_number_floats_and_numeric_strings_are_accepted():
    status = session.reset(beta=2, lr="0.003", warmup=10.0, z_dim=4.0, seed=3.0, epochs="20")
    assert status["settings"] == {"beta": 2.0, "lr": 0.003, "warmup": 10, "z_dim": 4, "seed": 3,
                                  "epochs": 20}
    assert type(status["settings"]["z_dim"]) is int and type(status["settings"]["beta"]) is float


def test_control_errors_and_actions():
    assert _lab("nope") == {
        "ok": False, "param": "action", "bug": False,
        "error": "unknown lab action 'nope'; the actions are reset, advance, status, pause, epochs, "
                 "presets, matmul"}
    assert _lab("reset", gamma=1)["error"].startswith("bad parameters for reset")
    assert _lab("advance", ms=-1)["error"].startswith("ms must be")
    assert _lab("advance", max_steps=0)["error"].startswith("max_steps must be")
    assert _lab("epochs", epochs=0)["error"].startswith("epochs ")
    assert _lab("presets") == {"ok": True, "result": session.PRESETS}
    status = _lab("reset", **session.PRESETS["warmup"]["settings"])["result"]
    assert status["settings"] == session.PRESETS["warmup"]["settings"]
    assert _lab("advance", ms=0)["result"]["step"] == 0  # one piece of the first step
    assert _lab("advance", ms=60000, max_steps=1)["result"]["step"] == 1
    assert _lab("pause")["result"] == _lab("status")["result"] == session.status()


def test_presets_are_valid_settings():
    assert set(session.PRESETS) == {"default", "collapse", "partial", "warmup"}
    assert session.PRESETS["default"]["settings"] == params.defaults(session.SETTINGS) == {
        "beta": 1.0, "lr": 0.001, "warmup": 0, "z_dim": 2, "seed": 0, "epochs": 30}
    for name, p in session.PRESETS.items():
        assert set(p) == {"settings", "label", "note"}
        assert session.reset(**p["settings"])["settings"] == p["settings"], name
        assert p["label"] and p["note"].endswith(".")
    json.dumps(session.PRESETS, allow_nan=False)


@pytest.mark.parametrize("bad", [-1, 1000, 2.5, True, "x", float("nan"), None])
def test_posterior_digit_must_be_a_test_digit(bad):
    session.reset()
    with pytest.raises(ValueError, match="^digit must be a whole number from 0 to 999"):
        widgets.run("lab_posterior", digit=bad)


# -- the widgets -------------------------------------------------------------------------




def _figure(key, **params_):
    """A figure's result through the door (which must answer ok)."""
    answer = door.handle("figure", key, params_)
    assert answer["ok"], answer
    return answer["result"]


@pytest.mark.parametrize("key", LAB_WIDGETS)
def test_every_lab_widget_draws_its_image(key):
    session.reset(seed=4, epochs=3)
    session.advance(ms=60000.0)
    out = _figure(key)
    assert set(out) == {"image", "values", "summary"}
    img = pixels(out)
    assert (img.shape[1], img.shape[0]) == IMAGE_SIZES[key]
    assert len(np.unique(img.reshape(-1, 4), axis=0)) > 20  # something was drawn
    assert_json_safe(out["values"])
    assert isinstance(out["summary"], str) and out["summary"].endswith(".")
    assert _figure(key) is out  # same weights: the cached answer
    session.set_epochs(4)
    session.advance(max_steps=1)
    assert _figure(key) is not out


def test_lab_widgets_answer_without_plotting(monkeypatch):
    session.reset(epochs=1)
    backend = plotting._backend
    monkeypatch.setattr(plotting, "_backend", None)  # as before matplotlib has loaded
    for key in LAB_WIDGETS:
        out = _figure(key)
        assert out["image"] is None and out["values"], key
    monkeypatch.setattr(plotting, "_backend", backend)
    for key in LAB_WIDGETS:
        assert _figure(key)["image"] is not None, key  # not the cached None


def test_lab_curves_against_independent_computations(digits):
    _, _, X_test, y_test = digits
    session.reset(seed=6, epochs=3)
    v0 = widgets.run("lab_curves")["values"]
    run = session.current()
    # epoch 0: the untrained model on the test set, at the eps training.train will use
    eps = np.random.default_rng(6).spawn(1)[0].standard_normal((1000, 2)).astype(np.float32)
    assert v0["test_neg_elbo"] == pytest.approx(_neg_elbo(run.model, X_test, eps), rel=1e-5)
    assert (v0["epoch"], v0["step"]) == (0, 0)
    session.advance(ms=60000.0)
    v = widgets.run("lab_curves")["values"]
    assert (v["epoch"], v["step"]) == (3, 213)
    assert v["test_neg_elbo"] == pytest.approx(_neg_elbo(run.model, X_test, eps), rel=1e-5)
    assert v["test_neg_elbo"] == pytest.approx(v["test_recon"] + v["test_kl"])
    assert v["train_neg_elbo"] == run.history[-1]["neg_elbo"]
    # the subset evaluation at epoch 3 is not due (0, 1, 2, 5, 10, ...): the latest is epoch 2's
    assert [e["epoch"] for e in run.evaluations] == [0, 1, 2]
    # IWAE by importance.log_px (its own code, tested against quadrature) on the same draws
    subset = np.concatenate([np.flatnonzero(y_test == c)[:10] for c in range(10)])
    session.set_epochs(5)
    session.advance(ms=60000.0)
    v = widgets.run("lab_curves")["values"]
    iwae = importance.log_px(run.model, X_test[subset], 64, np.random.default_rng([6, 5, 1]))
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


def test_lab_latent_units_and_recon_values(digits):
    _, _, X_test, y_test = digits
    session.reset(seed=8, epochs=2)
    session.advance(ms=60000.0)
    model = session.current().model
    mu, log_var = model.encode(X_test)
    mu, log_var = mu.astype(np.float64), log_var.astype(np.float64)
    kl = 0.5 * (mu**2 + np.exp(log_var) - 1.0 - log_var)
    latent = widgets.run("lab_latent")["values"]
    assert latent == {"n_points": 1000, "projection": "z1, z2",
                      "mean_kl": pytest.approx(float(kl.sum(axis=1).mean()), rel=1e-6)}
    units = widgets.run("lab_units")["values"]
    assert units["z_dim"] == 2 and units["active_units"] == int(np.sum(mu.var(axis=0) > 0.01))
    assert units["kl_per_dim"] == pytest.approx(list(kl.mean(axis=0)), rel=1e-6)
    assert units["total_kl"] == pytest.approx(latent["mean_kl"], rel=1e-9)
    first = [int(np.flatnonzero(y_test == c)[0]) for c in range(10)]
    recon, *_ = _forward64(model, X_test[first], np.zeros((10, 2)))  # z = the encoder mean
    assert widgets.run("lab_recon")["values"]["recon"] == pytest.approx(float(recon.mean()), rel=1e-5)


def test_an_8d_latent_is_projected_and_has_no_grid_posterior():
    session.reset(z_dim=8, epochs=1)
    session.advance(ms=60000.0)
    with pytest.raises(ValueError) as info:
        widgets.run("lab_posterior")
    message = str(info.value)
    assert not message.startswith("digit ") and "2-D latent" in message
    assert "8 dimensions" in message and "press Reset" in message
    assert door.handle("figure", "lab_posterior", {"digit": 3}) == {
        "ok": False, "error": message, "param": None, "bug": False}
    latent = widgets.run("lab_latent")
    assert latent["values"]["projection"] == "PCA" and "principal directions" in latent["summary"]
    units = widgets.run("lab_units")["values"]
    assert units["z_dim"] == 8 and len(units["kl_per_dim"]) == 8
    assert sum(units["kl_per_dim"]) == pytest.approx(units["total_kl"])
    assert "principal directions" in widgets.run("lab_recon")["summary"]


def test_principal_directions_are_orthonormal_with_fixed_signs():
    rng = np.random.default_rng(0)
    mu = rng.standard_normal((1000, 8)) * np.array([3.0, 0.1, 2.0, 0.1, 0.1, 0.1, 0.1, 0.1])
    v = session.principal_directions(mu)
    np.testing.assert_allclose(v.T @ v, np.eye(2), atol=1e-12)
    assert abs(v[0, 0]) > 0.99 and abs(v[2, 1]) > 0.99  # the two wide dimensions, in order
    for j in range(2):
        assert v[np.argmax(np.abs(v[:, j])), j] > 0
    np.testing.assert_allclose(session.principal_directions(-mu), v)  # a flipped cloud: same axes
    np.testing.assert_array_equal(session.principal_directions(mu[:, :2]), np.eye(2))


def test_lab_posterior_values_are_the_true_posterior_of_the_session(digits):
    _, _, X_test, y_test = digits
    session.reset(seed=9, epochs=2)
    session.advance(ms=60000.0)
    out = widgets.run("lab_posterior", digit=17)
    v = out["values"]
    # the figure's fast grids against true_posterior's finer, independent ones; each grid's
    # error estimate (a rule against itself at twice the spacing) can understate its error
    # a few times (grid_posterior.encoder_identity)
    r = true_posterior(session.current().model, X_test[17], seed=17)
    assert v["digit"] == 17 and v["label"] == int(y_test[17])
    for key in ("log_px_grid", "elbo", "kl_grid"):
        assert abs(v[key] - r[key]) <= 3 * (v["tolerance"] + r["tolerance"]), key
    # and against brute force over [-12, 12]^2 (this run's posterior peaks near the edge of
    # [-6, 6]^2, where both once stopped looking)
    model = session.current().model.as_float64()
    axis = np.linspace(-12.0, 12.0, 301)
    z = np.column_stack([g.ravel() for g in np.meshgrid(axis, axis)])
    x = X_test[17].astype(np.float64)
    logits = model.decode_logits(z)
    log_joint = logits @ x - np.logaddexp(0.0, logits).sum(axis=1) - 0.5 * (z * z).sum(axis=1) \
        - math.log(2 * math.pi)
    brute = float(np.logaddexp.reduce(log_joint)) + 2 * math.log(axis[1] - axis[0])
    assert abs(v["log_px_grid"] - brute) <= 3 * v["tolerance"] + 1e-3
    assert abs(r["log_px_grid"] - brute) <= 3 * r["tolerance"] + 1e-3
    assert abs(v["identity_residual"]) <= v["tolerance"] and v["identity_ok"] is True
    assert v["gap"] == pytest.approx(v["log_px_grid"] - v["elbo"])
    assert abs(v["iwae"] - r["iwae"]) <= 4 * (v["iwae_se"] + r["iwae_se"])
    assert (v["q_sd1"], v["q_sd2"]) == pytest.approx(tuple(float(s) for s in r["q_sd"]), rel=1e-12)
    assert widgets.run("lab_posterior", digit=17.0) is out  # cached on (weights, digit)


@pytest.mark.parametrize("name", LAB_WIDGETS)
def test_lab_images_follow_the_theme_without_new_weights(name):
    """The lab caches its results on the weights; a theme switch must still redraw."""
    session.reset()
    light = widgets.run(name)["image"]["rgba"]
    try:
        plotting.set_theme("dark")
        dark = widgets.run(name)["image"]["rgba"]
    finally:
        plotting.set_theme("light")
    assert dark != light
    assert widgets.run(name)["image"]["rgba"] == light


# -- presets: measured outcomes ----------------------------------------------------------


def _train_preset(name, **change):
    session.reset(**dict(session.PRESETS[name]["settings"], **change))
    for _ in range(20):  # a minute of training is enough on an idle machine, not on a busy one
        if session.advance(ms=60000.0)["done"]:
            break
    assert session.status()["done"] and session.status()["epoch"] == 15
    return session.status()["latest"], widgets.run("lab_units")["values"]


def test_collapse_preset_collapses():
    latest, units = _train_preset("collapse")
    assert latest["test_kl"] < 0.05 and units["total_kl"] < 0.05
    assert units["active_units"] == 0


def test_warmup_keeps_more_units_active_than_no_warmup():
    partial = _train_preset("partial")[1]
    warm = _train_preset("warmup")[1]
    assert partial["active_units"] == 1 and warm["active_units"] == 2  # as the notes say
    assert 0.1 < partial["total_kl"] < 0.35 and 0.25 < warm["total_kl"] < 0.6
    cold = _train_preset("warmup", warmup=0)[1]  # the warm-up preset without its warm-up
    assert cold["active_units"] == 0


def test_the_lab_works_in_small_units_and_shows_only_whole_steps():
    """Each unit of the run's work (what advance(0) does) is one piece: at most PIECE_ROWS
    digits of a gradient, 4x that of test loss, or EVAL_ROWS digits of the evaluation. Between
    units the step, epoch, history and evaluations change only when a step is complete, all at
    once, and the weights only in a step's last gradient piece."""
    run = session.Lab(session.defaults(session.SETTINGS))
    model = run.model
    rows = {"grad": 0, "loss": 0, "encode": 0}
    originals = {"grad": model.fused_grads, "loss": model.loss, "encode": model.encode}

    def counting(kind):
        def call(x, *args, **kwargs):
            rows[kind] += x.shape[0]
            return originals[kind](x, *args, **kwargs)
        return call

    for kind in rows:
        setattr(model, {"grad": "fused_grads", "loss": "loss", "encode": "encode"}[kind],
                counting(kind))

    def seen():
        return (run.step, run.epoch, len(run.history), len(run.evaluations), model.flat.copy())

    before = seen()
    units = steps = 0
    while run.epoch < 2:  # epochs 1 and 2 end with the test loss and an evaluation
        rows.update(grad=0, loss=0, encode=0)
        steps += run.advance(0.0)
        units += 1
        assert rows["grad"] <= session.PIECE_ROWS and rows["loss"] <= 4 * session.PIECE_ROWS
        assert rows["encode"] <= session.EVAL_ROWS
        assert sum(n > 0 for n in rows.values()) == 1  # one kind of piece per unit
        after = seen()
        if after[0] == before[0]:  # mid-step: nothing the lab shows has moved
            assert after[1:4] == before[1:4]
            if rows["grad"] == 0:  # the weights too, but for a step's last gradient piece
                np.testing.assert_array_equal(after[4], before[4])
        else:
            assert after[0] == before[0] + 1
            if after[1] != before[1]:  # the step that ends an epoch brings its record
                assert after[2] == before[2] + 1 and after[3] == before[3] + 1
                assert run.evaluations[-1]["epoch"] == run.history[-1]["epoch"] == after[1]
        before = after
    assert steps == run.step == 2 * 71
    # 2 x (70 x 4 + 2) gradient pieces, 2 x 8 test-loss pieces, 2 x 25 evaluation pieces
    assert units == 2 * (70 * 4 + 2) + 2 * 8 + 2 * (100 // session.EVAL_ROWS)


def test_a_pause_lands_on_a_whole_step_whose_weights_a_link_replays():
    """Paused inside a step (mid-batch, or in the epoch-end test loss and evaluation that
    follow a step's weights), the lab finishes that step: it then shows the step whose weights
    it has, as a run trained to that step (a replayed link) has them."""
    settings = dict(seed=4, epochs=3)
    for units in (2, 70 * 4 + 2 + 3, 70 * 4 + 2 + 8 + 10):  # mid-batch; test loss; evaluation
        session.reset(**settings)
        for _ in range(units):
            session.advance(ms=0.0)
        shown = session.status()["step"]
        paused = _lab("pause")["result"]
        assert paused["step"] == shown + 1 and paused == session.status()
        weights = session.current().model.flat.copy()
        history = list(session.current().history)
        evaluations = list(session.current().evaluations)
        assert not session.current().finish_step()  # nothing left to finish
        session.reset(**settings)
        session.advance(ms=60000.0, max_steps=paused["step"])
        np.testing.assert_array_equal(session.current().model.flat, weights)
        assert session.current().history == history
        assert session.current().evaluations == evaluations


def test_the_stored_untrained_states_are_those_computed_afresh():
    """lab_start.json holds exactly the default settings' and the presets' runs, each within
    float32 rounding of a fresh computation (the script's own --check compares to 1e-6)."""
    maker = load_script("make_lab_start")
    stored = json.loads((ROOT / "py" / "elbo_lab" / "lab_start.json").read_text())
    assert maker.worst_difference(stored, maker.compute()) <= 1e-5
    assert len(stored) == 2  # seed 0 (the defaults) and seed 1 (every preset), both z_dim 2


@pytest.mark.parametrize("settings", [{}, {"beta": 24.0, "warmup": 5, "seed": 1, "epochs": 3}],
                         ids=["defaults", "seed-1-warm-up"])
def test_a_run_from_its_stored_start_is_the_run_computed_afresh(settings):
    """The same history, evaluations, weights and first epoch, whether the untrained state was
    stored or computed; beta and warm-up enter the record from the settings."""
    settings = params.check_all(session.SETTINGS, dict({"epochs": 1}, **settings), "reset")
    runs = [session.Lab(settings), session.Lab(settings, stored=False)]
    assert [run.stored_start for run in runs] == [True, False]
    for run in runs:
        run.advance(60000.0)
    kept, fresh = runs
    assert np.array_equal(kept.model.flat, fresh.model.flat)
    assert kept.history[1] == fresh.history[1] and kept.evaluations[1] == fresh.evaluations[1]
    assert kept.history[0].keys() == fresh.history[0].keys()
    for key, value in fresh.history[0].items():
        assert kept.history[0][key] == pytest.approx(value, rel=1e-5), key
    assert kept.history[0]["beta"] == (0.0 if settings["warmup"] else settings["beta"])
    for key, value in fresh.evaluations[0].items():
        assert kept.evaluations[0][key] == pytest.approx(value, rel=1e-5), key


def test_a_run_whose_key_is_not_stored_is_computed():
    """Another seed or latent size, or other initial weights (a changed initialiser), is not
    in the file: the run computes its own untrained state."""
    assert session.Lab(params.check_all(session.SETTINGS, {"seed": 2}, "reset")).stored_start is False
    assert session.Lab(params.check_all(session.SETTINGS, {"z_dim": 3}, "reset")).stored_start is False
    model = vae.VAE(784, session.HIDDEN, 2, seed=0, dtype=np.float32)
    assert lab_start.stored(0, model) is not None
    model.flat[0] += 1e-6  # one weight off: another key
    assert lab_start.stored(0, model) is None
