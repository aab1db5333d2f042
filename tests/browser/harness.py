"""Browser harness shared by the browser tests and the benchmarks.

The page under test is byte for byte the page users get: it loads Pyodide's core
from ``https://cdn.jsdelivr.net/npm/pyodide@314.0.3/`` and its packages from
``https://cdn.jsdelivr.net/pyodide/v314.0.3/full/``. These machines cannot
reach that CDN, so Chromium is told to resolve ``cdn.jsdelivr.net`` to a local
HTTPS server (self-signed certificate) that serves the verified mirror built by
``scripts/build_mirror.py``: the npm package's files alone under the first path,
the whole mirror under the second.

Why not Playwright's ``page.route``: in Chromium, Playwright cannot intercept
script loads inside a Web Worker (microsoft/playwright#6403), and the worker
loads ``pyodide.mjs`` with ``import()``. Mapping the host at the network layer
catches every kind of load (script, module, fetch) from page and worker alike.
"""

import atexit
import functools
import http.server
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

READY_TIMEOUT_MS = 90_000  # two cores, cold wasm compile: generous, it is a wait, not a budget
# Every retrying expect waits up to this long (Playwright's default is 5 s). A wait,
# not a budget: CI machines are noisy, and the budgets live in bench/.
EXPECT_TIMEOUT_MS = 20_000
WAIT_TIMEOUT_MS = 60_000  # page.wait_for_function and actions (Playwright's default: 30 s)


def wait_ready(page):
    """Wait once for Python to be ready; after this use only retrying expects."""
    from playwright.sync_api import expect

    expect(page.locator("body")).to_have_class(re.compile(r"\bpy-ready\b"), timeout=READY_TIMEOUT_MS)


def build_mirror_module():
    """scripts/build_mirror.py, imported."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import build_mirror
    finally:
        sys.path.pop(0)
    return build_mirror


CDN_HOST = "cdn.jsdelivr.net"
PYODIDE_VERSION = build_mirror_module().PYODIDE_VERSION
PYODIDE_PREFIX = f"/pyodide/v{PYODIDE_VERSION}/full/"
PYODIDE_NPM_PREFIX = f"/npm/pyodide@{PYODIDE_VERSION}/"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")

_TYPES = {
    ".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript",
    ".json": "application/json", ".zip": "application/zip", ".whl": "application/zip",
    ".css": "text/css", ".woff2": "font/woff2", ".html": "text/html", ".png": "image/png",
}


def mirror_dir():
    """Build or reuse the verified Pyodide mirror; return its path."""
    build_mirror = build_mirror_module()
    return build_mirror.build(build_mirror.default_dest())


def npm_core_dir(mirror):
    """A fresh folder holding only the npm package's files (as jsDelivr's /npm/ path
    serves them), copied from the mirror: a page that looked there for a package
    would get a 404, as it would from the real CDN."""
    core = Path(tempfile.mkdtemp(prefix="elbo-pyodide-npm-"))
    atexit.register(shutil.rmtree, core, True)
    for name in build_mirror_module().CORE_FILES:
        shutil.copyfile(Path(mirror) / name, core / name)
    return core


def chromium_path():
    for path in CHROMIUM_CANDIDATES:
        if Path(path).exists():
            return path
    found = shutil.which("chromium")
    if found:
        return found
    raise RuntimeError("Chromium not found: install it with `apt-get install -y chromium`")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **_TYPES}

    def log_message(self, *args):
        pass

    def handle(self):
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError):
            pass  # the browser hung up mid-request: normal when a page closes


class _CdnHandler(_QuietHandler):
    """Serves URL prefixes from local directories, with CORS, like a CDN."""

    mounts = {}  # URL prefix -> directory

    def translate_path(self, path):
        path = path.split("?", 1)[0].split("#", 1)[0]
        for prefix, directory in self.mounts.items():
            if path.startswith(prefix):
                rel = path[len(prefix):]
                target = (Path(directory) / rel).resolve()
                if Path(directory).resolve() in target.parents:
                    return str(target)
        return "/nonexistent"

    def end_headers(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cross-Origin-Resource-Policy", "cross-origin")
        super().end_headers()


def stop(server):
    server.shutdown()
    server.server_close()


def _serve(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


class _OpenHandler(_QuietHandler):
    """Also answers cross-origin requests, as GitHub Pages does: the page's worker has
    an opaque origin (a data: URL), so even its requests to the page's own site are
    cross-origin."""

    def end_headers(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()


def static_server(root=ROOT, cors=False):
    """Serve ``root`` over http on 127.0.0.1 at a free port (with cors, adding
    Access-Control-Allow-Origin: *)."""
    handler = functools.partial(_OpenHandler if cors else _QuietHandler, directory=str(root))
    return _serve(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler))


def cdn_server(mounts):
    """An HTTPS server on 127.0.0.1 standing in for the CDN.

    mounts: {URL prefix: directory}. Returns the server; its port is
    ``server.server_port``. The certificate is self-signed and made here.
    """
    certdir = Path(tempfile.mkdtemp(prefix="elbo-cdn-"))
    cert, key = certdir / "cert.pem", certdir / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", f"/CN={CDN_HOST}", "-addext", f"subjectAltName=DNS:{CDN_HOST}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    handler = type("Handler", (_CdnHandler,), {"mounts": dict(mounts)})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    # Handshake in the handler thread, not in accept(): a failed handshake then
    # ends in shutdown_request, which closes the socket.
    server.socket = context.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)
    return _serve(server)


def chromium_args(cdn_port):
    """Flags for Debian's Chromium as root on a machine with no internet."""
    return [
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--host-resolver-rules=MAP {CDN_HOST} 127.0.0.1:{cdn_port}",
        "--ignore-certificate-errors",
    ]


def katex_version():
    """The KaTeX version pinned in package.json (the page must load the same)."""
    import json

    return json.loads((ROOT / "package.json").read_text())["devDependencies"]["katex"]


def default_mounts():
    """CDN paths -> local copies: Pyodide from the mirror, KaTeX from npm."""
    katex = ROOT / "node_modules" / "katex" / "dist"
    if not katex.is_dir():
        raise RuntimeError("node_modules/katex is missing: run `npm ci` (scripts/test does)")
    mirror = mirror_dir()
    return {PYODIDE_NPM_PREFIX: npm_core_dir(mirror), PYODIDE_PREFIX: mirror,
            f"/npm/katex@{katex_version()}/dist/": katex}
