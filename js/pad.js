/* ELBO Lab: drawing pads. A pad is the control of a figure parameter of kind "pad"
 * (py/elbo_lab/params.py, Drawing): a 28 x 28 binary image that the reader draws with a
 * mouse, a finger or a pen, or edits from the keyboard. Its value, in data-value, is the
 * image bit-packed row by row (first pixel in the highest bit) in base64url without
 * padding: the text of elbo_lab.data.pack_image, so a link carries the drawing. A pad
 * fires "pad-change" on its element when a stroke or an edit ends. Classic script. */
(function () {
  "use strict";
  const ELBO = (window.ELBO = window.ELBO || {});
  const SIDE = 28, CELLS = SIDE * SIDE;
  const BRUSH = 1.05;  // cells whose centre lies within this many cells of the pen are inked
  const UNDO_KEPT = 50;

  function pack(bits) {
    const bytes = new Uint8Array(CELLS / 8);
    for (let i = 0; i < CELLS; i++) if (bits[i]) bytes[i >> 3] |= 0x80 >> (i & 7);
    let text = "";
    for (const b of bytes) text += String.fromCharCode(b);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  /* The bits of a packed text, or null if it is not one (Python says why, when asked). */
  function unpack(text) {
    if (typeof text !== "string" || !/^[A-Za-z0-9_-]{131}$/.test(text)) return null;
    let raw;
    try { raw = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "="); } catch (err) { return null; }
    const bits = new Uint8Array(CELLS);
    for (let i = 0; i < CELLS; i++) bits[i] = (raw.charCodeAt(i >> 3) >> (7 - (i & 7))) & 1;
    return bits;
  }

  class Pad {
    constructor(el, bridge) {
      this.el = el;
      this.bridge = bridge;
      this.canvas = el.querySelector("canvas");
      this.status = el.querySelector(".pad-status");
      this.bits = unpack(el.dataset.value) || new Uint8Array(CELLS);
      this.undo = [];
      this.erasing = false;
      this.cursor = { row: 14, col: 14, shown: false };
      this.stroke = null;  // {last: [x, y] in cells, before: the bits before it}
      this.bind();
      this.paint();
    }

    /* Set the drawing from packed text (a permalink, or a test digit); false if it is not one. */
    set(text, remember) {
      const bits = unpack(text);
      if (!bits) {
        this.say("That link's drawing is damaged; the pad keeps its drawing.");
        return false;
      }
      if (remember) this.remember(this.bits);
      this.bits = bits;
      this.el.dataset.value = text;
      this.paint();
      return true;
    }

    remember(bits) {
      this.undo.push(bits.slice());
      if (this.undo.length > UNDO_KEPT) this.undo.shift();
    }

    say(text) { if (this.status) this.status.textContent = text; }

    commit() {
      const text = pack(this.bits);
      if (text === this.el.dataset.value) return;
      this.el.dataset.value = text;
      this.el.dispatchEvent(new Event("pad-change"));
    }

    /* The pen at (x, y), in cells (0..28 across): ink (or erase) the cells it covers. */
    dab(x, y) {
      const value = this.erasing ? 0 : 1;
      for (let row = Math.floor(y - BRUSH); row <= Math.ceil(y + BRUSH); row++) {
        for (let col = Math.floor(x - BRUSH); col <= Math.ceil(x + BRUSH); col++) {
          if (row < 0 || col < 0 || row >= SIDE || col >= SIDE) continue;
          if (Math.hypot(col + 0.5 - x, row + 0.5 - y) <= BRUSH) this.bits[row * SIDE + col] = value;
        }
      }
    }

    /* The pen moved from the last point to (x, y): dab along the segment, half a cell apart. */
    line(x, y) {
      const [x0, y0] = this.stroke.last;
      const steps = Math.max(1, Math.ceil(Math.hypot(x - x0, y - y0) * 2));
      for (let i = 1; i <= steps; i++) this.dab(x0 + (x - x0) * i / steps, y0 + (y - y0) * i / steps);
      this.stroke.last = [x, y];
    }

    cellAt(event) {
      const box = this.canvas.getBoundingClientRect();
      return [(event.clientX - box.left) / box.width * SIDE, (event.clientY - box.top) / box.height * SIDE];
    }

    bind() {
      const c = this.canvas;
      c.style.touchAction = "none";  // a finger draws; it does not scroll the page
      c.addEventListener("pointerdown", (event) => {
        if (event.button !== 0 && event.pointerType === "mouse") return;
        event.preventDefault();
        c.setPointerCapture(event.pointerId);
        const [x, y] = this.cellAt(event);
        this.stroke = { last: [x, y], before: this.bits.slice(), id: event.pointerId };
        this.dab(x, y);
        this.paint();
      });
      c.addEventListener("pointermove", (event) => {
        if (!this.stroke || event.pointerId !== this.stroke.id) return;
        const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
        for (const e of events.length ? events : [event]) this.line(...this.cellAt(e));
        this.paint();
      });
      const end = (event) => {
        if (!this.stroke || event.pointerId !== this.stroke.id) return;
        this.remember(this.stroke.before);
        this.stroke = null;
        this.commit();
      };
      c.addEventListener("pointerup", end);
      c.addEventListener("pointercancel", end);
      c.addEventListener("focus", () => { this.cursor.shown = true; this.paint(); });
      c.addEventListener("blur", () => { this.cursor.shown = false; this.paint(); });
      c.addEventListener("keydown", (event) => this.key(event));
      this.el.querySelectorAll("[data-pad]").forEach((button) => {
        button.addEventListener("click", () => this.action(button.dataset.pad, button));
      });
    }

    /* Keyboard editing: arrows move the cursor, Space or Enter inks, Delete or Backspace erases. */
    key(event) {
      const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      const cur = this.cursor;
      if (moves[event.key]) {
        cur.row = Math.min(SIDE - 1, Math.max(0, cur.row + moves[event.key][0]));
        cur.col = Math.min(SIDE - 1, Math.max(0, cur.col + moves[event.key][1]));
        this.say(`cursor at row ${cur.row + 1}, column ${cur.col + 1}: ` +
                 (this.bits[cur.row * SIDE + cur.col] ? "inked" : "blank"));
      } else if ([" ", "Enter", "Delete", "Backspace"].includes(event.key)) {
        const value = event.key === " " || event.key === "Enter" ? 1 : 0;
        const i = cur.row * SIDE + cur.col;
        if (this.bits[i] !== value) {
          this.remember(this.bits);
          this.bits[i] = value;
          this.commit();
        }
        this.say(`row ${cur.row + 1}, column ${cur.col + 1} ${value ? "inked" : "erased"}`);
      } else return;
      event.preventDefault();
      this.paint();
    }

    action(name, button) {
      if (name === "undo") {
        if (!this.undo.length) { this.say("Nothing to undo."); return; }
        this.bits = this.undo.pop();
        this.say("Undone.");
      } else if (name === "clear") {
        this.remember(this.bits);
        this.bits = new Uint8Array(CELLS);
        this.say("Cleared: draw a digit.");
      } else if (name === "erase") {
        this.erasing = !this.erasing;
        button.setAttribute("aria-pressed", String(this.erasing));
        this.say(this.erasing ? "The pen now erases." : "The pen now inks.");
        return;
      } else if (name === "load") {
        this.load();
        return;
      }
      this.paint();
      this.commit();
    }

    /* Start from test digit n (its pixels come from Python's copy of the test set). */
    load() {
      const box = this.el.querySelector("input[type=number]");
      const n = Number(box.value);
      if (!Number.isInteger(n) || n < 0 || n > 999 || String(box.value).trim() === "") {
        box.setAttribute("aria-invalid", "true");
        this.say("The test digit must be a whole number from 0 to 999.");
        return;
      }
      box.setAttribute("aria-invalid", "false");
      if (!this.bridge.callable) {
        this.say(ELBO.pythonWait());
        return;
      }
      this.say(`Loading test digit ${n}…`);
      this.bridge.send({ op: "digit", name: "test", params: { index: n } }).then((answer) => {
        if (this.set(answer.x, true)) {
          this.say(`Test digit ${n}, a ${answer.label}: change it as you like.`);
          this.el.dataset.value = "";  // so that commit fires even if the pad already held it
          this.commit();
        }
      }, (err) => this.say(`Could not load test digit ${n}: ${err.message}`));
    }

    paint() {
      const c = this.canvas, g = c.getContext("2d");
      const cell = c.width / SIDE;
      const style = getComputedStyle(this.el);
      const ink = style.getPropertyValue("--pad-ink").trim() || "#000";
      const paper = style.getPropertyValue("--pad-paper").trim() || "#fff";
      g.fillStyle = paper;
      g.fillRect(0, 0, c.width, c.height);
      g.fillStyle = ink;
      for (let i = 0; i < CELLS; i++) {
        if (this.bits[i]) g.fillRect((i % SIDE) * cell, Math.floor(i / SIDE) * cell, cell, cell);
      }
      if (this.cursor.shown) {
        g.strokeStyle = style.getPropertyValue("--accent").trim() || "#d55e00";
        g.lineWidth = 2;
        g.strokeRect(this.cursor.col * cell + 1, this.cursor.row * cell + 1, cell - 2, cell - 2);
      }
    }
  }

  ELBO.Pad = Pad;
  ELBO.packImage = pack;
  ELBO.unpackImage = unpack;
})();
