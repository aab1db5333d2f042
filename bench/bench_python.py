#!/usr/bin/env python3
"""Each figure's Python alone, per control, in the page's Pyodide with no page around it.
Prints; never fails.

bench/bench_figures.py times a move to new pixels in the page; this times what Python
does for one (``widgets.run``: the checks, ``compute`` and the blitted ``draw``) in
Chromium with Pyodide from the local mirror, through bench/pyodide_step.html, so that a
change to a figure's Python can be measured without the page's noise. As the page
does, each figure is first drawn at its defaults and warmed at 8 values of each slider
(js/app.js ``warmUp``: values (i + 0.5) / 8 of the slider's range, the others at their
defaults); then each slider is moved to the 16 values bench_figures' moves reach,
(j + 0.5) / 16 in a stride of 7, one call each. A call that finds its axis ranges kept
blits (the fast path); one that needs a new static layer draws it (the slow one): the
median is the first, the maximum and the count over 2 x the median show the second.

``--against DIR`` runs another checkout's page and package too (its own bundle,
js/py-bundle.js), alternating with this one ``--repeats`` times, and prints both.
Timings on these machines vary by 10-20 % from run to run, so compare within one run.
In the page the same calls take longer, 1.5-2 times for most figures on this 2-core
machine (the page's drawing shares the processor): see bench_figures' "py" column.

Usage: python3 bench/bench_python.py [--figures generate,reparam,...] [--against DIR]
                                     [--repeats 2]
"""

import argparse
import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "browser"))
import harness  # noqa: E402

# the article's figures with sliders (the lab's and the drawing pad's have their own benches)
FIGURES = "generate,decode_at,posterior,reparam,derivation,kl,kl_mc,tension,kl_direction"
WARM, MOVES, STRIDE = 8, 16, 7

CODE = r"""
import json, time
import elbo_lab.plotting.agg  # installs the drawing backend, as the worker does
from elbo_lab import widgets
from elbo_lab.params import Whole

def value(p, u):
    lo, hi = p.slider_range
    v = lo + (hi - lo) * u
    return int(round(v)) if isinstance(p, Whole) else float(v)

out = {}
for name in NAMES:
    module = widgets.FIGURES[name]
    sliders = [p for p in module.PARAMS if p.control and p.kind == "range"]
    widgets.run(name)
    for p in sliders:
        for i in range(WARM):
            widgets.run(name, **{p.name: value(p, (i + 0.5) / WARM)})
    for p in sliders:
        times = []
        for j in range(MOVES):
            u = ((j * STRIDE) % MOVES + 0.5) / MOVES
            start = time.perf_counter()
            widgets.run(name, **{p.name: value(p, u)})
            times.append((time.perf_counter() - start) * 1e3)
        out[f"{name} {p.control}"] = times
json.dumps(out)
"""


def run(root, names):
    code = (CODE.replace("NAMES", repr(names)).replace("WARM", str(WARM))
            .replace("MOVES", str(MOVES)).replace("STRIDE", str(STRIDE)))
    answer, version = harness.run_in_pyodide(code, packages="numpy,matplotlib", root=root)
    if not answer["ok"]:
        raise RuntimeError(f"{root}: {answer['error']}")
    return json.loads(answer["result"]), version


def summary(times):
    median = statistics.median(times)
    slow = sum(t > 2 * median for t in times)
    return f"{median:6.1f} {max(times):6.1f} {slow:3d}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--figures", default=FIGURES, help="comma-separated figure names")
    ap.add_argument("--against", type=Path, help="another checkout to run alongside, alternately")
    ap.add_argument("--repeats", type=int, default=2, help="runs of each checkout, alternated")
    args = ap.parse_args()
    names = [n for n in args.figures.split(",") if n]
    roots = [harness.ROOT] + ([args.against.resolve()] if args.against else [])
    runs = {root: [] for root in roots}
    version = "?"
    for _ in range(max(1, args.repeats)):
        for root in roots:
            result, version = run(root, names)
            runs[root].append(result)
    print(f"Python per move in Pyodide (no page), Chromium {version}: {MOVES} moves per slider "
          f"after a warm-up of {WARM} values each; ms: median, max, moves over 2x the median")
    head = " | ".join(f"{str(root)[-28:]:>28s}" for root in roots)
    print(f"{'figure control':28s} | {head}")
    for key in runs[roots[0]][0]:
        cells = []
        for root in roots:
            times = [t for result in runs[root] if key in result for t in result[key]]
            cells.append(f"{summary(times):>28s}" if times else f"{'-':>28s}")
        print(f"{key:28s} | " + " | ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
