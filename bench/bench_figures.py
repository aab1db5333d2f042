#!/usr/bin/env python3
"""Every figure x every control, to new pixels, idle and while the lab trains. Prints; never fails.

Issue 14's goals (../shared/DESIGN.md, "Budgets"), in Chromium with Pyodide from the
local mirror: ``--loads`` page loads (default one), each in a fresh browser context of
``--width`` (1280; 360 for a phone, whose figures are drawn in the narrow layout) x 900,
measured once every figure is drawn (bench_page's DRAWN_JS). Everything is
timed inside the page, from the page's paint log ``ELBO.metrics.paints``: an entry per
answer painted, with its figure, the time of the reader's input it answers (``input``,
stamped by the control's listener), the animation frame after its pixels were put on the
canvas (``painted``), Python's time for it (``pyMs``) and whether it had a picture.

First scipy's BLAS is loaded (as a reader's first stroke or first Train loads it), so
that every phase multiplies alike, and the page's warm-up (js/app.js ``warmUp``: each
article figure drawn in the background at values over each control, so Python keeps
their static layers) is let finish; the report says how long it took. ``--cold``
measures at once instead, while it runs. Then:

* idle, every figure x every control: bench_page's DISCOVER_JS finds the figures that
  draw and the controls that drive each, and its MOVES_JS makes ``--moves`` separate
  moves per control, the page idle between them: from just before the control's input
  (or change, or click) event to the animation frame after that figure's new pixels.
  Each figure's selects are put back afterwards, so the next phase starts from the same
  models. Python's share: the median of the answers' ``pyMs``, and of pyMs / latency.
  With ``--settle``, a control at a time, and before the next one the page's warm-up of
  that figure at the values the last moves left (js/app.js ``warmAgain``) is let finish:
  a reader who pauses between controls. Without it, the next control's moves start at
  once, and a layer that depends on two sliders is often drawn anew.
* the drawing pad (the draw figure's control "draw-x", a 28 x 28 pad, js/pad.js):
  ``--moves`` strokes with the mouse (real input events: down, five moves, up), each
  from a new point on a circle to the pad's centre, so every stroke adds ink and none
  is answered from a cache; from the pad's change (the end of the stroke, which the app
  stamps as the input) to the frame after the draw figure's new pixels.
* while training: the lab set to its longest run (session.EPOCHS_MAX epochs, typed into
  its epochs box), Train pressed and, once the lab reports a rate, the same moves and
  strokes again. Before each figure, a run that has stopped, or has less than
  RUN_LEFT_S of steps left at its rate, is reset and trained again (reported).
* training throughput: the step count is the lab panel's last status from the worker
  (``ELBO.labPanel.status.step``, updated by every training chunk's progress report; the
  panel's progress line shows the same number). Windows of ``--window`` seconds,
  interleaved: idle (no input, the figure to be dragged on screen, its answers settled),
  a drag, idle, a drag, ..., idle. The lab redraws its own figures when they are on
  screen, even with no input, so an idle window between two drags counts for both only
  if neither figure is one of the lab's; otherwise each gets its own. A drag moves the
  figure's first range control of its own (else its first range control) with one input
  event per animation frame, sweeping [min, max] and back 1.5 times a second as
  bench_page's DRAG_JS does for kl-sigma. Its steps/s is divided by the mean of the idle
  windows just before and after it. During the drag: the frames of that
  figure painted, and the catch-up: from the last input event to the frame showing its
  value (the first paint of the figure stamped at or after that event).
* the grid-posterior figures (lab_posterior, draw) have a budget of BUDGET_GRID ms for
  the median, and should show a "computing" state: in every animation frame while the
  figure's answer is awaited (``ELBO.bridge.busy``), is the figure, or an element in it,
  marked aria-busy="true" or given a class naming computing, busy or pending?

Usage: python3 bench/bench_figures.py [--loads 1] [--moves 10] [--window 5] [--only KEY,KEY]
                                      [--no-training] [--cold] [--settle] [--width 1280]
"""

import argparse
import datetime
import os
import statistics
import sys
import traceback
from dataclasses import dataclass, field
from math import cos, sin
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "py"))
import bench_page  # noqa: E402
from bench_page import describe, harness, median, pct  # noqa: E402  (harness: tests/browser/harness.py)

