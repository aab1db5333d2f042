/* ELBO Lab worker. It owns Pyodide and runs the Python core.
 *
 * This function is never called on the page. bridge.js turns its source into
 * a data: URL and starts it as a *module* Web Worker. Why that form:
 *   - Pyodide 314 refuses classic workers ("Classic web workers are not supported");
 *   - from a file:// page Chromium refuses a worker loaded from a file, and a
 *     module worker from a blob: URL, but accepts a module worker from a data: URL.
 * So it must be self-contained: no closures over page code.
 *
 * Protocol (page -> worker):
 *   {type: "init", base, bundle}          load Pyodide from `base`, unpack our sources
 *   {id, call, params}                    run elbo_lab.widgets.call(call, params)
 * (worker -> page):
 *   {type: "stage", stage, state, ms}     state: "start" | "done"
 *   stages: core, numpy, code (calls are served from here on), plotting
 *   {type: "ready"} | {type: "fatal", stage, message}
 *   {id, ok: true, result} | {id, ok: false, error}
 */
function elboWorkerMain() {
  "use strict";
  let pyodide = null;
  let callWidget = null;
  let open = false;  // calls are served once our code is imported
  const early = [];  // calls that arrived before that

  function post(msg, transfer) { self.postMessage(msg, transfer || []); }

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

  async function init(base, bundle) {
    await stage("core", async () => {
      let mod;
      try {
        mod = await import(base + "pyodide.mjs");
      } catch (err) {
        throw new Error("could not load " + base + "pyodide.mjs (" +
          ((err && err.message) || err) + "). Is the network or the CDN reachable?");
      }
      pyodide = await mod.loadPyodide({ indexURL: base });
    });
    await stage("numpy", async () => {
      await pyodide.loadPackage("numpy", { messageCallback: () => {} });
      pyodide.runPython("import numpy");  // the import is most of this stage's time
    });
    await stage("code", async () => {
      const root = "/home/pyodide/elbo_src";
      for (const [path, file] of Object.entries(bundle.files)) {
        const full = root + "/" + path;
        pyodide.FS.mkdirTree(full.slice(0, full.lastIndexOf("/")));
        const data = file.encoding === "base64" ? decodeBase64(file.data) : file.data;
        pyodide.FS.writeFile(full, data);
      }
      pyodide.runPython(
        "import sys\nsys.path.insert(0, " + JSON.stringify(root) + ")\n" +
        "import elbo_lab.widgets");
      callWidget = pyodide.globals.get("elbo_lab").widgets.call;
    });
    // Numbers are live from here; calls are served while matplotlib loads
    // (between its awaits), and figures are drawn once it has.
    open = true;
    early.splice(0).forEach(run);
    await stage("plotting", async () => {
      await pyodide.loadPackage("matplotlib", { messageCallback: () => {} });
      pyodide.runPython("import os\nos.environ['MPLBACKEND'] = 'Agg'\n" +
                        "import elbo_lab.widgets\nelbo_lab.widgets.enable_plotting()");
    });
  }

  /* Convert a Python result to plain JS once, here, and free every proxy. */
  function run(msg) {
    const t0 = performance.now();
    let pyParams = null, pyResult = null, result;
    try {
      pyParams = pyodide.toPy(msg.params || {});
      pyResult = callWidget(msg.call, pyParams);
      result = pyResult.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
    } catch (err) {
      post({ id: msg.id, ok: false, error: String((err && err.message) || err) });
      return;
    } finally {
      if (pyParams && pyParams.destroy) pyParams.destroy();
      if (pyResult && pyResult.destroy) pyResult.destroy();
    }
    if (result.error !== undefined) {
      post({ id: msg.id, ok: false, error: result.error });
      return;
    }
    result.ms = performance.now() - t0;
    const transfer = [];  // pixels move to the page without a copy
    if (result.image && result.image.rgba) transfer.push(result.image.rgba.buffer);
    post({ id: msg.id, ok: true, result: result }, transfer);
  }

  self.onmessage = async (event) => {
    const msg = event.data;
    if (msg.type === "init") {
      try {
        await init(msg.base, msg.bundle);
        post({ type: "ready" });
      } catch (err) {
        post({ type: "fatal", stage: err.stage || "core", message: String(err.message || err) });
      }
      return;
    }
    if (!open) { early.push(msg); return; }
    run(msg);
  };
}
