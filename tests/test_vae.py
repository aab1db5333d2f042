"""The whole VAE: gradient checks of every parameter, log p(x), training, errors."""

import math

import numpy as np
import pytest
from elbo_lab import data, layers, vae
from elbo_lab.optim import Adam
from scipy import integrate, stats

from gradcheck import numerical_gradient, rel_error

N, D, H, Z = 3, 4, 5, 2


def tiny(activation="tanh", seed=0):
    """A tiny VAE (D=4, H=5, Z=2) with non-zero biases, a batch of 3 and a fixed eps."""
    model = vae.VAE(x_dim=D, hidden=H, z_dim=Z, seed=seed, activation=activation)
    rng = np.random.default_rng(100 + seed)
    for name, p in model.params.items():
        if name.startswith("b"):
            p[...] = 0.3 * rng.standard_normal(p.shape)
    x = rng.integers(0, 2, size=(N, D)).astype(float)  # binary pixels
    eps = rng.standard_normal((N, Z))
    return model, x, eps


@pytest.fixture(autouse=True)
def numpy_backend():
    layers.set_matmul_backend("numpy")
    yield
    layers.set_matmul_backend("numpy")


@pytest.fixture(scope="module")
def digits():
    return data.load_split()


# -- gradients --------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("beta", [0.5, 1.0])
def test_every_parameter_gradient(activation, beta):
    model, x, eps = tiny(activation)
    stats, grads = model.loss_and_grads(x, eps, beta)
    assert set(grads) == set(model.params)
    for name, p in model.params.items():
        assert grads[name].shape == p.shape
        num = numerical_gradient(lambda: model.loss(x, eps, beta)["loss"], p)
        assert rel_error(grads[name], num) < 1e-6, name
    assert stats == model.loss(x, eps, beta)  # the probes restored every entry


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("term", ["recon", "kl"])
def test_each_loss_term_gradient(term, activation):
    model, x, eps = tiny(activation, seed=1)
    _, g0 = model.loss_and_grads(x, eps, beta=0.0)  # recon alone
    _, g1 = model.loss_and_grads(x, eps, beta=1.0)  # recon + kl
    for name, p in model.params.items():
        analytic = g0[name] if term == "recon" else g1[name] - g0[name]
        num = numerical_gradient(lambda: model.loss(x, eps)[term], p)
        if term == "kl" and name in ("W2", "b2", "W3", "b3"):
            np.testing.assert_allclose(analytic, 0.0, atol=1e-14)  # the KL ignores the decoder
        else:
            assert rel_error(analytic, num) < 1e-6, name


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_loss_matches_scipy_bernoulli_and_the_kl_formula(activation, digits):
    model = vae.VAE(seed=16, activation=activation)
    x = digits[0][:40]
    eps = np.random.default_rng(17).standard_normal((40, 2))
    stats_ = model.loss(x, eps, beta=0.3)
    # an independent computation, one step at a time
    act = np.tanh if activation == "tanh" else (lambda a: np.maximum(a, 0.0))
    P = model.params
    h1 = act(x @ P["W1"] + P["b1"])
    mu, log_var = h1 @ P["W_mu"] + P["b_mu"], h1 @ P["W_logvar"] + P["b_logvar"]
    z = mu + np.exp(log_var / 2) * eps
    p = 1 / (1 + np.exp(-(act(z @ P["W2"] + P["b2"]) @ P["W3"] + P["b3"])))
    recon = -stats.bernoulli.logpmf(x, p).sum(axis=1).mean()
    # KL = E_q[log q - log p], the entropy part from scipy, the cross-entropy in closed form
    kl = np.mean([-stats.multivariate_normal(m, np.diag(np.exp(lv))).entropy()
                  + 0.5 * (np.sum(m * m + np.exp(lv)) + 2 * np.log(2 * np.pi))
                  for m, lv in zip(mu, log_var)])
    assert stats_["recon"] == pytest.approx(recon, rel=1e-12)
    assert stats_["kl"] == pytest.approx(kl, rel=1e-12)
    assert stats_["loss"] == pytest.approx(recon + 0.3 * kl, rel=1e-12)
    np.testing.assert_allclose(model.decode(z), p, rtol=1e-12)  # the mean image


