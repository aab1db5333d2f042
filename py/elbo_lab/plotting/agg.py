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
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.collections import PathCollection
from matplotlib.colors import LinearSegmentedColormap, to_rgba
from matplotlib.figure import Figure
from matplotlib.image import imsave
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.patches import Circle, Ellipse, Patch
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.transforms import Bbox, IdentityTransform

from . import install
from .ranges import band
from .theme import THEME

__all__ = ["AxesBlitted", "Blitted", "Ellipse", "LinearSegmentedColormap", "Line2D", "Patch", "density",
           "digit_axes", "digit_legend", "digit_markers", "grey_cmap",
           "label_axes", "latent_plane", "legend", "legend_above", "new_figure", "number_labels", "png_bytes",
           "rgba", "set_numbers", "style_axes", "to_rgba"]

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

    The ``overlay`` (legends) goes on top of the live artists, so a curve never
    hides it. Drawing a legend costs more than the rest of a blit together
    (laying out its texts: a kl frame took 6.7 ms natively with it, 0.6 without), so
    it is drawn once per layer, on a transparent image of its own (a "stamp"),
    and that stamp is laid over each frame with numpy: one alpha blend of its
    few thousand pixels. A full draw and a blit both end that way, so their
    pixels are the same.

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
        self.layers = OrderedDict()  # layer key -> (saved static layer, overlay stamps), least recent first

    def render(self, layer_key):
        canvas = self.fig.canvas
        kept = self.layers.get(layer_key)
        if kept is None:
            for artist in self.overlay:  # drawn from its stamp, after the live artists
                artist.set_animated(True)
            canvas.draw()
            kept = self.layers[layer_key] = (canvas.copy_from_bbox(self.fig.bbox), self._stamps())
            if len(self.layers) > self.LAYERS_KEPT:
                self.layers.popitem(last=False)
        else:
            self.layers.move_to_end(layer_key)
            canvas.restore_region(kept[0])
            # A full draw also fits each fixed-aspect axes box to its limits (the digit
            # mosaics); the box left by the last full draw may belong to another range.
            for ax in self.fig.axes:
                ax.apply_aspect()
        self.key = layer_key
        return self._finish(kept[1])

    def _finish(self, stamps):
        """The live artists over the restored layer, then the overlay's stamps: the image."""
        canvas = self.fig.canvas
        for artist in self.live:
            artist.axes.draw_artist(artist)
        if stamps:
            pixels = np.asarray(canvas.buffer_rgba())
            for (top, left), colour, alpha in stamps:
                under = pixels[top : top + alpha.shape[0], left : left + alpha.shape[1], :3]
                under[...] = (colour * alpha + under * (255 - alpha) + 127) // 255
        return rgba(canvas)

    def _stamps(self):
        """The overlay drawn alone on a transparent image, cropped to its pixels:
        [((top, left), colour (h, w, 3), alpha (h, w, 1))], both uint16 (0-255)."""
        if not self.overlay:
            return []
        width, height = self.fig.canvas.get_width_height()
        renderer = RendererAgg(width, height, self.fig.dpi)
        renderer.clear()
        for artist in self.overlay:
            artist.draw(renderer)
        image = np.asarray(renderer.buffer_rgba())
        alpha = image[..., 3]
        rows, cols = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
        if not len(rows):
            return []
        crop = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.uint16)
        return [((int(rows[0]), int(cols[0])), crop[..., :3], crop[..., 3:])]


