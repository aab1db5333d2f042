"""Native benchmark: the numpy VAE against the same VAE in PyTorch, side by side.

(a) Train step (forward + backward + Adam, batch 128, 64-256-2, ReLU, Bernoulli
    loss on the binarised digits): median time per step over many repetitions,
    numpy and torch interleaved in one process, one BLAS/torch thread each
    (``--threads``).
(c) Test-set -ELBO after 100 and 200 epochs: numpy (float64) against torch
    trained identically: the same initial weights (copied), the same shuffles and
    the same eps for every batch, ReLU, Adam lr 1e-3, batch 128, beta 1, Bernoulli
    likelihood on the digits binarised at count >= 8. The -ELBO is the
    mean per test example in nats, averaged over 10 eps draws from
    ``np.random.default_rng(1)`` (the same draws for both). Several training seeds
    show the seed-to-seed spread.

(b), the step inside Pyodide, is timed in the browser harness; time
``elbo_lab.training.train_step(model, opt, x, eps, beta)`` there
(bench/bench_vae_pyodide.py).

    python bench/bench_vae_native.py            # full run, about 2 minutes
    python bench/bench_vae_native.py --quick    # smoke run, seconds

PyTorch is optional (``pip install torch==2.13.0``): without it only the numpy
rows are printed, and the numpy -ELBO is computed with numpy.
"""

import argparse
import os
import sys

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--quick", action="store_true", help="short smoke run")
parser.add_argument("--threads", type=int, default=1, help="BLAS and torch threads (default 1)")
args = parser.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)  # before numpy is imported

import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from elbo_lab import data, training, vae  # noqa: E402
from elbo_lab.optim import Adam  # noqa: E402

try:
    import torch
except ImportError:  # optional: the numpy half still runs
    torch = None
else:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from torch_reference import TorchVAE, neg_elbo, train_like_numpy

    torch.set_num_threads(args.threads)
try:
    from threadpoolctl import threadpool_info, threadpool_limits

    threadpool_limits(args.threads)
    blas = ", ".join(f"{i['internal_api']} {i['num_threads']} thread(s)" for i in threadpool_info())
except ImportError:
    blas = f"OPENBLAS_NUM_THREADS={args.threads}"


def time_steps(step, n):
    times = np.empty(n)
    for i in range(n):
        t0 = time.perf_counter()
        step()
        times[i] = time.perf_counter() - t0
    return times


def numpy_stepper(X, dtype):
    model = vae.VAE(dtype=dtype)
    opt = Adam(model.params)
    x = X[:128].astype(dtype)
    eps = np.random.default_rng(0).standard_normal((128, 2)).astype(dtype)
    return lambda: training.train_step(model, opt, x, eps, 1.0)


def torch_stepper(X, dtype, **adam_kwargs):
    tmodel = TorchVAE(vae.VAE(), dtype=dtype)
    opt = torch.optim.Adam(tmodel.parameters(), lr=1e-3, **adam_kwargs)
    x = torch.tensor(X[:128], dtype=dtype)
    eps = torch.tensor(np.random.default_rng(0).standard_normal((128, 2)), dtype=dtype)

    def step():
        opt.zero_grad()
        recon, kl = tmodel.terms(x, eps)
        (recon + kl).backward()
        opt.step()

    return step


def bench_step(X_train):
    rounds, per_round = (5, 40) if args.quick else (30, 200)
    contenders = {
        "numpy float64 (default)": numpy_stepper(X_train, np.float64),
        "numpy float32": numpy_stepper(X_train, np.float32),
    }
    if torch is not None:
        contenders.update({
            "torch float32, Adam default": torch_stepper(X_train, torch.float32),
            "torch float32, Adam fused": torch_stepper(X_train, torch.float32, fused=True),
            "torch float64, Adam default": torch_stepper(X_train, torch.float64),
            "torch float64, Adam fused": torch_stepper(X_train, torch.float64, fused=True),
        })
    for step in contenders.values():  # warm up
        time_steps(step, 50)
    times = {name: [] for name in contenders}
    for _ in range(rounds):  # interleave, so drift hits everyone alike
        for name, step in contenders.items():
            times[name].append(time_steps(step, per_round))
    med = {name: float(np.median(np.concatenate(t))) * 1e3 for name, t in times.items()}
    print(f"\n(a) train step, batch 128, 64-256-2 relu, Bernoulli loss, Adam: "
          f"median of {rounds * per_round} steps, interleaved")
    print(f"    threads: torch {torch.get_num_threads() if torch else '(not installed)'}; numpy BLAS: {blas}")
    print(f"    {'':34s} {'ms/step':>8s}")
    for name, ms in med.items():
        print(f"    {name:34s} {ms:8.3f}")
    if torch is None:
        print("    no torch: the ratios to PyTorch need `pip install torch==2.13.0`", flush=True)
        return
    best = {p: min(ms for n, ms in med.items() if n.startswith(f"torch {p}")) for p in ("float32", "float64")}
    print("    ratios numpy / fastest torch (budget <= 0.8):")
    pairs = [("numpy float64 (default)", "float32"), ("numpy float64 (default)", "float64"),
             ("numpy float32", "float32")]
    for np_name, tp in pairs:
        ratio = med[np_name] / best[tp]
        print(f"      {np_name:26s} / torch {tp}: {ratio:5.2f}  {'ok' if ratio <= 0.8 else 'OVER BUDGET'}")


