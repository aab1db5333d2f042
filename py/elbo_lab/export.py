"""The Python behind each figure: its module to read, and a script to take away.

``source(name)`` returns the source of figure ``name``'s module,
``widgets/<name>.py``: its parameters, its computation and its drawing, read
with ``inspect``. ``script(name, params)`` returns the text of a standalone
Python script that reproduces the figure as the reader set it, with nothing but
numpy, scipy and matplotlib installed: the whole ``elbo_lab`` package (the
files ``scripts/build_bundle.py`` ships: sources and ``.npz`` data) is
embedded in the script and unpacked into a temporary directory when it runs.

Nothing here imports matplotlib: the page may ask for a figure's source before
plotting is enabled. It works the same in Pyodide, where the sources are real
files on the in-memory filesystem.
"""

import ast
import base64
import inspect
import json
import math
import re
from pathlib import Path

from . import layers, plotting, session, widgets
from .checks import ParamError, choice, whole
from .params import check_all

__all__ = ["download", "filename", "is_lab", "package_files", "script", "source"]

PACKAGE = Path(__file__).resolve().parent
TEXT_SUFFIXES = {".py", ".json", ".txt"}  # as in scripts/build_bundle.py: the rest is base64


def is_lab(name):
    """Whether figure ``name`` draws the training lab's current run (and so needs a replay):
    the lab's figures are named lab_<what>."""
    return name.startswith("lab_")


def source(name):
    """The code behind figure ``name``: ``{"name", "path", "source"}``.

    path: the module's file within the package ("elbo_lab/widgets/kl.py"); source:
    its text. Raises ParamError "unknown figure ..." for any other name.
    """
    module = widgets.figure(name)
    path = Path(inspect.getsourcefile(module)).resolve().relative_to(PACKAGE.parent).as_posix()
    return {"name": name, "path": path, "source": inspect.getsource(module)}


# ---------------------------------------------------------------------------
# A standalone script
# ---------------------------------------------------------------------------


