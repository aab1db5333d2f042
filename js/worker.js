/* ELBO Lab worker. It owns Pyodide and runs the Python core.
 *
 * This function is never called on the page. bridge.js turns its source into
 * a data: URL and starts it as a *module* Web Worker. Why that form:
 *   - Pyodide 314 refuses classic workers ("Classic web workers are not supported");
 *   - from a file:// page Chromium refuses a worker loaded from a file, and a
 *     module worker from a blob: URL, but accepts a module worker from a data: URL.
 * So it must be self-contained: no closures over page code.
 *
 * Requests. The page sends {id, op, name, params} (plus background and key, see
 * Scheduling); every one is answered {id, ok: true, result} or {id, ok: false,
 * error, param, bug}. The requests, their ops and answers are defined once, in
 * py/elbo_lab/door.py: the worker hands each to elbo_lab.door.handle, the one door
 * into Python, through HANDLERS below. Four ops need the worker too:
 *   "lab"       "train" loads scipy's BLAS on first use and starts the training
 *               loop (params {until_step}: a linked run, trained to that step, then
 *               stopped); "pause" and "reset" stop it (then Python answers)
 *   "plotting"  "start" loads matplotlib (the stage "plotting"), then posts
 *               {type: "ready"}; the page sends it after its first calls
 *   "theme"     remembered, so an exported script draws in the reader's colours
 *   "blas"      worker only: load scipy's BLAS (as the first Train does) and multiply
 *               with it from then on; the drawing pad asks for it on first use
 *
 * Other messages (page -> worker): {type: "ping"}, answered {type: "pong"} between units
 * of work (the page's heartbeat while it waits for answers); {type: "init", base, packages}:
 * load Pyodide's core from `base` (pinned by PYODIDE_SRI) and its packages from
 * `packages`. {type: "code", bundle, dataFigures}: our sources (js/py-bundle.js),
 * unpacked and imported once numpy is in; the page starts the worker from <head>, before
 * its own scripts have loaded, and sends them when they have. {type: "data", bundle}: the
 * stored digits and weights (js/py-data.js), unpacked beside the sources once
 * those are in. Until then the requests that read them (the lab's, the test
 * digits' ("digit"), and those of the figures in `dataFigures`, for a figure or
 * its export) wait, and every
 * other request is served. {type: "bytecode", bundle}: js/py-bytecode.js, or null;
 * the plotting stage waits for it (installBytecode). (worker -> page):
 *   {type: "stage", stage, state, ms}     state: "start" | "done"; stages: core,
 *                                         numpy, code (requests are served from
 *                                         here on), plotting
 *   {type: "ready"} (figures can be drawn) | {type: "fatal", stage, message}
 *   {type: "pending", files}              the downloads in flight (file names)
 *   {type: "lab", event, ...}             "blas" (state start|done, ms), "progress"
 *                                         (status), "stopped" (status, reason), "error"
 *
 * Loading is not a request: at its stage the worker imports elbo_lab.door (code),
 * elbo_lab.plotting.agg (plotting: it installs the drawing backend) and
 * elbo_lab.fastblas (first Train: scipy's BLAS).
 *
 * Scheduling. Work is done one unit per task, and the worker returns to its
 * message loop between units, so a message that arrives mid-training is seen
 * within one unit. Order of preference: the reader's calls (slider moves),
 * then background calls (the lab's figure refreshes), then one training chunk
 * of CHUNK_MS. While calls keep coming (a drag), training still gets two thirds of
 * the worker: each call earns it TRAIN_SHARE times the call's time, which it takes
 * as soon as that is due (in chunks of at most SHARE_MAX_MS), before the next call.
 * A reader's figure request for a key drops that key's queued background
 * request (answered {id, ok: false, superseded: true}). No SharedArrayBuffer
 * is needed (nor available on file://).
 */
