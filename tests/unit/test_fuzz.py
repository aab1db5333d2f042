"""Bad input, table-driven: every figure's every parameter, and every lab setting, given each
value a reader's URL, a typed box or a broken caller could send. The one door
(``door.handle``) must answer each with the reader's error, ``bug`` false, naming the
parameter it is about, in a message of bounded length, and never raise."""

import math

import pytest

from elbo_lab import door, plotting, session, widgets
from elbo_lab.params import Choice, Digits, Drawing, Real, Whole

BAD_NUMBERS = [math.nan, math.inf, -math.inf, 1e308, -1e308, 10**400, -(10**400), "nan", "inf",
               "1e999", None, [], {}, [1.0], True, "", "x" * 5000, [[[[[1]]]]]]
MAX_MESSAGE = 300


def _check(answer, param):
    assert answer["ok"] is False, answer
    assert answer["bug"] is False, answer
    assert answer["param"] == param, answer
    assert len(answer["error"]) <= MAX_MESSAGE, len(answer["error"])
    assert param in answer["error"] or param == "params", answer["error"]


def _cases():
    for name, module in widgets.FIGURES.items():
        for p in module.PARAMS:
            bad = list(BAD_NUMBERS)
            if isinstance(p, Choice):
                bad = [v for v in bad if not isinstance(v, str) or v == ""] + ["no such option"]
            if isinstance(p, Digits):
                bad = [None, [], 12, "abc", "x" * 5000, [[1]]]
            if isinstance(p, Drawing):
                bad = [None, [], 12, "abc", "x" * 5000, [[1]], "A" * 3]
            else:
                bad = [v for v in bad if v is not True] + [True]
            for value in bad:
                yield name, p.name, value


@pytest.fixture
def no_drawing():
    """Numbers only (the checks run before any drawing), so the table runs in seconds."""
    saved = plotting._backend
    plotting.install(None)
    yield
    plotting.install(saved)


@pytest.mark.usefixtures("no_drawing")
@pytest.mark.parametrize("name, param, value", list(_cases()),
                         ids=lambda v: repr(v)[:20] if not isinstance(v, str) else v[:20])
def test_every_figure_refuses_each_bad_value_by_name(name, param, value):
    _check(door.handle("figure", name, {param: value}), param)


@pytest.mark.parametrize("name", list(widgets.FIGURES))
def test_an_extra_key_is_refused_by_name(name):
    answer = door.handle("figure", name, {"no_such_param": 1.0})
    assert answer["ok"] is False and answer["bug"] is False, answer
    assert "no_such_param" in answer["error"] and len(answer["error"]) <= MAX_MESSAGE


@pytest.mark.parametrize("setting", [s.name for s in session.SETTINGS])
@pytest.mark.parametrize("value", BAD_NUMBERS, ids=lambda v: repr(v)[:20])
def test_every_lab_setting_refuses_each_bad_value_by_name(setting, value):
    _check(door.handle("lab", "reset", {setting: value}), setting)


@pytest.mark.parametrize("op, name, params", [
    ("figure", [], {}), ("figure", {}, {}), ("lab", [], {}), ("figure", "kl", []),
    ("figure", "kl", "mu=1"), ([], "kl", {}), ("lab", "advance", {"max_steps": math.nan}),
    ("lab", "advance", {"max_steps": math.inf}), ("lab", "advance", {"ms": 10**400}),
    ("figure", "kl", {"mu": [[[[[[1]]]]]] * 2}),
])
def test_the_door_never_raises_and_bounds_its_message(op, name, params):
    answer = door.handle(op, name, params)
    assert answer["ok"] is False and answer["bug"] is False, answer
    assert len(answer["error"]) <= MAX_MESSAGE


def test_deep_nesting_does_not_raise():
    value = 1.0
    for _ in range(3000):
        value = [value]
    answer = door.handle("figure", "kl", {"mu": value})
    assert answer["ok"] is False and answer["bug"] is False and answer["param"] == "mu"


def _edges():
    """Each real parameter at its bounds, just inside an open bound, and at 1e-300."""
    for name, module in widgets.FIGURES.items():
        for p in module.PARAMS:
            if not isinstance(p, Real) or isinstance(p, Whole) or p.options:
                continue
            values = {1e-300, -1e-300}
            for bound in (p.lo, p.hi):
                if bound is not None:
                    values.add(bound)
            if p.lo_open:
                values.add(p.lo + 1e-12)
            for value in sorted(values):
                yield name, p.name, value


def _finite(values):
    for key, v in values.items():
        if isinstance(v, float):
            assert math.isfinite(v), key
        elif isinstance(v, (list, tuple)):
            _finite({f"{key}[{i}]": x for i, x in enumerate(v)})


@pytest.mark.parametrize("name, param, value", list(_edges()))
def test_a_value_at_the_edge_is_drawn_with_finite_numbers_or_refused_by_name(name, param, value):
    answer = door.handle("figure", name, {param: value})
    if not answer["ok"]:
        _check(answer, param)
        return
    assert answer["result"]["image"] is not None
    _finite(answer["result"]["values"])
