/* ELBO Lab: the training lab's panel. Classic script.
 *
 * The reader presses Train; the worker trains the numpy VAE in chunks (see
 * worker.js) and reports after each. This file owns the panel: Train/Pause,
 * Reset, the settings, the presets, the progress line, the settings in the URL,
 * and how often the lab's figures are refreshed while it trains.
 *
 * Figures. The lab's figures are ordinary rows of the table of figures (js/figures.js,
 * `lab: true`). While training, the ones on screen are refreshed as background
 * calls (the worker serves the reader's own calls first), at most as often as
 * keeps their drawing under REFRESH_SHARE of the worker's time.
 *
 * Settings. Until the run has taken a step, a changed setting starts a fresh
 * run at once (nothing is lost). After that it waits for Reset, and the panel
 * says so; only the target length (epochs) applies at once, because the run's
 * first epochs do not depend on it. The URL holds the settings of the run
 * shown, so a shared link reproduces the run.
 */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);

  const SETTINGS = window.ELBO.LAB_SETTINGS;  // setting -> control id (js/figures.js, generated)
  const REFRESH_MIN_MS = 250;  // never refresh figures more often than this
  const REFRESH_MIN_CALM_MS = 1000;  // nor than this, for readers who ask for less motion
  const calm = window.matchMedia("(prefers-reduced-motion: reduce)");
  const REFRESH_MAX_MS = 2000;  // nor less often
  const REFRESH_SHARE = 0.15;  // figure drawing: at most this share of the worker's time
  const RATE_WINDOW_MS = 1500;  // steps per second: measured over this window
  const BLAS_EXPECT_MS = 3000;  // scipy's load on the reference machine (DESIGN.md)

  function sameSettings(a, b) {
    return Object.keys(SETTINGS).every((k) => Number(a[k]) === Number(b[k]));
  }

  function plural(n, word) { return `${n} ${word}${n === 1 ? "" : "s"}`; }

  function duration(seconds) {
    if (!Number.isFinite(seconds)) return "";
    if (seconds < 1) return "under a second";
    if (seconds < 90) return `about ${Math.round(seconds)} s`;
    return `about ${Math.round(seconds / 60)} min`;
  }

  class LabPanel {
    /* bridge: the Bridge. ui: what app.js lends it:
     *   read(id) / write(id, value)   a control's value
     *   listen(id, onChange)          a control's changes
     *   refresh(key, opts)            re-run a widget row ({background, after(err, result)})
     *   invalid(id, bad)              mark a control aria-invalid
     *   fromUrl(id), refuse(id, why)  whether a control's value came from the link; refuse it
     *   setUrl(entries)               put {id: value|null} into the URL (null removes) */
    constructor(bridge, ui, rows) {
      this.bridge = bridge;
      this.ui = ui;
      this.keys = rows.filter((r) => r.lab).map((r) => r.key);
      this.status = null;  // the worker's last status of the run
      this.linkStep = new URLSearchParams(location.search).get("lab-step");  // replayed once started
      this.replayTo = null;  // the step a linked run is being trained to
      this.enabled = false;  // the buttons work: Python is callable
      this.presets = {};
      this.training = false;
      this.pausing = false;
      this.trainToken = 0;
      this.loadingBlas = false;
      this.samples = [];  // [time, step] for the rate
      this.rate = NaN;
      this.visible = new Set();
      this.refreshing = 0;
      this.refreshCost = 0;
      this.lastRefresh = 0;
      this.interval = REFRESH_MIN_MS;
      this.painting = false;
      this.bind();
    }

    readSettings() {
      const out = {};
      for (const [name, id] of Object.entries(SETTINGS)) out[name] = this.ui.read(id);
      return out;
    }

    bind() {
      // the sticky bar's height, for the lab figures' scroll margin (css/style.css): it wraps
      // to two or three lines on a phone
      const bar = document.querySelector(".lab-bar");
      const keep = () => document.documentElement.style.setProperty("--lab-bar-h", `${bar.offsetHeight}px`);
      keep();
      if ("ResizeObserver" in window) new ResizeObserver(keep).observe(bar);
      $("lab-train").addEventListener("click", () => (this.training ? this.pause() : this.train()));
      $("lab-reset").addEventListener("click", () => this.whenStarted(() => this.reset(this.readSettings())));
      for (const id of Object.values(SETTINGS)) this.ui.listen(id, () => this.settingsChanged());
      document.querySelectorAll("[data-preset]").forEach((button) => {
        button.addEventListener("click", () => this.preset(button.dataset.preset));
      });
      if ("IntersectionObserver" in window) {
        const seen = new IntersectionObserver((entries) => {
          for (const e of entries) {
            const key = e.target.dataset.widget;
            if (e.isIntersecting) {
              const fresh = !this.visible.has(key);
              this.visible.add(key);
              if (fresh && this.training) this.refresh([key]);
            } else this.visible.delete(key);
          }
        });
        for (const key of this.keys) {
          const figure = document.querySelector(`[data-widget="${key}"]`);
          if (figure) seen.observe(figure);
        }
      } else this.keys.forEach((k) => this.visible.add(k));
    }

    /* Python stopped or is restarting: no training until it is back (onCallable). */
    stopped(reason) {
      this.training = this.pausing = this.loadingBlas = false;
      this.trainToken += 1;
      this.error(new Error(reason));
      this.paint();
    }

    enable(on) {
      this.enabled = on;
      for (const id of ["lab-train", "lab-reset"]) $(id).disabled = !on;
      document.querySelectorAll("[data-preset]").forEach((b) => { b.disabled = !on; });
    }

    /* Python can answer: start the run the controls (perhaps from the URL) describe. */
    onCallable() {
      // background: the page's first numbers go before the lab's start. Until
      // these answer, the panel's actions wait for them (see `whenStarted`).
      const presets = this.bridge.lab("presets", {}, true).then((p) => { this.presets = p; }, () => {});
      const first = this.reset(this.readSettings(), { quiet: true, background: true });
      this.starting = Promise.all([presets, first]).finally(() => {
        this.starting = null;
        this.replayLink();
      });
    }

    /* A link made by "Link to this state" carries the run's step (lab-step): its settings are
     * the run's, and training is deterministic, so training again to that step gives the
     * same network. Once per page, for the first run. */
    replayLink() {
      const text = this.linkStep;
      this.linkStep = null;
      if (text === null || !this.status) return;
      const total = this.status.epochs * this.status.steps_per_epoch;
      if (!/^\d{1,9}$/.test(text) || Number(text) < 1 || Number(text) > total) {
        this.note(`This link's training step ${JSON.stringify(text.slice(0, 16))} was not used: it must be ` +
                  `a whole number from 1 to ${total} for this run. The run starts at step 0.`);
        return;
      }
      this.train({ until: Number(text) });
    }

    /* Run `then` now, or, in the order asked, once the first run has started. */
    whenStarted(then) {
      if (this.starting) this.starting.then(then);
      else then();
    }

    /* ---- actions ---- */

    reset(settings, opts) {
      opts = opts || {};
      this.training = false;
      this.trainToken += 1;
      return this.bridge.lab("reset", settings, opts.background).then((status) => {
        this.clearError();
        this.samples = [];
        this.rate = NaN;
        this.accept(status);
        this.ui.setUrl(this.urlEntries(status.settings));
        if (!opts.quiet) this.note(opts.note || "");
        this.refreshAll();
        return status;
      }, (err) => {
        const id = err && err.param ? SETTINGS[err.param] : null;
        if (id && this.ui.fromUrl(id)) {  // a link's setting Python refuses: its default, and a note
          this.ui.refuse(id, err.message);
          return this.reset(this.readSettings(), opts);
        }
        this.error(err);
        this.paint();
      });
    }

    train(opts) {
      opts = opts || {};
      if (this.starting) { this.whenStarted(() => this.train(opts)); return; }
      if (!this.status) {  // the first run's settings were refused (a bad link, say)
        this.error(new Error("No run to train yet: correct the setting marked in red, then press Reset."));
        return;
      }
      this.training = true;
      const token = ++this.trainToken;  // a Pause before the answer wins
      this.note("");
      this.clearError();  // an earlier failure (a download, say) is tried again now
      this.samples = [];
      this.replayTo = opts.until || null;
      if (!this.replayTo) this.ui.setUrl({ "lab-step": null });  // the address no longer names a step
      this.paint();
      this.bridge.lab("train", this.replayTo ? { until_step: this.replayTo } : {}).then((status) => {
        this.loadingBlas = false;
        this.accept(status);
        if (token === this.trainToken) this.training = !status.done;
        this.paint();
      }, (err) => {
        this.loadingBlas = false;
        if (token === this.trainToken) this.training = false;
        this.error(err);
        this.paint();
      });
    }

    /* The worker stops at once; progress it posted before it heard us is still
     * on its way, so "paused" is shown with the answer, which comes after it. */
    pause() {
      this.training = false;
      this.pausing = true;
      this.trainToken += 1;
      this.paint();
      return this.bridge.lab("pause").then((status) => {
        this.pausing = false;
        this.accept(status);
        this.refreshAll();
      }, (err) => { this.pausing = false; this.error(err); });
    }

    preset(name) {
      this.whenStarted(() => {
        if (!this.presets) { this.error(new Error("the presets could not be loaded from Python")); return; }
        const preset = this.presets[name];
        if (!preset) { this.error(new Error(`unknown preset ${name}`)); return; }
        for (const [key, id] of Object.entries(SETTINGS)) this.ui.write(id, preset.settings[key]);
        this.reset(preset.settings, { note: preset.note });
      });
    }

    settingsChanged() {
      if (this.starting) { this.whenStarted(() => this.settingsChanged()); return; }
      if (!this.status) return;
      const wanted = this.readSettings();
      const applied = this.status.settings;
      if (sameSettings(wanted, applied)) { this.note(""); return; }
      if (this.status.step === 0 && !this.training) { this.reset(wanted); return; }
      const onlyEpochs = Object.keys(SETTINGS).every((k) => k === "epochs" || Number(wanted[k]) === Number(applied[k]));
      if (onlyEpochs) {
        this.bridge.lab("epochs", { epochs: wanted.epochs }).then((status) => {
          this.clearError();
          this.accept(status);
          this.ui.setUrl(this.urlEntries(status.settings));
          if (this.training && status.done) this.training = false;
          this.paint();
        }, (err) => this.error(err));
        return;
      }
      this.note("The new settings apply when you press Reset; the run shown keeps the " +
                "settings it started with.");
    }

    /* ---- the worker's reports ---- */

    onEvent(msg) {
      if (msg.event === "blas") {
        this.loadingBlas = msg.state === "start";
        this.blasStart = performance.now();
        this.paint();
      } else if (msg.event === "progress") {
        this.accept(msg.status);
        this.maybeRefresh();
      } else if (msg.event === "stopped") {
        this.training = false;
        this.accept(msg.status);
        if (msg.reason === "replayed") {
          this.replayTo = null;
          this.note(`This is the linked run, trained again to step ${msg.status.step} (epoch ` +
                    `${msg.status.epoch}); press Train to go on.`);
          this.ui.setUrl({ "lab-step": msg.status.step });
        }
        this.refreshAll();
      } else if (msg.event === "error") {
        this.training = false;
        this.error(new Error(msg.message));
        this.paint();
      }
    }

    accept(status) {
      const now = performance.now();
      if (this.status && status.run !== this.status.run) this.samples = [];
      this.status = status;
      this.samples.push([now, status.step]);
      while (this.samples.length > 2 && now - this.samples[0][0] > RATE_WINDOW_MS) this.samples.shift();
      const [t0, s0] = this.samples[0];
      if (now - t0 > 200 && this.training) this.rate = (status.step - s0) / ((now - t0) / 1000);
      if (!this.painting) {
        this.painting = true;
        requestAnimationFrame(() => { this.painting = false; this.paint(); });
      }
    }

    /* ---- figures ---- */

    refresh(keys) {
      for (const key of keys) {
        if (this.bridge.busy(key)) continue;  // its answer is on the way
        this.refreshing += 1;
        this.ui.refresh(key, {
          background: true,
          after: (err, result) => {
            this.refreshing -= 1;
            if (result && result.ms) this.refreshCost += result.ms;
            if (this.refreshing === 0) {
              // refresh at most as often as keeps drawing under REFRESH_SHARE of the time
              const wanted = this.refreshCost / REFRESH_SHARE;
              const least = calm.matches ? REFRESH_MIN_CALM_MS : REFRESH_MIN_MS;
              this.interval = Math.min(REFRESH_MAX_MS, Math.max(least, wanted));
              this.refreshCost = 0;
            }
          },
        });
      }
    }

    maybeRefresh() {
      const now = performance.now();
      if (this.refreshing > 0 || now - this.lastRefresh < this.interval) return;
      this.lastRefresh = now;
      this.refresh(this.keys.filter((k) => this.visible.has(k)));
    }

    refreshAll() {
      this.lastRefresh = performance.now();
      this.refresh(this.keys);
    }

    /* ---- the panel ---- */

    urlEntries(settings) {
      const entries = {};
      for (const [name, id] of Object.entries(SETTINGS)) {
        entries[id] = settings[name];  // the URL leaves out a value equal to the page's default
      }
      entries["lab-step"] = null;  // a new run is at step 0
      return entries;
    }

    note(text) { $("lab-note").textContent = text; }

    error(err) {
      if (err && err.restarted) return;  // the page's notice says so; the new worker resets the run
      const message = String((err && err.message) || err);
      $("lab-error").textContent = message;
      $("lab-error").hidden = false;
      const named = err && err.param && SETTINGS[err.param] ? err.param : null;
      if (named) {  // mark the setting it names; other messages leave the marks as they are
        for (const [name, id] of Object.entries(SETTINGS)) this.ui.invalid(id, name === named);
      }
    }

    clearError() {
      $("lab-error").hidden = true;
      for (const id of Object.values(SETTINGS)) this.ui.invalid(id, false);
    }

    paint() {
      const s = this.status;
      const train = $("lab-train");
      train.textContent = this.training ? "Pause" : (s && s.step > 0 && !s.done ? "Resume" : "Train");
      train.setAttribute("aria-pressed", this.training ? "true" : "false");
      if (s) train.disabled = !this.enabled || (!this.training && s.done);
      if (!s) return;
      const bar = $("lab-bar");
      const total = s.epochs * s.steps_per_epoch;
      bar.value = total ? s.step / total : 0;
      let line = `Epoch ${s.epoch} of ${s.epochs} · ${plural(s.step, "step")}`;
      if (this.replayTo && this.training) {  // a linked run: the bar shows the replay's progress
        bar.value = s.step / this.replayTo;
        line = `Replaying the linked run: step ${s.step} of ${this.replayTo} (epoch ${s.epoch})`;
      }
      if (this.loadingBlas) {
        const ms = performance.now() - this.blasStart, secs = (ms / 1000).toFixed(1);
        // an estimate that has run out says so, rather than "5.1 s of about 3 s"
        const eta = ms <= BLAS_EXPECT_MS ? `of about ${BLAS_EXPECT_MS / 1000} s`
          : `taking longer than the usual ${BLAS_EXPECT_MS / 1000} s on this connection`;
        line += ` · loading scipy's fast matrix products (once per visit, ${secs} s, ${eta})`;
        requestAnimationFrame(() => { if (this.loadingBlas) this.paint(); });
      } else if (this.training && Number.isFinite(this.rate)) {
        const left = (total - s.step) / Math.max(this.rate, 1e-9);
        line += ` · ${Math.round(this.rate)} steps/s · ${duration(left)} left`;
      } else if (this.pausing) line += " · pausing";
      else if (s.done) line += " · done";
      else if (s.step > 0) line += " · paused";
      $("lab-progress").textContent = line;
      $("lab-panel").dataset.step = String(s.step);  // for tests and benchmarks
      // "pausing" until the worker's answer: a chunk it finished before it heard us still counts
      $("lab-state").textContent = this.training ? "training" : this.pausing ? "pausing"
        : s.done ? "done" : s.step > 0 ? "paused" : "ready";
    }
  }

  window.ELBO = window.ELBO || {};
  window.ELBO.LabPanel = LabPanel;
  window.ELBO.LAB_SETTINGS = SETTINGS;
})();
