"""Matplotlib figures for the page: one function per figure, two themes, reuse.

Figures are built once with ``matplotlib.figure.Figure`` and the Agg canvas
(pyplot is never imported: it costs 1.5 s in Pyodide) and kept in a cache.
Each call updates the artists' data and redraws only what moved (blitting over
a cached background), which is much cheaper than building a new figure.
Images leave as ``{"width", "height", "rgba"}``: raw RGBA bytes, row-major.

Every colour comes from ``THEME``, the current one of ``THEMES`` ("light", the
default, or "dark"); ``set_theme`` switches it and drops the cached figures.
"""

import math
from collections import OrderedDict
from types import SimpleNamespace

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["architecture_image", "decode_at_image", "dynamics_image", "generate_image", "latent_image", "THEME", "THEMES", "derivation_image", "get_theme", "kl_direction_image", "kl_image", "kl_mc_image", "png_bytes", "reparam_image", "set_theme", "tension_image", "posterior_image",
           "lab_curves_image", "lab_latent_image", "lab_posterior_image", "lab_recon_image",
           "lab_units_image"]

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies. The dark
# theme keeps their hues, lightened where the original is too dark on a dark background.
# "digits": the ten classes' colours: the eight Okabe-Ito colours (black as dark grey) plus
# two of Paul Tol's; each point is drawn as its digit, so the classes never rest on colour
# alone. "ink": a digit's full-intensity pixels; zero intensity is the background.
THEMES = {
    "light": {
        "q": "#0072B2",  # approximate posterior / encoder distribution
        "prior": "#6b6b6b",  # the prior N(0, 1)
        "accent": "#D55E00",
        "posterior": "#D55E00",  # the exact posterior p(z|x) (vermillion)
        "mc": "#009E73",  # Monte Carlo estimates (bluish green)
        "alt": "#E69F00",  # a second estimator (orange)
        "forward": "#CC79A7",  # the forward-KL (mass-covering) fit (reddish purple)
        "text": "#222222",
        "minor": "#000000",  # minor ticks and their labels (log axes): matplotlib's default
        "grid": "#e4e4e4",
        "background": "#ffffff",
        "ink": "#000000",
        "digits": ("#E69F00", "#56B4E9", "#009E73", "#D4B000", "#0072B2", "#D55E00",
                   "#CC79A7", "#444444", "#882255", "#44AA99"),
        "font_size": 11,
    },
    "dark": {  # on the page's panel colour; lines, text, ink and digits >= 4.5:1 against it
        "q": "#56B4E9",  # Okabe-Ito sky blue
        "prior": "#a3a3a8",
        "accent": "#E8743B",  # vermillion, lightened
        "posterior": "#E8743B",
        "mc": "#009E73",
        "alt": "#E69F00",
        "forward": "#CC79A7",
        "text": "#e4e4e7",
        "minor": "#e4e4e7",
        "grid": "#30343c",
        "background": "#1e2128",
        "ink": "#f4f4f5",
        "digits": ("#E69F00", "#56B4E9", "#009E73", "#D4B000", "#6E8BFF", "#E8743B",
                   "#CC79A7", "#d4d4d8", "#C58BE8", "#44AA99"),
        "font_size": 11,
    },
}

THEME = dict(THEMES["light"])  # the current theme: updated in place by set_theme
_theme = {"name": "light"}

_FIGURES = {}  # every figure (and the architecture's image), built with the current theme


def set_theme(name):
    """Draw from now on in theme ``name``: "light" or "dark" (a key of ``THEMES``).

    Updates ``THEME`` in place and drops every cached figure, so each is rebuilt
    in the new colours on its next call. The current theme again is a no-op.
    """
    if not isinstance(name, str) or name not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(map(repr, THEMES))}; got {name!r}")
    if name == _theme["name"]:
        return
    THEME.clear()
    THEME.update(THEMES[name])
    _FIGURES.clear()
    _theme["name"] = name


def get_theme():
    """The current theme's name: "light" or "dark"."""
    return _theme["name"]


def _new_figure(width_px, height_px, dpi=100):
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    fig.patch.set_facecolor(THEME["background"])
    return fig


def _style_axes(ax):
    ax.set_facecolor(THEME["background"])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(THEME["text"])
    ax.tick_params(colors=THEME["text"], labelsize=THEME["font_size"] - 1)
    ax.tick_params(which="minor", colors=THEME["minor"])  # drawn on log axes
    ax.grid(True, color=THEME["grid"], linewidth=0.8)
    ax.set_axisbelow(True)


def _band(x, y):
    """Vertices of the region between the curve y(x) and zero."""
    return np.concatenate([np.column_stack([x, y]), [[x[-1], 0.0], [x[0], 0.0]]])


class _Blitted:
    """A figure whose static layer is drawn once and whose live artists are blitted.

    ``layer_key`` names everything the static layer depends on (axis limits,
    say). A redraw whose key has been drawn before restores that static layer
    and draws only the live artists, which is several times faster than a full
    draw. The live artists are ``animated`` so a full draw leaves them out.

    The last ``LAYERS_KEPT`` layers are kept, not just the last one: a drag back
    and forth crosses the same few axis ranges again and again (the KL Monte
    Carlo figure's sigma drag in bench/bench_page.py: 48 changes of range over
    111 frames, but 9 distinct ranges). ``key`` is the key drawn last.
    """

    LAYERS_KEPT = 12  # at 640 x 300 px, 768 KB each

    def __init__(self, fig, live_artists, overlay=()):
        self.fig, self.live, self.overlay = fig, list(live_artists), list(overlay)
        for artist in self.live:
            artist.set_animated(True)
        self.key = None
        self.layers = OrderedDict()  # layer key -> saved static layer, least recent first

    def render(self, layer_key):
        canvas = self.fig.canvas
        layer = self.layers.get(layer_key)
        if layer is None:
            canvas.draw()
            layer = self.layers[layer_key] = canvas.copy_from_bbox(self.fig.bbox)
            if len(self.layers) > self.LAYERS_KEPT:
                self.layers.popitem(last=False)
        else:
            self.layers.move_to_end(layer_key)
            canvas.restore_region(layer)
            # A full draw also fits each fixed-aspect axes box to its limits (the digit
            # mosaics); the box left by the last full draw may belong to another range.
            for ax in self.fig.axes:
                ax.apply_aspect()
        self.key = layer_key
        for artist in self.live + self.overlay:  # overlay (e.g. the legend) stays on top
            artist.axes.draw_artist(artist)
        return _rgba(canvas)


def _nice_top(value, ladder=(0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.5, 10.0)):
    """The smallest rung of ``ladder`` >= value: a y-limit that changes rarely."""
    for rung in ladder:
        if value <= rung:
            return rung
    return float(np.ceil(value))


def kl_image(z, q_density, p_density):
    """Two densities over z: q (solid, filled) and the prior p (dashed).

    z, q_density, p_density: (M,) arrays; p is the same on every call.
    Returns ``{"width", "height", "rgba"}``.
    """
    view = _FIGURES.get("kl")
    if view is None:
        fig = _new_figure(640, 300)
        ax = fig.add_axes((0.105, 0.16, 0.875, 0.8))
        _style_axes(ax)
        ax.fill(*_band(z, p_density).T, color=THEME["prior"], alpha=0.15, lw=0)
        ax.plot(z, p_density, color=THEME["prior"], lw=2, ls="--", label="prior p(z) = N(0, 1)")
        (q_fill,) = ax.fill(*_band(z, q_density).T, color=THEME["q"], alpha=0.25, lw=0)
        (q_line,) = ax.plot(z, q_density, color=THEME["q"], lw=2.5, label="q(z) = N(μ, σ²)")
        ax.set_xlim(z[0], z[-1])
        ax.set_xlabel("z", color=THEME["text"], fontsize=THEME["font_size"])
        ax.set_ylabel("density", color=THEME["text"], fontsize=THEME["font_size"])
        legend = ax.legend(loc="upper right", frameon=False, labelcolor=THEME["text"],
                           fontsize=THEME["font_size"])
        view = _FIGURES["kl"] = _Blitted(fig, [q_fill, q_line], overlay=[legend])
    q_fill, q_line = view.live
    q_fill.set_xy(_band(z, q_density))
    q_line.set_data(z, q_density)
    top = _nice_top(1.1 * max(float(q_density.max()), float(p_density.max())))
    view.fig.axes[0].set_ylim(0.0, top)
    return view.render(layer_key=top)


