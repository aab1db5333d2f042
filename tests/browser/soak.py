"""A soak of the page: many slider updates over several figures and repeated Train / Reset
runs in one page, with the memory of the page and of the worker's wasm heap, and the
latency of the first and last updates. Used by test_browser_polish (bounded) and by
bench/bench_soak.py (which prints)."""

# (figure key, slider id, low, high): each update sets the slider and waits for its paint
SLIDERS = [("kl", "kl-mu", -3.0, 3.0), ("tension", "ten-beta", 0.2, 4.0), ("posterior", "post-x", -1.0, 6.0),
           ("reparam", "rep-mu", -2.0, 2.0), ("decode_at", "dec-z1", -3.0, 3.0)]

UPDATES_JS = """async ([sliders, count]) => {
  const paints = ELBO.metrics.paints, out = [];
  for (let i = 0; i < count; i++) {
    const [key, id, lo, hi] = sliders[i % sliders.length];
    const el = document.getElementById(id);
    const value = lo + (hi - lo) * (((i * 0.618034) % 1));
    const before = paints.length;
    const t0 = performance.now();
    el.value = String(Math.round(value * 100) / 100);
    el.dispatchEvent(new Event('input', { bubbles: true }));
    for (let tries = 0; tries < 400; tries++) {  // its paint, or give up after 10 s
      if (paints.slice(before).some((p) => p.key === key && p.input >= t0 - 1)) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    out.push(performance.now() - t0);
  }
  return out;
}"""

TRAIN_RESET_JS = """async () => {
  const panel = document.getElementById('lab-panel');
  const step = () => Number(panel.dataset.step || 0);
  const wait = async (ok) => { for (let i = 0; i < 2400 && !ok(); i++) await new Promise((r) => setTimeout(r, 25)); };
  document.getElementById('lab-train').click();
  await wait(() => step() > 30);
  document.getElementById('lab-train').click();
  await wait(() => document.getElementById('lab-state').textContent === 'paused');
  document.getElementById('lab-reset').click();
  await wait(() => step() === 0 && document.getElementById('lab-state').textContent === 'ready');
  return step();
}"""


def memory(page, cdp):
    """{"js": the page's used JS heap after a garbage collection, "wasm": the worker's wasm heap
    (it grows by a step at each new peak and never shrinks), "malloc": the bytes in use in it
    after Python's garbage collection (what a leak grows)}, bytes (cdp: a CDP session of the page)."""
    cdp.send("HeapProfiler.collectGarbage")
    js = cdp.send("Runtime.getHeapUsage")["usedSize"]
    worker = next(iter(page.workers), None)
    wasm = malloc = 0
    if worker:
        out = worker.evaluate("self.elboMemory ? self.elboMemory() : {wasmBytes: 0, mallocBytes: 0}")
        wasm, malloc = out["wasmBytes"], out["mallocBytes"]
    return {"js": js, "wasm": wasm, "malloc": malloc}


def run(page, updates=2000, runs=5):
    """Warm up (a tenth of the updates and one run), then the rest, with `runs` Train / Reset runs
    spread among them. Returns the memory before and after, and the update latencies (ms)."""
    warm = updates // 10
    page.evaluate(UPDATES_JS, [SLIDERS, warm])
    page.evaluate(TRAIN_RESET_JS)
    cdp = page.context.new_cdp_session(page)
    before = memory(page, cdp)
    latencies = []
    left, per = updates - warm, (updates - warm) // runs
    for r in range(runs):
        latencies += page.evaluate(UPDATES_JS, [SLIDERS, per if r < runs - 1 else left - per * (runs - 1)])
        assert page.evaluate(TRAIN_RESET_JS) == 0
    after = memory(page, cdp)
    return {"before": before, "after": after, "latencies": latencies}
