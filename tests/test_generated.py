"""Generated files are current, and the page and the widget table agree."""

import importlib.util
import inspect
import json
import re

import pytest

from elbo_lab import widgets
from harness import ROOT


def _load_script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_python_bundle_is_current():
    bundle = _load_script("build_bundle")
    if (ROOT / "js" / "py-bundle.js").read_text() != bundle.render():
        pytest.fail("js/py-bundle.js is stale: run python scripts/build_bundle.py")


def test_bundle_holds_the_whole_package():
    text = (ROOT / "js" / "py-bundle.js").read_text()
    files = json.loads(text[text.index("{"):text.rindex("}") + 1])["files"]
    on_disk = {p.relative_to(ROOT / "py").as_posix() for p in (ROOT / "py" / "elbo_lab").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert set(files) == on_disk


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_static_images_are_current(theme):
    render = _load_script("render_static")
    for key in widgets.WIDGETS:
        path = render.path(key, theme)
        if not path.exists() or path.read_bytes() != render.render(key, theme):
            name = path.relative_to(ROOT).as_posix()
            pytest.fail(f"{name} is stale: run python scripts/render_static.py")


def _table_rows():
    """(call, {param: element id}, {value key: element id}) for each row of js/widgets.js."""
    table = (ROOT / "js" / "widgets.js").read_text()
    rows = []
    for call, params, show in re.findall(
            r'call: "(\w+)",\s*params: \{([^}]*)\},\s*show: \{([^}]*)\}', table):
        pairs = lambda text: dict(re.findall(r'(\w+): "([\w-]+)"', text))  # noqa: E731
        rows.append((call, pairs(params), pairs(show)))
    return rows


def _element(page, element_id):
    """The opening tag of the element with this id in index.html."""
    found = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"[^>]*>', page)
    assert found, f"#{element_id} is in the widget table but not in index.html"
    return found


def test_widget_table_matches_page_and_python():
    page = (ROOT / "index.html").read_text()
    rows = _table_rows()
    assert len(rows) == (ROOT / "js" / "widgets.js").read_text().count("call:")
    for call, params, show in rows:
        assert call in widgets.WIDGETS, f"js/widgets.js calls {call}, which widgets.py lacks"
        signature = inspect.signature(widgets.WIDGETS[call])
        # a row may leave some parameters at their Python defaults (e.g. the toy model's s)
        assert set(params) <= set(signature.parameters), (call, "params Python does not take")
        for element_id in [*params.values(), *show.values()]:
            tag = _element(page, element_id).group(0)
            if 'type="range"' in tag:
                _element(page, element_id + "-num")


def test_page_defaults_are_the_python_defaults():
    """Static images are drawn at the Python defaults; the page's controls must start there."""
    page = (ROOT / "index.html").read_text()
    for call, params, _ in _table_rows():
        signature = inspect.signature(widgets.WIDGETS[call])
        for name, element_id in params.items():
            default = signature.parameters[name].default
            match = _element(page, element_id)
            tag, kind = match.group(0), match.group(1)
            if kind == "select":
                body = page[match.end():page.index("</select>", match.end())]
                shown = re.search(r'<option value="([^"]*)" selected', body).group(1)
            elif kind == "fieldset":
                body = page[match.end():page.index("</fieldset>", match.end())]
                shown = "".join(re.findall(r'value="([^"]*)" checked', body))
            elif kind == "button":
                shown = int(re.search(r'data-value="(\d+)"', tag).group(1))
            else:
                shown = float(re.search(r'value="([^"]*)"', tag).group(1))
                twin = float(re.search(r'value="([^"]*)"', _element(page, element_id + "-num").group(0)).group(1))
                assert twin == shown, element_id
            assert shown == default, (call, name, shown, default)


def test_katex_version_is_the_tested_one():
    """The page loads KaTeX from a pinned CDN URL; the tests serve the npm copy of that version."""
    from harness import katex_version

    page = (ROOT / "index.html").read_text()
    versions = set(re.findall(r"cdn\.jsdelivr\.net/npm/katex@([\d.]+)/", page))
    assert versions == {katex_version()}


def _lab_controls(page):
    """{setting: (kind, default, choices)} for the lab's settings controls (ids in js/lab.js)."""
    ids = dict(re.findall(r'(\w+): "(lab-[\w-]+)"',
                          re.search(r"const SETTINGS = \{([^}]*)\}", (ROOT / "js" / "lab.js").read_text()).group(1)))
    controls = {}
    for name, element_id in ids.items():
        match = _element(page, element_id)
        if match.group(1) == "select":
            body = page[match.end():page.index("</select>", match.end())]
            choices = [float(v) for v in re.findall(r'<option value="([^"]*)"', body)]
            default = float(re.search(r'<option value="([^"]*)" selected', body).group(1))
            controls[name] = ("select", default, choices)
        else:
            default = float(re.search(r'value="([^"]*)"', match.group(0)).group(1))
            controls[name] = ("range", default, None)
    return controls


def test_lab_controls_start_at_python_defaults_and_can_show_every_preset():
    from elbo_lab import lab

    controls = _lab_controls((ROOT / "index.html").read_text())
    assert set(controls) == set(lab.settings_defaults())
    for name, default in lab.settings_defaults().items():
        assert controls[name][1] == default, name
    for preset in lab.PRESETS.values():
        for name, value in preset["settings"].items():
            kind, _, choices = controls[name]
            if kind == "select":  # a select can only show one of its options
                assert float(value) in choices, (name, value)


def test_cdn_files_carry_the_integrity_of_the_tested_files():
    """Every script and stylesheet from the CDN is pinned by Subresource Integrity to the
    bytes of the npm package the tests serve (jsDelivr serves npm files unchanged)."""
    import base64
    import hashlib

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
    import base64
    import hashlib

    import harness

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


def test_content_security_policy_allows_only_what_the_page_needs():
    page = (ROOT / "index.html").read_text()
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["default-src"] == "'none'"
    assert "'unsafe-eval'" not in policy and "*" not in policy.replace("https://", "")
    assert directives["worker-src"] == "data:"  # the worker is a data: URL module
    # the CDN, and blob: for Pyodide's modules, imported from their integrity-checked text
    assert set(directives["script-src"].split()) == {
        "'self'", "https://cdn.jsdelivr.net", "blob:", "'wasm-unsafe-eval'"}
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "an inline script would be blocked"
