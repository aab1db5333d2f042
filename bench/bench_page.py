#!/usr/bin/env python3
"""Benchmark the page in Chromium with Pyodide from the local mirror. Prints; never fails.

Everything is timed inside the page (navigation timing, paint timing, the
page's own performance marks and its paint log ``ELBO.metrics.paints``), not
with sleeps:

* load: HTML loaded, first contentful paint (text visible), the static figures'
  images, the worker started (``elbo:worker-start``), each widget's
  ``elbo:<key>:live`` mark (its numbers answer, numpy only) and
  ``elbo:<key>:drawn`` (its figure drawn by matplotlib): first and last, and
  the KL widget's; Python ready (``elbo:ready``); every figure drawn (the last
  ``drawn`` mark of the figures that draw: a ``[data-widget]`` element with a
  ``<canvas>``); and the boot stages the page reports;
* every figure, every control, to new pixels: for each figure that draws, and
  each control that drives it (the controls inside the figure: range inputs,
  selects, fieldsets of checkboxes and counter buttons in ``.controls``; and the
  controls it shares with another figure, e.g. kl-mu also drives kl_mc, from the
  page's own table), ``--moves`` separate moves with the page idle between
  them, the figure scrolled into view first. A move is timed from just before
  the control's input (or change, or click) event to the animation frame after
  that figure's new pixels were put on its canvas: the first paint logged for
  the figure with ``image: true`` and an ``input`` stamp at or after the event.
  Ranges take values spread over [min, max] in a scrambled order, selects cycle
  their options, a fieldset toggles one checkbox off and on again, a counter is
  clicked. The lab's settings are not moved (the lab's figures follow training);
  ``lab_posterior``'s digit is, and takes about a second (a grid posterior);
* drag catch-up: a 2 s drag of kl-sigma with one input event per frame, then the
  time from the last input event to the frame that shows its value in the KL figure.

With ``--against DIR`` (another checkout of the repository, e.g. a git worktree
of the previous commit) the two pages are served side by side and loaded in
turn, this checkout first (A, B, A, B, ...), each in a fresh browser context of
one browser, ``--loads`` times each; every row then shows both values and the
ratio new/old, and a verdict line closes the table. Medians are over loads for
load rows and over all moves of all loads for latency rows.

Usage: python3 bench/bench_page.py [--loads 3] [--moves 10] [--scheme http|file]
                                   [--against DIR] [--only KEY,KEY]
"""

import argparse
import datetime
import math
import os
import statistics
import subprocess
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
for _tests in (HERE.parent / "tests" / "browser", HERE.parent / "tests"):  # new layout, then old
    if (_tests / "harness.py").exists():
        sys.path.insert(0, str(_tests))
        break
import harness  # noqa: E402

# from ../shared/DESIGN.md
BUDGET_FCP = 500  # text and static figures visible
BUDGET_MEDIAN, BUDGET_P95 = 30, 50  # every figure, every control, to new pixels, idle
BUDGET_GRID = 250  # grid-posterior panels (lab_posterior)
BUDGET_DRAG = 100  # end of a 2 s drag to its final frame
GRID_FIGURES = ("lab_posterior",)

READY_TIMEOUT_MS = 240_000  # a wait, not a budget: two busy cores, cold wasm compile

# Every figure drawn, robustly: wait for Python ready and for the drawn mark of
# every figure with a canvas (not the architecture box, which has none).
DRAWN_JS = """() => {
    if (!performance.getEntriesByName('elbo:ready').length) return false;
    const keys = [...document.querySelectorAll('[data-widget]')]
        .filter(f => f.querySelector('canvas')).map(f => f.dataset.widget);
    return keys.every(k => performance.getEntriesByName(`elbo:${k}:drawn`).length > 0);
}"""

MISSING_JS = """() => [...document.querySelectorAll('[data-widget]')]
    .filter(f => f.querySelector('canvas')).map(f => f.dataset.widget)
    .filter(k => !performance.getEntriesByName(`elbo:${k}:drawn`).length)"""

