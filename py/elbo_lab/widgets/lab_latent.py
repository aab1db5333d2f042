"""The training lab's latent space: the test digits' encoder means, and the KL of each code.

Projected onto the top two principal directions of the means when z_dim > 2
(``session.principal_directions``). values: "n_points" (360), "projection"
("z1, z2" or "PCA"), "mean_kl" (mean over the test digits of KL(q(z|x) || p(z)), nats).
"""

import numpy as np

from .. import session
from ..gaussian import kl_diag_terms
from ..plotting.ranges import nice_top, step_outline
from ..plotting.theme import THEME

PARAMS = ()
LIM = 4.0  # the lab's latent plane: [-4, 4]^2


def cache_key():
    return session.current().version, ()


def compute():
    lab = session.current()
    mu, log_var, labels = lab.encoded()
    Z = mu.shape[1]
    points = mu @ session.principal_directions(mu)
    kl_each = np.sum(kl_diag_terms(mu, log_var), axis=1)
    outside = int(np.sum(np.any(np.abs(points) > LIM, axis=1)))
    projection = "z1, z2" if Z == 2 else "PCA"
    values = {"n_points": int(len(mu)), "projection": projection,
              "mean_kl": float(np.mean(kl_each))}
    where = ("in the plane of z1 and z2" if Z == 2 else
             f"projected from {Z} dimensions onto their top two principal directions")
    note = f"; {outside} lie outside the frame and are drawn at its edge" if outside else ""
    summary = (f"The {len(mu)} test digits' encoder means {where}{note}; their mean KL "
               f"to the prior is {values['mean_kl']:.2f} nats.")
    drawing = {"points": points, "labels": labels, "kl_each": kl_each, "z_dim": Z,
               "outside": outside}
    return values, summary, drawing


def build(agg):
    fig, (plane, hist) = agg.panels((640, 360), [(0.09, 0.13, 0.38, 0.63), (0.62, 0.14, 0.35, 0.62)],
                                    narrow_height=5.6, height_ratios=(2, 1))
    agg.latent_plane(plane)
    plane.set_xlim(-LIM, LIM)
    plane.set_ylim(-LIM, LIM)
    agg.style_axes(hist)
    groups = [plane.scatter([], [], s=30, marker=path, color=THEME["digits"][d],
                            linewidths=0.3) for d, path in enumerate(agg.digit_markers())]
    agg.digit_legend(plane, groups)
    bars, = hist.fill([0, 1, 1], [0, 0, 1], color=THEME["q"], alpha=0.3, lw=0)
    outline, = hist.plot([], [], color=THEME["q"], lw=1.5)
    mean = hist.axvline(0.0, color=THEME["text"], lw=1.5, ls="--")
    agg.label_axes(hist, "KL(q(z|x) ‖ p(z)), nats", "test digits")
    if agg.narrow():  # the mean under the title: inside, as large as it is here, it would cover bars and line
        mean_format = "information in each code\nmean {:.2f} nats"
        # two lines now: the layout is fixed as the build leaves it
        mean_text = hist.set_title(mean_format.format(0.0), fontsize=THEME["font_size"] - 1,
                                   color=THEME["text"])
        # every count as wide as "1000" (figure spaces): the margin fixed at the build holds them
        hist.yaxis.set_major_formatter("{x:\u2007>4g}")
    else:
        mean_text = hist.text(0.97, 0.95, "", transform=hist.transAxes, ha="right", va="top",
                              fontsize=THEME["font_size"] - 1, color=THEME["text"])
        hist.set_title("information in each code", fontsize=THEME["font_size"] - 1,
                       color=THEME["text"])
        mean_format = "mean {:.2f} nats"
    if agg.narrow():  # a suptitle: constrained layout keeps room for its two lines above the axes
        title = fig.suptitle("encoder means\n", x=0.02, ha="left", fontsize=THEME["font_size"] - 1,
                             color=THEME["text"])
    else:
        title = fig.text(0.02, 0.975, "", ha="left", va="top",
                         fontsize=THEME["font_size"] - 1, color=THEME["text"])
    view = agg.Blitted(fig, [*groups, bars, outline, mean, mean_text])
    view.mean_format, view.title = mean_format, title
    return view


def draw(agg, view, points, labels, kl_each, z_dim, outside):
    """Left: the encoder means (points: (N, 2), z1 and z2 or the principal directions) on
    the prior's circles, points beyond the frame at its edge. Right: a histogram of each
    digit's KL (kl_each: (N,), nats) with its mean."""
    groups, (bars, outline, mean, mean_text) = view.live[:10], view.live[10:]
    plane, hist = view.fig.axes
    shown = np.clip(points, -0.97 * LIM, 0.97 * LIM)
    for d, group in enumerate(groups):
        group.set_offsets(shown[labels == d])
    top = nice_top(1.05 * float(kl_each.max()),
                   (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0,
                    50.0))
    edges = np.linspace(0.0, top, 31)
    counts = np.histogram(np.minimum(kl_each, top), edges)[0].astype(float)
    x, y = step_outline(edges, counts)
    outline.set_data(x, y)
    bars.set_xy(np.column_stack([x, y]))
    average = float(np.mean(kl_each))
    mean.set_xdata([average, average])
    mean_text.set_text(view.mean_format.format(average))
    count_top = nice_top(1.15 * float(counts.max()),
                         (10.0, 20.0, 50.0, 100.0, 150.0, 200.0, 300.0, 400.0))
    key = (top, count_top, z_dim, outside)
    if key != view.key:
        hist.set_xlim(0.0, top)
        hist.set_ylim(0.0, count_top)
        if agg.narrow():  # shorter, and always two lines: the layout fixed at the build has room for two
            what = ("encoder means of the test digits" if z_dim == 2 else
                    f"encoder means, PCA of {z_dim} dimensions")
            note = f"\n{outside} outside the frame, drawn at its edge" if outside else "\n"
        else:
            what = ("encoder means of the test digits" if z_dim == 2 else
                    f"encoder means of the test digits, projected from {z_dim} dimensions\n"
                    "onto their top 2 principal directions (PCA)")
            note = f"; {outside} outside the frame, drawn at its edge" if outside else ""
        view.title.set_text(what + note)
        axis = ("z₁", "z₂") if z_dim == 2 else ("principal direction 1", "principal direction 2")
        agg.label_axes(plane, *axis)
    return view.render(layer_key=key)
