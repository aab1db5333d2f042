#!/usr/bin/env python3
"""Benchmark the page in Chromium with Pyodide from the local mirror. Prints; never fails.

Everything is timed inside the page (navigation timing, paint timing, the
page's own performance marks and its paint log), not with sleeps:

* text visible: first contentful paint; static figure: its image's load end;
* widgets live: each widget's ``elbo:<key>:live`` mark (its numbers answer,
  numpy only) and ``elbo:<key>:drawn`` (its figure drawn by matplotlib): the
  first and last of them, and the KL widget's;
* slider to new pixels: 50 separate moves, from the input event to the
  animation frame after the new pixels were put on the canvas;
* drag catch-up: a 2 s drag with one input event per frame, then the time from
  the last input event to the frame that shows its value.

Usage: python3 bench/bench_page.py [--loads 3] [--scheme http|file]
"""

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import harness  # noqa: E402

BUDGETS = {  # from ../shared/DESIGN.md
    "text visible (FCP)": 500,
    "first widget live": 4000,
    "every widget live": 8000,
    "slider -> pixels, median": 30,
    "slider -> pixels, p95": 50,
    "drag end -> final frame": 100,
}

LOAD_JS = """() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    const img = performance.getEntriesByType('resource').find(e => e.name.endsWith('static/kl.png'));
    const kl_live = performance.getEntriesByName('elbo:kl:live')[0];  // numbers answer
    const kl_drawn = performance.getEntriesByName('elbo:kl:drawn')[0];  // and the figure
    const ready = performance.getEntriesByName('elbo:ready')[0];
    const started = performance.getEntriesByName('elbo:worker-start')[0];
    const marks = (suffix) => performance.getEntriesByType('mark')
        .filter(m => m.name.startsWith('elbo:') && m.name.endsWith(suffix)).map(m => m.startTime);
    const live = marks(':live'), drawn = marks(':drawn'), figures = document.querySelectorAll('figure.widget').length;
    const stages = Object.fromEntries([...document.querySelectorAll('#boot-stages li')]
        .map(li => [li.dataset.stage, Number(li.dataset.ms || 0)]));
    return { html: nav.responseEnd, dcl: nav.domContentLoadedEventEnd, fcp: fcp ? fcp.startTime : null,
             img: img ? img.responseEnd : null, started: started.startTime, ready: ready.startTime, live: kl_live.startTime,
             drawn: kl_drawn.startTime, first_live: Math.min(...live), all_live: Math.max(...live),
             all_drawn: drawn.length >= figures ? Math.max(...drawn) : null, stages };
}"""

# 50 moves, one at a time: input event -> the frame after its pixels were put.
MOVES_JS = """async () => {
    const slider = document.getElementById('kl-mu');
    const paints = ELBO.metrics.paints;
    const lat = [], py = [];
    for (let i = 0; i < 50; i++) {
        const n = paints.length;
        const t = performance.now();
        slider.value = String(-2 + 4 * ((i * 37) % 50) / 49);
        slider.dispatchEvent(new Event('input', { bubbles: true }));
        while (paints.length === n) await new Promise(r => requestAnimationFrame(r));
        lat.push(paints[n].painted - t);
        py.push(paints[n].pyMs);
        await new Promise(r => setTimeout(r, 30));  // idle between moves
    }
    return { lat, py };
}"""

# A 2 s drag, one input per frame; then wait for the frame showing the last value.
DRAG_JS = """async () => {
    const slider = document.getElementById('kl-sigma');
    const paints = ELBO.metrics.paints;
    const n0 = paints.length;
    const t0 = performance.now();
    let last = 0, events = 0;
    while (performance.now() - t0 < 2000) {
        const u = (performance.now() - t0) / 2000;
        slider.value = String(0.3 + 2.5 * (0.5 - 0.5 * Math.cos(6 * Math.PI * u)));
        last = performance.now();
        slider.dispatchEvent(new Event('input', { bubbles: true }));
        events++;
        await new Promise(r => requestAnimationFrame(r));
    }
    // The app stamps each call with the time its input listener ran, so the
    // frame showing the last value is the first stamped at or after `last`.
    const wanted = last;
    let hit;
    while (!(hit = paints.slice(n0).find(p => p.input >= wanted)))
        await new Promise(r => requestAnimationFrame(r));
    const shown = document.getElementById('kl-sigma-num').value;
    return { catchup: hit.painted - wanted, events, frames: paints.length - n0, shown };
}"""


