"""The ELBO derived step by step on the toy model, at the reader's q = N(mu, sigma^2).

Exact: log p(x) (quadrature), the ELBO = recon - kl_prior (closed form), and
kl_posterior = KL(q || p(z|x)) (``toy.kl_to_posterior``), with the identity
log p(x) = ELBO + KL(q || p(z|x)) checked (identity_residual, ~1e-15).
Monte Carlo from n draws of q (``default_rng(seed)``, ``toy.jensen_monte_carlo``):
log_mean_ratio_mc = log mean p(x,z)/q(z), an estimate of log p(x), and
elbo_mc = mean log p(x,z)/q(z), each with its standard error. All nats.

The image shows p(z|x) and q over z, and below them the log ratio
log p(x,z)/q(z) at each z with the draws, its mean (the ELBO) and log p(x): the
gap between is the KL.
"""

import math

import numpy as np

from .. import toy
from ..gaussian import log_normal_pdf
from ..params import Real, Seed, Whole
from ..plotting.ranges import DENSITY_LADDER, band, nice_top
from ..plotting.theme import THEME
from .toy_axes import Z, s_param, x_param

PARAMS = (
    x_param("der-x"),
    Real("mu", 0.0, "μ, the mean of q", "der-mu", lo=-3.0, hi=3.0, short="μ"),
    Real("sigma", 1.5, "σ, the standard deviation of q", "der-sigma", lo=0.1, hi=3.0, short="σ"),
    s_param(),
    Whole("n", 1000, "n, Monte Carlo draws", lo=2, hi=10000),  # one draw has no standard error
    Seed("seed", label="Redraw the Monte Carlo samples", control="der-seed"),
)

DOTS = 150  # at most this many of the draws are drawn as dots
DEPTHS = (5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0)  # nats shown below the top


def mc_note(mc, log_px):
    """A warning for step 2 when its estimate cannot be trusted, else "": when it lies more
    than 3 standard errors from the exact log p(x) (its ± then understates its error), or
    when the weights' effective sample size is a tenth of the draws or less (fragile)."""
    off, se = log_px - mc["log_mean_ratio"], mc["log_mean_ratio_se"]
    share = f"the weights' effective sample size is {mc['ess']:.0f} of {mc['n']:,} draws"
    if abs(off) > 3.0 * se:
        return (f"Not to be trusted here: the estimate is {abs(off):.2f} nats "
                f"{'below' if off > 0 else 'above'} the exact value, far more than its ± "
                f"{se:.2f} says, because q puts few draws where the posterior has its mass "
                f"({share}).")
    if mc["ess"] <= 0.1 * mc["n"]:
        return (f"Fragile here: q and the posterior overlap little ({share}), so redrawn "
                "samples can give quite different estimates.")
    return ""


def compute(x, mu, sigma, s, n, seed):
    terms = toy.elbo_terms(x, mu, sigma, s=s)
    kl_post = toy.kl_to_posterior(x, mu, sigma, s=s)
    mc = toy.jensen_monte_carlo(x, mu, sigma, n, np.random.default_rng(seed), s=s)
    values = {
        "log_evidence": terms["log_evidence"],
        "log_mean_ratio_mc": mc["log_mean_ratio"],
        "log_mean_ratio_mc_se": mc["log_mean_ratio_se"],
        "elbo": terms["elbo"],
        "elbo_mc": mc["mean_log_ratio"],
        "elbo_mc_se": mc["mean_log_ratio_se"],
        "recon": terms["recon"],
        "kl_prior": terms["kl_prior"],
        "kl_posterior": kl_post,
        "identity_residual": terms["log_evidence"] - (terms["elbo"] + kl_post),
        "log_mean_ratio_mc_ess": mc["ess"],
        "log_mean_ratio_mc_note": mc_note(mc, terms["log_evidence"]),
    }
    # the draws again (the same generator state) for the figure's dots
    z_draws = mu + sigma * np.random.default_rng(seed).standard_normal(min(n, DOTS))
    r_draws = toy.log_joint(x, z_draws, s=s) - log_normal_pdf(z_draws, mu, sigma)
    q = np.exp(log_normal_pdf(Z, mu, sigma))
    post = toy.posterior_pdf(x, Z, s=s)
    r_curve = toy.log_joint(x, Z, s=s) - np.log(np.maximum(q, 1e-300))
    summary = (f"log p(x) = {values['log_evidence']:.3f} nats equals the ELBO "
               f"{values['elbo']:.3f} plus KL(q || p(z|x)) = {kl_post:.3f}; from {n} "
               f"samples of q the Monte Carlo estimates are {values['log_mean_ratio_mc']:.3f} "
               f"for log p(x) and {values['elbo_mc']:.3f} for the ELBO.")
    drawing = {"post": post, "q": q, "r_curve": r_curve, "z_draws": z_draws,
               "r_draws": r_draws, "log_px": values["log_evidence"], "elbo": values["elbo"]}
    return values, summary, drawing


