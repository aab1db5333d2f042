"""Where the repository is, and its project scripts, for the native tests."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_script(name):
    """scripts/<name>.py, imported as a module (it runs nothing on import)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Run an exported script as `python -I script.py out.png` would, but with the repository's
# py/ taken off sys.path first (an editable install may have put it there): the script must
# import the copy of elbo_lab it carries, and could not import any other.
# Usage: [sys.executable, "-I", "-c", RUNNER, str(ROOT / "py"), script, *args]
RUNNER = """
import importlib.util, runpy, sys
from pathlib import Path
repo_py = Path(sys.argv[1]).resolve()
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != repo_py]
if importlib.util.find_spec("elbo_lab") is not None:
    sys.exit("the repository's elbo_lab is importable: the test proves nothing")
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def pixels(out):
    """A figure result's image as an (height, width, 4) uint8 array, its size checked."""
    image = out["image"]
    assert len(image["rgba"]) == image["width"] * image["height"] * 4
    return np.frombuffer(image["rgba"], np.uint8).reshape(image["height"], image["width"], 4)


def assert_json_safe(values):
    """Values the page can show: strict JSON, plain numbers, strings, flags and lists of floats."""
    json.dumps(values, allow_nan=False)
    for key, value in values.items():
        if isinstance(value, list):
            assert all(type(v) is float for v in value), key
        else:
            assert value is None or type(value) in (int, float, str, bool), key


def assert_raises_naming(call, match, param):
    """``call()`` raises a ValueError whose message matches and whose ``.param`` names the input."""
    with pytest.raises(ValueError, match=match) as info:
        call()
    assert info.value.param == param