def package_files():
    """The package's files as build_bundle.py ships them: sorted paths, no caches."""
    return [path for path in sorted(PACKAGE.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"]


def _check_params(params):
    if not isinstance(params, dict):
        raise ParamError("params", f"params must be a dict of the figure's controls, "
                                   f"got {type(params).__name__}")
    for key, value in params.items():
        if not isinstance(key, str):
            raise ParamError("params", f"params must have string keys, got {key!r}")
        if not (value is None or isinstance(value, (bool, int, str))
                or (isinstance(value, float) and math.isfinite(value))):
            raise ParamError("params", f"params must hold only numbers, strings, true/false or "
                                       f"null; {key} is {value!r}")
    return dict(params)


def _check_replay(lab_replay):
    """{"settings", "step"} from lab_replay (a dict such as ``session.status()``), checked."""
    if not isinstance(lab_replay, dict) or not {"settings", "step"} <= set(lab_replay):
        raise ParamError("lab_replay", "lab_replay must be a dict with the run's \"settings\" "
                                       "and \"step\"")
    settings, step = lab_replay["settings"], lab_replay["step"]
    names = [p.name for p in session.SETTINGS]
    if not isinstance(settings, dict) or set(settings) != set(names):
        raise ParamError("lab_replay", f"lab_replay settings must be a dict of the six settings "
                                       f"({', '.join(sorted(names))})")
    try:
        settings = check_all(session.SETTINGS, settings, "lab_replay")
    except ValueError as exc:
        raise ParamError("lab_replay", f"lab_replay settings: {exc}") from None
    try:
        step = whole("step", step, 0)
    except ValueError:
        raise ParamError("lab_replay", f"lab_replay step must be a whole number >= 0, "
                                       f"got {step!r}") from None
    steps_per_epoch = -(-session.lab_data()["X_train"].shape[0] // session.BATCH_SIZE)
    if step > settings["epochs"] * steps_per_epoch:
        raise ParamError("lab_replay", f"lab_replay step {step} is past the run's end "
                                       f"({settings['epochs']} epochs of {steps_per_epoch} steps)")
    return {"settings": settings, "step": step}


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


def _embedded_files(with_data):
    """The FILES dict literal: each package file as ("utf-8", text) or ("base64", data); the
    stored digits and weights (.npz) only ``with_data``."""
    entries = []
    for path in package_files():
        if path.suffix == ".npz" and not with_data:
            continue
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

    The controls in the figure's own order, then any others; for a lab figure the step;
    "-dark" for the dark theme.
    """
    module = widgets.figure(name)
    params = _check_params(params)
    order = [p.name for p in module.PARAMS if p.name in params]
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
    from elbo_lab import session

    session.reset(**run["settings"])
    while session.status()["step"] < run["step"]:
        remaining = run["step"] - session.status()["step"]
        session.advance(ms=60000, max_steps=remaining)  # at most a minute per chunk, then go on
        if session.status()["done"] and session.status()["step"] < run["step"]:
            sys.exit(f"the run ended at step {{session.status()['step']}}, before step {{run['step']}}")


def main(argv):
    """Unpack elbo_lab, draw the figure, write the PNG, print its values and summary."""
    out = Path(argv[1]) if len(argv) > 1 else Path(f"{{FIGURE}}.png")
    os.environ["MPLBACKEND"] = "Agg"  # draw off screen; set before matplotlib is imported
    sys.dont_write_bytecode = True
    with tempfile.TemporaryDirectory(prefix="elbo-lab-", ignore_cleanup_errors=True) as root:
        unpack(root)
        sys.path.insert(0, root)  # this copy of elbo_lab, whatever else is installed
        import elbo_lab.plotting.agg as agg  # importing it installs matplotlib's Agg backend
        from elbo_lab import layers, plotting, widgets

        if MATMUL == "blas":
            import elbo_lab.fastblas  # noqa: F401 - scipy's BLAS, as the page multiplied
        layers.set_matmul_backend(MATMUL)
        plotting.set_theme(THEME)  # the page's colours: "light" or "dark"
        if LAB_REPLAY is not None:
            replay(LAB_REPLAY)
        result = widgets.run(FIGURE, **PARAMS)
        out.write_bytes(agg.png_bytes(result["image"]))
    print(json.dumps(result["values"], sort_keys=True))
    print(result["summary"])
    print(f"wrote {{out}}", file=sys.stderr)


'''

_TAIL = '''

if __name__ == "__main__":
    main(sys.argv)
'''


def script(name, params, lab_replay=None, theme=None):
    """The text of a standalone script that redraws figure ``name`` with ``params``.

    name: a figure of ``widgets.FIGURES`` (else ParamError "unknown figure ...").
    params: a dict of the figure's parameters: numbers, strings, bools or None
    (else ParamError "params ..."). The figure is run once here, and if it rejects
    the params, its ParamError is raised: a script is only offered for a figure
    that can be drawn. lab_replay: for the training lab's figures (and only
    those), the run to replay: a dict with "settings" (the six settings) and
    "step" (optimiser steps taken), e.g. ``session.status()``; else ParamError
    "lab_replay ...". theme: the colours to draw in, "light" or "dark" (None: the
    theme the figures are drawn in now, as the reader sees them).

    Run as ``python3 script.py [out.png]`` with numpy, scipy and matplotlib.
    """
    widgets.figure(name)
    params = _check_params(params)
    theme = plotting.get_theme() if theme is None else choice("theme", theme, ("light", "dark"))
    if is_lab(name):
        if lab_replay is None:
            raise ParamError("lab_replay", f"lab_replay is needed for {name}: the run's "
                                           "settings and step")
        lab_replay = _check_replay(lab_replay)
    elif lab_replay is not None:
        raise ParamError("lab_replay", f"lab_replay is only for the training lab's figures, "
                                       f"not {name}")
    widgets.run(name, **params)  # raises if the figure rejects the params

    files, n_files = _embedded_files(widgets.needs_data(name))
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


def download(name, params=None, lab_replay=None, theme=None):
    """``{"filename", "text"}``: the script for figure ``name`` and the name to save it as."""
    params = {} if params is None else params
    theme = plotting.get_theme() if theme is None else theme
    text = script(name, params, lab_replay, theme)
    return {"filename": filename(name, params, lab_replay, theme), "text": text}
