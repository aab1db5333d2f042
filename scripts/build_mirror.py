#!/usr/bin/env python3
"""Build (or verify) a local mirror of Pyodide 314.0.3 for the browser tests.

The test machines reach package registries only, never the Pyodide CDN. The
same release is assembled from two registry packages:

* the core (wasm, stdlib, loader, ``pyodide-lock.json``) from the npm package
  ``pyodide@314.0.3``, checked against npm's published sha512 integrity;
* the official wheels of that release from the PyPI package
  ``open-webui==0.12.4``, which carries them unmodified under
  ``open_webui/frontend/pyodide/``; every wheel is checked against the sha256
  recorded for it in the npm lock file, and a mismatch is fatal.

The mirror is cached (default ``~/.cache/elbo-lab/pyodide-314.0.3``, or
``$ELBO_PYODIDE_MIRROR``); a complete cache is re-verified and reused.

Usage: python scripts/build_mirror.py [--dest DIR] [--force]
Prints the mirror directory on its last line.
"""

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PYODIDE_VERSION = "314.0.3"
NPM_SPEC = f"pyodide@{PYODIDE_VERSION}"
# npm's published integrity for the tarball (`npm view pyodide@314.0.3 dist.integrity`).
NPM_INTEGRITY = (
    "sha512-sK40My6m8tmBUYtYH9au9rXUeh9x0wfahtHdOlGmJxZDsKBGKtP6Kzny"
    "FB2+u/klbQTdDionR0uaVd176zVQzQ=="
)
WHEEL_CARRIER = "open-webui==0.12.4"
WHEEL_CARRIER_FILE = "open_webui-0.12.4-py3-none-any.whl"
WHEEL_CARRIER_SHA256 = "02e9caba96234db3fa17a92e56163b3f7f2b8ca8227fa886b85c178d696483f6"
WHEEL_PREFIX = "open_webui/frontend/pyodide/"
CORE_FILES = ("pyodide.js", "pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
              "pyodide-lock.json", "package.json")
# What the page loads; the mirror must hold these and everything they depend on.
REQUIRED_PACKAGES = ("numpy", "scipy", "matplotlib")
STAMP = ".verified"


class MirrorError(RuntimeError):
    pass


def default_dest():
    env = os.environ.get("ELBO_PYODIDE_MIRROR")
    if env:
        return Path(env)
    return Path.home() / ".cache" / "elbo-lab" / f"pyodide-{PYODIDE_VERSION}"


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run(cmd, cwd):
    print("+", " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise MirrorError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")
    return proc.stdout


def dependency_closure(lock, names):
    packages = lock["packages"]
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in packages:
            raise MirrorError(f"package {name!r} is not in pyodide-lock.json")
        seen.add(name)
        todo.extend(packages[name].get("depends", []))
    return sorted(seen)


def fetch_core(work, dest):
    run(["npm", "pack", NPM_SPEC, "--silent"], cwd=work)
    tgz = Path(work) / f"pyodide-{PYODIDE_VERSION}.tgz"
    algo, expected = NPM_INTEGRITY.split("-", 1)
    digest = base64.b64encode(hashlib.new(algo, tgz.read_bytes()).digest()).decode()
    if digest != expected:
        raise MirrorError(f"{tgz.name}: {algo} is {digest}, expected {expected}")
    with tarfile.open(tgz) as tar:
        for name in CORE_FILES:
            member = tar.getmember(f"package/{name}")
            with tar.extractfile(member) as src, open(dest / name, "wb") as out:
                shutil.copyfileobj(src, out)
    print(f"core: {len(CORE_FILES)} files from {tgz.name}, integrity ok")


def fetch_wheels(work, dest, lock):
    run([sys.executable, "-m", "pip", "download", "--no-deps", "--ignore-requires-python",
         "--disable-pip-version-check", "-q", "-d", str(work), WHEEL_CARRIER], cwd=work)
    carrier = Path(work) / WHEEL_CARRIER_FILE
    got = sha256_file(carrier)
    if got != WHEEL_CARRIER_SHA256:
        raise MirrorError(f"{carrier.name}: sha256 {got}, expected {WHEEL_CARRIER_SHA256}")
    by_file = {p["file_name"]: p["sha256"] for p in lock["packages"].values()}
    copied = 0
    with zipfile.ZipFile(carrier) as zf:
        for name in zf.namelist():
            if not (name.startswith(WHEEL_PREFIX) and name.endswith(".whl")):
                continue
            file_name = name[len(WHEEL_PREFIX):]
            if file_name not in by_file:
                continue  # not part of the Pyodide release (open-webui's own extras)
            data = zf.read(name)
            got = hashlib.sha256(data).hexdigest()
            if got != by_file[file_name]:
                raise MirrorError(f"{file_name}: sha256 {got} does not match pyodide-lock.json "
                                  f"({by_file[file_name]})")
            (dest / file_name).write_bytes(data)
            copied += 1
    print(f"wheels: {copied} official wheels, each matching its sha256 in pyodide-lock.json")


def verify(dest):
    """Check a mirror: every wheel the page needs is present with the lock's sha256."""
    lock_path = dest / "pyodide-lock.json"
    if not lock_path.exists():
        raise MirrorError(f"{lock_path} is missing")
    lock = json.loads(lock_path.read_text())
    if lock.get("info", {}).get("python", "").split(".")[:2] != ["3", "14"]:
        raise MirrorError("pyodide-lock.json is not the 314.0.3 release lock")
    for name in CORE_FILES:
        if not (dest / name).is_file():
            raise MirrorError(f"core file {name} is missing from {dest}")
    needed = dependency_closure(lock, REQUIRED_PACKAGES)
    for pkg in needed:
        entry = lock["packages"][pkg]
        path = dest / entry["file_name"]
        if not path.is_file():
            raise MirrorError(f"{entry['file_name']} (needed by the page) is missing")
        if sha256_file(path) != entry["sha256"]:
            raise MirrorError(f"{entry['file_name']}: sha256 does not match pyodide-lock.json")
    return needed


def build(dest, force=False):
    dest = Path(dest)
    stamp = dest / STAMP
    if stamp.exists() and not force:
        try:
            verify(dest)
            print(f"mirror: cached and verified at {dest}")
            return dest
        except MirrorError as exc:
            print(f"mirror: cache invalid ({exc}); rebuilding")
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as work:
        fetch_core(work, partial)
        lock = json.loads((partial / "pyodide-lock.json").read_text())
        fetch_wheels(work, partial, lock)
    needed = verify(partial)
    (partial / STAMP).write_text(json.dumps({"version": PYODIDE_VERSION, "checked": needed}))
    shutil.rmtree(dest, ignore_errors=True)
    partial.rename(dest)
    print(f"mirror: built and verified at {dest} ({len(needed)} packages for the page)")
    return dest


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dest", type=Path, default=default_dest())
    ap.add_argument("--force", action="store_true", help="rebuild even if a cache exists")
    args = ap.parse_args(argv)
    try:
        path = build(args.dest, force=args.force)
    except MirrorError as exc:
        print(f"mirror: FAILED: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
