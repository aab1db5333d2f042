"""Training the VAE: one Adam step, whole runs (deterministic, with records, warm-up, a test set,
stopped and continued, step by step), the test-set scores, and the errors."""

import numpy as np
import pytest

from elbo_lab import data, training, vae
from elbo_lab.optim import Adam

from repo import assert_raises_naming


def test_train_step_is_one_adam_step_on_the_loss(digits):
    model = vae.VAE(hidden=16, seed=3)
    twin = vae.VAE(hidden=16, seed=3)
    x = digits[0][:20]
    eps = np.random.default_rng(1).standard_normal((20, 2))
    opt, twin_opt = Adam(model.params), Adam({k: v.copy() for k, v in twin.params.items()})
    stats = training.train_step(model, opt, x, eps, 1.0)
    twin_stats, grads = twin.loss_and_grads(x, eps, 1.0)
    twin_opt.step(grads)
    assert stats["loss"] == pytest.approx(twin_stats["loss"], rel=1e-12)
    for name in model.params:
        np.testing.assert_allclose(model.params[name], twin_opt.params[name], rtol=1e-9, atol=1e-15)


# -- whole runs ----------------------------------------------------------------------


def run(seed, epochs=3, **kwargs):
    X = data.load_split()[0][:300]
    model = vae.VAE(hidden=32, seed=0)
    return list(training.train(model, X, epochs, batch_size=64, seed=seed, **kwargs)), model


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
    records = list(training.train(model, X_train[:200], 4, batch_size=64, X_test=X_test[:50]))
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
    gen = training.train(model, X, 100, batch_size=50, optimizer=opt)
    next(gen)
    gen.close()  # stopped after one epoch
    assert opt.t == 2
    record = next(training.train(model, X, 1, batch_size=50, optimizer=opt, lr=5e-4))
    assert opt.t == 4 and opt.lr == 5e-4 and record["step"] == 2


def test_yield_steps_gives_the_same_records_bit_for_bit(digits):
    X_train, _, X_test, _ = digits
    kwargs = dict(batch_size=128, lr=3e-3, beta=2.0, seed=5, warmup_epochs=1, X_test=X_test)
    model_a = vae.VAE(784, 128, 3, seed=5, dtype=np.float32)
    model_b = vae.VAE(784, 128, 3, seed=5, dtype=np.float32)
    plain = list(training.train(model_a, X_train, 3, **kwargs))
    steps = list(training.train(model_b, X_train, 3, yield_steps=True, **kwargs))
    assert len(steps) == 3 * 71  # 9,000 digits in batches of 128: 71 steps per epoch
    records = [r for r in steps if r is not None]
    assert [i for i, r in enumerate(steps) if r is not None] == [70, 141, 212]
    assert records == plain  # every float identical
    np.testing.assert_array_equal(model_a.flat, model_b.flat)


def test_pieces_of_a_batch_change_only_the_rounding_and_yield_between(digits):
    """With piece_rows the records are bit for bit the same with or without yield_steps, a
    PIECE is yielded after each piece that ends no step, and the run is the whole-batch run up
    to rounding. That last is checked in float64: in float32 a gradient entry that is a
    cancellation near zero differs between the two summation orders by more than its size,
    and Adam (a step of about lr * g / |g| at first) turns that into a step of up to lr; on an
    AMD EPYC's OpenBLAS the float32 runs' weights end 0.03 apart (test KL 8e-4 relative),
    the float64 runs' 1e-15."""
    X_train, _, X_test, _ = digits
    kwargs = dict(batch_size=128, lr=3e-3, beta=2.0, seed=5, warmup_epochs=1, X_test=X_test)
    models = [vae.VAE(784, 128, 3, seed=5, dtype=np.float32) for _ in range(2)]
    plain = list(training.train(models[0], X_train, 1, piece_rows=32, **kwargs))
    units = list(training.train(models[1], X_train, 1, piece_rows=32, yield_steps=True, **kwargs))
    # 70 batches of 128 rows in 4 pieces, the last batch of 40 in 2, the 1,000 test digits'
    # loss in 8 pieces of 128: a PIECE after each piece but a step's last, and after the
    # epoch's last step, before its test loss
    kinds = [training.PIECE if u is training.PIECE else None if u is None else "record"
             for u in units]
    assert kinds.count(None) == 70 and kinds.count("record") == 1 and kinds[-1] == "record"
    assert kinds.count(training.PIECE) == 70 * 3 + 1 + 1 + 7
    assert kinds[:4] == [training.PIECE] * 3 + [None]
    assert [u for u in units if isinstance(u, dict)] == plain
    np.testing.assert_array_equal(models[0].flat, models[1].flat)
    pieced64, whole64 = (vae.VAE(784, 128, 3, seed=5, dtype=np.float64) for _ in range(2))
    pieced = list(training.train(pieced64, X_train, 1, piece_rows=32, **kwargs))
    whole = list(training.train(whole64, X_train, 1, **kwargs))
    for key, value in whole[0].items():
        assert pieced[0][key] == pytest.approx(value, rel=1e-10), key
    np.testing.assert_allclose(pieced64.flat, whole64.flat, rtol=0, atol=1e-12)


