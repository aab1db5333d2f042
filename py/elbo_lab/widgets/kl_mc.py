"""The KL term by Monte Carlo beside its closed form, converging at the rate 1/sqrt(n).

Draws n samples z ~ q = N(mu, sigma^2) from ``default_rng(seed)`` and averages
log q(z) - log p(z). The running estimate over the first 1..n samples is drawn
against the closed form, inside a band of +-2 standard errors.

The standard error is exact, not estimated: with z = mu + sigma eps,
``log q(z) - log p(z) = -log sigma + mu^2/2 + mu sigma eps + (sigma^2 - 1) eps^2 / 2``,
whose variance is ``mu^2 sigma^2 + (sigma^2 - 1)^2 / 2``; so it is defined for
n = 1 too. mu and sigma are the KL figure's controls (``kl.PARAMS``).
"""

import math

import numpy as np

from ..gaussian import kl_to_standard_normal, log_normal_pdf
from ..params import Seed, Whole
from ..plotting.ranges import nice_top, subsample_log
from ..plotting.theme import THEME
from . import kl

PARAMS = (
    *kl.PARAMS,  # the same μ and σ controls as the KL figure
    Whole("n", 100, "n, Monte Carlo samples", "klmc-n", lo=1, hi=10000, short="n"),
    Seed("seed", label="Draw new samples", control="klmc-seed"),
)


def compute(mu, sigma, n, seed):
    """values: kl, kl_mc, kl_mc_se (nats) and n."""
    value = kl_to_standard_normal(mu, sigma)
    z = mu + sigma * np.random.default_rng(seed).standard_normal(n)
    log_ratio = log_normal_pdf(z, mu, sigma) - log_normal_pdf(z)  # log q(z) - log p(z)
    running = np.cumsum(log_ratio) / np.arange(1, n + 1)
    sd = math.sqrt(mu * mu * sigma * sigma + 0.5 * (sigma * sigma - 1.0) ** 2)
    estimate, se = float(running[-1]), sd / math.sqrt(n)
    summary = (f"From {n} sample{'s' if n > 1 else ''} of q the Monte Carlo estimate of the KL "
               f"is {estimate:.3f} nats (standard error {se:.3f}); the exact value is "
               f"{value:.3f} nats.")
    values = {"kl": value, "kl_mc": estimate, "kl_mc_se": se, "n": n}
    return values, summary, {"running": running, "kl": value, "sd": sd}


def build(agg):
    fig, (ax,) = agg.panels((640, 300), [(0.1, 0.17, 0.87, 0.72)], narrow_height=3.0)
    agg.style_axes(ax)
    # minor ticks at 2 and 5 of each decade, not 2 ... 9: a new layer (each new y-range, as a drag
    # of mu or sigma moves the KL) is drawn whole, and its ticks were most of that time
    ax.set_xscale("log", subs=(2.0, 5.0))
    (band,) = ax.fill([1, 2, 2, 1], [0, 0, 1, 1], color=THEME["q"], alpha=0.15, lw=0,
                      label="exact ± 2 standard errors")
    (exact,) = ax.plot([1, 2], [0, 0], color=THEME["q"], lw=2, label="exact KL")
    (line,) = ax.plot([1], [0], color=THEME["mc"], lw=2, label="Monte Carlo estimate")
    (dot,) = ax.plot([1], [0], "o", color=THEME["mc"], ms=6)
    agg.label_axes(ax, "number of samples of q", "KL estimate (nats)")
    legend = agg.legend_above(ax, ncol=3)
    if agg.narrow():
        ax.locator_params(axis="y", nbins=4, steps=[1, 2, 5, 10])
        ax.tick_params(axis="x", which="minor", labelbottom=False)  # 2×10⁰ ... collide for n <= 10
        # the layout is fixed as the build leaves it: room for the widest tick labels
        # any n, μ and σ give ("−0.05"), not just the defaults' ("−1")
        ax.set_xlim(1, 100)
        ax.set_ylim(-0.05, 0.1)
    view = agg.Blitted(fig, [band, exact, line, dot], overlay=[legend])
    # twice the usual: a drag of the KL figure's mu or sigma crosses many y-ranges, and back
    view.LAYERS_KEPT = 2 * agg.Blitted.LAYERS_KEPT
    return view


def draw(agg, view, running, kl, sd):
    """running: (n,) the mean of the first k log-ratios, k = 1..n; kl: the closed form (a
    line); sd: the sd of one log-ratio, so the band is kl +- 2 sd / sqrt(k)."""
    n = len(running)
    band, exact, line, dot = view.live
    ax = view.fig.axes[0]
    right = 10 ** max(1, math.ceil(math.log10(n)))  # a decade, so dragging n rarely relayouts
    k = np.geomspace(1, right, 200)
    half = 2.0 * sd / np.sqrt(k)
    band.set_xy(np.concatenate([np.column_stack([k, kl + half]),
                                np.column_stack([k[::-1], kl - half[::-1]])]))
    exact.set_data([1, right], [kl, kl])
    idx = subsample_log(n)
    line.set_data(idx + 1, running[idx])
    dot.set_data([n], [running[-1]])
    # y-range: the band at k = 1 and every estimate, in steps so the layer is often reused
    reach = max(2.2 * sd, 1.1 * float(np.max(np.abs(running - kl))), 0.05)
    step = nice_top(reach / 2.0, (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0))
    lo, hi = step * math.floor((kl - reach) / step), step * math.ceil((kl + reach) / step)
    agg.limits(ax, x=(1, right), y=(lo, hi))
    return view.render(layer_key=(lo, hi, right))