class AxesBlitted(Blitted):
    """A Blitted figure of axes side by side (or stacked) whose limits change apart: a key per axes.

    ``render(keys)`` takes a tuple with a key for each of ``fig.axes``, in order. The
    figure is cut into one cell per axes, across the middle of the gaps between
    them, and each cell's static layer is kept for its axes' own key. So a figure of
    two axes with 12 ranges each needs 24 kept cells, not 144 whole layers, and a
    change of one axes' range reuses the other's cell. A miss draws the whole figure
    and keeps every cell for its key; a frame is its cells, the live artists, then the
    overlay's stamps, whether it came from a miss or not, so its pixels are those of a
    fresh draw. That holds while each axes draws inside its own cell (its tight box,
    legends apart, padded by PAD px): checked at every full draw; if not, or if the
    axes are neither in one row nor in one column, the figure is keyed whole.
    """

    PAD = 2

    def reset(self, live_artists, overlay=()):
        super().reset(live_artists, overlay)
        self.cells = None  # per axes: its cell (a Bbox in display pixels)
        self.whole = False  # the cells do not hold their axes: keyed whole
        self.stamps = []

    def render(self, keys):
        keys = tuple(keys)
        if len(keys) != len(self.fig.axes):
            raise ValueError(f"one layer key per axes: {len(self.fig.axes)}, got {len(keys)}")
        if self.whole:
            return super().render(keys)
        canvas = self.fig.canvas
        kept = [self.layers.get((i, key)) for i, key in enumerate(keys)]
        if self.cells is None or any(cell is None for cell in kept):
            for artist in self.overlay:
                artist.set_animated(True)
            canvas.draw()
            self.cells = self.cells or self._cells()
            if self.cells is None or not self._inside():
                self.whole, self.layers = True, OrderedDict()
                return super().render(keys)
            self.stamps = self._stamps()
            for i, key in enumerate(keys):
                self.layers.pop((i, key), None)
                self.layers[(i, key)] = canvas.copy_from_bbox(self.cells[i])
            while len(self.layers) > self.LAYERS_KEPT * len(keys):
                self.layers.popitem(last=False)
        else:
            for i, key in enumerate(keys):
                self.layers.move_to_end((i, key))
                canvas.restore_region(kept[i])
            for ax in self.fig.axes:
                ax.apply_aspect()
        self.key = keys
        return self._finish(self.stamps)

    def _cells(self):
        """One cell per axes, cut in whole pixels across the middle of the gaps between the axes'
        drawings (tight boxes, legends apart); None if the axes are neither in one row nor in
        one column."""
        renderer = self.fig.canvas.get_renderer()
        boxes = [ax.get_window_extent() for ax in self.fig.axes]
        tight = [ax.get_tightbbox(renderer, bbox_extra_artists=[]) for ax in self.fig.axes]
        width, height = self.fig.canvas.get_width_height()
        for dim, size in ((0, width), (1, height)):
            order = sorted(range(len(boxes)), key=lambda i: boxes[i].p0[dim])
            if any(boxes[i].p1[dim] > boxes[j].p0[dim] for i, j in zip(order, order[1:])):
                continue
            cuts = [0] + [round((tight[i].p1[dim] + tight[j].p0[dim]) / 2) for i, j in zip(order, order[1:])]
            cuts.append(size)
            cells = [None] * len(boxes)
            for n, i in enumerate(order):
                lo, hi = cuts[n], cuts[n + 1]
                cells[i] = Bbox([[lo, 0], [hi, height]] if dim == 0 else [[0, lo], [width, hi]])
            return cells
        return None

    def _inside(self):
        """Whether each axes (legends apart) draws inside its cell, PAD px from the cuts (the
        figure's own edges clip it anyway)."""
        renderer = self.fig.canvas.get_renderer()
        width, height = self.fig.canvas.get_width_height()
        for ax, cell in zip(self.fig.axes, self.cells):
            box = ax.get_tightbbox(renderer, bbox_extra_artists=[]).padded(self.PAD)
            if ((cell.x0 > 0 and box.x0 < cell.x0) or (cell.x1 < width and box.x1 > cell.x1)
                    or (cell.y0 > 0 and box.y0 < cell.y0) or (cell.y1 < height and box.y1 > cell.y1)):
                return False
        return True


class LiveAxes(Blitted):
    """A Blitted figure with one axes drawn whole on every frame, over a layer of the rest.

    For a figure whose main axes change their limits (and so their ticks) on every
    call, with everything else fixed: lab_posterior's plane beside its two digit
    panels. The layer is drawn once, with ``axes`` hidden; each frame restores it,
    draws ``axes`` with its children (ticks, contours, ellipses), then the live artists
    of the other axes and the overlay's stamps. That skips drawing the other axes and
    the legend on each call (natively 31 ms a frame before, 19 after). ``axes`` must
    not overlap the others; checked at the first draw (ValueError).
    """

    def __init__(self, fig, axes, live_artists, overlay=()):
        self.axes = axes
        super().__init__(fig, live_artists, overlay)

    def render(self):
        canvas = self.fig.canvas
        kept = self.layers.get("rest")
        if kept is None:
            for artist in self.overlay:
                artist.set_animated(True)
            self.axes.set_visible(False)
            canvas.draw()
            self.axes.set_visible(True)
            kept = self.layers["rest"] = (canvas.copy_from_bbox(self.fig.bbox), self._stamps())
            renderer = canvas.get_renderer()
            mine = self.axes.get_tightbbox(renderer, bbox_extra_artists=[])
            for ax in self.fig.axes:
                if ax is not self.axes and ax.get_tightbbox(renderer).overlaps(mine):
                    raise ValueError("LiveAxes: the live axes overlap another axes")
        else:
            canvas.restore_region(kept[0])
        self.key = "rest"
        self.fig.draw_artist(self.axes)
        return self._finish(kept[1])


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
