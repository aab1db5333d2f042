#!/usr/bin/env python3
"""Benchmark the page in Chromium with Pyodide from the local mirror. Prints; never fails.

Everything is timed inside the page (navigation timing, paint timing, the
page's own performance marks and its paint log ``ELBO.metrics.paints``), not
with sleeps:

* load: HTML loaded, first contentful paint (text visible), the static figures'
  images, the worker started (``elbo:worker-start``), each widget's
  ``elbo:<key>:live`` mark (its numbers answer, numpy only) and
  ``elbo:<key>:drawn`` (its figure drawn by matplotlib): first and last, and
  the KL widget's; Python ready (``elbo:ready``); every figure within a screen drawn (the
  last ``drawn`` mark of the figures that draw: a ``[data-widget]`` element with a
  ``<canvas>``, the lab's five included, the architecture box has none; but not those
  the page put off at load, ``ELBO.metrics.putOff``: more than a screen from the window,
  they keep their static picture and are drawn as they come near); and the boot stages
  the page reports. Then each put-off figure is scrolled into view in turn and timed
  from the scroll to its drawn mark;
* first answer to a reader's move: at DOMContentLoaded (the page's script has
  bound its controls; Python is still loading) the KL figure is scrolled into view
  and its slider kl-mu moved to 2 (an input event, as a drag makes). The first
  answer is the frame after the KL readout shows KL(N(2, sigma^2) || N(0, 1)):
  the first paint logged for "kl" stamped with an ``input`` at or after the
  move. It may carry numbers only, before matplotlib is in; the report says so.
  The readout's text is watched too and checked against the closed form;
* against the floor: ``bench/floor.html`` (see its header) loads the same Pyodide
  from the same URLs in a module worker as the page does, imports numpy
  (``floor:numpy-ready``), loads matplotlib and paints one Agg figure
  (``floor:first-figure``). It runs interleaved with the page: page, floor,
  page, floor, ... Per load pair: first answer / the floor's numpy-ready, and
  every figure within a screen drawn / the floor's first figure; the budgets (DESIGN.md) are
  1.05 and 1.2. The main number is the median of the per-pair ratios;
* repeat visit: each cold load runs in a fresh browser profile (a
  user-data-dir made for it: empty disk cache); after the cold loads of a pair,
  page and floor are opened again in their own profile, HTTP cache warm. The
  test CDN's certificate is trusted by its public key and it sends
  ``Cache-Control: immutable``, since Chromium caches nothing that came with a
  certificate error; profiles, not Playwright's contexts, because a context's
  cache lives in memory and keeps no file over about 6 MB (the wasm and
  matplotlib downloaded again). What each visit downloaded is counted by the
  CDN server itself (it serves the page's worker too): requests, bytes, and
  whether the wasm and which packages came again (they should not). A shorter
  Python core stage (page) or loadPyodide (floor) on the repeat visit shows the
  compiled wasm was taken from the code cache;
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
  ``lab_posterior``'s digit is, and takes about a second (a grid posterior).
  On the cold loads only, after the load's numbers are taken;
* drag catch-up: a 2 s drag of kl-sigma with one input event per frame, then the
  time from the last input event to the frame that shows its value in the KL figure.

With ``--against DIR`` (another checkout of the repository, e.g. a git worktree
of the previous commit) the two pages are served side by side and loaded in
turn, this checkout first (A, B, floor, A, B, floor, ...), ``--loads`` times
each; every row then shows both values and the ratio new/old, and a verdict
line closes the table. Medians are over loads for load rows and over all moves
of all loads for latency rows. ``--load-only`` (the same as ``--moves 0``)
skips the moves and the drag: the load comparison alone.

``--throttle MBIT`` limits every tab's network (the page's, its worker's, the floor's)
to MBIT Mbit/s down and up, with 20 ms of latency (Chromium's own network emulation,
through DevTools): the local mirror answers at once, and hides what a reader's network
costs, e.g. what waits for what to download.

Usage: python3 bench/bench_page.py [--loads 3] [--moves 10] [--load-only] [--scheme http|file]
                                   [--against DIR] [--only KEY,KEY] [--throttle MBIT]
"""

