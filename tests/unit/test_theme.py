"""The figures' light and dark themes: real renders of every figure, switching, contrast."""

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from elbo_lab import plotting, session, widgets

KEYS = [name for name, module in widgets.FIGURES.items() if hasattr(module, "draw")]


def _linear(channel):
    """sRGB channel(s) in [0, 1] -> linear light (WCAG 2)."""
    channel = np.asarray(channel, dtype=float)
    return np.where(channel <= 0.04045, channel / 12.92, ((channel + 0.055) / 1.055) ** 2.4)


def _luminance(rgb):
    """WCAG relative luminance of (..., 3) sRGB values in [0, 1]."""
    lin = _linear(rgb)
    return 0.2126 * lin[..., 0] + 0.7152 * lin[..., 1] + 0.0722 * lin[..., 2]


def _contrast(a, b):
    la, lb = sorted((float(_luminance(np.array(to_rgb(c)))) for c in (a, b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _render(key):
    """Figure ``key`` at its defaults as (H, W, 4) uint8 pixels (the lab from a fresh reset)."""
    if key.startswith("lab_"):
        session.reset()
    image = widgets.run(key)["image"]
    return np.frombuffer(image["rgba"], np.uint8).reshape(image["height"], image["width"], 4)


@pytest.fixture(autouse=True)
def _light_afterwards():
    """Leave the figures in the light theme whatever a test did, for the other modules."""
    yield
    plotting.set_theme("light")


@pytest.fixture(scope="module")
def light_before():
    """Every figure rendered in light from freshly built figures, before any switch here."""
    plotting.set_theme("dark")
    plotting.set_theme("light")  # a switch drops every kept figure: each is built afresh
    assert all(plotting.view(key) is None for key in KEYS)
    return {key: _render(key) for key in KEYS}


@pytest.mark.parametrize("key", KEYS)
def test_dark_render_is_dark_with_light_text_and_light_comes_back_exactly(key, light_before):
    plotting.set_theme("dark")
    pixels = _render(key)
    lum = _luminance(pixels[..., :3] / 255.0)
    assert lum[0, 0] < 0.2 and lum[-1, -1] < 0.2, "corner is not dark"
    assert np.median(lum) < 0.2
    assert np.count_nonzero(lum > 0.6) >= 100, "no light pixels: the text is not light"
    # nothing in the dark theme is pure white (its lightest is the digits' ink): white here
    # is a matplotlib default showing through, e.g. an axes' own facecolour
    assert not np.any(np.all(pixels[..., :3] == 255, axis=-1)), "white pixels in dark"
    assert np.all(pixels[..., 3] == 255)
    plotting.set_theme("light")
    np.testing.assert_array_equal(_render(key), light_before[key])


def _drawn_colours(fig):
    """(artist, colour) for every colour a figure draws with: backgrounds, lines, markers,
    patches, collections, visible non-empty text, and image colormaps' ends and gaps."""
    from matplotlib.collections import Collection
    from matplotlib.image import AxesImage
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.text import Text

    def shown(artist):
        return artist.get_visible() and (not isinstance(artist, Text) or artist.get_text().strip())

    for artist in fig.findobj(shown):
        if isinstance(artist, AxesImage):
            cmap = artist.get_cmap()
            yield artist, [cmap(0.0), cmap(1.0), cmap.get_bad()]
        elif isinstance(artist, Line2D):
            if artist.get_linestyle() not in ("None", "", " ") and artist.get_linewidth() > 0:
                yield artist, artist.get_color()
            if artist.get_marker() not in ("None", "", " ", None):
                yield artist, [artist.get_markerfacecolor(), artist.get_markeredgecolor()]
        elif isinstance(artist, Text):
            yield artist, artist.get_color()
        elif isinstance(artist, (Patch, Collection)):
            yield artist, artist.get_facecolor()
            if np.any(np.asarray(artist.get_linewidth()) > 0):
                yield artist, artist.get_edgecolor()
        elif hasattr(artist, "get_facecolor"):  # the figure
            yield artist, artist.get_facecolor()


def test_every_drawn_colour_comes_from_the_theme():
    """No hard-coded colours or matplotlib defaults (black text, white axes) in the dark figures."""
    from matplotlib.colors import to_hex, to_rgba_array

    plotting.set_theme("dark")
    for key in KEYS:
        _render(key)
    dark = plotting.THEMES["dark"]
    allowed = {to_hex(c) for c in [*(v for v in dark.values() if isinstance(v, str)),
                                   *dark["digits"]]}
    strays = set()
    for name in KEYS:
        view = plotting.view(name)
        assert hasattr(view, "fig"), name
        for artist, colour in _drawn_colours(view.fig):
            if isinstance(colour, str) and colour == "none":
                continue
            for rgba in to_rgba_array(colour):
                if rgba[3] > 0 and to_hex(rgba[:3]) not in allowed:
                    strays.add((name, type(artist).__name__, to_hex(rgba[:3])))
    assert not strays


@pytest.mark.parametrize("name", ["Dark", "", "blue", None, 1, ["dark"]])
def test_set_theme_rejects_unknown_names(name):
    with pytest.raises(ValueError, match="^theme must be"):
        plotting.set_theme(name)
    assert plotting.get_theme() == "light"


def _no_views():
    return all(plotting.view(name) is None for name in widgets.FIGURES)


def test_same_theme_keeps_the_cache_and_a_switch_drops_it():
    plotting.set_theme("light")
    widgets.run("kl")
    view = plotting.view("kl")
    assert view is not None
    plotting.set_theme("light")
    assert plotting.view("kl") is view
    plotting.set_theme("dark")
    assert plotting.get_theme() == "dark" and _no_views()
    assert plotting.THEME == plotting.THEMES["dark"]
    widgets.run("kl")
    dark_view = plotting.view("kl")
    plotting.set_theme("dark")
    assert plotting.view("kl") is dark_view
    plotting.set_theme("light")
    assert plotting.get_theme() == "light" and _no_views()
    assert plotting.THEME == plotting.THEMES["light"]


def test_themes_have_the_same_entries_and_are_not_changed_by_switching():
    light, dark = (dict(plotting.THEMES[name]) for name in ("light", "dark"))
    assert set(light) == set(dark)
    assert len(light["digits"]) == len(dark["digits"]) == 10
    for name in ("dark", "light", "dark", "light"):
        plotting.set_theme(name)
    assert plotting.THEMES["light"] == light and plotting.THEMES["dark"] == dark


LINES = ("q", "prior", "accent", "posterior", "mc", "alt", "forward", "ink")
# colours some figure also uses for text (labels in the architecture diagram, the latent
# plane's 1σ/2σ and numbers, the digit legend)
TEXT = ("text", "q", "prior", "accent", "mc")


def _colours(theme, keys):
    for key in keys:
        yield key, theme[key]
    if keys is LINES or keys is TEXT:
        for d, colour in enumerate(theme["digits"]):
            yield f"digit {d}", colour


def test_dark_colours_stand_out_from_the_dark_background():
    dark = plotting.THEMES["dark"]
    for name, colour in _colours(dark, LINES):
        assert _contrast(colour, dark["background"]) >= 3.0, name
    for name, colour in _colours(dark, TEXT):
        assert _contrast(colour, dark["background"]) >= 4.5, name


# The light theme is pinned pixel for pixel to the published figures, and these of its
# Okabe-Ito colours are below 3:1 on white (the class colours are drawn as the digits
# themselves, so the classes never rest on colour alone). Exactly these: a change shows.
LIGHT_BELOW_3 = {"alt", "digit 0", "digit 1", "digit 3", "digit 9"}


def test_light_text_is_readable_and_its_weak_colours_are_the_known_ones():
    light = plotting.THEMES["light"]
    assert light["background"] == "#ffffff"
    assert _contrast(light["text"], light["background"]) >= 4.5
    assert _contrast(light["ink"], light["background"]) >= 4.5
    weak = {name for name, colour in _colours(light, LINES)
            if _contrast(colour, light["background"]) < 3.0}
    assert weak == LIGHT_BELOW_3


def test_contrast_matches_known_wcag_values():
    assert _contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert _contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