from elbo_lab.session import EPOCHS_MAX  # noqa: E402

# from ../shared/DESIGN.md, "Budgets"
BUDGET_MEDIAN, BUDGET_P95 = bench_page.BUDGET_MEDIAN, bench_page.BUDGET_P95  # idle: 30 / 50 ms
TRAIN_MEDIAN, TRAIN_P95 = 50, 100  # the same while the lab trains
BUDGET_GRID = bench_page.BUDGET_GRID  # grid-posterior panels: 250 ms (the median, idle and training)
KEEP_RATE = 0.5  # training keeps this share of its idle steps/s during a drag
GRID_FIGURES = ("lab_posterior", "draw")

RUN_LEFT_S = 60  # restart a run with less than this many seconds of training left
TRAIN_START_TIMEOUT_MS = 120_000  # a wait, not a budget: the first Train may load scipy

PADS_JS = "() => [...document.querySelectorAll('[data-kind=pad]')].map(el => el.id)"

BLAS_JS = "() => ELBO.bridge.send({ op: 'blas', name: 'load' }).then(() => true)"

# No request to the worker outstanding and no paint for `ms` (or `limitMs` passed).
QUIET_JS = """async ({ ms, limitMs }) => {
    const paints = ELBO.metrics.paints;
    const t0 = performance.now();
    let n = paints.length, since = t0;
    while (performance.now() - t0 < limitMs) {
        await new Promise(r => setTimeout(r, 5));
        if (paints.length !== n || ELBO.bridge.waiting.size > 0) { n = paints.length; since = performance.now(); }
        else if (performance.now() - since >= ms) return true;
    }
    return false;
}"""

SCROLL_JS = "(id) => document.getElementById(id).scrollIntoView({ block: 'center' })"

# Before a stroke: the paint log's length, the time, the pad's value and where its canvas is.
STROKE_START_JS = """(id) => {
    const pad = document.getElementById(id);
    const box = pad.querySelector('canvas').getBoundingClientRect();
    return { n: ELBO.metrics.paints.length, t: performance.now(), value: pad.dataset.value,
             box: { x: box.left, y: box.top, width: box.width, height: box.height } };
}"""

# After it: the first paint of the figure with a picture that answers an input at or after
# the stroke's start (the pad's change), as {lat, py}; or {error}.
STROKE_ANSWER_JS = """async ({ key, id, n, t, value, timeoutMs }) => {
    if (document.getElementById(id).dataset.value === value) return { error: 'the stroke changed no pixel' };
    const paints = ELBO.metrics.paints;
    let hit;
    while (!(hit = paints.slice(n).find(p => p.key === key && p.image && p.input >= t))) {
        if (performance.now() - t > timeoutMs) {
            const box = document.querySelector(`[data-widget="${key}"] .widget-error`);
            return { error: box && !box.hidden ? box.textContent : 'no answer' };
        }
        await new Promise(r => requestAnimationFrame(r));
    }
    return { lat: hit.painted - hit.input, py: hit.pyMs };
}"""

# Count the frames in which figure `key` awaits an answer, and those showing a "computing" state.
PROBE_JS = """(key) => {
    const figure = document.querySelector(`[data-widget="${key}"]`);
    const named = (el) => /comput|busy|pending/i.test(el.className) && el.getClientRects().length > 0;
    const computing = () => figure.getAttribute('aria-busy') === 'true' || named(figure) ||
        !!figure.querySelector('[aria-busy="true"]') || [...figure.querySelectorAll('[class]')].some(named);
    const probe = window.benchProbe = { awaited: 0, shown: 0, on: true };
    const frame = () => {
        if (!probe.on) return;
        if (ELBO.bridge.busy(key)) { probe.awaited++; if (computing()) probe.shown++; }
        requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
}"""
PROBE_END_JS = "() => { benchProbe.on = false; return { awaited: benchProbe.awaited, shown: benchProbe.shown }; }"

