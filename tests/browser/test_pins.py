"""The page's pins match the files the browser tests serve: the vendored KaTeX is
node_modules' copy (npm ci), and Pyodide's core is the verified mirror's
(scripts/build_mirror.py). No browser is started; these need the mirror and
node_modules, which the unit tests do without."""

import base64
import hashlib
import json
import re
import sys

import pytest

import harness
from harness import ROOT

sys.path.insert(0, str(ROOT / "scripts"))  # vendor_katex

pytestmark = pytest.mark.browser  # needs what the browser tests need: the mirror, node_modules


def test_the_vendored_katex_is_the_pinned_npm_package_unchanged():
    """The page typesets with vendor/katex, a copy of the npm package package.json pins
    (scripts/vendor_katex.py): every file byte for byte, every font its stylesheet lists
    first present, and the page loads nothing of KaTeX's from elsewhere."""
    import vendor_katex

    npm = json.loads((ROOT / "node_modules" / "katex" / "package.json").read_text())
    assert npm["version"] == harness.katex_version()
    pairs = vendor_katex.files()
    for source, target in pairs:
        assert target.read_bytes() == source.read_bytes(), target
    kept = {target for _, target in pairs}
    assert {p for p in vendor_katex.TARGET.rglob("*") if p.is_file()} == kept  # nothing else
    css = (vendor_katex.TARGET / "katex.min.css").read_text()
    for font in re.findall(r"url\((fonts/[^)]+\.woff2)\)", css):
        assert (vendor_katex.TARGET / font).is_file(), font
    page = (ROOT / "index.html").read_text()
    assert "katex@" not in page and "cdn.jsdelivr.net/npm/katex" not in page
    for path in ("vendor/katex/katex.min.css", "vendor/katex/katex.min.js",
                 "vendor/katex/contrib/auto-render.min.js", "vendor/katex/LICENSE"):
        assert f'"{path}"' in page, path


def test_pyodide_core_is_pinned_to_the_npm_package():
    """The worker pins each file of Pyodide's core by Subresource Integrity to the npm
    package's bytes (the mirror's core files, from a tarball checked against npm's
    sha512), and the page loads that core from jsDelivr's npm path, which serves npm
    files unchanged."""
    worker = (ROOT / "js" / "worker.js").read_text()
    block = re.search(r"const PYODIDE_SRI = \{(.*?)\};", worker, re.S).group(1)
    pins = dict(re.findall(r'"([^"]+)": "(sha384-[^"]+)"', block))
    assert set(pins) == {"pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm",
                         "python_stdlib.zip", "pyodide-lock.json"}
    mirror = harness.mirror_dir()
    for name, pin in pins.items():
        digest = hashlib.sha384((mirror / name).read_bytes()).digest()
        assert pin == "sha384-" + base64.b64encode(digest).decode(), name
    bridge = (ROOT / "js" / "bridge.js").read_text()
    version = harness.PYODIDE_VERSION
    assert f'"https://cdn.jsdelivr.net/npm/pyodide@{version}/"' in bridge
    assert f'"https://cdn.jsdelivr.net/pyodide/v{version}/full/"' in bridge
    assert f"Pyodide {version} this page" in worker  # the message names the pinned version
