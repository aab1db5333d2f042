"""The training lab's active units: the KL term of each latent dimension, and which are in use.

Dimension d is active if the variance over the test digits of its encoder mean
exceeds 0.01 (Burda, Grosse & Salakhutdinov 2016, sec. 5.2). values:
"active_units", "z_dim", "total_kl" (mean test KL, nats), "kl_per_dim" (list:
each dimension's mean test KL, nats; they sum to total_kl).
"""

import numpy as np

from .. import session
from ..gaussian import kl_diag_terms
from ..plotting.ranges import nice_top, subscript
from ..plotting.theme import THEME

PARAMS = ()
ACTIVE_VARIANCE = 0.01  # a unit is active if Var_x E_q[z_d | x] exceeds this


def cache_key():
    return session.current().version, ()


def compute():
    mu, log_var, _ = session.current().encoded()
    kl_dims = np.mean(kl_diag_terms(mu, log_var), axis=0)
    active = np.var(mu, axis=0) > ACTIVE_VARIANCE
    n_active, Z = int(np.sum(active)), int(mu.shape[1])
    values = {"active_units": n_active, "z_dim": Z, "total_kl": float(np.sum(kl_dims)),
              "kl_per_dim": [float(v) for v in kl_dims]}
    summary = (f"{n_active} of {Z} latent units active; the KL term is "
               f"{values['total_kl']:.2f} nats per test digit in all, "
               f"{', '.join(f'{v:.2f}' for v in kl_dims)} by dimension.")
    return values, summary, {"kl_dims": kl_dims, "active": active}


def build(agg):
    """An empty view: its figure is made by ``draw``, for as many dimensions as the run has."""
    view = agg.Blitted(None, [])
    view.z_dim = None
    return view


def _bars(agg, view, Z):
    """A new figure with axes for Z bars: made when the number of dimensions changes (in the
    narrow layout, a new figure is laid out afresh for its new tick labels)."""
    narrow = agg.narrow()
    view.crowded = narrow and Z > 8  # narrow, more than 8 bars: 0.17 in each
    view.fig, (ax,) = agg.panels((640, 260), [(0.1, 0.18, 0.87, 0.62)],
                                 narrow_height=3.2 if view.crowded else 2.9)
    agg.style_axes(ax)
    ax.grid(False, axis="x")
    bars = ax.bar(range(Z), [0.0] * Z, width=0.7, color=THEME["q"])
    # narrow: 9 pt, the least that reads on a phone, and upright when crowded (wider than a bar)
    labels = [ax.text(d, 0.0, "", ha="center", va="bottom", color=THEME["text"],
                      fontsize=THEME["font_size"] - (2 if narrow else 1 if Z <= 8 else 3),
                      rotation=90 if view.crowded else 0) for d in range(Z)]
    names = [f"z{subscript(d + 1)}" for d in range(Z)]
    if view.crowded:  # every other dimension named: side by side, the names would touch
        names = [name if d % 2 == 0 else "" for d, name in enumerate(names)]
    ax.set_xticks(range(Z), names)
    ax.set_xlim(-0.6, Z - 0.4)
    if narrow:  # every label as wide as "0.5" (figure spaces): the margin fixed at the build holds them
        ax.yaxis.set_major_formatter("{x:\u2007>3g}")
    agg.label_axes(ax, "latent dimension", "KL, nats per digit")
    handles = [agg.Patch(color=THEME["q"], label="active: Var over x of E[z_d|x] > 0.01"),
               agg.Patch(color=THEME["prior"], alpha=0.6, label="inactive")]
    if narrow:  # the legend's row is wider than the figure: a column below, the title above
        # its widest text now: the layout is fixed as the build leaves it
        title = ax.set_title(f"{Z} of {Z} units active", loc="left", fontsize=THEME["font_size"],
                             color=THEME["text"])
        view.fig.legend(handles=handles, loc="outside lower left", frameon=False,
                        labelcolor=THEME["text"], fontsize=THEME["font_size"] - 1, handlelength=1.2)
    else:
        title = ax.text(0.0, 1.2, "", transform=ax.transAxes, ha="left", va="bottom",
                        fontsize=THEME["font_size"], color=THEME["text"])
        agg.legend(ax, loc="lower right", handles=handles, bbox_to_anchor=(1.0, 1.0), ncol=2,
                   borderaxespad=0.2, handlelength=1.2)
    view.reset([*bars, *labels, title])
    view.z_dim = Z


def draw(agg, view, kl_dims, active):
    """One bar per latent dimension, its mean KL over the test digits (nats); active ones
    blue, inactive grey."""
    Z = len(kl_dims)
    if view.z_dim != Z:
        _bars(agg, view, Z)
    bars, labels, title = view.live[:Z], view.live[Z:2 * Z], view.live[-1]
    ax = view.fig.axes[0]
    headroom = 1.4 if view.crowded else 1.2  # crowded: for the upright numbers
    top = nice_top(headroom * float(max(np.max(kl_dims), 0.0)),
                   (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.5, 10.0, 15.0, 20.0))
    for bar, text, value, on in zip(bars, labels, kl_dims, active):
        bar.set_height(float(value))
        bar.set_color(THEME["q"] if on else THEME["prior"])
        bar.set_alpha(1.0 if on else 0.6)
        text.set_position((text.get_position()[0], float(value) + 0.02 * top))
        text.set_text(f"{value:.2f}")
    title.set_text(f"{int(np.sum(active))} of {Z} units active")
    ax.set_ylim(0.0, top)
    return view.render(layer_key=(Z, top))
