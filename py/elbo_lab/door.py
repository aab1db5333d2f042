"""The one door into Python: the browser's worker calls ``handle`` for every request.

The protocol, written down once (js/worker.js forwards the page's requests here
unchanged, and js/bridge.js sends them):

    request   {id, op, name, params}      params: a dict of plain data
    answer    {id, ok: true,  result}     result: plain data (an image's pixels as bytes)
              {id, ok: false, error, param, bug}

    op          name                      params                  result
    "figure"    a figure (widgets/)       its parameters          {image, values, summary}
    "lab"       an action (session.ACTIONS)   the action's         the action's (a status)
    "export"    "source" | "download"     {name, ...}             export.source / download
    "theme"     "light" | "dark"          {}                      {theme}
    "layout"    "wide" | "narrow"         {}                      {layout}
    "digit"     "test"                    {index}: 0..999         {x, label}: the packed image
    "plotting"  "status"                  {}                      {enabled, theme, layout}
                "bytecode"                {}                      bytecode.status()

One error path: ``error`` is a message for the reader. ``param`` names the
parameter it is about (a ``checks.ParamError``), so the page can mark that
control; it is null when the error is about no single parameter. ``bug`` is true
for anything that is not a ValueError: a fault of ours, reported with its type.
``handle`` never raises.

Loading is not a request: the worker imports this module once numpy has loaded,
``elbo_lab.plotting.agg`` once matplotlib has (installing the drawing backend),
and ``elbo_lab.fastblas`` when training first starts (scipy's BLAS).
"""

import inspect

from . import bytecode, data, export, plotting, session, widgets
from .checks import ParamError

__all__ = ["OPS", "handle"]


def _figure(name, params):
    return widgets.run(name, **params)  # each key checked against the figure's PARAMS


def _lab(name, params):
    action = session.ACTIONS.get(name)
    if action is None:
        raise ParamError("action", f"unknown lab action {name!r}; the actions are "
                                   f"{', '.join(session.ACTIONS)}")
    return action(**_bound(action, name, params))


def _export(name, params):
    calls = {"source": export.source, "download": export.download}
    call = calls.get(name)
    if call is None:
        raise ParamError("action", f"unknown export action {name!r}; use source or download")
    return call(**_bound(call, name, params))


def _digit(name, params):
    if name != "test":
        raise ParamError("action", f"unknown digit request {name!r}; ask for test")
    x, label = data.test_digit(**_bound(data.test_digit, name, params))
    return {"x": x, "label": label}


def _theme(name, params):
    _no_params("theme", params)
    plotting.set_theme(name)
    return {"theme": plotting.get_theme()}


def _layout(name, params):
    _no_params("layout", params)
    plotting.set_layout(name)
    return {"layout": plotting.get_layout()}


def _plotting(name, params):
    if name not in ("status", "bytecode"):
        raise ParamError("action", f"unknown plotting request {name!r}; ask for status or bytecode")
    _no_params("plotting", params)
    if name == "bytecode":  # what the bytecode made ahead did (js/py-bytecode.js)
        return bytecode.status()
    return {"enabled": plotting.enabled(), "theme": plotting.get_theme(), "layout": plotting.get_layout()}


def _no_params(op, params):
    if params:
        raise ValueError(f"{op} takes no parameters, got {', '.join(map(str, params))}")


def _bound(fn, name, params):
    """params as keyword arguments of fn, else a ValueError saying which do not fit."""
    try:
        inspect.signature(fn).bind(**params)
    except TypeError as exc:
        raise ValueError(f"bad parameters for {name}: {exc}") from None
    return params


OPS = {"figure": _figure, "lab": _lab, "export": _export, "digit": _digit, "theme": _theme,
       "layout": _layout, "plotting": _plotting}


def handle(op, name, params=None):
    """Answer one request (see the module docstring); never raises."""
    try:
        handler = OPS.get(op) if isinstance(op, str) else None
        if handler is None:
            raise ValueError(f"unknown request {op!r}; the ops are {', '.join(OPS)}")
        if params is not None and not isinstance(params, dict):
            raise ValueError(f"params must be a dict, got {type(params).__name__}")
        if params and not all(isinstance(key, str) for key in params):
            raise ValueError(f"params must have string keys, got {list(params)!r}")
        if not isinstance(name, str):
            raise ValueError(f"name must be a string, got {name!r}")
        return {"ok": True, "result": handler(name, dict(params or {}))}
    except ParamError as exc:
        return {"ok": False, "error": str(exc), "param": exc.param, "bug": False}
    except ValueError as exc:
        return {"ok": False, "error": str(exc), "param": None, "bug": False}
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}", "param": None, "bug": True}
