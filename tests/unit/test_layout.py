"""No figure cuts off its own text: every axes' tick labels, axis labels and
titles lie inside the image, at the page's defaults and at both ends of every
slider, in both layouts. (The wide layout places its axes by hand, and the
narrow one fixes its layout at the first draw, so a longer tick label or a label
too near the edge would otherwise be clipped without any error.) On a phone, the
narrow layout's text reads at least 11 CSS px and no two labels overlap."""

import inspect
import itertools

import pytest
from matplotlib.text import Text

from elbo_lab import plotting, session, widgets

SLACK_PX = 0.5
DRAWN = [name for name, module in widgets.FIGURES.items() if hasattr(module, "draw")]


def _cases():
    """(figure, params): its defaults, then each slider at its min and its max (from the
    Python spec: the page's sliders are generated from it)."""
    cases = []
    for name in DRAWN:
        cases.append((name, {}))
        for p in widgets.FIGURES[name].PARAMS:
            if not p.control or p.kind != "range":
                continue
            for end in p.slider_range:
                cases.append((name, {p.name: end}))
    return cases


@pytest.fixture(scope="module")
def light_afterwards():
    yield
    plotting.set_theme("light")
    plotting.set_layout("wide")


@pytest.fixture(params=plotting.LAYOUTS)
def layout(request, light_afterwards):
    plotting.set_layout(request.param)
    return request.param


def _overflow(fig):
    """[(axes index, its tight bbox)] for every axes whose drawn extent leaves the figure."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    out = []
    for i, ax in enumerate(fig.axes):
        box = ax.get_tightbbox(renderer)
        if box is None:
            continue
        if (box.x0 < -SLACK_PX or box.y0 < -SLACK_PX or box.x1 > width + SLACK_PX
                or box.y1 > height + SLACK_PX):
            out.append((i, [round(v, 1) for v in (box.x0, box.y0, box.x1, box.y1)]))
    return out


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("call, params", _cases(), ids=lambda v: str(v) if isinstance(v, str) else
                         ",".join(f"{k}={x:g}" for k, x in v.items()) or "defaults")
def test_no_text_outside_the_figure(layout, theme, call, params):
    plotting.set_theme(theme)
    if call.startswith("lab_"):
        session.reset()  # a new run: the lab's figures cache their images per run and theme
    out = widgets.run(call, **params)
    assert out["image"] is not None, out
    cached = plotting.view(call)
    fig = getattr(cached, "fig", None)
    assert fig is not None, f"{call} left no kept figure in plotting.view({call!r})"
    bad = _overflow(fig)
    assert not bad, (f"{call} {params}: axes drawn past the {fig.bbox.width:g}x{fig.bbox.height:g} "
                     f"image (index, [x0, y0, x1, y1]): {bad}")


def _forget(call):
    """Draw ``call`` afresh from now on: a theme switch drops every kept figure, and a lab
    figure's kept results go with a new run (the same settings: the same weights)."""
    plotting.set_theme("dark")
    plotting.set_theme("light")
    if call.startswith("lab_"):
        session.reset()


@pytest.mark.parametrize("call", sorted({call for call, _ in _cases()}))
def test_a_kept_layer_gives_the_figure_drawn_afresh(layout, call):
    """A figure keeps the static layers of its last few axis ranges and, on a range it
    has drawn before, blits onto the kept layer. Going over the same states again
    (mostly from kept layers) must give the pixels a new figure draws for each."""
    states = [params for name, params in _cases() if name == call]
    states += states[:1]  # back to the defaults
    _forget(call)
    for params in states:  # keep a layer for each state's range
        widgets.run(call, **params)
    if call.startswith("lab_"):
        session.reset()  # new weights' version, the same weights: computed again, drawn on kept layers
    again = [widgets.run(call, **params)["image"]["rgba"] for params in states]
    for params, image in zip(states, again):
        _forget(call)
        fresh = widgets.run(call, **params)["image"]["rgba"]
        assert bytes(image) == bytes(fresh), (call, params)


