#!/usr/bin/env python3
"""Render each widget at its default state to static/<key>.png and static/dark/<key>.png.

The page shows these images at once, before Python has loaded, and swaps in
the live canvas when it is ready: the light theme's from static/, the dark
theme's from static/dark/. A test fails when one is stale.

Usage: python scripts/render_static.py [--check]
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "py"))

import elbo_lab.plotting.agg as agg  # noqa: E402  (importing it installs the Agg backend)
from elbo_lab import plotting, session, widgets  # noqa: E402

OUT = ROOT / "static"
THEMES = ("light", "dark")


def drawn():
    """The figures that have a picture (all but the architecture's numbers)."""
    return [key for key, module in widgets.FIGURES.items() if hasattr(module, "draw")]


def path(key, theme="light"):
    """Where widget ``key``'s static image in ``theme`` lives."""
    return OUT / f"{key}.png" if theme == "light" else OUT / theme / f"{key}.png"


def render(key, theme="light"):
    """PNG of widget ``key`` at its default parameters in ``theme``: the pixels it paints live.

    The training lab's figures show a freshly reset run at the default settings
    (epoch 0), whatever the session held before, so their images are reproducible.
    The figures' theme is restored afterwards.
    """
    previous = plotting.get_theme()
    plotting.set_theme(theme)
    try:
        if key.startswith("lab_"):
            session.reset()
        return agg.png_bytes(widgets.run(key)["image"])
    finally:
        plotting.set_theme(previous)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if an image is stale")
    args = ap.parse_args(argv)
    stale = []
    for theme in THEMES:
        for key in drawn():
            png, out = render(key, theme), path(key, theme)
            if args.check:
                if not out.exists() or out.read_bytes() != png:
                    stale.append(out.relative_to(OUT).as_posix())
            else:
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(png)
                print(f"wrote {out.relative_to(ROOT)}")
    if stale:
        print("stale: " + ", ".join(stale) + " (run python scripts/render_static.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
