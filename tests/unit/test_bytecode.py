"""elbo_lab.bytecode: bytecode made ahead is used while its source is unchanged, and never
after; a bundle for another CPython, or one that is not a bundle, installs nothing."""

import importlib.machinery
import sys
import zlib

import pytest

from elbo_lab import bytecode

SOURCES = {"pkgx/__init__.py": "from . import mod\n", "pkgx/mod.py": "VALUE = 41\n"}


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A site-packages of its own, on sys.path, with the package pkgx imported once from it
    (compiled from source, and no .pyc written); its modules forgotten afterwards."""
    root = tmp_path / "site"
    for rel, text in SOURCES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.syspath_prepend(str(root))
    before = set(sys.modules)
    __import__("pkgx")
    yield root, before
    for name in ("pkgx", "pkgx.mod", "pkgx.extra"):
        sys.modules.pop(name, None)


def forget():
    for name in ("pkgx", "pkgx.mod", "pkgx.extra"):
        sys.modules.pop(name, None)
    importlib.invalidate_caches()


@pytest.fixture
def compiles(monkeypatch):
    """The modules CPython compiles from source from now on (by file name)."""
    seen = []
    original = importlib.machinery.SourceFileLoader.source_to_code

    def source_to_code(self, data, path, *args, **kwargs):
        seen.append(path.rsplit("/", 1)[-1])
        return original(self, data, path, *args, **kwargs)

    monkeypatch.setattr(importlib.machinery.SourceFileLoader, "source_to_code", source_to_code)
    return seen


def test_the_modules_imported_since_are_compiled_and_their_bytecode_is_used(site, compiles):
    root, before = site
    files = bytecode.compile_new(before, root=str(root))
    tag = sys.implementation.cache_tag
    assert sorted(files) == [f"pkgx/__pycache__/__init__.{tag}.pyc", f"pkgx/__pycache__/mod.{tag}.pyc"]
    forget()
    summary = bytecode.install(bytecode.pack(files), root=str(root))
    assert summary["installed"] == 2
    forget()
    compiles.clear()
    assert __import__("pkgx").mod.VALUE == 41
    assert compiles == []  # both came from the bytecode
    state = bytecode.status()
    assert (state["installed"], state["stale"], state["compiled"]) == (2, [], [])


def test_a_changed_source_is_compiled_again_and_reported_stale(site, compiles):
    root, before = site
    blob = bytecode.pack(bytecode.compile_new(before, root=str(root)))
    forget()
    bytecode.install(blob, root=str(root))
    (root / "pkgx" / "mod.py").write_text("VALUE = 42\n")  # the same size: only the hash tells
    forget()
    compiles.clear()
    assert __import__("pkgx").mod.VALUE == 42
    assert compiles == ["mod.py"]
    state = bytecode.status()
    assert [p.rsplit("/", 1)[-1].split(".")[0] for p in state["stale"]] == ["mod"]


def test_a_module_imported_after_the_install_without_bytecode_is_reported(site):
    root, before = site
    blob = bytecode.pack(bytecode.compile_new(before, root=str(root)))
    (root / "pkgx" / "extra.py").write_text("X = 1\n")
    bytecode.install(blob, root=str(root))
    __import__("pkgx.extra")
    assert bytecode.status()["compiled"] == ["pkgx.extra"]


def test_bytecode_for_another_python_or_without_its_source_is_not_installed(site):
    root, before = site
    files = bytecode.compile_new(before, root=str(root))
    _, same = bytecode.unpack(bytecode.pack(files))
    assert same == files
    raw = zlib.decompress(bytecode.pack(files)).replace(bytecode.MAGIC.encode(), b"00000000", 1)
    summary = bytecode.install(zlib.compress(raw), root=str(root))
    assert summary["installed"] == 0 and "00000000" in summary["reason"]
    assert not (root / "pkgx" / "__pycache__").exists()
    (root / "pkgx" / "mod.py").unlink()
    assert bytecode.install(bytecode.pack(files), root=str(root))["installed"] == 1  # __init__ only


@pytest.mark.parametrize("blob", [b"not zlib", zlib.compress(b"no index line"),
                                  zlib.compress(b'{"magic": "x", "files": [["a.pyc", 5]]}\nabc'),
                                  zlib.compress(b'{"magic": "x", "files": [["../a.pyc", 1]]}\na')])
def test_what_is_not_a_bundle_is_refused_and_installs_nothing(blob, tmp_path):
    with pytest.raises(ValueError, match="not a bytecode bundle"):
        bytecode.unpack(blob)
    path = tmp_path / "blob.bin"
    path.write_bytes(blob)
    summary = bytecode.install_file(str(path))
    assert summary["installed"] == 0 and summary["reason"].startswith("not installed: not a bytecode bundle")
    assert bytecode.status()["installed"] == 0
