#!/usr/bin/env python3
"""Copy KaTeX, as npm installed it (package.json pins the version), into vendor/katex/.

The page typesets its mathematics with this copy, served beside it, so the article
stays readable when no CDN can be reached and from a double-clicked file. Copied
unchanged: the minified script, its auto-render extension, the stylesheet, the woff2
fonts (the stylesheet lists woff2 first, which every current browser reads) and the
MIT licence. tests/browser/test_pins.py checks the copy against node_modules.

Usage: npm ci && python3 scripts/vendor_katex.py
"""

import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "node_modules" / "katex"
TARGET = ROOT / "vendor" / "katex"
FILES = ["dist/katex.min.js", "dist/katex.min.css", "dist/contrib/auto-render.min.js", "LICENSE"]


def files():
    """(source, target) pairs: the FILES and every woff2 font."""
    pairs = [(SOURCE / name, TARGET / name.removeprefix("dist/")) for name in FILES]
    for font in sorted((SOURCE / "dist" / "fonts").glob("*.woff2")):
        pairs.append((font, TARGET / "fonts" / font.name))
    return pairs


def main():
    version = json.loads((SOURCE / "package.json").read_text())["version"]
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["katex"]
    if version != pinned:
        raise SystemExit(f"node_modules has KaTeX {version}, package.json pins {pinned}: run npm ci")
    if TARGET.exists():
        shutil.rmtree(TARGET)
    for source, target in files():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    print(f"copied KaTeX {version} into {TARGET.relative_to(ROOT)} ({len(files())} files)")


if __name__ == "__main__":
    main()
