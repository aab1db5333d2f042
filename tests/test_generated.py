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


def test_static_images_are_current():
    render = _load_script("render_static")
    for key in widgets.WIDGETS:
        path = ROOT / "static" / f"{key}.png"
        if path.read_bytes() != render.render(key):
            pytest.fail(f"{path.name} is stale: run python scripts/render_static.py")


def test_widget_table_matches_page_and_python():
    table = (ROOT / "js" / "widgets.js").read_text()
    page = (ROOT / "index.html").read_text()
    calls = re.findall(r'call: "(\w+)"', table)
    assert calls and set(calls) <= set(widgets.WIDGETS)
    for element_id in re.findall(r'"([a-z]+-[a-z-]+)"', table):
        assert f'id="{element_id}"' in page, f"#{element_id} is in the widget table but not the page"
    for param_id in re.findall(r'\w+: "([a-z]+-[a-z]+)"', table.split("show:")[0]):
        assert f'id="{param_id}-num"' in page


def test_page_defaults_are_the_python_defaults():
    """The static image is drawn at the Python defaults; the page's controls must start there."""
    table = (ROOT / "js" / "widgets.js").read_text()
    page = (ROOT / "index.html").read_text()
    for call, params in re.findall(r'call: "(\w+)",\s*params: \{([^}]*)\}', table):
        signature = inspect.signature(widgets.WIDGETS[call])
        for name, element_id in re.findall(r'(\w+): "([\w-]+)"', params):
            default = signature.parameters[name].default
            for suffix in ("", "-num"):
                found = re.search(rf'id="{element_id}{suffix}"[^>]*value="([^"]*)"', page)
                assert found, f"#{element_id}{suffix} has no value attribute"
                assert float(found.group(1)) == default, (element_id + suffix, default)