def test_default_model_is_relu():
    model = vae.VAE()
    assert (model.x_dim, model.hidden, model.z_dim, model.activation.name) == (64, 256, 2, "relu")


def test_stats_are_python_floats_and_consistent():
    model, x, eps = tiny()
    stats, _ = model.loss_and_grads(x, eps, beta=0.5)
    assert set(stats) == {"loss", "recon", "kl"}
    assert all(type(v) is float for v in stats.values())
    assert stats["loss"] == pytest.approx(stats["recon"] + 0.5 * stats["kl"])
    assert stats["kl"] >= 0


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("backend", ["numpy", "blas"])
@pytest.mark.parametrize("beta", [0.0, 0.7])
def test_fused_train_step_matches_the_layer_by_layer_code(activation, backend, beta, digits):
    layers.set_matmul_backend(backend)
    model = vae.VAE(hidden=32, z_dim=3, seed=2, activation=activation)
    x = digits[0][:50]
    eps = np.random.default_rng(0).standard_normal((50, 3))
    stats, grads = model.loss_and_grads(x, eps, beta)
    fused = vae._fused_loss_and_grads(model, x, eps, beta, model._grads)
    for key in stats:
        assert fused[key] == pytest.approx(stats[key], rel=1e-12)
    for name in grads:
        np.testing.assert_allclose(model._grads[name], grads[name], rtol=1e-10, atol=1e-14)


def test_train_step_is_one_adam_step_on_the_loss(digits):
    model = vae.VAE(hidden=16, seed=3)
    twin = vae.VAE(hidden=16, seed=3)
    x = digits[0][:20]
    eps = np.random.default_rng(1).standard_normal((20, 2))
    opt, twin_opt = Adam(model.params), Adam({k: v.copy() for k, v in twin.params.items()})
    stats = vae.train_step(model, opt, x, eps, 1.0)
    twin_stats, grads = twin.loss_and_grads(x, eps, 1.0)
    twin_opt.step(grads)
    assert stats["loss"] == pytest.approx(twin_stats["loss"], rel=1e-12)
    for name in model.params:
        np.testing.assert_allclose(model.params[name], twin_opt.params[name], rtol=1e-9, atol=1e-15)


def test_float32_model_agrees_with_float64(digits):
    x = digits[0][:64]
    eps = np.random.default_rng(2).standard_normal((64, 2))
    s64, g64 = vae.VAE(seed=4).loss_and_grads(x, eps)
    s32, g32 = vae.VAE(seed=4, dtype=np.float32).loss_and_grads(x, eps)
    assert s32["loss"] == pytest.approx(s64["loss"], rel=1e-5)
    for name in g64:
        assert g32[name].dtype == np.float32
        np.testing.assert_allclose(g32[name], g64[name], rtol=1e-2, atol=1e-4 * np.abs(g64[name]).max())


def test_params_are_views_of_one_flat_vector():
    model = vae.VAE(seed=5)
    assert all(p.base is model.flat for p in model.params.values())
    assert model.flat.size == sum(p.size for p in model.params.values()) == 34884
    assert Adam(model.params)._flat is model.flat


def test_same_seed_same_weights_different_seed_different():
    a, b, c = vae.VAE(seed=6), vae.VAE(seed=6), vae.VAE(seed=7)
    np.testing.assert_array_equal(a.flat, b.flat)
    assert not np.array_equal(a.flat, c.flat)


# -- encode, decode, log p(x) --------------------------------------------------------


def test_encode_and_decode_shapes(digits):
    model = vae.VAE(seed=8)
    mu, log_var = model.encode(digits[0][:10])
    assert mu.shape == log_var.shape == (10, 2)
    p = model.decode(mu)
    assert p.shape == (10, 64) and p.min() >= 0 and p.max() <= 1
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-model._decode_logits(mu))), rtol=1e-12)


