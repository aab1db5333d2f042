"""Blitting: a kept figure redraws only what moved. ``Blitted`` restores a saved static
layer and draws the live artists over it; ``AxesBlitted`` keeps a layer per axes;
``LiveAxes`` redraws one whole axes over a layer of the rest. Legends are laid on from
pixels drawn once ("stamps"). Imported by ``plotting.agg``, which the figures use.
"""

from collections import OrderedDict

import numpy as np
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.legend import Legend
from matplotlib.transforms import Bbox

__all__ = ["AxesBlitted", "Blitted", "LiveAxes", "rgba", "settle"]


def rgba(canvas):
    """The canvas's pixels as an image: {"width", "height", "rgba": bytes}."""
    buf = canvas.buffer_rgba()
    height, width = buf.shape[:2]
    return {"width": int(width), "height": int(height), "rgba": bytes(buf)}


def settle(fig):
    """Fix a constrained layout (a narrow figure's, ``agg.panels``) where it is now.

    Constrained layout places the axes at each full draw from their labels' sizes,
    so two draws with different ticks would place them differently, and a blitted
    frame would mix two layouts. Called when a view is made (at the end of a
    figure's build, before any values are drawn): the layout is done once, from the
    build's own labels and limits, then the engine removed.
    """
    if isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        fig.get_layout_engine().execute(fig)
        fig.set_layout_engine("none")


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
        """New live artists (after the figure was rebuilt): every saved layer is dropped, and
        a narrow figure's layout is fixed as its build left it (``settle``)."""
        if self.fig is not None:
            settle(self.fig)
        self.live, self.overlay = list(live_artists), list(overlay)
        for artist in self.live:
            artist.set_animated(True)
        self.key = None
        self.layers = OrderedDict()  # layer key -> (saved static layer, overlay stamps), least recent first
        self.stamped = None  # (the overlay's look, its stamps): the stamps made last
        self.blended = OrderedDict()  # (id of a stamp's lit, layer key) -> (lit, its pixels laid on)

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
        """The live artists over the restored layer, then the overlay's stamps: the image.

        A stamp that no live artist can draw under (``apart``: a legend above its axes) lies on
        pixels of the static layer only, so the same layer key gives the same blend: it is
        kept (``blended``) and copied on the next frames, not blended again (1.3 ms of a
        derivation frame in Pyodide, for its two legends)."""
        canvas = self.fig.canvas
        for artist in self.live:
            artist.axes.draw_artist(artist)
        if stamps:
            pixels = np.asarray(canvas.buffer_rgba())
            for (top, left), lit, clear, apart in stamps:  # (colour a + under (255 - a) + 127) // 255
                under = pixels[top : top + clear.shape[0], left : left + clear.shape[1], :3]
                done = self.blended.get((id(lit), self.key)) if apart else None
                if done is not None:
                    self.blended.move_to_end((id(lit), self.key))
                    under[...] = done[1]
                    continue
                mixed = under * clear  # uint16: at most 255 * 255, and lit adds at most 255 a + 127
                mixed += lit
                mixed //= 255
                under[...] = mixed
                if apart:
                    self.blended[(id(lit), self.key)] = (lit, under.copy())  # lit held: its id stays its own
                    while len(self.blended) > 2 * self.LAYERS_KEPT * len(stamps):
                        self.blended.popitem(last=False)
        return rgba(canvas)

    def _stamps(self):
        """Each overlay artist drawn alone on a transparent image, cropped to its pixels:
        [((top, left), lit (h, w, 3), clear (h, w, 1), apart)], both uint16, made once so that
        a frame's blend is three passes: lit = colour * alpha + 127 (rounding), clear = 255 -
        alpha (about a third less of a derivation frame's blending, natively); apart: whether
        no live artist can draw on its pixels (``_apart``). One stamp
        per artist, so that two legends far apart (derivation's, above each of its axes) are
        not one crop spanning the panel between them, blended pixel by pixel every frame.
        The last stamps are used again while the overlay looks the same (``_look``): laying
        out a legend's texts was a third of a new layer's time (derivation, natively)."""
        look = self._look()
        if look is not None and self.stamped is not None and self.stamped[0] == look:
            return self.stamped[1]
        width, height = self.fig.canvas.get_width_height()
        stamps = []
        for artist in self.overlay:
            renderer = RendererAgg(width, height, self.fig.dpi)
            renderer.clear()
            artist.draw(renderer)
            image = np.asarray(renderer.buffer_rgba())
            alpha = image[..., 3]
            rows, cols = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
            if not len(rows):
                continue
            crop = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.uint16)
            colour, alpha = crop[..., :3], crop[..., 3:]
            top, left = int(rows[0]), int(cols[0])
            stamps.append(((top, left), colour * alpha + 127, 255 - alpha,
                           self._apart(top, left, *alpha.shape[:2], height)))
        self.stamped = (look, stamps)
        return stamps

    APART_PAD = 2  # px around a clip box that an antialiased edge at it may still touch

    def _apart(self, top, left, h, w, height):
        """Whether no live artist can draw on the rows top..top+h, columns left..left+w: each is
        clipped to a box (its axes') that, padded by APART_PAD px, misses them."""
        for artist in self.live:
            box = artist.get_clip_box() if artist.get_clip_on() else None
            if box is None:
                return False  # it may draw anywhere
            pad = self.APART_PAD
            x0, x1 = box.x0 - pad, box.x1 + pad
            y0, y1 = height - box.y1 - pad, height - box.y0 + pad  # rows from the top
            if x0 < left + w and left < x1 and y0 < top + h and top < y1:
                return False
        return True

    def _look(self):
        """What decides the overlay's pixels, when it is all legends: each one's visibility,
        the box it is placed against (in pixels: it follows its axes' box) and its texts, with
        their colours and sizes. A legend's handles and frame are made with it, and ``reset``
        comes with a new figure. None (stamps made anew each time) for any other overlay."""
        look = []
        for artist in self.overlay:
            if not isinstance(artist, Legend):
                return None
            texts = tuple((t.get_text(), str(t.get_color()), t.get_fontsize(), t.get_visible())
                          for t in artist.texts)
            look.append((artist.get_visible(), tuple(artist.get_bbox_to_anchor().bounds), texts))
        return tuple(look)


