"""The training lab's curves: the ELBO, log p(x) by importance sampling, the gap, and the terms.

values: "epoch", "step"; from the latest epoch record (at epoch 0 the untrained
model's): "train_neg_elbo", "test_neg_elbo", "test_recon", "test_kl"; from the
latest evaluation on 100 test digits: "subset_elbo", "subset_log_px" (IWAE,
k = 64, the same samples) and "gap" = subset_log_px - subset_elbo (>= 0:
Jensen's inequality on the same samples). Nats per digit.
"""

import numpy as np

from .. import session
from ..plotting.ranges import EPOCH_LADDER, band, nice_range, nice_top
from ..plotting.theme import THEME

PARAMS = ()
HISTORY_KEYS = ("epoch", "neg_elbo", "test_neg_elbo", "recon", "test_recon", "kl", "test_kl")


def cache_key():
    """The drawing changes only when the weights do."""
    return session.current().version, ()


def compute():
    lab = session.current()
    h, ev = lab.history, lab.evaluations
    latest, e = h[-1], ev[-1]
    values = {"epoch": int(lab.epoch), "step": int(lab.step),
              "train_neg_elbo": latest["neg_elbo"], "test_neg_elbo": latest["test_neg_elbo"],
              "test_recon": latest["test_recon"], "test_kl": latest["test_kl"],
              "subset_elbo": e["subset_elbo"], "subset_log_px": e["subset_log_px"],
              "gap": e["subset_log_px"] - e["subset_elbo"]}
    curves = {key: np.array([r[key] for r in h]) for key in HISTORY_KEYS}
    curves.update({key: np.array([r[key] for r in ev])
                   for key in ("subset_elbo", "subset_log_px")})
    curves["eval_epoch"] = np.array([r["epoch"] for r in ev])
    summary = (f"After {lab.epoch} epoch{'' if lab.epoch == 1 else 's'} the test −ELBO is "
               f"{values['test_neg_elbo']:.2f} nats (reconstruction "
               f"{values['test_recon']:.2f}, KL {values['test_kl']:.2f}); on 100 test "
               f"digits log p(x) by importance sampling is {values['subset_log_px']:.2f}, "
               f"{values['gap']:.3f} nats above the ELBO.")
    return values, summary, {"curves": curves, "warmup": lab.settings["warmup"]}


def build(agg):
    # narrow: one column, the ELBO over the gap over reconstruction over KL
    fig, (left, under, top, bottom) = agg.panels(
        (640, 400), [(0.11, 0.45, 0.37, 0.47), (0.11, 0.11, 0.37, 0.2), (0.6, 0.6, 0.37, 0.32),
                     (0.6, 0.11, 0.37, 0.32)], narrow_height=5.8, height_ratios=(5, 2, 3, 3))
    for ax in (under, top, bottom):
        ax.sharex(left)
    for ax in (left, under, top, bottom):
        agg.style_axes(ax)
    for ax in (left, top) + ((under,) if agg.narrow() else ()):  # epochs under the lowest axes only
        ax.tick_params(labelbottom=False)
    titles = ((left, "ELBO and log p(x)"), (under, "the gap: log p(x) − ELBO"),
              (top, "reconstruction −E[log p(x|z)]"), (bottom, "KL(q(z|x) ‖ p(z))"))
    for ax, title in titles:
        ax.set_title(title, fontsize=THEME["font_size"] - 1, color=THEME["text"])
    agg.label_axes(left, "", "nats per digit")
    agg.label_axes(under, "" if agg.narrow() else "epoch", "nats")
    agg.label_axes(bottom, "epoch", "")
    shades = [ax.axvspan(0, 1, color=THEME["prior"], alpha=0.15, lw=0, label="KL warm-up")
              for ax in (left, under, top, bottom)]  # only the left legend lists it
    # the gap is a fraction of a nat against tens of nats of ELBO: it gets its own axes
    gap, = under.fill([0, 1, 1], [0, 0, 1], color=THEME["posterior"], alpha=0.35, lw=0)
    gap_line, = under.plot([], [], "o-", color=THEME["posterior"], ms=2.5, lw=1.2)
    train, = left.plot([], [], color=THEME["text"], lw=1.5, label="train ELBO")
    test, = left.plot([], [], color=THEME["text"], lw=1.5, ls="--", label="test ELBO")
    elbo, = left.plot([], [], "o-", color=THEME["q"], ms=3, lw=1.2, label="ELBO, 100 test digits")
    log_px, = left.plot([], [], "o-", color=THEME["posterior"], ms=3, lw=1.2,
                        label="log p(x), IWAE k = 64")
    terms = []
    for ax, colour in ((top, THEME["mc"]), (bottom, THEME["q"])):
        terms += [ax.plot([], [], color=colour, lw=1.8, label="train")[0],
                  ax.plot([], [], color=colour, lw=1.8, ls="--", label="test")[0]]
    legend_terms = agg.legend(top, loc="upper right", handles=terms[:2], ncol=2,
                              handlelength=1.8, columnspacing=1.0)
    view = agg.Blitted(fig, [gap, gap_line, train, test, elbo, log_px, *terms],
                       overlay=[legend_terms])
    view.shades = shades
    view.legend_left = None
    return view


