"""The door, ``door.handle(op, name, params)``: the one way in from the browser's worker.

It answers plain data (an image's pixels as bytes), reports every error as data,
``{"ok": False, "error", "param", "bug"}``, and never raises.
"""

import json

import pytest

from elbo_lab import door, export, plotting, session, widgets
from elbo_lab.params import defaults

ANSWER_KEYS = {"ok", "result"}
ERROR_KEYS = {"ok", "error", "param", "bug"}


@pytest.fixture(autouse=True)
def _light_afterwards():
    yield
    plotting.set_theme("light")


def _plain(value):
    """``value`` with each image's pixels swapped for their length, after checking they are bytes."""
    if isinstance(value, dict):
        if set(value) == {"width", "height", "rgba"}:
            assert isinstance(value["rgba"], bytes)
            assert len(value["rgba"]) == value["width"] * value["height"] * 4
            return {**value, "rgba": len(value["rgba"])}
        return {key: _plain(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _json_only(value):
    """True if ``value`` is made of dicts with string keys, lists, str, int, float, bool, None."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_only(v) for k, v in value.items())
    if isinstance(value, list):
        return all(map(_json_only, value))
    return value is None or isinstance(value, (str, int, float, bool))


REQUESTS = [
    ("figure", "kl", {"mu": 1.5, "sigma": 0.8}),
    ("figure", "architecture", {}),
    ("figure", "lab_units", {}),
    ("lab", "status", {}),
    ("lab", "pause", {}),
    ("lab", "presets", {}),
    ("lab", "reset", {"epochs": 3, "seed": 2}),
    ("lab", "advance", {"ms": 50, "max_steps": 2}),
    ("lab", "epochs", {"epochs": 2}),
    ("lab", "matmul", {"backend": "numpy"}),
    ("export", "source", {"name": "kl"}),
    ("export", "download", {"name": "kl", "params": {"mu": 1.5}}),
    ("export", "download", {"name": "lab_units", "lab_replay": {"settings": dict(
        defaults(session.SETTINGS), epochs=1), "step": 0}}),
    ("theme", "dark", {}),
    ("theme", "light", None),
    ("plotting", "status", {}),
]


@pytest.mark.parametrize("op, name, params", REQUESTS, ids=lambda v: v if isinstance(v, str) else "")
def test_every_op_answers_plain_data(op, name, params):
    out = door.handle(op, name, params)
    assert set(out) == ANSWER_KEYS and out["ok"] is True, out
    plain = _plain(out)
    assert _json_only(plain), plain
    json.dumps(plain, allow_nan=False)


def test_the_answers_are_what_the_handlers_return():
    assert door.handle("figure", "kl", {"mu": 1.5})["result"]["values"] == \
        widgets.run("kl", mu=1.5)["values"]
    assert door.handle("export", "source", {"name": "kl"})["result"] == export.source("kl")
    assert door.handle("lab", "presets", {})["result"] == session.PRESETS
    assert door.handle("lab", "status", None)["result"] == session.status()


def test_a_lab_figure_is_the_same_answer_while_the_weights_stand():
    session.reset()
    first = door.handle("figure", "lab_curves", {})["result"]
    assert door.handle("figure", "lab_curves", {})["result"] is first
    # one whole step, however slow the machine (50 ms did none on a busy one)
    assert door.handle("lab", "advance", {"ms": 10_000, "max_steps": 1})["result"]["step"] == 1
    assert door.handle("figure", "lab_curves", {})["result"] is not first


ALTERNATIVES = {"ops": list(door.OPS), "figures": list(widgets.FIGURES),
                "actions": list(session.ACTIONS), "exports": ["source", "download"],
                "themes": ["light", "dark"], "plotting": ["status"]}


@pytest.mark.parametrize("op, name, alternatives", [
    ("nope", "kl", "ops"),
    ("", "kl", "ops"),
    (None, "kl", "ops"),
    (3, "kl", "ops"),
    (["figure"], "kl", "ops"),
    ("figure", "nope", "figures"),
    ("figure", "", "figures"),
    ("figure", "toy_axes", "figures"),  # a module of widgets/, not a figure
    ("lab", "nope", "actions"),
    ("export", "script", "exports"),
    ("theme", "sepia", "themes"),
    ("plotting", "nope", "plotting"),
], ids=repr)
def test_an_unknown_request_names_the_alternatives(op, name, alternatives):
    out = door.handle(op, name, {})
    assert set(out) == ERROR_KEYS and out["ok"] is False and out["bug"] is False, out
    for alternative in ALTERNATIVES[alternatives]:
        assert alternative in out["error"], (alternative, out["error"])


@pytest.mark.parametrize("op, name, params, param", [
    ("figure", "kl", {"sigma": -1}, "sigma"),
    ("figure", "latent", {"classes": "1a"}, "classes"),
    ("figure", "kl", {"tau": 1}, "tau"),
    ("lab", "reset", {"beta": -1}, "beta"),
    ("lab", "advance", {"ms": "x"}, "ms"),
    ("lab", "epochs", {"epochs": 0}, "epochs"),
    ("export", "download", {"name": "kl", "params": {"sigma": -1}}, "sigma"),
    ("export", "download", {"name": "kl", "theme": "sepia"}, "theme"),
    ("export", "download", {"name": "kl", "lab_replay": {}}, "lab_replay"),
    ("export", "source", {"name": "nope"}, "figure"),
    ("theme", "sepia", {}, "theme"),
])
def test_the_parameter_an_error_is_about_comes_back_as_data(op, name, params, param):
    out = door.handle(op, name, params)
    assert out["ok"] is False and out["bug"] is False
    assert out["param"] == param, out
    json.dumps(out)


def test_the_theme_error_message():
    out = door.handle("export", "download", {"name": "kl", "params": {}, "theme": "sepia"})
    assert out["error"] == "theme must be one of light, dark, got 'sepia'"


def test_a_fault_of_ours_is_a_bug_with_its_type(monkeypatch):
    def broken(**params):
        return 1 / 0

    monkeypatch.setattr(widgets.FIGURES["kl"], "compute", broken)
    out = door.handle("figure", "kl", {"mu": 1.0})
    assert set(out) == ERROR_KEYS
    assert out["ok"] is False and out["bug"] is True and out["param"] is None
    assert out["error"].startswith("ZeroDivisionError: ")


def test_a_value_error_is_the_readers_not_a_bug(monkeypatch):
    def refuses(**params):
        raise ValueError("no such thing")

    monkeypatch.setattr(widgets.FIGURES["kl"], "compute", refuses)
    assert door.handle("figure", "kl", {}) == {"ok": False, "error": "no such thing",
                                               "param": None, "bug": False}


def test_theme_switches_and_reports():
    assert door.handle("theme", "dark", {}) == {"ok": True, "result": {"theme": "dark"}}
    assert plotting.get_theme() == "dark"
    assert door.handle("plotting", "status", {})["result"] == {"enabled": True, "theme": "dark",
                                                               "layout": "wide"}
    dark = door.handle("figure", "kl", {})["result"]["image"]
    assert door.handle("theme", "light", {}) == {"ok": True, "result": {"theme": "light"}}
    assert plotting.get_theme() == "light"
    assert door.handle("figure", "kl", {})["result"]["image"]["rgba"] != dark["rgba"]
    assert door.handle("theme", "sepia", {})["ok"] is False
    assert plotting.get_theme() == "light"  # a refused theme changes nothing


def test_layout_switches_the_figures_between_wide_and_narrow():
    wide = door.handle("figure", "kl", {})["result"]["image"]
    try:
        assert door.handle("layout", "narrow", {}) == {"ok": True, "result": {"layout": "narrow"}}
        narrow = door.handle("figure", "kl", {})["result"]["image"]
        assert narrow["width"] == wide["width"] == 640 and narrow["rgba"] != wide["rgba"]
        out = door.handle("layout", "tiny", {})
        assert out["ok"] is False and out["param"] == "layout" and "wide, narrow" in out["error"]
        assert plotting.get_layout() == "narrow"  # a refused layout changes nothing
        assert door.handle("layout", "narrow", {"x": 1})["ok"] is False
    finally:
        door.handle("layout", "wide", {})
    assert door.handle("figure", "kl", {})["result"]["image"]["rgba"] == wide["rgba"]


def test_plotting_status_reports_whether_figures_can_be_drawn(monkeypatch):
    assert door.handle("plotting", "status", {}) == {
        "ok": True, "result": {"enabled": True, "theme": "light", "layout": "wide"}}
    monkeypatch.setattr(plotting, "_backend", None)  # matplotlib not loaded yet
    assert door.handle("plotting", "status", {})["result"] == {"enabled": False, "theme": "light",
                                                               "layout": "wide"}
    out = door.handle("figure", "kl", {})
    assert out["ok"] is True and out["result"]["image"] is None and out["result"]["values"]


@pytest.mark.parametrize("op, name, params", [
    ("figure", "kl", [("mu", 1.0)]),
    ("figure", "kl", "mu=1"),
    ("figure", "kl", 3),
    ("lab", "status", ["x"]),
    ("export", "source", "kl"),
    ("theme", "dark", 1.5),
    ("figure", None, {}),
    ("figure", 3, {}),
    ("figure", ["kl"], {}),
    ("lab", {"a": 1}, {}),
    ("export", b"source", {}),
    ("theme", None, {}),
    ("plotting", 0, {}),
    (None, None, None),
])
def test_handle_never_raises(op, name, params):
    out = door.handle(op, name, params)
    assert set(out) == ERROR_KEYS and out["ok"] is False and out["bug"] is False, out
    assert isinstance(out["error"], str) and out["error"]
    json.dumps(out)


@pytest.mark.parametrize("params", [{"name": 1.0}, {1: 1.0}, {None: 1.0}])
def test_a_figure_parameter_that_run_cannot_take_is_the_readers_error(params):
    """Keys that cannot be the figure's parameters are the reader's error, as for any other
    unknown parameter, not a fault of ours (the lab and export requests already say so)."""
    out = door.handle("figure", "kl", params)
    assert out["ok"] is False and out["bug"] is False, out
    for op, name in (("lab", "reset"), ("export", "source")):
        assert door.handle(op, name, params)["bug"] is False
