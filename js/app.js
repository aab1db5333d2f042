/* ELBO Lab: boot, the staged progress bar, the error panel, and the generic
 * binding of the generated table of figures (js/figures.js) to the page. Classic script. */
(function () {
  "use strict";
  const ELBO = window.ELBO;
  const $ = (id) => document.getElementById(id);
  // read by bench/ and tests; putOff: the figures whose first picture waits until they come near
  const metrics = (ELBO.metrics = { paints: [], putOff: [] });

  /* ---- loading: staged progress you can trust, and an error panel ---- */

  const SLOW_FACTOR = 4, SLOW_MIN_MS = 8000;  // a stage this far past its usual time is "slow"

  const loader = {
    t0: 0, done: new Set(), current: null, currentStart: 0, timer: 0,

    begin(since) {  // since: when the worker started, if before now
      this.t0 = since === undefined ? performance.now() : since;
      this.failed = false;
      this.done.clear();
      this.current = null;
      $("boot").hidden = false;
      $("boot-error").hidden = true;
      $("boot-stages").replaceChildren(...ELBO.STAGES.map((s) => {
        const li = document.createElement("li");
        li.dataset.stage = s.key;
        li.textContent = s.label;
        return li;
      }));
      clearInterval(this.timer);
      this.timer = setInterval(() => this.paint(), 100);
      this.paint();
    },

    stage(msg) {
      const li = $("boot-stages").querySelector(`[data-stage="${msg.stage}"]`);
      if (msg.state === "start") {
        this.current = msg.stage;
        this.currentStart = msg.at;  // when the bridge heard it
        if (li) li.className = "active";
      } else {
        this.done.add(msg.stage);
        if (li) {
          li.className = "done";
          li.dataset.ms = Math.round(msg.ms);
        }
      }
      this.paint();
    },

    /* Fraction = finished stages' expected share + an asymptotic share of the
     * running stage, never past that stage's end. */
    fraction() {
      const total = ELBO.STAGES.reduce((a, s) => a + s.expectMs, 0);
      let got = 0;
      for (const s of ELBO.STAGES) {
        if (this.done.has(s.key)) got += s.expectMs;
        else if (s.key === this.current) {
          const t = performance.now() - this.currentStart;
          got += s.expectMs * 0.95 * (1 - Math.exp(-t / Math.max(s.expectMs, 1)));
        }
      }
      return got / total;
    },

    paint() {
      const f = this.fraction();
      const bar = $("boot-bar");
      bar.value = f;
      const stage = ELBO.STAGES.find((s) => s.key === this.current);
      const secs = ((performance.now() - this.t0) / 1000).toFixed(1);
      const took = performance.now() - this.currentStart;
      // a stage far past its usual time says so, names what it waits for, and offers a restart
      const slow = stage && stage.expectMs > 0 && took > Math.max(SLOW_FACTOR * stage.expectMs, SLOW_MIN_MS);
      const files = (slow && ELBO.bridge && ELBO.bridge.pendingFiles) || [];
      $("boot-label").textContent = !stage ? "Starting Python in your browser"
        : !slow ? `Loading Python in your browser: ${stage.label} (${Math.round(f * 100)}%, ${secs} s)`
        : `Loading Python: “${stage.label}” is taking much longer than usual (${(took / 1000).toFixed(0)} s; ` +
          `about ${(stage.expectMs / 1000).toFixed(1)} s on the reference machine).` +
          (files.length ? ` Still waiting for ${files.slice(0, 3).join(", ")}.` : "") +
          " The connection or the CDN may be slow; you can keep waiting or start again.";
      $("boot-restart").hidden = !slow;
    },

    ready() {
      clearInterval(this.timer);
      $("boot-restart").hidden = true;
      const li = $("boot-stages").querySelector('[data-stage="ready"]');
      if (li) li.className = "done";
      $("boot-bar").value = 1;
      const secs = ((performance.now() - this.t0) / 1000).toFixed(1);
      // a figure far below keeps its shipped picture until it comes near (events.ready in main)
      $("boot-label").textContent = `Python is ready (${secs} s). Every figure below answers your ` +
        "moves; those further down are drawn live as you reach them.";
      document.body.classList.add("py-ready");
      setTimeout(() => { $("boot").hidden = true; }, 1500);
    },

    fail(msg) {
      clearInterval(this.timer);
      this.failed = true;
      $("boot-restart").hidden = true;
      // messages that said "still loading" now say what happened
      if ($("lab-progress") && !ELBO.labPanel?.status) $("lab-progress").textContent = ELBO.pythonWait();
      const stage = ELBO.STAGES.find((s) => s.key === msg.stage) || { label: msg.stage };
      const li = $("boot-stages").querySelector(`[data-stage="${msg.stage}"]`);
      if (li) li.className = "failed";
      $("boot-error-stage").textContent = stage.label;
      $("boot-error-message").textContent = msg.message;
      $("boot-error").hidden = false;
      $("boot-label").textContent = "Python could not start. The text and static figures still work.";
    },
  };

  /* What a control that needs Python says while it cannot have it. */
  ELBO.pythonWait = () => (loader.failed
    ? "Python could not start, so this cannot run: the message at the top of the page says why, and Retry is there."
    : "Python is still loading; try again in a moment.");

  /* ---- trouble after loading: a notice at the bottom of the window ---- */

  const notice = {
    timer: 0,
    show(text, opts) {
      opts = opts || {};
      clearTimeout(this.timer);
      $("py-alert-message").textContent = text;
      $("py-alert").classList.toggle("ok", !!opts.ok);
      $("py-alert-retry").hidden = !opts.retry;
      $("py-alert").hidden = false;
      if (opts.hideAfterMs) this.timer = setTimeout(() => this.hide(), opts.hideAfterMs);
    },
    hide() { clearTimeout(this.timer); $("py-alert").hidden = true; },
  };

  /* ---- widgets: one generic binding for every row of the table ---- */

  // A reader's answer slower than this shows "computing"; a figure whose every answer takes
  // a tenth of a second or more (a grid posterior) says so at once: data-computing-ms="0".
  const COMPUTING_MS = 150;
  const FOLLOW_MS = 200;  // while a control keeps moving, the URL follows it at most this often

  function readNumber(input) {
    const text = String(input.value).trim();
    return text === "" ? NaN : Number(text);
  }

  /* A control is found by id; its kind decides how it is read:
   *   range   its typed twin "<id>-num" holds the value (a number, or NaN)
   *   select  the chosen option's value (a string)
   *   fieldset of checkboxes   the checked values joined ("0137")
   *   button  a counter (data-value) that each click increments: "resample"
   *   pad     a drawing pad (js/pad.js): the packed image in data-value */
  function controlKind(el) {
    if (el.dataset.kind === "pad") return "pad";
    if (el.tagName === "SELECT") return "select";
    if (el.tagName === "FIELDSET") return "checkboxes";
    if (el.tagName === "BUTTON") return "counter";
    return "range";
  }

  function readControl(id) {
    const el = $(id);
    switch (controlKind(el)) {
      case "select": return el.value;
      case "checkboxes":
        return [...el.querySelectorAll("input[type=checkbox]")].filter((c) => c.checked)
          .map((c) => c.value).join("");
      case "counter": return Number(el.dataset.value || 0);
      case "pad": return el.dataset.value;
      default: return readNumber($(id + "-num"));
    }
  }

  /* Call `onChange` whenever control `id` changes; ranges keep their twin in step. */
  function listen(id, onChange) {
    const el = $(id);
    const kind = controlKind(el);
    if (kind === "counter") {
      el.addEventListener("click", () => {
        el.dataset.value = String(Number(el.dataset.value || 0) + 1);
        onChange();
      });
    } else if (kind === "select" || kind === "checkboxes") {
      el.addEventListener("change", onChange);
    } else if (kind === "pad") {
      el.addEventListener("pad-change", onChange);
    } else {
      const num = $(id + "-num");
      el.addEventListener("input", () => { num.value = el.value; onChange(); });
      // Typed values go to Python as they are, so it is Python that accepts or
      // rejects them; the slider follows only values within its range.
      num.addEventListener("change", () => {
        const v = readNumber(num);
        if (Number.isFinite(v) && v >= Number(el.min) && v <= Number(el.max)) el.value = String(v);
        onChange();
      });
    }
  }

  /* ---- permalinks: control values live in the URL's query, by control id ---- */

  /* A control's value as URL text, and back. */
  function controlText(id) {
    const el = $(id);
    switch (controlKind(el)) {
      case "range": return $(id + "-num").value;
      case "counter": return String(Number(el.dataset.value || 0));
      default: return String(readControl(id));
    }
  }

  function writeControl(id, value) {
    const el = $(id), text = String(value);
    switch (controlKind(el)) {
      case "select": el.value = text; break;
      case "checkboxes":
        el.querySelectorAll("input[type=checkbox]").forEach((c) => { c.checked = text.includes(c.value); });
        break;
      case "counter": el.dataset.value = text; break;  // checked by urlProblem when from a link
      case "pad": el.pad.set(text); break;
      default: {
        // the typed twin holds the value as given (Python judges it); the slider follows if it can
        $(id + "-num").value = text;
        const v = Number(text);  // beyond the track, the thumb goes to its nearer end
        if (text.trim() !== "" && Number.isFinite(v)) el.value = String(Math.min(Math.max(v, Number(el.min)), Number(el.max)));
      }
    }
  }

  /* A note under a control, about the value a link gave it (empty text: none). */
  function controlNote(id, text) {
    const control = $(id).closest(".control") || $(id);
    let note = control.nextElementSibling;
    if (!note || !note.classList.contains("control-note")) {
      if (!text) return;
      note = document.createElement("p");
      note.className = "control-note";
      note.setAttribute("role", "status");
      control.after(note);
    }
    note.textContent = text;
    note.hidden = !text;
  }

  function controlLabel(id) {
    const label = document.querySelector(`label[for="${id}"]`) || $(id).querySelector("legend");
    return label ? label.textContent.trim() : $(id).textContent.trim();
  }

  const brief = (text) => JSON.stringify(text.length > 24 ? text.slice(0, 24) + "…" : text);

  /* Why a link's text cannot be control `id`'s value as it is ("" if it can), checked
   * against what the page itself offers; Python judges the rest (ranges, seeds' bounds). */
  function urlProblem(id, text) {
    const el = $(id);
    switch (controlKind(el)) {
      case "select": {
        const values = [...el.options].map((o) => o.value);
        return values.includes(text) ? "" : `it is not one of the choices (${values.join(", ")})`;
      }
      case "checkboxes": {
        const values = [...el.querySelectorAll("input[type=checkbox]")].map((c) => c.value);
        return [...text].every((c) => values.includes(c)) ? "" : `it may hold only the characters ${values.join("")}`;
      }
      case "counter": return /^\d{1,10}$/.test(text) ? "" : "it must be a whole number, 0 or more";
      case "range": {
        const v = Number(text);
        return text.trim() !== "" && Number.isFinite(v) ? "" : "it must be a finite number";
      }
      default: return "";
    }
  }

  /* The one rule for values in a link: a value is used exactly as given, and shown so (a
   * number beyond a slider's track puts the thumb at that end, its box shows the number),
   * or it is refused: the control keeps its default, and a note under it says why. Python
   * has the last word: a value it refuses on the first call is refused the same way. */
  const refreshers = new Map();  // control id -> the updates of the figures that read it

  const permalink = {
    defaults: new Map(),  // control id -> its value in the page as shipped
    fromUrl: new Set(),  // controls set by the link and not yet accepted by Python

    /* Remember the shipped values, then apply any the URL gives. */
    load(ids) {
      const query = new URLSearchParams(location.search);
      for (const id of ids) {
        this.defaults.set(id, controlText(id));
        const given = query.getAll(id);
        if (!given.length) continue;
        const problem = urlProblem(id, given[0]);
        if (problem) { this.refuse(id, given[0], problem); continue; }
        writeControl(id, given[0]);
        this.fromUrl.add(id);
        if (given.length > 1) {
          controlNote(id, `This link gives ${given.length} values for “${controlLabel(id)}”; the first, ` +
                          `${brief(given[0])}, is used.`);
        }
      }
    },

    /* The link's value `text` for control `id` is not used: back to the default, with a note. */
    refuse(id, text, why) {
      this.fromUrl.delete(id);
      writeControl(id, this.defaults.get(id));
      this.set({ [id]: null });
      controlNote(id, `This link's value ${brief(String(text))} for “${controlLabel(id)}” was not used: ` +
                      `${why}. It shows the default, ${this.defaults.get(id)}.`);
    },

    /* entries: {id: value, or null for "the default"}. Other parameters stay. */
    set(entries) {
      const query = new URLSearchParams(location.search);
      for (const [id, value] of Object.entries(entries)) {
        this.fromUrl.delete(id);  // a value set since is no longer the link's
        delete this.following[id];  // and a control's value followed before is older
        if (value === null || String(value) === this.defaults.get(id)) query.delete(id);
        else query.set(id, String(value));
      }
      const text = query.toString();
      try {  // a sandboxed or file:// page may refuse; the state is then only on screen
        history.replaceState(history.state, "", location.pathname + (text ? "?" + text : "") + location.hash);
      } catch (err) { /* keep going */ }
    },

    /* The URL follows a control's value. A drag moves a control at every frame, and each
     * history.replaceState costs the page's main thread about a millisecond (and the browser
     * process work of its own): so a burst of moves is written at once, then at most every
     * FOLLOW_MS, ending with its last value. */
    following: {},
    followTimer: 0,
    follow(id) {
      this.fromUrl.delete(id);
      this.following[id] = controlText(id);
      if (!this.followTimer) this.writeFollowed();
    },
    flushFollowed() {  // what a reader copies now must have the latest values
      if (Object.keys(this.following).length) this.set(this.following);
    },
    writeFollowed() {
      const entries = this.following;
      this.following = {};
      this.set(entries);
      this.followTimer = setTimeout(() => {
        this.followTimer = 0;
        if (Object.keys(this.following).length) this.writeFollowed();
      }, FOLLOW_MS);
    },
  };

  function paintImage(canvas, image) {
    if (canvas.width !== image.width) canvas.width = image.width;
    if (canvas.height !== image.height) canvas.height = image.height;
    const pixels = new Uint8ClampedArray(image.rgba.buffer, image.rgba.byteOffset, image.rgba.byteLength);
    canvas.getContext("2d").putImageData(new ImageData(pixels, image.width, image.height), 0, 0);
    const figure = canvas.closest("figure");
    if (figure) figure.classList.add("live");
  }

  function rowParams(row) {
    const params = {};
    for (const [name, id] of Object.entries(row.params)) params[name] = readControl(id);
    return params;
  }

  /* Bind one row of the generated table (js/figures.js) to its figure: the element
   * data-widget="<key>", its canvas, and its outputs data-show="<value key>". */
  /* A control that drives figures besides its own (the KL figure's μ and σ drive the Monte
   * Carlo figure's too) would make a drag pay for figures the reader cannot see. Such a
   * figure, when more than a screen from the viewport, waits, and draws as it approaches. */
  const nearby = new Map();  // figure -> {near, waiting: its update, put off}
  const nearWatch = "IntersectionObserver" in window ? new IntersectionObserver((entries) => {
    for (const e of entries) {
      const state = nearby.get(e.target);
      state.near = e.isIntersecting;
      if (state.near && state.waiting) {
        const update = state.waiting;
        state.waiting = null;
        update();
      }
    }
  }, { rootMargin: "100% 0px" }) : null;

  function bindWidget(row, bridge) {
    const figure = document.querySelector(`[data-widget="${row.key}"]`);
    const errorBox = figure.querySelector(".widget-error");
    const summary = figure.querySelector(".widget-summary");
    const canvas = figure.querySelector(".plot canvas");
    const outputs = [...figure.querySelectorAll("output[data-show]")];
    const marked = new Set();  // performance marks already set: "live" (numbers), "drawn"
    let asked = 0, computingTimer = 0;  // the newest call, and its "computing" timer
    const computingMs = figure.dataset.computingMs ? Number(figure.dataset.computingMs) : COMPUTING_MS;
    const busy = (on) => {
      figure.classList.toggle("computing", on);
      figure.setAttribute("aria-busy", on ? "true" : "false");
    };
    let lastInput = 0;
    let axes = null;  // the draggable axes of the last answer (result.axes), if the figure has one

    /* Paint an answer; on an error keep the last good figure and numbers,
     * show the message, and mark the control of the parameter it names. */
    function onResult(err, result, inputAt) {
      if (err && err.superseded) return;  // a newer call for this widget took its place
      if (err && err.restarted) {  // Python restarts: this figure is redrawn once it is back
        figure.classList.add("stale");
        return;
      }
      figure.classList.remove("stale");
      const refused = err && err.param ? row.params[err.param] : null;
      if (refused && permalink.fromUrl.has(refused)) {  // a link's value Python does not take
        permalink.refuse(refused, controlText(refused), err.message);
        (refreshers.get(refused) || []).forEach((refresh) => refresh());
        return;
      }
      for (const [name, id] of Object.entries(row.params)) {
        const box = controlKind($(id)) === "range" ? $(id + "-num") : $(id);
        box.setAttribute("aria-invalid", err && err.param === name ? "true" : "false");
      }
      if (err) {
        errorBox.textContent = err.bug ? `${err.message} (a fault in the page: please report it)`
                                       : err.message;
        errorBox.hidden = false;
        return;
      }
      errorBox.hidden = true;
      for (const el of outputs) {
        const value = result.values[el.dataset.show];
        if (value === null || value === undefined) {
          el.textContent = "–";
        } else if (typeof value === "boolean") {
          el.textContent = value ? (el.dataset.true || "yes") : (el.dataset.false || "no");
          el.classList.toggle("fails", !value);
        } else if (typeof value === "number" && el.dataset.digits === "e") {  // round-off sizes
          el.textContent = value === 0 ? "0" : value.toExponential(1).replace(/^-/, "−");
        } else if (typeof value === "number" && el.dataset.digits !== "int") {
          el.textContent = value.toFixed(Number(el.dataset.digits || 3)).replace(/^-(0\.0*)$/, "$1");
        } else el.textContent = String(value);
      }
      if (canvas && result.image) paintImage(canvas, result.image);
      if (result.axes) {
        axes = result.axes;
        canvas.style.touchAction = "none";  // a finger on it drags the point, not the page
      }
      if (summary && result.summary) summary.textContent = result.summary;
      if (canvas) figure.classList.toggle("awaiting-plot", !result.image);
      requestAnimationFrame(() => {
        metrics.paints.push({ key: row.key, input: inputAt, painted: performance.now(),
                              pyMs: result.ms, image: !!result.image });
        for (const [mark, reached] of [["live", true], ["drawn", !!result.image]]) {
          if (reached && !marked.has(mark)) {
            marked.add(mark);
            performance.mark(`elbo:${row.key}:${mark}`);
          }
        }
      });
    }

    /* opts.background: a refresh the reader did not ask for (the lab's);
     * opts.whenNear: only if the figure is near the window, else once it comes near;
     * opts.after(err, result): called once this call's answer is painted. */
    function update(opts) {
      opts = opts || {};
      if (!bridge.callable) {  // every widget is refreshed once Python can answer; until then
        // a moved control leaves the picture and numbers behind, and the figure says so
        if (!opts.background) figure.classList.add("stale");
        return;
      }
      if (opts.whenNear && canvas && !near.near && shipped()) {
        near.waiting = () => update({ background: true, after: opts.after });
        if (!metrics.putOff.includes(row.key)) metrics.putOff.push(row.key);
        return;
      }
      const params = rowParams(row);
      const inputAt = lastInput;
      // a reader's call not answered within COMPUTING_MS marks its figure as computing
      const token = ++asked;
      if (!opts.background) {
        clearTimeout(computingTimer);
        if (computingMs > 0) computingTimer = setTimeout(() => busy(true), computingMs);
        else busy(true);
      }
      bridge.request(row.key, row.key, params, (err, result) => {
        if (token === asked) { clearTimeout(computingTimer); busy(false); }
        onResult(err, result, inputAt);
        if (opts.after) opts.after(err, result);
      }, opts.background);
    }

    const near = { near: true, waiting: null };
    // whether the picture shipped with the page is this figure's: its controls (and the
    // lab's settings, for the lab's figures) at their defaults
    const shown = [...Object.values(row.params), ...(row.lab ? Object.values(ELBO.LAB_SETTINGS) : [])];
    const shipped = () => shown.every((id) => !$(id) || permalink.defaults.get(id) === controlText(id));
    if (nearWatch) {
      nearby.set(figure, near);
      nearWatch.observe(figure);
    }
    for (const id of Object.values(row.params)) {  // one listener per control and row
      if (!refreshers.has(id)) refreshers.set(id, []);
      refreshers.get(id).push(() => update());
      const own = figure.contains($(id));
      listen(id, () => {
        lastInput = metrics.lastInput = performance.now();
        permalink.follow(id);
        if (!row.lab) warmAgain(row);
        if (!own && !near.near) near.waiting = () => update();  // far off screen: when it nears
        else update();
      });
    }
    if (canvas) bindDrag(canvas, row, () => axes, () => { lastInput = metrics.lastInput = performance.now(); update(); });
    return update;
  }

  /* Direct manipulation: a figure whose answer names draggable axes ({box: [left, top,
   * width, height] in image pixels, xlim, ylim, x, y: the parameters they set}) lets a
   * pointer on those axes set the two parameters, as their sliders do (which stay, for
   * the keyboard). Values are rounded to the slider's step and kept within its range. */
  function bindDrag(canvas, row, getAxes, onMove) {
    let dragging = null;
    const toData = (event) => {
      const a = getAxes();
      const rect = canvas.getBoundingClientRect();
      const px = (event.clientX - rect.left) * canvas.width / rect.width;
      const py = (event.clientY - rect.top) * canvas.height / rect.height;
      const [left, top, width, height] = a.box;
      const u = (px - left) / width, v = (py - top) / height;
      return { inside: u >= 0 && u <= 1 && v >= 0 && v <= 1, a: a,
               x: a.xlim[0] + u * (a.xlim[1] - a.xlim[0]), y: a.ylim[1] - v * (a.ylim[1] - a.ylim[0]) };
    };
    const set = (name, value) => {
      const id = row.params[name], el = $(id);
      const step = Number(el.step) || 0.01;
      const clamped = Math.min(Number(el.max), Math.max(Number(el.min), Math.round(value / step) * step));
      writeControl(id, clamped.toFixed(Math.max(0, -Math.floor(Math.log10(step)))));
      permalink.follow(id);
    };
    const move = (event) => {
      const at = toData(event);
      set(at.a.x, at.x);
      set(at.a.y, at.y);
      onMove();
    };
    canvas.addEventListener("pointerdown", (event) => {
      if (!getAxes() || !toData(event).inside) return;
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      dragging = event.pointerId;
      move(event);
    });
    canvas.addEventListener("pointermove", (event) => {
      const a = getAxes();
      if (a) canvas.style.cursor = toData(event).inside ? "crosshair" : "";
      if (dragging === event.pointerId) move(event);
    });
    const end = (event) => { if (dragging === event.pointerId) dragging = null; };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
  }

  /* Typeset the article's TeX with KaTeX (loaded from the CDN with `defer`).
   * Without it the TeX source stays readable in place. */
  function typeset() {
    if (typeof window.renderMathInElement !== "function") return;
    window.renderMathInElement(document.body, {
      delimiters: [{ left: "\\[", right: "\\]", display: true },
                   { left: "\\(", right: "\\)", display: false }],
      throwOnError: false,
    });
  }

  /* A tap-through: one step of an <ol data-stepper> visible at a time. */
  function bindStepper(box) {
    const steps = [...box.querySelectorAll("[data-step]")];
    const prev = box.querySelector("[data-prev]"), next = box.querySelector("[data-next]");
    const where = box.querySelector("[data-where]");
    let at = 0;
    function show() {
      steps.forEach((s, i) => { s.hidden = i > at; s.classList.toggle("current", i === at); });
      prev.disabled = at === 0;
      next.disabled = at === steps.length - 1;
      where.textContent = `Step ${at + 1} of ${steps.length}`;
    }
    prev.addEventListener("click", () => { at = Math.max(0, at - 1); show(); });
    next.addEventListener("click", () => { at = Math.min(steps.length - 1, at + 1); show(); });
    show();
  }

  /* Precomputing: once every figure is drawn (and again after a theme switch), each
   * figure is drawn in the background, one call at a time, at values spread over each of
   * its sliders and at each option of its selects, the other controls as they are. What
   * Python keeps from those draws (a figure's static layers for its axis ranges, and the
   * answers of figures that cache them) is then ready when the reader gets there. The
   * answers themselves are thrown away. It waits while the lab trains, while Python is
   * busy with the reader's calls and for WARM_PAUSE_MS after the reader's last input (so
   * that a drag never waits behind a background draw), and a newer warm-up replaces an
   * older one. A figure whose control the reader moved is warmed again (warmAgain), at the
   * values now set: a layer can depend on two sliders at once (reparam's estimate axes on
   * μ, σ and n), and the first warm-up held the others at their defaults. ELBO.metrics.warm
   * tells how far it got (for bench/). */
  const WARM_STEPS = 8;  // values per slider
  const WARM_PAUSE_MS = 1000;
  const warm = { run: 0, calls: [], bridge: null, quiet: null };
  function warmCalls(row) {  // [{row, figure, name, value}]: a call per value to warm
    const calls = [];
    const figure = document.querySelector(`[data-widget="${row.key}"]`);
    for (const id of Object.values(row.params)) {
      const el = $(id);
      const kind = controlKind(el);
      let values = [];
      if (kind === "select") values = [...el.options].map((o) => o.value).filter((v) => v !== el.value);
      else if (kind === "range") {
        const lo = Number(el.min), hi = Number(el.max), step = Number(el.step) || 0;
        for (let i = 0; i < WARM_STEPS; i++) {
          let v = lo + (hi - lo) * (i + 0.5) / WARM_STEPS;
          if (step > 0) v = lo + Math.round((v - lo) / step) * step;
          values.push(Number(v.toPrecision(12)));
        }
      }
      const name = Object.keys(row.params).find((k) => row.params[k] === id);
      for (const v of values) calls.push({ row: row, figure: figure, name: name, value: v });
    }
    return calls;
  }
  function warmUp(bridge, rows, quiet) {
    const run = ++warm.run;
    Object.assign(warm, { calls: rows.flatMap(warmCalls), bridge: bridge, quiet: quiet });
    metrics.warm = { calls: warm.calls.length, done: 0, finished: false,
                     started: performance.now(), ended: null };
    warmNext(run);
  }
  function warmAgain(row) {  // row's calls again, replacing its pending ones
    if (!warm.bridge) return;  // no warm-up yet: the first one will take the values now set
    const progress = metrics.warm, before = warm.calls.length;
    warm.calls = warm.calls.filter((c) => c.row !== row).concat(warmCalls(row));
    progress.calls += warm.calls.length - before;
    if (progress.finished) {  // the chain of calls had ended: start it again
      Object.assign(progress, { finished: false, ended: null });
      warmNext(warm.run);
    }
  }
  function warmNext(run) {
    if (run !== warm.run) return;
    const calls = warm.calls, progress = metrics.warm;
    if (!calls.length) { progress.finished = true; progress.ended = performance.now(); return; }
    const since = performance.now() - (metrics.lastInput || 0);
    if (since < WARM_PAUSE_MS) { setTimeout(() => warmNext(run), WARM_PAUSE_MS - since); return; }
    if (!warm.quiet()) { setTimeout(() => warmNext(run), 500); return; }
    // the figure nearest the middle of the window first: the reader's, then its neighbours
    const middle = window.innerHeight / 2, distances = new Map();
    const distance = (figure) => {
      if (!distances.has(figure)) {
        const box = figure.getBoundingClientRect();
        distances.set(figure, Math.abs((box.top + box.bottom) / 2 - middle));
      }
      return distances.get(figure);
    };
    let best = 0;
    calls.forEach((c, i) => { if (distance(c.figure) < distance(calls[best].figure)) best = i; });
    const call = calls.splice(best, 1)[0];
    const params = Object.assign(rowParams(call.row), { [call.name]: call.value });
    warm.bridge.request("warm:" + call.row.key, call.row.key, params,
                        () => { progress.done++; setTimeout(() => warmNext(run), 0); }, true);
  }

  function main() {
    ELBO.theme.init();
    const embedded = ELBO.setupEmbed();  // null unless ?embed=
    ELBO.layout.init();  // after the embed has moved its figure: the width it shows at
    const inScope = (el) => !embedded || embedded.contains(el);
    // KaTeX is deferred, so it runs just before DOMContentLoaded; Python starts first
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", typeset);
    else typeset();
    document.querySelectorAll("[data-stepper]").forEach(bindStepper);
    const updates = new Map();  // widget key -> update(opts), for the widgets on show
    // Every widget is (re)drawn as background work, so a reader's own move is
    // never queued behind it: the figures on screen first, then by distance.
    const distance = (key) => {  // px from the window to the figure; 0 on screen
      const box = document.querySelector(`[data-widget="${key}"]`).getBoundingClientRect();
      if (box.bottom >= 0 && box.top <= innerHeight) return 0;
      return box.top > innerHeight ? box.top - innerHeight : -box.bottom;
    };
    const refreshAll = (only, opts) => {
      [...updates.keys()].filter(only || (() => true)).sort((a, b) => distance(a) - distance(b))
        .forEach((key) => updates.get(key)(Object.assign({ background: true }, opts)));
    };
    let lab = null;
    const sendTheme = (name) => bridge.send({ op: "theme", name: name });
    const sendLayout = (name) => bridge.send({ op: "layout", name: name });
    const events = {  // what the page does on each of the bridge's events
      stage: (detail) => loader.stage(detail),
      callable: () => {  // numbers go live
        if (restarting) {
          restarting = false;
          notice.show("Python is answering again; the figures are redrawn for your settings.",
                     { ok: true, hideAfterMs: 4000 });
        }
        sendTheme(ELBO.theme.current()).catch(() => {});
        sendLayout(ELBO.layout.applied).catch(() => {});
        const labKeys = new Set(lab ? lab.keys : []);
        // Numbers now for the figures whose settings differ from the page's defaults (moved,
        // or from a link): the others show Python's numbers at the defaults already
        // (scripts/build_page.py writes them), and get their picture once plotting is in.
        // The lab's figures wait for its run (below). The figures on screen and just below
        // it first, then matplotlib starts downloading (its wheels unpack between the calls
        // that follow), then the others.
        const moved = (key) => !labKeys.has(key) &&
          document.querySelector(`[data-widget="${key}"]`).classList.contains("stale");
        const near = (key) => distance(key) <= innerHeight;
        refreshAll((key) => moved(key) && near(key));
        bridge.send({ op: "plotting", name: "start", background: true }).catch(() => {});
        refreshAll((key) => moved(key) && !near(key));
        if (lab) { lab.onCallable(); lab.enable(true); }  // starts the run, then draws its figures
      },
      ready: () => {  // and now figures too
        loader.ready();
        performance.mark("elbo:ready");
        // The figures within a screen of the window are drawn now, nearest first, and so are
        // those whose settings differ from the picture shipped with the page (a link's). The
        // others show that picture, which is theirs, until they come within a screen: a
        // reader waits for the figures in view, not for all 17 (a few hundred ms each to
        // build, one after another). The warm-up below builds those too, after the near ones.
        refreshAll(null, { whenNear: true });
        warmAll();
      },
      fatal: (detail) => {
        if (lab) lab.enable(false);
        if (!bridge.ready) { loader.fail(detail); return; }  // loading failed: the boot panel says so
        // after loading: the boot panel is long gone, so say it where the reader is; moves
        // made until Python is back leave their figures marked, and are redrawn then
        bridge.stop();
        restarting = true;
        notice.show(`Python stopped with an error: ${detail.message}. The page can restart it; ` +
                   "your settings are kept.", { retry: true });
        if (lab) lab.stopped("Python stopped: restart it with the button at the bottom of the window.");
      },
      unresponsive: (detail) => {  // a dead or hung worker: restart it at once
        restarting = true;
        notice.show(`Python stopped answering (nothing for ${Math.round(detail.quietMs / 1000)} s), so ` +
                   "the page is restarting it. Your settings are kept" +
                   (lab ? "; the training lab starts its run again from epoch 0." : "."));
        if (lab) { lab.enable(false); lab.stopped("Python is restarting; the run starts again once it is back."); }
        loader.begin();
        bridge.start();
      },
      lab: (detail) => { if (lab) lab.onEvent(detail); },
    };
    let restarting = false;  // Python is being restarted after a failure
    const bridge = ELBO.bridge;  // started from <head> (js/bridge.js): Python loads meanwhile
    ELBO.theme.listeners.push((name) => {  // Python redraws every figure in the new colours
      if (bridge.callable) sendTheme(name).then(() => { refreshAll(); warmAll(); }, () => {});
    });
    ELBO.layout.listeners.push((name) => {  // ... or laid out for the new width
      if (bridge.callable) sendLayout(name).then(() => { refreshAll(); warmAll(); }, () => {});
    });
    // after the figures' own draws: precompute for the article's figures (not the lab's,
    // whose answers follow its weights) while the lab is not training
    const warmAll = () => warmUp(bridge, ELBO.FIGURES.filter((row) => !row.lab && updates.has(row.key)),
                                 () => !(lab && lab.training) && bridge.waiting.size === 0);
    let fast = false;  // the pad's figure multiplies faster with scipy's BLAS: ask for it once
    const speedUp = () => {
      if (fast || !bridge.callable) return;
      fast = true;
      bridge.send({ op: "blas", name: "load" }).catch(() => { fast = false; });
    };
    document.querySelectorAll('[data-kind="pad"]').forEach((el) => {
      el.pad = new ELBO.Pad(el, bridge);
      el.pad.canvas.addEventListener("pointerdown", speedUp);
      el.addEventListener("pad-change", speedUp);
    });
    ELBO.theme.listeners.push(() => document.querySelectorAll('[data-kind="pad"]').forEach((el) => el.pad.paint()));
    const ids = new Set(ELBO.FIGURES.flatMap((row) => Object.values(row.params)));
    Object.values(ELBO.LAB_SETTINGS).forEach((id) => { if ($(id)) ids.add(id); });
    permalink.load([...ids]);
    window.addEventListener("elbo-url-wanted", () => permalink.flushFollowed());
    const labIds = Object.values(ELBO.LAB_SETTINGS);
    const tools = {
      bridge: bridge,
      params: rowParams,
      controlIds: (row) => [...Object.values(row.params), ...(row.lab ? [...labIds, "lab-step"] : [])],
      labReplay: () => (lab && lab.status ? { settings: lab.status.settings, step: lab.status.step } : null),
    };
    for (const row of ELBO.FIGURES) {
      const update = bindWidget(row, bridge);
      const figure = document.querySelector(`[data-widget="${row.key}"]`);
      if (figure && inScope(figure)) {
        // a link's values differ from those the shipped picture was drawn with: stale until redrawn
        if (Object.values(row.params).some((id) => permalink.defaults.get(id) !== controlText(id))) {
          figure.classList.add("stale");
        }
        updates.set(row.key, update);
        ELBO.addTools(row, figure, tools);
      }
    }
    if (ELBO.LabPanel && $("lab-train") && inScope($("lab-train"))) {
      lab = new ELBO.LabPanel(bridge, {
        read: readControl,
        write: writeControl,
        listen: listen,
        refresh: (key, opts) => updates.get(key)(opts),
        fromUrl: (id) => permalink.fromUrl.has(id),
        refuse: (id, why) => permalink.refuse(id, controlText(id), why),
        invalid: (id, bad) => {
          const box = controlKind($(id)) === "range" ? $(id + "-num") : $(id);
          box.setAttribute("aria-invalid", bad ? "true" : "false");
        },
        setUrl: (entries) => permalink.set(entries),
      }, ELBO.FIGURES.filter((row) => updates.has(row.key)));
    }
    const toggle = $("theme-toggle");
    if (toggle) {
      toggle.addEventListener("click", () => ELBO.theme.choose(ELBO.theme.current() === "dark" ? "light" : "dark"));
    }
    $("boot-retry").addEventListener("click", () => { loader.begin(); bridge.start(); });
    $("boot-restart").addEventListener("click", () => { loader.begin(); bridge.start(); });
    $("py-alert-retry").addEventListener("click", () => {
      notice.show("Restarting Python…");
      loader.begin();
      bridge.start();
    });
    ELBO.labPanel = lab;
    bridge.startOnce();  // if the first paint has not started it yet
    loader.begin(bridge.startedAt);
    bridge.listen((type, detail) => events[type](detail));  // what it heard so far, then the rest
    bridge.sendCode();
  }

  // This script is the last in <body>, so the document it binds to is parsed;
  // starting now, not at DOMContentLoaded, does not wait for the deferred KaTeX.
  main();
})();