def _label_axes(ax, xlabel, ylabel):
    ax.set_xlabel(xlabel, color=THEME["text"], fontsize=THEME["font_size"])
    ax.set_ylabel(ylabel, color=THEME["text"], fontsize=THEME["font_size"])


def _legend(ax, loc="upper right", **kw):
    return ax.legend(loc=loc, frameon=False, labelcolor=THEME["text"],
                     fontsize=THEME["font_size"] - 1, **kw)


def _legend_above(ax, ncol, columnspacing=1.5):
    """A legend in one row above the axes, where it can never hide a curve."""
    return _legend(ax, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=ncol,
                   borderaxespad=0.2, handlelength=2.0, columnspacing=columnspacing)


_DENSITY_LADDER = (0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0)


def posterior_image(z, prior, density, mode):
    """The toy prior p(z) (grey, dashed) and the exact posterior p(z|x) (vermillion, filled).

    z, prior, density: (M,) arrays; the prior is the same on every call. mode:
    the positive mode of a bimodal posterior (dotted lines at +-mode), or None.
    """
    view = _FIGURES.get("posterior")
    if view is None:
        fig = _new_figure(640, 300)
        ax = fig.add_axes((0.105, 0.15, 0.875, 0.74))
        _style_axes(ax)
        ax.fill(*_band(z, prior).T, color=THEME["prior"], alpha=0.12, lw=0)
        ax.plot(z, prior, color=THEME["prior"], lw=2, ls="--", label="prior p(z) = N(0, 1)")
        (p_fill,) = ax.fill(*_band(z, density).T, color=THEME["posterior"], alpha=0.25, lw=0)
        (p_line,) = ax.plot(z, density, color=THEME["posterior"], lw=2.5,
                            label="posterior p(z | x)")
        marks = [ax.axvline(0.0, color=THEME["posterior"], lw=1, ls=":") for _ in range(2)]
        ax.set_xlim(z[0], z[-1])
        _label_axes(ax, "z", "density")
        legend = _legend_above(ax, ncol=2)
        view = _FIGURES["posterior"] = _Blitted(fig, [p_fill, p_line, *marks], overlay=[legend])
    p_fill, p_line, left, right = view.live
    p_fill.set_xy(_band(z, density))
    p_line.set_data(z, density)
    for line, at in ((left, -mode if mode else 0.0), (right, mode or 0.0)):
        line.set_xdata([at, at])
        line.set_visible(mode is not None)
    top = _nice_top(1.1 * max(float(density.max()), float(prior.max())), _DENSITY_LADDER)
    view.fig.axes[0].set_ylim(0.0, top)
    return view.render(layer_key=top)


def _subsample_log(n, points=300):
    """About ``points`` indices 0..n-1, evenly spread on a log scale of the count 1..n."""
    if n <= points:
        return np.arange(n)
    return np.unique(np.geomspace(1, n, points).round().astype(int)) - 1


def kl_mc_image(running, kl, sd):
    """The running Monte Carlo estimate of the KL against the number of samples (log axis).

    running: (n,) the mean of the first k log-ratios, k = 1..n. kl: the closed form
    (a horizontal line). sd: the sd of one log-ratio; the band is kl +- 2 sd / sqrt(k).
    """
    n = len(running)
    view = _FIGURES.get("kl_mc")
    if view is None:
        fig = _new_figure(640, 300)
        ax = fig.add_axes((0.1, 0.17, 0.87, 0.72))
        _style_axes(ax)
        ax.set_xscale("log")
        (band,) = ax.fill([1, 2, 2, 1], [0, 0, 1, 1], color=THEME["q"], alpha=0.15, lw=0,
                          label="exact ± 2 standard errors")
        (exact,) = ax.plot([1, 2], [0, 0], color=THEME["q"], lw=2, label="exact KL")
        (line,) = ax.plot([1], [0], color=THEME["mc"], lw=2, label="Monte Carlo estimate")
        (dot,) = ax.plot([1], [0], "o", color=THEME["mc"], ms=6)
        _label_axes(ax, "number of samples of q", "KL estimate (nats)")
        legend = _legend_above(ax, ncol=3)
        view = _FIGURES["kl_mc"] = _Blitted(fig, [band, exact, line, dot], overlay=[legend])
    band, exact, line, dot = view.live
    ax = view.fig.axes[0]
    right = 10 ** max(1, math.ceil(math.log10(n)))  # a decade, so dragging n rarely relayouts
    k = np.geomspace(1, right, 200)
    half = 2.0 * sd / np.sqrt(k)
    band.set_xy(np.concatenate([np.column_stack([k, kl + half]),
                                np.column_stack([k[::-1], kl - half[::-1]])]))
    exact.set_data([1, right], [kl, kl])
    idx = _subsample_log(n)
    line.set_data(idx + 1, running[idx])
    dot.set_data([n], [running[-1]])
    # y-range: the band at k = 1 and every estimate, in steps so the layer is often reused
    reach = max(2.2 * sd, 1.1 * float(np.max(np.abs(running - kl))), 0.05)
    step = _nice_top(reach / 2.0, (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0))
    lo, hi = step * math.floor((kl - reach) / step), step * math.ceil((kl + reach) / step)
    ax.set_ylim(lo, hi)
    ax.set_xlim(1, right)
    return view.render(layer_key=(lo, hi, right))


_HIST_EDGES = np.linspace(-7.0, 7.0, 141)  # bins of 0.1 for eps and z


def _step(edges, counts):
    """A histogram's outline as (x, y) for a line: a closed staircase down to 0."""
    x = np.repeat(edges, 2)
    y = np.concatenate([[0.0], np.repeat(counts, 2), [0.0]])
    return x, y


