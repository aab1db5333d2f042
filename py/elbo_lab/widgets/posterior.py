"""The toy model's prior p(z) and its exact posterior p(z | x), which splits in two as x grows.

z ~ N(0, 1) and x | z ~ N(z^2, s^2): the codes +z and -z explain x equally well,
so for x > s^2 / 2 the posterior has two modes, at +-sqrt(x - s^2 / 2).
"""

import math

import numpy as np

from .. import toy
from ..plotting.ranges import DENSITY_LADDER, band, nice_top
from ..plotting.theme import THEME
from .toy_axes import PRIOR, Z, s_param, x_param

PARAMS = (x_param("post-x"), s_param("post-s"))


def count_modes(density):
    """Local maxima of a density sampled on a grid (plateaus count once)."""
    d = np.asarray(density)
    up = np.diff(d)
    signs = np.sign(up[up != 0])  # ignore flat steps
    return int(np.sum((signs[:-1] > 0) & (signs[1:] < 0)))


def compute(x, s):
    """values: log_evidence = log p(x) (nats); n_modes (1 or 2, local maxima of the
    posterior on the grid); mode (the positive mode, 0 when unimodal); posterior_sd; modes_at,
    where the modes are, as the page shows it ("±1.23", or "0" for the single mode)."""
    density = toy.posterior_pdf(x, Z, s=s)
    log_px = toy.log_evidence(x, s=s)
    n_modes = count_modes(density)
    mode = math.sqrt(x - 0.5 * s * s) if n_modes >= 2 else 0.0  # g'(z) = 0, see toy.model
    sd = math.sqrt(toy.posterior_moments(x, s=s)["var"])
    if n_modes >= 2:
        shape = f"two modes, at z = -{mode:.2f} and +{mode:.2f}"
    else:
        shape = "a single mode at z = 0"
    values = {"log_evidence": log_px, "n_modes": n_modes, "mode": mode, "posterior_sd": sd,
              "modes_at": f"±{mode:.2f}" if n_modes >= 2 else "0"}
    summary = (f"For x = {x:.2f} and s = {s:.2f} the posterior p(z|x) has {shape}, "
               f"standard deviation {sd:.2f}, and log p(x) = {log_px:.3f} nats.")
    return values, summary, {"density": density, "mode": mode if n_modes >= 2 else None}


def build(agg):
    fig, (ax,) = agg.panels((640, 300), [(0.105, 0.15, 0.875, 0.74)], narrow_height=2.6)
    agg.style_axes(ax)
    agg.density(ax, Z, PRIOR, THEME["prior"], 0.12, lw=2, ls="--", label="prior p(z) = N(0, 1)")
    p_fill, p_line = agg.density(ax, Z, PRIOR, THEME["posterior"], 0.25, lw=2.5,
                                 label="posterior p(z | x)")
    marks = [ax.axvline(0.0, color=THEME["posterior"], lw=1, ls=":") for _ in range(2)]
    ax.set_xlim(Z[0], Z[-1])
    agg.label_axes(ax, "z", "density")
    if agg.narrow():  # ticks one decimal can show, each label as wide as "10.0" (figure spaces),
        # so the margin fixed at the build holds the labels of any later range
        ax.locator_params(axis="y", nbins=4, steps=[1, 2, 5, 10])
        ax.yaxis.set_major_formatter("{x:\u2007>4.1f}")
    legend = agg.legend_above(ax, ncol=2)
    return agg.Blitted(fig, [p_fill, p_line, *marks], overlay=[legend])


def draw(agg, view, density, mode):
    """density: p(z|x) on Z; mode: the positive mode of a bimodal posterior (dotted lines
    at +-mode), or None."""
    p_fill, p_line, left, right = view.live
    p_fill.set_xy(band(Z, density))
    p_line.set_data(Z, density)
    for line, at in ((left, -mode if mode else 0.0), (right, mode or 0.0)):
        line.set_xdata([at, at])
        line.set_visible(mode is not None)
    top = nice_top(1.1 * max(float(density.max()), float(PRIOR.max())), DENSITY_LADDER)
    agg.limits(view.fig.axes[0], y=(0.0, top))
    return view.render(layer_key=top)
