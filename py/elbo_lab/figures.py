"""Matplotlib figures for the page: one function per figure, one theme, reuse.

Figures are built once with ``matplotlib.figure.Figure`` and the Agg canvas
(pyplot is never imported: it costs 1.5 s in Pyodide) and kept in a cache.
Each call updates the artists' data and redraws, which is much cheaper than
building a new figure.
"""

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["THEME", "kl_figure", "render_rgba", "save_png"]

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
THEME = {
    "q": "#0072B2",  # approximate posterior / encoder distribution
    "prior": "#6b6b6b",  # the prior N(0, 1)
    "accent": "#D55E00",
    "text": "#222222",
    "grid": "#e4e4e4",
    "background": "#ffffff",
    "font_size": 11,
}

_FIGURES = {}


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
    ax.grid(True, color=THEME["grid"], linewidth=0.8)
    ax.set_axisbelow(True)


def _band(x, y):
    """Vertices of the region between the curve y(x) and zero."""
    return np.concatenate([np.column_stack([x, y]), [[x[-1], 0.0], [x[0], 0.0]]])


def kl_figure(z, q_density, p_density):
    """Two densities over z: q (solid, filled) and the prior p (dashed).

    z, q_density, p_density: (M,) arrays. Returns the updated Figure.
    """
    fig = _FIGURES.get("kl")
    if fig is None:
        fig = _new_figure(640, 300)
        ax = fig.add_axes((0.08, 0.16, 0.9, 0.8))
        _style_axes(ax)
        ax.fill(*_band(z, p_density).T, color=THEME["prior"], alpha=0.15, lw=0)
        ax.plot(z, p_density, color=THEME["prior"], lw=2, ls="--", label="prior p(z) = N(0, 1)")
        ax.fill(*_band(z, q_density).T, color=THEME["q"], alpha=0.25, lw=0)
        ax.plot(z, q_density, color=THEME["q"], lw=2.5, label="q(z) = N(μ, σ²)")
        ax.set_xlim(z[0], z[-1])
        ax.set_xlabel("z", color=THEME["text"], fontsize=THEME["font_size"])
        ax.set_ylabel("density", color=THEME["text"], fontsize=THEME["font_size"])
        ax.legend(loc="upper right", frameon=False, labelcolor=THEME["text"],
                  fontsize=THEME["font_size"])
        _FIGURES["kl"] = fig
    ax = fig.axes[0]
    p_fill, q_fill = ax.patches
    p_line, q_line = ax.lines
    p_fill.set_xy(_band(z, p_density))
    p_line.set_data(z, p_density)
    q_fill.set_xy(_band(z, q_density))
    q_line.set_data(z, q_density)
    top = max(float(q_density.max()), float(p_density.max()))
    ax.set_ylim(0.0, 1.15 * top)
    return fig


def render_rgba(fig):
    """Draw ``fig`` and return ``{"width", "height", "rgba"}`` (RGBA bytes, row-major)."""
    canvas = fig.canvas
    canvas.draw()
    buf = canvas.buffer_rgba()
    height, width = buf.shape[:2]
    return {"width": int(width), "height": int(height), "rgba": bytes(buf)}


def save_png(fig, path):
    """Write ``fig`` as a PNG (used for the static images shown before Python loads)."""
    fig.savefig(path, format="png", facecolor=fig.get_facecolor(),
                metadata={"Software": None})