function elboWorkerMain() {
  "use strict";
  const CHUNK_MS = 15;  // one training chunk while nothing else waits
  const TRAIN_SHARE = 2;  // during a drag, ms of training owed per ms of calls served
  const SHARE_MAX_MS = 40;  // during a drag, the longest chunk: the most a call waits for training
  let pyodide = null;
  // for the soak test and bench: the wasm heap's size, which grows (by up to 96 MB a step, at a
  // new peak) and never shrinks, and the bytes malloc has handed out and not had back after a
  // garbage collection (mallinfo's uordblks, the 8th int of the struct it writes): what a leak grows
  self.elboMemory = () => {
    if (!pyodide) return { wasmBytes: 0, mallocBytes: 0 };
    pyodide.runPython("import gc; gc.collect()");  // what is garbage is not in use
    const m = pyodide._module, info = m._malloc(40);
    m._mallinfo(info);
    const used = m.HEAPU32[(info >> 2) + 7];
    m._free(info);
    return { wasmBytes: m.HEAP8.buffer.byteLength, mallocBytes: used };
  };
  let door = null;  // elbo_lab.door.handle: the one door into Python
  let open = false;  // calls are served once our code is imported
  const interactive = [];  // the reader's calls, first come first served
  const background = [];  // the lab's figure refreshes: after the reader's calls
  let training = false;
  let wantTraining = false;  // Train pressed and not since paused or reset
  let untilStep = null;  // a linked run is replayed to this step, then stops ("replayed")
  let lastStep = 0;  // the run's step at the last chunk
  let blas = null;  // the promise of scipy's BLAS (loaded on the first Train)
  const SRC = "/home/pyodide/elbo_src";  // our package's files, in Pyodide's filesystem
  let codeGiven = null;  // resolves codeSent with the page's {type: "code"} bundle
  const codeSent = new Promise((resolve) => { codeGiven = resolve; });
  let codeIn = false;  // the sources are unpacked
  let dataBundle = null;  // the stored digits and weights, until unpacked
  let dataIn = false;  // and unpacked
  let bytecodeGiven = null;  // resolves bytecodeIn with the page's {type: "bytecode"} bundle, or null
  const bytecodeIn = new Promise((resolve) => { bytecodeGiven = resolve; });
  let dataFigures = new Set();  // the figures whose requests wait for them
  const held = [];  // those requests, meanwhile

  function post(msg, transfer) { self.postMessage(msg, transfer || []); }

  /* ---- the scheduler: one unit of work per task ---- */
  const tick = new MessageChannel();  // unlike setTimeout(0), never clamped to 4 ms
  let scheduled = false;
  function schedule() {
    if (!scheduled) { scheduled = true; tick.port2.postMessage(0); }
  }
  // ms of training owed to a drag: each call adds TRAIN_SHARE times its ms (at most
  // SHARE_MAX_MS in all), each chunk takes its own ms off; a piece that overran is repaid
  // by the next calls, but training while nothing waits is not saved up (at least -CHUNK_MS)
  let credit = 0;
  tick.port1.onmessage = () => {
    scheduled = false;
    if (!open) return;
    const waiting = interactive.length > 0 || background.length > 0;
    if (!training) credit = 0;
    const t0 = performance.now();
    if (training && (!waiting || credit > 0)) {
      trainChunk(waiting ? Math.min(credit, SHARE_MAX_MS) : CHUNK_MS);
      credit = Math.max(credit - (performance.now() - t0), -CHUNK_MS);
    } else if (waiting) {
      handle(interactive.shift() || background.shift());
      if (training) credit = Math.min(credit + TRAIN_SHARE * (performance.now() - t0), SHARE_MAX_MS);
    }
    if (interactive.length || background.length || training) schedule();
  };

  /* Pyodide's loadPackage resolves even when a file fails (it reports through errorCallback,
   * and the import fails later with a long traceback). So the failures are collected and
   * raised here, naming the files and why (an HTTP status, an integrity mismatch). */
  async function loadPackage(name) {
    const problems = [];
    await pyodide.loadPackage(name, { messageCallback: () => {}, errorCallback: (m) => problems.push(String(m)) });
    if (!problems.length) return;
    const files = await unreachableFiles(name);
    const said = files.length ? files.join("; ") : problems.join(" ").replace(/\s+/g, " ").slice(0, 300);
    throw new Error(`could not load the package ${name} (${said}). Check the connection (or the ` +
                    "site's copy of Pyodide), then try again.");
  }

  /* After a failed load: the files of package `name` and its dependencies (from the pinned
   * lock file) that do not download, each with its HTTP status or network error. */
  async function unreachableFiles(name) {
    try {
      const lock = await (await plainFetch(where.core + "pyodide-lock.json")).json();
      const wanted = new Set();
      const visit = (n) => {
        const entry = lock.packages[n.toLowerCase()];
        if (!entry || wanted.has(entry.name)) return;
        wanted.add(entry.name);
        (entry.depends || []).forEach(visit);
      };
      visit(name);
      const out = [];
      for (const n of wanted) {
        const file = lock.packages[n.toLowerCase()].file_name;
        try {
          const answer = await plainFetch(new URL(file, where.packages).href, { method: "HEAD", cache: "no-store" });
          if (!answer.ok) out.push(`${file}: HTTP ${answer.status}`);
        } catch (err) {
          out.push(`${file}: ${(err && err.message) || err}`);
        }
      }
      return out;
    } catch (_) {
      return [];
    }
  }

  async function stage(name, fn) {
    const t0 = performance.now();
    post({ type: "stage", stage: name, state: "start" });
    try {
      await fn();
    } catch (err) {
      const e = new Error(String((err && err.message) || err));
      e.stage = name;
      throw e;
    }
    post({ type: "stage", stage: name, state: "done", ms: performance.now() - t0 });
  }

  function decodeBase64(text) {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  /* Subresource Integrity for Pyodide's core: the files of the npm package
   * pyodide@314.0.3 (tests/test_generated.py checks these against the tarball, whose
   * own sha512 scripts/build_mirror.py checks). The packages need no entry here:
   * Pyodide fetches each with the sha256 that this pinned lock file gives it. */
  const PYODIDE_SRI = {
    "pyodide.mjs": "sha384-37wxVGo7MBryEjut3Wf4qHDxWQY7/9bFQsoJWkHb47/epwO3+PR7FCzBPMCKQv7u",
    "pyodide.asm.mjs": "sha384-YeRhAyBAGbSzchLhpX+ybWe+W+Jo1VPerE6kWkqdGPdTzZhG7Ys3iYYcss8vS/hW",
    "pyodide.asm.wasm": "sha384-w9RzCfsk2Qf16WCSIlnWrpL19cYFkE3gzNS9lHgHbYnrEzptSJK+wVQidhpdPbDL",
    "python_stdlib.zip": "sha384-x/zEaHRF8kG/Ap+4oxfjQZLUo6R7UvX1DKAkGe4Kgw31Yr8Ik8CTloNhhyLC3Tzx",
    "pyodide-lock.json": "sha384-TtZ9cnX+bwqZ/VjrwMf3rNo77t30rxSe99MYWHjIXxQ8wPxPf7Bfgq3absXMLTOo",
  };

  /* Fetch a core file with its integrity. The browser refuses a body that does not
   * match; a second plain request tells that apart from an unreachable server. */
  /* Every download in flight, so that the page can name the file a slow stage waits for:
   * {type: "pending", files: [file names]} whenever the set changes. */
  const inFlight = new Map();  // url -> requests in flight
  const rawFetch = self.fetch.bind(self);
  const postPending = () => post({ type: "pending",
                                   files: [...inFlight.keys()].map((url) => url.split("?")[0].split("/").pop()) });
  self.fetch = (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    inFlight.set(url, (inFlight.get(url) || 0) + 1);
    postPending();
    const settled = () => {
      const left = inFlight.get(url) - 1;
      if (left > 0) inFlight.set(url, left);
      else inFlight.delete(url);
      postPending();
    };
    const answer = rawFetch(input, init);
    answer.then(settled, settled);
    return answer;
  };
  const plainFetch = self.fetch.bind(self);  // before pinPyodideFetches wraps it
  async function fetchPinned(base, name, init) {
    const url = base + name;
    try {
      return await plainFetch(url, Object.assign({}, init, { integrity: PYODIDE_SRI[name] }));
    } catch (err) {
      let reachable = false;
      try { reachable = (await plainFetch(url, { cache: "no-store" })).ok; } catch (_) { /* unreachable */ }
      throw Object.assign(new Error(reachable
        ? url + " is not the file of Pyodide 314.0.3 this page was built for (its " +
          "Subresource Integrity check failed). A self-hosted copy must be that " +
          "version, unchanged: scripts/build_mirror.py writes one."
        : "could not load " + url + " (" + ((err && err.message) || err) +
          "). Is the network or the CDN reachable? (A self-hosted copy must also be " +
          "served with the header Access-Control-Allow-Origin: *.)"), { pinned: true });
    }
  }

  /* import() cannot carry an integrity, so a module is fetched pinned and imported
   * from a blob: URL of the checked text. */
  async function importPinned(base, name) {
    const text = await (await fetchPinned(base, name)).text();
    const url = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
    try {
      return await import(url);
    } finally {
      URL.revokeObjectURL(url);
    }
  }

  /* Pyodide fetches the wasm, the standard library and the lock file itself, and
   * gives no option to pin them, so requests for those names under `base` get
   * their integrity here. A failed check also rejects `failed`: Pyodide swallows a
   * failed wasm load and would otherwise wait forever. */
  function pinPyodideFetches(base) {
    // Such a failure is reported once, as the stage's fatal error; the promises
    // Pyodide left waiting on that file may reject unhandled, which is not news.
    self.addEventListener("unhandledrejection", (event) => {
      if (event.reason && event.reason.pinned) event.preventDefault();
    });
    let fail;
    const failed = new Promise((_, reject) => { fail = reject; });
    self.fetch = (input, init) => {
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      const name = url.startsWith(base) ? url.slice(base.length) : null;
      if (!name || !Object.prototype.hasOwnProperty.call(PYODIDE_SRI, name)) return plainFetch(input, init);
      const pinned = fetchPinned(base, name, init);
      pinned.catch(fail);
      return pinned;
    };
    return failed;
  }

  const where = { core: "", packages: "" };  // the folders Pyodide's core and packages come from
  async function init(base, packages) {
    where.core = base;
    where.packages = packages;
    await stage("core", async () => {
      const failed = pinPyodideFetches(base);
      // both at once; a failure is reported for the first file in this order
      const loaded = await Promise.allSettled([
        importPinned(base, "pyodide.mjs"), importPinned(base, "pyodide.asm.mjs")]);
      for (const result of loaded) if (result.status === "rejected") throw result.reason;
      const [mod, asm] = loaded.map((result) => result.value);
      // numpy downloads while the interpreter starts
      pyodide = await Promise.race([
        mod.loadPyodide({ indexURL: base, packageBaseUrl: packages, createPyodideModule: asm.default,
                          packages: ["numpy"] }),
        failed]);
    });
    await stage("numpy", async () => {
      await loadPackage("numpy");  // loaded with the core: at once (else fetched again here)
      load("numpy");  // the import is most of this stage's time
    });
    const bundle = await codeSent;  // sent long before: the page's scripts load while the core does
    await stage("code", async () => {
      unpack(bundle);
      const path = pyodide.pyimport("sys").path;
      path.insert(0, SRC);
      path.destroy();
      door = pyodide.pyimport("elbo_lab.door").handle;  // a proxy of our own: kept
    });
    codeIn = true;
    unpackData();
    // Numbers are live from here. matplotlib is loaded when the page asks
    // ({plotting}), which it does after queueing its first calls, so the first
    // numbers are not kept waiting by the unpacking of matplotlib's wheels.
    open = true;
    schedule();
  }

  function unpack(files) {
    for (const [path, file] of Object.entries(files.files)) {
      const full = SRC + "/" + path;
      pyodide.FS.mkdirTree(full.slice(0, full.lastIndexOf("/")));
      pyodide.FS.writeFile(full, file.encoding === "base64" ? decodeBase64(file.data) : file.data);
    }
  }

  /* The stored digits and weights, once both they and the sources are in; the
   * requests held for them then join their queues, in their order. */
  function unpackData() {
    if (dataIn || !codeIn || !dataBundle) return;
    unpack(dataBundle);
    dataBundle = null;
    dataIn = true;
    for (const msg of held.splice(0)) (msg.background ? background : interactive).push(msg);
    schedule();
  }

  function needsData(msg) {
    if (msg.op === "lab" || msg.op === "digit") return true;
    const figure = msg.op === "figure" ? msg.name : msg.op === "export" ? (msg.params || {}).name : null;
    return dataFigures.has(figure);
  }

  /* Import a module for its effect (loading is not a request: see the top). */
  function load(module) {
    pyodide.pyimport(module).destroy();
  }

  /* Bytecode made ahead for the modules imported from here on (js/py-bytecode.js; see
   * py/elbo_lab/bytecode.py), which are then not compiled in the page. The page sends it
   * once its script has loaded, or null if it could not load: the sources are then compiled
   * as they are imported, which draws the same figures, seconds later. */
  async function installBytecode() {
    const bundle = await bytecodeIn;
    if (!bundle || !bundle.data) return;
    const path = "/tmp/py-bytecode.bin", installer = pyodide.pyimport("elbo_lab.bytecode");
    try {
      pyodide.FS.writeFile(path, decodeBase64(bundle.data));
      installer.install_file(path).destroy();  // a failure is kept for plotting.bytecode
    } finally {
      installer.destroy();
    }
  }

  let plottingStarted = false;
  function startPlotting() {
    if (!plottingStarted) {
      plottingStarted = true;
      stage("plotting", async () => {
        // requests are served between this load's awaits; figures are drawn once it is done
        await loadPackage("matplotlib");
        await installBytecode();
        load("elbo_lab.plotting.agg");  // installs the drawing backend
        const status = ask("plotting", "status", {});
        if (!status.enabled) throw new Error("matplotlib loaded, but no drawing backend was installed");
      }).then(() => post({ type: "ready" }),
              (err) => post({ type: "fatal", stage: "plotting", message: String(err.message || err) }));
    }
    return {};
  }
  /* One request through the door; its answer converted to plain JS once, here, and
   * every proxy freed. A refusal throws an Error carrying the door's param and bug. */
  function ask(op, name, params) {
    let pyParams = null, pyAnswer = null;
    try {
      pyParams = pyodide.toPy(params || {});
      pyAnswer = door(op, name, pyParams);
      const reply = pyAnswer.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
      if (!reply.ok) throw Object.assign(new Error(reply.error), { param: reply.param, bug: reply.bug });
      return reply.result;
    } finally {
      if (pyParams && pyParams.destroy) pyParams.destroy();
      if (pyAnswer && pyAnswer.destroy) pyAnswer.destroy();
    }
  }

  function refuse(id, err) {
    post({ id: id, ok: false, error: String((err && err.message) || err),
           param: (err && err.param) || null, bug: !!(err && err.bug) });
  }

  function answer(id, fn) {
    const t0 = performance.now();
    let result;
    try {
      result = fn();
    } catch (err) {
      refuse(id, err);
      return;
    }
    if (result && typeof result === "object") result.ms = performance.now() - t0;
    const transfer = [];  // pixels move to the page without a copy
    if (result && result.image && result.image.rgba) transfer.push(result.image.rgba.buffer);
    post({ id: id, ok: true, result: result }, transfer);
  }

  /* ---- the training lab ---- */

  /* Training multiplies with scipy's BLAS (float32 sgemm): about twice as fast
   * as numpy's own matmul in Pyodide, and the drawing figure's posterior grid
   * (float64 dgemm) about 1.4 times. scipy costs seconds to load, so it is loaded
   * on the first Train or the first stroke on the pad, not at start. Requests are
   * served meanwhile. */
  function loadBlas() {
    if (!blas) {
      const t0 = performance.now();
      post({ type: "lab", event: "blas", state: "start" });
      blas = loadPackage("scipy").then(() => {
        load("elbo_lab.fastblas");
        ask("lab", "matmul", { backend: "blas" });
        post({ type: "lab", event: "blas", state: "done", ms: performance.now() - t0 });
      }).catch((err) => {
        blas = null;  // any failure, the download's or the import's: a later Train (or stroke) tries again
        throw err;
      });
    }
    return blas;
  }

  function trainChunk(ms) {
    let status;
    const params = { ms: ms };
    if (untilStep !== null) params.max_steps = Math.max(1, untilStep - lastStep);
    try {
      status = ask("lab", "advance", params);
    } catch (err) {
      training = false;
      post({ type: "lab", event: "error", message: String((err && err.message) || err) });
      return;
    }
    const stepped = status.step !== lastStep;
    lastStep = status.step;
    // a chunk may end mid-step (Python's pieces are shorter than a step): the page hears of
    // whole steps only, so that it is not told the same status three times in four
    if (stepped || status.done) post({ type: "lab", event: "progress", status: status });
    const replayed = untilStep !== null && status.step >= untilStep;
    if (status.done || replayed) {
      training = false;
      untilStep = null;
      post({ type: "lab", event: "stopped", reason: status.done ? "done" : "replayed", status: status });
    }
  }

  function lab(msg) {
    if (msg.name !== "train") {
      answer(msg.id, () => ask("lab", msg.name, msg.params));
      return;
    }
    const until = msg.params && msg.params.until_step;  // a linked run: train to that step
    untilStep = Number.isInteger(until) && until > 0 ? until : null;
    loadBlas().then(() => {
      answer(msg.id, () => {
        const status = ask("lab", "status", {});
        lastStep = status.step;
        if (untilStep !== null && status.step >= untilStep) untilStep = null;  // there already
        training = wantTraining && !status.done;  // unless paused while scipy loaded
        return status;
      });
      schedule();
    }, (err) => {
      refuse(msg.id, new Error("could not load scipy for training: " + ((err && err.message) || err)));
    });
  }

  let theme = "light";  // the figures' colours, for exported scripts

  /* One handler per op (door.py lists them); each answers its message. */
  const HANDLERS = {
    figure: (msg) => answer(msg.id, () => ask("figure", msg.name, msg.params)),
    lab: lab,
    export: (msg) => answer(msg.id, () => ask("export", msg.name,
      msg.name === "download" ? Object.assign({ theme: theme }, msg.params) : msg.params)),
    digit: (msg) => answer(msg.id, () => ask("digit", msg.name, msg.params)),
    blas: (msg) => loadBlas().then(() => answer(msg.id, () => ({ matmul: "blas" })),
      (err) => refuse(msg.id, new Error("could not load scipy: " + ((err && err.message) || err)))),
    theme: (msg) => answer(msg.id, () => {
      const result = ask("theme", msg.name, {});
      theme = result.theme;
      return result;
    }),
    layout: (msg) => answer(msg.id, () => ask("layout", msg.name, {})),
    plotting: (msg) => answer(msg.id, () => (msg.name === "start" ? startPlotting()
                                                                 : ask("plotting", msg.name, {}))),
  };

  function handle(msg) {
    const handler = HANDLERS[msg.op];
    if (handler) handler(msg);
    else refuse(msg.id, new Error("unknown request " + JSON.stringify(msg.op)));
  }

  self.onmessage = async (event) => {
    const msg = event.data;
    if (msg.type === "ping") {  // the page's heartbeat: answered between units of work
      post({ type: "pong" });
      return;
    }
    if (msg.type === "bytecode") {
      bytecodeGiven(msg.bundle || null);
      return;
    }
    if (msg.type === "code") {
      dataFigures = new Set(msg.dataFigures || []);
      codeGiven(msg.bundle);
      return;
    }
    if (msg.type === "data") {
      dataBundle = msg.bundle;
      unpackData();
      return;
    }
    if (msg.type === "init") {
      try {
        await init(msg.base, msg.packages);
      } catch (err) {
        post({ type: "fatal", stage: err.stage || "core", message: String(err.message || err) });
      }
      return;
    }
    // pause and reset overtake queued work: they are what the reader waits for
    if (msg.op === "lab" && msg.name === "train") wantTraining = true;
    if (msg.op === "lab" && (msg.name === "pause" || msg.name === "reset")) {
      training = wantTraining = false;
      untilStep = null;
    }
    if (msg.op === "figure" && !msg.background && msg.key !== undefined) {
      // the reader's request for a figure replaces its queued (or held) background request
      for (const queue of [background, held]) {
        for (let i = queue.length - 1; i >= 0; i--) {
          const queued = queue[i];
          if (queued.background && queued.op === "figure" && queued.key === msg.key) {
            queue.splice(i, 1);
            post({ id: queued.id, ok: false, superseded: true, error: "superseded by a newer call" });
          }
        }
      }
    }
    if (!dataIn && needsData(msg)) held.push(msg);
    else (msg.background ? background : interactive).push(msg);
    schedule();
  };
}
