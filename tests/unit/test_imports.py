"""The package's shape, read from its source with ``ast``: layers that only point down.

    door -> export -> figure modules (widgets/) -> plotting, the lab session
         -> models (vae, training, toy, estimators, importance, grid posterior, pretrained)
         -> primitives (checks, params, gaussian, logmath, layers, losses, optim, data)

No import circle, no import inside a function (nor importlib or __import__: the
optional heavy dependencies, matplotlib and scipy's BLAS, are loaded by importing
``plotting.agg`` and ``fastblas``, which install themselves), no module over
about 400 lines, and no figure's drawing code that touches a model.
"""

import ast

import pytest

from repo import ROOT

PACKAGE = ROOT / "py" / "elbo_lab"
MOST_LINES = 400

# Each module's layer; a module may import only from its own layer or below.
LAYERS = [
    ("primitives", ["checks", "params", "gaussian", "logmath", "layers", "losses", "optim", "data",
                    "bytecode"]),
    ("models", ["vae", "training", "importance", "grid_posterior", "gap", "pretrained", "toy",
                "estimators", "fastblas", "lab_start"]),
    ("plotting and the lab session", ["plotting", "session"]),
    ("figures", ["widgets"]),
    ("export", ["export"]),
    ("the door", ["door"]),
]
LAYER_OF = {top: rank for rank, (_, tops) in enumerate(LAYERS) for top in tops}
MODEL_MODULES = {"vae", "training", "importance", "grid_posterior", "gap", "pretrained", "toy",
                 "estimators", "session", "data"}


def _modules():
    """{dotted name: path} of every module of the package, sorted."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _package_of(name):
    """The package a module's relative imports start from."""
    return name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]


def _imports(name):
    """[(line, imported module)] of module ``name``'s imports of our own modules."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("elbo_lab")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package_of(name).split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("elbo_lab"):
                continue
            for alias in node.names:  # "from . import kl" imports the module elbo_lab.widgets.kl
                sub = f"{target}.{alias.name}"
                found.append((node.lineno, sub if sub in MODULES else target))
    return found


def _top(name):
    """The layer key of a module: "vae", "toy", "plotting", "widgets", ..."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_every_module_has_a_layer():
    missing = sorted({_top(name) for name in MODULES if name != "elbo_lab"} - set(LAYER_OF))
    assert not missing, f"modules with no layer in this test's LAYERS: {missing}"


@pytest.mark.parametrize("name", [n for n in MODULES if n != "elbo_lab"])
def test_imports_point_down(name):
    here = LAYER_OF[_top(name)]
    for line, target in _imports(name):
        if target == "elbo_lab":
            continue
        there = LAYER_OF[_top(target)]
        assert there <= here, (f"{name} (layer {LAYERS[here][0]!r}) imports {target} "
                               f"(layer {LAYERS[there][0]!r}) at line {line}: layers point down")


def test_no_import_circle():
    graph = {name: {t for _, t in _imports(name) if t in MODULES} for name in MODULES}
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph[v]:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, f"import circles: {cycles}"


def _function_level_imports(tree):
    """[(line, what)] for every import inside a function, and every dynamic import anywhere."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    found.append((inner.lineno, ast.unparse(inner)))
        if isinstance(node, ast.Call):
            fn = ast.unparse(node.func)
            if fn in ("__import__", "importlib.import_module", "import_module", "importlib.reload"):
                found.append((node.lineno, ast.unparse(node)))
    return found


@pytest.mark.parametrize("name", list(MODULES))
def test_no_import_inside_a_function(name):
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    assert not _function_level_imports(tree), (name, _function_level_imports(tree))


def test_the_check_finds_what_it_forbids():
    """The two checks above would catch a circle and a function-level import."""
    tree = ast.parse("import os\ndef f():\n    from . import vae\n    return importlib.import_module('x')\n")
    assert [line for line, _ in _function_level_imports(tree)] == [3, 4]


@pytest.mark.parametrize("name", list(MODULES))
def test_no_module_is_over_about_400_lines(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MOST_LINES, f"{name} has {lines} lines"


@pytest.mark.parametrize("name", [n for n in MODULES if n.startswith("elbo_lab.widgets.")])
def test_figures_draw_and_never_run_a_model(name):
    """A figure module's build() and draw() use only their arguments, plotting helpers and
    constants: they never reach a model, the lab session or the data."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    bound = {}  # module-level name -> the elbo_lab module it is bound to
    for line, target in _imports(name):
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.lineno == line:
                for alias in node.names:
                    bound[alias.asname or alias.name] = target
    models = {n for n, target in bound.items() if _top(target) in MODEL_MODULES}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in ("build", "draw"):
            used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            assert not used & models, f"{name}.{node.name} uses {sorted(used & models)}"