# -- bad arguments -------------------------------------------------------------------


def bad_calls():
    """(id, call, message pattern, the ParamError's param) for every bad argument of training."""
    X = data.load_split()[0][:10]
    rng = np.random.default_rng(0)
    m = vae.VAE(hidden=8)
    nan_x = X.copy()
    nan_x[0, 0] = np.nan
    grey = 0.75 * data.load_split()[0][:10]  # grey levels: not what the model takes
    shape = r"must have shape \(N, 784\)"
    not_binary = (r"x must be binary \(0 or 1\); use elbo_lab\.data\.load_digits\(\), "
                  r"which binarises at grey level > 0\.5")
    return [
        ("evaluate x grey levels", lambda: training.evaluate(m, grey, rng), not_binary, "x"),
        ("train X grey levels", lambda: training.train(m, grey, 1), not_binary, "x"),
        ("train X_test grey levels", lambda: training.train(m, X, 1, X_test=grey), not_binary, "x"),
        ("train lr zero", lambda: training.train(m, X, 1, lr=0), "lr must be greater than 0", "lr"),
        ("train lr negative", lambda: training.train(m, X, 1, lr=-1e-3), "lr must be greater than 0", "lr"),
        ("train epochs zero", lambda: training.train(m, X, 0), "epochs must be a whole number of at least 1",
         "epochs"),
        ("train batch zero", lambda: training.train(m, X, 1, batch_size=0),
         "batch_size must be a whole number of at least 1", "batch_size"),
        ("train piece_rows zero", lambda: training.train(m, X, 1, piece_rows=0),
         "piece_rows must be a whole number of at least 1", "piece_rows"),
        ("train batch float", lambda: training.train(m, X, 1, batch_size=1.5),
         "batch_size must be a whole number", "batch_size"),
        ("train beta negative", lambda: training.train(m, X, 1, beta=-1), "beta must be 0 or more", "beta"),
        ("train warmup negative", lambda: training.train(m, X, 1, warmup_epochs=-1),
         "warmup_epochs must be 0 or more", "warmup_epochs"),
        ("train X NaN", lambda: training.train(m, nan_x, 1), "NaN or infinity", "x"),
        ("train X_test shape", lambda: training.train(m, X, 1, X_test=X[:, :3]), shape, "x"),
        ("train not a model", lambda: training.train("vae", X, 1), "model must be a VAE", "model"),
        ("train other optimizer", lambda: training.train(m, X, 1, optimizer=Adam({"a": np.zeros(1)})),
         "optimizer must be an Adam built on this model's params", "optimizer"),
        ("evaluate n_draws", lambda: training.evaluate(m, X, rng, 0),
         "n_draws must be a whole number of at least 1", "n_draws"),
        ("train_step shapes", lambda: training.train_step(m, Adam(m.params), X, np.zeros((10, 3))),
         r"eps \(N, 2\)", "x"),
    ]


@pytest.mark.parametrize("case", range(len(bad_calls())), ids=[c[0] for c in bad_calls()])
def test_bad_arguments_raise_value_error(case):
    _, call, match, param = bad_calls()[case]
    assert_raises_naming(call, match, param)


def test_train_errors_surface_before_the_first_record():
    with pytest.raises(ValueError, match="epochs"):
        next(training.train(vae.VAE(hidden=8), data.load_split()[0][:10], epochs=-1))