LOAD_JS = """() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    const at = (name) => { const e = performance.getEntriesByName(name)[0]; return e ? e.startTime : null; };
    const widgets = [...document.querySelectorAll('[data-widget]')];
    const drawing = widgets.filter(f => f.querySelector('canvas')).map(f => f.dataset.widget);
    const live = widgets.map(f => at(`elbo:${f.dataset.widget}:live`));
    const drawn = drawing.map(k => at(`elbo:${k}:drawn`));
    const images = performance.getEntriesByType('resource').filter(e => /\\/static\\/[^?]*\\.png/.test(e.name));
    const kl_img = images.find(e => e.name.endsWith('static/kl.png'));
    const max = (xs) => xs.length && xs.every(x => x !== null) ? Math.max(...xs) : null;
    const min = (xs) => { xs = xs.filter(x => x !== null); return xs.length ? Math.min(...xs) : null; };
    const stages = Object.fromEntries([...document.querySelectorAll('#boot-stages li')]
        .map(li => [li.dataset.stage, li.dataset.ms === undefined ? null : Number(li.dataset.ms)]));
    return {
        html: nav ? nav.responseEnd : null, fcp: fcp ? fcp.startTime : null,
        img: kl_img ? kl_img.responseEnd || null : null,
        imgs: images.length && images.every(e => e.responseEnd) ? Math.max(...images.map(e => e.responseEnd)) : null,
        started: at('elbo:worker-start'), ready: at('elbo:ready'),
        first_live: min(live), all_live: max(live), kl_live: at('elbo:kl:live'),
        first_drawn: min(drawn), kl_drawn: at('elbo:kl:drawn'), all_drawn: max(drawn),
        n_drawing: drawing.length, stages,
    };
}"""

# The figures that draw, and the controls that drive each, from the DOM; a
# control shared with another figure (kl-mu drives kl and kl_mc) is found in the
# page's own table of figures (ELBO.FIGURES, or ELBO.WIDGETS in older pages).
DISCOVER_JS = """() => {
    const table = (window.ELBO && (ELBO.FIGURES || ELBO.WIDGETS)) || [];
    const kind = (el) => el.tagName === 'SELECT' ? 'select' : el.tagName === 'FIELDSET' ? 'checkboxes'
        : el.tagName === 'BUTTON' ? 'counter' : 'range';
    const usable = (el) => el && el.id && !el.closest('#lab-panel') &&
        (el.tagName !== 'FIELDSET' || el.querySelector('input[type=checkbox]'));
    const figures = [...document.querySelectorAll('[data-widget]')].filter(f => f.querySelector('canvas'));
    return figures.map(f => {
        const key = f.dataset.widget;
        const own = [...f.querySelectorAll('input[type=range], select, fieldset, .controls button')].filter(usable);
        const row = table.find(r => r.key === key);
        const fromTable = key.startsWith('lab_') || !row ? [] :
            Object.values(row.params || {}).map(id => document.getElementById(id)).filter(usable);
        const els = [...new Set([...fromTable, ...own])];
        return { key, controls: els.map(el => ({ id: el.id, kind: kind(el), own: f.contains(el) })) };
    });
}"""

