"""index.fetch and ``verbatim add``: links served by a local HTTP server on 127.0.0.1 (the
private-address refusal is tested with it off, everything else with it on)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from index.errors import FetchError
from index.fetch import FetchSettings, corpus_name, fetch, save_fetched
from tests import pages
from tests.pages import serving_pages
from tests.unit.index.test_cli import run


@pytest.fixture
def site() -> Iterator[str]:
    with serving_pages() as url:
        yield url


OPEN = FetchSettings(timeout=5.0, max_bytes=1_000_000, allow_private=True)


def test_a_page_is_fetched_read_and_saved_with_its_link(site: str, tmp_path: Path) -> None:
    fetched = fetch(f"{site}/moved", OPEN)  # a redirect, followed
    assert fetched.url == f"{site}/geysers" and fetched.suffix == ".html"
    saved = save_fetched(fetched, tmp_path)
    path = saved.path
    assert saved.new and saved.changed and saved.title == "Geysers of Iceland"
    assert path.name == corpus_name(fetched.url)
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"Geysers of Iceland\nURL: {site}/geysers\n")
    assert "six to ten minutes" in text and "Home | News" not in text
    again = save_fetched(fetch(f"{site}/geysers", OPEN), tmp_path)
    assert again.path == path and not again.new  # the same link: the same file
    assert not again.changed  # the same text: left as it is
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_pdf_link_is_read_as_a_pdf_and_keeps_its_pages(site: str, tmp_path: Path) -> None:
    """Saved as text with a form feed where each page begins: read back, the document has
    the PDF's pages, and a quote's link opens the PDF at its page."""
    from index.citations import deep_link
    from index.documents import read_document

    saved = save_fetched(fetch(f"{site}/paper.pdf", OPEN), tmp_path)
    assert "Strokkur erupts every ten minutes." in saved.path.read_text(encoding="utf-8")
    doc = read_document(saved.path, tmp_path)
    assert doc.url == f"{site}/paper.pdf"
    quiet = doc.text.index("Geysir is mostly quiet")
    assert doc.page_at(doc.text.index("Strokkur")) == 1 and doc.page_at(quiet) == 3
    assert deep_link(doc, quiet, quiet, quiet + 20) == f"{site}/paper.pdf#page=3"
    again = save_fetched(fetch(f"{site}/paper.pdf", OPEN), tmp_path)
    assert not again.changed  # the pages are part of the text: the same text again


@pytest.mark.parametrize(
    ("route", "says"),
    [
        ("/missing", "answered 404"),
        ("/loop", "redirects (a redirect loop?)"),
        ("/image.png", "it is image/png, not a web page"),
        ("/binary.html", "it is binary data"),
        ("/huge", "larger than the limit of 1,000,000 bytes"),
        ("/declared-huge", "it is 2,147,483,648 bytes; the limit is 1,000,000"),
    ],
)
def test_links_that_cannot_be_added_say_why(site: str, route: str, says: str) -> None:
    with pytest.raises(FetchError, match=None) as caught:
        fetch(f"{site}{route}", OPEN)
    assert says in str(caught.value)
    if route == "/huge":
        assert pages.SERVED < 20_000_000  # cut at the limit, not downloaded


def test_a_page_that_drips_in_is_cut_at_the_time_limit(site: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="did not arrive within 2 s"):
        fetch(f"{site}/drip", FetchSettings(timeout=0.5, allow_private=True))
    assert time.monotonic() - started < 6


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/file",
        "file:///etc/passwd",
        "http://no-such-host.invalid/",
        "http://127.0.0.1:99999/",  # port out of range
        "http://[::1/x",  # a broken IPv6 address
        "http://",
    ],
)
def test_only_http_links_to_hosts_that_exist(url: str) -> None:
    with pytest.raises(FetchError):
        fetch(url, OPEN)


def test_two_links_with_one_readable_name_are_two_files(site: str, tmp_path: Path) -> None:
    """``/geysers?id=1`` and ``/geysers/id/1`` read alike; neither replaces the other, and
    each added again refreshes its own file."""
    first = save_fetched(fetch(f"{site}/geysers?id=1", OPEN), tmp_path)
    second = save_fetched(fetch(f"{site}/geysers/id/1", OPEN), tmp_path)
    assert first.path != second.path and first.new and second.new
    again = [
        save_fetched(fetch(u, OPEN), tmp_path)
        for u in (f"{site}/geysers/id/1", f"{site}/geysers?id=1")
    ]
    assert [s.path for s in again] == [second.path, first.path]
    assert not any(s.new for s in again)
    assert len(list(tmp_path.iterdir())) == 2


def test_links_added_at_once_are_all_kept(site: str, tmp_path: Path) -> None:
    """The bot adds links from several threads: no save fails and links.json loses none."""
    from concurrent.futures import ThreadPoolExecutor

    from index.fetch import add_link
    from index.links import load_validators

    urls = [f"{site}/news?n={n % 4}" for n in range(16)]  # each link four times
    with ThreadPoolExecutor(8) as pool:
        saved = list(pool.map(lambda u: add_link(u, tmp_path / "corpus", tmp_path, OPEN), urls))
    assert len(saved) == 16
    assert set(load_validators(tmp_path)) == set(urls)
    assert len([p for p in (tmp_path / "corpus").iterdir()]) == 4


def test_private_addresses_are_refused_unless_allowed(site: str) -> None:
    with pytest.raises(FetchError, match="private, loopback or link-local") as caught:
        fetch(f"{site}/geysers", FetchSettings())
    assert "VERBATIM_FETCH_ALLOW_PRIVATE" in str(caught.value)
    with pytest.raises(FetchError, match="private"):
        fetch("http://169.254.169.254/latest/meta-data/", FetchSettings())  # cloud metadata


def _resolving(monkeypatch: pytest.MonkeyPatch, name: str, answers: Iterator[str]) -> list[str]:
    """``name`` resolves to the next of ``answers`` at each lookup (a DNS server that changes
    its answer, as in DNS rebinding); the lookups made, in order."""
    real = socket.getaddrinfo
    looked: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != name:
            return real(host, port, *args, **kwargs)
        address = next(answers)
        looked.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 80))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return looked


def test_the_connection_goes_to_the_address_that_was_checked(
    site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name is public when checked and 127.0.0.1 a moment later. The
    fetch connects to the checked (public, unreachable here) address, never to this
    machine; allowed, a name is fetched from the address it resolved to, under its name."""
    port = urlsplit(site).port
    looked = _resolving(monkeypatch, "rebind.example", iter(["93.184.216.34", *["127.0.0.1"] * 9]))
    pages.asked_for.clear()
    with pytest.raises(FetchError, match=r"cannot fetch it|timeout"):
        fetch(f"http://rebind.example:{port}/geysers", FetchSettings(timeout=2.0))
    assert looked == ["93.184.216.34"] and pages.asked_for == []
    _resolving(monkeypatch, "pages.example", iter(["127.0.0.1"] * 3))
    fetched = fetch(f"http://pages.example:{port}/geysers", OPEN)
    assert fetched.url.startswith("http://pages.example:") and b"Strokkur" in fetched.data
    assert pages.asked_for == [f"pages.example:{port}/geysers"]


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
    assert again.returncode == 0 and "unchanged 127-0-0-1-geysers.txt" in again.stdout


