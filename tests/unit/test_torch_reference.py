"""The numpy VAE against the same VAE in PyTorch (bench/torch_reference.py), trained identically.

Both start from the same initial weights (copied), see the same shuffles and the same eps
for every batch (the reference replays ``training.train``'s random stream) and use Adam
with the same settings, on the 9,000 MNIST training digits with the default 784-128-2
ReLU VAE. After each of the first few epochs their test-set -ELBO, on the same eps draws,
must agree within 0.5 nats: the numpy model trains as PyTorch does. Needs torch
(``pip install torch==2.13.0``); skipped without it.
"""

import importlib.util

import numpy as np
import pytest

from elbo_lab import data, training, vae

from repo import ROOT

torch = pytest.importorskip("torch")

EPOCHS = 3
SEED = 0
TOLERANCE = 0.5  # nats per example, the budget for numpy against PyTorch


def load_bench(name):
    """bench/<name>.py, imported as a module (it runs nothing on import)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def one_thread():
    """One BLAS and one torch thread, as the benchmark runs: threads that spin-wait for each
    other on a busy two-core machine make training several times slower. Restored after."""
    torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: the test is right either way, only slower
        limits = None
    else:
        limits = threadpool_limits(1, user_api="blas")
    yield
    if limits is not None:
        limits.restore_original_limits()
    torch.set_num_threads(torch_threads)


def numpy_neg_elbo(model, X, eps_draws):
    """Mean -ELBO over the rows of X and the eps draws, computed by the numpy model."""
    stats = [model.loss(X, eps) for eps in eps_draws]
    return float(np.mean([s["recon"] + s["kl"] for s in stats]))


def test_numpy_and_torch_reach_the_same_test_neg_elbo_at_the_same_epochs(digits, one_thread):
    ref = load_bench("torch_reference")
    X_train, _, X_test, _ = digits
    eps_draws = list(np.random.default_rng(1).standard_normal((3, len(X_test), 2)))
    model = vae.VAE(data.N_PIXELS, 128, 2, seed=SEED)
    untrained = numpy_neg_elbo(model, X_test, eps_draws)

    curves = {"numpy": [], "torch64": [], "torch32": []}
    tmodels = {"torch64": ref.TorchVAE(model, dtype=torch.float64),  # copies of the initial weights
               "torch32": ref.TorchVAE(model, dtype=torch.float32)}
    epochs = []
    for record in training.train(model, X_train, EPOCHS, batch_size=128, lr=1e-3, beta=1.0, seed=SEED):
        epochs.append(record["epoch"])
        curves["numpy"].append(numpy_neg_elbo(model, X_test, eps_draws))
    for label, tmodel in tmodels.items():
        torch_epochs = []
        for epoch in ref.train_like_numpy(tmodel, X_train, EPOCHS, batch_size=128, lr=1e-3, beta=1.0, seed=SEED):
            torch_epochs.append(epoch)
            curves[label].append(ref.neg_elbo(tmodel, X_test, eps_draws))
        assert torch_epochs == epochs == list(range(1, EPOCHS + 1))

    ours = np.array(curves["numpy"])
    # the runs really trained: -ELBO falls every epoch, far below the untrained model's
    assert np.all(np.diff(ours) < 0), curves
    assert ours[-1] < untrained - 100, (untrained, curves)
    for label in tmodels:
        gap = np.abs(ours - np.array(curves[label]))
        assert np.all(gap <= TOLERANCE), (label, curves)
    # the torch model copies back into numpy unchanged: numpy scores its weights as torch does
    back = tmodels["torch64"].to_numpy()
    assert numpy_neg_elbo(back, X_test, eps_draws) == pytest.approx(curves["torch64"][-1], abs=1e-9)
