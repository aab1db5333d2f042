"""The figures' two colour themes, "light" and "dark", and the current one, ``THEME``.

Okabe-Ito colours: distinguishable with the common colour-vision deficiencies. The
dark theme keeps their hues, lightened where the original is too dark on a dark
background. "digits": the ten classes' colours, the eight Okabe-Ito colours (black
as dark grey) plus two of Paul Tol's; each point is drawn as its digit, so the
classes never rest on colour alone. "ink": a digit's full-intensity pixels; zero
intensity is the background. No matplotlib here: the page asks for the theme
before matplotlib has loaded.
"""

from ..checks import choice

__all__ = ["THEME", "THEMES", "get_theme", "switch"]

THEMES = {
    "light": {
        "q": "#0072B2",  # approximate posterior / encoder distribution
        "prior": "#6b6b6b",  # the prior N(0, 1)
        "accent": "#D55E00",
        "posterior": "#D55E00",  # the exact posterior p(z|x) (vermillion)
        "mc": "#009E73",  # Monte Carlo estimates (bluish green)
        "alt": "#E69F00",  # a second estimator (orange)
        "forward": "#CC79A7",  # the forward-KL (mass-covering) fit (reddish purple)
        "text": "#222222",
        "minor": "#000000",  # minor ticks and their labels (log axes): matplotlib's default
        "grid": "#e4e4e4",
        "background": "#ffffff",
        "ink": "#000000",
        "digits": ("#E69F00", "#56B4E9", "#009E73", "#D4B000", "#0072B2", "#D55E00",
                   "#CC79A7", "#444444", "#882255", "#44AA99"),
        "font_size": 11,
    },
    "dark": {  # on the page's panel colour; lines, text, ink and digits >= 4.5:1 against it
        "q": "#56B4E9",  # Okabe-Ito sky blue
        "prior": "#a3a3a8",
        "accent": "#E8743B",  # vermillion, lightened
        "posterior": "#E8743B",
        "mc": "#009E73",
        "alt": "#E69F00",
        "forward": "#CC79A7",
        "text": "#e4e4e7",
        "minor": "#e4e4e7",
        "grid": "#30343c",
        "background": "#1e2128",
        "ink": "#f4f4f5",
        "digits": ("#E69F00", "#56B4E9", "#009E73", "#D4B000", "#6E8BFF", "#E8743B",
                   "#CC79A7", "#d4d4d8", "#C58BE8", "#44AA99"),
        "font_size": 11,
    },
}

THEME = dict(THEMES["light"])  # the current theme: updated in place by switch
_current = {"name": "light"}


def get_theme():
    """The current theme's name: "light" or "dark"."""
    return _current["name"]


def switch(name):
    """Make ``name`` ("light" or "dark") the current theme; True if that changed it."""
    name = choice("theme", name, tuple(THEMES))
    if name == _current["name"]:
        return False
    THEME.clear()
    THEME.update(THEMES[name])
    _current["name"] = name
    return True
