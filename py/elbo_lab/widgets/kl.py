"""KL(q || p) for q = N(mu, sigma^2) and the prior p = N(0, 1): the closed form, drawn.

The number is ``gaussian.kl_to_standard_normal``; the figure shows both densities
over z, the prior dashed and q filled, and redraws only q (blitted) as it moves.
"""

import numpy as np

from ..gaussian import kl_to_standard_normal, log_normal_pdf
from ..params import Real
from ..plotting.ranges import band, nice_top
from ..plotting.theme import THEME

PARAMS = (
    # bounded so that every number the figures show is finite (the KL grows as mu^2 + sigma^2)
    Real("mu", 1.0, "μ, the mean of <i>q</i>", "kl-mu", lo=-100.0, hi=100.0, slider=(-3.0, 3.0),
         short="μ"),
    Real("sigma", 0.6, "σ, the standard deviation of <i>q</i>", "kl-sigma", lo=0.001, hi=100.0,
         why=" (a standard deviation, drawable on the plot)", slider=(0.1, 3.0), short="σ"),
)

Z = np.linspace(-6.0, 6.0, 601)
PRIOR = np.exp(log_normal_pdf(Z))  # N(0, 1) on Z: the same on every call


def compute(mu, sigma):
    """values: kl (nats), mu, sigma; drawing: q's and the prior's densities on Z."""
    value = kl_to_standard_normal(mu, sigma)
    q = np.exp(log_normal_pdf(Z, mu, sigma))
    if abs(mu) < 0.05 and abs(sigma - 1.0) < 0.05:
        shape = "q is almost exactly the prior"
    else:
        width = "narrower than" if sigma < 1 else ("wider than" if sigma > 1 else "as wide as")
        shape = f"q is {width} the prior and centred at {mu:.2f}"
    values = {"kl": value, "mu": mu, "sigma": sigma}
    return values, f"KL = {value:.3f} nats; {shape}.", {"q": q}


def build(agg):
    fig, (ax,) = agg.panels((640, 300), [(0.105, 0.16, 0.875, 0.8)], narrow_height=2.6)
    agg.style_axes(ax)
    agg.density(ax, Z, PRIOR, THEME["prior"], 0.15, lw=2, ls="--", label="prior p(z) = N(0, 1)")
    q_fill, q_line = agg.density(ax, Z, PRIOR, THEME["q"], 0.25, lw=2.5, label="q(z) = N(μ, σ²)")
    ax.set_xlim(Z[0], Z[-1])
    ax.set_xlabel("z", color=THEME["text"], fontsize=THEME["font_size"])
    ax.set_ylabel("density", color=THEME["text"], fontsize=THEME["font_size"])
    if agg.narrow():  # above the axes: inside, it would cover q
        legend = agg.legend_above(ax, ncol=1)
    else:
        legend = ax.legend(loc="upper right", frameon=False, labelcolor=THEME["text"],
                           fontsize=THEME["font_size"])
    return agg.Blitted(fig, [q_fill, q_line], overlay=[legend])


def draw(agg, view, q):
    q_fill, q_line = view.live
    q_fill.set_xy(band(Z, q))
    q_line.set_data(Z, q)
    top = nice_top(1.1 * max(float(q.max()), float(PRIOR.max())))
    agg.limits(view.fig.axes[0], y=(0.0, top))
    return view.render(layer_key=top)
