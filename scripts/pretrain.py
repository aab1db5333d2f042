"""Train the page's pretrained VAEs and record training histories (MNIST, 28x28).

Writes into ``py/elbo_lab/``:

- ``pretrained_beta1.npz``, ``pretrained_beta4.npz``: the default VAE
  (784-128-2, ReLU, Bernoulli likelihood, float64 training) trained on the
  9,000 training digits (``data.load_split()``) for EPOCHS epochs with Adam
  (lr 1e-3, batch 128, seed 0) at beta = 1 and 4. The weights are stored as
  float16 when that moves the test -ELBO by less than FLOAT16_TOLERANCE nats
  (measured here, on the same eps draws), else as float32; the metadata
  (``meta``) records the settings, that shift, and the test-set scores of the
  stored weights: ``test_neg_elbo`` (mean -ELBO in nats per example, averaged
  over EVAL_DRAWS eps draws from ``default_rng(EVAL_SEED)``), its ``test_recon``
  and ``test_kl``, and ``test_log_px`` (IWAE estimate with IWAE_K samples,
  ``default_rng(EVAL_SEED)``).
- ``histories.npz``: per-epoch training means and test-set values (one fixed
  eps draw) of recon and kl, in nats per example, for the runs "no_warmup"
  (beta = 1), "warmup" (beta ramps from 0 to 1 over WARMUP_EPOCHS epochs) and
  "beta4" (beta = 4). Keys are ``run/field``, float32.

Deterministic: a second run writes identical bytes (on the same machine and
BLAS; other CPUs may round matrix products differently). Takes about 5 minutes
on two cores.

    python scripts/pretrain.py
"""

import pathlib
import time

import numpy as np

from elbo_lab import data, importance, training, vae

OUT = pathlib.Path(__file__).resolve().parent.parent / "py" / "elbo_lab"
HIDDEN = 128
EPOCHS = 100
WARMUP_EPOCHS = 20
SEED = 0
LR = 1e-3
BATCH_SIZE = 128
EVAL_SEED = 1
EVAL_DRAWS = 10
IWAE_K = 1000
FLOAT16_TOLERANCE = 0.05  # nats of test -ELBO that storing as float16 may cost
FIELDS = ("recon", "kl", "test_recon", "test_kl", "beta")
RUNS = (("no_warmup", 1.0, 0), ("warmup", 1.0, WARMUP_EPOCHS), ("beta4", 4.0, 0))


def score(model, X_test):
    """Test-set -ELBO (its recon and kl) and IWAE log p(x), in nats per example."""
    scores = training.evaluate(model, X_test, np.random.default_rng(EVAL_SEED), n_draws=EVAL_DRAWS)
    log_px = importance.estimate(model, X_test, IWAE_K, np.random.default_rng(EVAL_SEED))["log_px"]
    return {"test_neg_elbo": scores["neg_elbo"], "test_recon": scores["recon"],
            "test_kl": scores["kl"], "test_log_px": float(np.mean(log_px))}


def neg_elbo(model, X_test):
    return training.evaluate(model, X_test, np.random.default_rng(EVAL_SEED),
                             n_draws=EVAL_DRAWS)["neg_elbo"]


def run(beta, warmup_epochs, X_train, X_test, epochs=EPOCHS):
    """Train one model; returns it and its per-epoch history (float32 arrays)."""
    model = vae.VAE(data.N_PIXELS, HIDDEN, 2, seed=SEED)
    records = list(training.train(model, X_train, epochs, batch_size=BATCH_SIZE, lr=LR,
                                  beta=beta, seed=SEED, warmup_epochs=warmup_epochs,
                                  X_test=X_test))
    history = {field: np.array([r[field] for r in records], np.float32) for field in FIELDS}
    history["epoch"] = np.array([r["epoch"] for r in records], np.float32)
    return model, history


def store(model, label, beta, X_test):
    """Write the model as float16 if that costs < FLOAT16_TOLERANCE nats, else float32."""
    path = OUT / f"pretrained_{label}.npz"
    meta = {"beta": beta, "epochs": EPOCHS, "seed": SEED, "lr": LR, "batch_size": BATCH_SIZE,
            "hidden": HIDDEN, "warmup_epochs": 0, "eval_seed": EVAL_SEED,
            "eval_draws": EVAL_DRAWS, "iwae_k": IWAE_K, "script": "scripts/pretrain.py"}
    full = neg_elbo(model, X_test)
    vae.save_weights(model, path, dtype=np.float16)
    shift = neg_elbo(vae.load_weights(path)[0], X_test) - full
    dtype = np.float16 if abs(shift) < FLOAT16_TOLERANCE else np.float32
    meta.update(stored_as=np.dtype(dtype).name, float16_shift=shift, float64_neg_elbo=full)
    vae.save_weights(model, path, dtype=dtype)
    stored, _ = vae.load_weights(path)  # score the weights as stored
    meta.update(score(stored, X_test))
    vae.save_weights(model, path, meta=meta, dtype=dtype)
    print(f"  wrote {path.name} ({path.stat().st_size} bytes, {meta['stored_as']}; float16 "
          f"moves the test -ELBO by {shift:+.4f} nats): "
          + ", ".join(f"{k} {v:.3f}" for k, v in meta.items() if k.startswith("test_")))


def main():
    X_train, _, X_test, _ = data.load_split()
    histories = {}
    for name, beta, warmup in RUNS:
        start = time.perf_counter()
        model, histories[name] = run(beta, warmup, X_train, X_test)
        print(f"{name:10s} beta={beta} warmup_epochs={warmup}: {EPOCHS} epochs in "
              f"{time.perf_counter() - start:.1f} s; final test -ELBO (fixed eps) "
              f"{histories[name]['test_recon'][-1] + histories[name]['test_kl'][-1]:.2f} nats")
        if not warmup:
            store(model, "beta1" if beta == 1.0 else "beta4", beta, X_test)
    arrays = {f"{run_name}/{field}": values
              for run_name, history in histories.items() for field, values in history.items()}
    path = OUT / "histories.npz"
    np.savez_compressed(path, **arrays)
    print(f"wrote {path.name} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
