"""Recorded training of the VAE: reconstruction and KL against epoch, train and test.

The runs were recorded by ``scripts/pretrain.py`` (``pretrained.histories``):
"no_warmup" (beta = 1 throughout), "warmup" (beta ramps from 0 to 1 over the
first 20 epochs) or "beta4" (beta = 4). values: final_recon, final_kl (on the
test set at the last epoch, nats per digit), final_neg_elbo = final_recon +
final_kl (the beta = 1 negative ELBO, whatever beta the run trained with), epochs.
"""

import math
from types import SimpleNamespace

import numpy as np

from .. import pretrained
from ..params import Choice
from ..plotting.ranges import nice_top
from ..plotting.theme import THEME

PARAMS = (
    Choice("run", "warmup", "run", "dyn-run",
           options=(("warmup", "β = 1 with KL warm-up"), ("no_warmup", "β = 1 without warm-up"),
                    ("beta4", "β = 4"))),
)
CACHE_SIZE = 3  # every run's answer: a full draw each, then switching runs costs nothing


def cache_key(run):
    return "recorded", (run,)  # the recorded histories never change


RUN_TITLES = {"no_warmup": "β = 1 from the start", "warmup": "β warmed up from 0 to 1",
              "beta4": "β = 4"}


def compute(run):
    h = pretrained.histories()[run]
    recon, kl = float(h["test_recon"][-1]), float(h["test_kl"][-1])
    epochs = int(h["epoch"][-1])
    summary = (f"The run with {RUN_TITLES[run]}: after {epochs} epochs the test reconstruction "
               f"term is {recon:.2f} nats and the KL {kl:.2f} nats, a negative ELBO of "
               f"{recon + kl:.2f} nats per digit.")
    values = {"final_recon": recon, "final_kl": kl, "final_neg_elbo": recon + kl,
              "epochs": epochs}
    return values, summary, {"run": run, "history": h}


def build(agg):
    fig, (left, right) = agg.panels((640, 300), [(0.11, 0.17, 0.36, 0.66), (0.61, 0.17, 0.36, 0.66)],
                                    narrow_height=5.0)
    lines = []
    for ax, name in ((left, "reconstruction −E[log p(x|z)]"), (right, "KL(q(z|x) ‖ p(z))")):
        agg.style_axes(ax)
        ax.set_xscale("log")
        ax.set_title(name, fontsize=THEME["font_size"] - 1, color=THEME["text"])
        agg.label_axes(ax, "epoch", "nats per digit")
        colour = THEME["mc"] if ax is left else THEME["q"]
        lines += [ax.plot([], [], color=colour, lw=2, label="train")[0],
                  ax.plot([], [], color=colour, lw=2, ls="--", label="test")[0]]
        agg.legend(ax)
    shades = [ax.axvspan(1, 1, color=THEME["prior"], alpha=0.15, lw=0) for ax in (left, right)]
    # narrow: constrained layout places the title in the room it keeps for it
    title = fig.suptitle("", fontsize=THEME["font_size"], color=THEME["text"], y=None if agg.narrow() else 0.98)
    note = None
    if agg.narrow():  # in the shade, bottom left, clear of the curves: the title has no room for it
        note = left.text(0.02, 0.04, "shaded: warm-up, β < 1", transform=left.transAxes,
                         color=THEME["text"], fontsize=THEME["font_size"] - 2)
    return SimpleNamespace(fig=fig, lines=lines, shades=shades, title=title, note=note)


def draw(agg, view, run, history):
    """Reconstruction (left) and KL (right) per digit against epoch (log axis). Epochs
    where beta < 1 during a warm-up are shaded. Three runs only: each call draws fully."""
    epoch = history["epoch"]
    series = (history["recon"], history["test_recon"], history["kl"], history["test_kl"])
    for line, y in zip(view.lines, series):
        line.set_data(epoch, y)
    ramp = epoch[history["beta"] < 1.0]
    for shade in view.shades:
        shade.set_visible(len(ramp) > 0)
        if len(ramp):
            shade.set_x(epoch[0])
            shade.set_width(ramp[-1] - epoch[0])
    ladder = (1.0, 2.0, 3.0, 4.0, 5.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 100.0, 150.0,
              200.0, 250.0, 300.0, 350.0, 400.0)
    left, right = view.fig.axes
    for ax, pair in ((left, series[:2]), (right, series[2:])):
        ax.set_xlim(epoch[0], epoch[-1])
        # the reconstruction term lives far from 0 (about 150 nats for 784 pixels): zoom in
        bottom = 50.0 * math.floor(0.95 * min(float(np.min(y)) for y in pair) / 50.0)
        ax.set_ylim(bottom if ax is left else 0.0,
                    nice_top(1.05 * max(float(np.max(y)) for y in pair), ladder))
    note = "; shaded: warm-up, β < 1" if len(ramp) else ""
    if view.note is not None:  # narrow: the note is in the top panel, not in the title
        view.note.set_visible(bool(note))
        note = ""
    view.title.set_text(f"Training run: {RUN_TITLES.get(run, run)}{note}")
    agg.settle(view.fig)
    view.fig.canvas.draw()
    return agg.rgba(view.fig.canvas)