def build(agg):
    fig, (top, bottom) = agg.panels((640, 420), [(0.125, 0.64, 0.845, 0.29), (0.125, 0.11, 0.845, 0.37)],
                                    narrow_height=5.4, height_ratios=(2, 3))
    bottom.sharex(top)
    for ax in (top, bottom):
        agg.style_axes(ax)
    p_fill, = top.fill([0, 1, 1], [0, 0, 1], color=THEME["posterior"], alpha=0.25, lw=0)
    p_line, = top.plot([], [], color=THEME["posterior"], lw=2, label="posterior p(z | x)")
    q_fill, = top.fill([0, 1, 1], [0, 0, 1], color=THEME["q"], alpha=0.2, lw=0)
    q_line, = top.plot([], [], color=THEME["q"], lw=2, label="q(z) = N(μ, σ²)")
    top.set_xlim(Z[0], Z[-1])
    top.tick_params(labelbottom=False)
    top.set_ylabel("density", color=THEME["text"], fontsize=THEME["font_size"])
    leg_top = agg.legend_above(top, ncol=2)
    gap = bottom.axhspan(0, 1, color=THEME["posterior"], alpha=0.12, lw=0,
                         label="gap = KL(q ‖ p(z|x))")
    r_line, = bottom.plot([], [], color=THEME["q"], lw=1.5, label="log p(x,z) − log q(z)")
    dots, = bottom.plot([], [], "o", color=THEME["mc"], ms=3, alpha=0.6, label="at draws from q")
    lpx_line = bottom.axhline(0, color=THEME["posterior"], lw=2, ls="--", label="log p(x)")
    elbo_line = bottom.axhline(0, color=THEME["q"], lw=2, label="ELBO = its mean")
    agg.label_axes(bottom, "z", "nats")
    if agg.narrow():
        # each label as wide as "−5000", the deepest the sliders reach (figure spaces), so the
        # margin fixed at the build holds the labels of any later range
        bottom.yaxis.set_major_formatter("{x:\u2007>5g}")
        leg_bottom = agg.legend_above(bottom, ncol=3)  # a row of three would run past the edge
    else:
        leg_bottom = agg.legend(bottom, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3,
                                borderaxespad=0.2, handlelength=1.8, columnspacing=1.2)
    return agg.AxesBlitted(fig, [p_fill, p_line, q_fill, q_line, gap, r_line, dots, lpx_line,
                             elbo_line], overlay=[leg_top, leg_bottom])


def draw(agg, view, post, q, r_curve, z_draws, r_draws, log_px, elbo):
    """Top: p(z|x) and q. Bottom: r(z) = log p(x, z) - log q(z) on Z (curve) and at the
    draws of q (dots); its q-average is the ELBO (blue line), log p(x) the dashed line,
    and the band between them the gap KL(q || p(z|x))."""
    p_fill, p_line, q_fill, q_line, gap, r_line, dots, lpx_line, elbo_line = view.live
    top, bottom = view.fig.axes
    p_fill.set_xy(band(Z, post))
    p_line.set_data(Z, post)
    q_fill.set_xy(band(Z, q))
    q_line.set_data(Z, q)
    r_line.set_data(Z, r_curve)
    dots.set_data(z_draws, r_draws)
    lpx_line.set_ydata([log_px, log_px])
    elbo_line.set_ydata([elbo, elbo])
    gap.set_y(elbo)  # a Rectangle across the axes, in data units vertically
    gap.set_height(log_px - elbo)
    ymax = nice_top(1.1 * max(float(post.max()), float(q.max())), DENSITY_LADDER)
    agg.limits(top, y=(0.0, ymax))
    # bottom: from a little above log p(x), which only x and s move, down a depth from a
    # ladder that holds the ELBO and the spread below it: few distinct limits, so a drag
    # of mu or sigma mostly reuses kept layers
    hi = 2.0 * math.ceil((log_px + 1.0) / 2.0)
    lo = hi - nice_top(1.25 * (hi - elbo) + 2.0, DEPTHS)
    agg.limits(bottom, y=(lo, hi))
    return view.render((ymax, (lo, hi)))  # a key per axes; limits from the inputs only
