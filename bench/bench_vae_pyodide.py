#!/usr/bin/env python3
"""Time the VAE train step inside Pyodide in Chromium (local mirror). Prints; never fails.

One step = forward, backward and Adam on a batch of 128, as
``elbo_lab.training.train_step``, for each architecture D-H-2 asked for (pixels
D, hidden units H; the pixels are random binary images of the same ink as
MNIST's, since a step's time does not depend on what they show). Reported for
each matmul backend ("numpy" = ``@``, "blas" = scipy.linalg.blas gemm) and
dtype, as the median (and p90) of many steps after a warm-up, all in one page,
with the steps per second that the median allows.

Usage: python3 bench/bench_vae_pyodide.py [--steps 200] [--arch 784-128 784-256 ...]
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "browser"))
import harness

BUDGET_MS = 3.0  # DESIGN.md: VAE train step in Chromium, batch 128, 64-256-2

CODE = """
import json, time
import numpy as np
from elbo_lab import layers, optim, training, vae
import elbo_lab.fastblas  # installs scipy's gemm, so that the "blas" backend exists

rng = np.random.default_rng(0)
out = {}
for D, H in ARCHS:
  X = (rng.random((1024, D)) < 0.13).astype(np.float64)
  for dtype in (np.float64, np.float32):
    for backend in ("numpy", "blas"):
        layers.set_matmul_backend(backend)
        model = vae.VAE(D, H, 2, dtype=dtype)
        opt = optim.Adam(model.params, lr=1e-3)
        batches = [(X[rng.choice(len(X), 128, replace=False)].astype(dtype),
                    rng.standard_normal((128, 2)).astype(dtype)) for _ in range(8)]
        for i in range(20):  # warm-up
            training.train_step(model, opt, *batches[i % 8])
        times = []
        for i in range(STEPS):
            x, eps = batches[i % 8]
            t = time.perf_counter()
            training.train_step(model, opt, x, eps)
            times.append((time.perf_counter() - t) * 1e3)
        times.sort()
        out[f"{D}-{H}-2 {np.dtype(dtype).name}/{backend}"] = {
            "median": times[len(times) // 2], "p90": times[int(len(times) * 0.9)]}
layers.set_matmul_backend("numpy")
json.dumps(out)
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--arch", nargs="+", default=["64-256"],
                    help="architectures as D-H (pixels-hidden), e.g. 784-128")
    args = ap.parse_args()
    archs = [tuple(int(v) for v in a.split("-")) for a in args.arch]
    code = CODE.replace("STEPS", str(args.steps)).replace("ARCHS", repr(archs))
    answer, version = harness.run_in_pyodide(code, timeout_ms=300_000)
    if not answer["ok"]:
        print("benchmark failed inside Pyodide:", answer["error"])
        return 1
    result = json.loads(answer["result"])
    print(f"VAE train step inside Pyodide 314.0.3, Chromium {version}: batch 128, "
          f"fwd+bwd+Adam, {args.steps} steps each")
    print(f"{'arch dtype/backend':28s} {'median ms':>10s} {'p90 ms':>8s} {'steps/s':>8s}"
          f"   budget {BUDGET_MS} ms (64-256-2 only)")
    for key, row in result.items():
        verdict = ("ok" if row["median"] <= BUDGET_MS else "OVER") if key.startswith("64-256-") else ""
        print(f"{key:28s} {row['median']:10.2f} {row['p90']:8.2f} {1e3 / row['median']:8.1f}   {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
