"""No figure cuts off its own text: every axes' tick labels, axis labels and
titles lie inside the image, at the page's defaults and at both ends of every
slider. (The figures place their axes by hand, so a longer tick label or a
label too near the edge would otherwise be clipped without any error.)"""

import re

import pytest

from elbo_lab import figures, lab, widgets
from test_generated import ROOT, _element, _table_rows

SLACK_PX = 0.5
UNCACHED = {"architecture"}  # drawn once and kept as an image, so no figure to measure


def _cases():
    """(widget, params): the page's defaults, then each slider at its min and its max."""
    page = (ROOT / "index.html").read_text()
    cases = []
    for call, params, _show in _table_rows():
        if call in UNCACHED:
            continue
        cases.append((call, {}))
        for name, element_id in params.items():
            tag = _element(page, element_id).group(0)
            if 'type="range"' not in tag:
                continue
            for end in ("min", "max"):
                value = float(re.search(rf'\b{end}="([^"]*)"', tag).group(1))
                cases.append((call, {name: value}))
    return cases


@pytest.fixture(scope="module")
def plotting():
    widgets.enable_plotting()
    yield
    figures.set_theme("light")


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
def test_no_text_outside_the_figure(plotting, theme, call, params):
    figures.set_theme(theme)
    if call.startswith("lab_"):
        lab.reset()  # a new run: the lab's widgets cache their images per run and theme
    out = widgets.call(call, params)
    assert "error" not in out, out
    cached = figures._FIGURES.get(call)
    fig = getattr(cached, "fig", None)
    assert fig is not None, f"{call} left no cached figure in figures._FIGURES"
    bad = _overflow(fig)
    assert not bad, (f"{call} {params}: axes drawn past the {fig.bbox.width:g}x{fig.bbox.height:g} "
                     f"image (index, [x0, y0, x1, y1]): {bad}")


@pytest.mark.parametrize("call", sorted({call for call, _ in _cases()}))
def test_a_kept_layer_gives_the_figure_drawn_afresh(plotting, call):
    """A figure keeps the static layers of its last few axis ranges and, on a range it
    has drawn before, blits onto the kept layer. Going over the same states again
    (mostly from kept layers) must give the pixels a new figure draws for each."""
    figures.set_theme("light")
    if call.startswith("lab_"):
        lab.reset()
    states = [params for name, params in _cases() if name == call]
    states += states[:1]  # back to the defaults
    figures._FIGURES.pop(call, None)
    for params in states:  # keep a layer for each state's range
        widgets.call(call, params)
    again = [widgets.call(call, params)["image"]["rgba"] for params in states]
    for params, image in zip(states, again):
        figures._FIGURES.pop(call, None)
        fresh = widgets.call(call, params)["image"]["rgba"]
        assert bytes(image) == bytes(fresh), (call, params)