VALUES_JS = "(ids) => ids.map(id => document.getElementById(id).value)"
RESTORE_JS = """({ ids, values }) => ids.forEach((id, i) => {
    const el = document.getElementById(id);
    if (el.value === values[i]) return;
    el.value = values[i];
    el.dispatchEvent(new Event('change', { bubbles: true }));
})"""

# The lab: its run, step, length, and whether it trains (ELBO.labPanel, js/lab.js).
LAB_JS = """() => {
    const lab = ELBO.labPanel, s = lab && lab.status;
    return s ? { run: s.run, step: s.step, total: s.epochs * s.steps_per_epoch, epochs: s.epochs,
                 done: s.done, training: lab.training, rate: Number.isFinite(lab.rate) ? lab.rate : null } : null;
}"""
LAB_READY_JS = "() => !!(ELBO.labPanel && ELBO.labPanel.status) && !document.getElementById('lab-train').disabled"
TRAINING_JS = "() => ELBO.labPanel.training && Number.isFinite(ELBO.labPanel.rate)"
EPOCHS_JS = """(epochs) => {
    const box = document.getElementById('lab-epochs-num');
    box.value = String(epochs);
    box.dispatchEvent(new Event('change', { bubbles: true }));
}"""
CLICK_JS = "(id) => document.getElementById(id).click()"

WARMED_JS = "() => !!(ELBO.metrics.warm && ELBO.metrics.warm.finished)"
WARM_JS = """() => { const w = ELBO.metrics.warm;
    return w ? { calls: w.calls, done: w.done, finished: w.finished, started: w.started,
                 seconds: w.ended === null ? null : (w.ended - w.started) / 1000 } : null; }"""

LAB_KEYS_JS = "() => ELBO.FIGURES.filter(row => row.lab).map(row => row.key)"
SCROLL_FIGURE_JS = "(key) => document.querySelector(`[data-widget=\"${key}\"]`).scrollIntoView({ block: 'center' })"

# Training steps per second over the next `ms`.
IDLE_RATE_JS = """async (ms) => {
    const lab = ELBO.labPanel;
    const s0 = lab.status, t0 = performance.now();
    await new Promise(r => setTimeout(r, ms));
    const s1 = lab.status, t1 = performance.now();
    return { rate: (s1.step - s0.step) / ((t1 - t0) / 1000), valid: s0.run === s1.run && lab.training };
}"""

# A drag of range control `id` for `ms`, one input per frame, while counting training steps;
# then the wait for the frame of figure `key` that shows the last value.
FIGURE_DRAG_JS = """async ({ key, id, ms }) => {
    const raf = () => new Promise(r => requestAnimationFrame(r));
    const slider = document.getElementById(id);
    document.querySelector(`[data-widget="${key}"]`).scrollIntoView({ block: 'center' });
    await raf(); await raf();
    const lo = Number(slider.min), hi = Number(slider.max);
    const lab = ELBO.labPanel, paints = ELBO.metrics.paints, n0 = paints.length;
    const s0 = lab.status, t0 = performance.now();
    let last = 0, events = 0;
    while (performance.now() - t0 < ms) {
        const u = (performance.now() - t0) / 2000;
        slider.value = String(lo + (hi - lo) * (0.5 - 0.5 * Math.cos(6 * Math.PI * u)));
        last = performance.now();
        slider.dispatchEvent(new Event('input', { bubbles: true }));
        events++;
        await raf();
    }
    const s1 = lab.status, t1 = performance.now();
    const out = { events, rate: (s1.step - s0.step) / ((t1 - t0) / 1000), valid: s0.run === s1.run && lab.training };
    let hit;
    while (!(hit = paints.slice(n0).find(p => p.key === key && p.image && p.input >= last))) {
        if (performance.now() - last > 30000) break;
        await raf();
    }
    out.frames = paints.slice(n0).filter(p => p.key === key && p.image && (!hit || p.painted <= hit.painted)).length;
    out.catchup = hit ? hit.painted - last : null;
    return out;
}"""


