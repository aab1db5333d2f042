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

import matplotlib.artist
import numpy as np

# As each Artist subclass is made, matplotlib writes a table of all its settable properties
# into the docstring of its set() (artist.kwdoc): 0.6-1.0 s of importing this module in
# Pyodide, for text nobody here reads. So it writes none, from before the subclasses are made.
matplotlib.artist.kwdoc = lambda artist: ""

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402  (after the line above)
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.colors import LinearSegmentedColormap, to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import imsave  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.markers import MarkerStyle  # noqa: E402
from matplotlib.patches import Circle, Ellipse, Patch  # noqa: E402
from matplotlib.path import Path  # noqa: E402
from matplotlib.textpath import TextPath  # noqa: E402
from matplotlib.transforms import Bbox, IdentityTransform  # noqa: E402

from . import get_layout, install  # noqa: E402
from .blit import AxesBlitted, Blitted, LiveAxes, rgba, settle  # noqa: E402
from .ranges import band  # noqa: E402
from .theme import THEME  # noqa: E402

__all__ = ["AxesBlitted", "Blitted", "Ellipse", "LiveAxes", "LinearSegmentedColormap", "Line2D", "Patch", "density",
           "digit_axes", "digit_legend", "digit_markers", "grey_cmap",
           "label_axes", "latent_plane", "legend", "legend_above", "limits", "narrow", "new_figure", "number_labels",
           "panels", "png_bytes", "quick_extents", "set_pixels", "settle",
           "rgba", "set_numbers", "style_axes", "to_rgba"]

LATENT_LIM = 3.5  # the latent plane of the pretrained models: [-3.5, 3.5]^2


NARROW_PX = 640  # a narrow figure's width in pixels: sharp at 2 device pixels per CSS pixel
# ... across this many inches: on a 360 px phone the figure shows about 296 CSS px wide, so
# 1 pt of text is 296 / (3.3 * 72) = 1.25 CSS px (9 pt reads 11 CSS px); on the desktop's
# 640 px at 6.4 in it was 296 / (6.4 * 72) = 0.64 CSS px
NARROW_INCHES = 3.3


def narrow():
    """Whether figures are laid out for a narrow column (``plotting.set_layout``)."""
    return get_layout() == "narrow"


def new_figure(width_px, height_px, dpi=100):
    """An empty figure of width_px x height_px pixels on an Agg canvas, in the theme's colour."""
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    fig.patch.set_facecolor(THEME["background"])
    return fig


