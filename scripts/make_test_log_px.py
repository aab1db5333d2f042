#!/usr/bin/env python3
"""Compute log p(x) of every test digit under each pretrained model, for the drawing figure.

The drawing figure places the reader's log p(x) among the test digits'. Each is
the grid value of ``gap.posterior_grid`` (the same computation the figure runs
on the drawing), for the 1,000 test digits under the pretrained models "beta1"
and "beta4"; about a minute on 2 cores. Written to
py/elbo_lab/test_log_px.npz as float64 arrays named after the models.

--check recomputes them and compares with the file (to 1e-9 nats: matrix
products may round differently on another machine), exit 1 if they differ.

Usage: python3 scripts/make_test_log_px.py [--check]
"""

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "py"))

from elbo_lab import data, gap, vae  # noqa: E402

OUT = ROOT / "py" / "elbo_lab" / "test_log_px.npz"
MODELS = ("beta1", "beta4")
TOLERANCE = 1e-9


def compute(name, rows=None):
    """log p(x) (nats) of the test digits ``rows`` (default all) under pretrained model ``name``."""
    X, _ = data.load_digits("test")
    log_joint = gap.log_joint_for(vae.load_pretrained(name))
    rows = range(len(X)) if rows is None else rows
    return np.array([gap.posterior_grid(log_joint, X[i])["log_px"] for i in rows])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the file, write nothing")
    args = ap.parse_args(argv)
    arrays = {name: compute(name) for name in MODELS}
    if args.check:
        with np.load(OUT) as f:
            worst = max(float(np.max(np.abs(f[name] - arrays[name]))) for name in MODELS)
        print(f"largest difference from {OUT.name}: {worst:.2e} nats")
        return 0 if worst <= TOLERANCE else 1
    np.savez_compressed(OUT, **arrays)
    for name in MODELS:
        a = arrays[name]
        print(f"{name}: mean {a.mean():.3f}, sd {a.std():.3f}, min {a.min():.3f}, max {a.max():.3f} nats")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
