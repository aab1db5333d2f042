"""Every layer, loss and the optimiser on its own: values and gradient checks.

Gradient checks follow CS231n: central differences in float64, each probed
entry restored, rel_error = max |a - b| / max(1e-8, |a| + |b|) below 1e-6.
"""

import math

import numpy as np
import pytest
from scipy import integrate, stats

import elbo_lab.fastblas  # noqa: F401 - the import installs scipy's gemm for the "blas" backend
from elbo_lab import layers, losses
from elbo_lab.optim import Adam

from gradcheck import numerical_gradient, rel_error

N, D, H, Z = 3, 4, 5, 2


def check_layer(forward, backward, inputs, seed=0):
    """Gradient-check a forward/backward pair through the scalar sum(out * dout)."""
    rng = np.random.default_rng(seed)
    out, cache = forward(*inputs)
    dout = rng.standard_normal(np.shape(out))
    grads = backward(dout, cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert len(grads) == len(inputs)
    for x, dx in zip(inputs, grads, strict=True):
        if dx is None:
            continue
        num = numerical_gradient(lambda: np.sum(forward(*inputs)[0] * dout), x)
        assert rel_error(dx, num) < 1e-6



# -- matmul ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
@pytest.mark.parametrize("use_out", [False, True])
def test_matmul_backends_agree(dtype, trans_a, trans_b, use_out):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((7, 3) if trans_a else (3, 7)).astype(dtype)
    b = rng.standard_normal((5, 7) if trans_b else (7, 5)).astype(dtype)
    expected = (a.T if trans_a else a).astype(np.float64) @ (b.T if trans_b else b)
    for backend in ("numpy", "blas"):
        layers.set_matmul_backend(backend)
        assert layers.get_matmul_backend() == backend
        out = np.full((3, 5), np.nan, dtype) if use_out else None
        got = layers.matmul(a, b, trans_a=trans_a, trans_b=trans_b, out=out)
        if use_out:
            assert got is out
        assert got.shape == (3, 5) and got.dtype == dtype and got.flags.c_contiguous
        np.testing.assert_allclose(got, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_matmul_blas_handles_non_contiguous_input():
    layers.set_matmul_backend("blas")
    a = np.arange(24.0).reshape(4, 6)[:, ::2]  # (4, 3), not contiguous
    b = np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose(layers.matmul(a, b), a @ b)


def test_set_matmul_backend_rejects_unknown_names():
    with pytest.raises(ValueError, match='"numpy" or "blas"'):
        layers.set_matmul_backend("torch")


# -- layers ---------------------------------------------------------------------


def test_affine_forward_value():
    x = np.arange(N * D, dtype=float).reshape(N, D) / 10
    w = np.linspace(-1, 1, D * H).reshape(D, H)
    b = np.linspace(0.5, 1.0, H)
    out, _ = layers.affine_forward(x, w, b)
    np.testing.assert_allclose(out, x @ w + b)


def test_affine_gradients():
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((N, D)), rng.standard_normal((D, H)), rng.standard_normal(H)
    check_layer(layers.affine_forward, layers.affine_backward, (x, w, b))


def test_affine_backward_without_input_gradient():
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((N, D)), rng.standard_normal((D, H)), rng.standard_normal(H)
    out, cache = layers.affine_forward(x, w, b)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = layers.affine_backward(dout, cache, input_grad=False)
    dx_full, dw_full, db_full = layers.affine_backward(dout, cache)
    assert dx is None
    np.testing.assert_array_equal(dw, dw_full)
    np.testing.assert_array_equal(db, db_full)


@pytest.mark.parametrize("name", ["tanh", "relu"])
def test_activation_gradients(name):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((N, H))
    a[np.abs(a) < 0.05] = 0.3  # keep relu away from its kink
    act = layers.ACTIVATIONS[name]
    check_layer(lambda a: layers.activation_forward(a, act), layers.activation_backward, (a,))


@pytest.mark.parametrize("name", ["tanh", "relu"])
def test_activation_derivative_matches_its_output(name):
    act = layers.ACTIVATIONS[name]
    a = np.linspace(-3, 3, 13) + 0.01
    h = 1e-6
    slope = (act.output(a + h) - act.output(a - h)) / (2 * h)
    np.testing.assert_allclose(act.der(act.output(a)), slope, atol=1e-8)
    out = np.empty_like(a)
    assert act.der(act.output(a), out=out) is out
    assert act.output(a, out=out) is out


def test_reparam_gradients_and_eps_is_kept():
    rng = np.random.default_rng(5)
    mu, log_var, eps = rng.standard_normal((N, Z)), rng.standard_normal((N, Z)), rng.standard_normal((N, Z))
    z, cache = layers.reparam_forward(mu, log_var, eps)
    np.testing.assert_allclose(z, mu + np.exp(log_var / 2) * eps)
    assert any(c is eps for c in cache)  # the very same draw is reused backward

    def forward(mu, log_var):
        return layers.reparam_forward(mu, log_var, eps)

    check_layer(forward, layers.reparam_backward, (mu, log_var))


# -- losses ---------------------------------------------------------------------


def test_bernoulli_log_pmf_matches_scipy():
    rng = np.random.default_rng(6)
    logits = rng.standard_normal((N, D)) * 3
    x = rng.integers(0, 2, size=(N, D)).astype(float)
    p = 1 / (1 + np.exp(-logits))
    expected = stats.bernoulli.logpmf(x, p).sum(axis=1)
    np.testing.assert_allclose(losses.bernoulli_log_pmf(logits, x), expected, rtol=1e-12)


def test_bernoulli_log_pmf_broadcasts_over_leading_sample_axes():
    rng = np.random.default_rng(11)
    logits = rng.standard_normal((5, N, D))  # 5 samples of logits for one batch
    x = rng.integers(0, 2, size=(N, D)).astype(float)
    got = losses.bernoulli_log_pmf(logits, x)
    assert got.shape == (5, N)
    for s in range(5):
        np.testing.assert_allclose(got[s], losses.bernoulli_log_pmf(logits[s], x), rtol=1e-15)


def test_bernoulli_pmf_sums_to_one_over_all_binary_images():
    # every x in {0, 1}^D for D = 4: a proper probability mass, no constant left out
    x = ((np.arange(16)[:, None] >> np.arange(4)) & 1).astype(float)  # (16, 4)
    logits = np.array([-4.0, 0.0, 0.7, 5.0])
    total = np.exp(losses.bernoulli_log_pmf(np.tile(logits, (16, 1)), x)).sum()
    assert total == pytest.approx(1.0, abs=1e-12)


def test_bernoulli_loss_is_stable_for_extreme_logits():
    logits = np.array([[-1000.0, 1000.0, -40.0, 40.0]])
    x = np.array([[0.0, 1.0, 1.0, 1.0]])
    loss, cache = losses.bernoulli_nll_forward(logits, x)
    # x=0 at l=-1000 and x=1 at l=1000 cost nothing; x=1 at l=-40 costs softplus(40)
    expected = np.logaddexp(0, 40.0) + np.logaddexp(0, -40.0)
    assert loss == pytest.approx(expected, rel=1e-12)
    assert np.all(np.isfinite(losses.bernoulli_nll_backward(1.0, cache)))


def test_softplus_equals_logaddexp():
    logits = np.concatenate([np.linspace(-800, 800, 4001), [0.0, 1e-300, -1e-300]])
    np.testing.assert_allclose(losses.softplus(logits), np.logaddexp(0.0, logits), rtol=1e-14, atol=0)


def test_sigmoid_is_stable_and_accurate_in_absolute_terms():
    # its uses (p - x, the mean image) need absolute, not relative, accuracy
    logits = np.array([-1000.0, -30.0, -1.0, 0.0, 2.5, 30.0, 1000.0])
    np.testing.assert_allclose(losses.sigmoid(logits), 1 / (1 + np.exp(-np.clip(logits, -700, 700))),
                               rtol=0, atol=2e-16)


def test_bernoulli_nll_gradient():
    rng = np.random.default_rng(7)
    logits = rng.standard_normal((N, D))
    x = rng.integers(0, 2, size=(N, D)).astype(float)
    loss, cache = losses.bernoulli_nll_forward(logits, x)
    dlogits = losses.bernoulli_nll_backward(1.0, cache)
    num = numerical_gradient(lambda: losses.bernoulli_nll_forward(logits, x)[0], logits)
    assert rel_error(dlogits, num) < 1e-6
    np.testing.assert_allclose(dlogits, (1 / (1 + np.exp(-logits)) - x) / N, rtol=1e-12)


def test_gaussian_kl_matches_the_multivariate_formula():
    rng = np.random.default_rng(8)
    mu, log_var = rng.standard_normal((N, 3)), rng.standard_normal((N, 3))
    kl, _ = losses.gaussian_kl_forward(mu, log_var)
    per_example = []
    for m, lv in zip(mu, log_var):  # 0.5 (tr S + m'm - k - log det S), S full
        S = np.diag(np.exp(lv))
        per_example.append(0.5 * (np.trace(S) + m @ m - 3 - np.linalg.slogdet(S)[1]))
    assert kl == pytest.approx(np.mean(per_example), rel=1e-12)


def test_gaussian_kl_matches_quadrature_in_one_dimension():
    mu, log_var = 0.8, -1.3
    sd = math.exp(log_var / 2)

    def integrand(z):
        log_q = stats.norm.logpdf(z, mu, sd)
        return math.exp(log_q) * (log_q - stats.norm.logpdf(z))

    expected, _ = integrate.quad(integrand, mu - 15 * sd, mu + 15 * sd, epsabs=1e-13)
    kl, _ = losses.gaussian_kl_forward(np.array([[mu]]), np.array([[log_var]]))
    assert kl == pytest.approx(expected, rel=1e-9)


def test_gaussian_kl_gradient():
    rng = np.random.default_rng(9)
    mu, log_var = rng.standard_normal((N, Z)), rng.standard_normal((N, Z))
    _, cache = losses.gaussian_kl_forward(mu, log_var)
    dmu, dlog_var = losses.gaussian_kl_backward(1.7, cache)
    for x, dx in ((mu, dmu), (log_var, dlog_var)):
        num = numerical_gradient(lambda: 1.7 * losses.gaussian_kl_forward(mu, log_var)[0], x)
        assert rel_error(dx, num) < 1e-6


# -- Adam -----------------------------------------------------------------------


def textbook_adam(p, grads_seq, lr, b1=0.9, b2=0.999, eps=1e-8):
    m, v = np.zeros_like(p), np.zeros_like(p)
    p = p.copy()
    for t, g in enumerate(grads_seq, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return p


@pytest.mark.parametrize("flat", [False, True])
def test_adam_matches_the_textbook_update(flat):
    rng = np.random.default_rng(10)
    w0, b0 = rng.standard_normal((3, 4)), rng.standard_normal(4)
    if flat:
        buf = np.concatenate([w0.ravel(), b0])
        params = {"w": buf[:12].reshape(3, 4), "b": buf[12:]}
        gbuf = np.zeros(16)
        grads = {"w": gbuf[:12].reshape(3, 4), "b": gbuf[12:]}
    else:
        params = {"w": w0.copy(), "b": b0.copy()}
        grads = {"w": np.zeros((3, 4)), "b": np.zeros(4)}
    opt = Adam(params, lr=0.01)
    assert (opt._flat is not None) == flat
    gw_seq, gb_seq = [], []
    for _ in range(5):
        gw, gb = rng.standard_normal((3, 4)), rng.standard_normal(4)
        grads["w"][...], grads["b"][...] = gw, gb
        gw_seq.append(gw)
        gb_seq.append(gb)
        opt.step(grads)
    np.testing.assert_allclose(params["w"], textbook_adam(w0, gw_seq, 0.01), rtol=1e-12)
    np.testing.assert_allclose(params["b"], textbook_adam(b0, gb_seq, 0.01), rtol=1e-12)
    assert opt.t == 5


def test_adam_minimises_a_quadratic():
    params = {"x": np.array([3.0, -2.0])}
    opt = Adam(params, lr=0.1)
    for _ in range(500):
        opt.step({"x": 2 * params["x"]})
    assert np.abs(params["x"]).max() < 1e-2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lr": 0.0}, "lr must be greater than 0"),
        ({"lr": -1e-3}, "lr must be greater than 0"),
        ({"lr": float("nan")}, "lr must be a finite number"),
        ({"beta1": 1.0}, r"beta1 must be in \[0, 1\)"),
        ({"beta2": -0.1}, r"beta2 must be in \[0, 1\)"),
        ({"eps": 0.0}, "eps must be greater than 0"),
    ],
)
def test_adam_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Adam({"x": np.zeros(2)}, **kwargs)


def test_adam_rejects_mismatched_gradients():
    opt = Adam({"x": np.zeros(2)})
    with pytest.raises(ValueError, match=r"grads\['x'\] has shape \(3,\)"):
        opt.step({"x": np.zeros(3)})
