#!/usr/bin/env python3
"""Render each widget at its default state to static/[narrow/][dark/]<key>.png.

The page shows these images at once, before Python has loaded, and swaps in
the live canvas when it is ready: the light theme's from static/, the dark
theme's from static/dark/, and for a narrow column (a phone) the narrow
layout's from static/narrow/ and static/narrow/dark/. A test fails when one is stale.

Usage: python scripts/render_static.py [--check]
"""

import argparse
import itertools
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "py"))

import elbo_lab.plotting.agg as agg  # noqa: E402  (importing it installs the Agg backend)
from elbo_lab import plotting, session, widgets  # noqa: E402

OUT = ROOT / "static"
THEMES = ("light", "dark")
LAYOUTS = ("wide", "narrow")


def drawn():
    """The figures that have a picture (all but the architecture's numbers)."""
    return [key for key, module in widgets.FIGURES.items() if hasattr(module, "draw")]


def path(key, theme="light", layout="wide"):
    """Where widget ``key``'s static image in ``theme`` and ``layout`` lives."""
    folder = OUT if layout == "wide" else OUT / layout
    return folder / f"{key}.png" if theme == "light" else folder / theme / f"{key}.png"


def render(key, theme="light", layout="wide"):
    """PNG of widget ``key`` at its default parameters in ``theme``: the pixels it paints live.

    The training lab's figures show a freshly reset run at the default settings
    (epoch 0), whatever the session held before, so their images are reproducible.
    The figures' theme and layout are restored afterwards.
    """
    previous = plotting.get_theme(), plotting.get_layout()
    plotting.set_theme(theme)
    plotting.set_layout(layout)
    try:
        if key.startswith("lab_"):
            session.reset()
        return agg.png_bytes(widgets.run(key)["image"])
    finally:
        plotting.set_theme(previous[0])
        plotting.set_layout(previous[1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if an image is stale")
    ap.add_argument("--only", help="comma-separated figure keys (default: all)")
    ap.add_argument("--layout", choices=LAYOUTS, help="one layout only (default: both)")
    args = ap.parse_args(argv)
    stale = []
    keys = args.only.split(",") if args.only else drawn()
    for layout, theme, key in itertools.product([args.layout] if args.layout else LAYOUTS, THEMES, keys):
        png, out = render(key, theme, layout), path(key, theme, layout)
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
