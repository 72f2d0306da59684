"""HTTP fetching of strangers' bytes, feeds and article pages alike.

Everything a hostile or broken server can do to us is handled here, once
(bad-inputs.md #9-#16):

* a total deadline around the whole fetch (httpx's timeouts bound each read,
  so a 1 byte/s trickle would otherwise hold a request for ever);
* raw bytes are streamed and decompressed by us with a running cap (httpx
  would inflate a gzip bomb without limit); stacked encodings are refused, and
  a gzip body sent without ``Content-Encoding`` is recognised by its magic;
* redirects are followed by hand, each hop re-validated (http/https only, no
  https -> http downgrade, loops and long chains refused);
* every connection goes to an address checked *after* DNS resolution, and to
  that very address (:class:`GuardedBackend`), so neither a private address in
  a link nor DNS rebinding reaches the internal network.

Errors are classified in one place, :func:`classify_status` and
:meth:`Fetcher.fetch`, into :class:`~newsflow.errors.TransientError` (timeouts,
connection failures, 5xx, 429: retry later) and
:class:`~newsflow.errors.PermanentError` (4xx, refused address, oversized
body, bad scheme, redirect trouble).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
import socket
import ssl
import zlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from ingest.hostslots import WorkerHostSlots
from newsflow.errors import PermanentError, TransientError
from newsflow.settings import FetchConfig

log = logging.getLogger(__name__)

Resolver = Callable[[str, int], Awaitable[list[str]]]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRYABLE_4XX = frozenset({408, 425, 429})
# Brotli is not accepted: the brotli bindings offer no output cap to stop a bomb.
ACCEPT_ENCODING = "gzip, deflate"
_GZIP_MAGIC = b"\x1f\x8b"
_TCP_QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux only
_MAX_ADDRESSES_TRIED = 3
# Letters (IDN included), digits, dots, hyphens, underscores; or an IPv6 literal.
_HOST = re.compile(r"[\w.-]{1,253}|[0-9a-fA-F:.]+(%[\w.-]+)?")


class RetryLater(TransientError):
    """A transient HTTP status; ``retry_after_s`` is the server's Retry-After, if any."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class DeadlineExceeded(TransientError):
    """The whole fetch did not complete within ``total_timeout_s``."""


class AddressRefused(PermanentError):
    """The URL's host is, or resolves to, an address we must not connect to."""


@dataclass(frozen=True)
class FetchResult:
    """A completed fetch. ``not_modified`` for a 304 answer to a conditional GET."""

    status: int
    final_url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    not_modified: bool = False

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


# --- addresses ---------------------------------------------------------------------


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


# --- status and headers --------------------------------------------------------------