def reparam_image(eps, mu, sigma, rep, sf, exact, sf_sd):
    """Left: histograms of eps and z = mu + sigma eps. Right: strips of gradient estimates.

    eps: (N,) standard normal draws. rep, sf: (R,) estimates of d/dmu E[z^2] by
    reparameterisation and the score function; exact: the true value; sf_sd: the
    exact sd of one score-function estimate (sets the x-range, so it moves rarely).
    """
    view = _FIGURES.get("reparam")
    if view is None:
        fig = _new_figure(640, 320)
        left = fig.add_axes((0.09, 0.16, 0.37, 0.7))
        right = fig.add_axes((0.6, 0.16, 0.37, 0.7))
        for ax in (left, right):
            _style_axes(ax)
        eps_line, = left.plot([], [], color=THEME["prior"], lw=1.5, label="ε ~ N(0, 1)")
        z_fill, = left.fill([0, 1, 1], [0, 0, 1], color=THEME["q"], alpha=0.25, lw=0)
        z_line, = left.plot([], [], color=THEME["q"], lw=1.5, label="z = μ + σ ε")
        left.set_xlim(-7, 7)
        _label_axes(left, "value", "density")
        leg = _legend(left, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2,
                      borderaxespad=0.2, handlelength=1.5, columnspacing=1.0)
        rep_pts = right.scatter([], [], s=6, color=THEME["q"], alpha=0.35, lw=0)
        sf_pts = right.scatter([], [], s=6, color=THEME["alt"], alpha=0.35, lw=0)
        exact_line = right.axvline(0.0, color=THEME["text"], lw=1.5, ls="--")
        right.set_ylim(-0.6, 1.6)
        right.set_yticks([0, 1], ["score\nfunction", "reparam-\neterisation"])
        right.grid(False, axis="y")
        _label_axes(right, "estimate of d/dμ E[z²]", "")
        right.set_title(" ", fontsize=THEME["font_size"] - 1, color=THEME["text"])
        view = _FIGURES["reparam"] = _Blitted(
            fig, [eps_line, z_fill, z_line, rep_pts, sf_pts, exact_line], overlay=[leg])
        view.jitter = np.random.default_rng(12345).uniform(-0.3, 0.3, 1000)
    eps_line, z_fill, z_line, rep_pts, sf_pts, exact_line = view.live
    left, right = view.fig.axes
    width = _HIST_EDGES[1] - _HIST_EDGES[0]
    scale = 1.0 / (len(eps) * width)
    eps_counts = np.histogram(eps, _HIST_EDGES)[0] * scale
    z_counts = np.histogram(mu + sigma * eps, _HIST_EDGES)[0] * scale
    eps_line.set_data(*_step(_HIST_EDGES, eps_counts))
    zx, zy = _step(_HIST_EDGES, z_counts)
    z_line.set_data(zx, zy)
    z_fill.set_xy(np.column_stack([zx, zy]))
    jitter = view.jitter[: len(rep)]
    rep_pts.set_offsets(np.column_stack([rep, 1.0 + jitter]))
    sf_pts.set_offsets(np.column_stack([sf, jitter]))
    exact_line.set_xdata([exact, exact])
    peak = 0.3989 * max(1.0, 1.0 / sigma)  # the taller of the two exact densities
    top = _nice_top(1.35 * peak, _DENSITY_LADDER)  # from the exact peak: steady under resampling
    left.set_ylim(0.0, top)
    reach = _nice_top(3.5 * sf_sd, (0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 50.0,
                                    75.0, 100.0, 150.0, 200.0, 300.0, 500.0))
    centre = round(exact / (reach / 2)) * (reach / 2)
    right.set_xlim(centre - reach, centre + reach)
    right.set_title(f"{len(rep)} estimates of each; dashed: exact",
                    fontsize=THEME["font_size"] - 1, color=THEME["text"])
    return view.render(layer_key=(top, reach, centre, len(rep)))


def derivation_image(z, post, q, r_curve, z_draws, r_draws, log_px, elbo):
    """Top: p(z|x) (vermillion, filled) and q (blue). Bottom: the log ratio r(z).

    r(z) = log p(x, z) - log q(z) = log p(x) + log p(z|x) - log q(z) on the grid
    (blue curve) and at the draws of q (green dots); its q-average is the ELBO
    (blue line), log p(x) is the vermillion dashed line, and the band between
    them is the gap KL(q || p(z|x)).
    """
    view = _FIGURES.get("derivation")
    if view is None:
        fig = _new_figure(640, 420)
        top = fig.add_axes((0.125, 0.64, 0.845, 0.29))
        bottom = fig.add_axes((0.125, 0.11, 0.845, 0.37), sharex=top)
        for ax in (top, bottom):
            _style_axes(ax)
        p_fill, = top.fill([0, 1, 1], [0, 0, 1], color=THEME["posterior"], alpha=0.25, lw=0)
        p_line, = top.plot([], [], color=THEME["posterior"], lw=2, label="posterior p(z | x)")
        q_fill, = top.fill([0, 1, 1], [0, 0, 1], color=THEME["q"], alpha=0.2, lw=0)
        q_line, = top.plot([], [], color=THEME["q"], lw=2, label="q(z) = N(μ, σ²)")
        top.set_xlim(z[0], z[-1])
        top.tick_params(labelbottom=False)
        top.set_ylabel("density", color=THEME["text"], fontsize=THEME["font_size"])
        leg_top = _legend_above(top, ncol=2)
        gap = bottom.axhspan(0, 1, color=THEME["posterior"], alpha=0.12, lw=0,
                             label="gap = KL(q ‖ p(z|x))")
        r_line, = bottom.plot([], [], color=THEME["q"], lw=1.5, label="log p(x,z) − log q(z)")
        dots, = bottom.plot([], [], "o", color=THEME["mc"], ms=3, alpha=0.6,
                            label="at draws from q")
        lpx_line = bottom.axhline(0, color=THEME["posterior"], lw=2, ls="--", label="log p(x)")
        elbo_line = bottom.axhline(0, color=THEME["q"], lw=2, label="ELBO = its mean")
        _label_axes(bottom, "z", "nats")
        leg_bottom = _legend(bottom, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3,
                             borderaxespad=0.2, handlelength=1.8, columnspacing=1.2)
        view = _FIGURES["derivation"] = _Blitted(
            fig, [p_fill, p_line, q_fill, q_line, gap, r_line, dots, lpx_line, elbo_line],
            overlay=[leg_top, leg_bottom])
    p_fill, p_line, q_fill, q_line, gap, r_line, dots, lpx_line, elbo_line = view.live
    top, bottom = view.fig.axes
    p_fill.set_xy(_band(z, post))
    p_line.set_data(z, post)
    q_fill.set_xy(_band(z, q))
    q_line.set_data(z, q)
    r_line.set_data(z, r_curve)
    dots.set_data(z_draws, r_draws)
    lpx_line.set_ydata([log_px, log_px])
    elbo_line.set_ydata([elbo, elbo])
    gap.set_y(elbo)  # a Rectangle across the axes, in data units vertically
    gap.set_height(log_px - elbo)
    ymax = _nice_top(1.1 * max(float(post.max()), float(q.max())), _DENSITY_LADDER)
    top.set_ylim(0.0, ymax)
    # bottom: from below the ELBO to a little above log p(x)
    span = max(4.0, 1.3 * (log_px - elbo))
    step = _nice_top(span / 3.0, (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0))
    lo = step * math.floor((elbo - span) / step)
    hi = step * math.ceil((log_px + 0.5 * span) / step)
    bottom.set_ylim(lo, hi)
    return view.render(layer_key=(ymax, lo, hi))  # limits from the inputs only: reproducible


_TERMS = ("recon", "kl", "elbo", "gap")
_TERM_LABELS = ("recon", "KL", "ELBO", "gap")


def tension_image(z, post, q, values):
    """Left: p(z|x) (filled) and the beta-optimal q*. Right: bars of recon, KL, ELBO, gap."""
    view = _FIGURES.get("tension")
    if view is None:
        fig = _new_figure(640, 300)
        ax = fig.add_axes((0.105, 0.17, 0.555, 0.72))
        bars_ax = fig.add_axes((0.78, 0.17, 0.2, 0.72))
        for a in (ax, bars_ax):
            _style_axes(a)
        p_fill, = ax.fill([0, 1, 1], [0, 0, 1], color=THEME["posterior"], alpha=0.25, lw=0)
        p_line, = ax.plot([], [], color=THEME["posterior"], lw=2, label="posterior p(z | x)")
        q_line, = ax.plot([], [], color=THEME["q"], lw=2.5, label="best q for this β")
        ax.set_xlim(z[0], z[-1])
        _label_axes(ax, "z", "density")
        legend = _legend_above(ax, ncol=2)
        colours = [THEME["mc"], THEME["q"], THEME["text"], THEME["posterior"]]
        bars = bars_ax.barh(range(4), [0.0] * 4, color=colours, height=0.65)
        bars_ax.set_yticks(range(4), _TERM_LABELS)
        bars_ax.invert_yaxis()
        bars_ax.axvline(0.0, color=THEME["text"], lw=0.8)
        bars_ax.grid(False, axis="y")
        bars_ax.set_xlabel("nats", color=THEME["text"], fontsize=THEME["font_size"])
        view = _FIGURES["tension"] = _Blitted(fig, [p_fill, p_line, q_line, *bars],
                                              overlay=[legend])
    p_fill, p_line, q_line, *bars = view.live
    ax, bars_ax = view.fig.axes
    p_fill.set_xy(_band(z, post))
    p_line.set_data(z, post)
    q_line.set_data(z, q)
    numbers = [values[key] for key in _TERMS]
    for bar, number in zip(bars, numbers):
        bar.set_x(min(number, 0.0))
        bar.set_width(abs(number))
    top = _nice_top(1.1 * max(float(post.max()), float(q.max())), _DENSITY_LADDER)
    ax.set_ylim(0.0, top)
    ladder = (1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 50.0, 100.0, 200.0, 500.0)
    left = -_nice_top(max(0.0, -min(numbers)), ladder) if min(numbers) < 0 else 0.0
    right = _nice_top(max(0.0, max(numbers)), ladder) if max(numbers) > 0 else 1.0
    bars_ax.set_xlim(left, right)
    return view.render(layer_key=(top, left, right))


