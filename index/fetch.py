"""Adding a document by its link: fetch the page safely, read its main text, save it into the
corpus as a text file that records its URL (``verbatim add URL``).

Safety, checked before and while fetching:

* http and https only; at most ``max_redirects`` redirects, each target checked again;
* the host's addresses: any private, loopback, link-local, multicast or reserved one is
  refused (server-side request forgery: a link must not make this machine fetch its own
  network), unless ``allow_private`` (``VERBATIM_FETCH_ALLOW_PRIVATE=true``);
* a timeout on connecting and on each read; the size limit checked on the declared length and
  again while the body streams in, so a 2 GB body is cut at the limit, not downloaded;
* the content type: HTML, PDF or plain text; anything else is refused, saying what it was; a
  binary body behind an HTML or text type is refused too;
* the connection goes to the very addresses that were checked (``index.addresses``): a name
  that resolves to a public address for the check and to a private one a moment later (DNS
  rebinding) never reaches the private one. TLS still checks the certificate for the name.

The page is saved as ``<host>-<path>.txt``: the title, a ``URL:`` line (which the text reader
turns back into the document's link), then the paragraphs as read by the HTML, PDF or text
reader. The name comes from the URL, so adding a link again refreshes that file instead of
adding a second one. What a saved file does not keep is the page's markup.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from index import links
from index.addresses import PinnedBackend, checked_addresses, pinned_transport
from index.cleaning import PAGE_BREAK
from index.errors import DocumentError, FetchError
from index.links import Validators
from index.types import Document

_TYPES = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
}
_SLUG = re.compile(r"[^A-Za-z0-9]+")
#: One save into the corpus at a time in this process (the bot adds links from several
#: threads).
_SAVING = threading.RLock()


@dataclass(frozen=True)
class FetchSettings:
    timeout: float = 15.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    allow_private: bool = False


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    suffix: str  # the reader it needs: .html, .pdf or .txt
    data: bytes
    validators: Validators = field(default_factory=Validators)


def corpus_name(url: str, *, distinct: bool = False) -> str:
    """The file a link is saved as: the same for the same link (so adding it again
    refreshes it), readable, at most about 100 characters. Two links can share a readable
    name (``?id=1`` and ``/id/1``; a long common start): ``distinct`` adds a hash of the whole
    link (``save_fetched`` uses it when the readable name holds another link)."""
    parts = urlsplit(url)
    stem = _SLUG.sub("-", f"{parts.hostname or 'page'}{parts.path}").strip("-")
    if parts.query:
        stem += "-" + _SLUG.sub("-", parts.query).strip("-")
    stem = stem[:96].rstrip("-") or "page"
    if distinct:
        stem = f"{stem[:86].rstrip('-')}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"
    return stem + ".txt"


def _target(url: str, corpus_dir: Path) -> Path:
    """Where ``url`` is (or goes) in the corpus: its readable name, unless that file holds
    another link."""
    distinct = corpus_dir / corpus_name(url, distinct=True)
    plain = corpus_dir / corpus_name(url)
    if distinct.exists() or (plain.exists() and _saved_url(plain) not in (url, None)):
        return distinct
    return plain


def _saved_url(path: Path) -> str | None:
    """The link a saved page records (its ``URL:`` line, the second), if any."""
    try:
        with path.open(encoding="utf-8", errors="replace") as file:
            head = [file.readline() for _ in range(2)]
    except OSError:
        return None
    line = head[1].strip()
    return line.removeprefix("URL: ") if line.startswith("URL: ") else None


def fetch(url: str, settings: FetchSettings | None = None) -> Fetched:
    """The page at ``url``, checked as the module's docstring says (FetchError if not)."""
    fetched = _get(url, settings, None)
    assert fetched is not None  # only a conditional request gets "not modified"
    return fetched


def fetch_if_changed(url: str, settings: FetchSettings, since: Validators) -> Fetched | None:
    """The page at ``url`` if the server does not answer that it is unchanged since it gave
    ``since`` (a conditional request: 304 Not Modified gives None)."""
    return _get(url, settings, since)


