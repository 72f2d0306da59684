"""Which addresses a fetch may reach: the SSRF guard (docs/bad-inputs.md #14-#16).

A URL (and every redirect target) is checked before any connection, and every
connection goes to an address checked *after* DNS resolution, and to that very
address (:class:`GuardedBackend`), so neither a private address in a link nor
DNS rebinding reaches the internal network.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore

from newsflow.errors import PermanentError

Resolver = Callable[[str, int], Awaitable[list[str]]]

_TCP_QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux only
_MAX_ADDRESSES_TRIED = 3
# Letters (IDN included), digits, dots, hyphens, underscores; or an IPv6 literal.
_HOST = re.compile(r"[\w.-]{1,253}|[0-9a-fA-F:.]+(%[\w.-]+)?")


class AddressRefused(PermanentError):
    """The URL's host is, or resolves to, an address we must not connect to."""


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address.

    Refuses loopback, private, link-local (cloud metadata 169.254.169.254),
    CGNAT 100.64/10, unique-local fc00::/7, multicast, unspecified, reserved,
    and IPv6 forms that carry any of them (IPv4-mapped, IPv4-compatible,
    6to4, NAT64).
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if not ip.is_global or ip.is_multicast:
        return False
    embedded = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    return embedded is None or (embedded.is_global and not embedded.is_multicast)


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


async def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, in the resolver's order."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpcore.ConnectError(f"cannot resolve {host!r}: {exc}") from exc
    return [info[4][0] for info in infos]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses that passed the check.

    The check runs on the resolved address and the socket is opened to that
    same address, so a name that resolves to a public address for the check and
    to 127.0.0.1 for the connect (DNS rebinding) cannot slip through. TLS still
    verifies the certificate against the host name (httpcore passes it as SNI).
    """

    def __init__(self, allow_private: bool, resolver: Resolver = resolve) -> None:
        self._allow_private = allow_private
        self._resolver = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.checked_addresses(host, port)
        for attempt, address in enumerate(addresses[:_MAX_ADDRESSES_TRIED], start=1):
            try:
                stream = await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                # e.g. a name with an AAAA record on a host without IPv6: try the next address
                if attempt == min(len(addresses), _MAX_ADDRESSES_TRIED):
                    raise
                continue
            return _QuickAckStream(stream) if _TCP_QUICKACK is not None else stream
        raise httpcore.ConnectError(f"no address to connect to for {host!r}")

    async def checked_addresses(self, host: str, port: int) -> list[str]:
        """The resolved addresses we may connect to; refuses when there is none."""
        addresses = await self._resolver(host.strip("[]"), port)
        allowed = [a for a in dict.fromkeys(addresses) if self._allow_private or is_public_address(a)]
        if not allowed:
            raise AddressRefused(f"refused to connect to {host!r}: resolves to non-public {addresses[:3]}")
        return allowed

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _QuickAckStream(httpcore.AsyncNetworkStream):
    """A stream that acknowledges what it receives at once.

    Servers that write headers and body separately with Nagle's algorithm on
    (Python's http.server among them) hold the body until the headers are
    ACKed, while Linux delays that ACK up to 40 ms: every response then costs
    40 ms. TCP_QUICKACK is not sticky, so it is set again before each read.
    """

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket = inner.get_extra_info("socket")  # the TCP socket, also under TLS

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.setsockopt(socket.IPPROTO_TCP, _TCP_QUICKACK, 1)
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _QuickAckStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def check_url(url: str, previous: str | None, allow_private: bool) -> None:
    """Refuse a URL (or redirect target) before any connection is attempted."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise PermanentError(f"invalid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise PermanentError(f"refused scheme {scheme or '(none)'!r}")
    if not parts.hostname:
        raise PermanentError("URL has no host")
    if not _HOST.fullmatch(parts.hostname):
        raise PermanentError(f"invalid host {parts.hostname[:100]!r}")
    if previous is not None and urlsplit(previous).scheme.lower() == "https" and scheme == "http":
        raise PermanentError("refused redirect from https to http")
    if not allow_private and _is_local_name(parts.hostname):
        raise AddressRefused(f"refused non-public address {parts.hostname!r}")


def _is_local_name(host: str) -> bool:
    """An IP literal that is not public, or a ``localhost`` name (RFC 6761 §6.3), before any DNS."""
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    numeric = legacy_ipv4(name)
    if numeric is not None:
        return not is_public_address(numeric)
    return _is_literal_address(host) and not is_public_address(host)


# inet_aton's forms (issue 8 #10): 1 to 4 parts, each decimal, octal (leading 0)
# or hex (0x): 0177.0.0.1, 0x7f.0.0.1, 127.1 and 2130706433 are all 127.0.0.1.
_LEGACY_IPV4 = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}")


def legacy_ipv4(host: str) -> str | None:
    """The dotted-quad address a numeric host means to the C resolver, or None if it is a name.

    httpx refuses some of these forms ("Invalid IPv4 address") while
    getaddrinfo accepts them all, so they are judged here, by the address they
    mean, before either sees them: a private one is refused like any other
    instead of failing later as a transient protocol error.
    """
    if not _LEGACY_IPV4.fullmatch(host):
        return None
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        return "0.0.0.0"  # numeric but out of range: never public, so refused


def _is_literal_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True