def quadrature_log_px(model, x):
    """log p(x) = log integral p(x|z) N(z; 0, 1) dz for a model with z_dim = 1."""

    def log_joint(z, x_row):  # log p(x|z) + log N(z; 0, 1), p(x|z) from scipy
        logits = model._decode_logits(np.array([[z]]))[0]
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
    iwae = model.log_px(x, 20000, np.random.default_rng(11))
    np.testing.assert_allclose(iwae, exact, atol=0.05)  # about 5 standard errors
    elbo = model.log_px(x, 1, np.random.default_rng(12))  # one sample: an ELBO draw
    assert elbo.mean() < exact.mean()


def test_log_px_chunking_does_not_change_the_answer(digits):
    model = vae.VAE(hidden=16, seed=13)
    x = digits[2][:5]
    a = model.log_px(x, 100, np.random.default_rng(14))
    b = model.log_px(x, 100, np.random.default_rng(14), chunk_elements=5 * 64 * 7)
    np.testing.assert_allclose(a, b, rtol=1e-12)


# -- training ----------------------------------------------------------------------


def run(seed, epochs=3, **kwargs):
    X = data.load_split()[0][:300]
    model = vae.VAE(hidden=32, seed=0)
    return list(vae.train(model, X, epochs, batch_size=64, seed=seed, **kwargs)), model


def test_train_is_deterministic():
    records_a, model_a = run(seed=1)
    records_b, model_b = run(seed=1)
    records_c, _ = run(seed=2)
    assert records_a == records_b
    np.testing.assert_array_equal(model_a.flat, model_b.flat)
    assert records_a != records_c


def test_train_records(digits):
    X_train, _, X_test, _ = digits
    model = vae.VAE(hidden=32, seed=0)
    records = list(vae.train(model, X_train[:200], 4, batch_size=64, X_test=X_test[:50]))
    assert [r["epoch"] for r in records] == [1, 2, 3, 4]
    assert [r["step"] for r in records] == [4, 8, 12, 16]  # 200 / 64: 4 batches per epoch
    for r in records:
        for key in ("recon", "kl", "loss", "neg_elbo", "beta", "test_recon", "test_kl", "test_neg_elbo"):
            assert type(r[key]) is float, key
        assert r["loss"] == pytest.approx(r["recon"] + r["kl"])
    assert records[-1]["loss"] < records[0]["loss"]


def test_test_set_does_not_change_the_run():
    with_test, _ = run(seed=3, X_test=data.load_split()[2][:20])
    without, _ = run(seed=3)
    for a, b in zip(with_test, without, strict=True):
        assert {k: a[k] for k in b} == b


def test_kl_warmup_ramps_beta():
    records, _ = run(seed=4, epochs=4, beta=2.0, warmup_epochs=2)
    betas = [r["beta"] for r in records]
    assert betas[0] < betas[1] <= 2.0 and betas[2] == betas[3] == 2.0
    assert records[0]["loss"] < records[0]["recon"] + 2.0 * records[0]["kl"]


def test_train_can_stop_and_continue_with_its_optimizer():
    X = data.load_split()[0][:100]
    model = vae.VAE(hidden=16, seed=0)
    opt = Adam(model.params)
    gen = vae.train(model, X, 100, batch_size=50, optimizer=opt)
    next(gen)
    gen.close()  # stopped after one epoch
    assert opt.t == 2
    record = next(vae.train(model, X, 1, batch_size=50, optimizer=opt, lr=5e-4))
    assert opt.t == 4 and opt.lr == 5e-4 and record["step"] == 2


# -- bad arguments -------------------------------------------------------------------


