"""export.py: each figure's code, and standalone scripts that redraw it exactly.

The scripts are run for real, in a subprocess in an empty directory, where the
repository's package cannot be imported: they must bring their own copy.
"""

import base64
import io
import json
import os
import re
import runpy
import subprocess
import sys

import pytest
from matplotlib.image import imread

import elbo_lab.fastblas  # noqa: F401 - scipy's BLAS for layers, as the page loads it to train
import elbo_lab.plotting.agg as agg
from elbo_lab import door, export, layers, plotting, session, widgets
from elbo_lab.params import defaults

from repo import ROOT, RUNNER, load_script

SCRIPT_TIMEOUT_S = 120  # a generous wait, not a budget: each run takes about a second

DEFAULTS = defaults(session.SETTINGS)
LAB_RUN = {"settings": dict(DEFAULTS, epochs=3), "step": 30}

CASES = [
    pytest.param("kl", {"mu": 1.5, "sigma": 0.8}, None, id="kl"),
    pytest.param("posterior", {"x": 3, "s": 0.4}, None, id="posterior"),
    pytest.param("generate", {"n": 9, "seed": 2}, None, id="generate"),
    pytest.param("latent", {"classes": "17", "model": "beta4"}, None, id="latent"),
    *(pytest.param(name, {}, LAB_RUN, id=name) for name in ("lab_curves", "lab_latent")),
]

@pytest.mark.parametrize("name", list(widgets.FIGURES))
def test_source_is_the_figures_module(name):
    out = export.source(name)
    assert set(out) == {"name", "path", "source"}
    assert out["name"] == name
    assert out["path"] == f"elbo_lab/widgets/{name}.py"
    assert out["source"] == (ROOT / "py" / out["path"]).read_text(encoding="utf-8")
    assert "PARAMS" in out["source"] and "def compute(" in out["source"]
    if hasattr(widgets.FIGURES[name], "draw"):  # it draws, so its drawing code is shown
        assert "def build(" in out["source"] and "def draw(" in out["source"]
    else:
        assert "def draw(" not in out["source"]
    json.dumps(out)  # plain data for the worker


def test_source_of_a_toy_figure():
    out = export.source("posterior")["source"]
    assert out.startswith('"""The toy model')  # the whole module, from its docstring
    assert "def compute(x, s):" in out and "def draw(agg, view, density, mode):" in out
    assert "def count_modes(" in out
    assert "kl_to_standard_normal" not in out  # the KL figure's code is not in it
    assert export.source("kl")["source"] != out


def test_source_needs_no_matplotlib():
    """The page may show the code before matplotlib has loaded: source() must not import it."""
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "from elbo_lab import export\n"
            "out = export.source('kl')['source']\n"
            "assert 'def draw(' in out and 'def compute(' in out and 'PARAMS' in out\n"
            "assert sys.modules['matplotlib'] is None\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "py"))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=SCRIPT_TIMEOUT_S, check=False)
    assert done.returncode == 0, done.stderr


def test_embeds_what_build_bundle_ships(tmp_path):
    bundle = load_script("build_bundle")
    shipped = [p.relative_to(bundle.PACKAGE.parent).as_posix() for p in bundle.package_files()]

    path = tmp_path / "generate.py"  # a figure that reads the digits: it carries every file
    path.write_text(export.script("generate", {"n": 4}), encoding="utf-8")
    embedded = runpy.run_path(str(path), run_name="not_main")["FILES"]  # defines, runs nothing
    assert list(embedded) == shipped
    assert any(rel.endswith(".npz") for rel in embedded)
    for rel, (encoding, data) in embedded.items():
        raw = base64.decodebytes(data.encode()) if encoding == "base64" else data.encode("utf-8")
        assert raw == (ROOT / "py" / rel).read_bytes(), rel


def test_script_reads_top_down():
    text = export.script("kl", {"mu": 1.5, "sigma": 0.8})
    assert len(text.encode("utf-8")) < 1_500_000
    head = text[:text.index("\nFILES = {")]
    assert text.startswith('#!/usr/bin/env python3\n"""')
    assert "exported from elbo lab" in head.lower()
    assert 'figure "kl"' in head and "mu = 1.5" in head and "sigma = 0.8" in head
    assert "python3 elbo-lab-kl-mu1.5-sigma0.8.py [out.png]" in head
    assert not re.search(r"\b(19|20)\d\d-\d\d-\d\d\b", head)  # no date: the same input, the same text
    assert head.index("def main(") < text.index("\nFILES = {") < text.index('if __name__ == "__main__":')
    assert text.rstrip().endswith("main(sys.argv)")
    assert export.script("kl", {"mu": 1.5, "sigma": 0.8}) == text