def panels(size, rects, narrow_height, **grid):
    """A new figure and its axes, laid out for the current layout.

    Wide: ``size`` (width, height) in pixels at 100 dpi, one axes per rect
    (left, bottom, width, height in figure fractions), exactly as placed.
    Narrow: ``NARROW_PX`` wide across ``NARROW_INCHES``, ``narrow_height`` inches
    tall, the axes on a grid (``grid``: Figure.add_gridspec's arguments, one
    column of len(rects) rows by default; "cells": a gridspec slice per axes).
    Their margins are found by constrained layout from their labels, ticks and
    legends as the build leaves them, when the view is made (``settle``), and then
    fixed: the layout never depends on the values drawn first, and every frame
    has the same layout, as the blitted layers need. So a build sets limits (or
    pads its tick labels) that leave room for the widest labels its draws can make.
    """
    if not narrow():
        fig = new_figure(*size)
        return fig, [fig.add_axes(rect) for rect in rects]
    dpi = NARROW_PX / NARROW_INCHES
    height = round(narrow_height * dpi) / dpi  # whole pixels: a stamp lands where a full draw puts it
    fig = Figure(figsize=(NARROW_INCHES, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    fig.patch.set_facecolor(THEME["background"])
    fig.get_layout_engine().set(w_pad=4 / 72, h_pad=4 / 72, hspace=0.04, wspace=0.04)
    cells = grid.pop("cells", None)
    grid.setdefault("nrows", len(rects) if cells is None else 1)
    spec = fig.add_gridspec(**grid)
    cells = cells or [spec[i] for i in range(len(rects))]
    return fig, [fig.add_subplot(spec[cell] if isinstance(cell, tuple) else cell) for cell in cells]


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
    """A legend in one row above the axes, where it can never hide a curve (in the narrow
    layout, one entry per row: a row of them would not fit)."""
    return legend(ax, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=1 if narrow() else ncol,
                  borderaxespad=0.2, handlelength=2.0, columnspacing=columnspacing)


def density(ax, x, y, color, fill_alpha, lw, ls="-", label=None):
    """A filled density: the band under y(x) (``fill_alpha``) and its outline. Returns both."""
    (fill,) = ax.fill(*band(x, y).T, color=color, alpha=fill_alpha, lw=0)
    (line,) = ax.plot(x, y, color=color, lw=lw, ls=ls, label=label)
    return fill, line


def digit_legend(ax, groups):
    """A legend of the ten classes above the axes, each label its digit in its class colour
    (closer together in the narrow layout, where the row would be wider than the axes)."""
    legend = ax.legend(groups, [str(d) for d in range(10)], loc="lower left",
                       bbox_to_anchor=(0.0, 1.0), ncol=10, frameon=False, borderaxespad=0.1,
                       handlelength=0, handletextpad=0, columnspacing=0.8 if narrow() else 1.2,
                       fontsize=THEME["font_size"] + 1)
    for d, (handle, text) in enumerate(zip(legend.legend_handles, legend.get_texts())):
        handle.set_visible(False)  # the label is the digit itself, in its class colour
        text.set_color(THEME["digits"][d])
        text.set_fontweight("bold")
    return legend


def png_bytes(image):
    """Encode an ``{"width", "height", "rgba"}`` image as PNG (for the static images)."""
    pixels = np.frombuffer(image["rgba"], np.uint8).reshape(image["height"], image["width"], 4)
    out = io.BytesIO()
    imsave(out, pixels, format="png", metadata={"Software": None})
    return out.getvalue()


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


def set_pixels(image, values):
    """Show ``values`` (2-D, in [0, 1], NaN for gaps) in ``image``, an ``imshow`` with vmin=0,
    vmax=1 and nearest interpolation, coloured here through the image's own colormap table.

    The same pixels as ``image.set_data(values)`` (matplotlib's nearest resampling picks
    values, so colouring before or after it agrees), but matplotlib then resamples one RGBA
    array instead of the values and their mask, and skips its masked-array normalisation:
    a quarter of generate's frame natively. The indices follow ``Colormap.__call__``."""
    lut = getattr(image, "_elbo_lut", None)
    if lut is None:
        cmap = image.get_cmap()
        cmap(0.0)  # makes its table
        lut = image._elbo_lut = (cmap._lut * 255).astype(np.uint8), cmap.N, cmap._i_bad
    table, n, bad = lut
    scaled = np.asarray(values, dtype=float) * n
    gaps = np.isnan(scaled)
    scaled[gaps] = 0.0
    index = np.clip(scaled, 0, n - 1).astype(np.intp)  # 1.0 is the top colour, as in matplotlib
    index[gaps] = bad
    image.set_data(table[index])


_DIGIT_MARKERS = []
_NUMBER_PATHS = {}  # (text, size, va, dpi) -> Path


def _flat(path):
    """A glyph path with its curves flattened to straight segments (cheap for Agg to draw)."""
    polygons = path.to_polygons(closed_only=True)
    vertices = np.concatenate(polygons)
    codes = np.concatenate([[Path.MOVETO] + [Path.LINETO] * (len(p) - 2) + [Path.CLOSEPOLY]
                            for p in polygons])
    return Path(vertices, codes)


def _number_path(text, size, va, dpi):
    key = (text, size, va, dpi)
    if key not in _NUMBER_PATHS:
        path = _flat(TextPath((0, 0), text, size=size))
        vertices = path.vertices * (dpi / 72.0)  # points to pixels
        if va == "top":  # the digits' top at the anchor, not their baseline
            vertices = vertices - [0.0, TextPath((0, 0), "0", size=size).get_extents().y1 * dpi / 72.0]
        _NUMBER_PATHS[key] = Path(vertices, path.codes)
    return _NUMBER_PATHS[key]


class _MarkerPath(Path):
    """A marker's path whose extents are its control points' box, which holds the curve.

    A collection of one marker (a scatter of one colour) asks its marker's extents on every
    draw, only to learn that it is smaller than the figure (it is then stamped, the fast
    way). The exact extents of a curved marker cost a polynomial's roots per Bézier segment:
    natively a third of the generate figure's frame. The box is as good an answer there
    and takes no roots; the path and so the pixels are the marker's own."""

    def get_extents(self, transform=None, **kwargs):
        points = self.vertices if transform is None else transform.transform(self.vertices)
        return Bbox([points.min(axis=0), points.max(axis=0)])


def limits(ax, x=None, y=None):
    """Set ``ax``'s x and y limits (pairs; None leaves one as it is), skipping a call that
    would change nothing: an unchanged ``set_ylim`` still runs the axes' callbacks and
    invalidations, 0.12 ms natively and about four times that in Pyodide, twice a frame in
    most figures. Only once autoscaling is off (the first call turns it off), so a skip
    never leaves an axes to scale itself to the live artists."""
    for lim, get, auto, set_ in ((x, ax.get_xlim, ax.get_autoscalex_on, ax.set_xlim),
                                 (y, ax.get_ylim, ax.get_autoscaley_on, ax.set_ylim)):
        if lim is not None and (auto() or tuple(get()) != (lim[0], lim[1])):
            set_(lim[0], lim[1])


def quick_extents(collection):
    """``collection`` (a scatter) with its marker paths as ``_MarkerPath``s: the same drawing."""
    collection.set_paths([_MarkerPath(p.vertices, p.codes) for p in collection.get_paths()])
    return collection


def number_labels(ax, size, color, va="bottom", zorder=4):
    """Numbered labels as one collection of glyph outlines, placed with ``set_numbers``.

    A figure that numbers its points (1, 2, ... n, at positions that move) would
    otherwise lay out n text artists on every frame; one collection of cached
    paths draws in one call. The numbers start at their anchor's left, with their
    baseline there (va="bottom") or their top (va="top"). size in points.
    """
    labels = PathCollection([], offsets=np.zeros((0, 2)), offset_transform=ax.transData,
                            facecolors=color, edgecolors="none", linewidths=0, zorder=zorder)
    labels.set_transform(IdentityTransform())
    labels.number_style = (size, va, ax.figure.dpi)
    ax.add_collection(labels, autolim=False)
    return labels


def set_numbers(labels, anchors):
    """Label the anchors (k, 2), in data coordinates, 1 to k."""
    size, va, dpi = labels.number_style
    labels.set_paths([_number_path(str(i + 1), size, va, dpi) for i in range(len(anchors))])
    labels.set_offsets(np.asarray(anchors, float).reshape(-1, 2))


def digit_markers():
    """The digits 0-9 as marker paths of straight segments only.

    The same shapes as the markers "$0$".."$9$", with their curves flattened to
    lines: Agg draws a marker path once per collection but first measures it,
    and measuring curves costs milliseconds per collection (most of a frame).
    """
    if not _DIGIT_MARKERS:
        for d in range(10):
            style = MarkerStyle(f"${d}$")
            _DIGIT_MARKERS.append(_flat(style.get_path().transformed(style.get_transform())))
    return _DIGIT_MARKERS


install(sys.modules[__name__])
