"""Saved VAEs: weights written and read back, the pretrained models' scores, the shared copies,
and the recorded training histories."""

import numpy as np
import pytest
from scipy import stats

from elbo_lab import importance, pretrained, training, vae

from repo import load_script

# -- saved weights ----------------------------------------------------------------


def test_save_and_load_weights_round_trip(tmp_path):
    model = vae.VAE(hidden=12, z_dim=3, seed=15, activation="relu")
    path = tmp_path / "w.npz"
    vae.save_weights(model, path, meta={"note": "test"})
    loaded, meta = vae.load_weights(path)
    assert meta == {"note": "test"}
    assert (loaded.hidden, loaded.z_dim, loaded.activation.name) == (12, 3, "relu")
    assert loaded.flat.dtype == np.float64
    np.testing.assert_array_equal(loaded.flat, model.flat.astype(np.float32))


# -- pretrained weights and recorded histories -------------------------------------


def independent_bernoulli_nll(X_train, X_test):
    """-log p(x) of the test images, nats per image, under one Bernoulli per pixel and no latent.

    Each pixel's probability of ink is fit on the training images, with add-one
    (Laplace) smoothing so that a pixel never inked in training costs a finite amount.
    """
    p = (X_train.sum(axis=0) + 1) / (X_train.shape[0] + 2)
    return -stats.bernoulli.logpmf(X_test, p).sum(axis=1).mean()


@pytest.mark.parametrize("name, bound", [("beta1", 165.0), ("beta4", 165.0)])
def test_pretrained_weights_score_what_the_script_recorded(name, bound, digits):
    model = vae.load_pretrained(name)
    meta = model.meta
    assert model.flat.dtype == np.float64 and (model.x_dim, model.hidden, model.z_dim) == (784, 128, 2)
    assert meta["beta"] == {"beta1": 1.0, "beta4": 4.0}[name]
    scores = training.evaluate(model, digits[2], np.random.default_rng(meta["eval_seed"]), meta["eval_draws"])
    assert scores["neg_elbo"] == pytest.approx(meta["test_neg_elbo"], abs=0.05)
    assert scores["kl"] == pytest.approx(meta["test_kl"], abs=0.05)
    # far below an untrained model (about 784 log 2 = 543 nats)
    assert scores["neg_elbo"] < bound
    assert meta["test_log_px"] > -meta["test_neg_elbo"]  # IWAE bound is tighter


def test_pretrained_beta1_beats_a_model_without_latents(digits):
    X_train, _, X_test, _ = digits
    baseline = independent_bernoulli_nll(X_train, X_test)  # about 206.9 nats
    assert 200.0 < baseline < 215.0
    model = vae.load_pretrained("beta1")
    neg_elbo = training.evaluate(model, X_test, np.random.default_rng(3), n_draws=10)["neg_elbo"]
    assert neg_elbo < baseline - 30.0  # two latent numbers earn their keep, even as a bound
    log_px = importance.log_px(model, X_test[:300], 500, np.random.default_rng(4)).mean()  # k = 500
    neg_elbo_300 = training.evaluate(model, X_test[:300], np.random.default_rng(3), 10)["neg_elbo"]
    assert -neg_elbo_300 <= log_px <= -neg_elbo_300 + 10.0  # tighter than the ELBO, not by much


def test_pretrained_float32_loading(digits):
    model = vae.load_pretrained("beta1", dtype=np.float32)
    scores = training.evaluate(model, digits[2], np.random.default_rng(1), 2)
    assert scores["neg_elbo"] < 165.0


@pytest.mark.parametrize("name", vae.PRETRAINED)
def test_pretrained_weights_are_stored_as_float16_at_a_measured_cost_under_005_nats(name, digits):
    model = vae.load_pretrained(name)
    meta = model.meta
    assert meta["stored_as"] == "float16" and abs(meta["float16_shift"]) < 0.05
    assert np.array_equal(model.flat, model.flat.astype(np.float16).astype(np.float64))
    rng = np.random.default_rng(meta["eval_seed"])
    stored = training.evaluate(model, digits[2], rng, meta["eval_draws"])["neg_elbo"]
    assert stored - meta["float64_neg_elbo"] == pytest.approx(meta["float16_shift"], abs=1e-6)


def test_the_pretraining_script_reproduces_the_recorded_histories_bit_for_bit(digits):
    """Every recorded run's first epochs, retrained by scripts/pretrain.py's own code, match the
    stored float32 numbers exactly (a run's early epochs do not depend on its length)."""
    script = load_script("pretrain")
    X_train, _, X_test, _ = digits
    recorded = pretrained.histories()
    for name, beta, warmup in script.RUNS:
        _, history = script.run(beta, warmup, X_train, X_test, epochs=2)
        for field, values in history.items():
            np.testing.assert_array_equal(values, recorded[name][field][:2].astype(np.float32),
                                          err_msg=f"{name}/{field}")


@pytest.mark.parametrize("name", vae.PRETRAINED)
def test_shared_model_is_one_cached_copy_of_the_pretrained_weights(name):
    shared = pretrained.model(name)
    assert pretrained.model(name) is shared
    fresh = vae.load_pretrained(name)
    assert fresh is not shared and shared.dtype == np.float64
    np.testing.assert_array_equal(shared.flat, fresh.flat)


def test_recorded_histories():
    runs = pretrained.histories()
    assert set(runs) == {"no_warmup", "warmup", "beta4"}
    for h in runs.values():
        assert set(h) == {"epoch", "beta", "recon", "kl", "test_recon", "test_kl"}
        n = len(h["epoch"])
        assert n >= 100 and all(len(v) == n for v in h.values())
        assert all(np.all(np.isfinite(v)) for v in h.values())
        assert h["test_recon"][-1] < h["test_recon"][0]
    beta = runs["warmup"]["beta"]
    assert beta[0] < 0.05 and beta[-1] == 1.0 and np.all(np.diff(beta) >= 0)
    assert np.all(runs["no_warmup"]["beta"] == 1.0) and np.all(runs["beta4"]["beta"] == 4.0)


def test_unknown_pretrained_name_raises_value_error():
    with pytest.raises(ValueError, match="name must be one of beta1, beta4") as info:
        vae.load_pretrained("beta2")
    assert info.value.param == "name"