def numpy_neg_elbo(model, X, eps_draws):
    """Mean test -ELBO over the rows of X and the given eps draws, computed in numpy."""
    stats = [model.loss(X, eps) for eps in eps_draws]
    return float(np.mean([s["recon"] + s["kl"] for s in stats]))


def bench_elbo(X_train, X_test):
    checkpoints = (5, 10) if args.quick else (100, 200)
    seeds = (0,) if args.quick else (0, 1, 2)
    eps_draws = [d for d in np.random.default_rng(1).standard_normal((10, len(X_test), 2))]
    rows = []
    for seed in seeds:
        row = {"seed": seed}
        model = vae.VAE(seed=seed)
        init = vae.VAE(seed=seed)
        for r in training.train(model, X_train, checkpoints[-1], seed=seed):
            if r["epoch"] in checkpoints:
                if torch is None:
                    row[("numpy", r["epoch"])] = numpy_neg_elbo(model, X_test, eps_draws)
                    continue
                t = TorchVAE(model, dtype=torch.float64)  # evaluate in torch too: same numbers
                row[("numpy", r["epoch"])] = neg_elbo(t, X_test, eps_draws)
        for label, dtype in (() if torch is None else (("torch32", torch.float32), ("torch64", torch.float64))):
            tmodel = TorchVAE(init, dtype=dtype)
            for epoch in train_like_numpy(tmodel, X_train, checkpoints[-1], seed=seed):
                if epoch in checkpoints:
                    row[(label, epoch)] = neg_elbo(tmodel, X_test, eps_draws)
        rows.append(row)
    print(f"\n(c) test -ELBO, nats per example (360 test digits, mean over 10 fixed eps draws), "
          f"after {checkpoints[0]} / {checkpoints[1]} epochs")
    print("    identical init, shuffles and eps per batch for numpy and torch; Adam 1e-3, batch 128, beta 1")
    if torch is None:
        print("    no torch: numpy only")
        print(f"    {'seed':>4s} {'epochs':>6s} {'numpy f64':>10s}")
        for row in rows:
            for e in checkpoints:
                print(f"    {row['seed']:4d} {e:6d} {row[('numpy', e)]:10.3f}")
        return
    print(f"    {'seed':>4s} {'epochs':>6s} {'numpy f64':>10s} {'torch f32':>10s} {'torch f64':>10s} "
          f"{'np - t32':>9s} {'np - t64':>9s}")
    worst = 0.0
    for row in rows:
        for e in checkpoints:
            a, b, c = row[("numpy", e)], row[("torch32", e)], row[("torch64", e)]
            worst = max(worst, abs(a - b), abs(a - c))
            print(f"    {row['seed']:4d} {e:6d} {a:10.3f} {b:10.3f} {c:10.3f} {a - b:+9.3f} {a - c:+9.3f}")
    for e in checkpoints:
        for label in ("numpy", "torch32"):
            vals = [row[(label, e)] for row in rows]
            print(f"    mean over seeds, {label:7s} {e:3d} epochs: {np.mean(vals):.3f} "
                  f"(seed spread {np.ptp(vals):.3f})")
    print(f"    largest |numpy - torch|: {worst:.3f} nats  (budget 0.5: {'ok' if worst <= 0.5 else 'OVER'})")


def main():
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"torch {torch.__version__ if torch else 'not installed'}, "
          f"{platform.machine()}, {os.cpu_count()} cpus" + ("  [--quick]" if args.quick else ""))
    X_train, _, X_test, _ = data.load_split()
    bench_step(X_train)
    bench_elbo(X_train, X_test)


if __name__ == "__main__":
    main()