def kl_direction_image(z, post, q_rev, q_fwd):
    """The posterior (filled), the reverse-KL fit (blue) and the forward-KL fit (purple, dashed)."""
    view = _FIGURES.get("kl_direction")
    if view is None:
        fig = _new_figure(640, 300)
        ax = fig.add_axes((0.105, 0.17, 0.875, 0.72))
        _style_axes(ax)
        p_fill, = ax.fill([0, 1, 1], [0, 0, 1], color=THEME["posterior"], alpha=0.25, lw=0)
        p_line, = ax.plot([], [], color=THEME["posterior"], lw=2, label="p(z | x)")
        rev, = ax.plot([], [], color=THEME["q"], lw=2.5, label="reverse KL: mode-seeking")
        fwd, = ax.plot([], [], color=THEME["forward"], lw=2.5, ls="--",
                       label="forward KL: mass-covering")
        ax.set_xlim(z[0], z[-1])
        _label_axes(ax, "z", "density")
        legend = _legend_above(ax, ncol=3, columnspacing=1.0)
        view = _FIGURES["kl_direction"] = _Blitted(fig, [p_fill, p_line, rev, fwd],
                                                   overlay=[legend])
    p_fill, p_line, rev, fwd = view.live
    p_fill.set_xy(_band(z, post))
    p_line.set_data(z, post)
    rev.set_data(z, q_rev)
    fwd.set_data(z, q_fwd)
    peak = max(float(post.max()), float(q_rev.max()), float(q_fwd.max()))
    top = _nice_top(1.1 * peak, _DENSITY_LADDER)
    view.fig.axes[0].set_ylim(0.0, top)
    return view.render(layer_key=top)


_LATENT_LIM = 3.5  # the latent plane is drawn over [-3.5, 3.5]^2


def _latent_plane(ax):
    """Square axes over the latent plane with the prior's 1 and 2 sd circles (dashed grey)."""
    from matplotlib.patches import Circle

    _style_axes(ax)
    for radius in (1.0, 2.0):
        ax.add_patch(Circle((0, 0), radius, fill=False, ec=THEME["prior"], lw=1.2, ls="--"))
    ax.text(0.72, -0.62, "1σ", color=THEME["prior"], fontsize=THEME["font_size"] - 2)
    ax.text(1.44, -1.34, "2σ", color=THEME["prior"], fontsize=THEME["font_size"] - 2)
    ax.set_xlim(-_LATENT_LIM, _LATENT_LIM)
    ax.set_ylim(-_LATENT_LIM, _LATENT_LIM)
    ax.set_aspect("equal")
    _label_axes(ax, "z₁", "z₂")


def _digit_axes(ax):
    ax.set_facecolor(THEME["background"])  # shows around the images (e.g. above a mosaic)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color(THEME["grid"])