def test_live_axes_frames_are_the_full_draw(layout):
    """lab_posterior redraws only its plane over a kept layer of the digit panels
    (``agg.LiveAxes``). Each frame must be the pixels of a plain matplotlib draw of the
    whole figure, but for the legend, laid on as a stamp (a rounding of at most 2 levels
    per channel, inside the legend)."""
    import numpy as np


    _forget("lab_posterior")
    session.advance(ms=1500.0)
    for digit in (0, 5, 11):  # a new plane each time, over the layer kept at the first
        frame = widgets.run("lab_posterior", digit=digit)["image"]
        view = plotting.view("lab_posterior")
        frame = np.frombuffer(frame["rgba"], np.uint8).reshape(frame["height"], frame["width"], 4)
        for artist in view.live + view.overlay:
            artist.set_animated(False)
        try:
            view.fig.canvas.draw()
            plain = np.asarray(view.fig.canvas.buffer_rgba()).astype(int)
            legend = view.overlay[0].get_window_extent()
        finally:
            for artist in view.live + view.overlay:
                artist.set_animated(True)
        diff = np.abs(plain - frame).max(axis=2)
        height = frame.shape[0]
        rows, cols = np.nonzero(diff)
        inside = ((cols >= legend.x0 - 1) & (cols <= legend.x1 + 1)
                  & (height - rows >= legend.y0 - 1) & (height - rows <= legend.y1 + 1))
        assert inside.all(), f"digit {digit}: pixels differ outside the legend"
        assert diff.max() <= 2, f"digit {digit}: the legend's stamp is {diff.max()} levels off"


def test_live_axes_refuse_overlapping_axes():
    import elbo_lab.plotting.agg as agg

    fig = agg.new_figure(320, 200)
    a = fig.add_axes((0.1, 0.1, 0.5, 0.8))
    b = fig.add_axes((0.4, 0.1, 0.5, 0.8))
    with pytest.raises(ValueError, match="overlap"):
        agg.LiveAxes(fig, b, []).render()
    assert a in fig.axes


PHONE_CSS_PX = 296  # a 360 px phone's column: the width the page shows a figure at
SMALLEST_CSS_PX = 11


def _drawn_texts(fig, monkeypatch):
    """The non-empty texts a full draw of the whole figure draws (ticks in view, labels,
    titles, legends, notes), the blitted live artists and overlays included."""
    drawn, original = [], Text.draw

    def draw(self, renderer):
        if self.get_visible() and self.get_text().strip():
            drawn.append(self)
        return original(self, renderer)

    animated = [artist for artist in fig.findobj() if artist.get_animated()]
    for artist in animated:
        artist.set_animated(False)
    monkeypatch.setattr(Text, "draw", draw)
    try:
        fig.canvas.draw()
    finally:
        monkeypatch.undo()
        for artist in animated:
            artist.set_animated(True)
    return drawn


@pytest.mark.parametrize("call, params", _cases(), ids=lambda v: str(v) if isinstance(v, str) else
                         ",".join(f"{k}={x:g}" for k, x in v.items()) or "defaults")
def test_narrow_text_reads_on_a_phone_and_never_overlaps(light_afterwards, monkeypatch, call, params):
    plotting.set_layout("narrow")
    if call.startswith("lab_"):
        session.reset()
    widgets.run(call, **params)
    fig = plotting.view(call).fig
    scale = PHONE_CSS_PX / fig.bbox.width  # CSS px per image px
    texts = _drawn_texts(fig, monkeypatch)
    assert texts
    small = [(t.get_text(), round(t.get_fontsize() * fig.dpi / 72 * scale, 1)) for t in texts
             if t.get_fontsize() * fig.dpi / 72 * scale < SMALLEST_CSS_PX]
    assert not small, f"{call}: text under {SMALLEST_CSS_PX} CSS px on a phone: {small}"
    renderer = fig.canvas.get_renderer()
    boxes = [(t, t.get_window_extent(renderer).padded(-1)) for t in texts]
    clashes = [(a.get_text(), b.get_text()) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
               if box_a.overlaps(box_b)]
    assert not clashes, f"{call} {params}: labels overlap: {clashes}"


def test_each_overlay_artist_is_a_stamp_of_its_own_pixels(layout):
    """Legends are laid on each frame from stamps, one per overlay artist and cropped to its
    pixels: derivation's two legends (above each of its axes) are two stamps, each inside its
    legend's box, not one crop spanning the panel between them."""
    _forget("derivation")
    widgets.run("derivation")
    view = plotting.view("derivation")
    stamps = view.stamps or next(iter(view.layers.values()))[1]
    height = view.fig.canvas.get_width_height()[1]
    renderer = view.fig.canvas.get_renderer()
    boxes = [artist.get_window_extent(renderer).padded(2) for artist in view.overlay]
    assert len(stamps) == len(view.overlay) == 2
    for (top, left), _, clear, _ in stamps:
        h, w = clear.shape[:2]
        x0, y0, x1, y1 = left, height - top - h, left + w, height - top  # display pixels, y up
        inside = [i for i, b in enumerate(boxes)
                  if b.x0 <= x0 and b.y0 <= y0 and x1 <= b.x1 and y1 <= b.y1]
        assert len(inside) == 1, ((x0, y0, x1, y1), boxes)


