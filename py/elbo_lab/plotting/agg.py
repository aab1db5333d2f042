"""The drawing backend: matplotlib's Agg canvas. Importing this module installs it.

Figures are built with ``matplotlib.figure.Figure`` and the Agg canvas, never
pyplot (which costs 1.5 s more in Pyodide), and kept (``plotting.render``).
Each call updates the artists' data and redraws only what moved: ``Blitted``
restores a saved static layer and draws the live artists over it, which is
several times cheaper than a full draw. Images leave as ``{"width", "height",
"rgba"}``: raw RGBA bytes, row-major. Every colour comes from ``THEME``.

The helpers here are the house style shared by the figure modules: styled axes,
labels, legends, the latent plane with the prior's circles, digit tiles.
"""

import io
import sys
from collections import OrderedDict

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, to_rgba
from matplotlib.figure import Figure
from matplotlib.image import imsave
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.patches import Circle, Ellipse, Patch
from matplotlib.path import Path

from . import install
from .ranges import band
from .theme import THEME

__all__ = ["Blitted", "Ellipse", "LinearSegmentedColormap", "Line2D", "Patch", "density",
           "digit_axes", "digit_legend", "digit_markers", "grey_cmap",
           "label_axes", "latent_plane", "legend", "legend_above", "new_figure", "png_bytes",
           "rgba", "style_axes", "to_rgba"]

LATENT_LIM = 3.5  # the latent plane of the pretrained models: [-3.5, 3.5]^2


def new_figure(width_px, height_px, dpi=100):
    """An empty figure of width_px x height_px pixels on an Agg canvas, in the theme's colour."""
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    fig.patch.set_facecolor(THEME["background"])
    return fig


def style_axes(ax):
    """The house style: no top and right spines, a light grid behind, theme colours."""
    ax.set_facecolor(THEME["background"])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(THEME["text"])
    ax.tick_params(colors=THEME["text"], labelsize=THEME["font_size"] - 1)
    ax.tick_params(which="minor", colors=THEME["minor"])  # drawn on log axes
    ax.grid(True, color=THEME["grid"], linewidth=0.8)
    ax.set_axisbelow(True)


def label_axes(ax, xlabel, ylabel):
    ax.set_xlabel(xlabel, color=THEME["text"], fontsize=THEME["font_size"])
    ax.set_ylabel(ylabel, color=THEME["text"], fontsize=THEME["font_size"])


def legend(ax, loc="upper right", **kw):
    return ax.legend(loc=loc, frameon=False, labelcolor=THEME["text"],
                     fontsize=THEME["font_size"] - 1, **kw)


def legend_above(ax, ncol, columnspacing=1.5):
    """A legend in one row above the axes, where it can never hide a curve."""
    return legend(ax, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=ncol,
                  borderaxespad=0.2, handlelength=2.0, columnspacing=columnspacing)


def density(ax, x, y, color, fill_alpha, lw, ls="-", label=None):
    """A filled density: the band under y(x) (``fill_alpha``) and its outline. Returns both."""
    (fill,) = ax.fill(*band(x, y).T, color=color, alpha=fill_alpha, lw=0)
    (line,) = ax.plot(x, y, color=color, lw=lw, ls=ls, label=label)
    return fill, line


def digit_legend(ax, groups):
    """A legend of the ten classes above the axes, each label its digit in its class colour."""
    legend = ax.legend(groups, [str(d) for d in range(10)], loc="lower left",
                       bbox_to_anchor=(0.0, 1.0), ncol=10, frameon=False, borderaxespad=0.1,
                       handlelength=0, handletextpad=0, columnspacing=1.2,
                       fontsize=THEME["font_size"] + 1)
    for d, (handle, text) in enumerate(zip(legend.legend_handles, legend.get_texts())):
        handle.set_visible(False)  # the label is the digit itself, in its class colour
        text.set_color(THEME["digits"][d])
        text.set_fontweight("bold")
    return legend


def rgba(canvas):
    """The canvas's pixels as an image: {"width", "height", "rgba": bytes}."""
    buf = canvas.buffer_rgba()
    height, width = buf.shape[:2]
    return {"width": int(width), "height": int(height), "rgba": bytes(buf)}


def png_bytes(image):
    """Encode an ``{"width", "height", "rgba"}`` image as PNG (for the static images)."""
    pixels = np.frombuffer(image["rgba"], np.uint8).reshape(image["height"], image["width"], 4)
    out = io.BytesIO()
    imsave(out, pixels, format="png", metadata={"Software": None})
    return out.getvalue()


class Blitted:
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
        self.fig = fig
        self.reset(live_artists, overlay)

    def reset(self, live_artists, overlay=()):
        """New live artists (after the figure was rebuilt): every saved layer is dropped."""
        self.live, self.overlay = list(live_artists), list(overlay)
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
        return rgba(canvas)


def latent_plane(ax, lim=LATENT_LIM):
    """Square axes over the latent plane with the prior's 1 and 2 sd circles (dashed grey)."""
    style_axes(ax)
    for radius in (1.0, 2.0):
        ax.add_patch(Circle((0, 0), radius, fill=False, ec=THEME["prior"], lw=1.2, ls="--"))
    ax.text(0.72, -0.62, "1σ", color=THEME["prior"], fontsize=THEME["font_size"] - 2)
    ax.text(1.44, -1.34, "2σ", color=THEME["prior"], fontsize=THEME["font_size"] - 2)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    label_axes(ax, "z₁", "z₂")


def digit_axes(ax):
    """Axes for a picture of digits: no ticks, faint spines."""
    ax.set_facecolor(THEME["background"])  # shows around the images (e.g. above a mosaic)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color(THEME["grid"])


def grey_cmap():
    """Pixel intensities 0..1 from the background to the theme's ink; NaN (gaps) is background.

    Dark ink on white in the light theme, light ink on the dark background in the dark one.
    """
    cmap = LinearSegmentedColormap.from_list("digits", [THEME["background"], THEME["ink"]])
    cmap.set_bad(THEME["background"])
    return cmap


_DIGIT_MARKERS = []


def digit_markers():
    """The digits 0-9 as marker paths of straight segments only.

    The same shapes as the markers "$0$".."$9$", with their curves flattened to
    lines: Agg draws a marker path once per collection but first measures it,
    and measuring curves costs milliseconds per collection (most of a frame).
    """
    if not _DIGIT_MARKERS:
        for d in range(10):
            style = MarkerStyle(f"${d}$")
            glyph = style.get_path().transformed(style.get_transform())
            polygons = glyph.to_polygons(closed_only=True)
            vertices = np.concatenate(polygons)
            codes = np.concatenate([[Path.MOVETO] + [Path.LINETO] * (len(p) - 2) + [Path.CLOSEPOLY]
                                    for p in polygons])
            _DIGIT_MARKERS.append(Path(vertices, codes))
    return _DIGIT_MARKERS


install(sys.modules[__name__])