class AxesBlitted(Blitted):
    """A Blitted figure of axes side by side (or stacked) whose limits change apart: a key per axes.

    ``render(keys)`` takes a tuple with a key for each of ``fig.axes``, in order. The
    figure is cut into one cell per axes, across the middle of the gaps between
    them, and each cell's static layer is kept for its axes' own key. So a figure of
    two axes with 12 ranges each needs 24 kept cells, not 144 whole layers, and a
    change of one axes' range reuses the other's cell. A miss of every key draws the
    whole figure and keeps every cell for its key; a miss of some draws only those axes,
    over the figure's background and the other kept cells (``_draw_cells``), and keeps
    their cells. A frame is its cells, the live artists, then the
    overlay's stamps, whether it came from a miss or not, so its pixels are those of a
    fresh draw. That holds while each axes draws inside its own cell (its tight box,
    legends apart, padded by PAD px): checked at every new layer; if not, or if the
    axes are neither in one row nor in one column, the figure is keyed whole.
    """

    PAD = 2

    def reset(self, live_artists, overlay=()):
        super().reset(live_artists, overlay)
        self.cells = None  # per axes: its cell (a Bbox in display pixels)
        self.whole = False  # the cells do not hold their axes: keyed whole
        self.stamps = []
        self.inside = set()  # (axes, key) found inside their cells: an axes draws as its key says

    def render(self, keys):
        keys = tuple(keys)
        if len(keys) != len(self.fig.axes):
            raise ValueError(f"one layer key per axes: {len(self.fig.axes)}, got {len(keys)}")
        if self.whole:
            return super().render(keys)
        canvas = self.fig.canvas
        kept = [self.layers.get((i, key)) for i, key in enumerate(keys)]
        missed = [i for i, cell in enumerate(kept) if cell is None]
        if missed:
            if self.cells is not None and len(missed) < len(keys) and self._alone():
                self._draw_cells(kept, missed)
            else:
                for artist in self.overlay:
                    artist.set_animated(True)
                canvas.draw()
                missed = range(len(keys))
            self.cells = self.cells or self._cells()
            if self.cells is None or not self._inside(keys):
                self.whole, self.layers = True, OrderedDict()
                return super().render(keys)
            self.stamps = self._stamps()
            for i, key in enumerate(keys):
                if i in missed:
                    self.layers.pop((i, key), None)
                    self.layers[(i, key)] = canvas.copy_from_bbox(self.cells[i])
                else:
                    self.layers.move_to_end((i, key))
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

    def _alone(self):
        """Whether the figure draws nothing but its background and its axes (no figure-level
        texts, lines or legends, which would cross the cells)."""
        return all(a is self.fig.patch or a in self.fig.axes or not a.get_visible() or a.get_animated()
                   for a in self.fig.get_children())

    def _draw_cells(self, kept, missed):
        """What a full draw would give, when only some axes' keys missed: the figure's
        background, the kept cells of the others, and the missed axes drawn alone. Each axes
        draws inside its own cell (``_inside``), so each cell's pixels are its axes' over the
        background either way; drawing one axes of two costs a third to two thirds of the
        whole figure (natively: reparam 11 of 26 ms, derivation 19 of 28, tension 10 of 30)."""
        canvas = self.fig.canvas
        renderer = canvas.get_renderer()
        renderer.clear()
        self.fig.patch.draw(renderer)
        for cell in kept:
            if cell is not None:
                canvas.restore_region(cell)
        for ax in self.fig.axes:  # as the full draw fits them, before it draws any
            ax.apply_aspect()
        for i in missed:
            self.fig.axes[i].draw(renderer)

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

    def _inside(self, keys):
        """Whether each axes (legends apart) draws inside its cell, PAD px from the cuts (the
        figure's own edges clip it anyway). An axes draws alike whenever its key is the same,
        so each (axes, key) is measured once."""
        renderer = self.fig.canvas.get_renderer()
        width, height = self.fig.canvas.get_width_height()
        for i, (ax, cell, key) in enumerate(zip(self.fig.axes, self.cells, keys)):
            if (i, key) in self.inside:
                continue
            box = ax.get_tightbbox(renderer, bbox_extra_artists=[]).padded(self.PAD)
            if ((cell.x0 > 0 and box.x0 < cell.x0) or (cell.x1 < width and box.x1 > cell.x1)
                    or (cell.y0 > 0 and box.y0 < cell.y0) or (cell.y1 < height and box.y1 > cell.y1)):
                return False
            self.inside.add((i, key))
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

    def _apart(self, top, left, h, w, height):
        return False  # the live axes are drawn whole, their tick labels unclipped

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
