/* ELBO Lab: the page's side of the worker. Classic script (file:// forbids modules).
 *
 * - starts the Pyodide worker (a data: URL module worker) and reports its staged loading;
 * - gives every request ({op, name, params}: see py/elbo_lab/door.py) an id, and
 *   resolves it from the worker's answer; a refusal rejects with an Error that
 *   carries the parameter it names (err.param) and whether it is a bug (err.bug);
 * - latest wins per widget: while a call is in flight, newer parameters replace
 *   each other and only the newest is sent when the answer arrives.
 */
(function () {
  "use strict";

  /* Where Pyodide 314.0.3 comes from. The core (pyodide.mjs, pyodide.asm.mjs, the wasm,
   * the standard library and the lock file) is the npm package, which jsDelivr serves
   * byte for byte, so the worker can pin every core file by Subresource Integrity
   * (PYODIDE_SRI in worker.js, checked against the npm tarball by the tests). The
   * packages come from Pyodide's own CDN folder; Pyodide checks each against the sha256
   * in that pinned lock file. */
  const DEFAULT_CORE = "https://cdn.jsdelivr.net/npm/pyodide@314.0.3/";
  const DEFAULT_PACKAGES = "https://cdn.jsdelivr.net/pyodide/v314.0.3/full/";

  /* A self-hoster sets <meta name="elbo-pyodide-base">, one folder for the core and the
   * packages; a reader may pass ?pyodide=<path> but only for a same-origin path, so a
   * crafted link can never make the page run script from another site. */
  function pyodideBase() {
    let base = null;
    const meta = document.querySelector('meta[name="elbo-pyodide-base"]');
    if (meta && meta.content) base = new URL(meta.content, location.href).href;
    const param = new URLSearchParams(location.search).get("pyodide");
    if (param) {
      const refused = new Error("?pyodide= must be a path on this site (got " +
                                JSON.stringify(param.slice(0, 80)) + ")");
      let url;
      try {
        url = new URL(param, location.href);
      } catch (_) {
        throw refused;  // not a URL at all
      }
      if (url.origin !== location.origin || location.protocol === "file:") throw refused;
      base = url.href;
    }
    if (!base) return { core: DEFAULT_CORE, packages: DEFAULT_PACKAGES };
    if (!base.endsWith("/")) base += "/";
    return { core: base, packages: base };
  }

  /* Stages in load order, with the time each took on the reference machine
   * (DESIGN.md); the bar fills by these weights, so it moves at an honest pace. */
  const STAGES = [
    { key: "core", label: "Python core", expectMs: 3200 },
    { key: "numpy", label: "numpy", expectMs: 700 },
    { key: "code", label: "our code", expectMs: 100 },
    { key: "plotting", label: "plotting", expectMs: 2600 },
    { key: "ready", label: "ready", expectMs: 0 },
  ];

  /* While answers are awaited, the worker must say something (an answer, progress, or a
   * "pong" to a ping sent after PING_MS of quiet) within UNRESPONSIVE_MS, or three times the
   * longest silence it has ended with a message, if that is longer; else the page is told
   * it is unresponsive (a dead or hung worker), once, and restarts it. Its longest units of
   * work, a lab reset or a grid posterior, take a second or two in the browser. */
  const PING_MS = 1500;
  const UNRESPONSIVE_MS = 6000;

  /* The worker's events (worker.js lists them), each passed on to the page's onEvent. */
  const EVENTS = {
    stage(msg) {
      msg.at = performance.now();  // heard now, though perhaps passed on later (listen)
      if (msg.state === "start") this.currentStage = msg.stage;
      this.onEvent("stage", msg);
      if (msg.stage === "code" && msg.state === "done") {
        this.callable = true;
        this.sendBytecode();  // for the plotting stage, which the page starts now
        this.onEvent("callable", {});
      }
    },
    ready() {
      this.ready = true;
      this.currentStage = null;  // a later failure belongs to no loading stage
      this.onEvent("ready", {});
    },
    fatal(msg) { this.onEvent("fatal", msg); },
    pong() {},  // heard: that is all a pong says
    pending(msg) { this.pendingFiles = msg.files; },  // the worker's downloads in flight
    lab(msg) { this.onEvent("lab", msg); },
  };

  /* This script's own address: our generated scripts sit beside it. */
  const HERE = document.currentScript ? document.currentScript.src : "";

  class Bridge {
    /* onEvent(type, detail) for "stage", "callable", "ready", "fatal", "lab"; or none yet:
     * the events wait, in order, for listen(). */
    constructor(onEvent) {
      this.heard = [];  // the events before listen()
      this.onEvent = onEvent || ((type, detail) => this.heard.push([type, detail]));
      this.events = EVENTS;
      this.nextId = 1;
      this.waiting = new Map();  // id -> {resolve, reject}
      this.slots = new Map();  // widget key -> {busy, pending}
      this.sent = new Map();  // widget key -> calls actually sent (for tests and benchmarks)
      this.worker = null;
      this.callable = false;  // our code is imported: numbers can be computed
      this.ready = false;  // and figures drawn
      this.unresponsiveMs = UNRESPONSIVE_MS;
      this.lastHeard = 0;  // performance.now() of the worker's last message
      this.pendingFiles = [];  // the files the worker is downloading
      this.longestQuiet = 0;  // the longest silence the worker has ended with a message, ms
      this.watchTimer = 0;
    }

    /* The heartbeat: see PING_MS. Only once ready: while loading, the worker imports large
     * packages in one go (matplotlib: seconds), and the boot bar reports on loading. */
    watch() {
      clearInterval(this.watchTimer);
      this.lastHeard = performance.now();
      this.watchTimer = setInterval(() => {
        const now = performance.now();
        if (!this.worker || !this.ready || this.waiting.size === 0) { this.lastHeard = now; return; }
        const quiet = now - this.lastHeard;
        if (quiet >= Math.max(this.unresponsiveMs, 3 * this.longestQuiet)) {
          clearInterval(this.watchTimer);
          this.onEvent("unresponsive", { quietMs: quiet });
        } else if (quiet >= PING_MS) this.worker.postMessage({ type: "ping" });
      }, 500);
    }

    start() {
      this.stop();
      let where;
      try {
        where = pyodideBase();
      } catch (err) {
        this.onEvent("fatal", { stage: "core", message: err.message });
        return;
      }
      // A module worker from a data: URL: see the note at the top of worker.js.
      const source = "(" + elboWorkerMain.toString() + ")();";
      this.worker = new Worker("data:text/javascript;charset=utf-8," + encodeURIComponent(source),
                               { type: "module" });
      this.worker.onmessage = (e) => this.receive(e.data);
      this.worker.onerror = (e) => {
        e.preventDefault();
        this.onEvent("fatal", { stage: this.currentStage || "core", message: e.message || "the worker crashed" });
      };
      this.worker.postMessage({ type: "init", base: where.core, packages: where.packages });
      this.startedAt = performance.now();
      performance.mark("elbo:worker-start");
      this.watch();
      this.codeSent = false;
      if (window.ELBO_PY_BUNDLE) this.sendCode();  // a restart: the page's scripts are in
    }

    /* The first start (see the end of this file); later ones are restarts, by start(). */
    startOnce() {
      if (this.started) return;
      this.started = true;
      this.start();
    }

    /* The page's handler of events, from now on; the events heard before it go first. */
    listen(onEvent) {
      this.onEvent = onEvent;
      for (const [type, detail] of this.heard.splice(0)) onEvent(type, detail);
    }

    /* Our code (js/py-bundle.js) and which figures read the stored data (js/figures.js),
     * once both have run: the worker was started from <head> (see the end of this file) and
     * imports the code when numpy is in, seconds later. Once per worker. */
    sendCode() {
      if (!this.worker || this.codeSent) return;
      if (!window.ELBO_PY_BUNDLE || !window.ELBO.FIGURES) {
        this.onEvent("fatal", { stage: "code", message: "could not load js/py-bundle.js or js/figures.js, " +
                                "the page's Python code and its table of figures. Is the page's folder complete?" });
        return;
      }
      this.codeSent = true;
      this.worker.postMessage({ type: "code", bundle: window.ELBO_PY_BUNDLE,
                               dataFigures: window.ELBO.FIGURES.filter((f) => f.data).map((f) => f.key) });
      this.sendData();  // not before: its megabytes would keep the page's own parse waiting
    }

    /* Our generated script `name`, beside this one (a classic script: from file://
     * nothing can be fetched), added once: then onLoad, at once if window[global] is set
     * already; or onError if it cannot load, and the next call tries again. */
    loadScript(name, global, onLoad, onError) {
      if (window[global]) { onLoad(); return; }
      const scripts = this.scripts || (this.scripts = {});
      if (!scripts[name]) {
        const script = scripts[name] = document.createElement("script");
        script.src = HERE ? new URL(name, HERE).href : "js/" + name;
        document.head.appendChild(script);
      }
      const script = scripts[name];
      script.addEventListener("load", onLoad, { once: true });
      script.addEventListener("error", () => {
        script.remove();
        if (scripts[name] === script) delete scripts[name];
        onError();
      }, { once: true });
    }

    /* The stored digits and weights travel in their own generated script, loaded
     * while Pyodide starts, so the page's first numbers never wait for its megabyte. */
    sendData() {
      this.loadScript("py-data.js", "ELBO_PY_DATA", () => {
        performance.mark("elbo:data-loaded");
        if (this.worker) this.worker.postMessage({ type: "data", bundle: window.ELBO_PY_DATA });
      }, () => this.onEvent("fatal", { stage: "code", message: "could not load js/py-data.js, the stored " +
                                       "digits and trained weights. Is the page's folder complete?" }));
    }

    /* Bytecode for the modules imported once matplotlib is in (js/py-bytecode.js, about
     * 3 MB; py/elbo_lab/bytecode.py), loaded once numbers are live, as it is needed only
     * then: before, its megabytes would share the reader's network with Pyodide's core and
     * numpy. The worker waits for it before importing matplotlib (whose wheels download
     * meanwhile), so it is always sent: null if the script cannot load (a copy of the page
     * without it), and the sources are compiled. */
    sendBytecode() {
      const send = () => {
        performance.mark("elbo:bytecode-loaded");
        if (this.worker) this.worker.postMessage({ type: "bytecode", bundle: window.ELBO_PY_BYTECODE || null });
      };
      this.loadScript("py-bytecode.js", "ELBO_PY_BYTECODE", send, send);
    }

    stop() {
      clearInterval(this.watchTimer);
      if (this.worker) this.worker.terminate();
      this.worker = null;
      this.callable = this.ready = false;
      this.currentStage = null;
      for (const { reject } of this.waiting.values()) {
        reject(Object.assign(new Error("Python was restarted"), { restarted: true }));
      }
      this.waiting.clear();
      this.slots.clear();
    }

    /* Every message from the worker, dispatched by one table: an answer (it has an id)
     * settles its request; an event (type) goes to the page's handler of that type. */
    receive(msg) {
      const now = performance.now();
      if (this.ready && this.waiting.size) this.longestQuiet = Math.max(this.longestQuiet, now - this.lastHeard);
      this.lastHeard = now;
      if (msg.id !== undefined) return this.settle(msg);
      const handler = this.events[msg.type];
      if (handler) handler.call(this, msg);
    }

    settle(msg) {
      const entry = this.waiting.get(msg.id);
      if (!entry) return;
      this.waiting.delete(msg.id);
      if (msg.ok) entry.resolve(msg.result);
      else {
        entry.reject(Object.assign(new Error(msg.error), {
          param: msg.param || null, bug: !!msg.bug, superseded: !!msg.superseded }));
      }
    }

    /* One request, one promise: {op, name, params} plus background and key. */
    send(message) {
      if (!this.worker) return Promise.reject(new Error("Python is not running"));
      const id = this.nextId++;
      return new Promise((resolve, reject) => {
        this.waiting.set(id, { resolve, reject });
        this.worker.postMessage(Object.assign({ id: id }, message));
      });
    }

    /* A widget call. Background calls (first draws, re-themes, the lab's figure
     * refreshes) wait in the worker until the reader's own calls are done, and a
     * reader's call for the same widget key supersedes a queued background one. */
    call(name, params, background, key) {
      return this.send({ op: "figure", name: name, params: params, background: !!background, key: key });
    }

    /* The training lab (session.ACTIONS): "reset", "train", "pause", "epochs", "status", "presets". */
    lab(action, params, background) {
      return this.send({ op: "lab", name: action, params: params || {}, background: !!background });
    }

    /* Is a call for this widget in flight? */
    busy(key) {
      const slot = this.slots.get(key);
      return !!(slot && slot.inflight > 0);
    }

    /* Latest wins: while a call is in flight, newer parameters replace each
     * other in one pending slot, so a fast drag never builds a queue. Every
     * answer is shown (the figure follows the drag), then the newest pending
     * parameters, if any, are sent.
     *
     * One exception: a reader's call never waits for a background one. It is
     * sent at once; the worker drops the background call if it has not started
     * (its callback then gets an error with `superseded` set, and paints nothing),
     * and a pending background call is dropped the same way here. */
    request(key, name, params, onResult, background) {
      let slot = this.slots.get(key);
      if (!slot) this.slots.set(key, (slot = { inflight: 0, background: true, pending: null }));
      const jump = !background && slot.inflight > 0 && slot.background;
      if (slot.inflight > 0 && !jump) {
        if (slot.pending) supersede(slot.pending.onResult);
        slot.pending = { name, params, onResult, background };
        return;
      }
      if (jump && slot.pending) { supersede(slot.pending.onResult); slot.pending = null; }
      slot.inflight += 1;
      slot.background = slot.background && !!background;
      this.sent.set(key, (this.sent.get(key) || 0) + 1);
      const finish = (err, result) => {
        slot.inflight -= 1;
        if (slot.inflight === 0) slot.background = true;
        onResult(err, result);
        if (slot.inflight === 0 && slot.pending) {
          const next = slot.pending;
          slot.pending = null;
          this.request(key, next.name, next.params, next.onResult, next.background);
        }
      };
      this.call(name, params, background, key).then((r) => finish(null, r), (e) => finish(e, null));
    }
  }

  /* Tell a dropped call's owner that it will never be answered. */
  function supersede(onResult) {
    const err = new Error("superseded by a newer call");
    err.superseded = true;
    onResult(err, null);
  }

  window.ELBO = window.ELBO || {};
  window.ELBO.Bridge = Bridge;
  window.ELBO.STAGES = STAGES;
  /* Python starts just after the first paint: this script and worker.js are in <head>, so
   * Pyodide's core downloads and compiles while the rest of the page is parsed and laid out
   * and while its own scripts and pictures load; app.js listens and sends the code then.
   * Not before the first paint, whose stylesheet and layout would then share the network
   * and the processor with it (text visible 70-120 ms later at 40 Mbit/s); and never later
   * than app.js, which also starts it (a tab opened in the background paints nothing). */
  const bridge = (window.ELBO.bridge = new Bridge());
  requestAnimationFrame(() => setTimeout(() => bridge.startOnce(), 0));
})();
