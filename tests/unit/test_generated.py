"""Generated files are current, and the page agrees with the Python specs it was written from.

Everything here reads the repository alone: no browser, no Pyodide mirror, no
node_modules (the pins of those are checked in tests/browser/test_pins.py).
"""

import json
import re
from html.parser import HTMLParser

import pytest

from elbo_lab import session, widgets
from elbo_lab.params import defaults

from repo import ROOT, load_script


def test_python_bundles_are_current():
    bundle = load_script("build_bundle")
    for out in bundle.OUTS:
        if out.read_text() != bundle.render(out):
            pytest.fail(f"{out.relative_to(ROOT)} is stale: run python scripts/build_bundle.py")


def _bundled(name):
    text = (ROOT / "js" / name).read_text()
    return json.loads(text[text.index("{"):text.rindex("}") + 1])["files"]


def test_the_two_bundles_hold_the_whole_package_the_data_apart():
    code, data = _bundled("py-bundle.js"), _bundled("py-data.js")
    on_disk = {p.relative_to(ROOT / "py").as_posix() for p in (ROOT / "py" / "elbo_lab").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert set(code) | set(data) == on_disk and not set(code) & set(data)
    assert set(data) == {f for f in on_disk if f.endswith(".npz")} and len(data) == 5
    assert len((ROOT / "js" / "py-bundle.js").read_bytes()) < 500_000  # the code alone


@pytest.mark.parametrize("layout", ["wide", "narrow"])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_static_images_are_current(theme, layout):
    render = load_script("render_static")
    assert render.drawn() == [name for name, module in widgets.FIGURES.items()
                              if hasattr(module, "draw")]
    for key in render.drawn():
        path = render.path(key, theme, layout)
        if not path.exists() or path.read_bytes() != render.render(key, theme, layout):
            name = path.relative_to(ROOT).as_posix()
            pytest.fail(f"{name} is stale: run python scripts/render_static.py")


def test_page_controls_and_figure_table_are_current(capsys):
    """index.html's generated controls and js/figures.js are what build_page.py writes now."""
    page = load_script("build_page")
    if page.main(["--check"]) != 0:
        pytest.fail(capsys.readouterr().out.strip())


class _Page(HTMLParser):
    """What the tests read of index.html: every element with an id (its tag, attributes,
    options or checkboxes), the figure elements ([data-widget]), and the outputs
    (output[data-show]) and canvases inside each."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.elements = {}  # id -> {"tag", "attrs", "options": [(value, selected)], "boxes": [...]}
        self.widgets = []  # data-widget keys, in page order
        self.shows = []  # (figure key or None, data-show, output id)
        self.canvases = []  # (figure key or None, canvas id)
        self._widget = None  # [key, tag, depth] of the figure element we are in
        self._select = self._fieldset = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self._widget is not None and tag == self._widget[1]:
            self._widget[2] += 1
        if "data-widget" in a:
            assert self._widget is None, f"figure {a['data-widget']} inside {self._widget[0]}"
            self._widget = [a["data-widget"], tag, 1]
            self.widgets.append(a["data-widget"])
        if "id" in a:
            assert a["id"] not in self.elements, f"two elements with id {a['id']!r}"
            self.elements[a["id"]] = {"tag": tag, "attrs": a, "options": [], "boxes": []}
        key = self._widget[0] if self._widget else None
        if tag == "output" and "data-show" in a:
            self.shows.append((key, a["data-show"], a.get("id")))
        elif tag == "canvas":
            self.canvases.append((key, a.get("id")))
        elif tag == "select":
            self._select = self.elements.get(a.get("id"))
        elif tag == "option" and self._select is not None:
            self._select["options"].append((a.get("value"), "selected" in a))
        elif tag == "fieldset":
            self._fieldset = self.elements.get(a.get("id"))
        elif tag == "input" and a.get("type") == "checkbox" and self._fieldset is not None:
            self._fieldset["boxes"].append((a.get("value"), "checked" in a))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "fieldset":
            self._fieldset = None
        if self._widget is not None and tag == self._widget[1]:
            self._widget[2] -= 1
            if self._widget[2] == 0:
                self._widget = None


@pytest.fixture(scope="module")
def page():
    return _Page((ROOT / "index.html").read_text(encoding="utf-8"))


def _table():
    """js/figures.js as the page reads it: ({figure: {param: control id}}, {setting: control id})."""
    text = (ROOT / "js" / "figures.js").read_text(encoding="utf-8")
    rows = [json.loads(line.strip().rstrip(","))
            for line in re.search(r"window\.ELBO\.FIGURES = \[\n(.*?)\];", text, re.S).group(1)
            .splitlines()]
    settings = json.loads(re.search(r"window\.ELBO\.LAB_SETTINGS = (\{.*\});", text).group(1))
    return {row["key"]: row["params"] for row in rows}, settings


def test_every_shown_value_is_a_value_of_its_figure(page):
    """Each output[data-show] lies inside the element of a figure (data-widget="<key>")
    whose values at its defaults have that key, and each figure with a picture has a canvas."""
    assert page.widgets == list(widgets.FIGURES), "the page's figures, in page order"
    assert page.shows, "no output[data-show] found"
    shown = {}
    for key, show, element_id in page.shows:
        assert key is not None, f"output #{element_id} shows {show!r} outside any figure"
        shown.setdefault(key, set()).add(show)
    for key, keys in shown.items():
        values = widgets.run(key)["values"]
        assert keys <= set(values), (key, sorted(keys - set(values)))
    with_canvas = {key for key, _ in page.canvases if key is not None}
    for key, module in widgets.FIGURES.items():
        assert (key in with_canvas) == hasattr(module, "draw"), key


def _shown(page, p):
    """The value the page's control for parameter ``p`` starts at, read from index.html,
    after checking that the control is the kind, range and options of the spec."""
    element = page.elements.get(p.control)
    assert element is not None, f"#{p.control} (for {p.name}) is not in index.html"
    tag, a = element["tag"], element["attrs"]
    if p.kind == "counter":
        assert tag == "button", p.control
        return int(a["data-value"])
    if p.kind == "pad":
        assert tag == "div" and a.get("data-kind") == "pad", p.control
        return a["data-value"]
    if p.kind == "checkboxes":
        assert tag == "fieldset", p.control
        assert [value for value, _ in element["boxes"]] == list("0123456789"), p.control
        return "".join(value for value, checked in element["boxes"] if checked)
    if p.kind == "select":
        assert tag == "select", p.control
        assert [value for value, _ in element["options"]] == [str(v) for v, _ in p.options]
        selected = [value for value, on in element["options"] if on]
        assert len(selected) == 1, p.control
        return selected[0]
    assert tag == "input" and a.get("type") == "range", p.control
    twin = page.elements.get(p.control + "-num")
    assert twin is not None and twin["attrs"].get("type") == "number", f"#{p.control}-num"
    assert float(twin["attrs"]["value"]) == float(a["value"]), p.control
    assert (float(a["min"]), float(a["max"])) == tuple(p.slider_range), p.control
    assert float(a["step"]) == p.step, p.control
    return float(a["value"])


def test_page_defaults_are_the_python_defaults(page):
    """Static images are drawn at the Python defaults; the page's controls must start there."""
    table, _ = _table()
    assert list(table) == list(widgets.FIGURES)
    for name, module in widgets.FIGURES.items():
        controlled = [p for p in module.PARAMS if p.control]
        assert table[name] == {p.name: p.control for p in controlled}, name
        for p in controlled:
            shown = _shown(page, p)
            assert p.check(shown) == p.default, (name, p.name, shown, p.default)


def test_lab_controls_start_at_python_defaults_and_can_show_every_preset(page):
    _, ids = _table()
    settings = {p.name: p for p in session.SETTINGS}
    assert set(ids) == set(settings) == set(defaults(session.SETTINGS))
    for name, p in settings.items():
        assert ids[name] == p.control, name
        assert p.check(_shown(page, p)) == p.default, name
    for preset in session.PRESETS.values():
        for name, value in preset["settings"].items():
            p, element = settings[name], page.elements[settings[name].control]
            if p.kind == "select":  # a select can only show one of its options
                assert float(value) in [float(v) for v, _ in element["options"]], (name, value)
            else:  # a slider only reaches its own range
                lo, hi = float(element["attrs"]["min"]), float(element["attrs"]["max"])
                assert lo <= float(value) <= hi, (name, value)


def test_content_security_policy_allows_only_what_the_page_needs():
    page = (ROOT / "index.html").read_text()
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["default-src"] == "'none'"
    assert "'unsafe-eval'" not in policy and "*" not in policy.replace("https://", "")
    assert directives["worker-src"] == "data:"  # the worker is a data: URL module
    # no CDN for scripts (KaTeX is vendored); blob: for Pyodide's modules, which the worker
    # imports from their integrity-checked text (a data: URL worker has the page's policy, so
    # the page's script-src must allow them)
    assert set(directives["script-src"].split()) == {"'self'", "blob:", "'wasm-unsafe-eval'"}
    assert directives["style-src"] == "'self'"  # no inline styles: KaTeX sets styles by the DOM
    assert directives["font-src"] == "'self'"
    assert set(directives["connect-src"].split()) == {"'self'", "https://cdn.jsdelivr.net"}  # Pyodide
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "an inline script would be blocked"


def test_every_figures_numbers_are_in_the_page_before_python():
    """Each figure's outputs hold its values at the defaults (build_page.py writes them), so the
    page reads right before Python loads: no "–" where the figure computes a number."""
    import html as html_

    text = (ROOT / "index.html").read_text(encoding="utf-8")
    page = load_script("build_page")
    session.reset()
    for name in widgets.FIGURES:
        block = re.search(page.figure_pattern(name), text, re.S).group(0)
        values = widgets.run(name)["values"]
        shown = re.findall(r'<output((?:\s[^>]*)?\sdata-show="([^"]+)"[^>]*)>(.*?)</output>', block, re.S)
        for attrs, key, inner in shown:
            expected = page.shown(values[key], attrs)
            assert html_.unescape(inner) == expected, (name, key, inner, expected)
            assert values[key] is None or inner != "–", (name, key)