def classify_status(status: int, headers: Mapping[str, str], conditional: bool) -> None:
    """Raise the error a non-success status means; return for 2xx and a proper 304."""
    if 200 <= status < 300:
        return
    if status == 304:
        if conditional:
            return
        # RFC 9110 §15.4.5: 304 only answers a conditional request.
        raise TransientError("HTTP 304 to an unconditional request")
    if status in _RETRYABLE_4XX or status >= 500:
        raise RetryLater(f"HTTP {status}", parse_retry_after(headers.get("retry-after")))
    if status in _REDIRECTS:
        raise PermanentError(f"HTTP {status} without a Location")
    raise PermanentError(f"HTTP {status}")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def content_encoding(headers: Mapping[str, str]) -> str | None:
    """The one content coding to undo, or None; stacked or unknown codings are refused."""
    codings = [c.strip().lower() for c in headers.get("content-encoding", "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if len(codings) > 1:
        raise PermanentError(f"refused stacked content encodings {', '.join(codings)}")
    if not codings:
        return None
    if codings[0] in ("gzip", "x-gzip"):
        return "gzip"
    if codings[0] == "deflate":
        return "deflate"
    raise PermanentError(f"unsupported content encoding {codings[0]!r}")


# --- bodies ---------------------------------------------------------------------------


class CappedDecoder:
    """Undoes one content coding while counting, refusing output beyond ``limit`` bytes.

    With no declared coding, a body starting with the gzip magic is inflated
    anyway (bad-inputs.md #11: some servers serve feeds that way).
    """

    def __init__(self, coding: str | None, limit: int) -> None:
        self._coding = coding
        self._limit = limit
        self._size = 0
        self._wire = 0
        self._chunks: list[bytes] = []
        self._pending = b""
        self._zlib: Any = None

    def feed(self, data: bytes) -> None:
        self._wire += len(data)
        if self._wire > self._limit:
            raise PermanentError(f"body larger than {self._limit} bytes")
        if self._undecided():
            data = self._start(self._pending + data)
            if self._undecided():
                return
        if self._zlib is not None:
            self._inflate(data)
        else:
            self._append(data)

    def finish(self) -> bytes:
        if self._zlib is None:
            self._append(self._pending)  # fewer than two bytes in all: not compressed
        else:
            self._append(self._zlib.flush())
            if not self._zlib.eof:
                raise TransientError("compressed body ended early")
        return b"".join(self._chunks)

    def _undecided(self) -> bool:
        return self._zlib is None and self._coding != "identity"

    def _start(self, data: bytes) -> bytes:
        """Choose the decompressor once two bytes are known; returns the bytes to process."""
        if len(data) < 2:
            self._pending = data
            return b""
        self._pending = b""
        if self._coding == "gzip" or (self._coding is None and data.startswith(_GZIP_MAGIC)):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self._coding == "deflate":
            # RFC 9110 says zlib-wrapped; some servers send raw deflate.
            zlib_header = (data[0] & 0x0F) == 8 and int.from_bytes(data[:2], "big") % 31 == 0
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
        else:
            self._coding = "identity"
        return data

    def _inflate(self, data: bytes) -> None:
        try:
            while data and not self._zlib.eof:
                out = self._zlib.decompress(data, self._limit - self._size + 1)
                self._append(out)
                if not out and self._zlib.unconsumed_tail == data:
                    break
                data = self._zlib.unconsumed_tail
        except zlib.error as exc:
            raise PermanentError(f"corrupt compressed body: {exc}") from exc

    def _append(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._limit:
            raise PermanentError(f"body larger than {self._limit} bytes after decompression")
        if data:
            self._chunks.append(data)


async def read_body(response: httpx.Response, limit: int) -> bytes:
    """The response body, decompressed by us under ``limit`` (never by httpx)."""
    coding = content_encoding(response.headers)
    declared = response.headers.get("content-length", "")
    if coding is None and declared.isdigit() and int(declared) > limit:
        raise PermanentError(f"body larger than {limit} bytes (Content-Length {declared})")
    decoder = CappedDecoder(coding, limit)
    async for chunk in response.aiter_raw():
        decoder.feed(chunk)
    return decoder.finish()


# --- the fetcher ------------------------------------------------------------------


class Fetcher:
    """One HTTP client for a run: connection reuse, global and per-host concurrency caps.

    Use as ``async with Fetcher(config) as fetcher: await fetcher.fetch(url)``.
    """

    def __init__(
        self, config: FetchConfig, resolver: Resolver = resolve, ssl_context: ssl.SSLContext | None = None,
        shared_host_slots: WorkerHostSlots | None = None,
    ) -> None:
        self._config = config
        self._backend = GuardedBackend(config.allow_private_addresses, resolver)
        self._client = _make_client(config, self._backend, ssl_context)
        self._slots = asyncio.Semaphore(config.concurrency)
        self._host_slots: dict[str, asyncio.Semaphore] = {}
        # In an ingest worker: the per-host cap shared with the other workers.
        self._shared_host_slots = shared_host_slots

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> FetchResult:
        """GET ``url`` within every limit of :class:`FetchConfig`; raise Transient/PermanentError."""
        request_headers = _request_headers(self._config, etag, last_modified)
        conditional = bool(etag or last_modified)
        async with self._slots, self._host_slot(url), self._shared_host_slot(url):
            try:
                async with asyncio.timeout(self._config.total_timeout_s):
                    return await self._follow(url, request_headers, headers or {}, conditional)
            except TimeoutError as exc:
                raise DeadlineExceeded(f"no complete response within {self._config.total_timeout_s:g}s") from exc
            except httpx.TimeoutException as exc:
                raise TransientError(f"timed out: {type(exc).__name__}") from exc
            except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:
                raise PermanentError(f"invalid URL: {exc}") from exc
            except (httpx.HTTPError, httpx.StreamError, OSError) as exc:
                raise TransientError(f"{type(exc).__name__}: {str(exc)[:200]}") from exc

    def _host_slot(self, url: str) -> asyncio.Semaphore:
        host = _host(url)
        if host not in self._host_slots:
            self._host_slots[host] = asyncio.Semaphore(self._config.per_host_concurrency)
        return self._host_slots[host]

    def _shared_host_slot(self, url: str) -> contextlib.AbstractAsyncContextManager[None]:
        if self._shared_host_slots is None:
            return contextlib.nullcontext()
        return self._shared_host_slots.hold(_host(url))

    async def _follow(
        self, url: str, headers: dict[str, str], extra: Mapping[str, str], conditional: bool
    ) -> FetchResult:
        """Follow redirects by hand, re-checking every hop.

        The feed's own headers (``extra``: often credentials) go to its origin
        only, never to where a redirect points elsewhere.
        """
        visited: set[str] = set()
        previous: str | None = None
        check_url(url, None, self._config.allow_private_addresses)
        origin = _origin(url)
        for _hop in range(self._config.max_redirects + 1):
            check_url(url, previous, self._config.allow_private_addresses)
            if url in visited:
                raise PermanentError(f"redirect loop at {url[:200]}")
            visited.add(url)
            hop_headers = {**extra, **headers} if _origin(url) == origin else headers
            async with self._client.stream("GET", url, headers=hop_headers) as response:
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    previous, url = url, urljoin(url, location.strip())
                    continue
                return await self._result(response, url, conditional)
        raise PermanentError(f"more than {self._config.max_redirects} redirects")

    async def _result(self, response: httpx.Response, url: str, conditional: bool) -> FetchResult:
        headers = {k.lower(): v for k, v in response.headers.items()}
        classify_status(response.status_code, headers, conditional)
        if response.status_code == 304:
            return FetchResult(304, url, headers, b"", not_modified=True)
        body = await read_body(response, self._config.max_body_bytes)
        return FetchResult(response.status_code, url, headers, body)


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""  # check_url refuses it in a moment


async def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    headers: Mapping[str, str] | None = None,
    config: FetchConfig,
    resolver: Resolver = resolve,
) -> FetchResult:
    """One fetch with a client of its own (the service shares one :class:`Fetcher` instead)."""
    async with Fetcher(config, resolver) as fetcher:
        return await fetcher.fetch(url, etag=etag, last_modified=last_modified, headers=headers)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def _request_headers(config: FetchConfig, etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {"User-Agent": config.user_agent, "Accept-Encoding": ACCEPT_ENCODING}
    # Conditional GET, RFC 9110 §13.1.2 / §13.1.3: the server answers 304 when
    # our copy is current. If-None-Match takes precedence when both are sent.
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _make_client(
    config: FetchConfig, backend: GuardedBackend, ssl_context: ssl.SSLContext | None
) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx has no public hook for the network backend; the pool is rebuilt with
    # ours so every connection goes through the address check.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
        max_connections=config.concurrency * 2,
        max_keepalive_connections=config.concurrency * 2,
        keepalive_expiry=30.0,
        network_backend=backend,
    )
    timeout = httpx.Timeout(
        connect=config.connect_timeout_s,
        read=config.total_timeout_s,
        write=config.total_timeout_s,
        pool=config.total_timeout_s,
    )
    # trust_env=False: a proxy from the environment would bypass the address check.
    return httpx.AsyncClient(
        transport=transport, timeout=timeout, follow_redirects=False, trust_env=False,
        event_hooks={"response": [_redirect_checker(config.allow_private_addresses)]},
    )


def _redirect_checker(allow_private: bool) -> Callable[[httpx.Response], Awaitable[None]]:
    """A response hook refusing a bad redirect target before httpx parses it.

    httpx builds the next request from ``Location`` even when not following
    redirects, and raises a protocol error (transient) on hosts it cannot
    parse, such as ``0177.0.0.1``; checked here first, such a target is
    refused like any private address (issue 8 #10).
    """

    async def check(response: httpx.Response) -> None:
        location = response.headers.get("location")
        if response.status_code in _REDIRECTS and location:
            current = str(response.request.url)
            check_url(urljoin(current, location.strip()), current, allow_private)

    return check