import argparse
import datetime
import math
import os
import statistics
import subprocess
import sys
import tempfile
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
BUDGET_FIRST_ANSWER = 1.05  # first answer to a reader's move / the floor's numpy-ready
BUDGET_ALL_PAINTED = 1.2  # every figure (within a screen) painted / the floor's first matplotlib figure
GRID_FIGURES = ("lab_posterior",)
VIEWPORT = {"width": 1100, "height": 900}
FLOOR_PAGE = HERE / "floor.html"

READY_TIMEOUT_MS = 240_000  # a wait, not a budget: two busy cores, cold wasm compile

# Every figure drawn, robustly: wait for Python ready and for the drawn mark of
# every figure with a canvas (not the architecture box, which has none), but those the
# page put off at load (ELBO.metrics.putOff: more than a screen from the window; they are
# drawn as they come near, see SCROLL_JS). A page without putOff draws them all.
DRAWN_JS = """() => {
    if (!performance.getEntriesByName('elbo:ready').length) return false;
    const putOff = (ELBO.metrics && ELBO.metrics.putOff) || [];
    const keys = [...document.querySelectorAll('[data-widget]')]
        .filter(f => f.querySelector('canvas')).map(f => f.dataset.widget).filter(k => !putOff.includes(k));
    return keys.every(k => performance.getEntriesByName(`elbo:${k}:drawn`).length > 0);
}"""

MISSING_JS = """() => [...document.querySelectorAll('[data-widget]')]
    .filter(f => f.querySelector('canvas')).map(f => f.dataset.widget)
    .filter(k => !((ELBO.metrics && ELBO.metrics.putOff) || []).includes(k))
    .filter(k => !performance.getEntriesByName(`elbo:${k}:drawn`).length)"""

# The figures put off at load, each scrolled into view in turn (those a neighbour's
# approach has drawn meanwhile are skipped): [{key, ms}], from the scroll to its drawn
# mark (null: not drawn within timeoutMs). Then back to the top.
SCROLL_JS = """async (timeoutMs) => {
    const sleep = (ms) => new Promise(r => setTimeout(r, ms));
    const out = [];
    for (const key of [...((ELBO.metrics && ELBO.metrics.putOff) || [])]) {
        const mark = `elbo:${key}:drawn`;
        const figure = document.querySelector(`[data-widget="${key}"]`);
        if (performance.getEntriesByName(mark).length || !figure.querySelector('canvas')) continue;
        document.querySelector(`[data-widget="${key}"]`).scrollIntoView({ block: 'center' });
        const t0 = performance.now();
        while (!performance.getEntriesByName(mark).length && performance.now() - t0 < timeoutMs) await sleep(10);
        const e = performance.getEntriesByName(mark)[0];
        out.push({ key, ms: e ? e.startTime - t0 : null });
    }
    window.scrollTo(0, 0);
    return out;
}"""

LOAD_JS = """() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    const at = (name) => { const e = performance.getEntriesByName(name)[0]; return e ? e.startTime : null; };
    const widgets = [...document.querySelectorAll('[data-widget]')];
    const putOff = (ELBO.metrics && ELBO.metrics.putOff) || [];
    const drawing = widgets.filter(f => f.querySelector('canvas')).map(f => f.dataset.widget)
        .filter(k => !putOff.includes(k));
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
        last_drawn: drawn.length && drawn.every(x => x !== null) ? drawing[drawn.indexOf(max(drawn))] : null,
        n_drawing: drawing.length, n_put_off: putOff.length, stages,
    };
}"""

# An init script for the page: a reader's first move, made as early as the page
# can take it. At DOMContentLoaded the page's last script has bound the controls
# (Python is still loading); this listener, added first, runs before the page's
# own (KaTeX's typesetting). The KL readout's every change is kept, to check the
# answer against the closed form KL = (mu^2 + sigma^2 - 1) / 2 - log sigma.
MOVE_JS = """document.addEventListener('DOMContentLoaded', () => {
    const slider = document.getElementById('kl-mu');
    const readout = document.getElementById('kl-value');
    const sigmaSlider = document.getElementById('kl-sigma');
    if (!slider || !readout || !sigmaSlider) return;
    const shown = [];
    new MutationObserver(() => shown.push([performance.now(), readout.textContent]))
        .observe(readout, { childList: true, characterData: true, subtree: true });
    slider.closest('[data-widget]').scrollIntoView({ block: 'center' });
    const mu = slider.value === '2' ? 1.5 : 2;
    const sigma = Number(sigmaSlider.value);
    const expected = ((mu * mu + sigma * sigma - 1) / 2 - Math.log(sigma)).toFixed(3);
    const at = performance.now();
    slider.value = String(mu);
    slider.dispatchEvent(new Event('input', { bubbles: true }));
    window.benchMove = { at, mu, sigma, expected, shown };
});"""

