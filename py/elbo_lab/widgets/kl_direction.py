"""Forward vs reverse KL: the two best Gaussian fits to the toy model's two-peaked posterior.

Reverse KL(q || p(z|x)) (the ELBO's) is mode-seeking: ``toy.fit_reverse_kl``
puts q on one mode. Forward KL(p(z|x) || q) is mass-covering:
``toy.fit_forward_kl`` matches the posterior's mean and variance.
values (nats for divergences): rev_mu, rev_sigma, rev_gap = KL(q_rev || p(z|x));
fwd_mu, fwd_sigma, fwd_kl = KL(p(z|x) || q_fwd).
"""

import numpy as np

from .. import toy
from ..gaussian import log_normal_pdf
from ..plotting.ranges import DENSITY_LADDER, band, nice_top
from ..plotting.theme import THEME
from .toy_axes import Z, s_param, x_param

PARAMS = (x_param("dir-x"), s_param())


def compute(x, s):
    rev, fwd = toy.fit_reverse_kl(x, s=s), toy.fit_forward_kl(x, s=s)
    values = {"rev_mu": rev["mu"], "rev_sigma": rev["sigma"], "rev_gap": rev["gap"],
              "fwd_mu": fwd["mu"], "fwd_sigma": fwd["sigma"], "fwd_kl": fwd["forward_kl"]}
    summary = (f"Minimising KL(q || p) puts q at mean {rev['mu']:.2f} with sd "
               f"{rev['sigma']:.2f}{' (on one of the two modes)' if rev['mu'] > 0 else ''}; "
               f"minimising KL(p || q) gives mean {fwd['mu']:.2f} and sd "
               f"{fwd['sigma']:.2f}, covering the whole posterior.")
    drawing = {"post": toy.posterior_pdf(x, Z, s=s),
               "q_rev": np.exp(log_normal_pdf(Z, rev["mu"], rev["sigma"])),
               "q_fwd": np.exp(log_normal_pdf(Z, fwd["mu"], fwd["sigma"]))}
    return values, summary, drawing


def build(agg):
    fig, (ax,) = agg.panels((640, 300), [(0.105, 0.17, 0.875, 0.72)], narrow_height=3.0)
    agg.style_axes(ax)
    p_fill, = ax.fill([0, 1, 1], [0, 0, 1], color=THEME["posterior"], alpha=0.25, lw=0)
    p_line, = ax.plot([], [], color=THEME["posterior"], lw=2, label="p(z | x)")
    rev, = ax.plot([], [], color=THEME["q"], lw=2.5, label="reverse KL: mode-seeking")
    fwd, = ax.plot([], [], color=THEME["forward"], lw=2.5, ls="--",
                   label="forward KL: mass-covering")
    ax.set_xlim(Z[0], Z[-1])
    agg.label_axes(ax, "z", "density")
    legend = agg.legend_above(ax, ncol=3, columnspacing=1.0)
    if agg.narrow():
        ax.locator_params(axis="y", nbins=4, steps=[1, 2, 5, 10])
        # the layout is fixed as the build leaves it: room for the widest tick labels
        # any x and s give ("0.5"), not just the defaults' ("1")
        ax.set_ylim(0.0, 1.5)
    return agg.Blitted(fig, [p_fill, p_line, rev, fwd], overlay=[legend])


def draw(agg, view, post, q_rev, q_fwd):
    """The posterior (filled), the reverse-KL fit (blue) and the forward-KL fit (dashed)."""
    p_fill, p_line, rev, fwd = view.live
    p_fill.set_xy(band(Z, post))
    p_line.set_data(Z, post)
    rev.set_data(Z, q_rev)
    fwd.set_data(Z, q_fwd)
    peak = max(float(post.max()), float(q_rev.max()), float(q_fwd.max()))
    top = nice_top(1.1 * peak, DENSITY_LADDER)
    agg.limits(view.fig.axes[0], y=(0.0, top))
    return view.render(layer_key=top)