# Move every control of one figure `moves` times; see the module docstring.
MOVES_JS = """async ({ key, controls, moves, idle, timeoutMs }) => {
    const raf = () => new Promise(r => requestAnimationFrame(r));
    const sleep = (ms) => new Promise(r => setTimeout(r, ms));
    const paints = ELBO.metrics.paints;
    const busy = () => !!(ELBO.bridge && ELBO.bridge.waiting && ELBO.bridge.waiting.size > 0);
    // idle: no request to the worker outstanding and no paint for `ms`
    const quiet = async (ms, limit) => {
        const t0 = performance.now();
        let n = paints.length, since = performance.now();
        while (performance.now() - t0 < limit) {
            await sleep(5);
            if (paints.length !== n || busy()) { n = paints.length; since = performance.now(); }
            else if (performance.now() - since >= ms) return true;
        }
        return false;
    };
    const gcd = (a, b) => b ? gcd(b, a % b) : a;
    const stride = [7, 3, 11, 13, 1].find(k => gcd(k, moves) === 1);
    const figure = document.querySelector(`[data-widget="${key}"]`);
    const errorBox = figure.querySelector('.widget-error');
    figure.scrollIntoView({ block: 'center' });
    await raf(); await raf();
    await quiet(300, 30000);

    function move(el, kind, i) {
        if (kind === 'range') {
            const before = el.value;
            const lo = Number(el.min), hi = Number(el.max);
            const j = (i * stride) % moves;
            el.value = String(lo + (hi - lo) * (j + 0.5) / moves);
            if (el.value === before) {  // snapped onto the value it had: one step aside
                const step = Number(el.step) || (hi - lo) / 100;
                el.value = String(Number(before) + (Number(before) + step <= hi ? step : -step));
            }
            el.dispatchEvent(new Event('input', { bubbles: true }));
            return el.value;
        }
        if (kind === 'select') {
            el.selectedIndex = (el.selectedIndex + 1) % el.options.length;
            el.dispatchEvent(new Event('change', { bubbles: true }));
            return el.value;
        }
        if (kind === 'checkboxes') {  // one box off, then on again, then the next box
            const boxes = el.querySelectorAll('input[type=checkbox]');
            const box = boxes[Math.floor(i / 2) % boxes.length];
            box.checked = !box.checked;
            box.dispatchEvent(new Event('change', { bubbles: true }));
            return box.value + (box.checked ? ' on' : ' off');
        }
        el.click();  // a counter
        return el.dataset.value;
    }

    const out = [];
    for (const c of controls) {
        const el = document.getElementById(c.id);
        const rec = { id: c.id, kind: c.kind, lat: [], py: [], missing: 0, errors: [] };
        let misses = 0;
        for (let i = 0; i < moves && misses < 2; i++) {
            const n0 = paints.length;
            const t = performance.now();
            const value = move(el, c.kind, i);
            let hit;
            while (!(hit = paints.slice(n0).find(p => p.key === key && p.image && p.input >= t))
                   && performance.now() - t < timeoutMs) await raf();
            if (hit) {
                rec.lat.push(hit.painted - t);
                rec.py.push(hit.pyMs);
                misses = 0;
            } else {
                rec.missing++;
                misses++;
                const shown = errorBox && !errorBox.hidden ? errorBox.textContent : 'no answer';
                rec.errors.push(`${c.id}=${value}: ${shown}`);
            }
            await quiet(idle, timeoutMs);  // every figure this move drives has answered
        }
        out.push(rec);
    }
    return out;
}"""

# A 2 s drag of kl-sigma, one input per frame; then wait for the frame showing the last value.
DRAG_JS = """async () => {
    const raf = () => new Promise(r => requestAnimationFrame(r));
    const slider = document.getElementById('kl-sigma');
    document.querySelector('[data-widget="kl"]').scrollIntoView({ block: 'center' });
    await raf(); await raf();
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
        await raf();
    }
    // The app stamps each answer with the time its input listener ran, so the
    // frame showing the last value is the first KL paint stamped at or after `last`.
    const wanted = last;
    let hit;
    while (!(hit = paints.slice(n0).find(p => p.key === 'kl' && p.image && p.input >= wanted))) {
        if (performance.now() - wanted > 30000) return { catchup: null, events, frames: 0 };
        await raf();
    }
    const frames = paints.slice(n0).filter(p => p.key === 'kl' && p.image).length;
    return { catchup: hit.painted - wanted, events, frames };
}"""


