"""The Python behind each figure: its source to read, and a script to take away.

``source(name)`` returns the code that computes widget ``name`` (its function in
``widgets.py`` or ``lab.py``) and the code that draws it (the ``figures.py``
function(s) it hands its arrays to). ``script(name, params)`` returns the text
of a standalone Python script that reproduces the figure as the reader set it,
with nothing but numpy, scipy and matplotlib installed: the whole ``elbo_lab``
package (the files ``scripts/build_bundle.py`` ships: sources and ``.npz``
data) is embedded in the script and unpacked into a temporary directory when
it runs. ``call(action, params)`` is the worker's entry point and never raises.

Everything here only reads the package's own files (``Path(__file__).parent``
and ``inspect``), so it works the same in Pyodide, where the sources are real
files on the in-memory filesystem. Nothing imports matplotlib: the page may ask
for a figure's source before plotting is enabled.
"""

import ast
import base64
import functools
import inspect
import json
import math
import re
from pathlib import Path

from . import layers, widgets

__all__ = ["call", "filename", "package_files", "script", "source"]

PACKAGE = Path(__file__).resolve().parent
TEXT_SUFFIXES = {".py", ".json", ".txt"}  # as in scripts/build_bundle.py: the rest is base64
THEMES = ("light", "dark")  # the names of figures.THEMES (not imported: it needs matplotlib)

# a figure function named in a widget: _draw("kl_image", ...) or figures.kl_image(...)
_FIGURE_CALL = re.compile(r"""\b_draw\w*\(\s*["'](\w+)["']|\bfigures\.(\w+)\s*\(""")


def _widget(name):
    fn = widgets.WIDGETS.get(name) if isinstance(name, str) else None
    if fn is None:
        raise ValueError(f"unknown figure {name!r}; the figures are {', '.join(widgets.WIDGETS)}")
    return inspect.unwrap(fn)


def _is_lab(name, fn):
    """Whether the figure draws the training lab's current run (and so needs a replay)."""
    return name.startswith("lab_") or fn.__module__.rpartition(".")[2] == "lab"


# ---------------------------------------------------------------------------
# The source of a figure
# ---------------------------------------------------------------------------