@dataclass
class Rec:
    """The moves of one control of one figure in one phase."""
    lat: list = field(default_factory=list)  # ms, input -> frame after new pixels
    py: list = field(default_factory=list)  # Python's ms for each answer
    share: list = field(default_factory=list)  # py / lat per move
    missing: int = 0  # moves with no new pixels

    def add(self, lat, py):
        self.lat.append(lat)
        if py is not None:
            self.py.append(py)
            self.share.append(py / lat if lat > 0 else None)


@dataclass
class Results:
    recs: dict = field(default_factory=dict)  # (phase, figure, control) -> Rec
    order: list = field(default_factory=list)  # (figure, control, kind) in the page's order
    probes: dict = field(default_factory=dict)  # (phase, figure) -> [frames awaited, frames "computing"]
    drags: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    console: list = field(default_factory=list)
    strokes: int = 0  # strokes drawn so far: each starts from a new point
    warm: list = field(default_factory=list)  # the page's warm-up, per load (WARM_JS)

    def rec(self, phase, key, control, kind):
        if (key, control, kind) not in self.order:
            self.order.append((key, control, kind))
        return self.recs.setdefault((phase, key, control), Rec())


def quiet(page, args, ms=None):
    page.evaluate(QUIET_JS, {"ms": args.idle if ms is None else ms, "limitMs": args.timeout * 1000})


def stroke_points(box, k):
    """From a point on a circle around the pad's centre (the golden angle apart) to the centre."""
    angle = 2.399963 * k
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    return (cx + 0.35 * box["width"] * cos(angle), cy + 0.35 * box["height"] * sin(angle)), (cx, cy)


def stroke_moves(page, key, pad, args, res, phase, load):
    """--moves strokes on the pad `pad` of figure `key`, each to the figure's new pixels."""
    rec = res.rec(phase, key, pad, "pad")
    page.evaluate(SCROLL_JS, pad)
    quiet(page, args, 300)
    misses = 0
    for _ in range(args.moves):
        if misses >= 2:
            break
        start = page.evaluate(STROKE_START_JS, pad)
        (x0, y0), (x1, y1) = stroke_points(start["box"], res.strokes)
        res.strokes += 1
        page.mouse.move(x0, y0)
        page.mouse.down()
        page.mouse.move(x1, y1, steps=5)
        page.mouse.up()
        got = page.evaluate(STROKE_ANSWER_JS, {"key": key, "id": pad, "n": start["n"], "t": start["t"],
                                               "value": start["value"], "timeoutMs": args.timeout * 1000})
        if "error" in got:
            rec.missing += 1
            misses += 1
            res.notes.append(f"load {load}, {phase}: {key}: {pad} stroke: {got['error']}")
        else:
            rec.add(got["lat"], got["py"])
            misses = 0
        quiet(page, args)


def measure_figure(page, fig, args, res, phase, load):
    """Every control of one figure: the pad by strokes, the rest by bench_page's MOVES_JS."""
    key = fig["key"]
    pads = [c["id"] for c in fig["controls"] if c["kind"] == "pad"]
    others = [c for c in fig["controls"] if c["kind"] != "pad"]
    if key in GRID_FIGURES:
        page.evaluate(PROBE_JS, key)
    for pad in pads:
        stroke_moves(page, key, pad, args, res, phase, load)
    if others:
        selects = [c["id"] for c in others if c["kind"] == "select"]
        values = page.evaluate(VALUES_JS, selects)
        # --settle (idle only): a control at a time, and the page's warm-up of the figure at the
        # values left (js/app.js warmAgain) finished before the next, as for a reader who pauses
        settle = args.settle and phase == "idle"
        recs = []
        for group in ([[c] for c in others] if settle else [others]):
            recs += page.evaluate(bench_page.MOVES_JS, {"key": key, "controls": group, "moves": args.moves,
                                                        "idle": args.idle, "timeoutMs": args.timeout * 1000})
            if settle:
                page.wait_for_timeout(1100)  # the warm-up waits a second after the last input
                page.wait_for_function(WARMED_JS, timeout=args.timeout * 1000, polling=100)
        for got in recs:
            rec = res.rec(phase, key, got["id"], got["kind"])
            for lat, py in zip(got["lat"], got["py"], strict=True):
                rec.add(lat, py)
            rec.missing += got["missing"]
            if got["errors"]:
                res.notes.append(f"load {load}, {phase}: {key}: {'; '.join(got['errors'][:2])}")
        page.evaluate(RESTORE_JS, {"ids": selects, "values": values})
    if key in GRID_FIGURES:
        probe = page.evaluate(PROBE_END_JS)
        counts = res.probes.setdefault((phase, key), [0, 0])
        counts[0] += probe["awaited"]
        counts[1] += probe["shown"]
    quiet(page, args, 300)