def _same(got, want):
    """JSON values equal, floats to 1e-12."""
    if isinstance(want, float):
        return got == pytest.approx(want, rel=1e-12, abs=1e-12)
    if isinstance(want, dict):
        return isinstance(got, dict) and got.keys() == want.keys() and all(
            _same(got[k], want[k]) for k in want)
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(map(_same, got, want))
    return got == want


def _replay(run):
    session.reset(**run["settings"])
    while session.status()["step"] < run["step"]:
        session.advance(ms=60000, max_steps=run["step"] - session.status()["step"])
    assert session.status()["step"] == run["step"]


@pytest.fixture
def keep_lab():
    """Put back the lab session a replay replaces, for the tests that follow."""
    saved = session._lab
    yield
    session._lab = saved


def _run_and_compare(name, params, run, tmp_path):
    """Run the exported script standalone; its PNG and printout match this process's,
    drawn in this process's current theme."""
    want = widgets.run(name, **params)
    want_pixels = imread(io.BytesIO(agg.png_bytes(want["image"])))

    theme = plotting.get_theme()
    path = tmp_path / export.filename(name, params, run, theme)
    text = export.script(name, params, run, theme)
    path.write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MPLBACKEND")}
    done = subprocess.run([sys.executable, "-I", "-c", RUNNER, str(ROOT / "py"), path.name],
                          cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=SCRIPT_TIMEOUT_S, check=False)
    assert done.returncode == 0, done.stderr

    png = tmp_path / f"{name}.png"  # the default output path
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    got_pixels = imread(png)
    # Natively the script and this process use the same numpy, BLAS and matplotlib, so
    # the pixels are identical, not just close (in the browser a lab replay is only close).
    assert got_pixels.shape == want_pixels.shape
    assert (got_pixels == want_pixels).all()

    values_line, summary = done.stdout.splitlines()[:2]
    assert _same(json.loads(values_line), want["values"])
    assert summary == want["summary"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, png.name])  # no litter
    return text


@pytest.mark.parametrize("name, params, run", CASES)
def test_script_redraws_the_figure_standalone(name, params, run, tmp_path, keep_lab):
    if run is not None:
        _replay(run)
    _run_and_compare(name, params, run, tmp_path)


@pytest.fixture
def blas():
    """Multiply with scipy's BLAS, as the page does once the lab has trained."""
    saved = layers.get_matmul_backend()
    layers.set_matmul_backend("blas")
    yield
    layers.set_matmul_backend(saved)


def test_script_multiplies_as_the_page_did(tmp_path, blas):
    text = _run_and_compare("generate", {"n": 4, "seed": 5}, None, tmp_path)
    assert "\nMATMUL = 'blas'\n" in text


@pytest.fixture
def dark():
    plotting.set_theme("dark")
    yield
    plotting.set_theme("light")


@pytest.mark.parametrize("name, params", [("kl", {"mu": 1.5, "sigma": 0.8}), ("generate", {"n": 4, "seed": 5})])
def test_script_draws_in_the_theme_it_was_exported_in(name, params, tmp_path, dark):
    text = _run_and_compare(name, params, None, tmp_path)
    assert "\nTHEME = 'dark'\n" in text and "in its dark theme" in text
    corner = imread(tmp_path / f"{name}.png")[2, 2, :3]  # the figure's own background
    assert corner.mean() < 0.25, corner


def test_export_knows_the_figures_themes():
    for theme in plotting.THEMES:
        assert f"\nTHEME = {theme!r}\n" in export.script("kl", {}, theme=theme)
    for theme in ["sepia", "", "Dark", 1]:
        with pytest.raises(ValueError, match="^theme must be one of light, dark, got "):
            export.script("kl", {}, theme=theme)
    assert "\nTHEME = 'light'\n" in export.script("kl", {}, theme=None)  # None: the current theme
    assert export.filename("kl", {"mu": 1.0}, theme="dark") == "elbo-lab-kl-mu1-dark.py"
    out = door.handle("export", "download", {"name": "kl", "params": {}, "theme": "sepia"})
    assert out["ok"] is False and out["param"] == "theme"
    assert out["error"] == "theme must be one of light, dark, got 'sepia'"


