"""Where a link may lead, and connecting only there: server-side request forgery refused.

* ``checked_addresses``: http(s) only; the host's addresses, each refused if it is private,
  loopback, link-local, multicast or reserved (unless private ones are allowed:
  ``VERBATIM_FETCH_ALLOW_PRIVATE=true``);
* ``PinnedBackend``: httpx connects to the very addresses that were checked, never resolving
  the name again, so a name that is public for the check and private a moment later (DNS
  rebinding) never reaches the private one; TLS still checks the certificate for the name.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpcore

from index.errors import FetchError

if TYPE_CHECKING:
    import httpx


def checked_addresses(url: str, *, allow_private: bool) -> list[str]:
    """The addresses ``url``'s host resolves to, each checked; FetchError if one is refused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # "Port out of range", "Invalid IPv6 URL"
        raise FetchError(f"{url}: not a valid link ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"{url}: only http:// and https:// links can be added")
    host = parts.hostname
    if not host:
        raise FetchError(f"{url}: the link has no host")
    try:
        infos = socket.getaddrinfo(host, port or 80, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"{url}: the host {host} cannot be found ({exc})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if allow_private:
        return addresses
    for text in addresses:
        address = ipaddress.ip_address(text)
        if not address.is_global or address.is_multicast:
            raise FetchError(
                f"{url}: {host} is a private, loopback or link-local address ({address}); "
                "links into this machine's own network are refused "
                "(VERBATIM_FETCH_ALLOW_PRIVATE=true allows them)"
            )
    return addresses


def pinned_transport(backend: PinnedBackend) -> httpx.HTTPTransport:
    """httpx's own transport, connecting through ``backend``. httpx has no public option for
    the network backend of its connection pool (httpcore's ``network_backend``): it is set on
    the pool, and refused loudly if a later httpx keeps it elsewhere."""
    import httpx

    transport = httpx.HTTPTransport()
    pool = getattr(transport, "_pool", None)
    if pool is None or not hasattr(pool, "_network_backend"):
        raise RuntimeError("this httpx version cannot pin addresses; refusing to fetch links")
    pool._network_backend = backend
    return transport


class PinnedBackend(httpcore.SyncBackend):
    """Connects a host only to the addresses checked for it (``pin``), never resolving the
    name again: the check and the connection see the same address."""

    def __init__(self) -> None:
        self._pins: dict[str, list[str]] = {}

    def pin(self, url: str, addresses: list[str]) -> None:
        host = urlsplit(url).hostname or ""
        self._pins[host] = addresses
        with contextlib.suppress(UnicodeError):  # httpx connects a name by its IDNA form
            self._pins[host.encode("idna").decode("ascii")] = addresses

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._pins.get(host.strip("[]").lower())
        if not addresses:
            raise httpcore.ConnectError(f"{host} was not checked before connecting")
        error: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:  # the next address, as a resolver would
                error = exc
        assert error is not None
        raise error
