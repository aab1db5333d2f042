"""No figure cuts off its own text: every axes' tick labels, axis labels and
titles lie inside the image, at the page's defaults and at both ends of every
slider. (The figures place their axes by hand, so a longer tick label or a
label too near the edge would otherwise be clipped without any error.)"""

import pytest

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
def test_no_text_outside_the_figure(light_afterwards, theme, call, params):
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
def test_a_kept_layer_gives_the_figure_drawn_afresh(light_afterwards, call):
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