def pct(values, q):
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loads", type=int, default=3, help="page loads (fresh context each)")
    ap.add_argument("--scheme", choices=["http", "file"], default="http")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    cdn = harness.cdn_server(harness.default_mounts())
    site = harness.static_server()
    url = (f"http://127.0.0.1:{site.server_port}/index.html" if args.scheme == "http"
           else (harness.ROOT / "index.html").as_uri())
    loads, lat, py, drags = [], [], [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=harness.chromium_path(),
                                     args=harness.chromium_args(cdn.server_port))
        for i in range(args.loads):
            context = browser.new_context(viewport={"width": 1100, "height": 900})
            page = context.new_page()
            page.goto(url)
            page.wait_for_function(
                "() => performance.getEntriesByType('mark').filter(m => m.name.endsWith(':drawn')).length"
                " >= document.querySelectorAll('figure.widget').length && "
                "performance.getEntriesByName('elbo:ready').length > 0", timeout=120_000)
            loads.append(page.evaluate(LOAD_JS))
            moves = page.evaluate(MOVES_JS)
            lat += moves["lat"]
            py += moves["py"]
            drags.append(page.evaluate(DRAG_JS))
            context.close()
            print(f"load {i + 1}/{args.loads}: live at {loads[-1]['live']:.0f} ms", file=sys.stderr)
        version = browser.version
        browser.close()
    harness.stop(cdn)
    harness.stop(site)

    def med(key):  # None where the browser records no timing (file:// resources)
        values = [x[key] for x in loads if x[key] is not None]
        return statistics.median(values) if values else None
    rows = [
        ("HTML loaded (responseEnd)", med("html"), None),
        ("text visible (FCP)", med("fcp"), BUDGETS["text visible (FCP)"]),
        ("static figure loaded", med("img"), None),
        ("worker started", med("started"), None),
        ("first widget live (numbers, numpy only)", med("first_live"), BUDGETS["first widget live"]),
        ("KL widget live (numbers)", med("live"), None),
        ("every widget's numbers live", med("all_live"), None),
        ("Python ready (matplotlib loaded)", med("ready"), None),
        ("KL figure drawn", med("drawn"), None),
        ("every figure drawn", med("all_drawn"), BUDGETS["every widget live"]),
        ("slider -> pixels, median", statistics.median(lat), BUDGETS["slider -> pixels, median"]),
        ("slider -> pixels, p95", pct(lat, 0.95), BUDGETS["slider -> pixels, p95"]),
        ("  of which Python (median)", statistics.median(py), None),
        ("drag end -> final frame (median)", statistics.median(d["catchup"] for d in drags),
         BUDGETS["drag end -> final frame"]),
    ]
    print(f"\nELBO Lab page benchmark: Chromium {version}, {args.scheme}://, local Pyodide mirror, "
          f"{args.loads} loads (medians), {len(lat)} slider moves")
    print(f"{'measure':38s} {'ms':>8s} {'budget':>8s}  verdict")
    for name, value, budget in rows:
        if value is None:
            print(f"{name:38s} {'n/a':>8s}")
            continue
        verdict = "" if budget is None else ("ok" if value <= budget else "OVER")
        print(f"{name:38s} {value:8.1f} {'' if budget is None else budget:>8}  {verdict}")
    stages = {k: statistics.median(x["stages"].get(k, 0) for x in loads)
              for k in ("core", "numpy", "plotting", "code")}
    print("stages (median ms): " + ", ".join(f"{k} {v:.0f}" for k, v in stages.items()))
    print("drags: " + "; ".join(f"{d['events']} events -> {d['frames']} frames, "
                                f"catch-up {d['catchup']:.1f} ms" for d in drags))


if __name__ == "__main__":
    main()