def _mosaic(images, cols, gap=1, fill=np.nan):
    """(N, 64) images -> one array of 8x8 tiles, ``cols`` per row, ``gap`` pixels apart."""
    n = len(images)
    rows = -(-n // cols)
    size = 8 + gap
    out = np.full((rows * size - gap, cols * size - gap), fill)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        out[r * size : r * size + 8, c * size : c * size + 8] = img.reshape(8, 8)
    return out


def _grey_cmap():
    """Pixel intensities 0..1 from the background to the theme's ink; NaN (gaps) is background.

    Dark ink on white in the light theme, light ink on the dark background in the dark one.
    """
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list("digits", [THEME["background"], THEME["ink"]])
    cmap.set_bad(THEME["background"])
    return cmap


def generate_image(z, images):
    """Left: n latent draws, numbered, on the prior's circles. Right: their decoded digits."""
    view = _FIGURES.get("generate")
    if view is None:
        fig = _new_figure(640, 320)
        plane = fig.add_axes((0.08, 0.14, 0.4, 0.8))
        grid = fig.add_axes((0.55, 0.06, 0.42, 0.88))
        _latent_plane(plane)
        _digit_axes(grid)
        points = plane.scatter([], [], s=16, color=THEME["q"], zorder=3)
        labels = [plane.text(0, 0, str(i + 1), fontsize=7, color=THEME["text"], zorder=4,
                             ha="left", va="bottom") for i in range(64)]
        mosaic = grid.imshow(np.zeros((8, 8)), cmap=_grey_cmap(), vmin=0, vmax=1,
                             interpolation="nearest")
        tile_labels = [grid.text(0, 0, str(i + 1), fontsize=6, color=THEME["q"], ha="left",
                                 va="top") for i in range(64)]
        view = _FIGURES["generate"] = _Blitted(fig, [points, mosaic, *labels, *tile_labels])
    points, mosaic = view.live[:2]
    labels, tile_labels = view.live[2:66], view.live[66:]
    n = len(z)
    points.set_offsets(z)
    for i, label in enumerate(labels):
        label.set_visible(i < n)
        if i < n:
            label.set_position((z[i, 0] + 0.06, z[i, 1] + 0.06))
    cols = max(1, math.ceil(math.sqrt(n)))
    tiles = _mosaic(images, cols)
    mosaic.set_data(tiles)
    rows, width = tiles.shape[0], tiles.shape[1]
    mosaic.set_extent((-0.5, width - 0.5, rows - 0.5, -0.5))
    for i, label in enumerate(tile_labels):
        label.set_visible(i < n and n <= 36)  # beyond 6 x 6 the numbers would crowd the digits
        if i < n:
            r, c = divmod(i, cols)
            label.set_position((c * 9 - 0.4, r * 9 - 0.5))
    grid = view.fig.axes[1]
    grid.set_xlim(-0.5, width - 0.5)
    grid.set_ylim(rows - 0.5, -1.8)
    return view.render(layer_key=(rows, width))


def decode_at_image(z1, z2, image):
    """Left: the latent plane with a marker at (z1, z2). Right: the decoded digit, large."""
    view = _FIGURES.get("decode_at")
    if view is None:
        fig = _new_figure(640, 320)
        plane = fig.add_axes((0.08, 0.14, 0.4, 0.8))
        digit = fig.add_axes((0.58, 0.1, 0.36, 0.8))
        _latent_plane(plane)
        _digit_axes(digit)
        marker, = plane.plot([0], [0], "o", ms=10, color=THEME["q"], mec=THEME["background"],
                             mew=1.5, zorder=3)
        picture = digit.imshow(np.zeros((8, 8)), cmap=_grey_cmap(), vmin=0, vmax=1,
                               interpolation="nearest")
        digit.set_title("decoded mean image", fontsize=THEME["font_size"] - 1,
                        color=THEME["text"])
        view = _FIGURES["decode_at"] = _Blitted(fig, [marker, picture])
    marker, picture = view.live
    marker.set_data([z1], [z2])
    picture.set_data(image.reshape(8, 8))
    return view.render(layer_key=0)


_MANIFOLD_Z = np.linspace(-2.5, 2.5, 12)


def latent_image(mu, labels, chosen, model_name):
    """Left: encoder means of the test digits of the chosen classes. Right: the decoded manifold.

    mu: (N, 2) encoder means; labels: (N,) digits; chosen: list of digits to show.
    The manifold (a 12 x 12 grid of z decoded) depends only on the model, so it is
    part of the cached layer.
    """
    view = _FIGURES.get("latent")
    if view is None:
        fig = _new_figure(640, 360)
        plane = fig.add_axes((0.08, 0.12, 0.4, 0.72))
        manifold = fig.add_axes((0.56, 0.12, 0.4, 0.72))
        _latent_plane(plane)
        _digit_axes(manifold)
        groups = [plane.scatter([], [], s=30, marker=f"${d}$", color=THEME["digits"][d],
                                linewidths=0.3, label=f"class {d}") for d in range(10)]
        legend = plane.legend(groups, [str(d) for d in range(10)], loc="lower left",
                              bbox_to_anchor=(0.0, 1.0), ncol=10, frameon=False,
                              borderaxespad=0.1, handlelength=0, handletextpad=0,
                              columnspacing=1.2, fontsize=THEME["font_size"] + 1)
        for d, (handle, text) in enumerate(zip(legend.legend_handles, legend.get_texts())):
            handle.set_visible(False)  # the label is the digit itself, in its class colour
            text.set_color(THEME["digits"][d])
            text.set_fontweight("bold")
        picture = manifold.imshow(np.zeros((8, 8)), cmap=_grey_cmap(), vmin=0, vmax=1,
                                  interpolation="nearest")
        manifold.set_xlabel("z₁ from −2.5 to 2.5", color=THEME["text"],
                            fontsize=THEME["font_size"] - 1)
        manifold.set_ylabel("z₂ from −2.5 (bottom) to 2.5", color=THEME["text"],
                            fontsize=THEME["font_size"] - 1)
        view = _FIGURES["latent"] = _Blitted(fig, groups, overlay=[legend])
        view.manifold = picture
    for d, group in enumerate(view.live):
        group.set_offsets(mu[labels == d] if d in chosen else np.empty((0, 2)))
    if view.key != model_name:  # the manifold belongs to the static layer
        from . import widgets

        zz1, zz2 = np.meshgrid(_MANIFOLD_Z, _MANIFOLD_Z[::-1])  # z2 grows upwards
        grid_z = np.column_stack([zz1.ravel(), zz2.ravel()])
        tiles = _mosaic(widgets._model(model_name).decode(grid_z), cols=len(_MANIFOLD_Z))
        view.manifold.set_data(tiles)
        view.manifold.set_extent((-0.5, tiles.shape[1] - 0.5, tiles.shape[0] - 0.5, -0.5))
        view.fig.axes[0].set_title(f"test digits: {model_name} encoder means", pad=24,
                                   fontsize=THEME["font_size"] - 1, color=THEME["text"])
        view.fig.axes[1].set_title(f"decoded manifold: {model_name}", pad=24,
                                   fontsize=THEME["font_size"] - 1, color=THEME["text"])
    return view.render(layer_key=model_name)


_RUN_TITLES = {"no_warmup": "β = 1 from the start", "warmup": "β warmed up from 0 to 1",
               "beta4": "β = 4"}


def dynamics_image(run, history):
    """Reconstruction (left) and KL (right) per digit against epoch (log axis), train and test.

    history: a dict of (E,) arrays as from ``vae.load_histories()``. Epochs where
    beta < 1 during a warm-up are shaded. Three runs only, so each call redraws fully.
    """
    view = _FIGURES.get("dynamics")
    if view is None:
        fig = _new_figure(640, 300)
        left = fig.add_axes((0.08, 0.17, 0.39, 0.66))
        right = fig.add_axes((0.58, 0.17, 0.39, 0.66))
        lines = []
        for ax, name in ((left, "reconstruction −E[log p(x|z)]"), (right, "KL(q(z|x) ‖ p(z))")):
            _style_axes(ax)
            ax.set_xscale("log")
            ax.set_title(name, fontsize=THEME["font_size"] - 1, color=THEME["text"])
            _label_axes(ax, "epoch", "nats per digit")
            colour = THEME["mc"] if ax is left else THEME["q"]
            lines += [ax.plot([], [], color=colour, lw=2, label="train")[0],
                      ax.plot([], [], color=colour, lw=2, ls="--", label="test")[0]]
            _legend(ax)
        shades = [ax.axvspan(1, 1, color=THEME["prior"], alpha=0.15, lw=0) for ax in (left, right)]
        suptitle = fig.suptitle("", fontsize=THEME["font_size"], color=THEME["text"], y=0.98)
        view = _FIGURES["dynamics"] = SimpleNamespace(fig=fig, lines=lines, shades=shades,
                                                      title=suptitle)
    epoch = history["epoch"]
    series = (history["recon"], history["test_recon"], history["kl"], history["test_kl"])
    for line, y in zip(view.lines, series):
        line.set_data(epoch, y)
    ramp = epoch[history["beta"] < 1.0]
    for shade in view.shades:
        shade.set_visible(len(ramp) > 0)
        if len(ramp):
            shade.set_x(epoch[0])
            shade.set_width(ramp[-1] - epoch[0])
    ladder = (1.0, 2.0, 3.0, 4.0, 5.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0)
    left, right = view.fig.axes
    for ax, pair in ((left, series[:2]), (right, series[2:])):
        ax.set_xlim(epoch[0], epoch[-1])
        ax.set_ylim(0.0, _nice_top(1.05 * max(float(np.max(y)) for y in pair), ladder))
    note = "; shaded: warm-up, β < 1" if len(ramp) else ""
    view.title.set_text(f"Training run: {_RUN_TITLES.get(run, run)}{note}")
    view.fig.canvas.draw()
    return _rgba(view.fig.canvas)


def architecture_image(sizes):
    """A block diagram of the VAE with its real layer sizes (drawn once, then cached)."""
    key = ("architecture", tuple(sorted(sizes.items())))
    cached = _FIGURES.get(key)
    if cached is not None:
        return cached
    from matplotlib.patches import FancyBboxPatch

    fig = _new_figure(640, 240)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, 640)
    ax.set_ylim(0, 240)
    ax.axis("off")
    x_dim, hidden, z_dim, act = sizes["x_dim"], sizes["hidden"], sizes["z_dim"], sizes["activation"]
    blocks = [  # (centre x, label, size text, colour)
        (45, "x", f"{x_dim} pixels", THEME["prior"]),
        (150, "h", f"{hidden} {act}", THEME["q"]),
        (255, "μ, log σ²", f"{z_dim} + {z_dim}", THEME["q"]),
        (355, "z", f"{z_dim}", THEME["accent"]),
        (455, "h", f"{hidden} {act}", THEME["mc"]),
        (575, "p", f"{x_dim} pixels", THEME["mc"]),
    ]
    y0, height, width = 85, 80, 84
    for cx, label, size, colour in blocks:
        ax.add_patch(FancyBboxPatch((cx - width / 2, y0), width, height,
                                    boxstyle="round,pad=2,rounding_size=8", fc=colour, alpha=0.18,
                                    ec=colour, lw=1.5))
        ax.text(cx, y0 + 50, label, ha="center", va="center", fontsize=THEME["font_size"] + 2,
                color=THEME["text"])
        ax.text(cx, y0 + 22, size, ha="center", va="center", fontsize=THEME["font_size"] - 2,
                color=THEME["text"])
    for (a, *_), (b, *_) in zip(blocks, blocks[1:]):
        ax.annotate("", xy=(b - width / 2 - 3, y0 + height / 2), xytext=(a + width / 2 + 3,
                    y0 + height / 2), arrowprops={"arrowstyle": "->", "color": THEME["text"]})
    ax.text(150 + 52, 205, "encoder q(z | x)", ha="center", color=THEME["q"],
            fontsize=THEME["font_size"])
    ax.text(355, 205, "z = μ + σ ε", ha="center", color=THEME["accent"],
            fontsize=THEME["font_size"])
    ax.text(515, 205, "decoder p(x | z)", ha="center", color=THEME["mc"],
            fontsize=THEME["font_size"])
    ax.text(320, 35, f"{sizes['n_params']:,} parameters", ha="center", color=THEME["text"],
            fontsize=THEME["font_size"])
    fig.canvas.draw()
    image = _FIGURES[key] = _rgba(fig.canvas)
    return image



