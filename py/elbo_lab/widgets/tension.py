"""The beta tension: the Gaussian q* maximising E_q[log p(x|z)] - beta KL(q || p(z)).

q* = ``toy.beta_optimum(x, beta, s)``, found exactly. Small beta favours
reconstruction (q* narrows onto a mode), large beta pulls q* to the prior.
beta must be at least 0.01 (``BETA_MIN``): at beta = 0 the optimum is a point
mass, with an infinite KL, which no number can show.

values (nats): mu, sigma of q*; recon, kl (to the prior), elbo = recon - kl,
gap = log p(x) - elbo = KL(q* || p(z|x)), log_evidence; beta.
"""

import math
from dataclasses import dataclass

import numpy as np

from .. import toy
from ..checks import ParamError, number
from ..gaussian import log_normal_pdf
from ..params import Real
from ..plotting.ranges import DENSITY_LADDER, band, nice_top
from ..plotting.theme import THEME
from .toy_axes import Z, s_param, x_param

BETA_MIN = 0.01  # below this the best q collapses towards a point and its KL blows up


@dataclass(frozen=True)
class _Beta(Real):
    """beta in [0.01, 8], explaining why not below 0.01."""

    def check(self, value):
        v = number(self.name, value)
        if math.isfinite(v) and 0.0 <= v < BETA_MIN:
            raise ParamError(self.name, "beta must be at least 0.01: at beta = 0 the best q "
                                        "shrinks to a point (sigma -> 0) and its KL to the "
                                        "prior is infinite")
        return super().check(value)


PARAMS = (
    x_param("ten-x"),
    _Beta("beta", 1.0, "β, the weight of the KL term", "ten-beta", lo=BETA_MIN, hi=8.0,
          slider=(0.05, 8.0), short="β"),
    s_param(),
)

TERMS = (("recon", "recon"), ("kl", "KL"), ("elbo", "ELBO"), ("gap", "gap"))


def compute(x, beta, s):
    opt = toy.beta_optimum(x, beta, s=s)
    values = {key: float(opt[key]) for key in ("mu", "sigma", "recon", "kl", "elbo", "gap",
                                                "log_evidence", "beta")}
    q = np.exp(log_normal_pdf(Z, values["mu"], values["sigma"]))
    post = toy.posterior_pdf(x, Z, s=s)
    summary = (f"At beta = {beta:.2f} the best Gaussian q has mean {values['mu']:.2f} and sd "
               f"{values['sigma']:.2f}: reconstruction {values['recon']:.2f}, KL "
               f"{values['kl']:.2f}, ELBO {values['elbo']:.2f} and gap {values['gap']:.2f} "
               f"nats below log p(x) = {values['log_evidence']:.2f}.")
    return values, summary, {"post": post, "q": q, "terms": [values[k] for k, _ in TERMS]}


def build(agg):
    fig, (ax, bars_ax) = agg.panels((640, 300), [(0.105, 0.17, 0.555, 0.72), (0.78, 0.17, 0.2, 0.72)],
                                    narrow_height=4.4, height_ratios=(3, 2))
    for a in (ax, bars_ax):
        agg.style_axes(a)
    p_fill, = ax.fill([0, 1, 1], [0, 0, 1], color=THEME["posterior"], alpha=0.25, lw=0)
    p_line, = ax.plot([], [], color=THEME["posterior"], lw=2, label="posterior p(z | x)")
    q_line, = ax.plot([], [], color=THEME["q"], lw=2.5, label="best q for this β")
    ax.set_xlim(Z[0], Z[-1])
    agg.label_axes(ax, "z", "density")
    legend = agg.legend_above(ax, ncol=2)
    colours = [THEME["mc"], THEME["q"], THEME["text"], THEME["posterior"]]
    bars = bars_ax.barh(range(4), [0.0] * 4, color=colours, height=0.65)
    bars_ax.set_yticks(range(4), [label for _, label in TERMS])
    bars_ax.invert_yaxis()
    bars_ax.axvline(0.0, color=THEME["text"], lw=0.8)
    bars_ax.grid(False, axis="y")
    bars_ax.set_xlabel("nats", color=THEME["text"], fontsize=THEME["font_size"])
    if agg.narrow():  # the layout is fixed as the build leaves it: room for the widest labels
        ax.locator_params(axis="y", nbins=4, steps=[1, 2, 5, 10])
        ax.yaxis.set_major_formatter("{x:\u2007>4g}")  # each as wide as " 0.5" or "  32" (figure spaces)
        bars_ax.locator_params(axis="x", nbins=4)
        bars_ax.set_xlim(-500.0, 500.0)  # the ends of the bars' ladder
    return agg.AxesBlitted(fig, [p_fill, p_line, q_line, *bars], overlay=[legend])


def draw(agg, view, post, q, terms):
    """Left: p(z|x) (filled) and the beta-optimal q*. Right: bars of recon, KL, ELBO, gap."""
    p_fill, p_line, q_line, *bars = view.live
    ax, bars_ax = view.fig.axes
    p_fill.set_xy(band(Z, post))
    p_line.set_data(Z, post)
    q_line.set_data(Z, q)
    for bar, value in zip(bars, terms):
        bar.set_x(min(value, 0.0))
        bar.set_width(abs(value))
    top = nice_top(1.1 * max(float(post.max()), float(q.max())), DENSITY_LADDER)
    agg.limits(ax, y=(0.0, top))
    ladder = (1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 50.0, 100.0, 200.0, 500.0)
    left = -nice_top(max(0.0, -min(terms)), ladder) if min(terms) < 0 else 0.0
    right = nice_top(max(0.0, max(terms)), ladder) if max(terms) > 0 else 1.0
    agg.limits(bars_ax, x=(left, right))
    return view.render((top, (left, right)))  # a key per axes