def bad_calls():
    X = data.load_split()[0][:10]
    eps = np.zeros((10, 2))
    rng = np.random.default_rng(0)
    m = vae.VAE(hidden=8)
    nan_x, inf_x = X.copy(), X.copy()
    nan_x[0, 0], inf_x[1, 1] = np.nan, np.inf
    off_grid, out_of_range = X.copy(), X.copy()
    off_grid[0, 0], out_of_range[0, 0] = 0.5, 2.0
    grey = data.load_split(binarize=False)[0][:10]  # grey levels k/16: not what the model takes
    nan_eps = eps.copy()
    nan_eps[2, 1] = np.nan
    shape = r"must have shape \(N, 64\)"
    not_binary = (r"x must be binary \(0 or 1\); use elbo_lab\.data\.load_digits\(\), "
                  r"which binarises at count >= 8")
    return [
        ("x 1-D", lambda: m.loss_and_grads(X[0], eps), shape),
        ("x wrong width", lambda: m.loss_and_grads(X[:, :60], eps),
         r"\(N, 64\) .* got shape \(10, 60\)"),
        ("x empty", lambda: m.loss_and_grads(X[:0], eps[:0]), shape),
        ("x NaN", lambda: m.loss_and_grads(nan_x, eps), "NaN or infinity"),
        ("x inf", lambda: m.loss_and_grads(inf_x, eps), "NaN or infinity"),
        ("x not numbers", lambda: m.loss_and_grads([["a"] * 64], eps[:1]), "array of numbers"),
        ("x off grid", lambda: m.loss_and_grads(off_grid, eps), not_binary),
        ("x above 1", lambda: m.loss_and_grads(out_of_range, eps), not_binary),
        ("x grey levels", lambda: m.loss_and_grads(grey, eps), not_binary),
        ("loss x grey levels", lambda: m.loss(grey, eps), not_binary),
        ("log_px x grey levels", lambda: m.log_px(grey, 5, rng), not_binary),
        ("evaluate x grey levels", lambda: vae.evaluate(m, grey, rng), not_binary),
        ("train X grey levels", lambda: vae.train(m, grey, 1), not_binary),
        ("train X_test grey levels", lambda: vae.train(m, X, 1, X_test=grey), not_binary),
        ("eps wrong width", lambda: m.loss_and_grads(X, np.zeros((10, 3))),
         r"eps must have shape \(N, 2\)"),
        ("eps wrong rows", lambda: m.loss_and_grads(X, np.zeros((9, 2))), "eps has 9 rows but x has 10"),
        ("eps NaN", lambda: m.loss_and_grads(X, nan_eps), "eps contains NaN"),
        ("beta negative", lambda: m.loss_and_grads(X, eps, -0.1), "beta must be >= 0"),
        ("beta NaN", lambda: m.loss_and_grads(X, eps, float("nan")), "beta must be a finite number"),
        ("k zero", lambda: m.log_px(X, 0, rng), "k must be a whole number >= 1"),
        ("k fractional", lambda: m.log_px(X, 2.5, rng), "k must be a whole number >= 1"),
        ("rng not a Generator", lambda: m.log_px(X, 5, 0), "rng must be a numpy Generator"),
        ("encode wrong width", lambda: m.encode(X[:, :5]), shape),
        ("decode wrong width", lambda: m.decode(np.zeros((3, 5))), r"z must have shape \(N, 2\)"),
        ("decode NaN", lambda: m.decode(np.full((1, 2), np.nan)), "z contains NaN"),
        ("train lr zero", lambda: vae.train(m, X, 1, lr=0), "lr must be > 0"),
        ("train lr negative", lambda: vae.train(m, X, 1, lr=-1e-3), "lr must be > 0"),
        ("train epochs zero", lambda: vae.train(m, X, 0), "epochs must be a whole number >= 1"),
        ("train batch zero", lambda: vae.train(m, X, 1, batch_size=0),
         "batch_size must be a whole number >= 1"),
        ("train batch float", lambda: vae.train(m, X, 1, batch_size=1.5), "batch_size must be a whole number"),
        ("train beta negative", lambda: vae.train(m, X, 1, beta=-1), "beta must be >= 0"),
        ("train warmup negative", lambda: vae.train(m, X, 1, warmup_epochs=-1), "warmup_epochs must be >= 0"),
        ("train X NaN", lambda: vae.train(m, nan_x, 1), "NaN or infinity"),
        ("train X_test shape", lambda: vae.train(m, X, 1, X_test=X[:, :3]), shape),
        ("train not a model", lambda: vae.train("vae", X, 1), "model must be a VAE"),
        ("train other optimizer", lambda: vae.train(m, X, 1, optimizer=Adam({"a": np.zeros(1)})),
         "optimizer must be an Adam built on this model's params"),
        ("evaluate n_draws", lambda: vae.evaluate(m, X, rng, 0), "n_draws must be a whole number >= 1"),
        ("train_step shapes", lambda: vae.train_step(m, Adam(m.params), X, np.zeros((10, 3))), r"eps \(N, 2\)"),
        ("hidden zero", lambda: vae.VAE(hidden=0), "hidden must be a whole number >= 1"),
        ("activation", lambda: vae.VAE(activation="sigmoid"),
         r"activation must be one of \['relu', 'tanh'\]"),
        ("dtype", lambda: vae.VAE(dtype=np.float16), "dtype must be np.float64 or np.float32"),
        ("pretrained name", lambda: vae.load_pretrained("beta2"),
         r"name must be one of \['beta1', 'beta4'\]"),
    ]


