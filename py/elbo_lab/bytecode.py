"""Bytecode made ahead of time for the modules the page imports once matplotlib is in.

Pyodide unpacks matplotlib and the packages it needs as source files, and CPython
compiles each module as it is first imported. In the page's Pyodide that compiling was
2.1 s of the 3.3 s that importing ``plotting.agg`` took, spread over 170 modules, and it
happened at every visit, because Pyodide's files live in memory only. So
``scripts/build_bytecode.py`` compiles those modules once, in the page's own Pyodide,
and ``js/py-bytecode.js`` carries the result; the worker hands it to ``install_file``
before it imports ``plotting.agg``.

Each file is a checked-hash .pyc (PEP 552) put in its module's ``__pycache__``: CPython
uses it only while the hash of the source beside it matches, and otherwise compiles the
source as it would have anyway. Bytecode made for other sources or another CPython is
therefore never run; ``status`` says whether any went unused. Paths are kept relative
to site-packages (``sysconfig``'s purelib).
"""

import importlib.util
import json
import marshal
import os
import sys
import sysconfig
import time
import zlib

__all__ = ["MAGIC", "compile_new", "install", "install_file", "pack", "status", "unpack"]

MAGIC = importlib.util.MAGIC_NUMBER.hex()  # the bytecode version this CPython reads
FLAGS_CHECKED_HASH = (0b11).to_bytes(4, "little")  # PEP 552: hash-based, checked against the source
_state = {"installed": [], "root": None, "before": set(), "ms": 0.0, "reason": "nothing installed"}


def _purelib():
    # Pyodide's sysconfig says "//lib/python3.14/site-packages", where modules say "/lib/..."
    return "/" + sysconfig.get_path("purelib").lstrip("/")


def _pyc(code, source):
    """A checked-hash .pyc of ``code``, compiled from ``source`` (bytes)."""
    return importlib.util.MAGIC_NUMBER + FLAGS_CHECKED_HASH + importlib.util.source_hash(source) + marshal.dumps(code)


def _source_file(module):
    """The .py file a module was imported from, or None (built in, an extension, a zip)."""
    spec = getattr(module, "__spec__", None)
    origin = getattr(spec, "origin", None)
    if not origin or not origin.endswith(".py") or not os.path.isfile(origin):
        return None
    return origin


def compile_new(before, root=None):
    """{path relative to ``root``: .pyc bytes} for every module now imported (in sys.modules)
    whose name is not in ``before`` and whose source lies under ``root`` (site-packages)."""
    root = os.path.join(root or _purelib(), "")
    files = {}
    for name, module in sorted(sys.modules.items()):
        origin = _source_file(module)
        if name in before or origin is None or not origin.startswith(root):
            continue
        with open(origin, "rb") as f:
            source = f.read()
        code = compile(source, origin, "exec", dont_inherit=True)
        files[os.path.relpath(importlib.util.cache_from_source(origin), root)] = _pyc(code, source)
    return files


def pack(files):
    """One zlib-compressed blob of {relative path: bytes}: a JSON line (this CPython's
    bytecode magic, each path and size), then the files' bytes in that order."""
    paths = sorted(files)
    head = json.dumps({"magic": MAGIC, "files": [[p, len(files[p])] for p in paths]}).encode()
    return zlib.compress(head + b"\n" + b"".join(files[p] for p in paths), 9)


def unpack(blob):
    """(magic, {relative path: bytes}) from ``pack``'s blob; ValueError if it is not one."""
    try:
        raw = zlib.decompress(blob)
        end = raw.index(b"\n")
        head = json.loads(raw[:end])
        at, files = end + 1, {}
        for path, size in head["files"]:
            files[path] = raw[at : at + size]
            at += size
    except (zlib.error, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a bytecode bundle: {exc}") from None
    if at != len(raw) or any(os.path.isabs(p) or ".." in p.split("/") for p in files):
        raise ValueError("not a bytecode bundle: its index does not match its contents")
    return head["magic"], files


def install(blob, root=None):
    """Write ``pack``'s files under ``root`` (site-packages), each only where its module's
    source is there too; nothing at all if they were made for another bytecode version.
    Returns a summary: {"installed", "ms", "reason"}."""
    t0 = time.perf_counter()
    root = root or _purelib()
    magic, files = unpack(blob)
    installed = []
    if magic != MAGIC:
        reason = f"made for bytecode {magic}; this Python reads {MAGIC}"
    else:
        for rel, data in files.items():
            path = os.path.join(root, rel)
            if not os.path.isfile(importlib.util.source_from_cache(path)):
                continue
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            installed.append(path)
        reason = f"{len(installed)} of {len(files)} files installed"
    _state.update(installed=installed, root=os.path.join(root, ""), before=set(sys.modules),
                  ms=(time.perf_counter() - t0) * 1e3, reason=reason)
    return {"installed": len(installed), "ms": _state["ms"], "reason": reason}


def install_file(path):
    """``install`` from a file (the worker writes the page's blob to one). A blob that is not
    a bundle installs nothing, and ``status`` says why."""
    with open(path, "rb") as f:
        blob = f.read()
    os.remove(path)
    try:
        return install(blob)
    except ValueError as exc:
        _state.update(installed=[], root=None, reason=f"not installed: {exc}")
        return {"installed": 0, "ms": 0.0, "reason": _state["reason"]}


def status():
    """What the installed bytecode did: {"installed", "ms", "reason", "stale": pyc paths
    whose source has changed since (so CPython compiled it after all), "compiled": modules
    imported since the install from a source under site-packages with no pyc of ours}."""
    installed, root = _state["installed"], _state["root"]
    stale = []
    for path in installed:
        with open(path, "rb") as f:
            stored = f.read(16)[8:16]
        with open(importlib.util.source_from_cache(path), "rb") as f:
            if importlib.util.source_hash(f.read()) != stored:
                stale.append(path)
    have = set(installed)
    compiled = sorted(name for name, module in list(sys.modules.items())
                      if root and name not in _state["before"] and (origin := _source_file(module))
                      and origin.startswith(root) and importlib.util.cache_from_source(origin) not in have)
    return {"installed": len(installed), "ms": _state["ms"], "reason": _state["reason"],
            "stale": stale, "compiled": compiled}
