"""Native benchmark: the numpy VAE against the same VAE in PyTorch, side by side.

(a) Train step (forward + backward + Adam, batch 128, 784-128-2, ReLU, Bernoulli
    loss on the binarised MNIST digits): median time per step over many
    repetitions, numpy and torch interleaved in one process, one BLAS/torch
    thread each (``--threads``).
(c) Test-set -ELBO after 10 and 20 epochs (seeds 0, 1, 2) and after 100 epochs
    (seed 0 only, the length of ``scripts/pretrain.py``'s runs): numpy (float64)
    against torch (float32 and float64) trained identically: the same initial
    weights (copied), the same shuffles and the same eps for every batch, ReLU,
    Adam lr 1e-3, batch 128, beta 1, Bernoulli likelihood on the 9,000 training
    digits binarised at grey level > 0.5. The -ELBO is the mean per test example
    (1,000 test digits) in nats, averaged over 10 eps draws from
    ``np.random.default_rng(1)`` (the same draws for all, and the same as
    ``scripts/pretrain.py``'s EVAL_DRAWS from EVAL_SEED). Several training seeds
    show the seed-to-seed spread. A numpy float32 run, trained identically, is a
    control: how far float32 rounding alone moves the -ELBO, with no torch involved.
(d) The pretrained models' recorded test -ELBO and IWAE log p(x) (k = 1000, from
    ``load_pretrained(name).meta``) next to the same two numbers for the
    torch-trained models of (c) after 100 epochs (seed 0, as pretraining; the
    IWAE estimate is computed with ``importance.estimate`` on the torch weights,
    with pretraining's k and ``default_rng(1)``), and the numpy run's -ELBO,
    which should equal the pretrained beta1 model's float64 -ELBO. Only beta = 1
    is trained here: the beta4 row is the recorded numbers alone.

(b), the step inside Pyodide, is timed in the browser harness; time
``elbo_lab.training.train_step(model, opt, x, eps, beta)`` there
(bench/bench_vae_pyodide.py).

    python bench/bench_vae_native.py            # full run, about 8 minutes on 2 cores
    python bench/bench_vae_native.py --quick    # smoke run, under a minute: 2 and 4 epochs, one
                                                # seed, (d) at 4 epochs with k = 50

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

from elbo_lab import data, importance, training, vae  # noqa: E402
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


SIZES = (data.N_PIXELS, 128, 2)  # the default VAE, as pretrained: 784-128-2


def time_steps(step, n):
    times = np.empty(n)
    for i in range(n):
        t0 = time.perf_counter()
        step()
        times[i] = time.perf_counter() - t0
    return times


def numpy_stepper(X, dtype):
    model = vae.VAE(*SIZES, dtype=dtype)
    opt = Adam(model.params)
    x = X[:128].astype(dtype)
    eps = np.random.default_rng(0).standard_normal((128, 2)).astype(dtype)
    return lambda: training.train_step(model, opt, x, eps, 1.0)


def torch_stepper(X, dtype, **adam_kwargs):
    tmodel = TorchVAE(vae.VAE(*SIZES), dtype=dtype)
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
    # an MNIST step takes 10 to 20 ms: 400 steps per contender keep (a) under a minute
    rounds, per_round, warmup = (2, 10, 5) if args.quick else (10, 40, 20)
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
        time_steps(step, warmup)
    times = {name: [] for name in contenders}
    for _ in range(rounds):  # interleave, so drift hits everyone alike
        for name, step in contenders.items():
            times[name].append(time_steps(step, per_round))
    med = {name: float(np.median(np.concatenate(t))) * 1e3 for name, t in times.items()}
    print(f"\n(a) train step, batch 128, {'-'.join(map(str, SIZES))} relu, Bernoulli loss, Adam: "
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


def bench_elbo(X_train, X_test, eps_draws, long_epochs):
    """(c): rows of test -ELBO per seed and epoch, and the seed-0 torch models after ``long_epochs``."""
    checkpoints = (2, 4) if args.quick else (10, 20)
    seeds = (0,) if args.quick else (0, 1, 2)
    rows, finals = [], {}
    for seed in seeds:
        epochs = tuple(sorted({*checkpoints, long_epochs})) if seed == 0 else checkpoints
        row = {"seed": seed, "epochs": epochs}
        init = vae.VAE(*SIZES, seed=seed)
        # numpy float32 is a control: the same code in single precision, no torch involved
        for label, dtype in (("numpy", np.float64), ("numpy32", np.float32)):
            model = vae.VAE(*SIZES, seed=seed, dtype=dtype)
            for r in training.train(model, X_train, epochs[-1], seed=seed):
                if r["epoch"] in epochs:  # every model is scored in float64
                    if torch is None:
                        row[(label, r["epoch"])] = numpy_neg_elbo(model.as_float64(), X_test, eps_draws)
                        continue
                    t = TorchVAE(model, dtype=torch.float64)  # evaluate in torch too: same numbers
                    row[(label, r["epoch"])] = neg_elbo(t, X_test, eps_draws)
        for label, dtype in (() if torch is None else (("torch32", torch.float32), ("torch64", torch.float64))):
            tmodel = TorchVAE(init, dtype=dtype)
            for epoch in train_like_numpy(tmodel, X_train, epochs[-1], seed=seed):
                if epoch in epochs:
                    row[(label, epoch)] = neg_elbo(tmodel, X_test, eps_draws)
            if seed == 0:
                finals[label] = tmodel
        rows.append(row)
        print(f"    (c) seed {seed} trained to {epochs[-1]} epochs, {time.perf_counter() - START:.0f} s so far",
              flush=True)
    print(f"\n(c) test -ELBO, nats per example ({len(X_test)} test digits, mean over {len(eps_draws)} fixed eps "
          f"draws), after {' / '.join(map(str, checkpoints))} epochs"
          + ("" if long_epochs in checkpoints else f", and {long_epochs} for seed 0"))
    print("    identical init, shuffles and eps per batch for all; Adam 1e-3, batch 128, beta 1; "
          "np = numpy f64, np32 = numpy f32 (control)")
    if torch is None:
        print("    no torch: numpy only")
        print(f"    {'seed':>4s} {'epochs':>6s} {'numpy f64':>10s} {'numpy f32':>10s} {'np - np32':>10s}")
        for row in rows:
            for e in row["epochs"]:
                a, d = row[("numpy", e)], row[("numpy32", e)]
                print(f"    {row['seed']:4d} {e:6d} {a:10.3f} {d:10.3f} {a - d:+10.3f}")
        return rows, finals
    print(f"    {'seed':>4s} {'epochs':>6s} {'numpy f64':>10s} {'torch f64':>10s} {'torch f32':>10s} "
          f"{'numpy f32':>10s} {'np - t64':>9s} {'np - t32':>9s} {'np - np32':>10s} {'np32 - t32':>10s}")
    worst = dict.fromkeys(("torch64", "torch32", "numpy32", "numpy32-torch32"), 0.0)
    for row in rows:
        for e in row["epochs"]:
            a, c, b, d = (row[(label, e)] for label in ("numpy", "torch64", "torch32", "numpy32"))
            for key, gap in (("torch64", a - c), ("torch32", a - b), ("numpy32", a - d), ("numpy32-torch32", d - b)):
                worst[key] = max(worst[key], abs(gap))
            print(f"    {row['seed']:4d} {e:6d} {a:10.3f} {c:10.3f} {b:10.3f} {d:10.3f} "
                  f"{a - c:+9.3f} {a - b:+9.3f} {a - d:+10.3f} {d - b:+10.3f}")
    if len(rows) > 1:
        for e in checkpoints:
            for label in ("numpy", "torch32"):
                vals = [row[(label, e)] for row in rows]
                print(f"    mean over seeds, {label:7s} {e:3d} epochs: {np.mean(vals):.3f} "
                      f"(seed spread {np.ptp(vals):.3f})")
    for key, name in (("torch64", "numpy f64 - torch f64"), ("torch32", "numpy f64 - torch f32"),
                      ("numpy32", "numpy f64 - numpy f32"), ("numpy32-torch32", "numpy f32 - torch f32")):
        print(f"    largest |{name}|: {worst[key]:.3f} nats  (budget 0.5: {'ok' if worst[key] <= 0.5 else 'OVER'})")
    return rows, finals


def bench_pretrained(X_test, eps_draws, rows, finals, metas, epochs):
    """(d): the pretrained models' recorded scores next to the torch-trained ones at ``epochs``."""
    k = 50 if args.quick else metas["beta1"]["iwae_k"]
    eval_seed = metas["beta1"]["eval_seed"]
    same = epochs == metas["beta1"]["epochs"]
    print(f"\n(d) seed 0, beta 1, after {epochs} epochs"
          + (", as scripts/pretrain.py" if same else f" (--quick: pretraining ran {metas['beta1']['epochs']})")
          + f": test -ELBO (the {len(eps_draws)} eps draws of (c)) and IWAE log p(x) "
          f"(k = {k}, default_rng({eval_seed})), nats per example")
    print(f"    {'':38s} {'-ELBO':>8s} {'log p(x)':>9s}")

    def line(name, elbo, log_px, note=""):
        lp = f"{log_px:9.3f}" if log_px is not None else f"{'-':>9s}"
        print(f"    {name:38s} {elbo:8.3f} {lp}" + (f"   {note}" if note else ""), flush=True)

    m1 = metas["beta1"]
    line("pretrained beta1 (recorded in .meta)", m1["test_neg_elbo"], m1["test_log_px"],
         f"k = {m1['iwae_k']}; weights stored as {m1['stored_as']}, "
         f"float64 -ELBO before storing {m1['float64_neg_elbo']:.3f}")
    np_elbo = rows[0][("numpy", epochs)]
    line("numpy float64, trained here", np_elbo, None,
         f"minus the pretrained float64 -ELBO: {np_elbo - m1['float64_neg_elbo']:+.4f}"
         if same else "")
    for label, name in (("torch32", "torch float32"), ("torch64", "torch float64")):
        if label in finals:
            weights = finals[label].to_numpy()  # float64 numpy copy: log p(x) in numpy, as pretraining
            log_px = importance.estimate(weights, X_test, k, np.random.default_rng(eval_seed))["log_px"]
            line(f"{name}, trained here", rows[0][(label, epochs)], float(np.mean(log_px)))
    m4 = metas["beta4"]
    line("pretrained beta4 (recorded in .meta)", m4["test_neg_elbo"], m4["test_log_px"],
         "beta 4: no torch counterpart is trained here")
    if torch is None:
        print("    no torch: the torch rows need `pip install torch==2.13.0`")


def main():
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"torch {torch.__version__ if torch else 'not installed'}, "
          f"{platform.machine()}, {os.cpu_count()} cpus" + ("  [--quick]" if args.quick else ""), flush=True)
    X_train, _, X_test, _ = data.load_split()
    metas = {name: vae.load_pretrained(name).meta for name in vae.PRETRAINED}
    m1 = metas["beta1"]
    assert (m1["hidden"], m1["lr"], m1["batch_size"], m1["beta"], m1["seed"]) == (SIZES[1], 1e-3, 128, 1.0, 0), m1
    long_epochs = 4 if args.quick else m1["epochs"]
    # the draws of scripts/pretrain.py's evaluation: EVAL_DRAWS draws from default_rng(EVAL_SEED)
    eps_draws = list(np.random.default_rng(m1["eval_seed"]).standard_normal((m1["eval_draws"], len(X_test), 2)))
    bench_step(X_train)
    rows, finals = bench_elbo(X_train, X_test, eps_draws, long_epochs)
    bench_pretrained(X_test, eps_draws, rows, finals, metas, long_epochs)
    print(f"\ntotal {time.perf_counter() - START:.0f} s")


START = time.perf_counter()

if __name__ == "__main__":
    main()
