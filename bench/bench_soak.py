#!/usr/bin/env python3
"""Soak the page in Chromium (Pyodide from the local mirror): many slider updates over five
figures and Train / Reset runs in one page (tests/browser/soak.py). Prints the growth of the
page's JS heap and of the worker's wasm memory (in use, and the heap's size), and the update
latency early and late; never fails.

Usage: python3 bench/bench_soak.py [--updates 2000] [--runs 5]
"""

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "browser"))

import soak

import harness


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--updates", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    cdn = harness.cdn_server(harness.default_mounts())
    site = harness.static_server()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=harness.chromium_path(),
                                     args=harness.chromium_args(cdn.server_port))
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(f"http://127.0.0.1:{site.server_port}/index.html")
        page.wait_for_selector("body.py-ready", timeout=180_000)
        page.evaluate("document.getElementById('fig-kl').scrollIntoView()")
        out = soak.run(page, updates=args.updates, runs=args.runs)
        browser.close()
    harness.stop(cdn)
    harness.stop(site)
    mb = 2**20
    lat = out["latencies"]
    tenth = max(1, len(lat) // 10)
    print(f"ELBO Lab soak: {args.updates} slider updates over {len(soak.SLIDERS)} figures "
          f"({', '.join(s[0] for s in soak.SLIDERS)}), {args.runs} Train / Reset runs, one page")
    for key, what, budget in (("js", "page JS heap (after GC)", "budget +25"),
                              ("malloc", "worker wasm, in use", "budget +25"),
                              ("wasm", "worker wasm heap size", "grows a step at a new peak")):
        b, a = out["before"][key] / mb, out["after"][key] / mb
        print(f"  {what:26} {b:8.1f} MB after warm-up -> {a:8.1f} MB at the end ({a - b:+.1f} MB; {budget})")
    print(f"  update -> its paint, median: first {tenth} {statistics.median(lat[:tenth]):.0f} ms, "
          f"last {tenth} {statistics.median(lat[-tenth:]):.0f} ms; p95 overall "
          f"{sorted(lat)[int(0.95 * (len(lat) - 1))]:.0f} ms; slowest {max(lat):.0f} ms")


if __name__ == "__main__":
    main()