def draw(agg, view, curves, warmup):
    """The run's curves against epoch. Left: train ELBO (solid) and test ELBO (dashed), and on
    100 test digits the ELBO (blue dots) and the IWAE log p(x) (vermillion dots); below it,
    on its own scale, the gap between those two. Right: reconstruction (top) and KL
    (bottom), train solid, test dashed. warmup: KL warm-up epochs (shaded). The epoch axis
    grows through ``EPOCH_LADDER``; y-limits are rounded, so they move in steps."""
    gap, gap_line, train, test, elbo, log_px, recon, test_recon, kl, test_kl = view.live
    left, under, top, bottom = view.fig.axes
    epoch, eval_epoch = curves["epoch"], curves["eval_epoch"]
    train_elbo, test_elbo = -curves["neg_elbo"], -curves["test_neg_elbo"]
    train.set_data(epoch, train_elbo)
    test.set_data(epoch, test_elbo)
    elbo.set_data(eval_epoch, curves["subset_elbo"])
    log_px.set_data(eval_epoch, curves["subset_log_px"])
    gaps = curves["subset_log_px"] - curves["subset_elbo"]
    gap_line.set_data(eval_epoch, gaps)
    gap.set_xy(band(eval_epoch, gaps) if len(eval_epoch) > 1 else np.zeros((3, 2)))
    recon.set_data(epoch, curves["recon"])
    test_recon.set_data(epoch, curves["test_recon"])
    kl.set_data(epoch, curves["kl"])
    test_kl.set_data(epoch, curves["test_kl"])
    # limits: rounded, from the whole history, so they change in steps
    right = nice_top(float(epoch[-1]), EPOCH_LADDER)
    ell = np.concatenate([train_elbo, test_elbo, curves["subset_elbo"], curves["subset_log_px"]])
    lo, hi = nice_range(float(ell.min()), float(ell.max()), steps=(5.0, 10.0, 20.0, 50.0))
    gap_top = nice_top(1.1 * float(max(gaps.max(), 0.0)),
                       (0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0))
    rec_top = nice_top(1.05 * float(max(curves["recon"].max(), curves["test_recon"].max())),
                       (5.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 80.0, 100.0))
    kl_top = nice_top(1.1 * float(max(curves["kl"].max(), curves["test_kl"].max())),
                      (0.1, 0.2, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 7.5, 10.0, 15.0, 20.0))
    key = (right, lo, hi, gap_top, rec_top, kl_top, warmup)
    if key != view.key:
        left.set_xlim(0.0, right)  # the others share it
        left.set_ylim(lo, hi)
        under.set_ylim(0.0, gap_top)
        top.set_ylim(0.0, rec_top)
        bottom.set_ylim(0.0, kl_top)
        for shade in view.shades:
            shade.set_visible(warmup > 0)
            shade.set_width(warmup)
        if view.legend_left is not None:
            view.legend_left.remove()
        handles = [train, test, elbo, log_px] + ([view.shades[0]] if warmup > 0 else [])
        view.legend_left = agg.legend(left, loc="lower right", handles=handles,
                                      handlelength=1.8, borderaxespad=0.3)
        view.overlay = [view.overlay[0], view.legend_left]
    return view.render(layer_key=key)
