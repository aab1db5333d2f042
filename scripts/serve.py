#!/usr/bin/env python3
"""Serve the page on http://127.0.0.1:8000/ (any static server works; so does a double-click).

Usage: python3 scripts/serve.py [--port 8000]
"""

import argparse
import functools
import http.server
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files, with Access-Control-Allow-Origin: * on every answer: the page's worker runs
    from a data: URL, whose origin is opaque, so its requests for a self-hosted Pyodide
    (``?pyodide=pyodide/``) are cross-origin even on this site."""

    def end_headers(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8000)
    args = ap.parse_args()
    handler = functools.partial(Handler, directory=str(ROOT))
    with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server:
        print(f"ELBO Lab: open http://127.0.0.1:{args.port}/ (Ctrl-C stops)", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