# The first answer to that move, once the page has loaded.
ANSWER_JS = """() => {
    const move = window.benchMove;
    if (!move) return null;
    const paints = (window.ELBO && ELBO.metrics && ELBO.metrics.paints) || [];
    const paint = paints.find(p => p.key === 'kl' && p.input >= move.at);
    const first = move.shown.find(([t, text]) => t >= move.at && text === move.expected);
    const before = paint ? move.shown.filter(([t]) => t <= paint.painted) : [];
    return {
        moved: move.at, mu: move.mu, expected: move.expected,
        painted: paint ? paint.painted : null, image: paint ? paint.image : null,
        text: before.length ? before[before.length - 1][1] : null,  // the readout at that frame
        shown: first ? first[0] : null,  // when the readout first showed the expected value
    };
}"""

# The floor page: done when its figure is painted or it failed; its marks.
FLOOR_DONE_JS = """() => performance.getEntriesByName('floor:first-figure').length > 0
    || !!(window.floor && window.floor.error)"""

FLOOR_JS = """() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const at = (name) => { const e = performance.getEntriesByName(`floor:${name}`)[0]; return e ? e.startTime : null; };
    return {
        html: nav ? nav.responseEnd : null, started: at('worker-start'), numpy_loaded: at('numpy-loaded'),
        numpy_ready: at('numpy-ready'), matplotlib: at('matplotlib-loaded'), first_figure: at('first-figure'),
        stages: window.floor.stages || {}, error: window.floor.error,
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
    """One page under test (or the floor page) and everything measured on it."""

    def __init__(self, name, root, url, floor=False):
        self.name, self.root, self.url, self.floor = name, root, url, floor
        self.loads = []  # cold loads: LOAD_JS results (FLOOR_JS for the floor), each with "i", "answer", "cdn"
        self.repeats = []  # repeat visits, the same
        self.lat = {}  # (figure, control id) -> [ms]
        self.py = {}
        self.kinds = {}  # control id -> kind
        self.order = []  # (figure, control id) in the page's order
        self.missing = {}  # (figure, control id) -> count of moves with no new pixels
        self.notes = []  # what went wrong, for the report
        self.drags = []
        self.console = []


def served(log):
    """What the CDN server sent during one visit, from its request log: the number of
    requests and body bytes, and the names of the wasm files and packages sent whole."""
    sent = [r["path"].split("?")[0] for r in log if r["status"] == 200]
    return {"requests": len(log), "bytes": sum(r["bytes"] for r in log),
            "wasm": [path.rsplit("/", 1)[-1] for path in sent if path.endswith(".wasm")],
            "packages": [path.rsplit("/", 1)[-1] for path in sent if path.startswith(harness.PYODIDE_PREFIX)]}


THROTTLE_LATENCY_MS = 20  # --throttle's round trip


def visit(context, side, label, cdn, throttle=None):
    """Open side.url in a new tab of `context` and wait until it has loaded: every
    figure drawn (the page; its first answer to MOVE_JS's move too) or the floor's
    figure. Returns the tab and what was measured, with "cdn": what the CDN server
    sent meanwhile (if `cdn` logs its requests). throttle: Mbit/s, or None."""
    page = context.new_page()
    if throttle:
        devtools = context.new_cdp_session(page)
        devtools.send("Network.enable")
        rate = throttle * 1e6 / 8  # bytes/s
        devtools.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": THROTTLE_LATENCY_MS, "downloadThroughput": rate, "uploadThroughput": rate})
    page.on("console", lambda m: side.console.append(f"{label} console.{m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: side.console.append(f"{label} page error: {e}"))
    if not side.floor:
        page.add_init_script(MOVE_JS)
    log = cdn.requests if cdn else None
    n0 = len(log) if log is not None else 0
    page.goto(side.url)
    try:
        page.wait_for_function(FLOOR_DONE_JS if side.floor else DRAWN_JS, timeout=READY_TIMEOUT_MS, polling=100)
    except Exception:  # measure what there is, and say what is missing
        missing = "its figure" if side.floor else page.evaluate(MISSING_JS)
        side.notes.append(f"{label}: not every figure drawn after {READY_TIMEOUT_MS / 1000:.0f} s: missing {missing}")
    if side.floor:
        measured = page.evaluate(FLOOR_JS)
        if measured["error"]:
            side.notes.append(f"{label}: {measured['error']}")
    else:
        measured = page.evaluate(LOAD_JS)
        measured["answer"] = answer = page.evaluate(ANSWER_JS)
        if not answer or answer["painted"] is None:
            side.notes.append(f"{label}: no answer to kl-mu moved at DOMContentLoaded (the move was lost?)")
        elif answer["text"] != answer["expected"]:
            side.notes.append(f"{label}: the first answer to kl-mu = {answer['mu']} showed KL {answer['text']}, "
                              f"not {answer['expected']}")
        measured["scrolled"] = scrolled = page.evaluate(SCROLL_JS, READY_TIMEOUT_MS / 4)
        late = [x["key"] for x in scrolled if x["ms"] is None]
        if late:
            side.notes.append(f"{label}: put off at load and not drawn once scrolled into view: {late}")
    measured["cdn"] = served(log[n0:]) if log is not None else None
    return page, measured


def first_answer(load):
    """The first answer to the reader's move (ms from navigation start), or None."""
    answer = load.get("answer")
    return answer["painted"] if answer and answer["text"] == answer["expected"] else None


def run_load(browser, side, args, i, context=None, cdn=None):
    """One cold load of `side`, then (the page, unless --moves 0) its moves and the drag.

    In `context` if given (a fresh browser profile, left open for the repeat visit),
    else in a fresh context of `browser`, closed after. cdn: the CDN server, whose
    request log (harness.cdn_server(log_requests=True)) tells what the load downloaded.
    """
    own = context is None
    if own:
        context = browser.new_context(viewport=VIEWPORT)
    page = None
    try:
        page, measured = visit(context, side, f"load {i + 1}", cdn, args.throttle)
        side.loads.append({**measured, "i": i})
        if side.floor:
            ms = measured["first_figure"]
            print(f"{side.name} load {i + 1}/{args.loads}: first figure at {'n/a' if ms is None else f'{ms:.0f} ms'}",
                  file=sys.stderr, flush=True)
            return
        if args.moves:
            run_moves(page, side, args, i)
        ms = side.loads[-1]["all_drawn"]
        n = sum(len(v) for v in side.lat.values())
        print(f"{side.name} load {i + 1}/{args.loads}: every figure within a screen drawn at "
              f"{'n/a' if ms is None else f'{ms:.0f} ms'}, {n} moves so far", file=sys.stderr, flush=True)
    except Exception as err:  # a benchmark that prints: report and go on
        side.notes.append(f"load {i + 1}: failed: {type(err).__name__}: {str(err).splitlines()[0]}")
        traceback.print_exc()
    finally:
        if page:
            page.close()
        if own:
            context.close()


def run_moves(page, side, args, i):
    """Every figure's controls moved (MOVES_JS), then the drag (DRAG_JS)."""
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


def run_repeat(context, side, args, i, cdn):
    """A repeat visit of `side` in the profile of its cold load i: HTTP cache warm."""
    page = None
    try:
        page, measured = visit(context, side, f"repeat {i + 1}", cdn, args.throttle)
        side.repeats.append({**measured, "i": i})
        ms = measured["first_figure" if side.floor else "all_drawn"]
        got = measured["cdn"]
        what = "first figure" if side.floor else "every figure within a screen drawn"
        print(f"{side.name} repeat {i + 1}/{args.loads}: {what} at "
              f"{'n/a' if ms is None else f'{ms:.0f} ms'}"
              + (f", {got['requests']} requests to the CDN" if got else ""), file=sys.stderr, flush=True)
    except Exception as err:  # a benchmark that prints: report and go on
        side.notes.append(f"repeat {i + 1}: failed: {type(err).__name__}: {str(err).splitlines()[0]}")
        traceback.print_exc()
    finally:
        if page:
            page.close()


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
        ("first answer (kl-mu moved at DOM ready)", median(first_answer(x) for x in side.loads), None),
        ("first widget live (numbers, numpy only)", med("first_live"), None),
        ("KL widget live (numbers)", med("kl_live"), None),
        ("every widget's numbers live", med("all_live"), None),
        ("Python ready (matplotlib loaded)", med("ready"), None),
        ("first figure drawn", med("first_drawn"), None),
        ("KL figure drawn", med("kl_drawn"), None),
        ("every figure within a screen drawn", med("all_drawn"), None),
        ("figures put off at load", med("n_put_off"), None),
        ("put-off figure: scrolled to -> drawn",
         median(x["ms"] for load in side.loads for x in load.get("scrolled") or [] if x["ms"] is not None), None),
        ("drag end -> final frame (kl-sigma)", median(drags), BUDGET_DRAG),
    ]