@pytest.mark.parametrize("call", [name for name in DRAWN
                                  if "AxesBlitted" in inspect.getsource(widgets.FIGURES[name])])
def test_a_new_layer_of_some_axes_gives_the_figure_drawn_afresh(layout, call):
    """A figure keyed per axes (``agg.AxesBlitted``) whose new values miss the kept cells
    of only some of its axes draws just those axes, over the background and the others'
    kept cells. Each such frame must be the pixels a new figure draws."""
    _forget(call)
    widgets.run(call)
    view = plotting.view(call)
    if not isinstance(view, plotting.agg.AxesBlitted):
        pytest.skip(f"{call} is not keyed per axes")
    partial = []
    draw_cells = view._draw_cells
    view._draw_cells = lambda kept, missed: (partial.append(list(missed)), draw_cells(kept, missed))
    states = [params for name, params in _cases() if name == call]
    frames = []
    for params in states:
        before = len(partial)
        frames.append((params, widgets.run(call, **params)["image"]["rgba"], len(partial) > before))
    if not any(drawn for *_, drawn in frames):
        assert call not in ("reparam", "derivation"), f"{call}: n or mu alone changes one axes' key"
        pytest.skip(f"no state of {call} missed only some axes' cells")
    for params, image, drawn in frames:
        if drawn:
            _forget(call)
            assert bytes(image) == bytes(widgets.run(call, **params)["image"]["rgba"]), (call, params)


@pytest.mark.parametrize("inside", [False, True], ids=["legend above", "legend over the curve"])
def test_a_kept_blend_of_a_stamp_is_used_only_where_no_live_artist_draws(inside):
    """A legend's blend is kept per layer key and copied on later frames only when no live
    artist can draw under it (``Blitted._apart``): a legend above its axes. A legend over the
    axes, which the moving curve crosses, is blended on every frame. Either way each frame
    is the pixels of the same figure drawn afresh."""
    import numpy as np

    agg = plotting.agg

    def make():
        fig = agg.new_figure(320, 240)
        ax = fig.add_axes((0.15, 0.15, 0.8, 0.6))
        ax.set_xlim(0, 1)
        ax.set_ylim(-1, 1)
        (line,) = ax.plot([], [], lw=3, label="a moving curve")
        legend = (ax.legend(loc="center") if inside else
                  agg.legend_above(ax, ncol=1))
        return agg.Blitted(fig, [line], overlay=[legend]), line

    def frame(view, line, shift):
        x = np.linspace(0, 1, 50)
        line.set_data(x, np.sin(6 * x + shift))
        return bytes(view.render("one key")["rgba"])

    view, line = make()
    frames = [frame(view, line, shift) for shift in (0.0, 1.0, 2.0, 1.0)]
    (stamp,) = view.stamped[1]
    assert stamp[3] is (not inside)
    assert len(view.blended) == (0 if inside else 1)
    for shift, image in zip((0.0, 1.0, 2.0, 1.0), frames):
        fresh, fresh_line = make()
        assert image == frame(fresh, fresh_line, shift), shift


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_digit_pixels_coloured_ahead_are_matplotlibs_own(theme):
    """``agg.set_pixels`` colours a digit mosaic through the image's colormap table before
    matplotlib resamples it. Each frame must be the pixels ``set_data`` gives: tiles of
    random ink, the ends 0 and 1, a colour boundary (0.5) and NaN gaps."""
    import numpy as np

    from elbo_lab.plotting.tiles import mosaic

    agg = plotting.agg
    plotting.set_theme(theme)
    try:
        fig = agg.new_figure(320, 240)
        ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
        agg.digit_axes(ax)
        image = ax.imshow(np.zeros((28, 28)), cmap=agg.grey_cmap(), vmin=0, vmax=1,
                          interpolation="nearest")
        rng = np.random.default_rng(7)
        digits = rng.random((7, 784))
        digits[0, :100], digits[1, :100], digits[2, :100] = 0.0, 1.0, 0.5
        values = mosaic(digits, 3)  # 3 x 3 tiles, two of them empty gaps (NaN)
        frames = []
        for colour in (image.set_data, lambda v: agg.set_pixels(image, v)):
            colour(values)
            fig.canvas.draw()
            frames.append(np.asarray(fig.canvas.buffer_rgba()).copy())
        assert np.isnan(values).any()
        assert np.array_equal(frames[0], frames[1])
    finally:
        plotting.set_theme("light")
