"""Plotting: the theme, the cache of figures, and the drawing backend, once installed.

This package imports no matplotlib, because the page's numbers go live before
matplotlib has loaded (it takes seconds in the browser). Drawing is done by a
backend module, ``plotting/agg.py``, which imports matplotlib and installs itself
here when it is imported: by the browser's worker once matplotlib has loaded, and
by native programs (tests, scripts) at their start. Until then ``enabled()`` is
False and figures answer with numbers only.

A figure module (``widgets/<name>.py``) draws in two parts: ``build(agg)`` makes
its matplotlib figure once (per theme and layout) and returns a view; ``draw(agg, view,
**arrays)`` updates that view and returns the image. ``render`` keeps the views.

Two layouts: "wide" (the desktop column: 640 px at 100 dpi, panels side by side)
and "narrow" (a phone's column: the same 640 px across only ``NARROW_INCHES``, so
text and lines are about twice as large against the figure, panels stacked). The
page picks one from the width it shows the figures at (``set_layout``).
"""

from ..checks import choice
from . import theme
from .theme import THEME, THEMES, get_theme

__all__ = ["LAYOUTS", "THEME", "THEMES", "axes_box", "enabled", "get_layout", "get_theme", "install",
           "render", "set_layout", "set_theme", "view"]

LAYOUTS = ("wide", "narrow")
_layout = {"name": "wide"}
_backend = None  # the installed drawing backend: the module plotting.agg
_views = {}  # figure name -> the view its build() made, in the current theme


def install(backend):
    """Draw with ``backend`` from now on (``plotting/agg.py`` calls this on import)."""
    global _backend
    _backend = backend


def enabled():
    """Whether figures can be drawn: a backend is installed."""
    return _backend is not None


def set_theme(name):
    """Draw from now on in theme ``name``: "light" or "dark" (else ParamError "theme ...").

    Switching drops every kept figure, so each is built again in the new colours on
    its next call. The current theme again is a no-op.
    """
    if theme.switch(name):
        _views.clear()


def get_layout():
    """The current layout's name: "wide" or "narrow"."""
    return _layout["name"]


def set_layout(name):
    """Lay figures out from now on for ``name``: "wide" or "narrow" (else ParamError
    "layout ..."). Like a theme switch, a change drops every kept figure."""
    name = choice("layout", name, LAYOUTS)
    if name != _layout["name"]:
        _layout["name"] = name
        _views.clear()


def render(name, build, draw, arrays):
    """The image of figure ``name``: its kept view (made by ``build`` on first use), updated
    by ``draw`` with ``arrays`` (a dict of keyword arguments)."""
    view_ = _views.get(name)
    if view_ is None:
        view_ = _views[name] = build(_backend)
    return draw(_backend, view_, **arrays)


def view(name):
    """The kept view of figure ``name`` (None before its first drawing): for tests."""
    return _views.get(name)


def axes_box(name, x, y):
    """Where figure ``name``'s draggable axes (``view.drag_axes``) are, for the page to map a
    pointer to data: {"box": [left, top, width, height] in image pixels from the top left,
    "xlim", "ylim": the data limits, "x", "y": the parameters the two axes set}."""
    ax = _views[name].drag_axes
    box = ax.get_window_extent()
    height = ax.figure.bbox.height
    return {"box": [float(box.x0), float(height - box.y1), float(box.width), float(box.height)],
            "xlim": [float(v) for v in ax.get_xlim()], "ylim": [float(v) for v in ax.get_ylim()],
            "x": x, "y": y}