def _module_functions(path):
    """{name: source text} of the top-level functions in the file at ``path``, decorators included."""
    stat = path.stat()
    return _parse_functions(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _parse_functions(path, mtime_ns, size):  # parsed again only when the file changes
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    out = {}
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            out[node.name] = "".join(lines[first - 1:node.end_lineno])
    return out


def _helpers(fn):
    """Functions of fn's own module that fn calls by name (one level deep)."""
    names = set(fn.__code__.co_names)
    for const in fn.__code__.co_consts:  # names used in nested functions and comprehensions
        if inspect.iscode(const):
            names.update(const.co_names)
    found = []
    for name in sorted(names):
        obj = fn.__globals__.get(name)
        if inspect.isfunction(obj) and obj.__module__ == fn.__module__ and obj is not fn:
            found.append(obj)
    return found


def _figure_names(fn):
    """The figures.py functions that widget fn draws with, in order of first mention.

    Read from fn's source; if it names none, from the sources of the functions
    of its module that it calls (a widget may draw through a helper).
    """
    figures_src = _module_functions(PACKAGE / "figures.py")

    def named_in(text):
        names = [a or b for a, b in _FIGURE_CALL.findall(text)]
        return [n for n in dict.fromkeys(names) if n in figures_src]

    names = named_in(inspect.getsource(fn))
    if not names:
        for helper in _helpers(fn):
            if helper.__name__ != "_draw":
                names += [n for n in named_in(inspect.getsource(helper)) if n not in names]
    return names, figures_src


def _modules(fn, figure_names):
    """The elbo_lab modules fn uses: its own, those it names, and figures if it draws."""
    own = fn.__module__.rpartition(".")[2]
    found = {own}
    names = set(fn.__code__.co_names)
    for const in fn.__code__.co_consts:
        if inspect.iscode(const):
            names.update(const.co_names)
    for name in names:
        obj = fn.__globals__.get(name)
        module = getattr(obj, "__name__", "") if inspect.ismodule(obj) else getattr(obj, "__module__", "")
        if isinstance(module, str) and module.startswith("elbo_lab."):
            found.add(module.rpartition(".")[2])
    text = inspect.getsource(fn)  # imports inside the function: from . import vae
    for group in re.findall(r"from \.(\w*) import ([\w, ]+)", text):
        found.update([group[0]] if group[0] else [m.strip() for m in group[1].split(",")])
    if figure_names:
        found.add("figures")
    return sorted(found - {""})


def source(name):
    """The code behind figure ``name`` (a key of ``widgets.WIDGETS``).

    Returns ``{"name", "widget", "figure", "modules"}``: the widget function's
    source text; the source of the ``figures.py`` function(s) it draws with
    (found by their names in the widget's code: ``_draw("<fn>", ...)`` or
    ``figures.<fn>(...)``), joined by a blank line, or "" if it draws none;
    and the names of the elbo_lab modules it uses (informational).
    Raises ValueError "unknown figure ..." for any other name.
    """
    fn = _widget(name)
    figure_names, figures_src = _figure_names(fn)
    return {"name": name,
            "widget": inspect.getsource(fn),
            "figure": "\n".join(figures_src[n] for n in figure_names),
            "modules": _modules(fn, figure_names)}


# ---------------------------------------------------------------------------
# A standalone script
# ---------------------------------------------------------------------------


def package_files():
    """The package's files as build_bundle.py ships them: sorted paths, no caches."""
    return [path for path in sorted(PACKAGE.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"]


def _check_params(params):
    if not isinstance(params, dict):
        raise ValueError(f"params must be a dict of the figure's controls, got {type(params).__name__}")
    for key, value in params.items():
        if not isinstance(key, str):
            raise ValueError(f"params must have string keys, got {key!r}")
        if not (value is None or isinstance(value, (bool, int, str))
                or (isinstance(value, float) and math.isfinite(value))):
            raise ValueError(f"params must hold only numbers, strings, true/false or null; "
                             f"{key} is {value!r}")
    return dict(params)


def _check_replay(lab_replay):
    """{"settings", "step"} from lab_replay (a dict such as ``lab.status()``), checked."""
    from . import data, lab

    if not isinstance(lab_replay, dict) or not {"settings", "step"} <= set(lab_replay):
        raise ValueError("lab_replay must be a dict with the run's \"settings\" and \"step\"")
    settings, step = lab_replay["settings"], lab_replay["step"]
    names = set(lab.settings_defaults())
    if not isinstance(settings, dict) or set(settings) != names:
        raise ValueError(f"lab_replay settings must be a dict of the six settings "
                         f"({', '.join(sorted(names))})")
    try:
        settings = lab._check_settings(settings)
    except ValueError as exc:
        raise ValueError(f"lab_replay settings: {exc}") from None
    if (isinstance(step, bool) or not isinstance(step, (int, float)) or not math.isfinite(step)
            or step != int(step) or step < 0):
        raise ValueError(f"lab_replay step must be a whole number >= 0, got {step!r}")
    steps_per_epoch = -(-data.load_split()[0].shape[0] // lab.BATCH_SIZE)
    if step > settings["epochs"] * steps_per_epoch:
        raise ValueError(f"lab_replay step {int(step)} is past the run's end "
                         f"({settings['epochs']} epochs of {steps_per_epoch} steps)")
    return {"settings": settings, "step": int(step)}


def _py_text(text):
    """A Python literal for ``text`` that keeps its lines: the first that reads back exactly of
    r'''...''', r\"\"\"...\"\"\", and '''...''' with backslashes and quotes escaped; else repr."""
    if re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text):  # \r and the like: repr keeps them
        return repr(text)
    escaped = text.replace("\\", "\\\\").replace("'''", "\\'\\'\\'")
    if escaped.endswith("'"):
        escaped = escaped[:-1] + "\\'"
    for literal in (f"r'''{text}'''", f'r"""{text}"""', f"'''{escaped}'''"):
        try:
            if ast.literal_eval(literal) == text:
                return literal
        except (SyntaxError, ValueError):
            pass
    return repr(text)


def _embedded_files():
    """The FILES dict literal: each package file as ("utf-8", text) or ("base64", data)."""
    entries = []
    for path in package_files():
        rel = path.relative_to(PACKAGE.parent).as_posix()
        data = path.read_bytes()
        if path.suffix in TEXT_SUFFIXES:
            entries.append(f"{rel!r}: (\"utf-8\", {_py_text(data.decode('utf-8'))}),")
        else:
            encoded = base64.encodebytes(data).decode("ascii")  # 76-character lines
            entries.append(f"{rel!r}: (\"base64\", \"\"\"\n{encoded}\"\"\"),")
    return "FILES = {\n" + "\n".join(entries) + "\n}\n", len(entries)


def filename(name, params, lab_replay=None, theme="light"):
    """A download name for the script: "elbo-lab-kl-mu1.5-sigma0.6.py" (safe characters only).

    The controls in the widget's own order, then any others; for a lab figure the step;
    "-dark" for the dark theme.
    """
    fn = _widget(name)
    params = _check_params(params)
    order = [p for p in inspect.signature(fn).parameters if p in params]
    order += sorted(set(params) - set(order))
    parts = [name]
    for key in order:
        value = params[key]
        if isinstance(value, bool) or value is None:
            value = str(value).lower()
        elif isinstance(value, float):
            value = f"{value:g}"
        parts.append(f"{key}{value}")
    if isinstance(lab_replay, dict) and isinstance(lab_replay.get("step"), (int, float)):
        parts.append(f"step{int(lab_replay['step'])}")
    if theme != "light":
        parts.append(str(theme))
    stem = re.sub(r"[^A-Za-z0-9._+-]+", "_", "-".join(parts))[:100]
    return f"elbo-lab-{stem}.py"


_HEAD = '''#!/usr/bin/env python3
"""{title}

Exported from ELBO Lab: this script reproduces the figure "{name}" as it was
set on the page, in its {theme} theme, with these parameters:

{param_lines}
{replay_note}
It needs only Python 3.10 or later with numpy, scipy and matplotlib. The ELBO Lab package
(elbo_lab: its {n_files} files, Python sources and the .npz data they read) is
embedded at the end of this file; it is unpacked into a temporary directory
while the script runs, and deleted afterwards.

Run it with

    python3 {filename} [out.png]

It writes the figure to out.png (by default {name}.png in the current
directory), then prints the figure's values as JSON and its one-line summary.
"""

import base64
import json
import os
import sys
import tempfile
from pathlib import Path

FIGURE = {name_literal}
PARAMS = json.loads({params_literal})
LAB_REPLAY = {replay_literal}
MATMUL = {matmul_literal}
THEME = {theme_literal}


def unpack(root):
    """Write the embedded elbo_lab package (FILES, at the end of this file) under root."""
    for rel, (encoding, data) in FILES.items():
        path = Path(root, rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        if encoding == "base64":
            path.write_bytes(base64.decodebytes(data.encode("ascii")))
        else:
            path.write_bytes(data.encode("utf-8"))


def replay(run):
    """Train the training lab's VAE again: the same settings, the same number of steps.

    The same settings (the seed is one of them) give the same run, with the
    same random draws, however the steps are chunked. The arithmetic is not
    bit for bit the page's: in the browser the matrix products go through
    Pyodide's BLAS sgemm (float32), here through this machine's numpy or BLAS,
    which round differently. So the replay agrees with the page up to float32
    rounding, and over a long run those small differences can grow.
    """
    from elbo_lab import lab

    lab.reset(**run["settings"])
    while lab.status()["step"] < run["step"]:
        remaining = run["step"] - lab.status()["step"]
        lab.advance(ms=60000, max_steps=remaining)  # at most a minute per chunk, then go on
        if lab.status()["done"] and lab.status()["step"] < run["step"]:
            sys.exit(f"the run ended at step {{lab.status()['step']}}, before step {{run['step']}}")


def main(argv):
    """Unpack elbo_lab, draw the figure, write the PNG, print its values and summary."""
    out = Path(argv[1]) if len(argv) > 1 else Path(f"{{FIGURE}}.png")
    os.environ["MPLBACKEND"] = "Agg"  # draw off screen; set before matplotlib is imported
    sys.dont_write_bytecode = True
    with tempfile.TemporaryDirectory(prefix="elbo-lab-", ignore_cleanup_errors=True) as root:
        unpack(root)
        sys.path.insert(0, root)  # this copy of elbo_lab, whatever else is installed
        from elbo_lab import figures, layers, widgets

        layers.set_matmul_backend(MATMUL)  # as the page multiplied: "numpy" (@) or "blas"
        figures.set_theme(THEME)  # the page's colours: "light" or "dark"
        if LAB_REPLAY is not None:
            replay(LAB_REPLAY)
        result = widgets.WIDGETS[FIGURE](**PARAMS)
        out.write_bytes(figures.png_bytes(result["image"]))
    print(json.dumps(result["values"], sort_keys=True))
    print(result["summary"])
    print(f"wrote {{out}}", file=sys.stderr)


'''

_TAIL = '''

if __name__ == "__main__":
    main(sys.argv)
'''


def script(name, params, lab_replay=None, theme="light"):
    """The text of a standalone script that redraws figure ``name`` with ``params``.

    name: a key of ``widgets.WIDGETS`` (else ValueError "unknown figure ...").
    params: a dict of the widget's keyword arguments, numbers, strings, bools
    or None (else ValueError "params ..."). The widget is called once here, and
    if it rejects the params its message is raised as a ValueError, so a script
    is only offered for a figure that can be drawn.
    lab_replay: for the training lab's figures (and only those), the run to
    replay: a dict with "settings" (the six settings) and "step" (optimiser
    steps taken), e.g. ``lab.status()``; else ValueError "lab_replay ...".
    theme: the colours the figure is drawn in, "light" or "dark" (as the page showed it).

    Run as ``python3 script.py [out.png]`` with numpy, scipy and matplotlib.
    """
    fn = _widget(name)
    params = _check_params(params)
    if theme not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(map(repr, THEMES))}; got {theme!r}")
    if _is_lab(name, fn):
        if lab_replay is None:
            raise ValueError(f"lab_replay is needed for {name}: the run's settings and step")
        lab_replay = _check_replay(lab_replay)
    elif lab_replay is not None:
        raise ValueError(f"lab_replay is only for the training lab's figures, not {name}")
    result = widgets.call(name, params)
    if "error" in result:
        raise ValueError(result["error"])

    files, n_files = _embedded_files()
    param_lines = "\n".join(f"    {key} = {json.dumps(value) if isinstance(value, str) else value!r}"
                            for key, value in params.items())  # json: safe in a docstring
    replay_note = ""
    if lab_replay is not None:
        settings = ", ".join(f"{k}={v!r}" for k, v in lab_replay["settings"].items())
        replay_note = (f"\nIt first trains the lab's VAE again as the page did, with\n\n"
                       f"    {settings}\n\nfor {lab_replay['step']} optimiser steps.\n")
    head = _HEAD.format(
        title=f"ELBO Lab, figure \"{name}\": a standalone script that draws it.",
        name=name, filename=filename(name, params, lab_replay, theme), n_files=n_files, theme=theme,
        param_lines=param_lines or "    (none)", replay_note=replay_note,
        name_literal=repr(name), params_literal=repr(json.dumps(params)),
        replay_literal=repr(lab_replay), matmul_literal=repr(layers.get_matmul_backend()),
        theme_literal=repr(theme))
    banner = (f"# --- The elbo_lab package, embedded: {n_files} files, unpacked by unpack() "
              f"{'-' * 10}\n")
    return head + banner + files + _TAIL


# ---------------------------------------------------------------------------
# The worker's entry point
# ---------------------------------------------------------------------------


def call(action, params):
    """Run ``action`` for the worker; never raises.

    "source": ``{"name"}`` -> ``source(name)``. "script": ``{"name", "params",
    "lab_replay" (optional), "theme" (optional)}`` -> ``{"filename", "text"}``. Errors come back as
    ``{"error": message}``.
    """
    try:
        params = dict(params or {})
        if action == "source":
            return source(params["name"])
        if action == "script":
            name, controls = params["name"], params.get("params", {})
            replay, theme = params.get("lab_replay"), params.get("theme", "light")
            text = script(name, controls, replay, theme)
            return {"filename": filename(name, controls, replay, theme), "text": text}
        return {"error": f"unknown export action {action!r}"}
    except (ValueError, TypeError) as exc:
        return {"error": str(exc)}
    except KeyError as exc:
        return {"error": f"missing parameter {exc} for {action}"}
    except Exception as exc:  # noqa: BLE001 - reported to the reader, not swallowed
        return {"error": f"{type(exc).__name__}: {exc}"}

