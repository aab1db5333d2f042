"""Train the page's warm-start VAEs and record training histories.

Writes into ``py/elbo_lab/``:

- ``pretrained_beta1.npz``, ``pretrained_beta4.npz``: the default VAE
  (64-256-2, ReLU, Bernoulli likelihood, float64 training) trained on the
  1,437 training digits (binarised at count >= 8, ``data.load_split()``) for
  EPOCHS epochs with Adam (lr 1e-3, batch 128, seed 0) at beta = 1 and 4.
  Weights are stored as float32; the metadata (``meta``) records the settings
  and the test-set scores of the stored (float32-rounded) weights:
  ``test_neg_elbo`` (mean -ELBO in nats per example, averaged over EVAL_DRAWS
  eps draws from ``default_rng(EVAL_SEED)``), its ``test_recon`` and ``test_kl``,
  and ``test_log_px`` (IWAE estimate with IWAE_K samples, ``default_rng(EVAL_SEED)``).
- ``histories.npz``: per-epoch training means and test-set values (one fixed
  eps draw) of recon and kl, in nats per example, for the runs "no_warmup"
  (beta = 1), "warmup" (beta ramps from 0 to 1 over WARMUP_EPOCHS epochs) and
  "beta4" (beta = 4). Keys are ``run/field``, float32.

Deterministic: a second run writes identical arrays (on the same machine and
BLAS; other CPUs may round matrix products differently). Takes about 30 s.

    python scripts/pretrain.py
"""

import pathlib
import time

import numpy as np

from elbo_lab import data, vae

OUT = pathlib.Path(__file__).resolve().parent.parent / "py" / "elbo_lab"
EPOCHS = 500
WARMUP_EPOCHS = 100
SEED = 0
EVAL_SEED = 1
EVAL_DRAWS = 10
IWAE_K = 1000
FIELDS = ("recon", "kl", "test_recon", "test_kl", "beta")


def score(model, X_test):
    """Test-set -ELBO and IWAE log p(x) of a model, in nats per example."""
    scores = vae.evaluate(model, X_test, np.random.default_rng(EVAL_SEED), n_draws=EVAL_DRAWS)
    log_px = model.log_px(X_test, IWAE_K, np.random.default_rng(EVAL_SEED))
    return {"test_neg_elbo": scores["neg_elbo"], "test_recon": scores["recon"],
            "test_kl": scores["kl"], "test_log_px": float(log_px.mean())}


def run(beta, warmup_epochs, X_train, X_test):
    model = vae.VAE(seed=SEED)
    records = list(vae.train(model, X_train, EPOCHS, batch_size=128, lr=1e-3, beta=beta,
                             seed=SEED, warmup_epochs=warmup_epochs, X_test=X_test))
    history = {field: np.array([r[field] for r in records], np.float32) for field in FIELDS}
    history["epoch"] = np.array([r["epoch"] for r in records], np.float32)
    return model, history


def main():
    X_train, _, X_test, _ = data.load_split()
    histories = {}
    for name, beta, warmup in (("no_warmup", 1.0, 0), ("warmup", 1.0, WARMUP_EPOCHS), ("beta4", 4.0, 0)):
        start = time.perf_counter()
        model, histories[name] = run(beta, warmup, X_train, X_test)
        print(f"{name:10s} beta={beta} warmup_epochs={warmup}: {EPOCHS} epochs in "
              f"{time.perf_counter() - start:.1f} s; final test -ELBO (fixed eps) "
              f"{histories[name]['test_recon'][-1] + histories[name]['test_kl'][-1]:.2f} nats")
        if warmup:
            continue
        label = "beta1" if beta == 1.0 else "beta4"
        path = OUT / f"pretrained_{label}.npz"
        meta = {"beta": beta, "epochs": EPOCHS, "seed": SEED, "lr": 1e-3, "batch_size": 128,
                "warmup_epochs": 0, "eval_seed": EVAL_SEED, "eval_draws": EVAL_DRAWS,
                "iwae_k": IWAE_K, "script": "scripts/pretrain.py"}
        vae.save_weights(model, path, meta=meta)
        stored, _ = vae.load_weights(path)  # score the float32-rounded weights
        meta.update(score(stored, X_test))
        vae.save_weights(stored, path, meta=meta)
        print(f"  wrote {path.name} ({path.stat().st_size} bytes): "
              + ", ".join(f"{k} {v:.3f}" for k, v in meta.items() if k.startswith("test_")))
    arrays = {f"{run_name}/{field}": values
              for run_name, history in histories.items() for field, values in history.items()}
    path = OUT / "histories.npz"
    np.savez_compressed(path, **arrays)
    print(f"wrote {path.name} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
