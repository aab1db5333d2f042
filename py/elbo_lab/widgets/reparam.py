"""The reparameterisation trick, and why its gradients are less noisy than the score function's.

Left: histograms of eps ~ N(0, 1) and z = mu + sigma eps (the same 2000 draws).
Right: 500 independent n-sample estimates of d/dmu E_q[z^2] (exactly 2 mu;
fewer for n > 100 to keep a slider move fast: 50,000 / n, at least 100) by
reparameterisation and by the score function, from the same eps
(``estimators.estimator_spread``). All draws come from ``default_rng(seed)``:
first the histogram's, then the estimates'.
"""

import math

import numpy as np

from .. import estimators
from ..params import Real, Seed, Whole
from ..plotting.ranges import DENSITY_LADDER, nice_top, step_outline
from ..plotting.theme import THEME

PARAMS = (
    Real("mu", 0.8, "μ, the mean of q", "rep-mu", lo=-2.0, hi=2.0, short="μ"),
    Real("sigma", 2.0, "σ, the standard deviation of q", "rep-sigma", lo=0.1, hi=2.0, short="σ"),
    Whole("n", 16, "n, samples per estimate", "rep-n", lo=1, hi=1000, short="n"),
    Seed("seed", label="Redraw the samples", control="rep-seed"),
)

DRAWS = 2000  # samples in the histograms of eps and z
REPEATS = 500  # independent gradient estimates per estimator (n <= 100)
BUDGET = 50_000  # above n = 100, fewer repeats: n * repeats <= this, and >= 100 repeats
EDGES = np.linspace(-7.0, 7.0, 141)  # bins of 0.1 for eps and z


def repeats(n):
    """How many independent estimates of each kind for n samples per estimate."""
    return REPEATS if n <= 100 else max(100, BUDGET // n)


def compute(mu, sigma, n, seed):
    """values: exact_dmu, exact_dsigma; rep_/sf_ mean_dmu and sd_dmu, sd_dsigma (over the
    repeats); variance_ratio_dmu = var(score) / var(reparam), for d/dmu; repeats."""
    rng = np.random.default_rng(seed)
    eps = rng.standard_normal(DRAWS)
    count = repeats(n)
    spread = estimators.estimator_spread(mu, sigma, n, count, rng)
    rep, sf = spread["reparam"], spread["score"]
    ratio = sf["var"][0] / rep["var"][0]
    values = {
        "exact_dmu": spread["exact"][0], "exact_dsigma": spread["exact"][1],
        "rep_mean_dmu": rep["mean"][0], "rep_sd_dmu": rep["std"][0],
        "sf_mean_dmu": sf["mean"][0], "sf_sd_dmu": sf["std"][0],
        "rep_sd_dsigma": rep["std"][1], "sf_sd_dsigma": sf["std"][1],
        "variance_ratio_dmu": ratio, "repeats": count,
    }
    summary = (f"With {n} sample{'s' if n > 1 else ''} per estimate, the gradient of E[z^2] "
               f"in mu (exactly {values['exact_dmu']:.2f}) has spread {rep['std'][0]:.3f} by "
               f"reparameterisation and {sf['std'][0]:.3f} by the score function: "
               f"{ratio:.1f} times the variance, over {count} estimates of each.")
    drawing = {"eps": eps, "mu": mu, "sigma": sigma, "rep": rep["estimates"][:, 0],
               "sf": sf["estimates"][:, 0], "exact": spread["exact"][0],
               "sf_sd": math.sqrt(sf["exact_var"][0])}
    return values, summary, drawing


def build(agg):
    fig, (left, right) = agg.panels((640, 320), [(0.09, 0.16, 0.37, 0.7), (0.6, 0.16, 0.37, 0.7)],
                                    narrow_height=4.6)
    for ax in (left, right):
        agg.style_axes(ax)
    eps_line, = left.plot([], [], color=THEME["prior"], lw=1.5, label="ε ~ N(0, 1)")
    z_fill, = left.fill([0, 1, 1], [0, 0, 1], color=THEME["q"], alpha=0.25, lw=0)
    z_line, = left.plot([], [], color=THEME["q"], lw=1.5, label="z = μ + σ ε")
    left.set_xlim(-7, 7)
    agg.label_axes(left, "value", "density")
    if agg.narrow():  # a row of both would run past the image's edge
        leg = agg.legend_above(left, ncol=2)
    else:
        leg = agg.legend(left, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2,
                         borderaxespad=0.2, handlelength=1.5, columnspacing=1.0)
    # markers on lines, not scatters: Agg stamps one rendered marker per point
    rep_pts, sf_pts = (right.plot([], [], ls="none", marker="o", ms=2.5, mew=0, color=colour,
                                  alpha=0.35)[0] for colour in (THEME["q"], THEME["alt"]))
    exact_line = right.axvline(0.0, color=THEME["text"], lw=1.5, ls="--")
    right.set_ylim(-0.6, 1.6)
    right.set_yticks([0, 1], ["score\nfunction", "reparam-\neterisation"])
    right.grid(False, axis="y")
    agg.label_axes(right, "estimate of d/dμ E[z²]", "")
    if agg.narrow():  # no label at the right end, where its half past the axes would leave the image
        right.locator_params(axis="x", nbins=4, prune="upper")
    # narrow: flush with the axes' right end, as the title is wider than the axes
    # static, in the layer: a count in it (fewer estimates for n > 100) would make each n its own
    # layer, a new layer for every move of n (the count is in the caption and the summary)
    right.set_title("one dot per estimate; dashed: exact", fontsize=THEME["font_size"] - 1,
                    color=THEME["text"], loc="right" if agg.narrow() else "center")
    view = agg.AxesBlitted(fig, [eps_line, z_fill, z_line, rep_pts, sf_pts, exact_line],
                           overlay=[leg])
    view.jitter = np.random.default_rng(12345).uniform(-0.3, 0.3, 1000)
    return view


def draw(agg, view, eps, mu, sigma, rep, sf, exact, sf_sd):
    """eps: (N,) standard normal draws. rep, sf: (R,) estimates of d/dmu E[z^2];
    exact: the true value; sf_sd: the exact sd of one score-function estimate (it sets
    the x-range, so the range moves rarely)."""
    eps_line, z_fill, z_line, rep_pts, sf_pts, exact_line = view.live
    left, right = view.fig.axes
    width = EDGES[1] - EDGES[0]
    scale = 1.0 / (len(eps) * width)
    eps_counts = np.histogram(eps, EDGES)[0] * scale
    z_counts = np.histogram(mu + sigma * eps, EDGES)[0] * scale
    eps_line.set_data(*step_outline(EDGES, eps_counts))
    zx, zy = step_outline(EDGES, z_counts)
    z_line.set_data(zx, zy)
    z_fill.set_xy(np.column_stack([zx, zy]))
    jitter = view.jitter[: len(rep)]
    rep_pts.set_data(rep, 1.0 + jitter)
    sf_pts.set_data(sf, jitter)
    exact_line.set_xdata([exact, exact])
    peak = 0.3989 * max(1.0, 1.0 / sigma)  # the taller of the two exact densities
    top = nice_top(1.35 * peak, DENSITY_LADDER)  # from the exact peak: steady under resampling
    agg.limits(left, y=(0.0, top))
    reach = nice_top(3.5 * sf_sd, (0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 50.0,
                                   75.0, 100.0, 150.0, 200.0, 300.0, 500.0))
    centre = round(exact / (reach / 2)) * (reach / 2)
    agg.limits(right, x=(centre - reach, centre + reach))
    return view.render((top, (reach, centre)))  # a key per axes