# Against the floor: (label, the page's number, the floor's mark, budget of the ratio)
FLOOR_RATIOS = (
    ("first answer / floor numpy-ready", first_answer, "numpy_ready", BUDGET_FIRST_ANSWER),
    ("every figure within a screen painted / floor first figure", lambda x: x["all_drawn"], "first_figure",
     BUDGET_ALL_PAINTED),
)

FLOOR_ROWS = (  # the floor's marks
    ("worker started", "started"),
    ("numpy loaded (loadPyodide resolved)", "numpy_loaded"),
    ("numpy ready (imported)", "numpy_ready"),
    ("matplotlib loaded", "matplotlib"),
    ("first figure painted", "first_figure"),
)


def pairs(side, floor, repeat):
    """(page load, floor load) for each load i that both have, cold or repeat visits."""
    floors = {x["i"]: x for x in (floor.repeats if repeat else floor.loads)}
    return [(x, floors[x["i"]]) for x in (side.repeats if repeat else side.loads) if x["i"] in floors]


def mb(n):
    return f"{n / 1e6:.1f} MB"


def floor_report(sides, floor):
    """Load against the floor, cold and on the repeat visit; and what the cache saved."""
    print(f"\nload against the floor page ({FLOOR_PAGE.relative_to(harness.ROOT)}: the same Pyodide from the same "
          "CDN URLs, in a module worker),\nper load pair (page i, floor i; interleaved): ratio = median of the "
          "per-pair ratios page/floor")
    print(f"{'':56s} {'page':>8s} {'floor':>8s} {'ratio':>6s} {'budget':>7s}  verdict")
    for side in sides:
        for repeat in (False, True):
            both = pairs(side, floor, repeat)
            per_pair = []
            for label, mine, theirs, budget in FLOOR_RATIOS:
                rs = [ratio(mine(a), b[theirs]) for a, b in both]
                r = median(rs)
                verdict = "n/a" if r is None else "OVER" if r > budget else "ok"
                name = f"{side.name + ', ' if len(sides) > 1 else ''}{'repeat' if repeat else 'cold'}, {label}"
                print(f"{name:56s} {fmt(median(mine(a) for a, _ in both))} {fmt(median(b[theirs] for _, b in both))} "
                      f"{fmt_ratio(r)} {budget:7.2f}  {verdict}")
                of_medians = ratio(median(mine(a) for a, _ in both), median(b[theirs] for _, b in both))
                per_pair.append(f"{label.split(' /')[0]} " + " ".join(fmt_ratio(x, 0) for x in rs)
                                + f" (ratio of the medians {fmt_ratio(of_medians, 0)})")
            print(f"  {'repeat' if repeat else 'cold'}, per pair: " + "; ".join(per_pair))
    for side in sides:
        for repeat in (False, True):
            loads = side.repeats if repeat else side.loads
            answers = [x["answer"] for x in loads if first_answer(x) is not None]
            if answers:
                numbers_only = sum(1 for a in answers if not a["image"])
                print(f"{side.name}, {'repeat' if repeat else 'cold'}: the first answer came "
                      f"{fmt(median(a['painted'] - a['moved'] for a in answers), 0)} ms after the move (median); "
                      f"numbers only, the figure still static, in {numbers_only} of {len(answers)} loads")

    print(f"\n{'floor (median ms from navigation start)':56s} {'cold':>8s} {'repeat':>8s}")
    for label, key in FLOOR_ROWS:
        print(f"{label:56s} {fmt(median(x[key] for x in floor.loads))} {fmt(median(x[key] for x in floor.repeats))}")
    stage_keys = list(dict.fromkeys(k for x in floor.loads + floor.repeats for k in x["stages"]))
    for repeat in (False, True):
        loads = floor.repeats if repeat else floor.loads
        print(f"stages in the worker, floor, {'repeat' if repeat else 'cold'} (median ms): " + ", ".join(
            f"{k} {fmt(median(x['stages'].get(k) for x in loads), 0)}" for k in stage_keys))

    print("\nrepeat visit, same profile: what the CDN server sent (its own log of every response, the "
          "workers' included), median per visit")
    print(f"{'':14s} {'cold requests':>13s} {'bytes':>9s} | {'repeat requests':>15s} {'bytes':>9s} | "
          f"{'wasm code cache':>15s} | {'core cold':>9s} {'repeat':>7s}")
    for side in [*sides, floor]:
        cold = [x["cdn"] for x in side.loads if x["cdn"]]
        warm = [x["cdn"] for x in side.repeats if x["cdn"]]
        if not cold and not warm:
            continue
        core = (lambda x: x["stages"].get("loadPyodide")) if side.floor else (lambda x: x["stages"].get("core"))
        cache = median(x.get("wasm_cache") for x in side.loads)
        print(f"{side.name:14s} {median(c['requests'] for c in cold) or 0:13.0f} "
              f"{mb(median(c['bytes'] for c in cold) or 0):>9s} | {median(c['requests'] for c in warm) or 0:15.0f} "
              f"{mb(median(c['bytes'] for c in warm) or 0):>9s} | {'n/a' if cache is None else mb(cache):>15s} | "
              f"{fmt(median(core(x) for x in side.loads), 9)} {fmt(median(core(x) for x in side.repeats), 7)}")
        wasm = [c for c in warm if c["wasm"]]
        packages = sorted({name for c in warm for name in c["packages"]})
        print(f"{'':14s} repeat visits that downloaded the wasm again: {len(wasm)} of {len(warm)}; "
              f"packages downloaded again: {', '.join(packages) if packages else 'none'}")
    print("(wasm code cache: the profile's compiled wasm after the cold visit; core: the Python core stage, "
          "the floor's loadPyodide with numpy; shorter on the repeat visit when the compiled wasm is reused)")


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


