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
import base64
import functools
import hashlib
import http.server
import json
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


def run_in_pyodide(code, packages="numpy,scipy", timeout_ms=600_000, root=ROOT):
    """Run Python ``code`` in the page's Pyodide (the local mirror, in Chromium, through
    bench/pyodide_step.html, with our package unpacked and ``packages`` loaded), and return
    (the page's answer {ok, result: the code's last value | error}, Chromium's version).
    ``root``: the checkout whose page and package are served (another, to compare)."""
    from playwright.sync_api import sync_playwright

    cdn = cdn_server(default_mounts())
    site = static_server(root)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=chromium_args(cdn.server_port))
            page = browser.new_page()
            page.add_init_script(f"window.BENCH_CODE = {json.dumps(code)};")
            page.goto(f"http://127.0.0.1:{site.server_port}/bench/pyodide_step.html?packages={packages}")
            page.wait_for_function("document.getElementById('out').textContent !== 'running'",
                                   timeout=timeout_ms)
            answer, version = json.loads(page.text_content("#out")), browser.version
            browser.close()
    finally:
        stop(cdn)
        stop(site)
    return answer, version


def scroll_through(page):
    """Bring each figure that draws near in turn, and wait until it is drawn: at load the page
    draws only the figures within a screen of the window, and the others as they come near."""
    keys = page.evaluate("() => [...document.querySelectorAll('figure[data-widget]')]"
                         ".filter((f) => f.querySelector('canvas')).map((f) => f.dataset.widget)")
    for key in keys:
        page.locator(f'[data-widget="{key}"]').scroll_into_view_if_needed()
        page.wait_for_function(f"() => performance.getEntriesByName('elbo:{key}:drawn').length > 0")


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
    """Serves URL prefixes from local directories, with CORS, like a CDN; optionally
    with a Cache-Control header, and logging every response it sends."""

    mounts = {}  # URL prefix -> directory
    cache_control = None  # the Cache-Control header's value, or None to send none
    requests = None  # a list to append {"path", "status", "bytes"} to per response, or None

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
        if self.cache_control:
            self.send_header("Cache-Control", self.cache_control)
        super().end_headers()

    def send_response(self, code, message=None):
        super().send_response(code, message)
        if self.requests is not None:
            self._logged = {"path": self.path, "status": code, "bytes": 0}
            self.requests.append(self._logged)

    def copyfile(self, source, outputfile):
        if self.requests is None:
            return super().copyfile(source, outputfile)
        while chunk := source.read(64 * 1024):  # body bytes actually written
            outputfile.write(chunk)
            self._logged["bytes"] += len(chunk)


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


# What a CDN sends for versioned files; with it (and a trusted certificate, see
# chromium_args) a repeat visit takes everything from the browser's cache.
IMMUTABLE = "public, max-age=31536000, immutable"


def cdn_server(mounts, cache_control=None, log_requests=False):
    """An HTTPS server on 127.0.0.1 standing in for the CDN.

    mounts: {URL prefix: directory}. Returns the server; its port is
    ``server.server_port``. The certificate is self-signed and made here; its
    PEM file is ``server.cert_file`` (see spki_hash). cache_control: the value of
    a Cache-Control header on every response (e.g. IMMUTABLE), or None for none.
    log_requests: keep ``server.requests``, a list of {"path", "status", "bytes"
    (of the body sent)}, one per response, in order.
    """
    certdir = Path(tempfile.mkdtemp(prefix="elbo-cdn-"))
    cert, key = certdir / "cert.pem", certdir / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", f"/CN={CDN_HOST}", "-addext", f"subjectAltName=DNS:{CDN_HOST}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    requests = [] if log_requests else None
    handler = type("Handler", (_CdnHandler,), {"mounts": dict(mounts), "cache_control": cache_control,
                                               "requests": requests})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.cert_file, server.requests = cert, requests
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    # Handshake in the handler thread, not in accept(): a failed handshake then
    # ends in shutdown_request, which closes the socket.
    server.socket = context.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)
    return _serve(server)


def spki_hash(cert_file):
    """The base64 sha256 of a PEM certificate's SubjectPublicKeyInfo, as Chromium's
    --ignore-certificate-errors-spki-list takes it."""
    pem = subprocess.run(["openssl", "x509", "-in", str(cert_file), "-noout", "-pubkey"],
                         check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"],
                         input=pem, check=True, capture_output=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode("ascii")


def chromium_args(cdn_port, spki=None):
    """Flags for Debian's Chromium as root on a machine with no internet.

    By default every certificate error is ignored. Chromium then caches no response
    that carried one, so every visit downloads Pyodide again. With spki (see
    spki_hash) only the certificate with that public key is trusted, and its
    responses are cached like any other.
    """
    return [
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--host-resolver-rules=MAP {CDN_HOST} 127.0.0.1:{cdn_port}",
        f"--ignore-certificate-errors-spki-list={spki}" if spki else "--ignore-certificate-errors",
    ]


def katex_version():
    """The KaTeX version pinned in package.json (the page must load the same)."""
    import json

    return json.loads((ROOT / "package.json").read_text())["devDependencies"]["katex"]


def default_mounts():
    """CDN paths -> local copies: Pyodide's core and packages from the mirror. (KaTeX is
    served with the page, from vendor/katex.)"""
    mirror = mirror_dir()
    return {PYODIDE_NPM_PREFIX: npm_core_dir(mirror), PYODIDE_PREFIX: mirror}