def _get(url: str, settings: FetchSettings | None, since: Validators | None) -> Fetched | None:
    import httpx

    settings = settings or FetchSettings()
    current = url.strip()
    timeout = httpx.Timeout(settings.timeout)
    pinned = PinnedBackend()
    transport = pinned_transport(pinned)
    with httpx.Client(
        follow_redirects=False, timeout=timeout, trust_env=False, transport=transport
    ) as client:
        for _hop in range(settings.max_redirects + 1):
            pinned.pin(current, checked_addresses(current, allow_private=settings.allow_private))
            try:
                headers = {"User-Agent": "Verbatim/1", **(since.headers() if since else {})}
                with client.stream("GET", current, headers=headers) as reply:
                    if reply.is_redirect and "location" in reply.headers:
                        current = urljoin(current, reply.headers["location"])
                        continue
                    if reply.status_code == 304 and since is not None:
                        return None
                    validators = Validators(
                        reply.headers.get("etag"), reply.headers.get("last-modified")
                    )
                    if reply.status_code != 200:
                        raise FetchError(
                            f"{current}: the server answered {reply.status_code} "
                            f"{reply.reason_phrase}"
                        )
                    suffix = _suffix(current, reply.headers.get("content-type", ""))
                    data = _body(current, reply, settings.max_bytes, 4 * settings.timeout)
            except httpx.TimeoutException:
                raise FetchError(
                    f"{current}: no answer within {settings.timeout:g} s (timeout)"
                ) from None
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise FetchError(
                    f"{current}: cannot fetch it ({type(exc).__name__}: {exc})"
                ) from None
            if suffix != ".pdf" and b"\x00" in data[:8192]:
                raise FetchError(f"{current}: the server says it is text, but it is binary data")
            return Fetched(current, suffix, data, validators)
    raise FetchError(f"{url}: more than {settings.max_redirects} redirects (a redirect loop?)")


def _suffix(url: str, content_type: str) -> str:
    kind = content_type.split(";")[0].strip().lower()
    suffix = _TYPES.get(kind)
    if suffix is None:
        raise FetchError(
            f"{url}: it is {kind or 'of no declared type'}, not a web page, PDF or text "
            "(those are what can be added by link)"
        )
    return suffix


def _body(url: str, reply: object, limit: int, seconds: float) -> bytes:
    """The body, at most ``limit`` bytes, within ``seconds`` in all (a server dripping a
    byte at a time never trips a per-read timeout)."""
    deadline = time.monotonic() + seconds
    headers = getattr(reply, "headers", {})
    declared = headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise FetchError(f"{url}: it is {int(declared):,} bytes; the limit is {limit:,}")
    chunks: list[bytes] = []
    size = 0
    for chunk in reply.iter_bytes():  # type: ignore[attr-defined]
        size += len(chunk)
        if size > limit:
            raise FetchError(f"{url}: it is larger than the limit of {limit:,} bytes")
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise FetchError(f"{url}: the page did not arrive within {seconds:g} s (too slow)")
    return b"".join(chunks)


@dataclass(frozen=True)
class Saved:
    path: Path
    title: str
    new: bool  # the link was not in the corpus
    changed: bool  # the file was written (new, or its text changed)


def save_fetched(fetched: Fetched, corpus_dir: Path) -> Saved:
    """Read the fetched page with the reader of its type and save it into the corpus (an
    atomic replace; a file whose text is the same is left as it is)."""
    from index.documents import read_document

    try:
        doc = read_document(corpus_dir / f"page{fetched.suffix}", corpus_dir, fetched.data)
    except DocumentError as exc:  # named after the link, not a scratch name
        reason = str(exc).split(": ", 1)[-1]
        raise FetchError(f"{fetched.url}: {reason}") from None
    title = doc.title if doc.title != "page" else (urlsplit(fetched.url).hostname or "page")
    paragraphs = _paged(doc)
    if paragraphs and paragraphs[0].strip() == doc.title:
        paragraphs = paragraphs[1:]
    text = "\n\n".join([f"{title}\nURL: {fetched.url}", *paragraphs]) + "\n"
    corpus_dir.mkdir(parents=True, exist_ok=True)
    with _SAVING:  # two adds of one link at once: one after the other
        target = _target(fetched.url, corpus_dir)
        new = not target.exists()
        if not new and target.read_text(encoding="utf-8", errors="replace") == text:
            return Saved(target, title, new=False, changed=False)  # file and index kept
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)
    return Saved(target, title, new=new, changed=True)


def _paged(doc: Document) -> list[str]:
    """The document's paragraphs, each page after the first opened by a form feed (which the
    text reader turns back into pages: a PDF added by its link keeps its page numbers)."""
    breaks = Counter(doc.pages[1:])  # a blank page: two breaks at one place
    paragraphs, offset = [], 0
    for paragraph in doc.text.split("\n\n"):
        paragraphs.append(PAGE_BREAK * breaks[offset] + paragraph)
        offset += len(paragraph) + 2
    return paragraphs


def add_link(url: str, corpus_dir: Path, index_dir: Path, settings: FetchSettings) -> Saved:
    """Fetch ``url``, save it into the corpus and remember what its server said about this
    version (for ``verbatim refresh``): what ``verbatim add`` and the bot's /add do."""
    fetched = fetch(url, settings)
    saved = save_fetched(fetched, corpus_dir)
    links.remember(index_dir, fetched.url, fetched.validators)
    return saved


def saved_as(url: str, source: str) -> bool:
    """Is the corpus file ``source`` where ``save_fetched`` saves ``url``? (Either name it
    may take: a document with a URL line of its own is not a page added by its link.)"""
    return source in (corpus_name(url), corpus_name(url, distinct=True))