# --- the training lab ---------------------------------------------------------------------

_EPOCH_LADDER = (10.0, 20.0, 50.0, 100.0, 150.0, 200.0, 300.0, 500.0, 750.0, 1000.0, 1500.0,
                 2000.0)


def _nice_range(lo, hi, steps=(0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0), most=8):
    """(lo, hi) widened to multiples of the smallest step giving at most ``most`` steps."""
    span = max(hi - lo, 1e-9)
    step = next((s for s in steps if span / s <= most), steps[-1])
    return step * math.floor(lo / step), step * math.ceil(hi / step)


def _subscript(n):
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def lab_curves_image(curves, warmup):
    """The lab run's curves against epoch. Left: ELBO and log p(x). Right: the two terms.

    curves: dict of arrays, one entry per recorded epoch (from 0): "epoch", "neg_elbo",
    "test_neg_elbo", "recon", "test_recon", "kl", "test_kl"; one per evaluation:
    "eval_epoch", "subset_elbo", "subset_log_px". warmup: KL warm-up epochs (shaded).
    Left: train ELBO (solid) and test ELBO (dashed), and on 100 test digits the ELBO
    (blue dots) and the IWAE log p(x) (vermillion dots); below it, on its own scale,
    the gap between those two.
    Right: reconstruction (top) and KL (bottom), train solid, test dashed. The
    epoch axis grows through ``_EPOCH_LADDER``; y-limits are rounded, so they move
    in steps.
    """
    view = _FIGURES.get("lab_curves")
    if view is None:
        fig = _new_figure(640, 400)
        left = fig.add_axes((0.11, 0.45, 0.37, 0.47))
        under = fig.add_axes((0.11, 0.11, 0.37, 0.2), sharex=left)
        top = fig.add_axes((0.6, 0.6, 0.37, 0.32), sharex=left)
        bottom = fig.add_axes((0.6, 0.11, 0.37, 0.32), sharex=left)
        for ax in (left, under, top, bottom):
            _style_axes(ax)
        for ax in (left, top):
            ax.tick_params(labelbottom=False)
        titles = ((left, "ELBO and log p(x)"), (under, "the gap: log p(x) − ELBO"),
                  (top, "reconstruction −E[log p(x|z)]"), (bottom, "KL(q(z|x) ‖ p(z))"))
        for ax, title in titles:
            ax.set_title(title, fontsize=THEME["font_size"] - 1, color=THEME["text"])
        _label_axes(left, "", "nats per digit")
        _label_axes(under, "epoch", "nats")
        _label_axes(bottom, "epoch", "")
        shades = [ax.axvspan(0, 1, color=THEME["prior"], alpha=0.15, lw=0, label="KL warm-up")
                  for ax in (left, under, top, bottom)]  # only the left legend lists it
        # the gap is a fraction of a nat against tens of nats of ELBO: it gets its own axes
        gap, = under.fill([0, 1, 1], [0, 0, 1], color=THEME["posterior"], alpha=0.35, lw=0)
        gap_line, = under.plot([], [], "o-", color=THEME["posterior"], ms=2.5, lw=1.2)
        train, = left.plot([], [], color=THEME["text"], lw=1.5, label="train ELBO")
        test, = left.plot([], [], color=THEME["text"], lw=1.5, ls="--", label="test ELBO")
        elbo, = left.plot([], [], "o-", color=THEME["q"], ms=3, lw=1.2,
                          label="ELBO, 100 test digits")
        log_px, = left.plot([], [], "o-", color=THEME["posterior"], ms=3, lw=1.2,
                            label="log p(x), IWAE k = 64")
        terms = []
        for ax, colour in ((top, THEME["mc"]), (bottom, THEME["q"])):
            terms += [ax.plot([], [], color=colour, lw=1.8, label="train")[0],
                      ax.plot([], [], color=colour, lw=1.8, ls="--", label="test")[0]]
        legend_terms = _legend(top, loc="upper right", handles=terms[:2], ncol=2,
                               handlelength=1.8, columnspacing=1.0)
        view = _FIGURES["lab_curves"] = _Blitted(
            fig, [gap, gap_line, train, test, elbo, log_px, *terms], overlay=[legend_terms])
        view.shades = shades
        view.legend_left = None
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
    gap.set_xy(_band(eval_epoch, gaps) if len(eval_epoch) > 1 else np.zeros((3, 2)))
    recon.set_data(epoch, curves["recon"])
    test_recon.set_data(epoch, curves["test_recon"])
    kl.set_data(epoch, curves["kl"])
    test_kl.set_data(epoch, curves["test_kl"])
    # limits: rounded, from the whole history, so they change in steps
    right = _nice_top(float(epoch[-1]), _EPOCH_LADDER)
    ell = np.concatenate([train_elbo, test_elbo, curves["subset_elbo"], curves["subset_log_px"]])
    lo, hi = _nice_range(float(ell.min()), float(ell.max()), steps=(5.0, 10.0, 20.0, 50.0))
    gap_top = _nice_top(1.1 * float(max(gaps.max(), 0.0)),
                        (0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0))
    rec_top = _nice_top(1.05 * float(max(curves["recon"].max(), curves["test_recon"].max())),
                        (5.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 80.0, 100.0))
    kl_top = _nice_top(1.1 * float(max(curves["kl"].max(), curves["test_kl"].max())),
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
        view.legend_left = _legend(left, loc="lower right", handles=handles,
                                   handlelength=1.8, borderaxespad=0.3)
        view.overlay = [view.overlay[0], view.legend_left]
    return view.render(layer_key=key)


_DIGIT_MARKERS = []


def _digit_markers():
    """The digits 0-9 as marker paths of straight segments only.

    The same shapes as the markers "$0$".."$9$", with their curves flattened to
    lines: Agg draws a marker path once per collection but first measures it,
    and measuring curves costs milliseconds per collection (most of a frame).
    """
    if not _DIGIT_MARKERS:
        from matplotlib.markers import MarkerStyle
        from matplotlib.path import Path

        for d in range(10):
            style = MarkerStyle(f"${d}$")
            glyph = style.get_path().transformed(style.get_transform())
            polygons = glyph.to_polygons(closed_only=True)
            vertices = np.concatenate(polygons)
            codes = np.concatenate([[Path.MOVETO] + [Path.LINETO] * (len(p) - 2) + [Path.CLOSEPOLY]
                                    for p in polygons])
            _DIGIT_MARKERS.append(Path(vertices, codes))
    return _DIGIT_MARKERS


def lab_latent_image(points, labels, kl_each, z_dim, outside):
    """Left: the test digits' encoder means (projected if z_dim > 2) on the prior's circles.

    points: (N, 2) coordinates (z1, z2, or on the top two principal directions);
    labels: (N,) digits; kl_each: (N,) KL(q(z|x) || p(z)) per digit, nats; outside:
    how many points lie beyond the fixed frame [-4, 4]^2 (drawn at its edge).
    Right: a histogram of kl_each with its mean.
    """
    lim = 4.0
    view = _FIGURES.get("lab_latent")
    if view is None:
        fig = _new_figure(640, 360)
        plane = fig.add_axes((0.09, 0.13, 0.38, 0.63))
        hist = fig.add_axes((0.62, 0.14, 0.35, 0.62))
        _latent_plane(plane)
        plane.set_xlim(-lim, lim)
        plane.set_ylim(-lim, lim)
        _style_axes(hist)
        groups = [plane.scatter([], [], s=30, marker=path, color=THEME["digits"][d],
                                linewidths=0.3) for d, path in enumerate(_digit_markers())]
        legend = plane.legend(groups, [str(d) for d in range(10)], loc="lower left",
                              bbox_to_anchor=(0.0, 1.0), ncol=10, frameon=False,
                              borderaxespad=0.1, handlelength=0, handletextpad=0,
                              columnspacing=1.2, fontsize=THEME["font_size"] + 1)
        for d, (handle, text) in enumerate(zip(legend.legend_handles, legend.get_texts())):
            handle.set_visible(False)
            text.set_color(THEME["digits"][d])
            text.set_fontweight("bold")
        bars, = hist.fill([0, 1, 1], [0, 0, 1], color=THEME["q"], alpha=0.3, lw=0)
        outline, = hist.plot([], [], color=THEME["q"], lw=1.5)
        mean = hist.axvline(0.0, color=THEME["text"], lw=1.5, ls="--")
        mean_text = hist.text(0.97, 0.95, "", transform=hist.transAxes, ha="right", va="top",
                              fontsize=THEME["font_size"] - 1, color=THEME["text"])
        _label_axes(hist, "KL(q(z|x) ‖ p(z)), nats", "test digits")
        hist.set_title("information in each code", fontsize=THEME["font_size"] - 1,
                       color=THEME["text"])
        view = _FIGURES["lab_latent"] = _Blitted(
            fig, [*groups, bars, outline, mean, mean_text])
        view.title = fig.text(0.02, 0.975, "", ha="left", va="top",
                              fontsize=THEME["font_size"] - 1, color=THEME["text"])
    groups, (bars, outline, mean, mean_text) = view.live[:10], view.live[10:]
    plane, hist = view.fig.axes
    shown = np.clip(points, -0.97 * lim, 0.97 * lim)
    for d, group in enumerate(groups):
        group.set_offsets(shown[labels == d])
    top = _nice_top(1.05 * float(kl_each.max()),
                    (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0,
                     50.0))
    edges = np.linspace(0.0, top, 31)
    counts = np.histogram(np.minimum(kl_each, top), edges)[0].astype(float)
    x, y = _step(edges, counts)
    outline.set_data(x, y)
    bars.set_xy(np.column_stack([x, y]))
    average = float(np.mean(kl_each))
    mean.set_xdata([average, average])
    mean_text.set_text(f"mean {average:.2f} nats")
    count_top = _nice_top(1.15 * float(counts.max()),
                          (10.0, 20.0, 50.0, 100.0, 150.0, 200.0, 300.0, 400.0))
    key = (top, count_top, z_dim, outside)
    if key != view.key:
        hist.set_xlim(0.0, top)
        hist.set_ylim(0.0, count_top)
        what = ("encoder means of the test digits" if z_dim == 2 else
                f"encoder means of the test digits, projected from {z_dim} dimensions\n"
                "onto their top 2 principal directions (PCA)")
        note = f"; {outside} outside the frame, drawn at its edge" if outside else ""
        view.title.set_text(what + note)
        axis = ("z₁", "z₂") if z_dim == 2 else ("principal direction 1", "principal direction 2")
        _label_axes(plane, *axis)
    return view.render(layer_key=key)


def _pairs_mosaic(data, recons, cols=5, gap=1, pair_gap=4):
    """Rows of ``cols`` digits over their reconstructions, pairs of rows ``pair_gap`` apart."""
    n = len(data)
    pairs = -(-n // cols)
    size = 8 + gap
    height = pairs * (2 * size - gap) + (pairs - 1) * pair_gap
    out = np.full((height, cols * size - gap), np.nan)
    for i in range(n):
        r, c = divmod(i, cols)
        y = r * (2 * size - gap + pair_gap)
        out[y : y + 8, c * size : c * size + 8] = data[i].reshape(8, 8)
        out[y + size : y + size + 8, c * size : c * size + 8] = recons[i].reshape(8, 8)
    return out


def lab_recon_image(data, recons, manifold, z_dim):
    """Left: ten test digits over their reconstructions. Right: the decoded manifold.

    data, recons: (10, 64) in [0, 1]; manifold: (100, 64), a 10 x 10 grid of decoded
    latent points, row-major from the top left (the second coordinate grows upwards).
    """
    view = _FIGURES.get("lab_recon")
    if view is None:
        fig = _new_figure(640, 320)
        pairs = fig.add_axes((0.1, 0.06, 0.38, 0.8))
        grid = fig.add_axes((0.56, 0.06, 0.4, 0.8))
        for ax in (pairs, grid):
            _digit_axes(ax)
        left = pairs.imshow(np.zeros((8, 8)), cmap=_grey_cmap(), vmin=0, vmax=1,
                            interpolation="nearest")
        right = grid.imshow(np.zeros((8, 8)), cmap=_grey_cmap(), vmin=0, vmax=1,
                            interpolation="nearest")
        pairs.set_title("test digits and their reconstructions", fontsize=THEME["font_size"] - 1,
                        color=THEME["text"])
        for spine in pairs.spines.values():
            spine.set_visible(False)
        view = _FIGURES["lab_recon"] = _Blitted(fig, [left, right])
    left, right = view.live
    pairs, grid = view.fig.axes
    tiles = _pairs_mosaic(data, recons)
    left.set_data(tiles)
    left.set_extent((-0.5, tiles.shape[1] - 0.5, tiles.shape[0] - 0.5, -0.5))
    side = int(round(math.sqrt(len(manifold))))
    tiles_m = _mosaic(manifold, cols=side)
    right.set_data(tiles_m)
    right.set_extent((-0.5, tiles_m.shape[1] - 0.5, tiles_m.shape[0] - 0.5, -0.5))
    key = (tiles.shape, tiles_m.shape, z_dim)
    if key != view.key:
        pairs.set_xlim(-0.5, tiles.shape[1] - 0.5)
        pairs.set_ylim(tiles.shape[0] - 0.5, -0.5)
        pair_rows = [4.0 + k * 21.0 for k in range(-(-len(data) // 5))]  # see _pairs_mosaic
        pairs.set_yticks([y + dy for y in pair_rows for dy in (0.0, 9.0)],
                         ["data", "recon."] * len(pair_rows))
        pairs.tick_params(axis="y", length=0, labelsize=THEME["font_size"] - 1,
                          colors=THEME["text"])
        grid.set_xlim(-0.5, tiles_m.shape[1] - 0.5)
        grid.set_ylim(tiles_m.shape[0] - 0.5, -0.5)
        if z_dim == 2:
            grid.set_title("decoded: z₁, z₂ from −2.5 to 2.5", fontsize=THEME["font_size"] - 1,
                           color=THEME["text"])
        else:
            grid.set_title(f"decoded along the top 2 principal\ndirections, −2.5 to 2.5 "
                           f"(other {z_dim - 2} at 0)", fontsize=THEME["font_size"] - 1,
                           color=THEME["text"])
    return view.render(layer_key=key)


def lab_units_image(kl_dims, active):
    """One bar per latent dimension: its mean KL over the test digits, nats.

    kl_dims: (Z,) floats; active: (Z,) bools (active in blue, inactive in grey).
    """
    from matplotlib.patches import Patch

    Z = len(kl_dims)
    view = _FIGURES.get("lab_units")
    if view is None or view.z_dim != Z:
        if view is not None:
            view.fig.clear()
        fig = view.fig if view is not None else _new_figure(640, 260)
        ax = fig.add_axes((0.1, 0.18, 0.87, 0.62))
        _style_axes(ax)
        ax.grid(False, axis="x")
        bars = ax.bar(range(Z), [0.0] * Z, width=0.7, color=THEME["q"])
        labels = [ax.text(d, 0.0, "", ha="center", va="bottom", color=THEME["text"],
                          fontsize=THEME["font_size"] - (1 if Z <= 8 else 3)) for d in range(Z)]
        ax.set_xticks(range(Z), [f"z{_subscript(d + 1)}" for d in range(Z)])
        ax.set_xlim(-0.6, Z - 0.4)
        _label_axes(ax, "latent dimension", "KL, nats per digit")
        title = ax.text(0.0, 1.2, "", transform=ax.transAxes, ha="left", va="bottom",
                        fontsize=THEME["font_size"], color=THEME["text"])
        handles = [Patch(color=THEME["q"], label="active: Var over x of E[z_d|x] > 0.01"),
                   Patch(color=THEME["prior"], alpha=0.6, label="inactive")]
        _legend(ax, loc="lower right", handles=handles, bbox_to_anchor=(1.0, 1.0), ncol=2,
                borderaxespad=0.2, handlelength=1.2)
        view = _FIGURES["lab_units"] = _Blitted(fig, [*bars, *labels, title])
        view.z_dim = Z
    bars, labels, title = view.live[:Z], view.live[Z:2 * Z], view.live[-1]
    ax = view.fig.axes[0]
    top = _nice_top(1.2 * float(max(np.max(kl_dims), 0.0)),
                    (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.5, 10.0, 15.0, 20.0))
    for bar, text, value, on in zip(bars, labels, kl_dims, active):
        bar.set_height(float(value))
        bar.set_color(THEME["q"] if on else THEME["prior"])
        bar.set_alpha(1.0 if on else 0.6)
        text.set_position((text.get_position()[0], float(value) + 0.02 * top))
        text.set_text(f"{value:.2f}")
    n_active = int(np.sum(active))
    title.set_text(f"{n_active} of {Z} units active")
    ax.set_ylim(0.0, top)
    return view.render(layer_key=(Z, top))


def lab_posterior_image(x, recon, z1, z2, density, q_mu, q_sd):
    """Left: a test digit and its reconstruction. Right: its true posterior and q(z|x).

    x, recon: (64,) in [0, 1]. z1, z2: the grid's axes; density: (len(z2), len(z1)),
    p(z|x) on the grid (row i at z2[i]), shaded at 1, 2 and 3 "sd" levels (exp(-r^2/2)
    of its peak: the highest-density regions a Gaussian would have); q_mu, q_sd: q's
    mean and sds, drawn as its 1 and 2 sd ellipses. The view covers the outer contour
    and q's 2.5 sd box, with one unit as long on both axes. Redrawn fully on each call (the
    contours are new), which is fine: the widget caches on the weights and digit.
    """
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Ellipse, Patch

    view = _FIGURES.get("lab_posterior")
    if view is None:
        fig = _new_figure(640, 320)
        top = fig.add_axes((0.05, 0.52, 0.19, 0.36))
        bottom = fig.add_axes((0.05, 0.08, 0.19, 0.36))
        plane = fig.add_axes((0.38, 0.14, 0.58, 0.74))
        for ax, name in ((top, "test digit x"), (bottom, "reconstruction")):
            _digit_axes(ax)
            ax.set_title(name, fontsize=THEME["font_size"] - 1, color=THEME["text"])
        pictures = [ax.imshow(np.zeros((8, 8)), cmap=_grey_cmap(), vmin=0, vmax=1,
                              interpolation="nearest") for ax in (top, bottom)]
        _style_axes(plane)
        _label_axes(plane, "z₁", "z₂")
        ellipses = [Ellipse((0, 0), 1, 1, fill=False, ec=THEME["q"], lw=lw, ls=ls, zorder=3)
                    for lw, ls in ((2.0, "-"), (1.5, "--"))]
        for e in ellipses:
            plane.add_patch(e)
        centre, = plane.plot([0], [0], "+", color=THEME["q"], ms=9, mew=1.5, zorder=3)
        handles = [Patch(color=to_rgba(THEME["posterior"], 0.45), label="true p(z | x)"),
                   ellipses[0], ellipses[1]]
        _legend(plane, loc="lower left", handles=handles,
                labels=["exact p(z | x)", "q(z | x), 1 sd", "2 sd"],
                bbox_to_anchor=(0.0, 1.0), ncol=3, borderaxespad=0.2, handlelength=1.5,
                columnspacing=1.0)
        view = _FIGURES["lab_posterior"] = SimpleNamespace(
            fig=fig, pictures=pictures, ellipses=ellipses, centre=centre, contours=None)
    top, bottom, plane = view.fig.axes
    view.pictures[0].set_data(np.reshape(x, (8, 8)))
    view.pictures[1].set_data(np.reshape(recon, (8, 8)))
    if view.contours is not None:
        view.contours.remove()
    peak = float(density.max())
    levels = [peak * math.exp(-0.5 * r * r) for r in (3.0, 2.0, 1.0)] + [peak * 1.001]
    colours = [to_rgba(THEME["posterior"], a) for a in (0.15, 0.3, 0.5)]
    view.contours = plane.contourf(z1, z2, density, levels=levels, colors=colours,
                                   antialiased=True)
    for e, k in zip(view.ellipses, (1.0, 2.0)):
        e.set_center((float(q_mu[0]), float(q_mu[1])))
        e.width, e.height = 2.0 * k * float(q_sd[0]), 2.0 * k * float(q_sd[1])
    view.centre.set_data([q_mu[0]], [q_mu[1]])
    # the view: the posterior's outer contour and q's 2.5 sd box, padded, then widened in one
    # direction so that one unit is as long on both axes
    rows, cols = np.nonzero(density >= levels[0])
    x0 = min(float(z1[cols.min()]), float(q_mu[0] - 2.5 * q_sd[0]))
    x1 = max(float(z1[cols.max()]), float(q_mu[0] + 2.5 * q_sd[0]))
    y0 = min(float(z2[rows.min()]), float(q_mu[1] - 2.5 * q_sd[1]))
    y1 = max(float(z2[rows.max()]), float(q_mu[1] + 2.5 * q_sd[1]))
    pad = 0.12 * max(x1 - x0, y1 - y0)
    x0, x1, y0, y1 = x0 - pad, x1 + pad, y0 - pad, y1 + pad
    bbox = plane.get_window_extent()
    units_per_px = max((x1 - x0) / bbox.width, (y1 - y0) / bbox.height)
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    plane.set_xlim(cx - 0.5 * units_per_px * bbox.width, cx + 0.5 * units_per_px * bbox.width)
    plane.set_ylim(cy - 0.5 * units_per_px * bbox.height, cy + 0.5 * units_per_px * bbox.height)
    view.fig.canvas.draw()
    return _rgba(view.fig.canvas)

def _rgba(canvas):
    buf = canvas.buffer_rgba()
    height, width = buf.shape[:2]
    return {"width": int(width), "height": int(height), "rgba": bytes(buf)}


def png_bytes(image):
    """Encode an ``{"width", "height", "rgba"}`` image as PNG (for the static images)."""
    import io

    from matplotlib.image import imsave

    pixels = np.frombuffer(image["rgba"], np.uint8).reshape(image["height"], image["width"], 4)
    out = io.BytesIO()
    imsave(out, pixels, format="png", metadata={"Software": None})
    return out.getvalue()