def test_script_writes_where_it_is_told(tmp_path):
    path = tmp_path / "s.py"
    path.write_text(export.script("kl", {"mu": 0.5, "sigma": 1.2}), encoding="utf-8")
    done = subprocess.run([sys.executable, str(path), "out/there.png"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=SCRIPT_TIMEOUT_S, check=False)
    assert done.returncode != 0  # the directory does not exist: an error, not silence
    (tmp_path / "out").mkdir()
    done = subprocess.run([sys.executable, str(path), "out/there.png"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=SCRIPT_TIMEOUT_S, check=False)
    assert done.returncode == 0, done.stderr
    assert imread(tmp_path / "out" / "there.png").shape[2] == 4


def test_filename():
    assert export.filename("kl", {"sigma": 0.6, "mu": 1.5}) == "elbo-lab-kl-mu1.5-sigma0.6.py"
    assert export.filename("latent", {"classes": "17", "model": "beta4"}) == \
        "elbo-lab-latent-classes17-modelbeta4.py"
    assert export.filename("architecture", {}) == "elbo-lab-architecture.py"
    odd = export.filename("latent", {"classes": "1/7 ..\\x", "model": "béta"})
    assert re.fullmatch(r"elbo-lab-[A-Za-z0-9._+-]+\.py", odd)
    assert "/" not in odd and "\\" not in odd


@pytest.mark.parametrize("fn", [export.source, lambda n: export.script(n, {})])
@pytest.mark.parametrize("name", ["nope", "", None, "FIGURES", "run", "toy_axes", "__init__"])
def test_unknown_figure(fn, name):
    with pytest.raises(ValueError, match="^unknown figure "):
        fn(name)


@pytest.mark.parametrize("params", [None, [("mu", 1.0)], "mu=1", {"mu": [1.0]}, {"mu": {"a": 1}},
                                    {"mu": float("nan")}, {"mu": float("inf")}, {1: 1.0},
                                    {"mu": b"1"}])
def test_params_must_be_json_scalars(params):
    with pytest.raises(ValueError, match="^params "):
        export.script("kl", params)


@pytest.mark.parametrize("name, params", [("kl", {"mu": 1.0, "sigma": -1.0}),
                                          ("kl", {"mu": "one"}),
                                          ("kl", {"nu": 1.0}),
                                          ("latent", {"classes": "1x"}),
                                          ("generate", {"n": 65})])
def test_params_the_widget_rejects(name, params):
    message = door.handle("figure", name, params)["error"]
    with pytest.raises(ValueError) as info:
        export.script(name, params)
    assert str(info.value) == message


def test_replay_only_for_the_lab():
    with pytest.raises(ValueError, match="^lab_replay "):
        export.script("kl", {}, lab_replay=LAB_RUN)


@pytest.mark.parametrize("replay", [
    None, [], {"settings": DEFAULTS}, {"step": 3},
    {"settings": {"beta": 1.0}, "step": 3},
    {"settings": dict(DEFAULTS, beta=-1.0), "step": 3},
    {"settings": dict(DEFAULTS, z_dim=5), "step": 3},
    {"settings": DEFAULTS, "step": -1},
    {"settings": DEFAULTS, "step": 2.5},
    {"settings": DEFAULTS, "step": True},
    {"settings": DEFAULTS, "step": float("inf")},
    {"settings": dict(DEFAULTS, epochs=3), "step": 214},  # 3 epochs of 71 steps
])
def test_bad_replays(replay):
    with pytest.raises(ValueError, match="^lab_replay "):
        export._check_replay(replay)


def test_a_status_is_a_replay():
    status = dict(LAB_RUN, epoch=2, done=False, version=7)
    assert export._check_replay(status) == LAB_RUN
    assert export._check_replay(dict(LAB_RUN, step=213))["step"] == 213  # the end of the run


def test_the_door_answers_export_requests_and_never_raises():
    out = door.handle("export", "source", {"name": "kl"})
    assert out == {"ok": True, "result": export.source("kl")}
    out = door.handle("export", "download", {"name": "kl", "params": {"mu": 1.5, "sigma": 0.6}})
    assert out["ok"] is True
    assert out["result"]["filename"] == "elbo-lab-kl-mu1.5-sigma0.6.py"
    assert out["result"]["text"] == export.script("kl", {"mu": 1.5, "sigma": 0.6})
    for action, params in [("source", {"name": "nope"}), ("source", {}), ("source", None),
                           ("download", {"name": "kl", "params": {"sigma": -1.0}}),
                           ("download", {"name": "kl", "params": [1]}),
                           ("download", {"name": "kl", "params": {}, "lab_replay": LAB_RUN}),
                           ("download", {"params": {}}), ("bogus", {}), ("download", 3),
                           ("script", {"name": "kl", "params": {}})]:
        out = door.handle("export", action, params)
        assert set(out) == {"ok", "error", "param", "bug"}, (action, params)
        assert out["ok"] is False and out["bug"] is False, (action, params, out)
        assert isinstance(out["error"], str), (action, params)
    assert door.handle("export", "source", {"name": "nope"})["error"].startswith("unknown figure ")


@pytest.mark.parametrize("name", list(widgets.FIGURES))
def test_a_script_carries_the_stored_digits_and_weights_only_if_its_figure_reads_them(name):
    reads = name in {"generate", "decode_at", "architecture", "draw", "latent", "dynamics"} or name.startswith("lab_")
    assert widgets.needs_data(name) == reads
    if name.startswith("lab_"):
        return  # their scripts need a replay; the flag is what decides, checked above
    text = export.script(name, {})  # the figure's defaults
    assert ("elbo_lab/pretrained_beta1.npz" in text) == reads
    assert ("elbo_lab/digits.npz" in text) == reads
