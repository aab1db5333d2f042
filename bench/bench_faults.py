#!/usr/bin/env python3
"""Inject faults into the page in Chromium (Pyodide from the local mirror) and time the
page's answer to each. Prints a table; never fails.

For each fault: when it was injected, how long until the reader was told (the message
where the reader is looking), and how long until the page worked again (a moved slider's
new number shown, training stepping, or every figure drawn), by the page's own means or
the one click it offers. The heartbeat's threshold is the page's default (6 s, or three
times the longest silence the worker has ended with a message), as a
reader gets it. Usage: python3 bench/bench_faults.py [--reps 1]
"""

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "browser"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "py"))

import harness

SCIPY = re.compile(r".*/scipy-[^/]*\.whl$")
MPL = re.compile(r".*/matplotlib-[^/]*\.whl$")
TIMEOUT_MS = 180_000


def _kl_text(mu):
    from elbo_lab import widgets

    return f"{widgets.run('kl', mu=mu, sigma=0.6)['values']['kl']:.3f}"


def _move_kl(page, mu):
    page.fill("#kl-mu-num", str(mu))
    page.press("#kl-mu-num", "Enter")


def _wait_kl(page, mu):
    page.wait_for_function(f"() => document.getElementById('kl-value').textContent === '{_kl_text(mu)}'",
                           timeout=TIMEOUT_MS)


def _live(page, url):
    """Open the page, wait until Python is ready; the time then (the fault's t0)."""
    page.goto(url)
    page.wait_for_selector("body.py-ready", timeout=TIMEOUT_MS)
    return time.perf_counter()


def _visible(page, selector):
    page.wait_for_selector(selector, state="visible", timeout=TIMEOUT_MS)


def dead_worker(page, url):
    t0 = _live(page, url)
    page.evaluate("ELBO.bridge.worker.terminate()")
    _move_kl(page, 2.0)
    _visible(page, "#py-alert")
    told = time.perf_counter() - t0
    _wait_kl(page, 2.0)
    return told, time.perf_counter() - t0, "restarted by itself"


def error_after_ready(page, url):
    t0 = _live(page, url)
    page.evaluate("ELBO.bridge.worker.dispatchEvent(new ErrorEvent('error', {message: 'injected'}))")
    _visible(page, "#py-alert-retry")
    told = time.perf_counter() - t0
    _move_kl(page, -1.5)
    page.click("#py-alert-retry")
    _wait_kl(page, -1.5)
    return told, time.perf_counter() - t0, "one click: Restart Python"


def scipy_missing(page, url):
    page.route(SCIPY, lambda route: route.fulfill(status=404, headers={"Access-Control-Allow-Origin": "*"}))
    t0 = _live(page, url)
    page.click("#lab-train")
    _visible(page, "#lab-error")
    told = time.perf_counter() - t0
    page.unroute(SCIPY)
    page.click("#lab-train")
    page.wait_for_function("() => Number(document.getElementById('lab-panel').dataset.step) > 0", timeout=TIMEOUT_MS)
    page.click("#lab-train")
    return told, time.perf_counter() - t0, "file restored; one click: Train"


def _matplotlib_fault(page, url, handler, shown, button, how):
    """matplotlib's wheel answered by `handler` while loading; told when `shown` appears; back
    once the file is served again and `button` is clicked."""
    page.route(MPL, handler)
    t0 = time.perf_counter()
    page.goto(url)
    _visible(page, shown)
    told = time.perf_counter() - t0
    page.unroute(MPL)
    page.click(button)
    page.wait_for_selector("body.py-ready", timeout=TIMEOUT_MS)
    return told, time.perf_counter() - t0, how


def matplotlib_failed(page, url):
    return _matplotlib_fault(page, url, lambda route: route.fulfill(
        status=503, headers={"Access-Control-Allow-Origin": "*"}), "#boot-error", "#boot-retry",
        "file restored; one click: Retry (from navigation)")


def matplotlib_stalled(page, url):
    held = []  # never answered
    return _matplotlib_fault(page, url, lambda route: held.append(route), "#boot-restart", "#boot-restart",
                             "file served again; one click: Start again (from navigation)")


def bad_link_value(page, url):
    t0 = time.perf_counter()
    page.goto(url + "?kl-sigma=500&lat-model=nope")
    page.wait_for_selector(".control-note", state="visible", timeout=TIMEOUT_MS)
    told = time.perf_counter() - t0
    page.wait_for_function("() => [...document.querySelectorAll('.control-note')].some("
                           "(n) => n.textContent.includes('sigma must be'))", timeout=TIMEOUT_MS)
    page.wait_for_function(f"() => document.getElementById('kl-value').textContent === '{_kl_text(1.0)}'"
                           " && document.getElementById('fig-kl').classList.contains('live')", timeout=TIMEOUT_MS)
    return told, time.perf_counter() - t0, "the defaults, at once (from navigation)"


FAULTS = [("worker terminated after ready", dead_worker),
          ("uncaught worker error after ready", error_after_ready),
          ("scipy wheel 404 on first Train", scipy_missing),
          ("matplotlib wheel 503 while loading", matplotlib_failed),
          ("matplotlib wheel never answered", matplotlib_stalled),
          ("bad values in a link", bad_link_value)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=1, help="fresh pages per fault")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    cdn = harness.cdn_server(harness.default_mounts())
    site = harness.static_server()
    url = f"http://127.0.0.1:{site.server_port}/index.html"
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=harness.chromium_path(),
                                     args=harness.chromium_args(cdn.server_port))
        for name, fault in FAULTS:
            told, back, how = [], [], ""
            for _ in range(args.reps):
                context = browser.new_context(viewport={"width": 1100, "height": 900})
                page = context.new_page()
                try:
                    t, b, how = fault(page, url)
                    told.append(t)
                    back.append(b)
                except Exception as exc:  # a bench reports what it saw
                    how = f"FAILED: {type(exc).__name__}: {str(exc).splitlines()[0][:80]}"
                context.close()
            rows.append((name, told, back, how))
        browser.close()
    harness.stop(cdn)
    harness.stop(site)
    print(f"ELBO Lab fault bench: {args.reps} fresh page(s) per fault, median seconds; "
          "heartbeat threshold 6 s or 3x the longest silence seen (the page's default)")
    print(f"{'fault':38} {'told':>7} {'works again':>12}  how")
    for name, told, back, how in rows:
        t = f"{statistics.median(told):.1f}" if told else "-"
        b = f"{statistics.median(back):.1f}" if back else "-"
        print(f"{name:38} {t:>7} {b:>12}  {how}")


if __name__ == "__main__":
    main()