def pct(values, q):
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def describe(root):
    """'<short commit>' of a checkout, '+' if its tree has changes; read-only git."""
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "--no-optional-locks", "-C", str(root), "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
        return head + ("+" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "?"


class Side:
    """One page under test and everything measured on it."""

    def __init__(self, name, root, url):
        self.name, self.root, self.url = name, root, url
        self.loads = []  # LOAD_JS results
        self.lat = {}  # (figure, control id) -> [ms]
        self.py = {}
        self.kinds = {}  # control id -> kind
        self.order = []  # (figure, control id) in the page's order
        self.missing = {}  # (figure, control id) -> count of moves with no new pixels
        self.notes = []  # what went wrong, for the report
        self.drags = []
        self.console = []


def run_load(browser, side, args, i):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.on("console", lambda m: side.console.append(f"load {i + 1} console.{m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: side.console.append(f"load {i + 1} page error: {e}"))
    try:
        page.goto(side.url)
        try:
            page.wait_for_function(DRAWN_JS, timeout=READY_TIMEOUT_MS, polling=100)
        except Exception:  # measure what there is, and say what is missing
            side.notes.append(f"load {i + 1}: not every figure drawn after {READY_TIMEOUT_MS / 1000:.0f} s: "
                              f"missing {page.evaluate(MISSING_JS)}")
        side.loads.append(page.evaluate(LOAD_JS))
        figures = page.evaluate(DISCOVER_JS)
        if args.only:
            figures = [f for f in figures if f["key"] in args.only]
        for fig in figures:
            if not fig["controls"]:
                continue
            recs = page.evaluate(MOVES_JS, {"key": fig["key"], "controls": fig["controls"], "moves": args.moves,
                                            "idle": args.idle, "timeoutMs": args.timeout * 1000})
            for rec in recs:
                k = (fig["key"], rec["id"])
                if k not in side.order:
                    side.order.append(k)
                side.kinds[rec["id"]] = rec["kind"]
                side.lat.setdefault(k, []).extend(rec["lat"])
                side.py.setdefault(k, []).extend(rec["py"])
                if rec["missing"]:
                    side.missing[k] = side.missing.get(k, 0) + rec["missing"]
                    side.notes.append(f"load {i + 1}: {fig['key']}: {'; '.join(rec['errors'][:2])}")
        if not args.only or "kl" in args.only:
            side.drags.append(page.evaluate(DRAG_JS))
        ms = side.loads[-1]["all_drawn"]
        n = sum(len(v) for v in side.lat.values())
        print(f"{side.name} load {i + 1}/{args.loads}: every figure drawn at "
              f"{'n/a' if ms is None else f'{ms:.0f} ms'}, {n} moves so far", file=sys.stderr, flush=True)
    except Exception as err:  # a benchmark that prints: report and go on
        side.notes.append(f"load {i + 1}: failed: {type(err).__name__}: {str(err).splitlines()[0]}")
        traceback.print_exc()
    finally:
        context.close()


def fmt(value, width=8):
    return f"{'n/a':>{width}s}" if value is None else f"{value:{width}.1f}"


def ratio(new, old):
    return None if new is None or old is None or old <= 0 else new / old


def fmt_ratio(r, width=6):
    return f"{'n/a':>{width}s}" if r is None else f"{r:{width}.2f}"


def over(value, budget):
    return value is not None and budget is not None and value > budget


def load_rows(side):
    def med(key):
        return median(x[key] for x in side.loads)
    drags = [d["catchup"] for d in side.drags]
    return [
        ("HTML loaded (responseEnd)", med("html"), None),
        ("text visible (FCP)", med("fcp"), BUDGET_FCP),
        ("static KL figure loaded", med("img"), None),
        ("every static figure loaded", med("imgs"), None),
        ("worker started", med("started"), None),
        ("first widget live (numbers, numpy only)", med("first_live"), None),
        ("KL widget live (numbers)", med("kl_live"), None),
        ("every widget's numbers live", med("all_live"), None),
        ("Python ready (matplotlib loaded)", med("ready"), None),
        ("first figure drawn", med("first_drawn"), None),
        ("KL figure drawn", med("kl_drawn"), None),
        ("every figure drawn", med("all_drawn"), None),
        ("drag end -> final frame (kl-sigma)", median(drags), BUDGET_DRAG),
    ]


def latency_budget(key):
    return (BUDGET_GRID, BUDGET_GRID) if key in GRID_FIGURES else (BUDGET_MEDIAN, BUDGET_P95)


def stats(values):
    return (statistics.median(values), pct(values, 0.95)) if values else (None, None)


def latency_rows(sides):
    """(label, budget pair, per side: (n, median, p95, python median)) for every
    figure/control, every figure, and overall."""
    order = []
    for side in sides:
        order += [k for k in side.order if k not in order]
    figures = list(dict.fromkeys(k[0] for k in order))

    def pooled(side, keys):
        lat = [v for k in keys for v in side.lat.get(k, [])]
        py = [v for k in keys for v in side.py.get(k, []) if v is not None]
        missing = sum(side.missing.get(k, 0) for k in keys)
        return (len(lat), missing, *stats(lat), median(py))

    rows = []
    for fig in figures:
        keys = [k for k in order if k[0] == fig]
        for k in keys:
            rows.append((f"{fig:14s} {k[1]}", latency_budget(fig), [pooled(s, [k]) for s in sides]))
        if len(keys) > 1:
            rows.append((f"{fig:14s} (all controls)", latency_budget(fig), [pooled(s, keys) for s in sides]))
    plain = [k for k in order if k[0] not in GRID_FIGURES]
    rows.append(("ALL figures and controls, but lab_posterior", (BUDGET_MEDIAN, BUDGET_P95),
                 [pooled(s, plain) for s in sides]))
    rows.append(("ALL figures and controls", (None, None),
                 [pooled(s, order) for s in sides]))
    return rows, figures


def report(sides, args, version):
    new = sides[0]
    old = sides[1] if len(sides) > 1 else None
    print(f"\nELBO Lab page benchmark, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}: "
          f"Chromium {version}, {args.scheme}://, local Pyodide mirror")
    print(f"{args.loads} loads per page (fresh context each, {'interleaved A B A B' if old else 'in turn'}), "
          f"{args.moves} moves per figure and control per load, idle {args.idle} ms between moves")
    for s in sides:
        print(f"  {s.name:4s} = {s.root} ({describe(s.root)}): {len(s.loads)} loads measured, "
              f"{sum(len(v) for v in s.lat.values())} moves timed")
    print(f"machine: {os.cpu_count()} cpus, load average {args.load_before} before the run, "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} after (other work on the machine adds noise)")
    print("all times in ms; load rows: median over loads, from navigation start; "
          "latency rows: median and p95 over every move of every load")

    # ---- load ----
    print()
    if old:
        print(f"{'load':44s} {'new':>8s} {'old':>8s} {'new/old':>7s} {'budget':>7s}  verdict")
    else:
        print(f"{'load':44s} {'ms':>8s} {'budget':>7s}  verdict")
    compared = []
    for (name, a, budget), (_, b, _) in zip(load_rows(new), load_rows(old) if old else load_rows(new)):
        verdict = "" if budget is None else ("OVER" if over(a, budget) else "ok")
        if old:
            r = ratio(a, b)
            if budget is not None and over(b, budget):
                verdict += " (old OVER)"
            print(f"{name:44s} {fmt(a)} {fmt(b)} {fmt_ratio(r, 7)} {'' if budget is None else budget:>7}  {verdict}")
            if name in ("first widget live (numbers, numpy only)", "every widget's numbers live",
                        "Python ready (matplotlib loaded)", "every figure drawn",
                        "drag end -> final frame (kl-sigma)"):
                compared.append((name, r))
        else:
            print(f"{name:44s} {fmt(a)} {'' if budget is None else budget:>7}  {verdict}")
    stage_keys = list(dict.fromkeys(k for s in sides for x in s.loads for k in x["stages"] if k != "ready"))
    for s in sides:
        meds = {k: median(x["stages"].get(k) for x in s.loads) for k in stage_keys}
        print(f"stages, {s.name} (median ms): " +
              ", ".join(f"{k} {'n/a' if v is None else f'{v:.0f}'}" for k, v in meds.items()))
    for s in sides:
        if s.drags:
            print(f"drags, {s.name}: " + "; ".join(
                f"{d['events']} events -> {d['frames']} frames, catch-up {fmt(d['catchup'], 0)} ms"
                for d in s.drags))

    # ---- latency ----
    rows, figures = latency_rows(sides)
    print(f"\nevery figure, every control: input event -> frame after the figure's new pixels "
          f"(budget: median <= {BUDGET_MEDIAN}, p95 <= {BUDGET_P95}; grid posterior <= {BUDGET_GRID})")
    if old:
        print(f"{'figure         control':44s} {'moves':>5s} | {'new med':>7s} {'p95':>6s} {'py':>6s} | "
              f"{'old med':>7s} {'p95':>6s} {'py':>6s} | {'ratio med':>9s} {'p95':>5s} | verdict")
    else:
        print(f"{'figure         control':44s} {'moves':>5s} | {'median':>7s} {'p95':>6s} {'py':>6s} | verdict")
    per_figure_ratios = []
    for label, (bm, bp), per_side in rows:
        n, missing, m, p, py = per_side[0]
        flags = []
        if over(m, bm):
            flags.append("median")
        if over(p, bp):
            flags.append("p95")
        verdict = "" if bm is None else (f"OVER ({', '.join(flags)})" if flags else "ok")
        if missing:
            verdict += f"; {missing} moves with no new pixels"
        moves_txt = f"{n:5d}"
        if old:
            n2, missing2, m2, p2, py2 = per_side[1]
            rm, rp = ratio(m, m2), ratio(p, p2)
            old_flags = [w for w, v, b in (("median", m2, bm), ("p95", p2, bp)) if over(v, b)]
            if old_flags:
                verdict += f"; old OVER ({', '.join(old_flags)})"
            if missing2:
                verdict += f"; old: {missing2} moves with no new pixels"
            print(f"{label:44s} {moves_txt} | {fmt(m, 7)} {fmt(p, 6)} {fmt(py, 6)} | {fmt(m2, 7)} {fmt(p2, 6)} "
                  f"{fmt(py2, 6)} | {fmt_ratio(rm, 9)} {fmt_ratio(rp, 5)} | {verdict}")
            if not label.startswith("ALL") and "(all controls)" not in label and rm:
                per_figure_ratios.append((label.split()[0] + " " + label.split()[1], rm))
            if label.startswith("ALL figures and controls, but"):
                compared += [("latency, every figure/control, median", rm), ("latency, p95", rp)]
        else:
            print(f"{label:44s} {moves_txt} | {fmt(m, 7)} {fmt(p, 6)} {fmt(py, 6)} | {verdict}")

    # ---- verdicts ----
    print()
    _, (bm, bp), per_side = rows[-2]
    m, p = per_side[0][2], per_side[0][3]
    print(f"budget, new page: every figure and control median {fmt(m, 0)} / p95 {fmt(p, 0)} ms "
          f"-> {'OVER' if over(m, bm) or over(p, bp) else 'ok'}")
    if old and per_figure_ratios:
        geo = math.exp(statistics.fmean(math.log(r) for _, r in per_figure_ratios))
        compared.append(("latency, geometric mean of per figure/control median ratios", geo))
        worst = sorted(per_figure_ratios, key=lambda x: -x[1])[:3]
        print(f"new/old median latency per figure/control: geometric mean {geo:.2f}, "
              f"range {min(r for _, r in per_figure_ratios):.2f}-{max(r for _, r in per_figure_ratios):.2f}, "
              f"highest: " + ", ".join(f"{n} {r:.2f}" for n, r in worst))
        worse = [(n, r) for n, r in compared if r is not None and r > args.tolerance]
        unknown = [n for n, r in compared if r is None]
        if worse:
            print(f"VERDICT: new/old above {args.tolerance:.2f} on " +
                  "; ".join(f"{n} ({r:.2f})" for n, r in worse) +
                  ": the new page is slower there (repeat the run to tell a change from noise)")
        else:
            print(f"VERDICT: no worse than before: new/old <= {args.tolerance:.2f} on every compared row "
                  f"(" + ", ".join(f"{n} {r:.2f}" for n, r in compared if r is not None) + ")"
                  + (f"; not measured: {', '.join(unknown)}" if unknown else ""))
    for s in sides:
        for note in s.notes:
            print(f"note, {s.name}: {note}")
        errors = [c for c in s.console if "error" in c]
        for line in errors[:20]:
            print(f"console, {s.name}: {line}")
        if len(errors) > 20:
            print(f"console, {s.name}: ... and {len(errors) - 20} more errors")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loads", type=int, default=3, help="page loads per page (fresh context each)")
    ap.add_argument("--moves", type=int, default=10, help="moves per figure and control per load")
    ap.add_argument("--idle", type=int, default=100, help="ms of quiet between moves")
    ap.add_argument("--timeout", type=float, default=15, help="s to wait for one move's pixels")
    ap.add_argument("--scheme", choices=["http", "file"], default="http")
    ap.add_argument("--against", type=Path, help="another checkout to compare with (the old page)")
    ap.add_argument("--tolerance", type=float, default=1.10, help="verdict: new/old ratio taken as no worse")
    ap.add_argument("--only", type=lambda s: set(s.split(",")), help="only these figures (comma-separated keys)")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    args.load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    roots = [("new", harness.ROOT)] + ([("old", args.against.resolve())] if args.against else [])
    for _, root in roots:
        if not (root / "index.html").exists():
            print(f"no index.html in {root}")
            return 0
    cdn = harness.cdn_server(harness.default_mounts())
    servers, sides = [], []
    for name, root in roots:
        if args.scheme == "http":
            site = harness.static_server(root)
            servers.append(site)
            url = f"http://127.0.0.1:{site.server_port}/index.html"
        else:
            url = (root / "index.html").as_uri()
        sides.append(Side(name, root, url))
    version = "?"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=harness.chromium_path(),
                                         args=harness.chromium_args(cdn.server_port))
            version = browser.version
            for i in range(args.loads):
                for side in sides:  # A, B, A, B, ...
                    run_load(browser, side, args, i)
            browser.close()
    finally:
        harness.stop(cdn)
        for site in servers:
            harness.stop(site)
    report(sides, args, version)
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception:  # prints; never fails
        traceback.print_exc()
    sys.exit(0)
