"""index.fetch and ``verbatim add``: links served by a local HTTP server on 127.0.0.1 (the
private-address refusal is tested with it off, everything else with it on)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from index.fetch import FetchError, FetchSettings, corpus_name, fetch, save_fetched
from tests.conftest import make_pdf
from tests.unit.index.test_cli import run

PAGE = (
    "<html><head><title>Geysers of Iceland</title></head><body><nav>Home | News</nav>"
    "<article><h1>Geysers of Iceland</h1>"
    "<p>The Strokkur geyser, in the Haukadalur valley, erupts every six to ten minutes and "
    "its column of boiling water often reaches a height of twenty metres.</p>"
    "<p>The Great Geysir, which gave all geysers their name, is mostly quiet nowadays and "
    "erupts only after earthquakes shake the valley.</p></article></body></html>"
)
SERVED = 0  # bytes the server sent, to show that a large body is cut


class _Pages(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/geysers":
            self._send(200, "text/html; charset=utf-8", PAGE.encode())
        elif path == "/paper.pdf":
            self._send(200, "application/pdf", make_pdf(["Strokkur erupts every ten minutes."]))
        elif path == "/moved":
            self._redirect("/geysers")
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


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


OPEN = FetchSettings(timeout=5.0, max_bytes=1_000_000, allow_private=True)


def test_a_page_is_fetched_read_and_saved_with_its_link(site: str, tmp_path: Path) -> None:
    fetched = fetch(f"{site}/moved", OPEN)  # a redirect, followed
    assert fetched.url == f"{site}/geysers" and fetched.suffix == ".html"
    path, title, new = save_fetched(fetched, tmp_path)
    assert new and title == "Geysers of Iceland" and path.name == corpus_name(fetched.url)
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"Geysers of Iceland\nURL: {site}/geysers\n")
    assert "six to ten minutes" in text and "Home | News" not in text
    again = save_fetched(fetch(f"{site}/geysers", OPEN), tmp_path)
    assert again[0] == path and not again[2]  # the same link refreshes the same file
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_pdf_link_is_read_as_a_pdf(site: str, tmp_path: Path) -> None:
    path, _, _ = save_fetched(fetch(f"{site}/paper.pdf", OPEN), tmp_path)
    assert "Strokkur erupts every ten minutes." in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("route", "says"),
    [
        ("/missing", "answered 404"),
        ("/loop", "redirects (a redirect loop?)"),
        ("/image.png", "it is image/png, not a web page"),
        ("/binary.html", "it is binary data"),
        ("/huge", "larger than the limit of 1,000,000 bytes"),
    ],
)
def test_links_that_cannot_be_added_say_why(site: str, route: str, says: str) -> None:
    with pytest.raises(FetchError, match=None) as caught:
        fetch(f"{site}{route}", OPEN)
    assert says in str(caught.value)
    if route == "/huge":
        assert SERVED < 20_000_000  # cut at the limit, not downloaded


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/file", "file:///etc/passwd", "http://no-such-host.invalid/"]
)
def test_only_http_links_to_hosts_that_exist(url: str) -> None:
    with pytest.raises(FetchError):
        fetch(url, OPEN)


def test_private_addresses_are_refused_unless_allowed(site: str) -> None:
    with pytest.raises(FetchError, match="private, loopback or link-local") as caught:
        fetch(f"{site}/geysers", FetchSettings())
    assert "VERBATIM_FETCH_ALLOW_PRIVATE" in str(caught.value)
    with pytest.raises(FetchError, match="private"):
        fetch("http://169.254.169.254/latest/meta-data/", FetchSettings())  # cloud metadata


def test_verbatim_add_fetches_indexes_and_answers(site: str, corpus: Path, tmp_path: Path) -> None:
    env = {"VERBATIM_CORPUS_DIR": str(corpus), "VERBATIM_INDEX_DIR": str(tmp_path / "idx")}
    refused = run(["add", f"{site}/geysers"], env)
    assert refused.returncode == 1 and "VERBATIM_FETCH_ALLOW_PRIVATE" in refused.stderr
    env["VERBATIM_FETCH_ALLOW_PRIVATE"] = "true"
    added = run(["add", f"{site}/geysers", f"{site}/missing"], env)
    assert added.returncode == 1  # one of the two could not be added
    assert "added 127-0-0-1-geysers.txt: Geysers of Iceland" in added.stdout
    assert "answered 404" in added.stderr and "3 documents" in added.stdout
    answer = run(["ask", "--json", "How often does Strokkur erupt?"], env)
    assert "six to ten minutes" in answer.stdout
    again = run(["add", f"{site}/geysers"], env)
    assert again.returncode == 0 and "refreshed 127-0-0-1-geysers.txt" in again.stdout
    assert "index already up to date" in again.stdout
