"""The VAE model: gradient checks of every parameter, the loss, the fused step, encode and decode,
and its errors. Training, log p(x) and saved weights are in test_training.py,
test_importance.py and test_pretrained.py."""

import numpy as np
import pytest
from scipy import stats

import elbo_lab.fastblas  # noqa: F401 - the import installs scipy's gemm for the "blas" backend
from elbo_lab import data, layers, vae
from elbo_lab.optim import Adam

from gradcheck import numerical_gradient, rel_error
from repo import assert_raises_naming

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
    assert (model.x_dim, model.hidden, model.z_dim, model.activation.name) == (784, 128, 2, "relu")


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
    fused = model.fused_grads(x, eps, beta)
    for key in stats:
        assert fused[key] == pytest.approx(stats[key], rel=1e-12)
    for name in grads:
        np.testing.assert_allclose(model.grads[name], grads[name], rtol=1e-10, atol=1e-14)


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
    assert model.flat.size == sum(p.size for p in model.params.values()) == 202516
    assert Adam(model.params)._flat is model.flat


def test_same_seed_same_weights_different_seed_different():
    a, b, c = vae.VAE(seed=6), vae.VAE(seed=6), vae.VAE(seed=7)
    np.testing.assert_array_equal(a.flat, b.flat)
    assert not np.array_equal(a.flat, c.flat)


# -- encode and decode -----------------------------------------------------------------


def test_encode_and_decode_shapes(digits):
    model = vae.VAE(seed=8)
    mu, log_var = model.encode(digits[0][:10])
    assert mu.shape == log_var.shape == (10, 2)
    p = model.decode(mu)
    assert p.shape == (10, 784) and p.min() >= 0 and p.max() <= 1
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-model.decode_logits(mu))), rtol=1e-12)


# -- bad arguments -------------------------------------------------------------------


def bad_calls():
    """(id, call, message pattern, the ParamError's param) for every bad argument of the model."""
    X = data.load_split()[0][:10]
    eps = np.zeros((10, 2))
    m = vae.VAE(hidden=8)
    nan_x, inf_x = X.copy(), X.copy()
    nan_x[0, 0], inf_x[1, 1] = np.nan, np.inf
    off_grid, out_of_range = X.copy(), X.copy()
    off_grid[0, 0], out_of_range[0, 0] = 0.5, 2.0
    grey = 0.75 * data.load_split()[0][:10]  # grey levels: not what the model takes
    nan_eps = eps.copy()
    nan_eps[2, 1] = np.nan
    shape = r"must have shape \(N, 784\)"
    not_binary = (r"x must be binary \(0 or 1\); use elbo_lab\.data\.load_digits\(\), "
                  r"which binarises at grey level > 0\.5")
    return [
        ("x 1-D", lambda: m.loss_and_grads(X[0], eps), shape, "x"),
        ("x wrong width", lambda: m.loss_and_grads(X[:, :60], eps),
         r"\(N, 784\) .* got shape \(10, 60\)", "x"),
        ("x empty", lambda: m.loss_and_grads(X[:0], eps[:0]), shape, "x"),
        ("x NaN", lambda: m.loss_and_grads(nan_x, eps), "NaN or infinity", "x"),
        ("x inf", lambda: m.loss_and_grads(inf_x, eps), "NaN or infinity", "x"),
        ("x not numbers", lambda: m.loss_and_grads([["a"] * 784], eps[:1]), "array of numbers", "x"),
        ("x off grid", lambda: m.loss_and_grads(off_grid, eps), not_binary, "x"),
        ("x above 1", lambda: m.loss_and_grads(out_of_range, eps), not_binary, "x"),
        ("x grey levels", lambda: m.loss_and_grads(grey, eps), not_binary, "x"),
        ("loss x grey levels", lambda: m.loss(grey, eps), not_binary, "x"),
        ("eps wrong width", lambda: m.loss_and_grads(X, np.zeros((10, 3))),
         r"eps must have shape \(N, 2\)", "eps"),
        ("eps wrong rows", lambda: m.loss_and_grads(X, np.zeros((9, 2))), "eps has 9 rows but x has 10",
         "eps"),
        ("eps NaN", lambda: m.loss_and_grads(X, nan_eps), "eps contains NaN", "eps"),
        ("beta negative", lambda: m.loss_and_grads(X, eps, -0.1), "beta must be 0 or more", "beta"),
        ("beta NaN", lambda: m.loss_and_grads(X, eps, float("nan")), "beta must be a finite number",
         "beta"),
        ("encode wrong width", lambda: m.encode(X[:, :5]), shape, "x"),
        ("decode wrong width", lambda: m.decode(np.zeros((3, 5))), r"z must have shape \(N, 2\)", "z"),
        ("decode NaN", lambda: m.decode(np.full((1, 2), np.nan)), "z contains NaN", "z"),
        ("hidden zero", lambda: vae.VAE(hidden=0), "hidden must be a whole number of at least 1", "hidden"),
        ("activation", lambda: vae.VAE(activation="sigmoid"),
         "activation must be one of tanh, relu, got 'sigmoid'", "activation"),
        ("dtype", lambda: vae.VAE(dtype=np.float16), "dtype must be np.float64 or np.float32", "dtype"),
    ]


@pytest.mark.parametrize("case", range(len(bad_calls())), ids=[c[0] for c in bad_calls()])
def test_bad_arguments_raise_value_error(case):
    _, call, match, param = bad_calls()[case]
    assert_raises_naming(call, match, param)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-11), (np.float32, 2e-5)])
def test_a_batch_taken_in_pieces_gives_the_whole_batch_s_gradient(dtype, rtol, digits):
    """fused_grads(n=N, add=...) on pieces of a batch: the shares sum to the batch's stats and
    gradients (a summation in another order, so equal to rounding)."""
    model = vae.VAE(hidden=32, z_dim=3, seed=2, dtype=dtype)
    x = digits[0][:50].astype(dtype)
    eps = np.random.default_rng(0).standard_normal((50, 3)).astype(dtype)
    whole = model.fused_grads(x, eps, 0.7)
    grads = {k: g.copy() for k, g in model.grads.items()}
    model.grads["W3"][...] = np.nan  # the first piece replaces, not adds
    shares = [model.fused_grads(x[a:b], eps[a:b], 0.7, n=50, add=a > 0)
              for a, b in ((0, 16), (16, 32), (32, 48), (48, 50))]
    for key in whole:
        assert sum(s[key] for s in shares) == pytest.approx(whole[key], rel=rtol)
    for name in grads:
        scale = np.abs(grads[name]).max()
        np.testing.assert_allclose(model.grads[name], grads[name], rtol=rtol, atol=rtol * scale)
