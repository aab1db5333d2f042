"""scripts/serve.py serves the page as the README's self-hosting path needs: with
Access-Control-Allow-Origin, since the page's worker (a data: URL) is cross-origin to it."""

import socket
import subprocess
import sys
import time
import urllib.request

from repo import ROOT


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_sends_cors_headers_for_the_page_and_its_files():
    port = _free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "serve.py"), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/js/worker.js", timeout=2) as answer:
                    assert answer.status == 200
                    assert answer.headers["Access-Control-Allow-Origin"] == "*"
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("serve.py did not answer")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=2) as page:
            assert page.headers["Access-Control-Allow-Origin"] == "*" and b"ELBO Lab" in page.read()
    finally:
        server.terminate()
        server.wait(timeout=10)
