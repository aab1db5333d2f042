#!/usr/bin/env python3
"""Render each widget at its default state to static/<key>.png.

The page shows these images at once, before Python has loaded, and swaps in
the live canvas when it is ready. A test fails when one is stale.

Usage: python scripts/render_static.py [--check]
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "py"))

from elbo_lab import lab, widgets  # noqa: E402
from elbo_lab.figures import png_bytes  # noqa: E402

OUT = ROOT / "static"


def render(key):
    """PNG of widget ``key`` at its default parameters: the very pixels it paints live.

    The training lab's figures show a freshly reset run at the default settings
    (epoch 0), whatever the session held before, so their images are reproducible.
    """
    if key.startswith("lab_"):
        lab.reset()
    return png_bytes(widgets.WIDGETS[key]()["image"])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if an image is stale")
    args = ap.parse_args(argv)
    stale = []
    for key in widgets.WIDGETS:
        png, path = render(key), OUT / f"{key}.png"
        if args.check:
            if not path.exists() or path.read_bytes() != png:
                stale.append(path.name)
        else:
            OUT.mkdir(exist_ok=True)
            path.write_bytes(png)
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print("stale: " + ", ".join(stale) + " (run python scripts/render_static.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