@pytest.mark.parametrize("case", range(len(bad_calls())), ids=[c[0] for c in bad_calls()])
def test_bad_arguments_raise_value_error(case):
    _, call, match = bad_calls()[case]
    with pytest.raises(ValueError, match=match):
        call()


def test_train_errors_surface_before_the_first_record():
    with pytest.raises(ValueError, match="epochs"):
        next(vae.train(vae.VAE(hidden=8), data.load_split()[0][:10], epochs=-1))


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


@pytest.mark.parametrize("name, bound", [("beta1", 21.0), ("beta4", 25.0)])
def test_pretrained_weights_score_what_the_script_recorded(name, bound, digits):
    model = vae.load_pretrained(name)
    meta = model.meta
    assert model.flat.dtype == np.float64 and (model.hidden, model.z_dim) == (256, 2)
    assert meta["beta"] == {"beta1": 1.0, "beta4": 4.0}[name]
    scores = vae.evaluate(model, digits[2], np.random.default_rng(meta["eval_seed"]), meta["eval_draws"])
    assert scores["neg_elbo"] == pytest.approx(meta["test_neg_elbo"], abs=0.05)
    assert scores["kl"] == pytest.approx(meta["test_kl"], abs=0.05)
    # far below an untrained model (about 64 log 2 = 44 nats)
    assert scores["neg_elbo"] < bound
    assert meta["test_log_px"] > -meta["test_neg_elbo"]  # IWAE bound is tighter


def test_pretrained_beta1_beats_a_model_without_latents(digits):
    X_train, _, X_test, _ = digits
    baseline = independent_bernoulli_nll(X_train, X_test)  # about 25.2 nats
    assert 24.0 < baseline < 26.5
    model = vae.load_pretrained("beta1")
    neg_elbo = vae.evaluate(model, X_test, np.random.default_rng(3), n_draws=10)["neg_elbo"]
    assert neg_elbo < baseline - 4.0  # the latent earns its keep, even as a bound
    log_px = model.log_px(X_test, 500, np.random.default_rng(4)).mean()  # IWAE, k = 500
    assert -neg_elbo <= log_px <= -neg_elbo + 3.0  # tighter than the ELBO, but not by much


def test_pretrained_float32_loading(digits):
    model = vae.load_pretrained("beta1", dtype=np.float32)
    scores = vae.evaluate(model, digits[2], np.random.default_rng(1), 2)
    assert scores["neg_elbo"] < 21.0


def test_recorded_histories():
    runs = vae.load_histories()
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