def test_verbatim_refresh_asks_the_server_and_reindexes_what_changed(
    site: str, corpus: Path, tmp_path: Path
) -> None:
    env = {
        "VERBATIM_CORPUS_DIR": str(corpus),
        "VERBATIM_INDEX_DIR": str(tmp_path / "idx"),
        "VERBATIM_FETCH_ALLOW_PRIVATE": "true",
    }
    pages.NEWS_VERSION = 1
    assert run(["add", f"{site}/news"], env).returncode == 0
    unchanged = run(["refresh"], env)
    assert unchanged.returncode == 0, unchanged.stderr
    assert "unchanged 127-0-0-1-news.txt (the server says so)" in unchanged.stdout  # a 304
    assert pages.CONDITIONAL[-1] == '"v1"'  # it sent the ETag it was given
    pages.NEWS_VERSION = 2
    changed = run(["refresh"], env)
    assert "refreshed 127-0-0-1-news.txt" in changed.stdout and "1 changed" in changed.stdout
    assert "edition 2 of the news" in (corpus / "127-0-0-1-news.txt").read_text(encoding="utf-8")


def test_verbatim_refresh_also_fetches_a_page_saved_under_its_distinct_name(
    site: str, corpus: Path, tmp_path: Path
) -> None:
    """Two links with one readable name: the second is saved under a name with a hash, and
    ``verbatim refresh`` fetches it again too."""
    env = {
        "VERBATIM_CORPUS_DIR": str(corpus),
        "VERBATIM_INDEX_DIR": str(tmp_path / "idx"),
        "VERBATIM_FETCH_ALLOW_PRIVATE": "true",
    }
    added = run(["add", f"{site}/geysers?id=1", f"{site}/geysers/id/1"], env)
    assert added.returncode == 0, added.stderr
    names = [line.split()[1].rstrip(":") for line in added.stdout.splitlines()[:2]]
    assert names[0] != names[1]
    pages.asked_for.clear()
    again = run(["refresh"], env)
    assert again.returncode == 0, again.stderr
    assert all(f"unchanged {name}" in again.stdout for name in names), again.stdout
    assert sorted(p.split("/", 1)[1] for p in pages.asked_for) == ["geysers", "geysers/id/1"]
