/* ELBO Lab: sharing and reading comfort. Classic script.
 *
 *   theme    light or dark: follows prefers-color-scheme until the reader picks one
 *            (remembered where storage is allowed); ?theme= forces one (for embeds).
 *            The figures are re-drawn by Python in the theme's colours.
 *   layout   wide or narrow figures, from the width they are shown at (a phone's
 *            column is narrow): Python lays them out again when it changes.
 *   embed    ?embed=<figure key> (or "lab") shows that figure alone and tells the
 *            parent page its height by postMessage, so a blog can size the iframe.
 *   tools    under every figure: link to this state, copy embed code, export a
 *            runnable .py, and "view the Python" (the code that draws it).
 */
(function () {
  "use strict";
  const ELBO = (window.ELBO = window.ELBO || {});
  const $ = (id) => document.getElementById(id);
  const HEIGHT_MESSAGE = "elbo-lab:height";

  /* ---- theme ---- */

  function storedTheme() {
    try { return localStorage.getItem("elbo-lab-theme"); } catch (err) { return null; }  // sandboxed
  }

  const theme = {
    listeners: [],
    forced: null,

    init() {
      const asked = new URLSearchParams(location.search).get("theme");
      if (asked === "light" || asked === "dark") this.forced = asked;
      const media = window.matchMedia("(prefers-color-scheme: dark)");
      media.addEventListener("change", () => this.apply());
      this.apply();
    },

    current() {
      return this.forced || document.documentElement.dataset.theme ||
        storedTheme() || (window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
    },

    /* The reader's choice: remembered, and wins over the system setting. */
    choose(name) {
      try { localStorage.setItem("elbo-lab-theme", name); } catch (err) { /* not remembered */ }
      this.forced = null;
      document.documentElement.dataset.theme = name;
      this.apply();
    },

    apply() {
      const name = this.current();
      document.documentElement.dataset.theme = name;
      swapStatics();
      const toggle = $("theme-toggle");
      if (toggle) {
        toggle.setAttribute("aria-pressed", name === "dark" ? "true" : "false");
        toggle.textContent = name === "dark" ? "Light theme" : "Dark theme";
      }
      if (name !== this.applied) {
        this.applied = name;
        this.listeners.forEach((fn) => fn(name));
      }
    },
  };

  /* ---- layout: wide or narrow figures ---- */

  /* Below this width (CSS px) a desktop figure's 11 pt text would show under 11 px, so
   * the figures are drawn in Python's "narrow" layout: larger text, panels stacked. */
  const NARROW_BELOW_PX = 500;

  const layout = {
    listeners: [],
    applied: null,

    /* From the width the figures are shown at: the first figure's plot area (the embed's
     * in an embed), else the window's. */
    current() {
      const plot = document.querySelector("[data-widget] .plot");
      const width = (plot && plot.clientWidth) || window.innerWidth;
      return width < NARROW_BELOW_PX ? "narrow" : "wide";
    },

    init() {
      let timer = null;
      window.addEventListener("resize", () => {
        clearTimeout(timer);
        timer = setTimeout(() => this.apply(), 150);
      });
      this.apply();
    },

    apply() {
      const name = this.current();
      if (name === this.applied) return;
      this.applied = name;
      document.documentElement.dataset.layout = name;
      swapStatics();
      this.listeners.forEach((fn) => fn(name));
    },
  };

  /* The static images that show before Python: one set per theme and layout. */
  function swapStatics() {
    const dark = theme.current() === "dark", narrow = layout.applied === "narrow";
    document.querySelectorAll("img.static").forEach((img) => {
      const wide = img.dataset.light || (img.dataset.light = img.getAttribute("src"));
      const folder = "static/" + (narrow ? "narrow/" : "") + (dark ? "dark/" : "");
      const wanted = wide.replace(/^static\//, folder);
      if (img.getAttribute("src") !== wanted) img.setAttribute("src", wanted);
    });
  }

  /* ---- embed: one figure alone ---- */

  /* Returns the element embedded, or null when the page is not an embed. */
  function setupEmbed() {
    const key = new URLSearchParams(location.search).get("embed");
    if (key === null) return null;
    document.documentElement.classList.add("embed");
    const target = key === "lab" ? $("lab") : document.querySelector(`[data-widget="${CSS.escape(key)}"]`);
    const root = document.createElement("div");
    root.className = "embed-root";
    document.body.prepend(root);
    root.append($("boot"));
    if (!target) {
      const keys = ["lab", ...[...document.querySelectorAll("[data-widget]")].map((f) => f.dataset.widget)];
      const box = document.createElement("p");
      box.className = "widget-error";
      box.setAttribute("role", "alert");
      box.textContent = `There is no figure "${key}" to embed. Figures: ${keys.join(", ")}.`;
      root.append(box);
    } else root.append(target);
    const link = document.createElement("p");
    link.className = "embed-credit";
    const full = new URL(location.href);
    full.searchParams.delete("embed");
    link.innerHTML = 'From <a target="_blank" rel="noopener">ELBO Lab</a>, computed by Python in your browser.';
    link.querySelector("a").href = full.href;
    root.append(link);
    // tell the parent our height whenever it changes
    let last = -1;
    const report = () => {
      const height = Math.ceil(root.getBoundingClientRect().height + 16);
      if (height === last || window.parent === window) return;
      last = height;
      window.parent.postMessage({ type: HEIGHT_MESSAGE, figure: key, height: height }, "*");
    };
    new ResizeObserver(report).observe(root);
    report();
    return target || root;
  }

  /* ---- the figure tools ---- */

  function pageUrl() {  // the page's own address, without embed or fragment
    window.dispatchEvent(new Event("elbo-url-wanted"));  // app.js writes any value it holds back
    const url = new URL(location.href);
    url.searchParams.delete("embed");
    url.hash = "";
    return url;
  }

  /* Copy text; where the clipboard is refused (file://, sandboxes), show it to copy by hand. */
  function copy(text, tools, what) {
    const status = tools.querySelector(".tool-status");
    const show = () => {
      let box = tools.querySelector(".tool-copy");
      if (!box) {
        box = document.createElement("textarea");
        box.className = "tool-copy";
        box.readOnly = true;
        box.rows = 3;
        box.setAttribute("aria-label", what);
        tools.append(box);
      }
      box.value = text;
      box.hidden = false;
      box.focus();
      box.select();
      status.textContent = `Copy the ${what} from the box below.`;
    };
    if (!navigator.clipboard || !window.isSecureContext) { show(); return; }
    navigator.clipboard.writeText(text).then(() => {
      status.textContent = `The ${what} is copied.`;
      const box = tools.querySelector(".tool-copy");
      if (box) box.value = text;
    }, show);
  }

  function embedSnippet(key, params) {
    const url = pageUrl();
    for (const name of [...url.searchParams.keys()]) {
      if (!params.includes(name)) url.searchParams.delete(name);  // only this figure's state
    }
    url.searchParams.set("embed", key);
    const src = url.href.replace(/&/g, "&amp;").replace(/"/g, "&quot;");
    return `<iframe src="${src}" title="ELBO Lab: ${key}" sandbox="allow-scripts allow-popups" ` +
      `loading="lazy" style="width: 100%; height: 420px; border: 0"></iframe>\n` +
      `<script>addEventListener("message", (e) => { if (e.data && e.data.type === "${HEIGHT_MESSAGE}") ` +
      `for (const f of document.querySelectorAll("iframe")) if (f.contentWindow === e.source) ` +
      `f.style.height = e.data.height + "px"; });</` + "script>";
  }

  function download(filename, text) {
    const url = URL.createObjectURL(new Blob([text], { type: "text/x-python" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  /* ui: {bridge, params(row) -> current params, controlIds(row) -> ids in the URL,
   *      labReplay() -> {settings, step} or null} */
  function addTools(row, figure, ui) {
    const tools = document.createElement("div");
    tools.className = "figure-tools";
    tools.innerHTML =
      '<button type="button" data-tool="link">Link to this state</button>' +
      '<button type="button" data-tool="embed">Copy embed code</button>' +
      '<button type="button" data-tool="export">Export as .py</button>' +
      '<details class="python"><summary>View the Python</summary><pre><code>Loading the source from Python…</code></pre></details>' +
      '<span class="tool-status" role="status"></span>';
    const status = tools.querySelector(".tool-status");
    const fail = (err) => { status.textContent = String((err && err.message) || err); };
    tools.querySelector('[data-tool="link"]').addEventListener("click", () => {
      const url = pageUrl();
      url.hash = figure.id;
      // a lab figure's link carries the run's step: the page trains the same run to it again
      const replay = row.lab ? ui.labReplay() : null;
      if (replay && replay.step > 0) url.searchParams.set("lab-step", String(replay.step));
      else url.searchParams.delete("lab-step");
      copy(url.href, tools, "link");
    });
    tools.querySelector('[data-tool="embed"]').addEventListener("click", () => {
      // the lab's figures are embedded with their panel: alone they could not train
      copy(embedSnippet(row.lab ? "lab" : row.key, ui.controlIds(row)), tools, "embed code");
    });
    tools.querySelector('[data-tool="export"]').addEventListener("click", () => {
      if (!ui.bridge.callable) { status.textContent = ELBO.pythonWait(); return; }
      status.textContent = "Writing the script…";
      const params = { name: row.key, params: ui.params(row) };
      if (row.lab) params.lab_replay = ui.labReplay();
      ui.bridge.send({ op: "export", name: "download", params: params }).then((result) => {
        download(result.filename, result.text);
        status.textContent = `Downloaded ${result.filename}: run it with python3 (numpy, scipy and matplotlib).`;
      }, fail);
    });
    const details = tools.querySelector("details");
    details.addEventListener("toggle", () => {
      if (!details.open || details.dataset.loaded) return;
      if (!ui.bridge.callable) { details.querySelector("code").textContent = ELBO.pythonWait(); return; }
      ui.bridge.send({ op: "export", name: "source", params: { name: row.key } }).then((result) => {
        details.dataset.loaded = "1";
        details.querySelector("code").textContent = `# ${result.path}\n\n${result.source}`;
      }, (err) => { details.querySelector("code").textContent = String(err.message || err); });
    });
    const anchor = figure.querySelector(".widget-summary");
    figure.insertBefore(tools, anchor);
    return tools;
  }

  ELBO.theme = theme;
  ELBO.layout = layout;
  ELBO.setupEmbed = setupEmbed;
  ELBO.addTools = addTools;
  ELBO.HEIGHT_MESSAGE = HEIGHT_MESSAGE;
})();
