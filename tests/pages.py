"""A small web site for the link tests, served on 127.0.0.1: a page, a redirect to it, a PDF,
and the links that cannot be added (404, a redirect loop, an image, binary data behind
text/html, a body that streams for ever)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.conftest import make_pdf

PAGE = (
    "<html><head><title>Geysers of Iceland</title></head><body><nav>Home | News</nav>"
    "<article><h1>Geysers of Iceland</h1>"
    "<p>The Strokkur geyser, in the Haukadalur valley, erupts every six to ten minutes and "
    "its column of boiling water often reaches a height of twenty metres.</p>"
    "<p>The Great Geysir, which gave all geysers their name, is mostly quiet nowadays and "
    "erupts only after earthquakes shake the valley.</p></article></body></html>"
)
SERVED = 0  # bytes the server sent, to show that a large body is cut
NEWS_VERSION = 1  # /news changes when a test sets this; its ETag says which it is
CONDITIONAL: list[str] = []  # the If-None-Match headers /news was asked with
asked_for: list[str] = []  # every request's Host header and path, in order


class _Pages(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        asked_for.append(f"{self.headers.get('Host')}{path}")
        if path == "/geysers" or path.startswith("/geysers/"):
            self._send(200, "text/html; charset=utf-8", PAGE.encode())
        elif path == "/news":
            etag = f'"v{NEWS_VERSION}"'
            asked = self.headers.get("If-None-Match")
            if asked:
                CONDITIONAL.append(asked)
            if asked == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            body = (
                f"<html><head><title>Geyser news</title></head><body><article>"
                f"<h1>Geyser news</h1><p>In edition {NEWS_VERSION} of the news, "
                f"{NEWS_VERSION} geysers erupted in the Haukadalur valley this week, "
                f"watched by many visitors from the road above.</p></article></body></html>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif path == "/paper.pdf":
            pdf = make_pdf(
                ["Geysers", "Strokkur erupts every ten minutes."],
                [],  # a blank page: counted
                ["Geysir is mostly quiet nowadays and erupts only after earthquakes."],
            )
            self._send(200, "application/pdf", pdf)
        elif path == "/moved":
            self._redirect("/geysers")
        elif path == "/declared-huge":  # says 2 GB; sends nothing of it
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(2 * 1024**3))
            self.end_headers()
        elif path == "/drip":  # a byte at a time: each read in time, the whole never
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "400")
            self.end_headers()
            try:
                for _ in range(400):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                return
        elif path == "/loop":
            self._redirect("/loop")
        elif path == "/image.png":
            self._send(200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
        elif path == "/binary.html":
            self._send(200, "text/html", b"\x00\x01\x02\x03" * 1000)
        elif path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()  # no length: the body streams until the client stops
            global SERVED
            try:
                for _ in range(2000):  # 2000 x 64 kB = 128 MB offered
                    self.wfile.write(b"<p>" + b"x" * 65_536 + b"</p>")
                    SERVED += 65_543
            except OSError:
                return
        else:
            self._send(404, "text/plain", b"not here")

    def _send(self, code: int, kind: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, where: str) -> None:
        self.send_response(302)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextlib.contextmanager
def serving_pages() -> Iterator[str]:
    """A local web site on 127.0.0.1 (its base URL) while the block runs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
