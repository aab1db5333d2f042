#!/usr/bin/env python3
"""Compute the lab's untrained state for its first settings and presets: py/elbo_lab/lab_start.json.

A run starts with its epoch-0 record (the untrained model's losses on the 9,000
training and 1,000 test digits) and its epoch-0 evaluation (IWAE on the 100-digit
subset). In Pyodide that is about 3 s, and at load the lab's figures wait for it,
so ``session.Lab`` takes it from this file when the run's key matches
(``lab_start.key``: seed, latent size, sha256 of the initial weights and of
the digits). Stored: one entry per distinct (seed, z_dim) among the default
settings and the presets; beta and warm-up do not change these numbers.

--check recomputes them and compares with the file (relative 1e-6: float32
matrix products may round differently on another machine), exit 1 if they differ
or a key is missing or extra.

Usage: python3 scripts/make_lab_start.py [--check]
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "py"))

from elbo_lab import lab_start, session  # noqa: E402
from elbo_lab.params import defaults  # noqa: E402

OUT = ROOT / "py" / "elbo_lab" / "lab_start.json"
TOLERANCE = 1e-6


def runs():
    """One settings dict per distinct (seed, z_dim) of the defaults and the presets."""
    chosen = {}
    for settings in [defaults(session.SETTINGS)] + [p["settings"] for p in session.PRESETS.values()]:
        chosen.setdefault((settings["seed"], settings["z_dim"]), settings)
    return list(chosen.values())


def state(settings):
    """(key, state) of the run with these settings, computed afresh (the file is not read)."""
    run, d = session.Lab(settings, stored=False), session.lab_data()
    first = run.evaluations[0]
    return lab_start.key(settings["seed"], run.model), {
        "record": lab_start.losses(run.model, settings["seed"], d["X_train"], d["X_test"]),
        "evaluation": {name: first[name] for name in lab_start.EVALUATION_KEYS}}


def compute():
    """{key: state} for ``runs()``."""
    return dict(state(settings) for settings in runs())


def worst_difference(a, b):
    """The largest relative difference between two files' numbers, or None if keys differ."""
    if a.keys() != b.keys():
        return None
    worst = 0.0
    for key in a:
        for part in ("record", "evaluation"):
            if a[key][part].keys() != b[key][part].keys():
                return None
            for name, x in a[key][part].items():
                y = b[key][part][name]
                worst = max(worst, abs(x - y) / max(abs(x), abs(y), 1e-12))
    return worst


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the file, write nothing")
    args = ap.parse_args(argv)
    states = compute()
    if args.check:
        worst = worst_difference(json.loads(OUT.read_text()), states)
        if worst is None:
            print(f"{OUT.name} holds other runs than {sorted(states)}")
            return 1
        print(f"largest relative difference from {OUT.name}: {worst:.2e}")
        return 0 if worst <= TOLERANCE else 1
    OUT.write_text(json.dumps(states, indent=1, sort_keys=True) + "\n")
    for key, state in states.items():
        print(key, state["record"], state["evaluation"])
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
