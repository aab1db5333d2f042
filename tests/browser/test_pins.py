"""The page's pins of what it loads from the CDN match the files the browser tests serve:
KaTeX from node_modules (npm ci) and Pyodide's core from the verified mirror
(scripts/build_mirror.py). No browser is started; these need the mirror and
node_modules, which the unit tests do without."""

import base64
import hashlib
import re

import pytest

import harness
from harness import ROOT

pytestmark = pytest.mark.browser  # needs what the browser tests need: the mirror, node_modules


def test_katex_version_is_the_tested_one():
    """The page loads KaTeX from a pinned CDN URL; the tests serve the npm copy of that version."""
    page = (ROOT / "index.html").read_text()
    versions = set(re.findall(r"cdn\.jsdelivr\.net/npm/katex@([\d.]+)/", page))
    assert versions == {harness.katex_version()}


def test_cdn_files_carry_the_integrity_of_the_tested_files():
    """Every script and stylesheet from the CDN is pinned by Subresource Integrity to the
    bytes of the npm package the tests serve (jsDelivr serves npm files unchanged)."""
    page = (ROOT / "index.html").read_text()
    tags = re.findall(r'<(?:script|link)\b[^>]*https://cdn\.jsdelivr\.net/npm/katex@[^>]*>', page)
    assert len(tags) == 3
    for tag in tags:
        path = re.search(r'katex@[\d.]+/(dist/[^"]+)"', tag).group(1)
        digest = hashlib.sha384((ROOT / "node_modules" / "katex" / path).read_bytes()).digest()
        assert f'integrity="sha384-{base64.b64encode(digest).decode()}"' in tag, path
        assert 'crossorigin="anonymous"' in tag


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