def train(page, args):
    """Press Train; return once the lab reports a rate and the lab's figures have redrawn."""
    page.evaluate(CLICK_JS, "lab-train")
    page.wait_for_function(TRAINING_JS, timeout=TRAIN_START_TIMEOUT_MS, polling=100)
    quiet(page, args, 300)


def start_training(page, args):
    """The lab's longest run, trained."""
    page.evaluate(EPOCHS_JS, EPOCHS_MAX)
    page.wait_for_function(f"() => ELBO.labPanel.status.epochs === {EPOCHS_MAX}")
    train(page, args)


def keep_training(page, args, res, where, load):
    """Make sure the lab trains, with at least RUN_LEFT_S of its run left; True if it was
    (re)started here, which is noted."""
    lab = page.evaluate(LAB_JS)
    left = lab["total"] - lab["step"]
    if lab["training"] and left >= (lab["rate"] or 0) * RUN_LEFT_S:
        return False
    if lab["training"] or lab["done"]:  # near or at its end: a fresh run of the same settings
        page.evaluate(CLICK_JS, "lab-reset")
        page.wait_for_function(f"() => ELBO.labPanel.status.run !== {lab['run']}")
        what = f"reset and trained again (run {lab['run']} at step {lab['step']} of {lab['total']})"
    else:
        what = f"Train pressed again (the lab was not training, at step {lab['step']} of {lab['total']})"
    train(page, args)
    res.notes.append(f"load {load}, before {where}: {what}")
    return True


def drag_control(fig):
    """The figure's first range control of its own, else its first range control, else None."""
    ranges = [c for c in fig["controls"] if c["kind"] == "range"]
    own = [c for c in ranges if c["own"]]
    return (own or ranges or [None])[0]


def throughput(page, figures, args, res, load):
    """Idle, drag, idle, drag, ..., idle: steps/s in each window, while the lab trains."""
    drags = [(fig["key"], c["id"]) for fig in figures if (c := drag_control(fig))]
    lab_keys = set(page.evaluate(LAB_KEYS_JS))
    ms = args.window * 1000

    def idle(key):  # the figure on screen, its answers and the lab's refreshes settled, no input
        page.evaluate(SCROLL_FIGURE_JS, key)
        quiet(page, args, 300)
        got = page.evaluate(IDLE_RATE_JS, ms)
        if not got["valid"]:
            res.notes.append(f"load {load}: an idle window with {key} on screen saw training stop; not counted")
        return got["rate"] if got["valid"] else None

    before = None
    for n, (key, control) in enumerate(drags):
        if keep_training(page, args, res, f"the drag of {key}", load) or before is None:
            before = idle(key)
        got = page.evaluate(FIGURE_DRAG_JS, {"key": key, "id": control, "ms": ms})
        after = idle(key)
        if not got["valid"]:
            res.notes.append(f"load {load}: the drag of {key} saw training stop; its rate not counted")
        around = [r for r in (before, after) if r is not None]
        res.drags.append({"key": key, "control": control, "events": got["events"], "frames": got["frames"],
                          "catchup": got["catchup"], "rate": got["rate"] if got["valid"] else None,
                          "idle": statistics.fmean(around) if around else None})
        print(f"  drag {key} {control}: {res.drags[-1]['rate'] or 0:.0f} steps/s, idle around it "
              f"{res.drags[-1]['idle'] or 0:.0f}", file=sys.stderr, flush=True)
        # The lab refreshes its figures on screen: an idle window is the next drag's too
        # only if neither figure is one of the lab's.
        shared = n + 1 < len(drags) and not {key, drags[n + 1][0]} & lab_keys
        before = after if shared else None