def report(sides, floor, args, version):
    new = sides[0]
    old = sides[1] if len(sides) > 1 else None
    print(f"\nELBO Lab page benchmark, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}: "
          f"Chromium {version}, {args.scheme}://, local Pyodide mirror" +
          (f", network throttled to {args.throttle:g} Mbit/s with {THROTTLE_LATENCY_MS} ms latency" if args.throttle
           else ""))
    print(f"{args.loads} cold loads per page, each in a fresh browser profile, interleaved "
          f"{'A B floor, A B floor' if old else 'page floor, page floor'}, ..., each pair then visited again "
          f"(same profile, HTTP cache warm);\n"
          + (f"{args.moves} moves per figure and control per cold load, idle {args.idle} ms between moves"
             if args.moves else "no moves (--load-only)"))
    for s in [*sides, floor]:
        print(f"  {s.name:5s} = {s.url if s.floor else s.root} ({describe(s.root)}): {len(s.loads)} loads and "
              f"{len(s.repeats)} repeat visits measured" + ("" if s.floor else
                                                           f", {sum(len(v) for v in s.lat.values())} moves timed"))
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
        verdict = "" if budget is None else "n/a" if a is None else "OVER" if over(a, budget) else "ok"
        if old:
            r = ratio(a, b)
            if budget is not None and over(b, budget):
                verdict += " (old OVER)"
            print(f"{name:44s} {fmt(a)} {fmt(b)} {fmt_ratio(r, 7)} {'' if budget is None else budget:>7}  {verdict}")
            if name in ("first answer (kl-mu moved at DOM ready)", "first widget live (numbers, numpy only)",
                        "every widget's numbers live", "Python ready (matplotlib loaded)",
                        "every figure within a screen drawn",
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
        last = [x.get("last_drawn") for x in s.loads + s.repeats]
        drawing = median(x["n_drawing"] for x in s.loads) or 0
        print(f"drawn last, {s.name}: " + ", ".join(f"{k} in {last.count(k)}" for k in dict.fromkeys(last))
              + f" of {len(last)} loads and repeat visits ({drawing:.0f} figures draw)")
    for s in sides:
        if s.drags:
            print(f"drags, {s.name}: " + "; ".join(
                f"{d['events']} events -> {d['frames']} frames, catch-up {fmt(d['catchup'], 0)} ms"
                for d in s.drags))

    floor_report(sides, floor)

    # ---- latency ----
    if args.moves:
        latency_report(sides, compared)
    else:
        print("\nevery figure, every control: not measured (--load-only)")

    # ---- verdicts ----
    if old:
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
    notes(sides, floor)


def latency_report(sides, compared):
    """The table of every figure and control; new/old ratios go into `compared`."""
    old = sides[1] if len(sides) > 1 else None
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


def print_errors(console, prefix="console", most=20):
    """The console lines that mention an error, the first ``most`` of them."""
    errors = [c for c in console if "error" in c]
    for line in errors[:most]:
        print(f"{prefix}: {line}")
    if len(errors) > most:
        print(f"{prefix}: ... and {len(errors) - most} more errors")


def notes(sides, floor):
    for s in [*sides, floor]:
        for note in s.notes:
            print(f"note, {s.name}: {note}")
        print_errors(s.console, f"console, {s.name}")


def wasm_code_cache(profile):
    """Bytes of compiled wasm that Chromium keeps in a profile for the next visit."""
    folder = Path(profile) / "Default" / "Code Cache" / "wasm"
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.is_dir() else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loads", type=int, default=3, help="cold loads per page (fresh profile each), and repeat visits")
    ap.add_argument("--moves", type=int, default=10, help="moves per figure and control per load")
    ap.add_argument("--load-only", action="store_true", help="no moves and no drag (the same as --moves 0)")
    ap.add_argument("--idle", type=int, default=100, help="ms of quiet between moves")
    ap.add_argument("--timeout", type=float, default=15, help="s to wait for one move's pixels")
    ap.add_argument("--scheme", choices=["http", "file"], default="http")
    ap.add_argument("--against", type=Path, help="another checkout to compare with (the old page)")
    ap.add_argument("--tolerance", type=float, default=1.10, help="verdict: new/old ratio taken as no worse")
    ap.add_argument("--only", type=lambda s: set(s.split(",")), help="only these figures (comma-separated keys)")
    ap.add_argument("--throttle", type=float, help="Mbit/s: every tab's network limited to this (and 20 ms latency)")
    args = ap.parse_args()
    if args.load_only:
        args.moves = 0

    from playwright.sync_api import sync_playwright

    args.load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    roots = [("new", harness.ROOT)] + ([("old", args.against.resolve())] if args.against else [])
    for _, root in roots:
        if not (root / "index.html").exists():
            print(f"no index.html in {root}")
            return 0
    # Cacheable, and logging what it sends: see the module docstring (repeat visit).
    cdn = harness.cdn_server(harness.default_mounts(), cache_control=harness.IMMUTABLE, log_requests=True)
    launch = {"executable_path": harness.chromium_path(), "viewport": VIEWPORT,
              "args": harness.chromium_args(cdn.server_port, spki=harness.spki_hash(cdn.cert_file))}
    servers, sides = [], []
    for name, root in roots:
        if args.scheme == "http":
            site = harness.static_server(root)
            servers.append(site)
            url = f"http://127.0.0.1:{site.server_port}/index.html"
        else:
            url = (root / "index.html").as_uri()
        sides.append(Side(name, root, url))
    floor_url = (f"{sides[0].url.rsplit('/', 1)[0]}/{FLOOR_PAGE.relative_to(harness.ROOT)}" if args.scheme == "http"
                 else FLOOR_PAGE.as_uri())
    floor = Side("floor", harness.ROOT, floor_url, floor=True)
    version = "?"
    try:
        with sync_playwright() as pw:
            for i in range(args.loads):
                profiles = []  # (side, its profile's folder, its browser), this load pair
                try:
                    for side in [*sides, floor]:  # A, B, floor, A, B, floor, ...: cold, a fresh profile each
                        profile = tempfile.TemporaryDirectory(prefix="elbo-bench-profile-")
                        context = pw.chromium.launch_persistent_context(profile.name, **launch)
                        version = context.browser.version if context.browser else version
                        profiles.append((side, profile, context))
                        run_load(None, side, args, i, context=context, cdn=cdn)
                        for x in side.loads:
                            if x["i"] == i:
                                x["wasm_cache"] = wasm_code_cache(profile.name)
                    for side, _, context in profiles:  # then each again, in its profile
                        run_repeat(context, side, args, i, cdn)
                finally:
                    for _, profile, context in profiles:
                        context.close()
                        profile.cleanup()
    finally:
        harness.stop(cdn)
        for site in servers:
            harness.stop(site)
    report(sides, floor, args, version)
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception:  # prints; never fails
        traceback.print_exc()
    sys.exit(0)