def discover(page, args):
    """bench_page's figures and controls, the pads marked as such (DISCOVER_JS reads them as ranges)."""
    pads = set(page.evaluate(PADS_JS))
    figures = page.evaluate(bench_page.DISCOVER_JS)
    for fig in figures:
        for c in fig["controls"]:
            if c["id"] in pads:
                c["kind"] = "pad"
    return [f for f in figures if f["controls"] and (not args.only or f["key"] in args.only)]


def run_load(browser, url, args, res, i):
    load = i + 1

    def log(what):
        print(f"load {load}/{args.loads}: {what}", file=sys.stderr, flush=True)

    context = browser.new_context(viewport={"width": args.width, "height": 900})
    page = context.new_page()
    page.on("console", lambda m: res.console.append(f"load {load} console.{m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: res.console.append(f"load {load} page error: {e}"))
    try:
        page.goto(url)
        try:
            page.wait_for_function(bench_page.DRAWN_JS, timeout=bench_page.READY_TIMEOUT_MS, polling=100)
        except Exception:  # measure what there is, and say what is missing
            res.notes.append(f"load {load}: not every figure drawn after {bench_page.READY_TIMEOUT_MS / 1000:.0f} s: "
                             f"missing {page.evaluate(bench_page.MISSING_JS)}")
        page.wait_for_function(LAB_READY_JS, timeout=bench_page.READY_TIMEOUT_MS, polling=100)
        page.evaluate(BLAS_JS)
        figures = discover(page, args)
        log(f"every figure drawn; {len(figures)} figures with controls")
        if not args.cold:  # the page's warm-up (js/app.js warmUp): what a reader finds after it
            try:
                page.wait_for_function(WARMED_JS, timeout=bench_page.READY_TIMEOUT_MS, polling=250)
            except Exception:
                res.notes.append(f"load {load}: the warm-up had not finished after "
                                 f"{bench_page.READY_TIMEOUT_MS / 1000:.0f} s")
            res.warm.append(page.evaluate(WARM_JS))
            log(f"warm-up: {res.warm[-1]}")
        for fig in figures:
            measure_figure(page, fig, args, res, "idle", load)
        log("idle moves done")
        if args.no_training:
            return
        start_training(page, args)
        log("training")
        for fig in figures:
            keep_training(page, args, res, f"{fig['key']}'s moves", load)
            run = page.evaluate(LAB_JS)["run"]
            measure_figure(page, fig, args, res, "training", load)
            lab = page.evaluate(LAB_JS)
            if not lab["training"] or lab["run"] != run:
                res.notes.append(f"load {load}: training stopped during {fig['key']}'s moves (step {lab['step']} "
                                 f"of {lab['total']}); the later moves were idle")
        log("moves while training done")
        throughput(page, figures, args, res, load)
    except Exception as err:  # a benchmark that prints: report and go on
        res.notes.append(f"load {load}: failed: {type(err).__name__}: {str(err).splitlines()[0]}")
        traceback.print_exc()
    finally:
        context.close()


# ---- the report ----

def num(value, width, digits=0):
    return f"{'-':>{width}s}" if value is None else f"{value:{width}.{digits}f}"


def budget(key, phase):
    """(median, p95) budget in ms for a figure in a phase; None: no budget."""
    if key in GRID_FIGURES:
        return BUDGET_GRID, None
    return (BUDGET_MEDIAN, BUDGET_P95) if phase == "idle" else (TRAIN_MEDIAN, TRAIN_P95)


def judge(rec, key, phase):
    """(verdict text, within the goal: True / False / None if not measured)."""
    if rec is None or (not rec.lat and not rec.missing):
        return "not measured", None
    if not rec.lat:
        return f"no answer ({rec.missing} moves)", False
    bm, bp = budget(key, phase)
    flags = [name for name, value, b in (("median", median(rec.lat), bm), ("p95", pct(rec.lat, 0.95), bp))
             if b is not None and value > b]
    text = f"OVER ({', '.join(flags)})" if flags else "ok"
    if rec.missing:
        text += f", {rec.missing} unanswered"
    return text, not flags and not rec.missing


def short(rec):
    """'median/p95 ms' of a record, for the goal lines."""
    if rec is None or not rec.lat:
        return "no answer"
    return f"{median(rec.lat):.0f}/{pct(rec.lat, 0.95):.0f} ms"


def computing_note(res, key, phase):
    awaited, shown = res.probes.get((phase, key), (0, 0))
    return f"'computing' shown in {shown} of {awaited} frames awaited", shown > 0


def stats_cells(rec):
    if rec is None or not rec.lat:
        return f"{0 if rec is None else len(rec.lat):3d} {num(None, 7)} {num(None, 6)} {num(None, 6)} {num(None, 4)}"
    share = median(rec.share)
    return (f"{len(rec.lat):3d} {num(median(rec.lat), 7)} {num(pct(rec.lat, 0.95), 6)} {num(median(rec.py), 6)} "
            f"{num(None if share is None else 100 * share, 4)}")


def goal_line(name, rows):
    """rows: [(label, within)]: within None (not measured) is left out."""
    judged = [(label, ok) for label, ok in rows if ok is not None]
    over = [label for label, ok in judged if not ok]
    verdict = "MET" if judged and not over else "NOT MET" if judged else "not measured"
    print(f"{name}: {len(judged) - len(over)} of {len(judged)} within -> {verdict}"
          + (f"; over: {', '.join(over)}" if over else ""))


def report(res, args, version, load_before):
    training = not args.no_training
    print(f"\nELBO Lab figures benchmark (issue 14), {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}: "
          f"commit {describe(harness.ROOT)}, Chromium {version}, local Pyodide mirror")
    print(f"machine: {os.cpu_count()} cores, load average {load_before} before the run, "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} after (other work on the machine adds noise)")
    layout = " (the narrow layout)" if args.width < 500 else ""
    print(f"{args.loads} load(s), fresh context each, {args.width}x900{layout}; "
          f"{args.moves} moves per figure and control per phase, "
          f"{args.idle} ms of quiet between moves; scipy's BLAS loaded first"
          + (f"; training: the lab's longest run ({EPOCHS_MAX} epochs), {args.window:g} s windows" if training else ""))
    for i, w in enumerate(res.warm):
        if w:
            print(f"load {i + 1}: measured after the page's warm-up: {w['done']} of {w['calls']} background draws "
                  f"in {num(w['seconds'], 0, 1)} s, started {w['started'] / 1000:.1f} s after navigation")
    if args.cold:
        print("measured at once, while the page's warm-up runs (--cold)")
    if args.settle:
        print("idle: a control at a time, the page's warm-up of the figure at the values left let finish "
              "before the next (--settle)")
    print(f"budgets (ms, median / p95): idle {BUDGET_MEDIAN} / {BUDGET_P95}; while training {TRAIN_MEDIAN} / "
          f"{TRAIN_P95}; grid-posterior figures ({', '.join(GRID_FIGURES)}) {BUDGET_GRID} median, idle and "
          f"training, with a visible 'computing' state; training keeps >= {KEEP_RATE:.0%} of idle steps/s")

    print("\ncontrol -> frame after the figure's new pixels, ms (py: Python's ms, median; py%: median of "
          "Python's share per move)")
    head = f"{'n':>3s} {'median':>7s} {'p95':>6s} {'py':>6s} {'py%':>4s}"
    print(f"{'figure':14s} {'control':12s} {'kind':10s} | idle {head} | training {head} | verdict")
    goals = {"idle": [], "grid": [], "training": []}  # goal -> [(label, within)]
    for key, control, kind in res.order:
        idle = res.recs.get(("idle", key, control))
        busy = res.recs.get(("training", key, control))
        label = f"{key} {control}"
        idle_text, idle_ok = judge(idle, key, "idle")
        verdict = f"idle {idle_text}"
        if key in GRID_FIGURES:
            note, shown = computing_note(res, key, "idle")
            verdict += f" ({note})"
            why = [w for w, bad in ((short(idle), idle_ok is False), ("no 'computing' state", not shown)) if bad]
            goals["grid"].append((f"{label} ({', '.join(why)})", None if idle_ok is None else idle_ok and shown))
        else:
            goals["idle"].append((f"{label} ({short(idle)})", idle_ok))
        if training:
            busy_text, busy_ok = judge(busy, key, "training")
            verdict += f"; training {busy_text}"
            goals["training"].append((f"{label} ({short(busy)})", busy_ok))
        print(f"{key:14s} {control:12s} {kind:10s} |      {stats_cells(idle)} |          "
              f"{stats_cells(busy) if training else '':s} | {verdict}")

    if training:
        print(f"\ntraining throughput: steps/s in {args.window:g} s windows, idle (the mean of the idle windows "
              f"around the drag) and during a continuous drag (one input per frame); frames of the dragged figure "
              f"painted; catch-up: last input -> its frame, ms")
        print(f"{'figure':14s} {'control':12s} | {'idle':>6s} {'drag':>6s} {'ratio':>5s} {'verdict':8s} | "
              f"{'events':>6s} {'frames':>6s} {'catch-up':>8s}")
        goals["drag"] = []
        for d in res.drags:
            ratio = d["rate"] / d["idle"] if d["rate"] is not None and d["idle"] else None
            ok = None if ratio is None else ratio >= KEEP_RATE
            verdict = "idle 0" if d["idle"] == 0 else "-" if ok is None else "ok" if ok else "UNDER"
            goals["drag"].append((f"{d['key']} {d['control']} ({num(ratio, 0, 2)})", ok))
            print(f"{d['key']:14s} {d['control']:12s} | {num(d['idle'], 6)} {num(d['rate'], 6)} {num(ratio, 5, 2)} "
                  f"{verdict:8s} | {d['events']:6d} {d['frames']:6d} "
                  f"{num(d['catchup'], 8)}")

    print()
    goal_line(f"goal: every figure, idle, median <= {BUDGET_MEDIAN} and p95 <= {BUDGET_P95} ms (rows)", goals["idle"])
    goal_line(f"goal: grid-posterior panels, idle, median <= {BUDGET_GRID} ms with a visible 'computing' state "
              f"(rows)", goals["grid"])
    if training:
        goal_line(f"goal: while training, every figure median <= {TRAIN_MEDIAN} and p95 <= {TRAIN_P95} ms "
                  f"(grid panels median <= {BUDGET_GRID}) (rows)", goals["training"])
        goal_line(f"goal: training keeps >= {KEEP_RATE:.0%} of its idle steps/s during a {args.window:g} s drag "
                  f"(drags)", goals["drag"])
    for note in res.notes:
        print(f"note: {note}")
    bench_page.print_errors(res.console)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loads", type=int, default=1, help="page loads (fresh context each)")
    ap.add_argument("--moves", type=int, default=10, help="moves (strokes) per figure and control per phase")
    ap.add_argument("--idle", type=int, default=100, help="ms of quiet between moves")
    ap.add_argument("--timeout", type=float, default=15, help="s to wait for one move's pixels")
    ap.add_argument("--window", type=float, default=5, help="s of each training-rate window (idle, drag)")
    ap.add_argument("--only", type=lambda s: set(s.split(",")), help="only these figures (comma-separated keys)")
    ap.add_argument("--no-training", action="store_true", help="idle moves only: no training, no throughput")
    ap.add_argument("--width", type=int, default=1280,
                    help="the window's CSS width: 360 gives a phone's narrow figures (larger, taller images)")
    ap.add_argument("--cold", action="store_true", help="measure at once, not after the page's warm-up")
    ap.add_argument("--settle", action="store_true",
                    help="idle: after each control's moves, wait for the page to warm the figure at the "
                         "values left (a reader who pauses between controls)")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    res = Results()
    cdn = harness.cdn_server(harness.default_mounts())
    site = harness.static_server(harness.ROOT)
    version = "?"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=harness.chromium_path(),
                                         args=harness.chromium_args(cdn.server_port))
            version = browser.version
            for i in range(args.loads):
                run_load(browser, f"http://127.0.0.1:{site.server_port}/index.html", args, res, i)
            browser.close()
    finally:
        harness.stop(cdn)
        harness.stop(site)
    report(res, args, version, load_before)


if __name__ == "__main__":
    try:
        main()
    except Exception:  # prints; never fails
        traceback.print_exc()
    sys.exit(0)
